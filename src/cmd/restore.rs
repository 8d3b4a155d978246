use anyhow::Result;

use super::backup::print_contents;
use super::{format_time, Run, Session};
use crate::backup::{self, Unlock};
use crate::cli::Restore;

impl Run for Restore {
    fn run(&self, session: &Session) -> Result<()> {
        let unlock = match &self.identity {
            Some(file) => Unlock::Identities(crate::recovery::read_identities(file)?),
            None => Unlock::Passphrase(session.passphrase.existing()?),
        };
        let manifest = backup::restore(&session.home, &self.file, &[unlock])?;
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
