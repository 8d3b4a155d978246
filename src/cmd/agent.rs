//! `unlock`, `lock`, and the hidden `agent-serve` (see `crate::agent`).

use std::time::Duration;

use anyhow::Result;

use super::{Run, Session};
use crate::agent;
use crate::cli::{AgentServe, Lock, Unlock};
use crate::store::Store;

impl Run for Unlock {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let idle = self.idle.clone().or(config.agent_idle.clone()).unwrap_or_else(|| agent::DEFAULT_IDLE.to_string());
        let idle = agent::parse_idle(&idle)?;
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
