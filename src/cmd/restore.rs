use anyhow::Result;

use super::backup::print_contents;
use super::{format_time, Run, Session};
use crate::backup::{self, Unlock};
use crate::cli::Restore;
use crate::store::Store;

impl Run for Restore {
    fn run(&self, session: &Session) -> Result<()> {
        let unlock = match &self.identity {
            Some(file) => Unlock::Identities(crate::recovery::read_identities(file)?),
            None => Unlock::Passphrase(session.passphrase.existing()?),
        };
        let manifest = backup::restore(&session.home, &self.file, std::slice::from_ref(&unlock))?;
        if let Err(e) = tell_other_devices(session, &unlock) {
            crate::error::warn(&format!(
                "the restored store could not be marked as a second device ({e:#}); contacts verified here \
                 reach the other device once a note from it arrived"
            ));
        }
        if session.json {
            return session.print_json(&serde_json::json!({
                "file": self.file,
                "store": session.home.data_dir,
                "config": session.home.config_file(),
                "created_at": format_time(manifest.created_at),
                "address": manifest.address,
                "fingerprint": manifest.fingerprint,
                "files": manifest.files.len(),
                "counts": manifest.counts,
            }));
        }
        println!("restored into {}", session.home.data_dir.display());
        print_contents(&manifest);
        println!("compare the fingerprint with the one your contacts verified; it unlocks with the passphrase it had");
        println!("next: `sealpost sync` fetches what arrived since the backup");
        Ok(())
    }
}

/// A restored store is another device of the same identity: its next
/// `sync` tells the others what it has (see `devices`). That needs the
/// store unlocked: with the passphrase, or the recovery key; a `--to`
/// key alone opens only the backup.
fn tell_other_devices(session: &Session, unlock: &Unlock) -> Result<()> {
    let keyring = match unlock {
        Unlock::Passphrase(passphrase) => Store::open_keyring(&session.home, passphrase)?,
        Unlock::Identities(keys) => match crate::recovery::open_store(&session.home.data_dir, keys) {
            Ok(keyring) => keyring,
            Err(_) => return Ok(()),
        },
        Unlock::StoreKey(_) => return Ok(()),
    };
    let store = Store::from_keyring(&session.home, &keyring)?;
    let event =
        crate::audit::Event::new(crate::audit::Action::Restore).detail("restored from a backup onto this device");
    crate::audit::record(&store, event)?;
    crate::devices::restored(&store)
}
