use std::time::SystemTime;

use anyhow::Result;
use sequoia_openpgp::Cert;

use super::input::{read_attachment, read_body, Addressee};
use super::{Run, Session};
use crate::cli::Send;
use crate::config::Config;
use crate::contacts::{now, Contact, Contacts};
use crate::error::Refusal;
use crate::keys;
use crate::message::{compose_to, new_message_id, Draft};
use crate::outbox::{self, Outgoing, Queued};
use crate::store::Store;

impl Run for Send {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let mut store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        // Refuse before asking for a body: nothing is written for a recipient
        // that cannot be verified.
        let (contact, cert) = contacts.recipient(&self.to)?;
        let attachments = self.attach.iter().map(|p| read_attachment(p)).collect::<Result<Vec<_>>>()?;
        let to_name = keys::name_for(&cert, &contact.address);
        let to = Addressee {
            name: to_name.as_deref(),
            alias: &contact.alias,
            address: &contact.address,
            subject: &self.subject,
            reply: false,
        };
        let body = store.without_lock(|| read_body(session, &to))??;
        // Checked again: the contact may have changed while the user wrote.
        let contacts = Contacts::load(&store)?;
        let (contact, cert) = contacts.recipient(&contact.address)?;
        let to_name = keys::name_for(&cert, &contact.address);
        let draft = Draft {
            from_name: config.account.name.clone(),
            from_address: config.account.address.clone(),
            to_name,
            to_address: contact.address.clone(),
            subject: self.subject.clone(),
            body,
            attachments,
            message_id: new_message_id(&config.account.address),
            date: SystemTime::now(),
            request_receipt: config.request_receipts && !self.no_receipt,
            in_reply_to: None,
            references: Vec::new(),
        };
        send_draft(session, &config, &store, contact, &cert, draft)
    }
}

/// Seals `draft` for `contact` into the outbox, as a stream (see
/// `compose_to`), and tries to deliver it; a failed delivery keeps it
/// queued (exit 6). The attachments are let go once sealed.
pub(super) fn send_draft(
    session: &Session,
    config: &Config,
    store: &Store,
    contact: &Contact,
    cert: &Cert,
    mut draft: Draft,
) -> Result<()> {
    if let Some(notice) = contact.sighting_notice() {
        crate::error::warn(&notice);
    }
    outbox::enqueue_streamed(store, &draft.message_id, &contact.address, |wire| {
        let content_sha256 = compose_to(&draft, store.secret_cert(), cert, wire)?;
        Ok(Queued {
            message_id: draft.message_id.clone(),
            to: contact.address.clone(),
            subject: draft.subject.clone(),
            created_at: now(),
            attempts: 0,
            last_error: None,
            raw: String::new(),
            content_sha256: Some(content_sha256),
            receipt_requested: draft.request_receipt,
            receipt_for: None,
            kind: Outgoing::Message,
        })
    })?;
    draft.attachments = Vec::new();
    let flushed = session.deliver_outbox(config, store, Some(&draft.message_id))?;
    if let Some((queued, reason)) = flushed.unrecorded.iter().find(|(q, _)| q.message_id == draft.message_id) {
        return Err(anyhow::anyhow!(outbox::unrecorded_notice(queued, reason)));
    }
    if let Some((_, reason)) = flushed.failed.iter().find(|(q, _)| q.message_id == draft.message_id) {
        return Err(Refusal::queued(format!(
            "queued, will retry: delivery to {} failed ({reason}); the message {} is kept encrypted in \
             the outbox and `sealpost sync` will try again",
            contact.address, draft.message_id
        )));
    }
    if session.json {
        return session.print_json(&serde_json::json!({
            "message_id": draft.message_id,
            "to": contact.address,
            "to_name": draft.to_name.as_deref().map(crate::sanitize::line),
            "contact": contact.alias,
            "subject": draft.subject,
            "receipt_requested": draft.request_receipt,
        }));
    }
    println!("sent {} to {} <{}>", draft.message_id, contact.alias, contact.address);
    Ok(())
}
