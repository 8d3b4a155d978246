use anyhow::Result;

use super::{Run, Session};
use crate::cli::Join as JoinCmd;
use crate::contacts::{group_hex, Contacts};
use crate::error::Refusal;
use crate::invite::InviteCode;
use crate::join;

impl Run for JoinCmd {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        // The code's form is checked before anything is unlocked or written.
        let code = InviteCode::parse(&self.code).map_err(|e| Refusal::verification(format!("{e:#}")))?;
        let store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        let queued = store.transaction(|| {
            let queued =
                join::start(&store, &config, &contacts, &code).map_err(|e| Refusal::verification(format!("{e:#}")))?;
            let event = crate::audit::Event::new(crate::audit::Action::JoinStep).contact(&code.address);
            let detail = format!("join request to the key {}", code.fingerprint);
            crate::audit::record(&store, event.message(&queued.message_id).detail(detail))?;
            Ok(queued)
        })?;
        if !session.json {
            println!("joining {} (key {})", code.address, group_hex(&code.fingerprint));
        }
        let flushed = session.deliver_outbox(&config, &store, None)?;
        if let Some((_, reason)) = flushed.failed.iter().find(|(q, _)| q.message_id == queued.message_id) {
            return Err(Refusal::queued(format!(
                "queued, will retry: the join request to {} could not be delivered ({reason}); `sealpost sync` \
                 will try again",
                code.address
            )));
        }
        if session.json {
            return session.print_json(&serde_json::json!({
                "inviter": code.address,
                "fingerprint": code.fingerprint,
                "stage": "request-sent",
            }));
        }
        println!("sent the join request; run `sealpost sync` until it says verified (both of you)");
        Ok(())
    }
}
