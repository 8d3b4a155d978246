use anyhow::Result;

use super::{format_local, Run, Session};
use crate::cli::Sync;
use crate::config::Config;
use crate::contacts::group_hex;
use crate::receive::Receiver;
use crate::sanitize;
use crate::store::Store;

impl Run for Sync {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        self.exchange(session, &config, &store, Summary::Shown)
    }
}

/// Whether a sync says what it fetched, or only its handshake steps and
/// warnings (a `join --wait` round).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    Shown,
    HandshakesOnly,
}

impl Sync {
    /// Delivers the outbox and fetches, decrypts, verifies and stores new
    /// mail (what `sealpost sync` does), with `store` open.
    pub fn exchange(&self, session: &Session, config: &Config, store: &Store, summary: Summary) -> Result<()> {
        // A refusal for good does not stop the fetch; it is the error at the end.
        let flushed = session.try_deliver_outbox(config, store)?;
        if !flushed.delivered.is_empty() && !session.json {
            println!("delivered {} queued message(s)", flushed.delivered.len());
        }
        let mut warnings: Vec<String> = flushed
            .failed
            .iter()
            .map(|(queued, reason)| format!("still queued: {} to {} ({reason})", queued.message_id, queued.to))
            .collect();
        // Said at once: the fetch may fail for the same reason (a full disk).
        for (queued, reason) in &flushed.unrecorded {
            crate::error::warn(&crate::outbox::unrecorded_notice(queued, reason));
        }
        for queued in &flushed.held {
            warnings.push(format!(
                "not retried: {} to {} was refused by the server ({}); it waits in the outbox until the account \
                 changes (the config, or `sealpost account set-password`), or `sealpost outbox --flush`",
                queued.message_id,
                queued.to,
                queued.last_error.as_deref().unwrap_or("no reason given")
            ));
        }

        let mut receiver = Receiver::load(store, config)?;
        let mut source = session.source(config, store)?;
        // The sent folder before the inbox: a read receipt in the inbox for
        // a note sent from the user's other device is accepted only once
        // that note is in the sent list. Reading it is not what the user ran
        // sync for: when it fails, the inbox is still fetched.
        let mut sent_cursor = receiver.sent_folder_cursor();
        if let Err(e) = source.fetch_sent(&mut sent_cursor, &mut receiver.sent_folder()) {
            warnings.push(format!("the IMAP sent folder could not be read ({e:#}); the next sync tries again"));
        }
        let mut cursor = receiver.cursor();
        let fetched = source.fetch_new(&mut cursor, &mut receiver);
        // The last batch fetched is stored also when the fetch failed after it.
        let finished = receiver.finish(fetched.is_ok().then_some(&cursor));
        match (fetched, finished) {
            (Err(fetch), Err(store)) => {
                return Err(fetch.context(format!("and what was fetched before could not be stored: {store:#}")))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
            (Ok(()), Ok(())) => {}
        }
        receiver.end_progress();
        // Contacts changed here go to the user's other devices, if any.
        let noted = crate::devices::share_changes(store, config, &receiver.contacts)?;
        // Handshake steps answered just now go out in this sync, and so does the note.
        let answered = if receiver.handshaker.queued || noted.is_some() {
            session.try_deliver_outbox(config, store)?
        } else {
            Default::default()
        };
        for (queued, reason) in &answered.failed {
            warnings.push(format!("still queued: {} to {} ({reason})", queued.message_id, queued.to));
        }
        // The second flush tries those of the first again: each is told once.
        let mut unrecorded: Vec<&str> = flushed.unrecorded.iter().map(|(q, _)| q.message_id.as_str()).collect();
        for (queued, reason) in &answered.unrecorded {
            if !unrecorded.contains(&queued.message_id.as_str()) {
                crate::error::warn(&crate::outbox::unrecorded_notice(queued, reason));
                unrecorded.push(&queued.message_id);
            }
        }
        let unrecorded = unrecorded.len();
        let contacts = &receiver.contacts;
        let report = &receiver.report;
        let noticed = &report.noticed;
        for contact in &noticed.revoked {
            warnings.push(format!(
                "WARNING: {} <{}> revoked the key you verified ({}). Sending to {} is blocked until you verify \
                 their new key: `sealpost contact show {}`",
                contact.alias,
                contact.address,
                contact.revoked.as_ref().map(|r| sanitize::line(&r.reason)).unwrap_or_default(),
                contact.alias,
                contact.alias
            ));
        }
        for contact in &noticed.announced {
            warnings.push(format!(
                "{} <{}> announced a new key {} in a message signed by the key you verified; verify it with them: \
                 `sealpost contact verify {}`",
                contact.alias,
                contact.address,
                contact.announced.as_ref().map(|a| group_hex(&a.fingerprint)).unwrap_or_default(),
                contact.alias
            ));
        }
        for contact in &noticed.sighted {
            if let Some(notice) = contact.sighting_notice() {
                warnings.push(format!("note: {notice}"));
            }
        }
        for (from, reason) in &report.rejected {
            warnings.push(format!(
                "rejected a read receipt from {}: {}",
                from.as_deref().map(sanitize::line).unwrap_or_else(|| "an unknown sender".to_string()),
                sanitize::line(reason)
            ));
        }
        let (verified, unverified, plain, duplicates) =
            (report.verified, report.unverified, report.plain, report.duplicates);
        let (accepted, rejected, handshakes) = (&report.accepted, &report.rejected, &report.handshakes);
        let key_changes: Vec<String> =
            noticed.sighted.iter().chain(&noticed.announced).chain(&noticed.revoked).map(|c| c.alias.clone()).collect();
        if summary == Summary::HandshakesOnly {
            // With --json, stdout keeps to the command's one object.
            for line in handshakes {
                if session.json {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
        } else if session.json {
            let summary = serde_json::json!({
                "delivered": flushed.delivered.len(),
                "not_recorded": unrecorded,
                "still_queued": flushed.failed.len(),
                "refused": flushed.refused.len() + answered.refused.len() + flushed.held.len(),
                "fetched": verified + unverified,
                "verified": verified,
                "not_verified": unverified,
                "not_encrypted": plain,
                "duplicates": duplicates,
                "receipts_accepted": accepted.len(),
                "receipts_rejected": rejected.len(),
                "key_changes": key_changes,
                "revoked": noticed.revoked.iter().map(|c| c.alias.clone()).collect::<Vec<_>>(),
                "handshakes": handshakes,
                "devices": report.devices,
                "sent_elsewhere": report.sent_elsewhere,
                "sent_folder_skipped": report.sent_folder_skipped,
                "warnings": warnings,
            });
            session.print_json(&summary)?;
        } else {
            self.print(verified, unverified, plain, duplicates, accepted.len() + rejected.len());
            for line in handshakes.iter().chain(&report.devices) {
                println!("{line}");
            }
            if report.sent_elsewhere > 0 {
                println!(
                    "{} message(s) you sent from your other device, read from the IMAP sent folder, are now listed \
                     by `sealpost sent`",
                    report.sent_elsewhere
                );
            }
            if report.sent_folder_skipped > 0 {
                println!(
                    "{} message(s) in the IMAP sent folder are not notes of yours sealpost can check (decrypted and \
                     signed by your key, from your address); they are not listed",
                    report.sent_folder_skipped
                );
            }
            for (original, receipt) in accepted {
                let who = contacts.find(&receipt.reader).map_or(receipt.reader.as_str(), |c| c.alias.as_str());
                let subject = receiver.sent_subject(original).as_deref().map(sanitize::line).unwrap_or_default();
                println!(
                    "read receipt: \"{subject}\" was read by {who} at {} ({original})",
                    format_local(receipt.read_at)
                );
            }
        }
        if !session.json || summary == Summary::HandshakesOnly {
            for warning in &warnings {
                eprintln!("{warning}");
            }
        }
        let refused: Vec<_> = flushed.refused.iter().chain(&answered.refused).cloned().collect();
        if !refused.is_empty() {
            return Err(crate::outbox::refused_error(&refused));
        }
        if unrecorded > 0 {
            return Err(crate::outbox::unrecorded_error(unrecorded));
        }
        if !flushed.failed.is_empty() || !answered.failed.is_empty() {
            return Err(crate::error::Refusal::queued(format!(
                "{} message(s) could not be delivered and stay in the outbox; they will be retried",
                flushed.failed.len() + answered.failed.len()
            )));
        }
        Ok(())
    }

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
