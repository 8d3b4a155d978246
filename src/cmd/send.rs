use std::time::SystemTime;

use anyhow::Result;
use sequoia_openpgp::Cert;

use super::input::{read_attachment, read_body, Addressee};
use super::{Run, Session};
use crate::audit::{self, Action, Event};
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
        let (contact, cert) = recipient(&config, &store, &contacts, &self.to)?;
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
        let (contact, cert) = recipient(&config, &store, &contacts, &contact.address)?;
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

/// The contact `who` and the key to encrypt to, when a message may go to
/// them: verified (see `Contacts::recipient`) and, when the practice
/// requires it (`require_consent`), with recorded consent. A refusal
/// (exit 3) is written into the audit log.
pub(super) fn recipient<'c>(
    config: &Config,
    store: &Store,
    contacts: &'c Contacts,
    who: &str,
) -> Result<(&'c Contact, Cert)> {
    let refused = |e: anyhow::Error| {
        let address = contacts.find(who).map(|c| c.address.clone());
        // The refusal names what was typed and the contacts it resembles;
        // the entry names none of them (`audit::without_names`).
        let aliases: Vec<&str> = contacts.iter().map(|c| c.alias.as_str()).chain([who]).collect();
        let mut event = Event::new(Action::SendRefused).detail_naming(&format!("{e:#}"), &aliases);
        if let Some(address) = &address {
            event = event.contact(address);
        }
        if let Err(written) = audit::record(store, event) {
            crate::error::warn(&format!("the refusal could not be written into the audit log: {written:#}"));
        }
        e
    };
    let (contact, cert) = contacts.recipient(who).map_err(refused)?;
    if config.require_consent && contact.consent.is_none() {
        return Err(refused(Refusal::recipient(format!(
            "refusing to send to {} <{}>: the practice requires the client's consent to electronic messaging              (`require_consent` in the config) and none is recorded; record it with `sealpost contact consent {}              --date YYYY-MM-DD`",
            contact.alias, contact.address, contact.alias
        ))));
    }
    Ok((contact, cert))
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
    // The message and its audit entry are written together.
    store.transaction(|| {
        let mut content_sha256 = String::new();
        outbox::enqueue_streamed(store, &draft.message_id, &contact.address, |wire| {
            content_sha256 = compose_to(&draft, store.secret_cert(), cert, wire)?;
            Ok(Queued {
                message_id: draft.message_id.clone(),
                to: contact.address.clone(),
                subject: draft.subject.clone(),
                created_at: now(),
                attempts: 0,
                last_error: None,
                raw: String::new(),
                content_sha256: Some(content_sha256.clone()),
                receipt_requested: draft.request_receipt,
                receipt_for: None,
                kind: Outgoing::Message,
            })
        })?;
        let event = Event::new(Action::Send).contact(&contact.address).message(&draft.message_id);
        audit::record(
            store,
            event.sha256(Some(&content_sha256)).detail(format!("{} attachment(s)", draft.attachments.len())),
        )
    })?;
    draft.attachments = Vec::new();
    let notice = outbox::InterruptNotice::hold(
        &draft.message_id,
        format!(
            "sealpost: interrupted: the message {} to {} <{}> is in the outbox, and the next `sealpost sync` sends \
         it. To withdraw it: sealpost outbox --cancel {}",
            draft.message_id,
            contact.alias,
            contact.address,
            outbox::bare_id(&draft.message_id)
        ),
    );
    let flushed = session.deliver_outbox(config, store, Some(&draft.message_id));
    drop(notice);
    let flushed = flushed?;
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
