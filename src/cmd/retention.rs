use anyhow::Result;

use super::{format_local, format_time, Run, Session};
use crate::cli::Retention;
use crate::contacts::{now, Contacts};
use crate::records;

impl Run for Retention {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock_to_read()?;
        let contacts = Contacts::load(&store)?;
        let now = now();
        let all: Vec<_> =
            records::retention(&store, &config, &contacts)?.into_iter().filter(|r| !self.due || r.due(now)).collect();
        if session.json {
            let rows: Vec<_> = all
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "contact": r.alias,
                        "address": r.address,
                        "period": r.period,
                        "period_from": if r.from_contact { "contact" } else if r.period.is_some() { "practice" } else { "none" },
                        "since": format_time(r.since as i64),
                        "ends_at": r.ends_at.map(|t| format_time(t as i64)),
                        "due": r.due(now),
                        "hold": r.hold,
                        "received": r.received,
                        "sent": r.sent,
                    })
                })
                .collect();
            return session.print_json(&serde_json::json!({ "contacts": rows }));
        }
        if config.retention.is_none() {
            println!(
                "no retention period is set for the practice (`retention = \"7y\"` in the config); records are kept \
                 until you decide"
            );
        }
        if all.is_empty() {
            println!("{}", if self.due { "no records are past their retention period" } else { "no contacts" });
        }
        for r in &all {
            let state = match (r.hold, r.ends_at) {
                (true, _) => "on legal hold".to_string(),
                (false, None) => "kept until you decide".to_string(),
                (false, Some(end)) if end <= now => format!("DUE since {}", format_local(end as i64)),
                (false, Some(end)) => format!("kept until {}", format_local(end as i64)),
            };
            let period = r.period.as_deref().unwrap_or("none");
            let source = if r.from_contact { " (contact's own)" } else { "" };
            println!(
                "{:<12} {}  {} received, {} sent, last {}; period {period}{source}: {state}",
                r.alias,
                r.address,
                r.received,
                r.sent,
                format_local(r.since as i64)
            );
        }
        Ok(())
    }
}
