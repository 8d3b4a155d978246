use anyhow::Result;

use super::{format_local, format_time, Run, Session};
use crate::cli::Inbox as InboxCmd;
use crate::contacts::Contacts;
use crate::inbox::Inbox;

/// How many messages `inbox` lists unless told otherwise.
const DEFAULT_LIMIT: usize = 50;
use crate::sanitize;

impl Run for InboxCmd {
    fn run(&self, session: &Session) -> Result<()> {
        let store = session.unlock_to_read()?;
        let contacts = Contacts::load(&store)?;
        let inbox = Inbox::load(&store)?;
        // A practice keeps years of messages: the listing shows the newest
        // (a page of a terminal), and says how many more there are. Scripts
        // (`--json`) get them all unless they ask for fewer.
        let limit = match (self.all, self.limit) {
            (true, _) => None,
            (false, Some(n)) => Some(n),
            (false, None) if session.json => None,
            (false, None) => Some(DEFAULT_LIMIT),
        };
        let listed = inbox.newest(limit, self.unread)?;
        if session.json {
            let messages: Vec<_> = listed
                .iter()
                .map(|e| {
                    let verified = e.verified_contact(&contacts);
                    serde_json::json!({
                        "id": e.id,
                        "date": e.date.map(format_time),
                        "from": e.sender.as_deref().map(sanitize::line),
                        "contact": verified.map(|c| c.alias.clone()),
                        "status": e.status(&contacts).name(),
                        "subject": verified.and(e.subject.as_deref()).map(sanitize::line),
                        "message_id": verified.and(e.message_id.as_deref()).map(sanitize::line),
                        "unread": e.opened_at.is_none(),
                    })
                })
                .collect();
            return session.print_json(&serde_json::json!({ "messages": messages }));
        }
        if listed.is_empty() && self.unread {
            println!("no unread messages");
            return Ok(());
        }
        if listed.is_empty() {
            println!("no messages; `sealpost sync` fetches new mail");
            return Ok(());
        }
        println!("{:>4}  {:<23}  {:<24}  {:<16}  SUBJECT", "ID", "DATE", "FROM", "STATUS");
        let (all, unread) = inbox.count()?;
        let total = if self.unread { unread } else { all };
        if (listed.len() as u64) < total {
            let older = total - listed.len() as u64;
            let what = if self.unread { "unread message(s)" } else { "message(s)" };
            println!("      ... {older} older {what}; `sealpost inbox --all` lists every one");
        }
        for entry in &listed {
            let verified = entry.verified_contact(&contacts);
            // Nothing of a message that is not verified is listed: not its
            // subject, and never a contact's alias (principle 4).
            let (from, subject) = match verified {
                Some(contact) => (contact.alias.clone(), sanitize::line(entry.subject.as_deref().unwrap_or(""))),
                None => (
                    entry.sender.as_deref().map_or("(unknown)".to_string(), |s| format!("? {}", sanitize::line(s))),
                    String::new(),
                ),
            };
            println!(
                "{:>4}  {:<23}  {:<24}  {:<16}  {}",
                entry.id,
                entry.date.map(format_local).unwrap_or_default(),
                from,
                entry.status(&contacts).name(),
                subject,
            );
        }
        Ok(())
    }
}
