use std::time::SystemTime;

use anyhow::{Context, Result};

use super::input::{read_attachment, read_body, Addressee};
use super::send::send_draft;
use super::{format_time, Run, Session};
use crate::cli::Reply;
use crate::contacts::{Contact, Contacts};
use crate::error::Refusal;
use crate::inbox::{pinned_sender, Entry, Inbox};
use crate::keys;
use crate::message::quote::{quote, reply_subject};
use crate::message::{new_message_id, open_owned, Draft, Seal, Status};

impl Run for Reply {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let mut store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        let inbox = Inbox::load(&store)?;
        let entry = match self.id {
            Some(id) => inbox.message(id)?.with_context(|| format!("no message {id}; `sealpost inbox` lists them"))?,
            None => self.last(&inbox, &contacts)?,
        };
        let refuse = |status: Status| {
            Refusal::verification(format!(
                "refusing to reply to message {}: it is {}: {}. A reply goes only to a verified sender.",
                entry.id,
                status.name(),
                status.explain()
            ))
        };
        // Ordinary mail is not kept in the store: there is nothing to open.
        if entry.seal == Seal::NotEncrypted {
            return Err(refuse(Status::NotEncrypted));
        }
        // Decided now, with today's contacts: only a verified original gets
        // a reply, and only at the pinned address of its signer.
        let mut opened = open_owned(inbox.raw(entry.id)?, store.my_keys(), &contacts);
        opened.status = entry.judge(&opened.seal, opened.sender(), &contacts);
        if opened.status != Status::Verified {
            return Err(refuse(opened.status));
        }
        let signer = pinned_sender(&opened.seal, opened.sender(), &contacts)
            .context("a verified message has a pinned sender")?;
        let (contact, cert) = super::send::recipient(&config, &store, &contacts, &signer.address)?;
        let content = opened.content.as_ref().context("a verified message has content")?;
        let attachments = self.attach.iter().map(|p| read_attachment(p)).collect::<Result<Vec<_>>>()?;
        let to_name = keys::name_for(&cert, &contact.address);
        let subject = reply_subject(content.subject.as_deref());
        let to = Addressee {
            name: to_name.as_deref(),
            alias: &contact.alias,
            address: &contact.address,
            subject: &subject,
            reply: true,
        };
        let mut body = store.without_lock(|| read_body(session, &to))??;
        // Checked again: the contact may have changed while the user wrote.
        let contacts = Contacts::load(&store)?;
        let (contact, cert) = super::send::recipient(&config, &store, &contacts, &contact.address)?;
        let to_name = keys::name_for(&cert, &contact.address);
        if self.quote {
            if !body.ends_with('\n') {
                body.push('\n');
            }
            let when = content.date.map(format_time).unwrap_or_else(|| "earlier".to_string());
            body.push_str(&format!("\nOn {when}, {} wrote:\n{}", contact.alias, quote(&content.body)));
        }
        let mut references = content.references.clone();
        references.extend(content.message_id.clone());
        references.dedup();
        let draft = Draft {
            from_name: config.account.name.clone(),
            from_address: config.account.address.clone(),
            to_name,
            to_address: contact.address.clone(),
            subject,
            body,
            attachments,
            message_id: new_message_id(&config.account.address),
            date: SystemTime::now(),
            request_receipt: config.request_receipts && !self.no_receipt,
            in_reply_to: content.message_id.clone(),
            references,
        };
        send_draft(session, &config, &store, contact, &cert, draft)
    }
}

impl Reply {
    /// The message `--last` answers: the message `read` showed last, never
    /// simply the newest (a newer one may be another client's, and a
    /// disclosure answered to the wrong client is the classic breach). If
    /// that one is not verified, the reply is refused, not sent to someone
    /// read before. With `--from WHO`: that message if it is a verified one
    /// from WHO, else WHO's newest verified message (the contact is named,
    /// so it cannot be someone else).
    fn last(&self, inbox: &Inbox, contacts: &Contacts) -> Result<Entry> {
        let verified_from = |e: &Entry, c: &Contact| {
            e.status(contacts) == Status::Verified
                && e.verified_contact(contacts).is_some_and(|v| v.address == c.address)
        };
        let read = inbox.last_read()?;
        if let Some(who) = self.from.as_deref() {
            let from = contacts.get(who)?;
            if let Some(read) = read.filter(|e| verified_from(e, from)) {
                return Ok(read);
            }
            for entry in inbox.newest_first() {
                let entry = entry?;
                if verified_from(&entry, from) {
                    return Ok(entry);
                }
            }
            anyhow::bail!("no verified message from {} to reply to", from.alias);
        }
        let entry = read.context(
            "no verified message to reply to: `reply --last` answers the message `sealpost read` showed last, and \
             none was read yet. Read it first (`sealpost read ID`), or reply by number (`sealpost reply ID`)",
        )?;
        let reader = entry.verified_contact(contacts);
        let mut newer = None;
        for later in inbox.newest_first() {
            let later = later?;
            if later.id <= entry.id {
                break;
            }
            if let Some(c) = later.verified_contact(contacts).filter(|c| reader.is_none_or(|r| r.address != c.address))
            {
                newer = Some(c);
                break;
            }
        }
        if let (Some(newer), Some(reader)) = (newer, reader) {
            crate::error::note(&format!(
                "a newer message from {} arrived since you read {}'s; this reply goes to {}",
                newer.alias, reader.alias, reader.alias
            ));
        }
        Ok(entry)
    }
}
