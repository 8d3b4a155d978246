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
    pub account: Account,
    /// Local delivery: read from a Maildir, send by dropping into
    /// `<drop>/<recipient address>/new`.
    pub maildir: Option<MaildirAccount>,
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
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("no sealpost identity at {}; run `sealpost init` first", path.display()))?;
        toml::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    pub fn save(&self, home: &Home) -> Result<()> {
        home::write_atomic(&home.config_file(), toml::to_string_pretty(self)?.as_bytes())
    }
}
