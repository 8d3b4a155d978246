//! `complete-contacts`: the contact aliases the shell completions offer.
//!
//! A completion runs on every Tab press, on the user's terminal, so it must
//! never ask for anything: it reads the contacts from the unlock agent, or
//! with the passphrase file when one is configured, and otherwise completes
//! nothing. It prints nothing but aliases, and never fails: a completion
//! that cannot be made is an empty one.

use anyhow::Result;

use super::{Run, Session};
use crate::cli::CompleteContacts;
use crate::contacts::Contacts;
use crate::store::Store;

impl Run for CompleteContacts {
    fn run(&self, session: &Session) -> Result<()> {
        let Some(store) = unlock_quietly(session) else { return Ok(()) };
        let Ok(contacts) = Contacts::load(&store) else { return Ok(()) };
        let mut aliases: Vec<&str> =
            contacts.iter().map(|c| c.alias.as_str()).filter(|a| a.starts_with(&self.prefix)).collect();
        aliases.sort_unstable();
        for alias in aliases {
            println!("{alias}");
        }
        Ok(())
    }
}

/// The store, without a prompt and without a word on stderr.
fn unlock_quietly(session: &Session) -> Option<Store> {
    if let Ok(Some(keyring)) = crate::agent::fetch(&session.home) {
        return Store::from_keyring(&session.home, &keyring).ok();
    }
    // Only a passphrase file: `existing` would prompt on a terminal.
    session.passphrase.file.as_ref()?;
    let passphrase = session.passphrase.existing().ok()?;
    Store::unlock(&session.home, &passphrase).ok()
}
