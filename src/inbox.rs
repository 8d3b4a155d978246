//! Received messages, kept in the encrypted store.
//!
//! Each message is kept as it arrived (the document `inbox/<id>.eml.age`)
//! so `read` can open it again with today's contact list, plus a row of
//! the store's `inbox` table with what is listed (`Entry`), indexed by
//! what commands look it up by: nothing here reads the whole inbox unless
//! the command shows the whole inbox.
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

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::contacts::{now, Contact, Contacts};
use crate::message::{self, Opened, Seal, Status};
use crate::receipt;
use crate::store::{InboxQuery, InboxRow, Store};

/// Where the inbox stands besides its rows.
const STATE: &str = "inbox/state";
/// The whole inbox in one document, as stores before the database kept it
/// (see `from_index`).
pub(crate) const OLD_INDEX: &str = "inbox/index.age";

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

/// The inbox of a store: its rows are read and written as asked; `cursor`
/// and the message last read are kept by `save`.
pub struct Inbox<'s> {
    store: &'s Store,
    state: State,
    /// Where incremental fetching from the server stands.
    pub cursor: crate::transport::imap::Cursor,
}

#[derive(Serialize, Deserialize, Default)]
struct State {
    /// The highest id ever given: ids are never given twice, not even
    /// after a message is removed.
    next_id: u64,
    #[serde(default)]
    cursor: crate::transport::imap::Cursor,
    /// The message `read` showed last: what `reply --last` answers (only if
    /// it is verified). Not the newest message, which may be another
    /// client's that arrived after the user read this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_read: Option<u64>,
}

/// The inbox as one document, as stores before the database kept it.
#[derive(Deserialize)]
struct OldIndex {
    next_id: u64,
    entries: Vec<Entry>,
    seen_sources: Vec<String>,
    #[serde(default)]
    cursor: crate::transport::imap::Cursor,
    #[serde(default)]
    last_read: Option<u64>,
}

/// Moves an inbox kept as one document (`OLD_INDEX`, JSON) into rows:
/// part of moving a store into its database (see `store::migration`).
pub(crate) fn from_index(db: &crate::store::Database, json: &[u8]) -> Result<()> {
    let old: OldIndex = serde_json::from_slice(json).context("reading the inbox index of the earlier store")?;
    for entry in &old.entries {
        put(db, entry)?;
        // The message itself goes under its sender's data key.
        if let Some(raw) = db.get(&raw_name(entry.id))? {
            let holder = data_key_holder(entry.sender.as_deref());
            db.put_for(&raw_name(entry.id), &crate::keys::normalize_address(&holder), &raw)?;
        }
    }
    for source in &old.seen_sources {
        db.mark_seen(source)?;
    }
    let state = State { next_id: old.next_id, cursor: old.cursor, last_read: old.last_read };
    db.put(STATE, &serde_json::to_vec(&state)?)?;
    db.remove(OLD_INDEX)
}

fn put(db: &crate::store::Database, entry: &Entry) -> Result<()> {
    let kind = if entry.receipt.is_some() {
        "receipt"
    } else if entry.handshake.is_some() {
        "handshake"
    } else {
        "message"
    };
    db.inbox_put(&InboxRow {
        id: entry.id,
        kind,
        opened: entry.opened_at.is_some(),
        raw_sha256: entry.raw_sha256.as_deref(),
        message_id: entry.message_id.as_deref(),
        signer: entry.signer(),
        receipt_for: entry.receipt.as_ref().and_then(|r| r.original_message_id.as_deref()),
        entry: &serde_json::to_vec(entry)?,
    })
}

fn parse(rows: Vec<Vec<u8>>) -> Result<Vec<Entry>> {
    rows.iter().map(|row| serde_json::from_slice(row).context("reading the inbox")).collect()
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

impl<'s> Inbox<'s> {
    pub fn load(store: &'s Store) -> Result<Inbox<'s>> {
        let state: State = store.read(STATE)?.unwrap_or_default();
        Ok(Inbox { store, cursor: state.cursor.clone(), state })
    }

    /// Keeps the cursor and the message last read (the rows are written
    /// as they change).
    pub fn save(&mut self) -> Result<()> {
        self.state.cursor = self.cursor.clone();
        self.store.write(STATE, &self.state)
    }

    /// Every message (not a read receipt or handshake step), oldest first.
    pub fn messages(&self) -> Result<Vec<Entry>> {
        parse(self.store.db().inbox_entries(InboxQuery::Messages { unread_only: false, newest: None })?)
    }

    /// The newest `count` messages (all when `None`), oldest first; only
    /// the unread ones when asked.
    pub fn newest(&self, count: Option<usize>, unread_only: bool) -> Result<Vec<Entry>> {
        parse(self.store.db().inbox_entries(InboxQuery::Messages { unread_only, newest: count })?)
    }

    /// How many messages there are, and how many of them are unread.
    pub fn count(&self) -> Result<(u64, u64)> {
        self.store.db().inbox_count()
    }

    /// The messages, newest first, read page by page: for a search that
    /// usually ends at the first few.
    pub fn newest_first(&self) -> impl Iterator<Item = Result<Entry>> + '_ {
        let mut before = u64::MAX;
        let mut page: std::vec::IntoIter<Entry> = Vec::new().into_iter();
        let mut done = false;
        std::iter::from_fn(move || loop {
            if let Some(entry) = page.next() {
                before = entry.id;
                return Some(Ok(entry));
            }
            if done {
                return None;
            }
            let query = InboxQuery::MessagesBefore { id: before.min(i64::MAX as u64), count: 200 };
            match self.store.db().inbox_entries(query).and_then(parse) {
                Ok(entries) => {
                    done = entries.len() < 200;
                    page = entries.into_iter();
                }
                Err(e) => {
                    done = true;
                    return Some(Err(e));
                }
            }
        })
    }

    /// Any stored entry by id, read receipts included.
    pub fn get(&self, id: u64) -> Result<Option<Entry>> {
        Ok(parse(self.store.db().inbox_entries(InboxQuery::Id(id))?)?.pop())
    }

    /// A message (not a read receipt) by id.
    pub fn message(&self, id: u64) -> Result<Option<Entry>> {
        Ok(self.get(id)?.filter(|e| e.receipt.is_none() && e.handshake.is_none()))
    }

    /// The newest message (not a read receipt).
    pub fn last(&self) -> Result<Option<Entry>> {
        Ok(self.newest(Some(1), false)?.pop())
    }

    /// The read receipts that name `message_id`.
    pub fn receipts_for(&self, message_id: &str) -> Result<Vec<Entry>> {
        parse(self.store.db().inbox_entries(InboxQuery::ReceiptsFor(message_id))?)
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Entry)) -> Result<()> {
        if let Some(mut entry) = self.get(id)? {
            change(&mut entry);
            put(&self.store.db(), &entry)?;
        }
        Ok(())
    }

    /// Marks a message as read (the first time only).
    pub fn mark_opened(&self, id: u64) -> Result<()> {
        self.update(id, |entry| {
            entry.opened_at.get_or_insert_with(now);
        })
    }

    /// Remembers `id` as the message `read` showed last (kept by `save`).
    pub fn set_last_read(&mut self, id: u64) {
        self.state.last_read = Some(id);
    }

    /// The message `read` showed last, if it is still stored.
    pub fn last_read(&self) -> Result<Option<Entry>> {
        match self.state.last_read {
            Some(id) => self.message(id),
            None => Ok(None),
        }
    }

    /// Records what a check of a read receipt decided, when it is checked
    /// again (the message it names became known).
    pub fn set_receipt(&self, id: u64, checked: receipt::Checked) -> Result<()> {
        self.update(id, |entry| entry.receipt = Some(checked))
    }

    /// Records how a request for a read receipt was answered.
    pub fn set_answer(&self, id: u64, answer: Answer) -> Result<()> {
        self.update(id, |entry| entry.receipt_answer = Some(answer))
    }

    pub fn has_seen(&self, source_id: &str) -> Result<bool> {
        self.store.db().has_seen(source_id)
    }

    /// Stores a message opened from `raw` (whose SHA-256 is `raw_sha256`),
    /// of `kind`, and returns its id. The caller has checked with `knows`
    /// that it is new. The raw message is written before its row.
    pub fn add(&mut self, source_id: &str, raw: &[u8], raw_sha256: &str, opened: &Opened, kind: Kind) -> Result<u64> {
        let store = self.store;
        self.mark_seen(source_id)?;
        let message_id = message_id(opened);
        self.state.next_id = self.state.next_id.max(store.db().inbox_max_id()?) + 1;
        let id = self.state.next_id;
        if opened.seal != Seal::NotEncrypted {
            store
                .write_bytes_for(&raw_name(id), &data_key_holder(opened.sender()), raw)
                .context("storing a received message")?;
        }
        let content = opened.content.as_ref();
        let entry = Entry {
            id,
            message_id,
            source_id: source_id.to_string(),
            received_at: now(),
            // The outer Date is anyone's to write: a signed message without
            // a Date of its own is dated by its signature.
            date: content.and_then(|c| c.date).or(opened.signed_at).or(opened.outer.date),
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
        };
        put(&store.db(), &entry)?;
        Ok(id)
    }

    /// Whether this message is stored already: the same bytes (SHA-256 of
    /// the raw message), or, for a message with a good signature, the same
    /// protected Message-ID signed by the same key. Nothing else counts: an
    /// unauthenticated or damaged copy must not hide a genuine one.
    pub fn knows(&self, raw_sha256: &str, opened: &Opened) -> Result<bool> {
        let authenticated = authenticated_id(opened);
        let signed = authenticated.as_ref().map(|(signer, id)| (signer.as_str(), id.as_str()));
        self.store.db().inbox_knows(raw_sha256, signed)
    }

    /// Remembers a source message as fetched (stored, or a duplicate).
    pub fn mark_seen(&self, source_id: &str) -> Result<()> {
        self.store.db().mark_seen(source_id)
    }

    /// The message as it arrived.
    pub fn raw(&self, id: u64) -> Result<Vec<u8>> {
        self.store
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

/// Whose data key a received message is kept under: the address it
/// claims to be from (a forged one too: it is about that person), or one
/// key for the messages that name no sender.
fn data_key_holder(sender: Option<&str>) -> String {
    sender.unwrap_or("(no sender)").to_string()
}

/// Every stored row, of every kind (messages, receipts, join steps), in
/// order: for the records of one contact (`records`).
pub fn all_entries(store: &Store) -> Result<Vec<Entry>> {
    parse(store.db().inbox_entries(InboxQuery::All)?)
}

/// Removes a stored message: its row and the message as received.
pub fn remove(store: &Store, id: u64) -> Result<()> {
    store.transaction(|| {
        store.db().inbox_delete(id)?;
        store.remove(&raw_name(id))
    })
}

fn raw_name(id: u64) -> String {
    format!("inbox/{id}.eml.age")
}
