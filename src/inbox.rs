//! Received messages, kept in the encrypted store.
//!
//! Each message is kept as it arrived (`inbox/<id>.eml`, encrypted to the
//! store key) so `read` can open it again with today's contact list, plus a
//! summary in the index for listing. The index remembers which source
//! messages were seen and every Message-ID, so fetching twice, or the same
//! message arriving twice, stores it once.
//!
//! Ordinary unencrypted mail is counted and listed but its content is not
//! copied into the store: sealpost does not display it.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::contacts::{now, Contacts};
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
        message::judge(&self.seal, self.sender.as_deref(), contacts)
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
}

/// What `add` did with a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Stored(u64),
    Duplicate,
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

    /// Records how a request for a read receipt was answered.
    pub fn set_answer(&mut self, id: u64, answer: Answer) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) {
            entry.receipt_answer = Some(answer);
        }
    }

    pub fn has_seen(&self, source_id: &str) -> bool {
        self.seen_sources.contains(source_id)
    }

    /// Stores a message opened from `raw`, of `kind`. The raw message is
    /// written before the index mentions it; the caller saves the index.
    pub fn add(&mut self, store: &Store, source_id: &str, raw: &[u8], opened: &Opened, kind: Kind) -> Result<Added> {
        self.seen_sources.insert(source_id.to_string());
        if self.knows(opened) {
            return Ok(Added::Duplicate);
        }
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
        Ok(Added::Stored(id))
    }

    /// Whether a message with the Message-ID of `opened` is stored.
    pub fn knows(&self, opened: &Opened) -> bool {
        message_id(opened).is_some_and(|id| self.entries.iter().any(|e| e.message_id.as_ref() == Some(&id)))
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

/// The protected Message-ID, else the outer one.
fn message_id(opened: &Opened) -> Option<String> {
    opened.content.as_ref().and_then(|c| c.message_id.clone()).or_else(|| opened.outer.message_id.clone())
}

fn raw_name(id: u64) -> String {
    format!("inbox/{id}.eml.age")
}
