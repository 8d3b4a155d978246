use std::io::IsTerminal;

use anyhow::Result;

use super::{Run, Session};
use crate::cli::Sync;
use crate::contacts::Contacts;
use crate::inbox::{Added, Inbox};
use crate::message::{open, Seal, Status};

impl Run for Sync {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        let contacts = Contacts::load(&store)?;

        let flushed = session.deliver_outbox(&config, &store)?;
        if !flushed.delivered.is_empty() && !self.json {
            println!("delivered {} queued message(s)", flushed.delivered.len());
        }
        for (queued, reason) in &flushed.failed {
            eprintln!("still queued: {} to {} ({reason})", queued.message_id, queued.to);
        }

        let mut inbox = Inbox::load(&store)?;
        let mut source = session.source(&config, &store)?;
        let mut cursor = inbox.cursor.clone();
        let incoming = source.fetch_new(&mut cursor, &|id| inbox.has_seen(id))?;
        let (mut verified, mut unverified, mut plain, mut duplicates) = (0, 0, 0, 0);
        let progress = std::io::stderr().is_terminal() && incoming.len() >= 20;
        for (n, message) in incoming.iter().enumerate() {
            if progress && (n % 10 == 0 || n + 1 == incoming.len()) {
                eprint!("\rsync: {}/{} messages", n + 1, incoming.len());
            }
            let opened = open(&message.raw, store.secret_cert(), &contacts);
            match inbox.add(&store, &message.source_id, &message.raw, &opened)? {
                Added::Duplicate => duplicates += 1,
                Added::Stored(_) if opened.seal == Seal::NotEncrypted => plain += 1,
                Added::Stored(_) if opened.status == Status::Verified => verified += 1,
                Added::Stored(_) => unverified += 1,
            }
        }
        if progress {
            eprintln!();
        }
        inbox.cursor = cursor;
        inbox.save(&store)?;
        if self.json {
            let summary = serde_json::json!({
                "delivered": flushed.delivered.len(),
                "still_queued": flushed.failed.len(),
                "fetched": verified + unverified,
                "verified": verified,
                "not_verified": unverified,
                "not_encrypted": plain,
                "duplicates": duplicates,
            });
            println!("{summary}");
        } else {
            self.print(verified, unverified, plain, duplicates);
        }
        if !flushed.failed.is_empty() {
            return Err(crate::error::Refusal::queued(format!(
                "{} message(s) could not be delivered and stay in the outbox; they will be retried",
                flushed.failed.len()
            )));
        }
        Ok(())
    }
}

impl Sync {
    fn print(&self, verified: usize, unverified: usize, plain: usize, duplicates: usize) {
        println!("fetched {} new message(s): {verified} verified, {unverified} not verified", verified + unverified);
        if plain > 0 {
            println!("{plain} ordinary unencrypted message(s) left untouched in the mailbox");
        }
        if duplicates > 0 {
            println!("{duplicates} duplicate(s) of stored messages ignored");
        }
    }
}
