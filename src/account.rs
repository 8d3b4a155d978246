//! Mail account passwords.
//!
//! In order: the server's `password_command` (its standard output, e.g.
//! `pass show mail`), a password stored encrypted in the store with
//! `sealpost account set-password`, or a prompt on a terminal. A plaintext
//! password in the config file is refused when the config is read.
//!
//! An account with an `[oauth2]` section logs in to both servers with an
//! OAuth2 access token instead (see `sign_in`).
//!
//! A command asks for each password at most once: [`Credentials`] keeps what
//! it got, in memory and wiped when the command ends. Servers with the same
//! host, username and `password_command` are one account, whose password is
//! asked (or whose command is run) once for both; a stored password is kept
//! per server, as `set-password --server` stores it.

use std::cell::RefCell;
use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

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

/// When the account last changed: the config file, the stored passwords or
/// the OAuth2 sign-in.
/// A message the server refused for good is tried again only after this.
pub fn changed_at(home: &crate::home::Home, store: &Store) -> std::time::SystemTime {
    let config = std::fs::metadata(home.config_file()).and_then(|m| m.modified()).ok();
    // A sign-in (`account login`, or a renewal) counts as a change too.
    let stored = store.modified(PASSWORDS).into_iter().chain(store.modified(crate::sign_in::TOKENS));
    config.into_iter().chain(stored).max().unwrap_or(std::time::UNIX_EPOCH)
}

/// Stores a password for a server, encrypted.
pub fn store_password(store: &Store, role: Role, password: &str) -> Result<()> {
    let mut all: Passwords = store.read(PASSWORDS)?.unwrap_or_default();
    all.by_server.insert(role.name().to_string(), password.to_string());
    store.write(PASSWORDS, &all)
}

/// The passwords one command has obtained, so that it asks for each once.
#[derive(Default)]
pub struct Credentials {
    known: RefCell<Vec<(Account, Zeroizing<String>)>>,
    /// The OAuth2 access token and when it ends (seconds since the epoch).
    token: RefCell<Option<(Zeroizing<String>, u64)>>,
}

/// What makes two servers one account: the host, the login name, and where
/// the password comes from.
#[derive(Clone, PartialEq, Eq)]
struct Account {
    host: String,
    username: String,
    source: Source,
}

#[derive(Clone, PartialEq, Eq)]
enum Source {
    Command(String),
    Prompt,
}

/// How a command logs in to a server.
pub struct Login {
    pub username: String,
    pub secret: Zeroizing<String>,
    pub method: Method,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Method {
    /// `secret` is the password (IMAP LOGIN, SMTP PLAIN/LOGIN).
    Password,
    /// `secret` is an OAuth2 access token (XOAUTH2), see `sign_in`.
    OAuth2,
}

impl Method {
    /// As `account check --json` names it.
    pub fn name(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::OAuth2 => "oauth2",
        }
    }
}

impl Credentials {
    /// How to log in to a server: with an OAuth2 access token when the
    /// config has an `[oauth2]` section, else with the password, asked for
    /// (or its command run) at most once per account in the life of this
    /// cache.
    pub fn get(&self, store: &Store, config: &Config, role: Role, server: &Server) -> Result<Login> {
        let username = server.username.clone().unwrap_or_else(|| config.account.address.clone());
        if let Some(oauth2) = &config.oauth2 {
            // Kept for the command while it is good: a long command (`join
            // --wait`, a big outbox) renews it when it is about to end.
            let mut token = self.token.borrow_mut();
            let secret = match token.as_ref() {
                Some((secret, expires_at)) if crate::sign_in::good_for_now(*expires_at) => secret.clone(),
                _ => {
                    let (secret, expires_at) = crate::sign_in::access_token(oauth2, store)?;
                    *token = Some((secret.clone(), expires_at));
                    secret
                }
            };
            return Ok(Login { username, secret, method: Method::OAuth2 });
        }
        let source = match &server.password_command {
            Some(command) => Source::Command(command.clone()),
            None => {
                // Stored per server, as `set-password --server` stores it.
                let stored: Passwords = store.read(PASSWORDS)?.unwrap_or_default();
                if let Some(password) = stored.by_server.get(role.name()) {
                    return Ok(Login { username, secret: Zeroizing::new(password.clone()), method: Method::Password });
                }
                Source::Prompt
            }
        };
        let account = Account { host: server.host.to_ascii_lowercase(), username, source };
        if let Some((_, password)) = self.known.borrow().iter().find(|(a, _)| *a == account) {
            return Ok(Login { username: account.username, secret: password.clone(), method: Method::Password });
        }
        let password = Zeroizing::new(match &account.source {
            Source::Command(command) => run_password_command(role, command)?,
            Source::Prompt => prompt(role, &account.username)?,
        });
        self.known.borrow_mut().push((account.clone(), password.clone()));
        Ok(Login { username: account.username, secret: password, method: Method::Password })
    }
}

fn run_password_command(role: Role, command: &str) -> Result<String> {
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
    let text = Zeroizing::new(String::from_utf8(output.stdout).context("the password_command printed non-UTF-8")?);
    let password = text.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        bail!("the {} password_command `{command}` printed nothing", role.name());
    }
    Ok(password)
}

fn prompt(role: Role, username: &str) -> Result<String> {
    if crate::passphrase::has_terminal() {
        return Ok(rpassword::prompt_password(format!("{} password for {username}: ", role.name()))?);
    }
    Err(Refusal::locked(format!(
        "no {} password available and no terminal to ask; set `password_command` in the config or run \
         `sealpost account set-password --server {}`",
        role.name(),
        role.name()
    )))
}
