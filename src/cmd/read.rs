use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use super::{format_local, format_time, Run, Session};
use crate::audit::{self, Action, Event};
use crate::cli::Read;
use crate::config::{Config, ReceiptPolicy};
use crate::contacts::{group_hex, now, Contact, Contacts, PinState};
use crate::error::Refusal;
use crate::home;
use crate::inbox::{pinned_sender, Answer, Entry, Inbox};
use crate::keys;
use crate::message::receipt::Sending;
use crate::message::{open_owned, Attachment, Content, Opened, Seal, Status};
use crate::receipt;
use crate::sanitize;
use crate::store::Store;

impl Run for Read {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        let mut inbox = Inbox::load(&store)?;
        let entry = match self.id {
            Some(id) => inbox.get(id)?.with_context(|| format!("no message {id}; `sealpost inbox` lists them"))?,
            None => inbox.last()?.context("the inbox is empty; `sealpost sync` fetches new mail")?,
        };
        if let Some(what) = entry
            .handshake
            .as_ref()
            .map(|_| "a join handshake step")
            .or(entry.receipt.as_ref().map(|_| "a read receipt"))
        {
            anyhow::bail!("{} is {what}, not a message; `sealpost inbox` lists the messages", entry.id);
        }
        // What `reply --last` answers is the message read last, whatever its
        // status: after reading one that is not verified, `reply --last`
        // refuses rather than answer someone read before.
        inbox.set_last_read(entry.id);
        inbox.save()?;
        if entry.seal == Seal::NotEncrypted {
            if session.json {
                session.print_json(&serde_json::json!({
                    "id": entry.id,
                    "status": Status::NotEncrypted.name(),
                    "explain": Status::NotEncrypted.explain(),
                }))?;
            } else {
                println!("Status:  NOT VERIFIED: not-encrypted: {}", Status::NotEncrypted.explain());
            }
            return Err(Refusal::verification(format!("message {} is not verified (not-encrypted)", entry.id)));
        }
        // Open again with today's contacts: the status is decided now (a
        // message verified on arrival stays verified with its key).
        let mut opened = open_owned(inbox.raw(entry.id)?, store.my_keys(), &contacts);
        opened.status = entry.judge(&opened.seal, opened.sender(), &contacts);
        let sender = verified_sender(&opened, &contacts);
        let readable = opened.content.as_ref().filter(|_| opened.status.content_readable());
        // Only what was verified is shown, unless the user asks (principle 4).
        let shown = match (&sender, readable) {
            (Some(_), Some(content)) => Some(content),
            (None, Some(content)) if self.unverified => Some(content),
            _ => None,
        };
        let notice = opened.sender().and_then(|s| contacts.by_address(s)).and_then(|c| c.sighting_notice());
        // Written before anything is shown: nothing is read without its entry.
        let mut event = Event::new(Action::Read).sha256(opened.content_sha256.as_deref()).detail(format!(
            "message {}, {}, content {}",
            entry.id,
            opened.status.name(),
            if shown.is_some() { "shown" } else { "withheld" }
        ));
        if let Some(sender) = opened.sender() {
            event = event.contact(sender);
        }
        if let Some(id) = entry.message_id.as_deref() {
            event = event.message(id);
        }
        audit::record(&store, event)?;
        if !session.json {
            print_status(&opened, &entry, &contacts);
            match (shown, &sender) {
                (Some(content), Some(contact)) => print_content(content, &ShownFrom::Pinned(contact)),
                (Some(content), None) => {
                    println!("{UNVERIFIED_BANNER}");
                    print_content(content, &ShownFrom::Claimed(&opened));
                }
                (None, _) if readable.is_some() => println!(
                    "         the content is withheld: nothing shows who wrote it. To see it anyway, under a \
                     warning: `sealpost read {} --unverified`",
                    entry.id
                ),
                (None, _) => {}
            }
        }
        if let Some(notice) = &notice {
            crate::error::warn(notice);
        }
        if shown.is_some() && entry.opened_at.is_none() {
            inbox.mark_opened(entry.id)?;
        }
        let mut saved = Vec::new();
        if let (Some(content), Some(dir)) = (shown, &self.save_attachments) {
            for attachment in &content.attachments {
                saved.push(save(dir, attachment)?);
            }
        }
        let receipt = match (opened.status, sender) {
            (Status::Verified, Some(contact)) => {
                self.answer_receipt_request(session, &config, &store, &contacts, &mut inbox, &entry, &opened, contact)?
            }
            _ => None,
        };
        if session.json {
            session.print_json(&read_json(entry.id, &opened, sender, shown, &saved, receipt.as_deref()))?;
        } else {
            for path in &saved {
                eprintln!("saved {}", path.display());
            }
            if shown.is_some_and(|c| !c.attachments.is_empty()) && self.save_attachments.is_none() {
                eprintln!("to save the attachments: `sealpost read {} --save-attachments DIR`", entry.id);
            }
            if let Some(note) = &receipt {
                eprintln!("{note}");
            }
        }
        if opened.status != Status::Verified {
            return Err(Refusal::verification(format!(
                "message {} is not verified ({})",
                entry.id,
                opened.status.name()
            )));
        }
        Ok(())
    }
}

/// Printed above content that is not verified, shown on request.
const UNVERIFIED_BANNER: &str = "\
!!! NOT VERIFIED: shown because you asked (--unverified). Nothing shows who wrote this; the sender below
!!! is only what the message claims. Do not act on it, and do not reply, before you have checked with them.";

/// The sender a message is shown under.
pub(super) enum ShownFrom<'a> {
    /// A verified message: the pinned contact, never the message's own
    /// display name.
    Pinned(&'a Contact),
    /// Anything else: what the message claims.
    Claimed(&'a Opened),
    /// A note the user sent, signed by the user's own key.
    Me(&'a str),
}

/// The pinned contact a verified message is shown under.
fn verified_sender<'a>(opened: &Opened, contacts: &'a Contacts) -> Option<&'a Contact> {
    (opened.status == Status::Verified).then(|| pinned_sender(&opened.seal, opened.sender(), contacts)).flatten()
}

pub(super) fn print_content(content: &Content, from: &ShownFrom<'_>) {
    match from {
        ShownFrom::Pinned(contact) => {
            let name = contact.cert().ok().and_then(|cert| keys::name_for(&cert, &contact.address));
            match name {
                Some(name) => {
                    println!("From:    {} ({} <{}>)", contact.alias, sanitize::line(&name), contact.address)
                }
                None => println!("From:    {} <{}>", contact.alias, contact.address),
            }
        }
        ShownFrom::Me(address) => println!("From:    you <{address}>"),
        ShownFrom::Claimed(opened) => {
            let address = opened.sender().unwrap_or("(no address)");
            match &content.from_name {
                Some(name) => {
                    println!("Claims to be: {} <{}>", sanitize::line(name), sanitize::line(address))
                }
                None => println!("Claims to be: {}", sanitize::line(address)),
            }
        }
    }
    if !content.to.is_empty() {
        println!("To:      {}", sanitize::line(&content.to.join(", ")));
    }
    if let Some(date) = content.date {
        println!("Date:    {}", format_local(date));
    }
    match &content.subject {
        Some(subject) => println!("Subject: {}", sanitize::line(subject)),
        None => println!("Subject: (none protected by encryption)"),
    }
    if !content.attachments.is_empty() {
        println!("Attachments:");
        for attachment in &content.attachments {
            println!(
                "  {} ({}, {} bytes)",
                sanitize::file_name(&attachment.name),
                sanitize::line(&attachment.content_type),
                attachment.bytes.len()
            );
        }
    }
    println!();
    print!("{}", sanitize::body(&content.body));
    if !content.body.ends_with('\n') {
        println!();
    }
}

/// `read --json` (docs/json.md). Text from the message is sanitized as for
/// the terminal; the content is null unless the message is verified or
/// `--unverified` asked for it.
fn read_json(
    id: u64,
    opened: &Opened,
    sender: Option<&Contact>,
    shown: Option<&Content>,
    saved: &[PathBuf],
    receipt: Option<&str>,
) -> Value {
    let content = shown.map(|c| {
        let (from, from_name) = match sender {
            Some(contact) => (
                Some(contact.address.clone()),
                contact.cert().ok().and_then(|cert| keys::name_for(&cert, &contact.address)),
            ),
            None => (opened.sender().map(str::to_string), c.from_name.clone()),
        };
        serde_json::json!({
            "from": from.as_deref().map(sanitize::line),
            "from_name": from_name.as_deref().map(sanitize::line),
            "sender_verified": sender.is_some(),
            "to": c.to.iter().map(|t| sanitize::line(t)).collect::<Vec<_>>(),
            "date": c.date.map(format_time),
            "subject": c.subject.as_deref().map(sanitize::line),
            "message_id": c.message_id.as_deref().map(sanitize::line),
            "body": sanitize::body(&c.body),
            "attachments": c.attachments.iter().map(|a| serde_json::json!({
                "name": sanitize::file_name(&a.name),
                "content_type": sanitize::line(&a.content_type),
                "size": a.bytes.len(),
            })).collect::<Vec<_>>(),
        })
    });
    serde_json::json!({
        "id": id,
        "status": opened.status.name(),
        "explain": opened.status.explain(),
        "reason": opened.failure.as_deref().map(sanitize::line),
        "signer": sender.map(|c| serde_json::json!({
            "alias": c.alias, "address": c.address, "fingerprint": c.fingerprint,
        })),
        "content": content,
        "saved": saved,
        "receipt": receipt,
    })
}

impl Read {
    /// Sends a signed read receipt when the verified sender asked for one,
    /// the user's setting allows it, and none was sent for this message yet.
    /// A receipt that cannot be delivered now stays in the outbox; the read
    /// itself still succeeds.
    #[allow(clippy::too_many_arguments)]
    fn answer_receipt_request(
        &self,
        session: &Session,
        config: &Config,
        store: &Store,
        contacts: &Contacts,
        inbox: &mut Inbox,
        entry: &Entry,
        opened: &Opened,
        contact: &Contact,
    ) -> Result<Option<String>> {
        let Some(content) = &opened.content else { return Ok(None) };
        if opened.status != Status::Verified || !content.receipt_requested || content.report.is_some() {
            return Ok(None);
        }
        if entry.receipt_answer.is_some() {
            return Ok(None); // answered at an earlier reading
        }
        let who = format!("{} <{}>", contact.alias, contact.address);
        // A contact that cannot be written to now (its key revoked since
        // the message arrived) gets no receipt; the reading goes on.
        if let Err(e) = contacts.recipient(&contact.address) {
            return Ok(Some(format!("{who} asked for a read receipt; none was sent: {e:#}")));
        }
        if self.no_receipt {
            return Ok(Some(format!("{who} asked for a read receipt; none was sent (--no-receipt)")));
        }
        let sending = match config.receipts {
            ReceiptPolicy::Never => return Ok(None),
            ReceiptPolicy::Send => Sending::Automatically,
            ReceiptPolicy::Ask if !std::io::stdin().is_terminal() => {
                return Ok(Some(format!(
                    "{who} asked for a read receipt; none was sent: receipts = \"ask\" and there is no terminal \
                     to ask on (read it again on a terminal to answer)"
                )));
            }
            ReceiptPolicy::Ask => {
                eprint!("{who} asked for a signed read receipt. Send it? [y/N] ");
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer).context("reading the answer")?;
                if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
                    inbox.set_answer(entry.id, Answer::Declined { at: now() })?;
                    return Ok(Some("no read receipt sent".to_string()));
                }
                Sending::Manually
            }
        };
        // Into the outbox first, then remember it: a crash in between sends
        // a second receipt at worst, which the sender ignores.
        let queued = receipt::enqueue(store, config, contacts, contact, opened, sending)?;
        inbox.set_answer(entry.id, Answer::Sent { at: now() })?;
        let flushed = session.deliver_outbox(config, store, None)?;
        Ok(Some(match flushed.failed.iter().find(|(q, _)| q.message_id == queued.message_id) {
            Some((_, reason)) => {
                format!("a signed read receipt to {who} is queued ({reason}); `sealpost sync` will deliver it")
            }
            None => format!("sent a signed read receipt to {who}"),
        }))
    }
}

fn print_status(opened: &Opened, entry: &Entry, contacts: &Contacts) {
    if let Some(contact) = verified_sender(opened, contacts) {
        let signer = entry.signer().unwrap_or(&contact.fingerprint);
        match entry.signed_with_earlier_key(contacts) {
            Some(then) => println!(
                "Status:  verified: signed by {} <{}> with key {} (verified when it arrived; since {})",
                contact.alias,
                contact.address,
                group_hex(then),
                if contact.state == PinState::Revoked { "revoked by its owner" } else { "replaced" }
            ),
            None => println!(
                "Status:  verified: signed by {} <{}>, key {}",
                contact.alias,
                contact.address,
                group_hex(signer)
            ),
        }
        return;
    }
    println!("Status:  NOT VERIFIED: {}: {}", opened.status.name(), opened.status.explain());
    if let Some(reason) = &opened.failure {
        println!("         {}", sanitize::line(reason));
    }
    let pinned_signer = match &opened.seal {
        Seal::Signed { signer } => signer.parse().ok().and_then(|f| contacts.by_fingerprint(&f)),
        _ => None,
    };
    let claimed = opened.sender().map(sanitize::line).unwrap_or_else(|| "(nobody)".to_string());
    match (opened.status, pinned_signer) {
        (Status::UnverifiedKey, Some(c)) => {
            println!("         to verify {}, run `sealpost contact verify {}`", c.address, c.alias)
        }
        (Status::UnverifiedKey, None) => {
            let signer = match &opened.seal {
                Seal::Signed { signer } => Some(signer.as_str()),
                Seal::UnknownSigner { issuer } => issuer.as_deref(),
                _ => None,
            };
            println!(
                "         claims to be from {claimed}, but signed by {}, not the key you verified for that address",
                signer.map(group_hex).unwrap_or_else(|| "a key without a fingerprint".into())
            );
            if let Some(pinned) = opened.sender().and_then(|s| contacts.by_address(s)) {
                println!("         pinned for {}: {}", pinned.address, group_hex(&pinned.fingerprint));
                println!(
                    "         if {} has a new device, verify the new key with them: `sealpost contact verify {}`",
                    pinned.alias, pinned.alias
                );
            }
        }
        (Status::RevokedKey, Some(c)) => println!(
            "         {} revoked this key; verify their new key with them: `sealpost contact show {}`",
            c.alias, c.alias
        ),
        (Status::FromMismatch, Some(c)) => {
            println!("         From says {claimed}, but the signing key is pinned for {} <{}>", c.alias, c.address)
        }
        _ => {}
    }
}

/// Saves an attachment under a sanitized name, never overwriting a file.
pub(super) fn save(dir: &Path, attachment: &Attachment) -> Result<PathBuf> {
    home::create_private_dir(dir)?;
    let name = sanitize::file_name(&attachment.name);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
        _ => (name.clone(), String::new()),
    };
    for n in 0..1000 {
        let candidate = if n == 0 { dir.join(&name) } else { dir.join(format!("{stem} ({n}){ext}")) };
        match home::create_durable(&candidate, &attachment.bytes) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", candidate.display())),
        }
    }
    anyhow::bail!("too many files named like {name} in {}", dir.display())
}
