//! The account configuration (`config.toml`).
//!
//! It names the user and where mail comes from and goes to. It holds no
//! secrets: the contact list and the keys live in the encrypted store.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::home::{self, Home};

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What `read` does when a verified message asks for a read receipt.
    #[serde(default)]
    pub receipts: ReceiptPolicy,
    /// Whether `send` asks recipients for a read receipt (`send
    /// --no-receipt` turns it off for one message).
    #[serde(default = "yes")]
    pub request_receipts: bool,
    /// How long the practice keeps a contact's records, counted from the
    /// last message with them (`7y`, `6y`, `90d`; none when unset). A
    /// contact may have its own (`contact retention`). See `records`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
    /// `send` refuses a contact without recorded consent to electronic
    /// messaging (`contact consent`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_consent: bool,
    /// How long the unlock agent keeps the keys without a request (`15m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_idle: Option<String>,
    pub account: Account,
    /// Local delivery: read from a Maildir, send by dropping into
    /// `<drop>/<recipient address>/new`.
    pub maildir: Option<MaildirAccount>,
    /// Submission server (SMTP).
    pub smtp: Option<Server>,
    /// Mailbox server (IMAP).
    pub imap: Option<Server>,
    /// Sign in to both servers with OAuth2 instead of passwords (Microsoft
    /// 365, Outlook.com): `sealpost account login` (see `sign_in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
}

/// The provider's OAuth2 endpoints and the client sealpost signs in as. The
/// tokens live in the store, never here.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// The application (client) id registered with the provider, as a public
    /// client allowed the device code flow.
    pub client_id: String,
    /// Where the sign-in code is asked for (RFC 8628).
    pub device_authorization_url: String,
    /// Where tokens are issued and renewed.
    pub token_url: String,
    /// What the token may be used for, e.g. IMAP, SMTP and `offline_access`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// A private CA to trust for the endpoints instead of the system roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

/// Whether to answer a verified sender's request for a read receipt.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptPolicy {
    /// Send it when the message is shown.
    #[default]
    Send,
    /// Ask on the terminal each time; without a terminal, send nothing.
    Ask,
    /// Never send read receipts.
    Never,
}

/// How a connection is secured. There is deliberately no value without TLS.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (SMTP 465, IMAP 993).
    Tls,
    /// Plain connection upgraded with STARTTLS before anything else (SMTP 587,
    /// IMAP 143); a server that does not offer it is refused.
    Starttls,
}

impl Security {
    /// As a user reads it: `implicit TLS` or `STARTTLS`.
    pub fn name(self) -> &'static str {
        match self {
            Security::Tls => "implicit TLS",
            Security::Starttls => "STARTTLS",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Login name; the account address when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// A command whose standard output is the password (e.g. `pass show mail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_command: Option<String>,
    /// A private CA to trust instead of the system roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// IMAP: the folder to read (INBOX when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// IMAP: the folder sent copies are appended to (Sent when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_folder: Option<String>,
    /// Refused when present: passwords never live in plaintext config.
    #[serde(default, skip_serializing)]
    pub password: Option<toml::Value>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: String,
    pub address: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct MaildirAccount {
    /// The Maildir this account reads.
    pub inbox: PathBuf,
    /// The folder holding one Maildir per address, delivered into.
    pub drop: PathBuf,
}

impl Config {
    pub fn load(home: &Home) -> Result<Config> {
        let path = home.config_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(home.missing(&path)),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let config: Config = toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        for (name, server) in [("smtp", &config.smtp), ("imap", &config.imap)] {
            if server.as_ref().is_some_and(|s| s.password.is_some()) {
                anyhow::bail!(
                    "{} has a plaintext `password` in [{name}]; sealpost refuses to use it. Remove it and \
                     either set `password_command` (e.g. \"pass show mail\"), or store the password \
                     encrypted with `sealpost account set-password`",
                    path.display()
                );
            }
        }
        Ok(config)
    }

    pub fn save(&self, home: &Home) -> Result<()> {
        home::write_atomic(&home.config_file(), toml::to_string_pretty(self)?.as_bytes())
    }
}
