//! The outbox: every message is written here, durably and encrypted, before
//! any attempt to deliver it, and leaves only once the next hop accepted it.
//!
//! The Message-ID is fixed when a message enters the outbox; every retry
//! sends the same bytes, so a retry after an uncertain failure can at worst
//! deliver a duplicate that the receiving side recognizes and ignores.
//! Delivered messages move to the sent folder.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contacts::now;
use crate::store::Store;
use crate::transport::Transport;

const FOLDER: &str = "outbox";
const SENT_INDEX: &str = "sent/index.age";

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
}

/// A delivered message, as the sent list shows it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Sent {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub created_at: u64,
    pub sent_at: u64,
}

#[derive(Serialize, Deserialize, Default)]
pub struct SentList {
    pub sent: Vec<Sent>,
}

impl SentList {
    pub fn load(store: &Store) -> Result<SentList> {
        Ok(store.read(SENT_INDEX)?.unwrap_or_default())
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
    pub failed: Vec<(Queued, String)>,
}

/// Tries to deliver every queued message. A failure is recorded on the
/// message, which stays queued; it does not stop the others.
pub fn flush(store: &Store, transport: &mut dyn Transport) -> Result<Flushed> {
    let mut result = Flushed::default();
    for mut queued in queued(store)? {
        queued.attempts += 1;
        match transport.deliver(&queued.to, queued.raw.as_bytes()) {
            Ok(()) => {
                record_sent(store, &queued)?;
                store.remove(&entry_name(&queued.message_id))?;
                result.delivered.push(queued);
            }
            Err(e) => {
                let reason = format!("{e:#}");
                queued.last_error = Some(reason.clone());
                enqueue(store, &queued)?;
                result.failed.push((queued, reason));
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
        message_id: queued.message_id.clone(),
        to: queued.to.clone(),
        subject: queued.subject.clone(),
        created_at: queued.created_at,
        sent_at: now(),
    });
    store.write(SENT_INDEX, &list)
}
