use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Result};

use super::{Run, Session};
use crate::cli::Forget;
use crate::contacts::Contacts;
use crate::records;

impl Run for Forget {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        let contact = contacts.get(&self.contact)?.clone();
        records::refuse_held(&contact)?;
        let record = records::record_of(&store, &contact)?;
        let source_ids: Vec<String> = record.received.iter().map(|e| e.source_id.clone()).collect();
        let outer_ids: Vec<String> = record.sent.iter().filter_map(|s| s.outer_message_id.clone()).collect();
        if !self.yes {
            if !std::io::stdin().is_terminal() {
                bail!(
                    "disposing of {}'s records cannot be undone; without a terminal to confirm on, add --yes. \
                     Nothing was disposed of",
                    contact.alias
                );
            }
            let server = if self.server { ", and their messages on the mail server" } else { "" };
            eprint!(
                "This destroys every local copy of the records of {} <{}>: {} received and {} sent message(s){server}. \
                 It cannot be undone. Backups made before keep them.\nType the address to confirm: ",
                contact.alias,
                contact.address,
                record.received.len(),
                record.sent.len()
            );
            std::io::stderr().flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if crate::keys::normalize_address(answer.trim()) != contact.address {
                bail!("not confirmed: nothing was disposed of");
            }
        }
        // The server first: the ids to delete there are in the rows that
        // the local disposal removes. Run again after a failure here.
        let deleted = if self.server { session.source(&config, &store)?.delete(&source_ids, &outer_ids)? } else { 0 };
        let forgotten = records::forget(&store, &record, deleted)?;
        if session.json {
            return session.print_json(&serde_json::json!({
                "contact": contact.alias,
                "address_sha256": forgotten.tombstone.address_sha256,
                "received": forgotten.received,
                "sent": forgotten.sent,
                "queued_dropped": forgotten.queued,
                "deleted_on_server": deleted,
                "forgotten_at": super::format_time(forgotten.tombstone.forgotten_at as i64),
            }));
        }
        println!(
            "disposed of the records of {} <{}>: {} received and {} sent message(s) erased with their key{}",
            contact.alias,
            contact.address,
            forgotten.received,
            forgotten.sent,
            if self.server { format!(", {deleted} deleted on the server") } else { String::new() }
        );
        if forgotten.queued > 0 {
            println!("{} message(s) still waiting in the outbox for them were dropped", forgotten.queued);
        }
        println!(
            "a tombstone keeps the address digest {}, dates and counts; backups made before still hold the records",
            forgotten.tombstone.address_sha256
        );
        Ok(())
    }
}
