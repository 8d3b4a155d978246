use std::path::Path;

use anyhow::{Context, Result};
use sequoia_openpgp::Cert;
use serde::Serialize;

use super::read::{print_content, ShownFrom};
use super::{format_time, Run, Session};
use crate::cli::{Sent, SentAction};
use crate::contacts::{group_hex, Contacts};
use crate::keys;
use crate::message::open::encrypted_to;
use crate::message::open_with;
use crate::outbox::{self, Queued, SentList, Tracked};
use crate::sanitize;

impl Run for Sent {
    fn run(&self, session: &Session) -> Result<()> {
        match &self.action {
            Some(SentAction::Show { id, save_attachments }) => show(session, *id, save_attachments.as_deref()),
            None => list(session),
        }
    }
}

fn list(session: &Session) -> Result<()> {
    let store = session.unlock_to_read()?;
    let contacts = Contacts::load(&store)?;
    let rows: Vec<Row> = outbox::tracked(&store)?.iter().map(|t| Row::of(t, &contacts)).collect();
    if session.json {
        return session.print_json(&serde_json::json!({ "messages": rows }));
    }
    if rows.is_empty() {
        println!("nothing sent yet");
        return Ok(());
    }
    println!("{:>4}  {:<20}  {:<20}  {:<36}  SUBJECT", "ID", "CREATED", "TO", "STATE");
    for row in &rows {
        println!(
            "{:>4}  {:<20}  {:<20}  {:<36}  {}",
            row.id.map(|id| id.to_string()).unwrap_or_else(|| "-".to_string()),
            row.created_at.chars().take(19).collect::<String>(),
            row.contact.as_deref().unwrap_or(&row.to),
            row.state_line(),
            sanitize::line(&row.subject),
        );
    }
    Ok(())
}

/// `sent show N`: the note as it was sent, opened from the store's own copy
/// of the wire message (sealpost encrypts every note to the sender too). It
/// is shown only when it opens as the user's own signed note.
fn show(session: &Session, id: u64, save_attachments: Option<&Path>) -> Result<()> {
    let config = session.config()?;
    let store = session.unlock_to_read()?;
    let contacts = Contacts::load(&store)?;
    let list = SentList::load(&store)?;
    let sent = list.numbered(id)?.with_context(|| format!("no sent note {id}; `sealpost sent` lists them"))?;
    let raw = outbox::sent_copy(&store, &sent)?
        .with_context(|| format!("the store holds no copy of sent note {id} (sent before copies were kept?)"))?;
    let me = store.my_keys();
    let (opened, _) = open_with(&raw, me, &contacts, keys::public(me), &[]);
    let mine = opened.seal.signed_by_one_of(me);
    let content = opened.content.as_ref().filter(|_| mine).with_context(|| {
        format!("the copy of sent note {id} does not open as your own signed note ({})", opened.status.name())
    })?;
    // Whose keys the recipient packets name: the contact's, or yours.
    let recipient = contacts.by_address(&sent.to);
    let encrypted_to: Vec<(String, String)> = encrypted_to(&raw)
        .iter()
        .map(|handle| {
            let holder = |cert: &Cert| cert.keys().any(|k| handle.aliases(k.key().key_handle()));
            if let Some(mine) = me.iter().find(|cert| holder(cert)) {
                return ("you".to_string(), mine.fingerprint().to_hex());
            }
            match recipient.filter(|c| c.cert().is_ok_and(|cert| holder(&cert))) {
                Some(c) => (c.alias.clone(), c.fingerprint.clone()),
                None => ("a key that is not pinned now".to_string(), handle.to_hex()),
            }
        })
        .collect();
    let mut saved = Vec::new();
    if let Some(dir) = save_attachments {
        for attachment in &content.attachments {
            saved.push(super::read::save(dir, attachment)?);
        }
    }
    let row = Row::of(&Tracked::Sent(sent.clone()), &contacts);
    if session.json {
        return session.print_json(&serde_json::json!({
            "id": id,
            "message_id": sent.message_id,
            "to": sent.to,
            "contact": row.contact,
            "state": row.state,
            "sent_at": row.sent_at,
            "read_at": row.read_at,
            "read_by": row.read_by,
            "digest": row.digest,
            "content_sha256": sent.content_sha256,
            "encrypted_to": encrypted_to
                .iter()
                .map(|(who, fingerprint)| serde_json::json!({ "who": who, "fingerprint": fingerprint }))
                .collect::<Vec<_>>(),
            "content": {
                "subject": content.subject.as_deref().map(sanitize::line),
                "body": sanitize::body(&content.body),
                "attachments": content.attachments.iter().map(|a| serde_json::json!({
                    "name": sanitize::file_name(&a.name),
                    "content_type": sanitize::line(&a.content_type),
                    "size": a.bytes.len(),
                })).collect::<Vec<_>>(),
            },
            "saved": saved.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        }));
    }
    println!("Sent:    {} ({})", row.sent_at.as_deref().unwrap_or("-"), row.state_line());
    for (who, fingerprint) in &encrypted_to {
        println!("Encrypted to: {who} ({})", group_hex(fingerprint));
    }
    print_content(content, &ShownFrom::Me(&config.account.address));
    for path in &saved {
        eprintln!("saved {}", path.display());
    }
    if !content.attachments.is_empty() && save_attachments.is_none() {
        eprintln!("to save the attachments: `sealpost sent show {id} --save-attachments DIR`");
    }
    Ok(())
}

/// One sent or queued message as `sent` and `status` show it (also the
/// JSON form; see README, "Scripting").
#[derive(Serialize, Debug)]
pub(super) struct Row {
    /// The number to pass to `sealpost status`; none while queued.
    pub id: Option<u64>,
    pub message_id: String,
    pub to: String,
    /// The contact's alias, when the recipient is a contact.
    pub contact: Option<String>,
    pub subject: String,
    /// `queued`, `sent` or `read`.
    pub state: &'static str,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attempts: Option<u32>,
    pub last_error: Option<String>,
    pub receipt_requested: bool,
    pub read_at: Option<String>,
    pub read_by: Option<String>,
    /// The fingerprint of the key that signed the read receipt.
    pub receipt_signer: Option<String>,
    /// SHA-256 of the plaintext that was sent (what a receipt must name).
    pub content_sha256: Option<String>,
    /// Whether the accepted receipt names exactly `content_sha256`; only
    /// `status` shows it.
    #[serde(skip)]
    pub digest_matches: Option<bool>,
    /// For a read message: `matches` (the receipt named exactly the content
    /// sent) or `absent` (it named none: read, not bound to content).
    pub digest: Option<&'static str>,
    /// Sent, but not recorded yet (the store could not be written then).
    #[serde(skip)]
    pub unrecorded: bool,
}

impl Row {
    pub fn of(tracked: &Tracked, contacts: &Contacts) -> Row {
        let alias = |address: &str| contacts.find(address).map(|c| c.alias.clone());
        match tracked {
            Tracked::Queued(q) => Row {
                attempts: Some(q.attempts),
                last_error: q.last_error.clone(),
                ..Row::pending(q, "queued", alias(&q.to))
            },
            // Delivered; numbered and timed once recorded.
            Tracked::Accepted(q) => Row { unrecorded: true, ..Row::pending(q, "sent", alias(&q.to)) },
            Tracked::Sent(s) => Row {
                id: Some(s.id),
                message_id: s.message_id.clone(),
                to: s.to.clone(),
                contact: alias(&s.to),
                subject: s.subject.clone(),
                state: if s.read.is_some() { "read" } else { "sent" },
                created_at: format_time(s.created_at as i64),
                sent_at: Some(format_time(s.sent_at as i64)),
                attempts: None,
                last_error: None,
                receipt_requested: s.receipt_requested,
                read_at: s.read.as_ref().map(|r| format_time(r.read_at)),
                read_by: s.read.as_ref().map(|r| r.reader.clone()),
                receipt_signer: s.read.as_ref().map(|r| r.signer.clone()),
                content_sha256: s.content_sha256.clone(),
                digest_matches: s.read.as_ref().map(|r| match (&r.sha256, &s.content_sha256) {
                    (Some(named), Some(sent)) => named == sent,
                    _ if r.unbound => false,
                    // Accepted before the named digest was kept: acceptance
                    // required it to match.
                    (None, Some(_)) => true,
                    (_, None) => false,
                }),
                digest: s.read.as_ref().map(|r| if r.unbound { "absent" } else { "matches" }),
                unrecorded: false,
            },
        }
    }

    /// A message still in the outbox (queued, or delivered but not
    /// recorded yet): no number, no sending time, no receipt.
    fn pending(q: &Queued, state: &'static str, contact: Option<String>) -> Row {
        Row {
            id: None,
            message_id: q.message_id.clone(),
            to: q.to.clone(),
            contact,
            subject: q.subject.clone(),
            state,
            created_at: format_time(q.created_at as i64),
            sent_at: None,
            attempts: None,
            last_error: None,
            receipt_requested: q.receipt_requested,
            read_at: None,
            read_by: None,
            receipt_signer: None,
            content_sha256: q.content_sha256.clone(),
            digest_matches: None,
            digest: None,
            unrecorded: false,
        }
    }

    /// The state in a few words: "read 2026-… by sam", "sent", "queued".
    pub fn state_line(&self) -> String {
        match (self.state, &self.read_at, &self.read_by) {
            ("read", Some(at), Some(by)) => {
                let who = self.contact.as_deref().filter(|_| by == &self.to).unwrap_or(by);
                let unbound = if self.digest == Some("absent") { " (not bound to content)" } else { "" };
                format!("read {} by {}{unbound}", at.chars().take(19).collect::<String>(), who)
            }
            ("sent", ..) if self.unrecorded => "sent (not recorded yet)".to_string(),
            ("sent", ..) if !self.receipt_requested => "sent (no receipt asked)".to_string(),
            ("queued", ..) => format!("queued ({} attempts)", self.attempts.unwrap_or(0)),
            (state, ..) => state.to_string(),
        }
    }
}
