use anyhow::{bail, Result};

use super::init::{Created, Purpose};
use super::sync::Summary;
use super::{Run, Session};
use crate::cli::Join as JoinCmd;
use crate::contacts::{group_hex, Contacts};
use crate::error::Refusal;
use crate::invite::{InviteCode, JoinStage, Joins};
use crate::join;
use crate::passphrase::has_terminal;
use crate::sanitize;
use std::time::{Duration, Instant};

impl Run for JoinCmd {
    fn run(&self, session: &Session) -> Result<()> {
        // The code's form is checked before anything is created, unlocked
        // or written.
        let code = InviteCode::parse(&self.code).map_err(|e| Refusal::verification(format!("{e:#}")))?;
        let created = self.identity(session)?;
        let config = session.config()?;
        let mut store = match created {
            Some(created) => {
                super::agent::keep_unlocked(session, &created.keyring);
                created.store
            }
            None => session.unlock()?,
        };
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
        let stage = match self.wait {
            Some(seconds) => self.wait_for(session, &config, &mut store, &code, Duration::from_secs(seconds))?,
            None => JoinStage::RequestSent { at: 0 },
        };
        if session.json {
            return session.print_json(&serde_json::json!({
                "inviter": code.address,
                "fingerprint": code.fingerprint,
                "stage": stage_name(&stage),
            }));
        }
        match stage {
            JoinStage::Completed { .. } => println!(
                "verified both ways with {}: their notes to you are readable after your next `sealpost sync`",
                code.address
            ),
            JoinStage::AuthSent { .. } => println!(
                "their key matched the code and your proof is sent; run `sealpost sync` until it says verified"
            ),
            _ if self.wait.is_some() => {
                println!("no answer from {} yet; run `sealpost sync` until it says verified", code.address)
            }
            _ => println!("sent the join request; run `sealpost sync` until it says verified (both of you)"),
        }
        Ok(())
    }
}

/// How often `join --wait` fetches.
const POLL: Duration = Duration::from_secs(3);

fn stage_name(stage: &JoinStage) -> &'static str {
    match stage {
        JoinStage::RequestSent { .. } => "request-sent",
        JoinStage::AuthSent { .. } => "auth-sent",
        JoinStage::Completed { .. } => "completed",
        JoinStage::Refused { .. } => "refused",
    }
}

impl JoinCmd {
    /// Syncs every few seconds until the join with `code` completes, is
    /// refused or expires, or `wait` has passed; returns where it stands.
    /// Each round is a whole `sync` (the inviter's answer is answered at
    /// once, other mail is stored as usual); between rounds the store is
    /// left to other commands. A round that fails is said (once for the
    /// same reason) and the next one tries again; only a locked store or a
    /// refusal to verify ends the wait.
    fn wait_for(
        &self,
        session: &Session,
        config: &crate::config::Config,
        store: &mut crate::store::Store,
        code: &InviteCode,
        wait: Duration,
    ) -> Result<JoinStage> {
        let deadline = Instant::now() + wait;
        if !session.json {
            eprintln!(
                "waiting up to {} s for {} to answer (Ctrl-C stops waiting; nothing is lost)",
                wait.as_secs(),
                code.address
            );
        }
        let mut said = String::new();
        loop {
            let join = Joins::load(store)?.joins.iter().rev().find(|j| j.token == code.token).cloned();
            let stage = join.as_ref().map_or(JoinStage::RequestSent { at: 0 }, |j| j.stage.clone());
            match &stage {
                JoinStage::Completed { .. } => return Ok(stage),
                JoinStage::Refused { reason, .. } => {
                    return Err(Refusal::verification(format!("the join was refused: {}", sanitize::line(reason))))
                }
                _ if Instant::now() >= deadline => return Ok(stage),
                _ if join.is_some_and(|j| j.expires_at <= crate::contacts::now()) => {
                    return Err(Refusal::verification(format!(
                        "the invite code expired before the join completed; ask {} for a new one",
                        code.address
                    )))
                }
                _ => {}
            }
            let pause = POLL.min(deadline.saturating_duration_since(Instant::now()));
            store.without_lock(|| std::thread::sleep(pause))?;
            let round = crate::cli::Sync {}.exchange(session, config, store, Summary::HandshakesOnly);
            if let Err(e) = round {
                use crate::error::ExitCode;
                if matches!(crate::error::exit_code_of(&e), ExitCode::Locked | ExitCode::VerificationFailed) {
                    return Err(e);
                }
                let reason = format!("{e:#}");
                if reason != said {
                    crate::error::warn(&format!("{reason}; trying again while waiting"));
                    said = reason;
                }
            }
        }
    }

    /// The identity created for this join when the machine has none yet
    /// (`None`: the existing one joins). A client's first command can be
    /// `join`: from the options given, or on a terminal from their name
    /// and address asked for there.
    fn identity(&self, session: &Session) -> Result<Option<Created>> {
        // Any part of a store, its config included, is an identity here.
        if !session.home.store_parts().is_empty() {
            if let Some(option) = self.init.given().first() {
                bail!(
                    "an identity already exists here ({}); `sealpost join CODE` joins with it. The options for a \
                     new identity ({option}, ...) are for a machine without one; nothing was changed",
                    session.home.config_file().display()
                );
            }
            return Ok(None);
        }
        let mut init = self.init.clone();
        if init.email.is_none() && !has_terminal() {
            bail!(
                "there is no identity here yet: `sealpost join CODE --name \"Your Name\" --email you@example.org` \
                 creates one and joins (add --yes to accept your provider's settings without a terminal)"
            );
        }
        let name_missing = init.name.is_none() && init.import_key.is_none();
        if (init.email.is_none() || name_missing) && has_terminal() {
            eprintln!("There is no identity here yet; sealpost creates one for you first.");
            if name_missing {
                init.name = Some(ask("your name, as your contacts will see it: ")?);
            }
            if init.email.is_none() {
                init.email = Some(ask("your email address: ")?);
            }
        }
        init.create(session, Purpose::Join).map(Some)
    }
}

/// One line read from the terminal (not from stdin, which a script may
/// have redirected) after `prompt`, not empty.
fn ask(prompt: &str) -> Result<String> {
    use std::io::{BufRead, Write};
    let mut tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    tty.write_all(prompt.as_bytes())?;
    let mut line = String::new();
    std::io::BufReader::new(tty).read_line(&mut line)?;
    let line = line.trim().to_string();
    if line.is_empty() {
        bail!("nothing entered; nothing was created");
    }
    Ok(line)
}
