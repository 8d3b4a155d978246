//! `unlock`, `lock`, and the hidden `agent-serve` (see `crate::agent`).

use std::time::Duration;

use anyhow::Result;

use super::{Run, Session};
use crate::agent;
use crate::cli::{AgentServe, Lock, Unlock};
use crate::store::{Keyring, Store};

impl Run for Unlock {
    fn run(&self, session: &Session) -> Result<()> {
        if self.status {
            return status(session);
        }
        let config = session.config()?;
        let idle = self.idle.clone().or(config.agent_idle.clone()).unwrap_or_else(|| agent::DEFAULT_IDLE.to_string());
        let idle = agent::parse_idle(&idle)?;
        // An agent already holds the keys: start its idle time over rather
        // than ask for the passphrase again.
        if let Some(locks_in) = agent::extend(&session.home, idle)? {
            if session.json {
                return session.print_json(&serde_json::json!({ "idle_seconds": locks_in }));
            }
            println!(
                "already unlocked: the keys stay in memory until {} without use (counted from now), or \
                 `sealpost lock`",
                human(Duration::from_secs(locks_in))
            );
            return Ok(());
        }
        let passphrase = session.passphrase.existing()?;
        let keyring = Store::open_keyring(&session.home, &passphrase)?;
        let started = agent::start(&session.home, &keyring, idle)?;
        drop(keyring);
        // An agent an `unlock` alongside started keeps its own idle time.
        let idle = match started {
            agent::Started::Unlocked => idle,
            agent::Started::AlreadyRunning => agent::status(&session.home)?.map(Duration::from_secs).unwrap_or(idle),
        };
        if session.json {
            return session.print_json(&serde_json::json!({ "idle_seconds": idle.as_secs() }));
        }
        match started {
            agent::Started::Unlocked => {
                println!("unlocked; the keys stay in memory until {} without use, or `sealpost lock`", human(idle))
            }
            agent::Started::AlreadyRunning => println!(
                "already unlocked: an unlock agent for this store started at the same moment keeps the keys \
                 until {} without use, or `sealpost lock`",
                human(idle)
            ),
        }
        Ok(())
    }
}

/// After `join` created an identity at a terminal: the unlock agent keeps
/// the keys (as `sealpost unlock` does, for the default idle time), so the
/// `sync` and `read` that follow do not ask for the passphrase just chosen.
/// Not with a passphrase file (scripts need no agent); a failure is only
/// told, and the next command asks.
pub fn keep_unlocked(session: &Session, keyring: &Keyring) {
    if session.passphrase.file.is_some() || !crate::passphrase::has_terminal() {
        return;
    }
    let started = agent::parse_idle(agent::DEFAULT_IDLE)
        .and_then(|idle| agent::start(&session.home, keyring, idle).map(|_| idle));
    match started {
        Ok(idle) => {
            eprintln!("unlocked: the keys stay in memory until {} without use, or `sealpost lock`", human(idle))
        }
        Err(e) => crate::error::warn(&format!("could not keep the store unlocked ({e:#}); the next command asks")),
    }
}

/// `unlock --status`: locked, or unlocked until when (without use).
fn status(session: &Session) -> Result<()> {
    let locks_in = agent::status(&session.home)?;
    let until = locks_in.map(|s| super::format_time(crate::contacts::now() as i64 + s as i64));
    if session.json {
        return session.print_json(&serde_json::json!({
            "unlocked": locks_in.is_some(), "until": until, "locks_in_seconds": locks_in,
        }));
    }
    match (locks_in, until) {
        (Some(seconds), Some(until)) => println!(
            "unlocked until {until} (locks after {} without use; each use starts it over)",
            human(Duration::from_secs(seconds))
        ),
        _ => println!("locked"),
    }
    Ok(())
}

impl Run for Lock {
    fn run(&self, session: &Session) -> Result<()> {
        let was_running = agent::lock(&session.home)?;
        if session.json {
            return session.print_json(&serde_json::json!({ "locked": was_running }));
        }
        if was_running {
            println!("locked: the unlock agent wiped the keys and ended");
        } else {
            println!("no unlock agent was running");
        }
        Ok(())
    }
}

impl Run for AgentServe {
    fn run(&self, _session: &Session) -> Result<()> {
        agent::serve(&self.socket, Duration::from_secs(self.idle_seconds))
    }
}

fn human(d: Duration) -> String {
    match d.as_secs() {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}
