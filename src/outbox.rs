//! The outbox: every message is written here, durably and encrypted, before
//! any attempt to deliver it, and leaves only once the next hop accepted it.
//!
//! The Message-ID is fixed when a message enters the outbox; every retry
//! sends the same bytes, so a retry after an uncertain failure can at worst
//! deliver a duplicate that the receiving side recognizes and ignores.
//! Delivered messages move to the sent folder.
//!
//! A message the server refused for good (a 5xx reply: a wrong password,
//! a message too large) is marked refused, with the time, beside the outbox
//! (the queued entries keep their form). It stays queued, but an automatic
//! flush skips it until the account changed after the refusal (a new
//! password or config), since sending it the same way would be refused the
//! same way; `outbox --flush` tries it anyway.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contacts::now;
use crate::store::Store;
use crate::transport::{Refused, Transport};

const FOLDER: &str = "outbox";
const SENT_INDEX: &str = "sent/index.age";
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
    /// The finished wire message (ASCII: PGP/MIME is 7-bit).
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
}

#[derive(Serialize, Deserialize, Default)]
pub struct SentList {
    pub sent: Vec<Sent>,
}

impl SentList {
    pub fn load(store: &Store) -> Result<SentList> {
        let mut list: SentList = store.read(SENT_INDEX)?.unwrap_or_default();
        // Lists written before messages were numbered held messages and
        // receipts only: number the messages in order.
        if list.sent.iter().all(|s| s.id == 0) {
            let mut n = 0;
            for sent in list.sent.iter_mut().filter(|s| s.kind == Outgoing::Message && s.receipt_for.is_none()) {
                n += 1;
                sent.id = n;
            }
        }
        Ok(list)
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        store.write(SENT_INDEX, self)
    }

    /// Sent messages, not counting what sealpost sent on the user's behalf
    /// (read receipts, handshake steps, key announcements).
    pub fn messages(&self) -> impl Iterator<Item = &Sent> {
        self.sent.iter().filter(|s| s.kind == Outgoing::Message && s.receipt_for.is_none())
    }

    /// A sent message (not a receipt) by its Message-ID.
    pub fn find(&self, message_id: &str) -> Option<&Sent> {
        self.messages().find(|s| s.message_id == message_id)
    }

    /// Records an accepted receipt. The first one counts: a later receipt
    /// for the same message (a re-send, another device) changes nothing.
    /// Returns whether the state changed.
    pub fn mark_read(&mut self, message_id: &str, receipt: ReadReceipt) -> bool {
        match self
            .sent
            .iter_mut()
            .find(|s| s.message_id == message_id && s.kind == Outgoing::Message && s.receipt_for.is_none())
        {
            Some(sent) if sent.read.is_none() => {
                sent.read = Some(receipt);
                true
            }
            _ => false,
        }
    }
}

fn entry_name(message_id: &str) -> String {
    let digest = Sha256::digest(message_id.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{FOLDER}/{hex}.age")
}

/// Puts a message in the outbox, durably.
pub fn enqueue(store: &Store, queued: &Queued) -> Result<()> {
    store.write(&entry_name(&queued.message_id), queued)
}

/// Everything waiting, oldest first.
pub fn queued(store: &Store) -> Result<Vec<Queued>> {
    let mut all = Vec::new();
    for name in store.list(FOLDER)? {
        if let Some(q) = store.read::<Queued>(&format!("{FOLDER}/{name}"))? {
            all.push(q);
        }
    }
    all.sort_by_key(|q| q.created_at);
    Ok(all)
}

/// The result of trying to deliver the outbox.
#[derive(Default, Debug)]
pub struct Flushed {
    pub delivered: Vec<Queued>,
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
pub fn flush(store: &Store, transport: &mut dyn Transport, retry: Retry) -> Result<Flushed> {
    let mut result = Flushed::default();
    for mut queued in queued(store)? {
        if retry.skips(store, &queued)? {
            result.held.push(queued);
            continue;
        }
        let refused = refused_at(store, &queued.message_id)?;
        queued.attempts += 1;
        match transport.deliver(&queued.to, queued.raw.as_bytes()) {
            Ok(()) => {
                record_sent(store, &queued)?;
                store.remove(&entry_name(&queued.message_id))?;
                if refused.is_some() {
                    set_refused(store, &queued.message_id, None)?;
                }
                result.delivered.push(queued);
            }
            Err(e) => {
                let reason = format!("{e:#}");
                queued.last_error = Some(reason.clone());
                enqueue(store, &queued)?;
                match e.downcast::<Refused>() {
                    Ok(refusal) => {
                        set_refused(store, &queued.message_id, Some(unix_ms(std::time::SystemTime::now())))?;
                        result.refused.push((queued, refusal));
                    }
                    Err(_) => {
                        if refused.is_some() {
                            set_refused(store, &queued.message_id, None)?;
                        }
                        result.failed.push((queued, reason));
                    }
                }
            }
        }
    }
    Ok(result)
}

/// Keeps the sent copy (readable by the sender) and lists it as sent.
fn record_sent(store: &Store, queued: &Queued) -> Result<()> {
    let mut list = SentList::load(store)?;
    if list.sent.iter().any(|s| s.message_id == queued.message_id) {
        return Ok(());
    }
    let name = entry_name(&queued.message_id).replacen(FOLDER, "sent", 1).replace(".age", ".eml.age");
    store.write_bytes(&name, queued.raw.as_bytes())?;
    list.sent.push(Sent {
        // Only messages are numbered: the numbers `sent` shows run 1, 2, 3.
        id: if queued.kind == Outgoing::Message && queued.receipt_for.is_none() {
            list.messages().map(|s| s.id).max().unwrap_or(0) + 1
        } else {
            0
        },
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
    });
    list.save(store)
}

/// A message the user wrote, wherever it is now.
#[derive(Clone, Debug)]
pub enum Tracked {
    Queued(Queued),
    Sent(Sent),
}

impl Tracked {
    pub fn message_id(&self) -> &str {
        match self {
            Tracked::Queued(q) => &q.message_id,
            Tracked::Sent(s) => &s.message_id,
        }
    }
}

/// Every message the user wrote (read receipts left out): sent ones in the
/// order they left, then the queued ones, oldest first.
pub fn tracked(store: &Store) -> Result<Vec<Tracked>> {
    let sent = SentList::load(store)?;
    let mut all: Vec<Tracked> = sent.messages().cloned().map(Tracked::Sent).collect();
    all.extend(
        queued(store)?
            .into_iter()
            .filter(|q| q.kind == Outgoing::Message && q.receipt_for.is_none())
            .map(Tracked::Queued),
    );
    Ok(all)
}
