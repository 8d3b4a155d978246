use anyhow::Result;

use super::{format_local, parse_day, Run, Session};
use crate::audit::{self, Entry, Filter, Verified};
use crate::cli::Audit;
use crate::contacts::Contacts;
use crate::error::Refusal;
use crate::sanitize;

impl Run for Audit {
    fn run(&self, session: &Session) -> Result<()> {
        // A writer's unlock: it moves the unlocks noted since (a failed
        // one, those of commands that only read) into the log first.
        let store = session.unlock()?;
        if self.verify {
            let verified = audit::verify(&store)?;
            if session.json {
                session.print_json(&match &verified {
                    Verified::Whole(count) => {
                        serde_json::json!({ "whole": true, "entries": count, "broken_at": null, "reason": null })
                    }
                    Verified::Broken { seq, reason } => {
                        serde_json::json!({ "whole": false, "entries": null, "broken_at": seq, "reason": reason })
                    }
                })?;
            }
            return match verified {
                Verified::Whole(count) => {
                    if !session.json {
                        println!("the audit log is whole: {count} entries, each following the one before");
                    }
                    Ok(())
                }
                Verified::Broken { seq, reason } => {
                    Err(Refusal::verification(format!("the audit log is broken at entry {seq}: {reason}")))
                }
            };
        }
        let contacts = Contacts::load(&store)?;
        let contact = self.contact.as_deref().map(|who| contacts.get(who).map(|c| c.address.clone())).transpose()?;
        let since = self.since.as_deref().map(parse_day).transpose()?;
        let entries = audit::entries(&store, &Filter { contact: contact.as_deref(), since })?;
        // Tags back to names, for the contacts the store still has.
        let mut names = std::collections::HashMap::new();
        for c in contacts.iter() {
            if let Some(tag) = audit::tag_of(&store, &c.address)? {
                names.insert(tag, (c.alias.clone(), c.address.clone()));
            }
        }
        if session.json {
            let all: Vec<_> = entries.iter().map(|e| entry_json(e, &names)).collect();
            return session.print_json(&serde_json::json!({ "entries": all }));
        }
        if entries.is_empty() {
            println!("no audit entries");
        }
        for entry in &entries {
            let who = match &entry.contact {
                Some(tag) => match names.get(tag) {
                    Some((alias, _)) => alias.clone(),
                    None => format!("(contact {})", &tag[..8.min(tag.len())]),
                },
                None => "-".to_string(),
            };
            let mut line = format!("{:>6}  {}  {:<17} {who}", entry.seq, format_local(entry.at), entry.action);
            if let Some(id) = &entry.message_id {
                line.push_str(&format!("  {}", sanitize::line(id)));
            }
            if let Some(detail) = &entry.detail {
                line.push_str(&format!("  {}", sanitize::line(detail)));
            }
            println!("{line}");
        }
        Ok(())
    }
}

fn entry_json(entry: &Entry, names: &std::collections::HashMap<String, (String, String)>) -> serde_json::Value {
    let named = entry.contact.as_ref().and_then(|tag| names.get(tag));
    serde_json::json!({
        "seq": entry.seq,
        "at": super::format_time(entry.at),
        "action": entry.action,
        "contact_tag": entry.contact,
        "contact": named.map(|(alias, _)| alias),
        "address": named.map(|(_, address)| address),
        "message_id": entry.message_id.as_deref().map(crate::sanitize::line),
        "sha256": entry.sha256,
        "detail": entry.detail,
    })
}
