use anyhow::Result;
use serde::Serialize;

use super::{format_time, Run, Session};
use crate::cli::Sent;
use crate::contacts::Contacts;
use crate::outbox::{self, Tracked};
use crate::sanitize;

impl Run for Sent {
    fn run(&self, session: &Session) -> Result<()> {
        let store = session.unlock()?;
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
                id: None,
                message_id: q.message_id.clone(),
                to: q.to.clone(),
                contact: alias(&q.to),
                subject: q.subject.clone(),
                state: "queued",
                created_at: format_time(q.created_at as i64),
                sent_at: None,
                attempts: Some(q.attempts),
                last_error: q.last_error.clone(),
                receipt_requested: q.receipt_requested,
                read_at: None,
                read_by: None,
                receipt_signer: None,
                content_sha256: q.content_sha256.clone(),
                digest_matches: None,
                digest: None,
                unrecorded: false,
            },
            // Delivered; numbered and timed once recorded.
            Tracked::Accepted(q) => Row {
                id: None,
                message_id: q.message_id.clone(),
                to: q.to.clone(),
                contact: alias(&q.to),
                subject: q.subject.clone(),
                state: "sent",
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
                unrecorded: true,
            },
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
