use anyhow::{Context, Result};

use super::sent::Row;
use super::{Run, Session};
use crate::cli::Status;
use crate::contacts::Contacts;
use crate::inbox::Inbox;
use crate::keys;
use crate::outbox;
use crate::sanitize;

impl Run for Status {
    fn run(&self, session: &Session) -> Result<()> {
        let store = session.unlock_to_read()?;
        let contacts = Contacts::load(&store)?;
        let all = outbox::tracked(&store)?;
        let wanted = self.id.trim();
        let tracked = all
            .iter()
            .find(|t| {
                let row = Row::of(t, &contacts);
                row.id.is_some_and(|id| id.to_string() == wanted)
                    || t.message_id() == wanted
                    || t.message_id().trim_matches(['<', '>']) == wanted
            })
            .with_context(|| format!("no sent message {wanted}; `sealpost sent` lists them"))?;
        let row = Row::of(tracked, &contacts);
        // Receipts naming this message that failed their checks.
        let inbox = Inbox::load(&store)?;
        let receipts = inbox.receipts_for(&row.message_id)?;
        let rejected: Vec<serde_json::Value> = receipts
            .iter()
            .filter_map(|e| e.receipt.as_ref().filter(|r| !r.accepted).map(|r| (e, r)))
            .map(|(e, r)| {
                serde_json::json!({
                    "inbox_id": e.id,
                    "from": e.sender,
                    "reason": r.reason,
                })
            })
            .collect();
        if session.json {
            let mut value = serde_json::to_value(&row)?;
            value["digest_matches"] = serde_json::Value::Bool(row.digest_matches == Some(true));
            value["rejected_receipts"] = serde_json::Value::Array(rejected);
            return session.print_json(&value);
        }
        println!("Message:  {}", row.message_id);
        match &row.contact {
            Some(alias) => println!("To:       {alias} <{}>", row.to),
            None => println!("To:       {}", row.to),
        }
        println!("Subject:  {}", sanitize::line(&row.subject));
        println!("Created:  {}", row.created_at);
        if let Some(sent_at) = &row.sent_at {
            println!("Sent:     {sent_at}");
        }
        if let Some(error) = &row.last_error {
            println!("Error:    {error} ({} attempts; `sealpost sync` retries)", row.attempts.unwrap_or(0));
        }
        if let Some(digest) = &row.content_sha256 {
            println!("Content:  sha256 {digest}");
        }
        println!("Receipt:  {}", if row.receipt_requested { "requested" } else { "not requested" });
        println!("State:    {}", row.state);
        if let (Some(at), Some(by), Some(signer)) = (&row.read_at, &row.read_by, &row.receipt_signer) {
            let signer = signer.parse().map(|f| keys::grouped(&f)).unwrap_or_else(|_| signer.clone());
            println!("Read:     {at} by {by} (the time the reader's key signed the receipt)");
            println!("Signer:   {signer}");
            match (row.digest_matches, row.digest) {
                (Some(true), _) => println!("Digest:   matches the content that was sent"),
                (_, Some("absent")) => println!(
                    "Digest:   absent: the receipt names no content (Delta Chat sends none); read, not bound to \
                     content"
                ),
                _ => println!("Digest:   DOES NOT match the content that was sent"),
            }
        }
        for r in &rejected {
            println!(
                "Rejected: a receipt from {} (inbox {}): {}",
                r["from"].as_str().map(sanitize::line).unwrap_or_else(|| "(unknown)".to_string()),
                r["inbox_id"],
                sanitize::line(r["reason"].as_str().unwrap_or(""))
            );
        }
        Ok(())
    }
}
