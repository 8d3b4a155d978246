//! Mail account passwords.
//!
//! In order: the server's `password_command` (its standard output, e.g.
//! `pass show mail`), a password stored encrypted in the store with
//! `sealpost account set-password`, or a prompt on a terminal. A plaintext
//! password in the config file is refused when the config is read.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Server};
use crate::error::Refusal;
use crate::store::Store;

const PASSWORDS: &str = "passwords.age";

/// Which server a password is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Smtp,
    Imap,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Smtp => "smtp",
            Role::Imap => "imap",
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
struct Passwords {
    by_server: BTreeMap<String, String>,
}

/// Stores a password for a server, encrypted.
pub fn store_password(store: &Store, role: Role, password: &str) -> Result<()> {
    let mut all: Passwords = store.read(PASSWORDS)?.unwrap_or_default();
    all.by_server.insert(role.name().to_string(), password.to_string());
    store.write(PASSWORDS, &all)
}

/// The login name and password for a server.
pub fn credentials(store: &Store, config: &Config, role: Role, server: &Server) -> Result<(String, String)> {
    let username = server.username.clone().unwrap_or_else(|| config.account.address.clone());
    if let Some(command) = &server.password_command {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .output()
            .with_context(|| format!("running the {} password_command", role.name()))?;
        if !output.status.success() {
            bail!(
                "the {} password_command `{command}` failed ({}): {}",
                role.name(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let text = String::from_utf8(output.stdout).context("the password_command printed non-UTF-8")?;
        let password = text.lines().next().unwrap_or("").to_string();
        if password.is_empty() {
            bail!("the {} password_command `{command}` printed nothing", role.name());
        }
        return Ok((username, password));
    }
    let stored: Passwords = store.read(PASSWORDS)?.unwrap_or_default();
    if let Some(password) = stored.by_server.get(role.name()) {
        return Ok((username, password.clone()));
    }
    if crate::passphrase::has_terminal() {
        let password = rpassword::prompt_password(format!("{} password for {username}: ", role.name()))?;
        return Ok((username, password));
    }
    Err(Refusal::locked(format!(
        "no {} password available and no terminal to ask; set `password_command` in the config or run \
         `sealpost account set-password --server {}`",
        role.name(),
        role.name()
    )))
}
