//! Read receipts: answering a verified sender's request, and deciding
//! whether a receipt that came back proves anything.
//!
//! A receipt is only ever sent to the verified, pinned address of the
//! signer of the message that was read, never to an address named in the
//! message: a receipt to a stranger would confirm that the address is live.
//!
//! A receipt that comes back is accepted only when it decrypted, is signed by
//! the verified key pinned for the recipient of the original, names a message
//! that was sent to that recipient, says it was displayed, and carries the
//! SHA-256 of exactly the content that was sent. Anything else is rejected
//! and recorded, never shown as a receipt.

use std::time::SystemTime;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::contacts::{now, Contact, Contacts};
use crate::message::receipt::{self as wire, ReceiptDraft, Sending};
use crate::message::{new_message_id, Opened, Seal, Status};
use crate::outbox::{self, Outgoing, Queued, ReadReceipt, SentList};
use crate::store::Store;

/// Whether an incoming message is a read receipt (a disposition
/// notification), encrypted or not.
pub fn is_receipt(opened: &Opened) -> bool {
    opened.outer.is_report || opened.content.as_ref().is_some_and(|c| c.report.is_some())
}

/// What was decided about an incoming receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted { original: String, receipt: ReadReceipt },
    Rejected { original: Option<String>, reason: String },
}

/// What the inbox keeps about a receipt it received.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The Message-ID the receipt names, as it names it.
    pub original_message_id: Option<String>,
    pub accepted: bool,
    /// Why it was rejected.
    pub reason: Option<String>,
}

impl Verdict {
    pub fn record(&self) -> Checked {
        match self {
            Verdict::Accepted { original, .. } => {
                Checked { original_message_id: Some(original.clone()), accepted: true, reason: None }
            }
            Verdict::Rejected { original, reason } => {
                Checked { original_message_id: original.clone(), accepted: false, reason: Some(reason.clone()) }
            }
        }
    }
}

/// Checks an incoming receipt against the contacts and what was sent.
pub fn check(opened: &Opened, contacts: &Contacts, sent: &SentList) -> Verdict {
    let report = opened.content.as_ref().and_then(|c| c.report.as_ref());
    let original = report.and_then(|r| r.original_message_id.clone());
    let reject = |reason: String| Verdict::Rejected { original: original.clone(), reason };
    if opened.status != Status::Verified {
        return reject(format!("it is {}: {}", opened.status.name(), opened.status.explain()));
    }
    let (Some(report), Seal::Signed { signer }) = (report, &opened.seal) else {
        return reject("it is not a signed disposition notification".to_string());
    };
    let Some(contact) = signer.parse().ok().and_then(|fpr| contacts.by_fingerprint(&fpr)) else {
        return reject("its signer is not a contact".to_string());
    };
    if !report.displayed() {
        return reject(format!(
            "it does not say the message was displayed (Disposition: {})",
            report.disposition.as_deref().unwrap_or("missing")
        ));
    }
    let Some(original_id) = &original else {
        return reject("it names no original message".to_string());
    };
    let Some(message) = sent.find(original_id) else {
        return reject(format!("it names {original_id}, which you never sent"));
    };
    if message.to != contact.address {
        return reject(format!(
            "it is signed by {} <{}>, who was not a recipient of {original_id} (sent to {})",
            contact.alias, contact.address, message.to
        ));
    }
    match (&report.original_sha256, &message.content_sha256) {
        (Some(got), Some(sent)) if got == sent => {}
        (_, None) => return reject(format!("no digest of {original_id} was kept to check it against")),
        _ => return reject("its digest does not match the content that was sent".to_string()),
    }
    let Some(read_at) = opened.signed_at else {
        return reject("its signature carries no time".to_string());
    };
    Verdict::Accepted {
        original: original_id.clone(),
        receipt: ReadReceipt {
            read_at,
            reader: contact.address.clone(),
            signer: signer.clone(),
            receipt_message_id: opened.content.as_ref().and_then(|c| c.message_id.clone()),
            received_at: now(),
            sha256: report.original_sha256.clone(),
        },
    }
}

/// Seals a read receipt for `opened` (a verified message from `contact`)
/// and puts it in the outbox. Delivering it is the caller's next step.
pub fn enqueue(
    store: &Store,
    config: &Config,
    contacts: &Contacts,
    contact: &Contact,
    opened: &Opened,
    sending: Sending,
) -> Result<Queued> {
    let content = opened.content.as_ref().context("a receipt needs the decrypted message")?;
    let original = content
        .message_id
        .clone()
        .or_else(|| opened.outer.message_id.clone())
        .context("the message has no Message-ID to name in a receipt")?;
    let digest = opened.content_sha256.clone().context("a receipt needs the digest of the decrypted message")?;
    // Refuses unless the contact is verified for sending.
    let (contact, cert) = contacts.recipient(&contact.address)?;
    let draft = ReceiptDraft {
        from_name: config.account.name.clone(),
        from_address: config.account.address.clone(),
        to_address: contact.address.clone(),
        original_message_id: original.clone(),
        original_subject: content.subject.clone(),
        original_sha256: digest,
        sending,
        message_id: new_message_id(&config.account.address),
        date: SystemTime::now(),
    };
    let sealed = wire::compose(&draft, store.secret_cert(), &cert)?;
    let queued = Queued {
        message_id: draft.message_id.clone(),
        to: contact.address.clone(),
        subject: format!("read receipt for {original}"),
        created_at: now(),
        attempts: 0,
        last_error: None,
        raw: String::from_utf8(sealed.raw).context("the composed receipt is not ASCII")?,
        content_sha256: Some(sealed.content_sha256),
        receipt_requested: false,
        receipt_for: Some(original),
        kind: Outgoing::Receipt,
    };
    outbox::enqueue(store, &queued)?;
    Ok(queued)
}
