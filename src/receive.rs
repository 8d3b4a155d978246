//! The one receive path: a fetched message becomes state here.
//!
//! For each message: open it (decrypt, check, judge), skip it when it is a
//! duplicate by what cannot be forged, run a join handshake step, note what
//! it says about its sender's keys, check a read receipt, and store it.
//! Nothing about one message may stop the messages behind it: opening never
//! panics (see `message::open`), and a message whose handling fails is
//! stored with the reason instead of failing the sync.
//!
//! Work is committed batch by batch (`Sink::take`): the sent list, joins and
//! contacts first, then the inbox with the fetch cursor. A sync killed half
//! way keeps every batch it finished; a batch it did not finish is fetched
//! again, and the inbox's duplicate check keeps it from being stored twice.

use std::io::IsTerminal;

use anyhow::Result;

use crate::config::Config;
use crate::contacts::Contacts;
use crate::inbox::{Added, Inbox, Kind};
use crate::join::Handshaker;
use crate::key_change::{self, Noticed};
use crate::message::compose::sha256_hex;
use crate::message::{judge, open, Seal, Status};
use crate::outbox::{ReadReceipt, SentList};
use crate::receipt::{self, Verdict};
use crate::sanitize;
use crate::store::Store;
use crate::transport::imap::Cursor;
use crate::transport::{Incoming, Sink};

/// What a sync found, for the command to print.
#[derive(Default)]
pub struct Report {
    pub verified: usize,
    pub unverified: usize,
    pub plain: usize,
    pub duplicates: usize,
    /// Receipts accepted: the Message-ID they confirm, and the receipt.
    pub accepted: Vec<(String, ReadReceipt)>,
    /// Receipts rejected: who sent them (as claimed) and why.
    pub rejected: Vec<(Option<String>, String)>,
    /// What messages said about contacts' keys.
    pub noticed: Noticed,
    /// One line per join handshake step handled.
    pub handshakes: Vec<String>,
}

/// Receives messages into the store.
pub struct Receiver<'a> {
    store: &'a Store,
    pub contacts: Contacts,
    inbox: Inbox,
    sent: SentList,
    pub handshaker: Handshaker<'a>,
    pub report: Report,
    sent_changed: bool,
    contacts_changed: bool,
    /// Messages announced by the source and handled so far, for progress.
    progress: Option<(usize, usize)>,
}

impl<'a> Receiver<'a> {
    pub fn load(store: &'a Store, config: &'a Config) -> Result<Receiver<'a>> {
        Ok(Receiver {
            store,
            contacts: Contacts::load(store)?,
            inbox: Inbox::load(store)?,
            sent: SentList::load(store)?,
            handshaker: Handshaker::load(store, config)?,
            report: Report::default(),
            sent_changed: false,
            contacts_changed: false,
            progress: None,
        })
    }

    /// Where fetching stands, as last committed.
    pub fn cursor(&self) -> Cursor {
        self.inbox.cursor.clone()
    }

    /// Judges and stores one message. Errors are only those of the store
    /// itself (a full disk); the message's own faults are recorded with it.
    pub fn accept(&mut self, message: &Incoming) -> Result<()> {
        let raw_sha256 = sha256_hex(&message.raw);
        let mut opened = open(&message.raw, self.store.my_keys(), &self.contacts);
        if self.inbox.knows(&raw_sha256, &opened) {
            self.inbox.mark_seen(&message.source_id);
            self.report.duplicates += 1;
            return Ok(());
        }
        let handled = self.handshaker.handle(&mut self.contacts, &message.raw, &opened);
        let handshake = match handled {
            Ok(outcome) => outcome,
            // A step that cannot be handled (an address that cannot be
            // written to, say) is recorded as such, never retried forever.
            Err(e) => opened
                .content
                .as_ref()
                .and_then(|c| c.handshake.as_ref())
                .map(|_| format!("a join message could not be handled: {e:#}")),
        };
        if let Some(outcome) = handshake {
            self.contacts_changed = true;
            self.inbox.add(self.store, &message.source_id, &message.raw, &opened, Kind::Handshake(outcome.clone()))?;
            self.report.handshakes.push(sanitize::line(&outcome));
            return Ok(());
        }
        let noticed = key_change::notice(&mut self.contacts, &opened);
        if !noticed.is_empty() {
            self.contacts_changed = true;
            // A revocation just seen changes what this message is.
            opened.status = judge(&opened.seal, opened.sender(), &self.contacts);
            self.report.noticed.extend(noticed);
        }
        let verdict = receipt::is_receipt(&opened).then(|| receipt::check(&opened, &self.contacts, &self.sent));
        let kind = verdict.as_ref().map_or(Kind::Message, |v| Kind::Receipt(v.record()));
        match (self.inbox.add(self.store, &message.source_id, &message.raw, &opened, kind)?, verdict) {
            (Added::Duplicate, _) => self.report.duplicates += 1,
            (Added::Stored(_), Some(Verdict::Accepted { original, receipt })) => {
                if self.sent.mark_read(&original, receipt.clone()) {
                    self.sent_changed = true;
                    self.report.accepted.push((original, receipt));
                }
            }
            (Added::Stored(_), Some(Verdict::Rejected { reason, .. })) => {
                self.report.rejected.push((opened.sender().map(str::to_string), reason))
            }
            (Added::Stored(_), None) if opened.seal == Seal::NotEncrypted => self.report.plain += 1,
            (Added::Stored(_), None) if opened.status == Status::Verified => self.report.verified += 1,
            (Added::Stored(_), None) => self.report.unverified += 1,
        }
        Ok(())
    }

    /// Makes everything received so far durable, with the fetch cursor.
    /// The sent list first: a crash before the inbox is saved fetches the
    /// receipts again, and marking a message read twice changes nothing.
    pub fn commit(&mut self, cursor: &Cursor) -> Result<()> {
        if self.sent_changed {
            self.sent.save(self.store)?;
            self.sent_changed = false;
        }
        if self.handshaker.changed {
            self.handshaker.save()?;
        }
        if self.contacts_changed || self.handshaker.changed {
            self.contacts.save(self.store)?;
            self.contacts_changed = false;
        }
        self.handshaker.changed = false;
        self.inbox.cursor = cursor.clone();
        self.inbox.save(self.store)
    }

    fn show_progress(&mut self, handled: usize) {
        if let Some((done, total)) = &mut self.progress {
            *done += handled;
            eprint!("\rsync: {}/{} messages", (*done).min(*total), total);
        }
    }

    /// Ends the progress line, if one was shown.
    pub fn end_progress(&mut self) {
        if self.progress.take().is_some() {
            eprintln!();
        }
    }
}

impl Sink for Receiver<'_> {
    fn is_known(&self, source_id: &str) -> bool {
        self.inbox.has_seen(source_id)
    }

    fn expect(&mut self, count: usize) {
        if std::io::stderr().is_terminal() && count >= 20 {
            self.progress = Some((0, count));
        }
    }

    fn take(&mut self, batch: Vec<Incoming>, cursor: &Cursor) -> Result<()> {
        for message in &batch {
            self.accept(message)?;
        }
        self.commit(cursor)?;
        self.show_progress(batch.len());
        Ok(())
    }
}
