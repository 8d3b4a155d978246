use std::io::IsTerminal;

use anyhow::Result;

use super::{format_time, Run, Session};
use crate::cli::Sync;
use crate::contacts::Contacts;
use crate::inbox::{Added, Inbox, Kind};
use crate::join::Handshaker;
use crate::key_change;
use crate::message::{judge, open, Seal, Status};
use crate::outbox::SentList;
use crate::receipt::{self, Verdict};
use crate::sanitize;

impl Run for Sync {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        let mut contacts = Contacts::load(&store)?;

        let flushed = session.deliver_outbox(&config, &store)?;
        if !flushed.delivered.is_empty() && !session.json {
            println!("delivered {} queued message(s)", flushed.delivered.len());
        }
        let mut warnings: Vec<String> = flushed
            .failed
            .iter()
            .map(|(queued, reason)| format!("still queued: {} to {} ({reason})", queued.message_id, queued.to))
            .collect();

        let mut inbox = Inbox::load(&store)?;
        let mut source = session.source(&config, &store)?;
        let mut cursor = inbox.cursor.clone();
        let incoming = source.fetch_new(&mut cursor, &|id| inbox.has_seen(id))?;
        let mut sent = SentList::load(&store)?;
        let (mut verified, mut unverified, mut plain, mut duplicates) = (0, 0, 0, 0);
        let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
        let mut key_changes = Vec::new();
        let mut handshaker = Handshaker::load(&store, &config)?;
        let mut handshakes = Vec::new();
        let progress = std::io::stderr().is_terminal() && incoming.len() >= 20;
        for (n, message) in incoming.iter().enumerate() {
            if progress && (n % 10 == 0 || n + 1 == incoming.len()) {
                eprint!("\rsync: {}/{} messages", n + 1, incoming.len());
            }
            let mut opened = open(&message.raw, store.my_keys(), &contacts);
            if inbox.knows(&opened) {
                inbox.mark_seen(&message.source_id);
                duplicates += 1;
                continue;
            }
            if let Some(outcome) = handshaker.handle(&mut contacts, &message.raw, &opened)? {
                inbox.add(&store, &message.source_id, &message.raw, &opened, Kind::Handshake(outcome.clone()))?;
                handshakes.push(sanitize::line(&outcome));
                continue;
            }
            let changed = key_change::notice(&mut contacts, &opened);
            if !changed.is_empty() {
                // The message that showed another key is judged as what it is now.
                opened.status = judge(&opened.seal, opened.sender(), &contacts);
                key_changes.extend(changed);
            }
            let verdict = receipt::is_receipt(&opened).then(|| receipt::check(&opened, &contacts, &sent));
            let kind = verdict.as_ref().map_or(Kind::Message, |v| Kind::Receipt(v.record()));
            match (inbox.add(&store, &message.source_id, &message.raw, &opened, kind)?, verdict) {
                (Added::Duplicate, _) => duplicates += 1,
                (Added::Stored(_), Some(Verdict::Accepted { original, receipt })) => {
                    if sent.mark_read(&original, receipt.clone()) {
                        accepted.push((original, receipt));
                    }
                }
                (Added::Stored(_), Some(Verdict::Rejected { reason, .. })) => {
                    rejected.push((opened.sender().map(str::to_string), reason))
                }
                (Added::Stored(_), None) if opened.seal == Seal::NotEncrypted => plain += 1,
                (Added::Stored(_), None) if opened.status == Status::Verified => verified += 1,
                (Added::Stored(_), None) => unverified += 1,
            }
        }
        if progress {
            eprintln!();
        }
        // The sent list first: a crash before the inbox is saved fetches the
        // receipts again, and marking a message read twice changes nothing.
        if !accepted.is_empty() {
            sent.save(&store)?;
        }
        if handshaker.changed {
            handshaker.save()?;
        }
        if !key_changes.is_empty() || handshaker.changed {
            contacts.save(&store)?;
        }
        inbox.cursor = cursor;
        inbox.save(&store)?;
        // Handshake steps answered just now go out in this sync.
        let answered = if handshaker.queued { session.deliver_outbox(&config, &store)? } else { Default::default() };
        for (queued, reason) in &answered.failed {
            warnings.push(format!("still queued: {} to {} ({reason})", queued.message_id, queued.to));
        }
        // Key changes and rejected receipts are warnings too.
        for contact in &key_changes {
            warnings.push(format!(
                "WARNING: the key of {} <{}> changed. {}. Sending to {} is blocked until you verify the new \
                 key: `sealpost contact show {}`",
                contact.alias,
                contact.address,
                contact.key_change().unwrap_or_default(),
                contact.alias,
                contact.alias
            ));
        }
        for (from, reason) in &rejected {
            warnings.push(format!(
                "rejected a read receipt from {}: {}",
                from.as_deref().map(sanitize::line).unwrap_or_else(|| "an unknown sender".to_string()),
                sanitize::line(reason)
            ));
        }
        if session.json {
            let summary = serde_json::json!({
                "delivered": flushed.delivered.len(),
                "still_queued": flushed.failed.len(),
                "fetched": verified + unverified,
                "verified": verified,
                "not_verified": unverified,
                "not_encrypted": plain,
                "duplicates": duplicates,
                "receipts_accepted": accepted.len(),
                "receipts_rejected": rejected.len(),
                "key_changes": key_changes.iter().map(|c| c.alias.clone()).collect::<Vec<_>>(),
                "handshakes": handshakes,
                "warnings": warnings,
            });
            session.print_json(&summary)?;
        } else {
            self.print(verified, unverified, plain, duplicates, accepted.len() + rejected.len());
            for line in &handshakes {
                println!("{line}");
            }
            for (original, receipt) in &accepted {
                let who = contacts.find(&receipt.reader).map_or(receipt.reader.as_str(), |c| c.alias.as_str());
                println!("read receipt: {original} was read by {who} at {}", format_time(receipt.read_at));
            }
        }
        if !session.json {
            for warning in &warnings {
                eprintln!("{warning}");
            }
        }
        if !flushed.failed.is_empty() || !answered.failed.is_empty() {
            return Err(crate::error::Refusal::queued(format!(
                "{} message(s) could not be delivered and stay in the outbox; they will be retried",
                flushed.failed.len() + answered.failed.len()
            )));
        }
        Ok(())
    }
}

impl Sync {
    fn print(&self, verified: usize, unverified: usize, plain: usize, duplicates: usize, receipts: usize) {
        println!("fetched {} new message(s): {verified} verified, {unverified} not verified", verified + unverified);
        if receipts > 0 {
            println!("fetched {receipts} read receipt(s)");
        }
        if plain > 0 {
            println!("{plain} ordinary unencrypted message(s) left untouched in the mailbox");
        }
        if duplicates > 0 {
            println!("{duplicates} duplicate(s) of stored messages ignored");
        }
    }
}
