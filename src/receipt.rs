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
//! SHA-256 of exactly the content that was sent, or no digest at all (Delta
//! Chat's receipts carry none: accepted as "read, not bound to content").
//! Anything else is rejected and recorded, never shown as a receipt.

use std::time::SystemTime;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::contacts::{now, Contact, Contacts};
use crate::message::receipt::{self as wire, ReceiptDraft, Sending};
use crate::message::{new_message_id, Opened, Seal, Status};
use crate::outbox::{self, Outgoing, Queued, ReadReceipt, Sent};
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

/// Checks an incoming receipt against the contacts and what was sent
/// (`sent` finds a sent message by its Message-ID). Errors are only those
/// of looking it up.
pub fn check(opened: &Opened, contacts: &Contacts, sent: &dyn Fn(&str) -> Result<Option<Sent>>) -> Result<Verdict> {
    let report = opened.content.as_ref().and_then(|c| c.report.as_ref());
    let original = report.and_then(|r| r.original_message_id.clone());
    let reject = |reason: String| Verdict::Rejected { original: original.clone(), reason };
    if opened.status != Status::Verified {
        return Ok(reject(format!("it is {}: {}", opened.status.name(), opened.status.explain())));
    }
    let (Some(report), Seal::Signed { signer }) = (report, &opened.seal) else {
        return Ok(reject("it is not a signed disposition notification".to_string()));
    };
    let Some(contact) = signer.parse().ok().and_then(|fpr| contacts.by_fingerprint(&fpr)) else {
        return Ok(reject("its signer is not a contact".to_string()));
    };
    if !report.displayed() {
        return Ok(reject(format!(
            "it does not say the message was displayed (Disposition: {})",
            report.disposition.as_deref().unwrap_or("missing")
        )));
    }
    let Some(original_id) = &original else {
        return Ok(reject("it names no original message".to_string()));
    };
    let Some(message) = sent(original_id)? else {
        return Ok(reject(format!("it names {original_id}, which you never sent")));
    };
    if message.to != contact.address {
        return Ok(reject(format!(
            "it is signed by {} <{}>, who was not a recipient of {original_id} (sent to {})",
            contact.alias, contact.address, message.to
        )));
    }
    // A receipt without a digest (Delta Chat's) says the message was read,
    // not which content: accepted as such, and shown so. A digest that is
    // there must match.
    let unbound = match (&report.original_sha256, &message.content_sha256) {
        (Some(got), Some(sent)) if got == sent => false,
        (_, None) => return Ok(reject(format!("no digest of {original_id} was kept to check it against"))),
        (None, Some(_)) => true,
        _ => return Ok(reject("its digest does not match the content that was sent".to_string())),
    };
    let Some(read_at) = opened.signed_at else {
        return Ok(reject("its signature carries no time".to_string()));
    };
    Ok(Verdict::Accepted {
        original: original_id.clone(),
        receipt: ReadReceipt {
            read_at,
            reader: contact.address.clone(),
            signer: signer.clone(),
            receipt_message_id: opened.content.as_ref().and_then(|c| c.message_id.clone()),
            received_at: now(),
            sha256: report.original_sha256.clone(),
            unbound,
        },
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Verification;
    use crate::keys;
    use crate::message::compose::{seal, Envelope};
    use crate::message::open;

    const SENT_DIGEST: &str = "5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d5e4d";

    struct Pair {
        ada: sequoia_openpgp::Cert,
        sam: sequoia_openpgp::Cert,
        contacts: Contacts,
        sent: Vec<Sent>,
    }

    /// Ada sent <plan@practice.example> to Sam, her verified contact.
    fn pair() -> Pair {
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::SafetyCode).unwrap();
        let sent = serde_json::from_value(serde_json::json!([{
            "id": 1, "message_id": "<plan@practice.example>", "to": "sam@client.example", "subject": "Plan",
            "created_at": 1, "sent_at": 2, "content_sha256": SENT_DIGEST, "receipt_requested": true,
        }]))
        .unwrap();
        Pair { ada, sam, contacts, sent }
    }

    /// A receipt from Sam for the plan, its report fields as given.
    fn receipt_from_sam(pair: &Pair, digest: Option<&str>) -> Verdict {
        let digest_line = digest.map(|d| format!("Sealpost-Original-SHA256: {d}\r\n")).unwrap_or_default();
        let inner = format!(
            "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"r\"\r\n\
             From: Sam <sam@client.example>\r\nTo: ada@practice.example\r\nSubject: Read: Plan\r\n\
             Message-ID: <mdn1@client.example>\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nRead.\r\n--r\r\n\
             Content-Type: message/disposition-notification\r\n\r\nReporting-UA: Delta Chat\r\n\
             Original-Recipient: rfc822;sam@client.example\r\nFinal-Recipient: rfc822;sam@client.example\r\n\
             Original-Message-ID: <plan@practice.example>\r\n\
             Disposition: manual-action/MDN-sent-automatically; displayed\r\n{digest_line}\r\n--r--\r\n"
        );
        let envelope = Envelope::new("sam@client.example", "ada@practice.example", SystemTime::now());
        let raw = seal(inner.as_bytes(), &envelope, &pair.sam, &pair.ada).unwrap().raw;
        let opened = open(&raw, std::slice::from_ref(&pair.ada), &pair.contacts);
        let find = |id: &str| Ok(pair.sent.iter().find(|s| s.message_id == id).cloned());
        check(&opened, &pair.contacts, &find).unwrap()
    }

    #[test]
    fn a_receipt_without_a_digest_is_read_not_bound_to_content_and_a_wrong_digest_is_rejected() {
        let pair = pair();
        match receipt_from_sam(&pair, Some(SENT_DIGEST)) {
            Verdict::Accepted { receipt, .. } => assert!(!receipt.unbound, "bound to the content"),
            other => panic!("{other:?}"),
        }
        match receipt_from_sam(&pair, None) {
            Verdict::Accepted { original, receipt } => {
                assert_eq!(original, "<plan@practice.example>");
                assert!(receipt.unbound, "read, not bound to content");
                assert_eq!(receipt.sha256, None);
            }
            other => panic!("{other:?}"),
        }
        match receipt_from_sam(&pair, Some(&"0".repeat(64))) {
            Verdict::Rejected { reason, .. } => assert!(reason.contains("does not match"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn either_request_header_asks_for_a_receipt() {
        let pair = pair();
        for header in ["Disposition-Notification-To", "Chat-Disposition-Notification-To"] {
            let inner = format!(
                "From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: Hi\r\n{header}: sam@client.example\r\n\
                 Content-Type: text/plain\r\n\r\nHello\r\n"
            );
            let envelope = Envelope::new("sam@client.example", "ada@practice.example", SystemTime::now());
            let raw = seal(inner.as_bytes(), &envelope, &pair.sam, &pair.ada).unwrap().raw;
            let opened = open(&raw, std::slice::from_ref(&pair.ada), &pair.contacts);
            assert!(opened.content.unwrap().receipt_requested, "{header}");
        }
    }
}
