use anyhow::Result;

use super::{format_time, Run, Session};
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
                    serde_json::json!({
                        "id": e.id,
                        "date": e.date.map(format_time),
                        "from": e.sender.as_deref().map(sanitize::line),
                        "contact": e.sender.as_deref().and_then(|s| contacts.by_address(s)).map(|c| c.alias.clone()),
                        "status": e.status(&contacts).name(),
                        "subject": e.subject.as_deref().map(sanitize::line),
                        "message_id": e.message_id,
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
        println!("{:>4}  {:<20}  {:<24}  {:<16}  SUBJECT", "ID", "DATE", "FROM", "STATUS");
        for entry in listed {
            println!(
                "{:>4}  {:<20}  {:<24}  {:<16}  {}",
                entry.id,
                entry.date.map(|d| format_time(d).chars().take(19).collect::<String>()).unwrap_or_default(),
                sender_label(entry, &contacts),
                entry.status(&contacts).name(),
                sanitize::line(entry.subject.as_deref().unwrap_or("")),
            );
        }
        Ok(())
    }
}

/// A contact's alias when the sender is a contact, else the address.
pub fn sender_label(entry: &Entry, contacts: &Contacts) -> String {
    match entry.sender.as_deref() {
        Some(address) => contacts.find(address).map(|c| c.alias.clone()).unwrap_or_else(|| sanitize::line(address)),
        None => "(unknown)".to_string(),
    }
}
