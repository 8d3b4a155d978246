use std::str::FromStr;

use anyhow::{anyhow, Result};

use super::{format_local, format_time, Run, Session};
use crate::backup::{self, Counts, Manifest, Unlock};
use crate::cli::Backup;
use crate::config::Config;
use crate::contacts::Contacts;
use crate::error::{exit_code_of, ExitCode};
use crate::home::Home;
use crate::inbox::Inbox;
use crate::keys;
use crate::outbox::{self, SentList};
use crate::store::Store;

impl Run for Backup {
    fn run(&self, session: &Session) -> Result<()> {
        if self.verify {
            return verify(self, session);
        }
        let to = self
            .to
            .iter()
            .map(|r| {
                age::x25519::Recipient::from_str(r.trim())
                    .map_err(|e| anyhow!("--to {r}: not an age recipient (age1...): {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        let store = session.unlock()?;
        let config = config_without_secrets(&session.home);
        let counts = counts(&store);
        // Written first, so the backup carries its own entry.
        let event = crate::audit::Event::new(crate::audit::Action::Backup);
        crate::audit::record(&store, event.detail(format!("to {}", self.file.display())))?;
        let manifest = backup::write(&store, config.as_deref(), counts, &to, &self.file, self.force)?;
        let size = std::fs::metadata(&self.file).map(|m| m.len()).unwrap_or(0);
        if session.json {
            return session.print_json(&serde_json::json!({
                "file": self.file,
                "bytes": size,
                "created_at": format_time(manifest.created_at),
                "files": manifest.files.len(),
                "counts": manifest.counts,
                "recipients": self.to,
                "config_included": config.is_some(),
            }));
        }
        println!("backup written to {} ({} bytes, verified)", self.file.display(), size);
        print_contents(&manifest);
        println!(
            "it opens with this store's passphrase{}{}",
            if store.current_meta()?.recovery_recipient.is_some() { ", the recovery key" } else { "" },
            if to.is_empty() { String::new() } else { format!(" and the key of {}", self.to.join(", ")) }
        );
        println!("keep it off this machine; check it later with `sealpost backup --verify {}`", self.file.display());
        Ok(())
    }
}

fn verify(args: &Backup, session: &Session) -> Result<()> {
    let manifest = match &args.identity {
        Some(file) => {
            let identities = crate::recovery::read_identities(file)?;
            backup::read(&args.file, &[Unlock::Identities(identities)], &mut backup::Check)?
        }
        None => {
            // This store's key from the agent first: no passphrase for
            // checking one's own backup while unlocked.
            let from_agent = Store::ensure_present(&session.home)
                .ok()
                .and_then(|()| crate::agent::fetch(&session.home).ok().flatten())
                .and_then(|keyring| keyring.store_identity().ok());
            let opened = match from_agent {
                Some(identity) => match backup::read(&args.file, &[Unlock::StoreKey(identity)], &mut backup::Check) {
                    Err(e) if exit_code_of(&e) == ExitCode::Locked => None,
                    other => Some(other?),
                },
                None => None,
            };
            match opened {
                Some(manifest) => manifest,
                None => {
                    let passphrase = session.passphrase.existing()?;
                    backup::read(&args.file, &[Unlock::Passphrase(passphrase)], &mut backup::Check)?
                }
            }
        }
    };
    if session.json {
        return session.print_json(&serde_json::json!({
            "file": args.file,
            "complete": true,
            "created_at": format_time(manifest.created_at),
            "address": manifest.address,
            "fingerprint": manifest.fingerprint,
            "files": manifest.files.len(),
            "counts": manifest.counts,
        }));
    }
    println!("{} opens and is complete: every file its manifest lists is there, intact", args.file.display());
    print_contents(&manifest);
    Ok(())
}

pub(super) fn print_contents(manifest: &Manifest) {
    let fingerprint =
        manifest.fingerprint.parse().map(|f| keys::grouped(&f)).unwrap_or_else(|_| manifest.fingerprint.clone());
    println!("identity: {} ({fingerprint})", manifest.address);
    println!("made: {}", format_local(manifest.created_at));
    let c = &manifest.counts;
    println!(
        "holds: {} contacts, {} messages, {} sent notes, {} queued ({} files)",
        c.contacts,
        c.messages,
        c.sent,
        c.queued,
        manifest.files.len()
    );
}

/// The config as a backup carries it: read into its type and written out
/// again, which leaves out a plaintext `password` (never serialized). A
/// config that cannot be read is left out, with a warning: the records
/// matter more than the account settings.
fn config_without_secrets(home: &Home) -> Option<Vec<u8>> {
    let path = home.config_file();
    let read = std::fs::read_to_string(&path)
        .map_err(anyhow::Error::from)
        .and_then(|text| Ok(toml::from_str::<Config>(&text)?))
        .and_then(|config| Ok(toml::to_string_pretty(&config)?));
    match read {
        Ok(text) => Some(text.into_bytes()),
        Err(e) => {
            crate::error::warn(&format!(
                "{} cannot be read ({e}); the backup holds the store without the config",
                path.display()
            ));
            None
        }
    }
}

/// What the store holds; a document that cannot be read is counted as
/// unknown (0) with a warning, and the backup is made all the same.
fn counts(store: &Store) -> Counts {
    let count = |what: &str, n: Result<usize>| {
        n.unwrap_or_else(|e| {
            crate::error::warn(&format!("cannot count the {what} ({e:#}); backing up all the same"));
            0
        })
    };
    Counts {
        contacts: count("contacts", Contacts::load(store).map(|c| c.iter().count())),
        messages: count("messages", Inbox::load(store).and_then(|i| i.count()).map(|(all, _)| all as usize)),
        sent: count("sent notes", SentList::load(store).and_then(|s| s.count()).map(|n| n as usize)),
        queued: count("queued messages", outbox::queued(store).map(|q| q.len())),
    }
}
