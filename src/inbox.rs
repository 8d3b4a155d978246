//! Received messages, kept in the encrypted store.
//!
//! Each message is kept as it arrived (`inbox/<id>.eml`, encrypted to the
//! store key) so `read` can open it again with today's contact list, plus a
//! summary in the index for listing.
//!
//! A message is a duplicate only by what cannot be forged: the source's own
//! id (IMAP UIDVALIDITY and UID, Maildir name), the exact bytes, or the
//! protected Message-ID of a message whose signature verified, together with
//! its signer. A Message-ID anyone can write (an outer one, or one inside a
//! message that failed its checks) never suppresses a later genuine copy.
//!
//! The status shown is decided with today's contacts, except that a message
//! verified when it arrived stays verified with the key that signed it,
//! after the contact moves to a new key: history stays true.
//!
//! Ordinary unencrypted mail is counted and listed but its content is not
//! copied into the store: sealpost does not display it.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::contacts::{now, Contact, Contacts};
use crate::message::{self, Opened, Seal, Status};
use crate::receipt;
use crate::store::Store;

const INDEX: &str = "inbox/index.age";

/// What the inbox lists about one message.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Entry {
    pub id: u64,
    pub message_id: Option<String>,
    pub source_id: String,
    pub received_at: u64,
    pub date: Option<i64>,
    /// The sender the status was judged against (protected From if present).
    pub sender: Option<String>,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub seal: Seal,
    /// The signer's fingerprint when the message was verified on arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_with: Option<String>,
    /// SHA-256 of the message as it arrived: the same bytes twice are one message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_sha256: Option<String>,
    /// Set when this message is a read receipt: what the check decided.
    /// Receipts are not listed as messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<receipt::Checked>,
    /// Set when this message is a step of a join handshake: what was done
    /// with it. Handshake steps are not listed as messages either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<String>,
    /// How the sender's request for a read receipt was answered, so it is
    /// answered once, not on every reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_answer: Option<Answer>,
    /// When `read` first showed it; unread until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<u64>,
}

/// What a stored message is, besides a message to read.
#[derive(Clone, Debug, Default)]
pub enum Kind {
    #[default]
    Message,
    /// A read receipt, with what its check decided.
    Receipt(receipt::Checked),
    /// A join handshake step, with what was done with it.
    Handshake(String),
}

/// The answer to a request for a read receipt.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Answer {
    /// A receipt was put in the outbox at this time.
    Sent { at: u64 },
    /// The user said no when asked.
    Declined { at: u64 },
}

impl Entry {
    /// The status under the current contact list.
    pub fn status(&self, contacts: &Contacts) -> Status {
        self.judge(&self.seal, self.sender.as_deref(), contacts)
    }

    /// The status of this message, opened again as `seal` from `sender`:
    /// decided with today's contacts, except that a message verified on
    /// arrival stays verified under the key that signed it.
    pub fn judge(&self, seal: &Seal, sender: Option<&str>, contacts: &Contacts) -> Status {
        let now = message::judge(seal, sender, contacts);
        match (seal, &self.verified_with) {
            (Seal::Signed { signer }, Some(then)) if now != Status::Verified && signer == then => Status::Verified,
            _ => now,
        }
    }

    /// The key that signed this verified message when it is no longer the
    /// key pinned for the sender (replaced or revoked since it arrived).
    pub fn signed_with_earlier_key<'a>(&'a self, contacts: &Contacts) -> Option<&'a str> {
        let then = self.verified_with.as_deref()?;
        let pinned = self.sender.as_deref().and_then(|s| contacts.by_address(s));
        match pinned {
            Some(c) if c.fingerprint == then && c.state == crate::contacts::PinState::Verified => None,
            _ => Some(then),
        }
    }

    /// The pinned contact this message is from, when it is verified.
    pub fn verified_contact<'a>(&self, contacts: &'a Contacts) -> Option<&'a Contact> {
        (self.status(contacts) == Status::Verified)
            .then(|| pinned_sender(&self.seal, self.sender.as_deref(), contacts))
            .flatten()
    }

    /// The key that signed it, whether or not it is pinned for anyone.
    pub fn signer(&self) -> Option<&str> {
        match &self.seal {
            Seal::Signed { signer } => Some(signer),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
pub struct Inbox {
    next_id: u64,
    entries: Vec<Entry>,
    seen_sources: BTreeSet<String>,
    /// Where incremental fetching from the server stands.
    #[serde(default)]
    pub cursor: crate::transport::imap::Cursor,
    /// The message `read` showed last: what `reply --last` answers (only if
    /// it is verified). Not the newest message, which may be another
    /// client's that arrived after the user read this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_read: Option<u64>,
}

/// The pinned contact a verified message is shown under: the contact whose
/// key signed it, or, for a message verified on arrival under a key since
/// replaced, the contact at its address. Never the message's own name.
pub fn pinned_sender<'a>(seal: &Seal, sender: Option<&str>, contacts: &'a Contacts) -> Option<&'a Contact> {
    let by_key = match seal {
        Seal::Signed { signer } => signer.parse().ok().and_then(|f| contacts.by_fingerprint(&f)),
        _ => None,
    };
    by_key.or_else(|| sender.and_then(|s| contacts.by_address(s)))
}

impl Inbox {
    pub fn load(store: &Store) -> Result<Inbox> {
        Ok(store.read(INDEX)?.unwrap_or_default())
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        store.write(INDEX, self)
    }

    /// Every stored entry, read receipts included.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The messages, without read receipts.
    pub fn messages(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.receipt.is_none() && e.handshake.is_none())
    }

    pub fn get(&self, id: u64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The newest message (not a read receipt).
    pub fn last(&self) -> Option<&Entry> {
        self.messages().last()
    }

    /// Marks a message as read (the first time only).
    pub fn mark_opened(&mut self, id: u64) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) {
            entry.opened_at.get_or_insert_with(now);
        }
    }

    /// Remembers `id` as the message `read` showed last.
    pub fn set_last_read(&mut self, id: u64) {
        self.last_read = Some(id);
    }

    /// The message `read` showed last, if it is still stored.
    pub fn last_read(&self) -> Option<&Entry> {
        self.last_read.and_then(|id| self.messages().find(|e| e.id == id))
    }

    /// Records what a check of a read receipt decided, when it is checked
    /// again (the message it names became known).
    pub fn set_receipt(&mut self, id: u64, checked: receipt::Checked) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) {
            entry.receipt = Some(checked);
        }
    }

    /// Records how a request for a read receipt was answered.
    pub fn set_answer(&mut self, id: u64, answer: Answer) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) {
            entry.receipt_answer = Some(answer);
        }
    }

    pub fn has_seen(&self, source_id: &str) -> bool {
        self.seen_sources.contains(source_id)
    }

    /// Stores a message opened from `raw` (whose SHA-256 is `raw_sha256`),
    /// of `kind`, and returns its id. The caller has checked with `knows`
    /// that it is new. The raw message is written before the index mentions
    /// it; the caller saves the index.
    pub fn add(
        &mut self,
        store: &Store,
        source_id: &str,
        raw: &[u8],
        raw_sha256: &str,
        opened: &Opened,
        kind: Kind,
    ) -> Result<u64> {
        self.seen_sources.insert(source_id.to_string());
        let message_id = message_id(opened);
        self.next_id = self.next_id.max(self.entries.last().map_or(0, |e| e.id)) + 1;
        let id = self.next_id;
        if opened.seal != Seal::NotEncrypted {
            store.write_bytes(&raw_name(id), raw).context("storing a received message")?;
        }
        let content = opened.content.as_ref();
        self.entries.push(Entry {
            id,
            message_id,
            source_id: source_id.to_string(),
            received_at: now(),
            date: content.and_then(|c| c.date).or(opened.outer.date),
            sender: opened.sender().map(str::to_string),
            sender_name: content.and_then(|c| c.from_name.clone()),
            subject: content.map_or_else(|| opened.outer.subject.clone(), |c| c.subject.clone()),
            seal: opened.seal.clone(),
            verified_with: match (&opened.seal, opened.status) {
                (Seal::Signed { signer }, Status::Verified) => Some(signer.clone()),
                _ => None,
            },
            raw_sha256: Some(raw_sha256.to_string()),
            receipt: match &kind {
                Kind::Receipt(checked) => Some(checked.clone()),
                _ => None,
            },
            handshake: match kind {
                Kind::Handshake(outcome) => Some(outcome),
                _ => None,
            },
            receipt_answer: None,
            opened_at: None,
        });
        Ok(id)
    }

    /// Whether this message is stored already: the same bytes (SHA-256 of
    /// the raw message), or, for a message with a good signature, the same
    /// protected Message-ID signed by the same key. Nothing else counts: an
    /// unauthenticated or damaged copy must not hide a genuine one.
    pub fn knows(&self, raw_sha256: &str, opened: &Opened) -> bool {
        let authenticated = authenticated_id(opened);
        self.entries.iter().any(|e| {
            e.raw_sha256.as_deref() == Some(raw_sha256)
                || authenticated.as_ref().is_some_and(|(signer, id)| {
                    e.signer() == Some(signer.as_str()) && e.message_id.as_deref() == Some(id.as_str())
                })
        })
    }

    /// Remembers a source message as fetched without storing it (a duplicate).
    pub fn mark_seen(&mut self, source_id: &str) {
        self.seen_sources.insert(source_id.to_string());
    }

    /// The message as it arrived.
    pub fn raw(&self, store: &Store, id: u64) -> Result<Vec<u8>> {
        store
            .read_bytes(&raw_name(id))?
            .with_context(|| format!("message {id} has no stored content (ordinary unencrypted email is not kept)"))
    }
}

/// The signer and protected Message-ID of a message whose signature
/// verified: the only Message-ID that proves two copies are one message.
fn authenticated_id(opened: &Opened) -> Option<(String, String)> {
    let Seal::Signed { signer } = &opened.seal else { return None };
    let id = opened.content.as_ref()?.message_id.clone()?;
    Some((signer.clone(), id))
}

/// The protected Message-ID, else the outer one.
fn message_id(opened: &Opened) -> Option<String> {
    opened.content.as_ref().and_then(|c| c.message_id.clone()).or_else(|| opened.outer.message_id.clone())
}

fn raw_name(id: u64) -> String {
    format!("inbox/{id}.eml.age")
}
