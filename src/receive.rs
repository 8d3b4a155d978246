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
use crate::inbox::{Inbox, Kind};
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
    /// One line per note from the user's other device.
    pub devices: Vec<String>,
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
    /// Whether a message was handled since the last commit.
    inbox_changed: bool,
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
            inbox_changed: false,
            progress: None,
        })
    }

    /// The subject of a message the user sent, by its Message-ID.
    pub fn sent_subject(&self, message_id: &str) -> Option<&str> {
        self.sent.find(message_id).map(|sent| sent.subject.as_str())
    }

    /// Where fetching stands, as last committed.
    pub fn cursor(&self) -> Cursor {
        self.inbox.cursor.clone()
    }

    /// Judges and stores one message. Errors are only those of the store
    /// itself (a full disk); the message's own faults are recorded with it.
    pub fn accept(&mut self, message: &Incoming) -> Result<()> {
        self.inbox_changed = true;
        let raw_sha256 = sha256_hex(&message.raw);
        let mut opened = open(&message.raw, self.store.my_keys(), &self.contacts);
        if self.inbox.knows(&raw_sha256, &opened) {
            self.inbox.mark_seen(&message.source_id);
            self.report.duplicates += 1;
            return Ok(());
        }
        // This device's own note to the others comes back to its inbox too.
        let own_note = opened.content.as_ref().is_some_and(|c| {
            c.device_note.is_some()
                && c.message_id.as_ref().is_some_and(|id| self.sent.sent.iter().any(|s| &s.message_id == id))
        });
        if own_note {
            let kind = Kind::Handshake("your own note to your other devices".to_string());
            self.inbox.add(self.store, &message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
            return Ok(());
        }
        if let Some(outcome) = crate::devices::receive(self.store, &mut self.contacts, &message.raw, &opened)? {
            self.contacts_changed = true;
            let kind = Kind::Handshake(outcome.clone());
            self.inbox.add(self.store, &message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
            self.report.devices.push(sanitize::line(&outcome));
            return Ok(());
        }
        let handled = self.handshaker.handle(&mut self.contacts, &message.raw, &opened);
        let handshake = match handled {
            Ok(outcome) => outcome,
            // A step that cannot be handled (an address that cannot be
            // written to, say) is recorded as such, never retried forever.
            Err(e) => Some(format!("a join message could not be handled: {e:#}")),
        };
        if let Some(outcome) = handshake {
            self.contacts_changed = true;
            let kind = Kind::Handshake(outcome.clone());
            self.inbox.add(self.store, &message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
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
        self.inbox.add(self.store, &message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
        match verdict {
            Some(Verdict::Accepted { original, receipt }) => {
                if self.sent.mark_read(&original, receipt.clone()) {
                    self.sent_changed = true;
                    self.report.accepted.push((original, receipt));
                }
            }
            Some(Verdict::Rejected { reason, .. }) => {
                self.report.rejected.push((opened.sender().map(str::to_string), reason))
            }
            None if opened.seal == Seal::NotEncrypted => self.report.plain += 1,
            None if opened.status == Status::Verified => self.report.verified += 1,
            None => self.report.unverified += 1,
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
        // A sync that found nothing new writes nothing (so it also works on
        // a full disk).
        if !self.inbox_changed && self.inbox.cursor == *cursor {
            return Ok(());
        }
        self.inbox.cursor = cursor.clone();
        self.inbox.save(self.store)?;
        self.inbox_changed = false;
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Verification;
    use crate::home::Home;
    use crate::keys;
    use crate::message::{compose, Draft};

    /// A small deterministic PRNG (xorshift64*), so a failure is repeatable.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// A hostile variation of `genuine`, or a plain mail reusing its
    /// protected Message-ID.
    fn variant(genuine: &[u8], message_id: &str, rng: &mut Rng) -> Vec<u8> {
        let mut raw = genuine.to_vec();
        match rng.below(7) {
            0 => {
                for _ in 0..=rng.below(4) {
                    let at = rng.below(raw.len());
                    raw[at] ^= 1 << rng.below(8);
                }
            }
            1 => raw.truncate(rng.below(raw.len())),
            2 => {
                let at = rng.below(raw.len());
                let junk: Vec<u8> = (0..=rng.below(64)).map(|_| rng.next() as u8).collect();
                raw.splice(at..at, junk);
            }
            3 => {
                // A header line repeated (two From, two Content-Type, ...).
                let text = String::from_utf8_lossy(&raw).into_owned();
                let lines: Vec<&str> = text.split("\r\n").take_while(|l| !l.is_empty()).collect();
                let line = lines[rng.below(lines.len())].to_string();
                raw = format!("{line}\r\n{text}").into_bytes();
            }
            4 => {
                let text = String::from_utf8_lossy(&raw).into_owned();
                raw = text.replacen("From: sam@client.example", "From: eve@elsewhere.example", 1).into_bytes();
            }
            5 => {
                raw = format!(
                    "From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: Thursday\r\n\
                     Message-ID: {message_id}\r\n\r\nignore the other one\r\n"
                )
                .into_bytes()
            }
            _ => {
                // The two MIME parts swapped.
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some(boundary) = text.split("boundary=\"").nth(1).and_then(|b| b.split('"').next()) {
                    let marker = format!("--{boundary}\r\n");
                    let parts: Vec<&str> = text.split(&marker).collect();
                    if parts.len() == 3 {
                        raw = [parts[0], &marker, parts[2], &marker, parts[1]].concat().into_bytes();
                    }
                }
            }
        }
        raw
    }

    #[test]
    fn hostile_variants_never_fail_the_receive_path_nor_hide_the_genuine_message() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let store = Store::create(&home, &"passphrase".to_string().into(), &ada, Some(10)).unwrap();
        let config: Config = toml::from_str("[account]\nname = \"Ada\"\naddress = \"ada@practice.example\"\n").unwrap();
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::Fingerprint).unwrap();
        contacts.save(&store).unwrap();
        let draft = Draft {
            from_name: "Sam".into(),
            from_address: "sam@client.example".into(),
            to_name: None,
            to_address: "ada@practice.example".into(),
            subject: "Thursday".into(),
            body: "GENUINE\n".into(),
            attachments: Vec::new(),
            message_id: "<genuine@client.example>".into(),
            date: std::time::SystemTime::now(),
            request_receipt: true,
            in_reply_to: None,
            references: Vec::new(),
        };
        let genuine = compose(&draft, &sam, &ada).unwrap().raw;

        let mut receiver = Receiver::load(&store, &config).unwrap();
        let mut rng = Rng(0x5EA1_9057);
        for case in 0..1500 {
            let raw = variant(&genuine, &draft.message_id, &mut rng);
            let incoming = Incoming { source_id: format!("test:{case}"), raw };
            receiver.accept(&incoming).unwrap_or_else(|e| panic!("case {case} failed the receive path: {e:#}"));
            if case % 100 == 99 {
                receiver.commit(&Cursor::default()).unwrap();
            }
        }
        receiver.accept(&Incoming { source_id: "test:genuine".into(), raw: genuine.clone() }).unwrap();
        receiver.commit(&Cursor::default()).unwrap();

        // Exactly one verified copy of the note is stored (the genuine one,
        // or a variant changed only outside what the signature covers), and
        // it reads as the genuine note.
        let inbox = Inbox::load(&store).unwrap();
        let verified: Vec<_> = inbox.messages().filter(|e| e.status(&receiver.contacts) == Status::Verified).collect();
        assert_eq!(verified.len(), 1, "{} verified copies", verified.len());
        let opened = open(&inbox.raw(&store, verified[0].id).unwrap(), store.my_keys(), &receiver.contacts);
        assert_eq!(opened.content.unwrap().body.trim_end(), "GENUINE");
        // No variant made the contact anything but verified.
        assert_eq!(receiver.contacts.get("sam").unwrap().state, crate::contacts::PinState::Verified);
    }
}
