use anyhow::Result;

use super::{format_local, format_time, Run, Session};
use crate::cli::Outbox;
use crate::error::Refusal;
use crate::outbox;
use crate::sanitize;

impl Run for Outbox {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        if let Some(message_id) = &self.cancel {
            return cancel(session, &store, message_id);
        }
        let mut delivered = Vec::new();
        let sent_copies = config.smtp.is_some() && config.imap.is_some();
        if self.flush && (!outbox::queued(&store)?.is_empty() || outbox::unfinished(&store, sent_copies)?) {
            let mut transport = session.transport(&config, &store)?;
            let flushed = outbox::flush(&store, transport.as_mut(), outbox::Retry::All)?;
            for queued in &flushed.delivered {
                if !session.json {
                    println!("delivered {} to {}", queued.message_id, queued.to);
                }
            }
            if !flushed.refused.is_empty() {
                return Err(outbox::refused_error(&flushed.refused));
            }
            for (queued, reason) in &flushed.unrecorded {
                crate::error::warn(&outbox::unrecorded_notice(queued, reason));
            }
            delivered = flushed.delivered;
        }
        let queued = outbox::queued(&store)?;
        let accepted = outbox::accepted(&store)?;
        if session.json {
            let entry = |q: &outbox::Queued, accepted: bool| {
                serde_json::json!({
                    "message_id": q.message_id, "to": q.to, "subject": q.subject, "kind": q.kind,
                    "created_at": format_time(q.created_at as i64), "attempts": q.attempts,
                    "last_error": q.last_error,
                    "refused": !accepted && outbox::refused_at(&store, &q.message_id).ok().flatten().is_some(),
                    "accepted": accepted,
                })
            };
            let list: Vec<_> =
                accepted.iter().map(|q| entry(q, true)).chain(queued.iter().map(|q| entry(q, false))).collect();
            let done: Vec<&str> = delivered.iter().map(|q| q.message_id.as_str()).collect();
            session.print_json(&serde_json::json!({ "queued": list, "delivered": done }))?;
            if self.flush && !accepted.is_empty() {
                return Err(outbox::unrecorded_error(accepted.len()));
            }
            if self.flush && !queued.is_empty() {
                return Err(Refusal::queued(format!("{} message(s) are still queued", queued.len())));
            }
            return Ok(());
        }
        if queued.is_empty() && accepted.is_empty() {
            println!("the outbox is empty");
            return Ok(());
        }
        for q in &accepted {
            println!("{}  to {}  queued {}  delivered", q.message_id, q.to, format_local(q.created_at as i64));
            println!("    subject: {}", sanitize::line(&q.subject));
            println!(
                "    the server accepted it; it will not be sent again. It could not be recorded as sent yet: \
                 the next `sealpost sync` does that"
            );
        }
        for q in &queued {
            println!(
                "{}  to {}  queued {}  attempts {}",
                q.message_id,
                q.to,
                format_local(q.created_at as i64),
                q.attempts
            );
            println!("    subject: {}", sanitize::line(&q.subject));
            if let Some(error) = &q.last_error {
                println!("    last error: {error}");
            }
            if outbox::refused_at(&store, &q.message_id)?.is_some() {
                println!(
                    "    refused by the server: not retried by `sync` until the account changes; \
                     `sealpost outbox --flush` tries it now"
                );
            }
        }
        if self.flush && !accepted.is_empty() {
            return Err(outbox::unrecorded_error(accepted.len()));
        }
        if self.flush && !queued.is_empty() {
            return Err(Refusal::queued(format!("{} message(s) are still queued", queued.len())));
        }
        Ok(())
    }
}

/// `outbox --cancel`: withdraws a queued message, and says whether the
/// server may have it already.
fn cancel(session: &Session, store: &crate::store::Store, message_id: &str) -> Result<()> {
    let (queued, withdrawn) = outbox::cancel(store, message_id)?;
    let maybe_delivered = withdrawn == outbox::Withdrawn::MaybeDelivered;
    if session.json {
        return session.print_json(&serde_json::json!({
            "cancelled": queued.message_id,
            "to": queued.to,
            "maybe_delivered": maybe_delivered,
        }));
    }
    println!("withdrew {} to {}: it will not be sent", queued.message_id, queued.to);
    if maybe_delivered {
        println!(
            "    it was being handed to the server when sealpost was stopped: if the server took it by then, \
             {} may still receive it",
            queued.to
        );
    }
    Ok(())
}
