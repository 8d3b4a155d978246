//! The outbox: every message is written here, durably and encrypted, before
//! any attempt to deliver it, and leaves only once the next hop accepted it.
//!
//! The Message-ID is fixed when a message enters the outbox; every retry
//! sends the same bytes, so a retry after an uncertain failure can at worst
//! deliver a duplicate that the receiving side recognizes and ignores.
//! Delivered messages move to the sent folder.
//!
//! Acceptance is recorded before anything that can fail: the moment the
//! server accepts a message, its entry is renamed within the outbox to an
//! "accepted" name (a rename needs no free space). Only then is it recorded
//! as sent (its copy in the store, the sent list) and removed. A flush
//! never delivers an accepted entry again; it only finishes recording it,
//! so a full disk, or a kill, after the server's reply costs no second
//! copy. What is left is the moment between the server's reply and the
//! rename: a kill there delivers the message again (with the same bytes,
//! which the receiving side recognizes).
//!
//! The copy in the IMAP sent folder is its own step after that, tracked on
//! the sent-list entry (pending, then stored) and retried by every flush.
//! Before appending, the folder is searched for the message's Message-ID,
//! so an append whose result was lost is never repeated.
//!
//! A message the server refused for good (a 5xx reply: a wrong password,
//! a message too large) is marked refused, with the time, beside the outbox
//! (the queued entries keep their form). It stays queued, but an automatic
//! flush skips it until the account changed after the refusal (a new
//! password or config), since sending it the same way would be refused the
//! same way; `outbox --flush` tries it anyway.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{self, Action, Event};
use crate::contacts::now;
use crate::store::SentQuery;
use crate::store::Store;
use crate::transport::imap::Cursor;
use crate::transport::{Refused, Transport};

const FOLDER: &str = "outbox";
/// The whole sent list in one document, as stores before the database
/// kept it (see `from_index`).
const SENT_INDEX: &str = "sent/index.age";
/// Where the sent list stands besides its rows.
const SENT_STATE: &str = "sent/state";
/// Message-ID to when the server refused it for good (Unix ms).
const REFUSED: &str = "outbox-refused.age";

#[derive(Serialize, Deserialize, Default)]
struct RefusedIndex {
    by_message: std::collections::BTreeMap<String, u64>,
}

/// When the server refused a queued message for good (Unix ms), if it did.
pub fn refused_at(store: &Store, message_id: &str) -> Result<Option<u64>> {
    let index: RefusedIndex = store.read(REFUSED)?.unwrap_or_default();
    Ok(index.by_message.get(message_id).copied())
}

fn set_refused(store: &Store, message_id: &str, at: Option<u64>) -> Result<()> {
    let mut index: RefusedIndex = store.read(REFUSED)?.unwrap_or_default();
    let changed = match at {
        Some(at) => index.by_message.insert(message_id.to_string(), at) != Some(at),
        None => index.by_message.remove(message_id).is_some(),
    };
    if changed {
        store.write(REFUSED, &index)?;
    }
    Ok(())
}

fn unix_ms(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Queued {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub created_at: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The finished wire message (ASCII: PGP/MIME is 7-bit), when it was
    /// made in memory. `enqueue` keeps it as a document of its own under
    /// the recipient's data key (`wire_name`), not in the entry, so
    /// listing the outbox never reads a message; an entry read back has it
    /// empty, except one queued by a release that kept it in the entry
    /// (see `wire`).
    #[serde(default, skip_serializing)]
    pub raw: String,
    /// SHA-256 (hex) of the plaintext inside the encryption.
    #[serde(default)]
    pub content_sha256: Option<String>,
    /// The message asks the recipient for a read receipt.
    #[serde(default)]
    pub receipt_requested: bool,
    /// Set when this is a read receipt: the Message-ID it reports on.
    #[serde(default)]
    pub receipt_for: Option<String>,
    /// What sealpost sent on the user's behalf besides messages.
    #[serde(default)]
    pub kind: Outgoing,
}

/// What an outgoing message is.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Outgoing {
    /// Written by the user.
    #[default]
    Message,
    /// A read receipt.
    Receipt,
    /// A step of a join handshake.
    Handshake,
    /// The announcement of a new key.
    Announcement,
    /// A note to the user's other devices (their contacts).
    DeviceNote,
}

/// A delivered message, as the sent list shows it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Sent {
    /// The number `sealpost sent` shows, stable for the life of the store.
    #[serde(default)]
    pub id: u64,
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub created_at: u64,
    pub sent_at: u64,
    #[serde(default)]
    pub content_sha256: Option<String>,
    #[serde(default)]
    pub receipt_requested: bool,
    #[serde(default)]
    pub receipt_for: Option<String>,
    #[serde(default)]
    pub kind: Outgoing,
    /// The accepted read receipt, once one came back.
    #[serde(default)]
    pub read: Option<ReadReceipt>,
    /// The copy in the IMAP sent folder; `None` when there is no such
    /// folder to keep one in (or for messages sent before this was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_copy: Option<SentCopy>,
    /// The Message-ID of the wire headers (a random one, not the protected
    /// one): how the copy in the sent folder is known without opening it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outer_message_id: Option<String>,
}

/// Where the copy of a sent message in the IMAP sent folder stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SentCopy {
    /// Still to be stored: every flush tries until it is.
    Pending,
    /// In the sent folder.
    Stored,
}

/// A read receipt that passed every check: decrypted, signed by the
/// recipient's verified key, naming this message and its exact content.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReadReceipt {
    /// When the reader's key signed the receipt (Unix time).
    pub read_at: i64,
    /// The reader's address: the recipient the message was sent to.
    pub reader: String,
    /// The fingerprint (hex) of the key that signed the receipt.
    pub signer: String,
    /// The receipt's own Message-ID.
    pub receipt_message_id: Option<String>,
    /// When sealpost accepted it.
    pub received_at: u64,
    /// The SHA-256 (hex) the receipt names: what the reader decrypted.
    /// Receipts accepted before it was kept had it checked all the same.
    #[serde(default)]
    pub sha256: Option<String>,
    /// The receipt named no digest (Delta Chat sends none): read, but not
    /// bound to the content that was sent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unbound: bool,
}

/// The sent list of a store: one row per message that left (see
/// `store`), read and written as asked; `folder_cursor` is kept by `save`.
pub struct SentList<'s> {
    store: &'s Store,
    /// Where reading the IMAP sent folder stands (see `receive`): saved
    /// with the notes read from it, in one transaction.
    pub folder_cursor: Cursor,
}

#[derive(Serialize, Deserialize, Default)]
struct SentState {
    #[serde(default)]
    folder_cursor: Cursor,
}

/// The sent list as one document, as stores before the database kept it.
#[derive(Deserialize, Default)]
struct OldSentList {
    sent: Vec<Sent>,
    #[serde(default)]
    folder_cursor: Cursor,
}

/// Whether a sent message is one the user wrote (not a read receipt,
/// handshake step, key announcement or device note): those are numbered.
fn written_by_user(sent: &Sent) -> bool {
    sent.kind == Outgoing::Message && sent.receipt_for.is_none()
}

fn parse(rows: Vec<Vec<u8>>) -> Result<Vec<Sent>> {
    rows.iter().map(|row| serde_json::from_slice(row).context("reading the sent list")).collect()
}

fn put(db: &crate::store::Database, sent: &Sent) -> Result<()> {
    db.sent_put(&crate::store::SentRow {
        message_id: &sent.message_id,
        number: (written_by_user(sent) && sent.id > 0).then_some(sent.id),
        outer_message_id: sent.outer_message_id.as_deref(),
        copy_pending: sent.sent_copy == Some(SentCopy::Pending),
        entry: &serde_json::to_vec(sent)?,
    })
}

/// Moves a sent list kept as one document (`SENT_INDEX`) into rows, and
/// its sent copies under their recipients' data keys: part of moving a
/// store of the earlier form into its database (see `store::migration`).
pub(crate) fn from_index(db: &crate::store::Database) -> Result<()> {
    let Some(json) = db.get(SENT_INDEX)? else { return Ok(()) };
    let mut old: OldSentList = serde_json::from_slice(&json).context("reading the sent list of the earlier store")?;
    // Lists written before messages were numbered held messages and
    // receipts only: number the messages in order.
    if old.sent.iter().all(|s| s.id == 0) {
        let mut n = 0;
        for sent in old.sent.iter_mut().filter(|s| written_by_user(s)) {
            n += 1;
            sent.id = n;
        }
    }
    for sent in &old.sent {
        put(db, sent)?;
        let name = sent_copy_name(&sent.message_id);
        if let Some(raw) = db.get(&name)? {
            db.put_for(&name, &crate::keys::normalize_address(&sent.to), &raw)?;
        }
    }
    db.put(SENT_STATE, &serde_json::to_vec(&SentState { folder_cursor: old.folder_cursor })?)?;
    db.remove(SENT_INDEX)
}

impl<'s> SentList<'s> {
    pub fn load(store: &'s Store) -> Result<SentList<'s>> {
        let state: SentState = store.read(SENT_STATE)?.unwrap_or_default();
        Ok(SentList { store, folder_cursor: state.folder_cursor })
    }

    /// Keeps the sent folder's cursor (the rows are written as they change).
    pub fn save(&self) -> Result<()> {
        self.store.write(SENT_STATE, &SentState { folder_cursor: self.folder_cursor.clone() })
    }

    /// Sent messages, not counting what sealpost sent on the user's behalf
    /// (read receipts, handshake steps, key announcements), in the order
    /// they left.
    pub fn messages(&self) -> Result<Vec<Sent>> {
        parse(self.store.db().sent_entries(SentQuery::Numbered)?)
    }

    /// Everything that left, in order.
    pub fn all(&self) -> Result<Vec<Sent>> {
        parse(self.store.db().sent_entries(SentQuery::All)?)
    }

    /// How many messages the user sent.
    pub fn count(&self) -> Result<u64> {
        self.store.db().sent_count()
    }

    /// A sent message (not a receipt) by its Message-ID.
    pub fn find(&self, message_id: &str) -> Result<Option<Sent>> {
        Ok(self.get(message_id)?.filter(written_by_user))
    }

    /// Anything that left, by its Message-ID.
    pub fn get(&self, message_id: &str) -> Result<Option<Sent>> {
        Ok(parse(self.store.db().sent_entries(SentQuery::MessageId(message_id))?)?.pop())
    }

    /// A sent message by the number `sent` shows.
    pub fn numbered(&self, number: u64) -> Result<Option<Sent>> {
        Ok(parse(self.store.db().sent_entries(SentQuery::Number(number))?)?.pop())
    }

    /// Whether a message with this outer (wire) Message-ID is listed.
    pub fn has_outer(&self, outer_message_id: &str) -> Result<bool> {
        self.store.db().sent_has_outer(outer_message_id)
    }

    /// Those whose copy for the IMAP sent folder is still to be stored.
    pub fn copies_pending(&self) -> Result<Vec<Sent>> {
        parse(self.store.db().sent_entries(SentQuery::CopyPending)?)
    }

    /// Writes a changed entry back.
    pub fn update(&self, sent: &Sent) -> Result<()> {
        put(&self.store.db(), sent)
    }

    /// Lists `sent`, numbering it when the user wrote it (the numbers
    /// `sent` shows run 1, 2, 3). The caller has checked that it is new.
    fn add(&self, mut sent: Sent) -> Result<()> {
        sent.id = if written_by_user(&sent) { self.store.db().sent_max_number()? + 1 } else { 0 };
        put(&self.store.db(), &sent)
    }

    /// Adds what the user sent from another device, read from the sent
    /// folder: its raw copy is kept as for what is sent here, and a
    /// message is numbered like any. The caller has checked that it is new.
    pub fn add_from_folder(&self, mut sent: Sent, raw: &[u8]) -> Result<()> {
        self.store.write_bytes_for(&sent_copy_name(&sent.message_id), &sent.to, raw)?;
        sent.sent_copy = Some(SentCopy::Stored);
        self.add(sent)
    }

    /// Records an accepted receipt. The first one counts: a later receipt
    /// for the same message (a re-send, another device) changes nothing.
    /// Returns whether the state changed.
    pub fn mark_read(&self, message_id: &str, receipt: ReadReceipt) -> Result<bool> {
        match self.find(message_id)? {
            Some(mut sent) if sent.read.is_none() => {
                sent.read = Some(receipt);
                self.update(&sent)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

fn entry_name(message_id: &str) -> String {
    format!("{FOLDER}/{}.age", entry_stem(message_id))
}

/// An entry the server has accepted: it is never delivered again.
const ACCEPTED: &str = ".accepted.age";

fn accepted_name(message_id: &str) -> String {
    format!("{FOLDER}/{}{ACCEPTED}", entry_stem(message_id))
}

fn entry_stem(message_id: &str) -> String {
    let digest = Sha256::digest(message_id.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the wire message of an outbox entry is kept: beside the outbox,
/// not in it, so listing the outbox reads the entries only.
fn wire_name(message_id: &str) -> String {
    format!("{WIRE_FOLDER}/{}.eml", entry_stem(message_id))
}

const WIRE_FOLDER: &str = "outbox-wire";

/// Puts a message in the outbox, durably: its wire message (when the
/// entry carries one) and the entry, in one transaction. Writing an entry
/// read back (a failed attempt recorded) leaves its wire message as it is.
pub fn enqueue(store: &Store, queued: &Queued) -> Result<()> {
    store.transaction(|| {
        if !queued.raw.is_empty() {
            store.write_bytes_for(&wire_name(&queued.message_id), &queued.to, queued.raw.as_bytes())?;
        }
        store.write(&entry_name(&queued.message_id), queued)
    })
}

/// Puts a message in the outbox whose wire message `write` writes, a
/// chunk at a time (a message of any size is never whole in memory), then
/// the entry `write` returns (its `raw` is not used), in one transaction.
pub fn enqueue_streamed(
    store: &Store,
    message_id: &str,
    to: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<Queued>,
) -> Result<()> {
    store.transaction(|| {
        let queued = store.write_stream(&wire_name(message_id), Some(to), write)?;
        anyhow::ensure!(queued.message_id == message_id && queued.to == to, "an outbox entry for another message");
        store.write(&entry_name(message_id), &Queued { raw: String::new(), ..queued })
    })
}

/// The wire message of a queued entry.
pub fn wire(store: &Store, queued: &Queued) -> Result<Vec<u8>> {
    if !queued.raw.is_empty() {
        return Ok(queued.raw.as_bytes().to_vec());
    }
    store
        .read_bytes(&wire_name(&queued.message_id))?
        .with_context(|| format!("the outbox has lost the message {}; the store is damaged", queued.message_id))
}

/// The outbox's entries, oldest first: waiting ones (`false`) and ones the
/// server accepted that are not recorded as sent yet (`true`): renamed in
/// the store, or, when the store could not be written, marked (see
/// `deliver_one`).
fn entries(store: &Store) -> Result<Vec<(Queued, bool)>> {
    let marked: std::collections::BTreeSet<String> = store.marks(MARK_ACCEPTED)?.into_iter().collect();
    let mut all = Vec::new();
    for name in store.list(FOLDER)? {
        if let Some(q) = store.read::<Queued>(&format!("{FOLDER}/{name}"))? {
            let accepted = name.ends_with(ACCEPTED) || marked.contains(&accepted_mark(&q.message_id));
            all.push((q, accepted));
        }
    }
    all.sort_by_key(|(q, _)| q.created_at);
    Ok(all)
}

/// Set before a message is handed to the server; renamed to
/// `accepted_mark` the moment the server accepts it. A rename needs no
/// free space, so on a full disk the message is still known as accepted
/// and never delivered again, though the store cannot record it yet.
fn sending_mark(message_id: &str) -> String {
    format!("outbox-{}{MARK_SENDING}", entry_stem(message_id))
}

fn accepted_mark(message_id: &str) -> String {
    format!("outbox-{}{MARK_ACCEPTED}", entry_stem(message_id))
}

const MARK_SENDING: &str = ".sending";
const MARK_ACCEPTED: &str = ".accepted";

/// Hands one queued message to the server. `Err` when the mark that will
/// record its acceptance cannot be set: then nothing was sent. Otherwise
/// what the server said; once it accepted, the mark says so (or, if even
/// the rename failed, the store is told directly).
fn deliver_one(store: &Store, transport: &mut dyn Transport, queued: &Queued) -> Result<Result<()>> {
    let sending = sending_mark(&queued.message_id);
    store.set_mark(&sending).context("the store cannot be written, so nothing was sent")?;
    let raw = match wire(store, queued) {
        Ok(raw) => raw,
        Err(e) => {
            store.remove_mark(&sending)?;
            return Ok(Err(e));
        }
    };
    let delivered = transport.deliver(&queued.to, &raw);
    drop(raw);
    match &delivered {
        Ok(()) => {
            accepted_now(&queued.message_id);
            if let Err(e) = store.move_mark(&sending, &accepted_mark(&queued.message_id)) {
                crate::error::warn(&format!("marking {} as accepted: {e:#}", queued.message_id));
                store.rename(&entry_name(&queued.message_id), &accepted_name(&queued.message_id))?;
                store.remove_mark(&sending)?;
            }
        }
        Err(_) => store.remove_mark(&sending)?,
    }
    Ok(delivered)
}

/// Moves an acceptance known only by its mark into the store, then drops
/// the mark. Repeating it after a crash changes nothing.
fn record_mark(store: &Store, message_id: &str) -> Result<()> {
    let mark = accepted_mark(message_id);
    if !store.has_mark(&mark)? {
        return Ok(());
    }
    if store.read_bytes(&entry_name(message_id))?.is_some() {
        store.rename(&entry_name(message_id), &accepted_name(message_id))?;
    }
    store.remove_mark(&mark)
}

/// Everything waiting to be delivered, oldest first.
pub fn queued(store: &Store) -> Result<Vec<Queued>> {
    Ok(entries(store)?.into_iter().filter(|(_, accepted)| !accepted).map(|(q, _)| q).collect())
}

/// Messages the server accepted that are not recorded as sent yet (the
/// store could not be written then), oldest first. They are never
/// delivered again; the next flush records them.
pub fn accepted(store: &Store) -> Result<Vec<Queued>> {
    Ok(entries(store)?.into_iter().filter(|(_, accepted)| *accepted).map(|(q, _)| q).collect())
}

/// The result of trying to deliver the outbox.
#[derive(Default, Debug)]
pub struct Flushed {
    /// Accepted by the server and recorded as sent: just now, or (when the
    /// store could not be written then) by an earlier flush.
    pub delivered: Vec<Queued>,
    /// Accepted by the server, but recording them as sent failed (a full
    /// disk): they are never delivered again, and the next flush records
    /// them. With the reason.
    pub unrecorded: Vec<(Queued, String)>,
    /// Failed for now (4xx, no connection): retried by the next flush.
    pub failed: Vec<(Queued, String)>,
    /// Refused for good just now (5xx): not retried until the account changes.
    pub refused: Vec<(Queued, Refused)>,
    /// Refused earlier and skipped, the account unchanged since.
    pub held: Vec<Queued>,
}

/// Which messages a flush tries.
#[derive(Clone, Copy, Debug)]
pub enum Retry {
    /// Every queued message, refused ones too (`outbox --flush`).
    All,
    /// Skip a refused message unless the account changed after the refusal.
    UnlessRefusedSince(std::time::SystemTime),
}

impl Retry {
    /// Whether a flush with this policy skips `queued`.
    pub fn skips(self, store: &Store, queued: &Queued) -> Result<bool> {
        Ok(match (self, refused_at(store, &queued.message_id)?) {
            (Retry::UnlessRefusedSince(changed), Some(at)) => at >= unix_ms(changed),
            _ => false,
        })
    }
}

/// The error for messages the server refused for good: what it means, the
/// fix, and that they wait in the outbox (exit 1: retrying will not help).
pub fn refused_error(refused: &[(Queued, Refused)]) -> anyhow::Error {
    let lines: Vec<String> =
        refused.iter().map(|(queued, refusal)| format!("not sent to {}: {}", queued.to, refusal.advice())).collect();
    anyhow::anyhow!(
        "{}\nthe message(s) stay in the outbox and are not retried until the account changes (the config, or \
         `sealpost account set-password`) or you run `sealpost outbox --flush`",
        lines.join("\n")
    )
}

/// Tries to deliver the queued messages `retry` allows. A failure is
/// recorded on the message, which stays queued; it does not stop the others.
/// Messages accepted earlier but not recorded are recorded, not delivered
/// again; then the sent-folder copies still pending are stored. Neither a
/// failed recording nor a failed copy stops the rest.
pub fn flush(store: &Store, transport: &mut dyn Transport, retry: Retry) -> Result<Flushed> {
    let copies = transport.keeps_sent_copies();
    let mut result = record_accepted(store, copies)?;
    for mut queued in queued(store)? {
        if retry.skips(store, &queued)? {
            result.held.push(queued);
            continue;
        }
        queued.attempts += 1;
        let delivered = match deliver_one(store, transport, &queued) {
            Ok(delivered) => delivered,
            Err(e) => {
                // The store cannot be written: nothing more is handed to
                // the server in this round (and this one may have been).
                result.failed.push((queued, format!("{e:#}")));
                break;
            }
        };
        match delivered {
            Ok(()) => {
                // The mark says it was accepted: from here on the message
                // is never delivered again, whatever the store can record.
                let recorded = record_mark(store, &queued.message_id).and_then(|()| finish(store, &queued, copies));
                match recorded {
                    Ok(()) => result.delivered.push(queued),
                    Err(e) => result.unrecorded.push((queued, format!("{e:#}"))),
                }
            }
            Err(e) => {
                let reason = format!("{e:#}");
                queued.last_error = Some(reason.clone());
                // Bookkeeping of a failure: when the store cannot be
                // written, the message is still queued as it was.
                let _ = enqueue(store, &queued);
                let refused = refused_at(store, &queued.message_id).ok().flatten();
                match e.downcast::<Refused>() {
                    Ok(refusal) => {
                        let _ = set_refused(store, &queued.message_id, Some(unix_ms(std::time::SystemTime::now())));
                        result.refused.push((queued, refusal));
                    }
                    Err(_) => {
                        if refused.is_some() {
                            let _ = set_refused(store, &queued.message_id, None);
                        }
                        result.failed.push((queued, reason));
                    }
                }
            }
        }
    }
    if copies {
        store_sent_copies(store, transport);
    }
    Ok(result)
}

/// Records the messages the server accepted earlier that are not recorded
/// yet, without delivering them again: `delivered` when that worked,
/// `unrecorded` when it failed again. `sent_copy`: whether they get a copy
/// in the sent folder.
pub fn record_accepted(store: &Store, sent_copy: bool) -> Result<Flushed> {
    // A message being handed over when its sealpost died: whether the
    // server took it is not known, and it stays queued.
    for stale in store.marks(MARK_SENDING)? {
        store.remove_mark(&stale)?;
    }
    let mut result = Flushed::default();
    for queued in accepted(store)? {
        match record_mark(store, &queued.message_id).and_then(|()| finish(store, &queued, sent_copy)) {
            Ok(()) => result.delivered.push(queued),
            Err(e) => result.unrecorded.push((queued, format!("{e:#}"))),
        }
    }
    Ok(result)
}

/// Whether a flush has anything to do besides the queue: accepted messages
/// to record, or (when there is a sent folder: `sent_copies`) copies to
/// store in it.
pub fn unfinished(store: &Store, sent_copies: bool) -> Result<bool> {
    Ok(!accepted(store)?.is_empty() || (sent_copies && !SentList::load(store)?.copies_pending()?.is_empty()))
}

/// What to tell the user about a message the server accepted that could
/// not be recorded as sent.
pub fn unrecorded_notice(queued: &Queued, reason: &str) -> String {
    format!(
        "{} to {} was delivered, but could not be recorded as sent ({reason}); it will not be sent again, and \
         the next `sealpost sync` records it once the store can be written again (free some disk space)",
        queued.message_id, queued.to
    )
}

/// The error for messages delivered but not recorded as sent (exit 1).
pub fn unrecorded_error(count: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "{count} message(s) were delivered but could not be recorded as sent; they will not be sent again, and \
         the next sync records them once the store can be written"
    )
}

/// Records an accepted message as sent and removes it from the outbox.
/// Each step may be repeated after a crash: `record_sent` does nothing for
/// a message already listed.
fn finish(store: &Store, queued: &Queued, sent_copy: bool) -> Result<()> {
    record_sent(store, queued, sent_copy)?;
    if refused_at(store, &queued.message_id)?.is_some() {
        set_refused(store, &queued.message_id, None)?;
    }
    store.remove(&accepted_name(&queued.message_id))
}

/// Stores the sent-folder copies still pending, each marked stored once it
/// is. One that fails is left pending, with a warning, for the next flush;
/// the first that the server does not take ends the round (the others
/// would most likely fail the same way).
fn store_sent_copies(store: &Store, transport: &mut dyn Transport) {
    let warn = |e: anyhow::Error| {
        crate::error::warn(&format!(
            "sent, but the copy for the IMAP sent folder is not stored yet ({e:#}); the next sync tries again"
        ))
    };
    let (list, pending) = match SentList::load(store).and_then(|list| Ok((list.copies_pending()?, list))) {
        Ok((pending, list)) => (list, pending),
        Err(e) => return warn(e),
    };
    for mut sent in pending {
        let message_id = sent.message_id.clone();
        let copy = store.read_bytes(&sent_copy_name(&message_id)).and_then(|raw| {
            let raw = raw.with_context(|| format!("the store's copy of {message_id} is missing"))?;
            let outer_id =
                outer_message_id(&raw).with_context(|| format!("the copy of {message_id} has no Message-ID"))?;
            Ok((raw, outer_id))
        });
        let (raw, outer_id) = match copy {
            Ok(copy) => copy,
            Err(e) => {
                warn(e);
                continue;
            }
        };
        if let Err(e) = transport.store_sent_copy(&outer_id, &raw) {
            return warn(e);
        }
        sent.sent_copy = Some(SentCopy::Stored);
        // Unsaved (a full disk), it stays pending: the next flush finds the
        // copy in the folder and appends nothing.
        if let Err(e) = list.update(&sent) {
            return crate::error::warn(&format!(
                "the copy of {message_id} is in the IMAP sent folder, but that could not be recorded ({e:#}); the \
                 next sync finds it there"
            ));
        }
    }
}

/// The Message-ID of the outer (wire) headers, with its angle brackets.
fn outer_message_id(raw: &[u8]) -> Option<String> {
    let headers = mail_parser::MessageParser::default().parse_headers(raw)?;
    headers.message_id().map(|id| format!("<{id}>"))
}

/// The store's own copy of a sent message (the wire form, encrypted to the
/// sender too), when it has one.
pub fn sent_copy(store: &Store, sent: &Sent) -> Result<Option<Vec<u8>>> {
    store.read_bytes(&sent_copy_name(&sent.message_id))
}

/// Removes a sent message from the sent list, with the store's copy.
pub fn remove_sent(store: &Store, message_id: &str) -> Result<()> {
    store.transaction(|| {
        store.db().sent_delete(message_id)?;
        store.remove(&sent_copy_name(message_id))
    })
}

/// A Message-ID without its angle brackets, as a shell takes it unquoted.
pub fn bare_id(message_id: &str) -> &str {
    message_id.trim_start_matches('<').trim_end_matches('>')
}

/// How a withdrawn message stood (`cancel`).
#[derive(Debug, PartialEq, Eq)]
pub enum Withdrawn {
    /// Never handed to a server.
    Unsent,
    /// Being handed to a server when its sealpost was stopped (its
    /// `sending_mark` is still there): the server may have taken it.
    MaybeDelivered,
}

/// Withdraws a message waiting in the outbox (`outbox --cancel`): it is
/// never delivered, and the entry and its wire message are gone, with an
/// audit entry, in one transaction. A message the server accepted cannot
/// be withdrawn. `message_id` with or without its angle brackets.
pub fn cancel(store: &Store, message_id: &str) -> Result<(Queued, Withdrawn)> {
    let wanted = bare_id(message_id.trim());
    store
        .transaction(|| {
            let Some((queued, accepted)) = entries(store)?.into_iter().find(|(q, _)| bare_id(&q.message_id) == wanted)
            else {
                bail!("no message <{wanted}> waits in the outbox; `sealpost outbox` lists what does");
            };
            if accepted {
                bail!(
                "{} was accepted by the server already and cannot be withdrawn; the next `sealpost sync` records it \
                 as sent",
                queued.message_id
            );
            }
            let sending = sending_mark(&queued.message_id);
            let withdrawn = if store.has_mark(&sending)? { Withdrawn::MaybeDelivered } else { Withdrawn::Unsent };
            remove_entry(store, &queued.message_id)?;
            let detail = match withdrawn {
                Withdrawn::Unsent => "withdrawn from the outbox, never handed to a server",
                Withdrawn::MaybeDelivered => {
                    "withdrawn from the outbox; it was being handed to the server when stopped"
                }
            };
            audit::record(
                store,
                Event::new(Action::SendCancelled).contact(&queued.to).message(&queued.message_id).detail(detail),
            )?;
            Ok((queued, withdrawn))
        })
        .inspect(|(queued, withdrawn)| {
            // A mark is a file of its own, outside the transaction: removed
            // once the withdrawal is committed. Left behind, the next flush
            // drops it (`record_accepted`).
            if *withdrawn == Withdrawn::MaybeDelivered {
                if let Err(e) = store.remove_mark(&sending_mark(&queued.message_id)) {
                    crate::error::warn(&format!("removing the mark of {}: {e:#}", queued.message_id));
                }
            }
        })
}

/// While it lives, Ctrl-C (SIGINT) first writes `notice` to stderr (that
/// the message is queued, and how to withdraw it), then ends the process
/// as Ctrl-C does. `send` and `reply` hold one from the moment their
/// message is in the outbox until its delivery was tried: stopped in
/// between, it is sent by the next `sync`, which the user pressing Ctrl-C
/// would not expect.
pub struct InterruptNotice {
    _guard: crate::interrupt::Guard,
}

/// The message the notice is about: once the server accepted it, the
/// notice is not true any more and is taken back (`accepted_now`).
static NOTICE_FOR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// The server accepted `message_id`: a notice that it is queued is taken
/// back (Ctrl-C then ends the process without a word; the next command
/// records it as sent, as after any stop at that point).
fn accepted_now(message_id: &str) {
    let Ok(mut held) = NOTICE_FOR.lock() else { return };
    if held.as_deref() == Some(message_id) {
        crate::interrupt::unsay();
        *held = None;
    }
}

impl InterruptNotice {
    pub fn hold(message_id: &str, notice: String) -> InterruptNotice {
        if let Ok(mut held) = NOTICE_FOR.lock() {
            *held = Some(message_id.to_string());
        }
        InterruptNotice { _guard: crate::interrupt::Guard::saying(&notice) }
    }
}

impl Drop for InterruptNotice {
    fn drop(&mut self) {
        if let Ok(mut held) = NOTICE_FOR.lock() {
            *held = None;
        }
    }
}

/// Drops what waits in the outbox for `address` (queued or accepted but
/// not recorded), with its wire message; returns how many.
pub fn drop_for(store: &Store, address: &str) -> Result<usize> {
    let address = crate::keys::normalize_address(address);
    store.transaction(|| {
        let mut dropped = 0;
        for (queued, _) in entries(store)?.into_iter().filter(|(q, _)| crate::keys::normalize_address(&q.to) == address)
        {
            remove_entry(store, &queued.message_id)?;
            dropped += 1;
        }
        Ok(dropped)
    })
}

/// Removes an outbox entry (queued or accepted), its wire message and its
/// refusal, inside the caller's transaction.
fn remove_entry(store: &Store, message_id: &str) -> Result<()> {
    store.remove(&entry_name(message_id))?;
    store.remove(&accepted_name(message_id))?;
    store.remove(&wire_name(message_id))?;
    set_refused(store, message_id, None)
}

/// Where the store keeps its own copy of a sent message.
fn sent_copy_name(message_id: &str) -> String {
    format!("sent/{}.eml.age", entry_stem(message_id))
}

/// Keeps the sent copy (readable by the sender: the outbox's wire message,
/// moved, not copied) and lists it as sent, in one transaction.
fn record_sent(store: &Store, queued: &Queued, sent_copy: bool) -> Result<()> {
    store.transaction(|| record_sent_now(store, queued, sent_copy))
}

fn record_sent_now(store: &Store, queued: &Queued, sent_copy: bool) -> Result<()> {
    let list = SentList::load(store)?;
    if list.get(&queued.message_id)?.is_some() {
        return Ok(());
    }
    let copy = sent_copy_name(&queued.message_id);
    if queued.raw.is_empty() {
        store.rename(&wire_name(&queued.message_id), &copy)?;
    } else {
        store.write_bytes_for(&copy, &queued.to, queued.raw.as_bytes())?;
        store.remove(&wire_name(&queued.message_id))?;
    }
    let outer_message_id = store.read_stream(&copy, |wire| Ok(outer_message_id_of(wire)))?.flatten();
    let (action, about) = match &queued.receipt_for {
        Some(original) => (Action::ReceiptSent, original.as_str()),
        None => (Action::Sent, queued.message_id.as_str()),
    };
    let kind = serde_json::to_value(queued.kind).ok().and_then(|v| v.as_str().map(str::to_string));
    let event = Event::new(action).contact(&queued.to).message(about).sha256(queued.content_sha256.as_deref());
    audit::record(store, event.detail(format!("accepted by the server ({})", kind.unwrap_or_default())))?;
    list.add(Sent {
        id: 0,
        message_id: queued.message_id.clone(),
        to: queued.to.clone(),
        subject: queued.subject.clone(),
        created_at: queued.created_at,
        sent_at: now(),
        content_sha256: queued.content_sha256.clone(),
        receipt_requested: queued.receipt_requested,
        receipt_for: queued.receipt_for.clone(),
        kind: queued.kind,
        read: None,
        sent_copy: sent_copy.then_some(SentCopy::Pending),
        outer_message_id,
    })
}

/// The outer Message-ID of a wire message, read from its headers only.
fn outer_message_id_of(wire: &mut dyn std::io::Read) -> Option<String> {
    let mut head = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(wire, 64 * 1024), &mut head).ok()?;
    let end = head.windows(4).position(|w| w == b"\r\n\r\n").map_or(head.len(), |at| at + 4);
    outer_message_id(&head[..end])
}

/// A message the user wrote, wherever it is now.
#[derive(Clone, Debug)]
pub enum Tracked {
    Queued(Queued),
    /// Accepted by the server, not recorded as sent yet.
    Accepted(Queued),
    Sent(Sent),
}

impl Tracked {
    pub fn message_id(&self) -> &str {
        match self {
            Tracked::Queued(q) | Tracked::Accepted(q) => &q.message_id,
            Tracked::Sent(s) => &s.message_id,
        }
    }
}

/// Every message the user wrote (read receipts left out): sent ones in the
/// order they left, then accepted ones not recorded yet, then the queued
/// ones, oldest first.
pub fn tracked(store: &Store) -> Result<Vec<Tracked>> {
    let sent = SentList::load(store)?;
    let mut all: Vec<Tracked> = sent.messages()?.into_iter().map(Tracked::Sent).collect();
    let entries = entries(store)?;
    let mine = entries.into_iter().filter(|(q, _)| q.kind == Outgoing::Message && q.receipt_for.is_none());
    // Accepted ones left, then queued ones: in the order they leave.
    let (accepted, waiting): (Vec<_>, Vec<_>) = mine.partition(|(_, accepted)| *accepted);
    all.extend(accepted.into_iter().map(|(q, _)| Tracked::Accepted(q)));
    all.extend(waiting.into_iter().map(|(q, _)| Tracked::Queued(q)));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::home::Home;

    /// Takes every message; keeps sent-folder copies by Message-ID, or
    /// fails to store them when told to.
    #[derive(Default)]
    struct Server {
        delivered: Vec<String>,
        sent_folder: Vec<String>,
        copies_fail: bool,
    }

    impl Transport for Server {
        fn deliver(&mut self, _recipient: &str, raw: &[u8]) -> Result<()> {
            self.delivered.push(String::from_utf8_lossy(raw).into_owned());
            Ok(())
        }

        fn keeps_sent_copies(&self) -> bool {
            true
        }

        fn store_sent_copy(&mut self, outer_id: &str, _raw: &[u8]) -> Result<()> {
            if self.copies_fail {
                anyhow::bail!("the IMAP server cannot be reached");
            }
            if !self.sent_folder.iter().any(|id| id == outer_id) {
                self.sent_folder.push(outer_id.to_string());
            }
            Ok(())
        }
    }

    fn store(dir: &std::path::Path) -> Store {
        let ada = crate::keys::generate("Ada", "ada@practice.example").unwrap();
        Store::create(&Home::at(dir), &"passphrase".to_string().into(), &ada, Some(10)).unwrap()
    }

    fn queue(store: &Store, message_id: &str) {
        let raw = "Message-ID: <outer@practice.example>\r\nSubject: ...\r\n\r\nsealed\r\n".to_string();
        let queued = Queued {
            message_id: message_id.to_string(),
            to: "sam@client.example".into(),
            subject: "Thursday".into(),
            created_at: 1,
            attempts: 0,
            last_error: None,
            raw,
            content_sha256: None,
            receipt_requested: false,
            receipt_for: None,
            kind: Outgoing::Message,
        };
        enqueue(store, &queued).unwrap();
    }

    fn copy_state(store: &Store) -> Option<SentCopy> {
        SentList::load(store).unwrap().all().unwrap()[0].sent_copy
    }

    #[test]
    fn an_accepted_message_is_recorded_by_the_next_flush_and_never_delivered_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        queue(&store, "<m1@practice.example>");
        // What a flush that could not record it (a full disk, a kill) left.
        store.rename(&entry_name("<m1@practice.example>"), &accepted_name("<m1@practice.example>")).unwrap();
        assert!(queued(&store).unwrap().is_empty());
        assert!(matches!(tracked(&store).unwrap()[..], [Tracked::Accepted(_)]));

        let mut server = Server::default();
        let flushed = flush(&store, &mut server, Retry::All).unwrap();
        assert!(server.delivered.is_empty(), "not delivered again");
        assert_eq!(flushed.delivered.len(), 1);
        assert!(accepted(&store).unwrap().is_empty());
        assert!(matches!(tracked(&store).unwrap()[..], [Tracked::Sent(_)]));
        assert_eq!(server.sent_folder, ["<outer@practice.example>"]);
        assert_eq!(copy_state(&store), Some(SentCopy::Stored));
    }

    #[test]
    fn a_sent_copy_that_failed_is_stored_by_a_later_flush_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        queue(&store, "<m1@practice.example>");
        let mut server = Server { copies_fail: true, ..Server::default() };
        let flushed = flush(&store, &mut server, Retry::All).unwrap();
        assert_eq!((flushed.delivered.len(), server.delivered.len()), (1, 1));
        assert_eq!(copy_state(&store), Some(SentCopy::Pending));
        assert!(unfinished(&store, true).unwrap());

        server.copies_fail = false;
        flush(&store, &mut server, Retry::All).unwrap();
        assert_eq!(copy_state(&store), Some(SentCopy::Stored));
        // As if that flush was killed before it recorded the copy as stored.
        let list = SentList::load(&store).unwrap();
        let mut sent = list.all().unwrap().remove(0);
        sent.sent_copy = Some(SentCopy::Pending);
        list.update(&sent).unwrap();
        flush(&store, &mut server, Retry::All).unwrap();
        assert_eq!(server.delivered.len(), 1, "delivered once");
        assert_eq!(server.sent_folder.len(), 1, "one copy in the sent folder");
        assert!(!unfinished(&store, true).unwrap());
    }

    #[test]
    fn a_message_marked_accepted_is_never_delivered_again_and_a_stale_sending_mark_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        queue(&store, "<m1@practice.example>");
        queue(&store, "<m2@practice.example>");
        // What a flush on a full disk left: m1 accepted, known by its mark
        // only; m2 being handed over when that sealpost died.
        store.set_mark(&accepted_mark("<m1@practice.example>")).unwrap();
        store.set_mark(&sending_mark("<m2@practice.example>")).unwrap();
        assert_eq!(accepted(&store).unwrap().len(), 1);
        assert_eq!(queued(&store).unwrap()[0].message_id, "<m2@practice.example>");

        let mut server = Server::default();
        let flushed = flush(&store, &mut server, Retry::All).unwrap();
        assert_eq!(server.delivered.len(), 1, "m2 only: m1 is not delivered again");
        assert_eq!(flushed.delivered.len(), 2);
        assert!(store.marks("").unwrap().is_empty(), "{:?}", store.marks("").unwrap());
        assert!(queued(&store).unwrap().is_empty() && accepted(&store).unwrap().is_empty());
    }

    #[test]
    fn a_queued_message_is_withdrawn_and_never_delivered_and_an_accepted_one_is_not_withdrawn() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        queue(&store, "<m1@practice.example>");
        queue(&store, "<m2@practice.example>");
        queue(&store, "<m3@practice.example>");
        store.set_mark(&accepted_mark("<m1@practice.example>")).unwrap();
        store.set_mark(&sending_mark("<m3@practice.example>")).unwrap();
        let err = cancel(&store, "<m1@practice.example>").unwrap_err().to_string();
        assert!(err.contains("accepted by the server already"), "{err}");
        assert_eq!(cancel(&store, "m2@practice.example").unwrap().1, Withdrawn::Unsent);
        assert_eq!(cancel(&store, "<m3@practice.example>").unwrap().1, Withdrawn::MaybeDelivered);
        assert!(cancel(&store, "<m2@practice.example>").is_err(), "once");

        let mut server = Server::default();
        flush(&store, &mut server, Retry::All).unwrap();
        assert!(server.delivered.is_empty(), "only m1, which the server had, is recorded: {:?}", server.delivered);
        assert!(store.list(WIRE_FOLDER).unwrap().is_empty(), "no wire message is left");
        assert!(store.marks("").unwrap().is_empty());
    }
}
