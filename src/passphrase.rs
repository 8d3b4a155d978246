//! Where the passphrase comes from.
//!
//! On a terminal it is prompted (twice when a new one is chosen). Scripts and
//! tests name a file holding it (`--passphrase-file`, or the
//! `SEALPOST_PASSPHRASE_FILE` variable). When stdin is not a terminal and no
//! file is named, nothing prompts: the command fails at once with exit code 5
//! instead of hanging on input that will never come.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use anyhow::{bail, Context, Result};

use crate::error::Refusal;

/// How this invocation may obtain the passphrase.
#[derive(Clone, Debug, Default)]
pub struct PassphraseSource {
    pub file: Option<PathBuf>,
}

impl PassphraseSource {
    /// The passphrase of an existing store.
    pub fn existing(&self) -> Result<SecretString> {
        if let Some(path) = &self.file {
            return read_file(path);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Refusal::locked(
                "the store is locked and there is no terminal to ask for the passphrase; \
                 pass --passphrase-file FILE or set SEALPOST_PASSPHRASE_FILE",
            ));
        }
        let entered = rpassword::prompt_password("sealpost passphrase: ").context("reading the passphrase")?;
        Ok(SecretString::from(entered))
    }

    /// A new passphrase, asked twice on a terminal.
    pub fn new_passphrase(&self) -> Result<SecretString> {
        if let Some(path) = &self.file {
            return read_file(path);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Refusal::locked(
                "a new store needs a passphrase and there is no terminal to ask for it; \
                 pass --passphrase-file FILE or set SEALPOST_PASSPHRASE_FILE",
            ));
        }
        let first = rpassword::prompt_password("choose a passphrase: ").context("reading the passphrase")?;
        let second = rpassword::prompt_password("repeat the passphrase: ").context("reading the passphrase")?;
        if first != second {
            bail!("the two passphrases differ; nothing was created");
        }
        check_strength(&first)?;
        Ok(SecretString::from(first))
    }
}

fn check_strength(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < 8 {
        bail!("the passphrase is shorter than 8 characters; nothing was created");
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Refusal::locked(format!("cannot read the passphrase file {}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(Refusal::locked(format!("the passphrase file {} is empty", path.display())));
    }
    Ok(SecretString::from(line.to_string()))
}
