//! The recovery key: emergency access to a store without its passphrase.
//!
//! A practice must not lose its records when the clinician is unreachable,
//! or forgets the passphrase. `sealpost key recovery` makes an age X25519
//! identity, prints it once (`AGE-SECRET-KEY-1...`, for a sealed envelope
//! or the practice's safe) and keeps only its public half: `recovery.age`
//! holds the keyring again, encrypted to that recipient. age cannot seal
//! one file to both a passphrase and a recipient, hence the second file.
//!
//! Whoever holds the key can write the keyring anew under a passphrase of
//! their choosing (`sealpost key passphrase --recovery-key FILE`), also
//! when `keys.age` itself is damaged; every backup carries `recovery.age`
//! too, so the key opens backups as well. `key recovery --rotate` replaces
//! the file, after which the old key opens nothing in this store and in
//! backups made from then on. Backups made before still hold the old
//! `recovery.age`: they open with the old key until they are destroyed.

use std::path::Path;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use anyhow::{anyhow, bail, Context, Result};

use crate::home;
use crate::store::{Keyring, Store, RECOVERY};

/// A freshly made recovery key: shown once, never stored.
pub struct RecoveryKey {
    pub identity: age::x25519::Identity,
}

impl RecoveryKey {
    /// The secret as the user keeps it: `AGE-SECRET-KEY-1...`.
    pub fn secret(&self) -> String {
        self.identity.to_string().expose_secret().to_string()
    }

    pub fn recipient(&self) -> String {
        self.identity.to_public().to_string()
    }
}

/// Makes a recovery key for the store's keyring, replacing any earlier
/// one, and records its public half in `store.toml`. `recovery.age` is
/// replaced in one rename: from then on only the new key opens it.
pub fn set(store: &Store, keyring: &Keyring) -> Result<RecoveryKey> {
    let key = RecoveryKey { identity: age::x25519::Identity::generate() };
    let sealed = keyring.seal_to(&key.identity.to_public())?;
    home::write_atomic(&store.home().data_dir.join(RECOVERY), &sealed)?;
    let mut meta = store.current_meta()?;
    meta.recovery_recipient = Some(key.recipient());
    store.save_meta(&meta)?;
    Ok(key)
}

/// Opens a keyring sealed to a recovery key (`recovery.age`, from a store
/// or a backup) with the identities given.
pub fn open(sealed: &[u8], identities: &[age::x25519::Identity], file: &Path) -> Result<Keyring> {
    let mut last = None;
    for identity in identities {
        match Keyring::open_sealed(sealed, identity, file) {
            Ok(keyring) => return Ok(keyring),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| anyhow!("no key to open {}", file.display())))
}

/// The keyring of the store in `data_dir`, opened with a recovery key.
pub fn open_store(data_dir: &Path, identities: &[age::x25519::Identity]) -> Result<Keyring> {
    let path = data_dir.join(RECOVERY);
    let sealed = match std::fs::read(&path) {
        Ok(sealed) => sealed,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("this store has no recovery key ({} does not exist)", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    open(&sealed, identities, &path).map_err(|e| match crate::error::exit_code_of(&e) {
        crate::error::ExitCode::Locked => crate::error::Refusal::locked(
            "this recovery key does not open the store (it may have been replaced by `key recovery --rotate`); \
             the store stays locked",
        ),
        _ => e,
    })
}

/// The age identities in a key file (`-` for stdin): every line that is an
/// `AGE-SECRET-KEY-1...`, as age's own identity files hold them.
pub fn read_identities(path: &Path) -> Result<Vec<age::x25519::Identity>> {
    let text = zeroize::Zeroizing::new(if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("reading the key from stdin")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    });
    let identities: Vec<age::x25519::Identity> = text
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("AGE-SECRET-KEY-1"))
        .map(|line| age::x25519::Identity::from_str(line).map_err(|e| anyhow!("{}: {e}", path.display())))
        .collect::<Result<_>>()?;
    if identities.is_empty() {
        bail!("{} holds no age identity (a line starting with AGE-SECRET-KEY-1)", path.display());
    }
    Ok(identities)
}
