use anyhow::Result;

use super::{format_local, format_time, Run, Session};
use crate::cli::Inbox as InboxCmd;
use crate::contacts::Contacts;
use crate::inbox::{Entry, Inbox};
use crate::sanitize;

impl Run for InboxCmd {
    fn run(&self, session: &Session) -> Result<()> {
        let store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        let inbox = Inbox::load(&store)?;
        if session.json {
            let messages: Vec<_> = inbox
                .messages()
                .filter(|e| !self.unread || e.opened_at.is_none())
                .map(|e| {
                    let verified = e.verified_contact(&contacts);
                    serde_json::json!({
                        "id": e.id,
                        "date": e.date.map(format_time),
                        "from": e.sender.as_deref().map(sanitize::line),
                        "contact": verified.map(|c| c.alias.clone()),
                        "status": e.status(&contacts).name(),
                        "subject": verified.and(e.subject.as_deref()).map(sanitize::line),
                        "message_id": verified.and(e.message_id.clone()),
                        "unread": e.opened_at.is_none(),
                    })
                })
                .collect();
            return session.print_json(&serde_json::json!({ "messages": messages }));
        }
        let listed: Vec<&Entry> = inbox.messages().filter(|e| !self.unread || e.opened_at.is_none()).collect();
        if listed.is_empty() && self.unread {
            println!("no unread messages");
            return Ok(());
        }
        if listed.is_empty() {
            println!("no messages; `sealpost sync` fetches new mail");
            return Ok(());
        }
        println!("{:>4}  {:<23}  {:<24}  {:<16}  SUBJECT", "ID", "DATE", "FROM", "STATUS");
        for entry in listed {
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
