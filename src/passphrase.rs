//! Where the passphrase comes from.
//!
//! On a terminal it is prompted (twice when a new one is chosen), on the
//! terminal itself (`/dev/tty`) rather than stdin, as gpg, age and ssh do:
//! `echo text | sealpost send --to sam` reads the message from the pipe and
//! the passphrase from the keyboard. Scripts and tests name a file holding it
//! (`--passphrase-file`, or the `SEALPOST_PASSPHRASE_FILE` variable). When
//! the process has no terminal at all and no file is named, nothing prompts:
//! the command fails at once with exit code 5 instead of hanging on input
//! that will never come.
//!
//! A passphrase file gets the same care as the store: one that other users
//! can read or write is refused (exit code 5, like any passphrase that
//! cannot be had), because whoever reads it can unlock every record, and
//! whoever can write it can lock the user out. A new passphrase meets the
//! same rule wherever it comes from: a file is no excuse for a short one.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};
use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

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
        if !has_terminal() {
            return Err(Refusal::locked(
                "the store is locked and there is no terminal to ask for the passphrase; \
                 run `sealpost unlock` in a terminal first (later commands need no passphrase until it \
                 locks), or pass --passphrase-file FILE or set SEALPOST_PASSPHRASE_FILE",
            ));
        }
        let entered = rpassword::prompt_password("sealpost passphrase: ").context("reading the passphrase")?;
        Ok(SecretString::from(entered))
    }

    /// The passphrase an export was encrypted with (`export --verify`),
    /// from `--export-passphrase-file` or asked on a terminal.
    pub fn of_export(&self) -> Result<SecretString> {
        if let Some(path) = &self.file {
            return read_file(path);
        }
        if !has_terminal() {
            return Err(Refusal::locked(
                "the export is encrypted with a passphrase and there is no terminal to ask for it; \
                 pass --export-passphrase-file FILE (the store's own passphrase does not open it)",
            ));
        }
        let entered = rpassword::prompt_password("export passphrase: ").context("reading the passphrase")?;
        Ok(SecretString::from(entered))
    }

    /// A new passphrase for an export (`export --to-passphrase`), from
    /// `--export-passphrase-file` or asked twice on a terminal.
    pub fn new_for_export(&self) -> Result<SecretString> {
        if self.file.is_none() && !has_terminal() {
            return Err(Refusal::locked(
                "an export to a passphrase needs one and there is no terminal to ask for it; \
                 pass --export-passphrase-file FILE",
            ));
        }
        self.new_passphrase()
    }

    /// A new passphrase, asked twice on a terminal.
    pub fn new_passphrase(&self) -> Result<SecretString> {
        if let Some(path) = &self.file {
            let passphrase = read_file(path)?;
            check_strength(passphrase.expose_secret())?;
            return Ok(passphrase);
        }
        if !has_terminal() {
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

/// Whether the process has a terminal to prompt on, whatever its stdin is.
/// The prompts read and write `/dev/tty`, which opens only for a process
/// with a controlling terminal.
pub fn has_terminal() -> bool {
    OpenOptions::new().read(true).write(true).open("/dev/tty").is_ok()
}

fn check_strength(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < 8 {
        bail!("the passphrase is shorter than 8 characters; nothing was created");
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<SecretString> {
    let cannot_read =
        |e: std::io::Error| Refusal::locked(format!("cannot read the passphrase file {}: {e}", path.display()));
    let mut file = File::open(path).map_err(cannot_read)?;
    // The mode of what was opened, not of what the path names a moment later.
    let meta = file.metadata().map_err(cannot_read)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Refusal::locked(format!(
            "refusing the passphrase file {}: other users can read or write it (mode {mode:03o}); \
             make it yours alone with `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    // Sized once, so no copy of the passphrase is left behind by a regrowth.
    let mut text = Zeroizing::new(String::with_capacity(meta.len().min(1 << 16) as usize + 1));
    file.read_to_string(&mut text).map_err(cannot_read)?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(Refusal::locked(format!("the passphrase file {} is empty", path.display())));
    }
    Ok(SecretString::from(line.to_string()))
}
