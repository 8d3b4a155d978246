//! The encrypted store: everything private, encrypted at rest with age.
//!
//! Two layers keep unlocking to one passphrase derivation per command:
//! `keys.age` is encrypted with the passphrase (age scrypt) and holds a store
//! key (an age X25519 identity) and the OpenPGP secret key. Every other
//! private document (contacts, messages, outbox, sent copies) is an age file
//! encrypted to the store key, so reading and writing them costs no KDF.
//!
//! The scrypt work factor is age's calibrated default (about a second) unless
//! `init` was given an explicit lower one for tests or a demo; it is recorded
//! in `store.toml` beside the keyring, never chosen silently.
//!
//! A store fails loudly, never quietly empty: a damaged `store.toml` or
//! keyring is called damaged (the keyring's header is opened before its
//! payload, so damage is told apart from a wrong passphrase), and every
//! document the store has written (`is_document`) is recorded in
//! `store.toml`, so one deleted later is reported missing instead of being
//! read as an empty contact list or inbox. `recovery.age` holds the keyring
//! again for the recovery key (see `recovery`); `backup` carries it all.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use age::secrecy::{ExposeSecret, SecretString};
use anyhow::{anyhow, bail, Context, Result};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::Cert;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::Refusal;
use crate::home::{self, Home, Lock};

mod database;
mod migration;

pub use database::FILE as DATABASE;
pub(crate) use database::{Begun, Database, InboxQuery, InboxRow, SentQuery, SentRow};

/// The start of a mark's file name (see `Store::set_mark`).
const MARK_PREFIX: &str = "mark-";

/// `StoreMeta::version` of a store kept in the database. Version 1 kept
/// each document in an age file of its own (see `migration`).
const DATABASE_VERSION: u32 = 2;

const KEYRING: &str = "keys.age";
const META: &str = "store.toml";
const PUBLIC_CERT: &str = "public.asc";
/// After `key rotate`: the current key and the earlier ones, encrypted to
/// the store key. The keyring keeps the first key.
const ROTATION: &str = "rotation.age";
/// The keyring again, encrypted to the recovery key (see `recovery`).
pub const RECOVERY: &str = "recovery.age";
/// Present only while `restore` is writing this store (see `backup`):
/// a store holding it is unfinished and is not opened.
pub const RESTORING: &str = "restore-unfinished";

/// Lowest work factor `init` accepts: below this a stolen keyring falls to
/// a laptop in moments even for a tests-only store.
pub const MIN_WORK_FACTOR: u8 = 10;

/// Facts about the store that are not secret and are needed before unlocking.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct StoreMeta {
    pub version: u32,
    /// log2 of the scrypt cost of `keys.age`.
    pub kdf_work_factor: u8,
    /// Whether the work factor was lowered explicitly at `init`.
    pub kdf_lowered: bool,
    /// The documents this store has written and must therefore find again
    /// (see `Store::read_bytes`): a deleted contact list or index is
    /// reported, never read as empty. `None` in a store of an earlier
    /// release until its first unlock records what is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<BTreeSet<String>>,
    /// When the last backup of this store was written (Unix time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<i64>,
    /// The public half of the recovery key, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_recipient: Option<String>,
}

/// What the passphrase unlocks: the store key and the first OpenPGP
/// secret key. Wiped from memory when dropped.
///
/// In `keys.age` it is stored in its `AgentKeyring` form: JSON whose
/// strings hold no escapes (the armored key is in base64), so parsing it
/// copies the secret only into this struct, which wipes itself. Earlier
/// releases stored it as this struct's own JSON, with the armor's
/// newlines escaped; serde_json unescapes such a string through a scratch
/// buffer it frees without wiping, leaving a copy of the secret key in
/// freed memory at every unlock. That form is still read (see
/// `Keyring::from_stored`) and is rewritten in the new form at the first
/// unlock with the passphrase, so the copy is made once, not every time.
/// The deserialize derive exists for that old form only.
#[derive(Deserialize)]
pub struct Keyring {
    store_key: String,
    secret_key: String,
}

impl Drop for Keyring {
    fn drop(&mut self) {
        self.store_key.zeroize();
        self.secret_key.zeroize();
    }
}

/// The keyring as it travels to and from the unlock agent: the secret key
/// in base64, so its JSON holds no escapes. A JSON parser copies a string
/// with escapes through a scratch buffer it never wipes; without them the
/// text goes straight into this struct, which wipes itself when dropped.
#[derive(Serialize, Deserialize)]
pub struct AgentKeyring {
    store_key: String,
    secret_key: String,
}

impl Drop for AgentKeyring {
    fn drop(&mut self) {
        self.store_key.zeroize();
        self.secret_key.zeroize();
    }
}

impl Keyring {
    pub fn agent_form(&self) -> AgentKeyring {
        use base64::Engine;
        AgentKeyring {
            store_key: self.store_key.clone(),
            secret_key: base64::engine::general_purpose::STANDARD.encode(self.secret_key.as_bytes()),
        }
    }

    pub fn from_agent_form(form: AgentKeyring) -> Result<Keyring> {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut secret = zeroize::Zeroizing::new(Vec::with_capacity(form.secret_key.len()));
        engine.decode_vec(form.secret_key.as_bytes(), &mut secret).context("the keyring is damaged")?;
        let secret_key = String::from_utf8(std::mem::take(&mut *secret)).context("the keyring is damaged")?;
        Ok(Keyring { store_key: form.store_key.clone(), secret_key })
    }

    /// Reads the JSON of an `AgentKeyring`.
    pub fn from_agent_json(json: &[u8]) -> Result<Keyring> {
        Keyring::from_agent_form(serde_json::from_slice(json).context("reading the keyring")?)
    }

    /// Reads the plaintext of `keys.age` in either form, and tells whether
    /// it was the old one. The new form never holds a backslash (base64
    /// and an age key have none, so there is nothing to escape); the old
    /// one always does (the armor's escaped newlines).
    fn from_stored(json: &[u8]) -> Result<(Keyring, Form)> {
        if json.contains(&b'\\') {
            let keyring = serde_json::from_slice(json).context("reading the keyring")?;
            return Ok((keyring, Form::Escaped));
        }
        Ok((Keyring::from_agent_json(json)?, Form::Current))
    }

    /// The keyring's JSON in the current form, in a buffer wiped on drop.
    fn plaintext(&self) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let form = self.agent_form();
        // Sized once and wiped: no copy of the secret is left by a regrowth.
        let room = form.store_key.len() + form.secret_key.len() + 64;
        let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(room));
        serde_json::to_writer(&mut *plain, &form).context("writing the keyring")?;
        Ok(plain)
    }

    /// The keyring encrypted to an age recipient (the recovery key).
    pub fn seal_to(&self, recipient: &age::x25519::Recipient) -> Result<Vec<u8>> {
        age::encrypt(recipient, &self.plaintext()?).map_err(|e| anyhow!("encrypting the keyring: {e}"))
    }

    /// The store key's public half: what the store's documents (and a
    /// backup's contents) are encrypted to.
    pub fn store_recipient(&self) -> Result<age::x25519::Recipient> {
        let identity = age::x25519::Identity::from_str(&self.store_key)
            .map_err(|e| anyhow!("the keyring's store key is damaged: {e}"))?;
        Ok(identity.to_public())
    }

    /// The raw key of the store's database (see `database`).
    fn database_key(&self) -> database::Key {
        database::Key::from_store_key(&self.store_key)
    }

    /// The store key itself, to open a backup's contents.
    pub fn store_identity(&self) -> Result<age::x25519::Identity> {
        age::x25519::Identity::from_str(&self.store_key).map_err(|e| anyhow!("the keyring's store key is damaged: {e}"))
    }

    /// Opens a keyring sealed by `seal` or `seal_to`. `file` names it in
    /// errors. A key that does not fit is a `Locked` refusal; anything
    /// else (a truncated file, flipped bytes, garbage) says "damaged",
    /// never "wrong passphrase": telling the two apart is why the header
    /// is opened before the payload is read.
    pub fn open_sealed(sealed: &[u8], identity: &dyn age::Identity, file: &Path) -> Result<Keyring> {
        Ok(Keyring::open_sealed_form(sealed, identity, file)?.0)
    }

    fn open_sealed_form(sealed: &[u8], identity: &dyn age::Identity, file: &Path) -> Result<(Keyring, Form)> {
        let damaged = |what: String| {
            anyhow!(
                "the keyring {} is damaged ({what}); it cannot be unlocked. If you have the recovery key, \
                 `sealpost key passphrase --recovery-key FILE` writes it anew; otherwise restore the store \
                 from a backup into an empty folder (`sealpost restore`)",
                file.display()
            )
        };
        let decryptor = age::Decryptor::new_buffered(sealed).map_err(|e| damaged(e.to_string()))?;
        let mut reader = decryptor.decrypt(std::iter::once(identity)).map_err(|e| match e {
            age::DecryptError::DecryptionFailed => Refusal::locked("wrong passphrase: the store stays locked"),
            age::DecryptError::NoMatchingKeys => {
                Refusal::locked("this key does not open the keyring: the store stays locked")
            }
            other => damaged(other.to_string()),
        })?;
        let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(sealed.len()));
        reader.read_to_end(&mut plain).map_err(|e| damaged(e.to_string()))?;
        Keyring::from_stored(&plain).map_err(|e| damaged(format!("{e:#}")))
    }

    /// The keyring sealed with a new passphrase, at the cost `init` would
    /// choose (or the lowered one this store was made with), and that cost.
    pub fn seal_with_passphrase(&self, passphrase: &SecretString, lowered: Option<u8>) -> Result<(Vec<u8>, u8)> {
        let sealed = self.seal(passphrase, lowered)?;
        let work_factor = scrypt_work_factor(&sealed)?;
        Ok((sealed, work_factor))
    }

    /// The keyring sealed with the passphrase, in the current form.
    fn seal(&self, passphrase: &SecretString, work_factor: Option<u8>) -> Result<Vec<u8>> {
        let plain = self.plaintext()?;
        let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
        if let Some(log_n) = work_factor {
            if log_n < MIN_WORK_FACTOR {
                bail!("a passphrase work factor below {MIN_WORK_FACTOR} is not accepted");
            }
            recipient.set_work_factor(log_n);
        }
        age::encrypt(&recipient, &plain).map_err(|e| anyhow!("encrypting the keyring: {e}"))
    }
}

/// How `keys.age` holds the keyring (see `Keyring`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Form {
    /// The `AgentKeyring` JSON: nothing escaped.
    Current,
    /// Written by earlier releases: the armored key with escapes.
    Escaped,
}

#[derive(Serialize, Deserialize)]
struct Rotation {
    /// Armored secret keys, the current one first.
    keys: Vec<String>,
}

/// An unlocked store, holding the single-writer lock.
pub struct Store {
    home: Home,
    store_key: age::x25519::Identity,
    /// The user's keys with their secrets: the current one first, then the
    /// earlier ones (kept to read what was encrypted to them).
    mine: Vec<Cert>,
    /// The single-writer lock; `None` only inside `without_lock`.
    lock: Option<Lock>,
    /// Everything else the store holds (see `database`).
    db: Mutex<Database>,
}

impl Store {
    /// Creates a new store for `secret` (a certificate with secret keys).
    pub fn create(home: &Home, passphrase: &SecretString, secret: &Cert, work_factor: Option<u8>) -> Result<Store> {
        Store::create_with_keyring(home, passphrase, secret, work_factor).map(|(store, _)| store)
    }

    /// `create`, also giving the keyring it sealed (for an unlock agent
    /// started at once, without deriving the passphrase's key again).
    pub fn create_with_keyring(
        home: &Home,
        passphrase: &SecretString,
        secret: &Cert,
        work_factor: Option<u8>,
    ) -> Result<(Store, Keyring)> {
        home.create()?;
        let lock = Lock::acquire(&home.data_dir, Duration::from_secs(10))?;
        let store_key = age::x25519::Identity::generate();
        let keyring = Keyring {
            store_key: store_key.to_string().expose_secret().to_string(),
            secret_key: String::from_utf8(secret.as_tsk().armored().to_vec()?)?,
        };
        let sealed = keyring.seal(passphrase, work_factor)?;
        // The database first: a store is there once `store.toml` is.
        let db = Database::create(&home.data_dir.join(database::FILE), &keyring.database_key())?;
        home::sync_dir(&home.data_dir)?;
        let meta = StoreMeta {
            version: DATABASE_VERSION,
            kdf_work_factor: scrypt_work_factor(&sealed)?,
            kdf_lowered: work_factor.is_some(),
            documents: None,
            last_backup: None,
            recovery_recipient: None,
        };
        home::write_atomic(&home.data_dir.join(META), toml::to_string(&meta)?.as_bytes())?;
        home::write_atomic(
            &home.data_dir.join(PUBLIC_CERT),
            &secret.armored().to_vec().context("armoring the certificate")?,
        )?;
        home::write_atomic(&home.data_dir.join(KEYRING), &sealed)?;
        let store =
            Store { home: home.clone(), store_key, mine: vec![secret.clone()], lock: Some(lock), db: Mutex::new(db) };
        Ok((store, keyring))
    }

    /// Unlocks with the passphrase. A wrong passphrase is a `Locked` refusal.
    /// A keyring in the old form is rewritten in the current one, once.
    pub fn unlock(home: &Home, passphrase: &SecretString) -> Result<Store> {
        let (keyring, form) = Store::open_keyring_form(home, passphrase)?;
        let store = Store::from_keyring(home, &keyring)?;
        if form == Form::Escaped {
            // At the cost recorded at `init`, which `open_keyring` insists on.
            // A failure leaves the old form, still readable: the store is open.
            let rewritten = Store::meta(home)
                .and_then(|meta| keyring.seal(passphrase, Some(meta.kdf_work_factor)))
                .and_then(|sealed| home::write_atomic(&home.data_dir.join(KEYRING), &sealed));
            if let Err(e) = rewritten {
                crate::error::warn(&format!("the keyring stays in the form of earlier releases: {e:#}"));
            }
        }
        Ok(store)
    }

    /// Decrypts the keyring with the passphrase (the slow step: scrypt).
    pub fn open_keyring(home: &Home, passphrase: &SecretString) -> Result<Keyring> {
        Ok(Store::open_keyring_form(home, passphrase)?.0)
    }

    fn open_keyring_form(home: &Home, passphrase: &SecretString) -> Result<(Keyring, Form)> {
        home.check_permissions()?;
        let meta = Store::meta(home)?;
        let path = home.data_dir.join(KEYRING);
        let sealed = match std::fs::read(&path) {
            Ok(sealed) => sealed,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(home.missing(&path)),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut identity = age::scrypt::Identity::new(passphrase.clone());
        identity.set_max_work_factor(meta.kdf_work_factor);
        Keyring::open_sealed_form(&sealed, &identity, &path)
    }

    /// Replaces the passphrase-sealed keyring (a new passphrase, or a
    /// keyring written anew from the recovery key). The cost is recorded
    /// first at the higher of old and new, so a crash in between leaves a
    /// keyring that still opens; then exactly.
    pub fn replace_keyring(&self, sealed: &[u8], work_factor: u8) -> Result<()> {
        let mut meta = Store::meta(&self.home)?;
        let old = meta.kdf_work_factor;
        meta.kdf_work_factor = old.max(work_factor);
        self.save_meta(&meta)?;
        home::write_atomic(&self.home.data_dir.join(KEYRING), sealed)?;
        meta.kdf_work_factor = work_factor;
        self.save_meta(&meta)
    }

    /// Writes `store.toml`. Only with the lock held (a `Store` holds it).
    pub fn save_meta(&self, meta: &StoreMeta) -> Result<()> {
        home::write_atomic(&self.home.data_dir.join(META), toml::to_string(meta)?.as_bytes())
    }

    /// The store's meta, read again (it changes under `save_meta`).
    pub fn current_meta(&self) -> Result<StoreMeta> {
        Store::meta(&self.home)
    }

    /// Opens the store to read only, without the single-writer lock: a
    /// command that only shows (`inbox`, `sent`, `status`) runs while
    /// another writes (a long `sync`), and sees what that one committed
    /// last. Any write through it fails. A store that must first be moved
    /// into its database is opened as a writer.
    pub fn from_keyring_to_read(home: &Home, keyring: &Keyring) -> Result<Store> {
        home.check_permissions()?;
        let meta = Store::meta(home)?;
        let path = home.data_dir.join(database::FILE);
        if meta.version < DATABASE_VERSION {
            return Store::from_keyring(home, keyring);
        }
        if !path.exists() {
            return Err(home.missing(&path));
        }
        let db = Database::open_to_read(&path, &keyring.database_key())?;
        Store::assemble(home, keyring, None, db)
    }

    /// The store around its open database: the keys from the keyring, and
    /// the earlier ones after `key rotate`.
    fn assemble(home: &Home, keyring: &Keyring, lock: Option<Lock>, db: Database) -> Result<Store> {
        let store_key = age::x25519::Identity::from_str(&keyring.store_key)
            .map_err(|e| anyhow!("the keyring's store key is damaged: {e}"))?;
        let secret = Cert::from_bytes(keyring.secret_key.as_bytes()).context("reading the secret key")?;
        let mut store = Store { home: home.clone(), store_key, mine: vec![secret], lock, db: Mutex::new(db) };
        if let Some(rotation) = store.read::<Rotation>(ROTATION)? {
            store.mine = rotation
                .keys
                .iter()
                .map(|k| Cert::from_bytes(k.as_bytes()).context("reading a rotated secret key"))
                .collect::<Result<_>>()?;
        }
        Ok(store)
    }

    /// Opens the store with an unlocked keyring (from the passphrase or the
    /// unlock agent), taking the single-writer lock.
    pub fn from_keyring(home: &Home, keyring: &Keyring) -> Result<Store> {
        home.check_permissions()?;
        let lock = Lock::acquire(&home.data_dir, Duration::from_secs(10))?;
        home::remove_unfinished_writes(&home.data_dir)?;
        home::remove_orphaned_drafts(&home.data_dir);
        let store_key = age::x25519::Identity::from_str(&keyring.store_key)
            .map_err(|e| anyhow!("the keyring's store key is damaged: {e}"))?;
        let meta = Store::meta(home)?;
        let path = home.data_dir.join(database::FILE);
        let key = keyring.database_key();
        let db = if path.exists() {
            let db = Database::open(&path, &key)?;
            if meta.version < DATABASE_VERSION {
                // A migration that stopped after its database was checked
                // and put in place: finish it.
                migration::finish(home, &meta)?;
            }
            db
        } else if meta.version < DATABASE_VERSION {
            migration::from_files(home, &meta, &store_key, &key)?
        } else {
            return Err(home.missing(&path));
        };
        Store::assemble(home, keyring, Some(lock), db)
    }

    /// Fails with what is missing when there is no store here at all, so a
    /// command can say so before asking for a passphrase. Anything else
    /// (a folder it may not enter, say) is left to the unlock to report.
    pub fn ensure_present(home: &Home) -> Result<()> {
        ensure_finished(home)?;
        let path = home.data_dir.join(META);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(home.missing(&path)),
            _ => Ok(()),
        }
    }

    pub fn meta(home: &Home) -> Result<StoreMeta> {
        ensure_finished(home)?;
        Store::meta_ignoring_restore(home)
    }

    /// `store.toml`, also while a restore is finishing.
    pub fn meta_ignoring_restore(home: &Home) -> Result<StoreMeta> {
        let path = home.data_dir.join(META);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(home.missing(&path)),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        toml::from_str(&text).map_err(|e| {
            anyhow!(
                "{} is damaged ({}); sealpost needs it to open the store. Restore the store from a backup into \
                 an empty folder (`sealpost restore`), or this one file from a copy of this identity",
                path.display(),
                e.message().trim()
            )
        })
    }

    /// The user's public certificate, readable without unlocking.
    pub fn public_cert(home: &Home) -> Result<Cert> {
        let path = home.data_dir.join(PUBLIC_CERT);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(home.missing(&path)),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Cert::from_bytes(&bytes).context("reading the public certificate")
    }

    /// Runs `f` (the user's editor) with the single-writer lock released,
    /// so other commands (reading the client's message again in another
    /// terminal) are not shut out while the user writes; takes it again
    /// afterwards. Whatever was read from the store before may have changed
    /// meanwhile: the caller reads again what it relies on.
    pub fn without_lock<T>(&mut self, f: impl FnOnce() -> T) -> Result<T> {
        self.lock = None;
        let result = f();
        self.lock = Some(Lock::acquire(&self.home.data_dir, Duration::from_secs(60))?);
        Ok(result)
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    /// What the store's documents are encrypted to.
    pub fn store_recipient(&self) -> age::x25519::Recipient {
        self.store_key.to_public()
    }

    /// The store key, to open a backup of this store.
    pub fn store_identity(&self) -> age::x25519::Identity {
        self.store_key.clone()
    }

    /// The user's current certificate with its secret keys.
    pub fn secret_cert(&self) -> &Cert {
        &self.mine[0]
    }

    /// Every key of the user's, current first: what a message may have been
    /// encrypted to.
    pub fn my_keys(&self) -> &[Cert] {
        &self.mine
    }

    /// Makes `new` (with secret keys) the current key; the earlier keys are
    /// kept for reading. The public certificate is replaced last, so a crash
    /// in between leaves the old one published and the new one in use.
    pub fn rotate(&mut self, new: Cert) -> Result<()> {
        let mut mine = vec![new];
        mine.extend(self.mine.iter().cloned());
        let keys = mine
            .iter()
            .map(|c| Ok(String::from_utf8(c.as_tsk().armored().to_vec()?)?))
            .collect::<Result<Vec<String>>>()?;
        self.write(ROTATION, &Rotation { keys })?;
        home::write_atomic(
            &self.home.data_dir.join(PUBLIC_CERT),
            &mine[0].armored().to_vec().context("armoring the certificate")?,
        )?;
        self.mine = mine;
        Ok(())
    }

    /// The database, for the statement at hand (the modules of the
    /// store's parts: `inbox`).
    pub(crate) fn db(&self) -> std::sync::MutexGuard<'_, Database> {
        self.db.lock().expect("the store's database")
    }

    /// When a document was last written; `None` when it does not exist.
    pub fn modified(&self, name: &str) -> Option<std::time::SystemTime> {
        self.db().modified(name).ok().flatten()
    }

    /// Reads a document; `None` when it does not exist.
    pub fn read<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let Some(plain) = self.read_bytes(name)? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_slice(&plain).with_context(|| format!("reading {name}"))?))
    }

    /// Writes a document.
    pub fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        self.write_bytes(name, &serde_json::to_vec(value)?)
    }

    /// Reads raw bytes (a stored message); `None` when absent.
    pub fn read_bytes(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.db().get(name)
    }

    /// Writes raw bytes, durably (a transaction of its own unless inside one).
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.db().put(name, bytes)
    }

    /// Writes raw bytes under the data key of `contact` (the other party's
    /// address): what a later disposal of that contact's records destroys.
    pub fn write_bytes_for(&self, name: &str, contact: &str, bytes: &[u8]) -> Result<()> {
        self.db().put_for(name, &crate::keys::normalize_address(contact), bytes)
    }

    /// Writes a document with `write`, a chunk at a time (see
    /// `database::CHUNK`), under the data key of `contact` when given;
    /// kept only when `write` succeeds. `write` must not use the store.
    pub fn write_stream<T>(
        &self,
        name: &str,
        contact: Option<&str>,
        write: impl FnOnce(&mut dyn std::io::Write) -> Result<T>,
    ) -> Result<T> {
        let db = self.db();
        let contact = contact.map(crate::keys::normalize_address);
        let mut writer = db.writer(name, contact.as_deref())?;
        let made = write(&mut writer)?;
        writer.finish()?;
        Ok(made)
    }

    /// Reads a document with `read`, a chunk at a time; `None` when there
    /// is none by that name. `read` must not use the store.
    pub fn read_stream<T>(
        &self,
        name: &str,
        read: impl FnOnce(&mut dyn std::io::Read) -> Result<T>,
    ) -> Result<Option<T>> {
        let db = self.db();
        match db.reader(name)? {
            Some(mut reader) => read(&mut reader).map(Some),
            None => Ok(None),
        }
    }

    /// Renames a document within its folder, durably.
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.db().rename(from, to)
    }

    pub fn remove(&self, name: &str) -> Result<()> {
        self.db().remove(name)
    }

    /// Names of the documents in a folder of the store, sorted.
    pub fn list(&self, folder: &str) -> Result<Vec<String>> {
        self.db().list(folder)
    }

    /// Runs `f` as one transaction of the store: every write it makes is
    /// committed together, or none is when it fails (or the process dies
    /// before the end). Within a transaction already, `f` joins it.
    pub fn transaction<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        // The database is borrowed only to begin and end: `f` uses the
        // store's own methods, which borrow it for each statement.
        let begun = self.begin()?;
        let result = f();
        self.end(begun, result)
    }

    /// Begins a transaction that `end` ends, for one that spans calls (a
    /// sync stores several batches in one); within one already, joins it.
    /// Until it ends, the store's other writes are part of it.
    pub(crate) fn begin(&self) -> Result<Begun> {
        self.db().begin()
    }

    /// Ends what `begin` began: commits when `result` is a success, else
    /// rolls back (see `transaction`).
    pub(crate) fn end<T>(&self, begun: Begun, result: Result<T>) -> Result<T> {
        self.db().end(begun, result)
    }

    /// Sets a mark: an empty file beside the database, for a fact that
    /// must be recordable when the disk is full (see `move_mark`).
    /// Setting one needs no room for data, only a name in the folder.
    pub fn set_mark(&self, name: &str) -> Result<()> {
        let path = self.mark_path(name)?;
        match home::create_durable(&path, b"") {
            Ok(()) => home::sync_dir(&self.home.data_dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
        }
    }

    /// Renames a mark, durably: needs no free space at all, so a fact
    /// learned on a full disk (the server accepted a message) is kept.
    pub fn move_mark(&self, from: &str, to: &str) -> Result<()> {
        let (from, to) = (self.mark_path(from)?, self.mark_path(to)?);
        std::fs::rename(&from, &to).with_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
        home::sync_dir(&self.home.data_dir)
    }

    pub fn has_mark(&self, name: &str) -> Result<bool> {
        Ok(self.mark_path(name)?.exists())
    }

    pub fn remove_mark(&self, name: &str) -> Result<()> {
        home::remove_durably(&self.mark_path(name)?)
    }

    /// The marks whose names end with `suffix`, sorted.
    pub fn marks(&self, suffix: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.home.data_dir)
            .with_context(|| format!("reading {}", self.home.data_dir.display()))?
        {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(mark) = name.strip_prefix(MARK_PREFIX) {
                if mark.ends_with(suffix) {
                    names.push(mark.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    fn mark_path(&self, name: &str) -> Result<std::path::PathBuf> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') {
            bail!("not a name for a mark: {name:?}");
        }
        Ok(self.home.data_dir.join(format!("{MARK_PREFIX}{name}")))
    }

    /// Writes the database's log into its file, so the file alone holds
    /// the store (what `backup` copies).
    pub fn checkpoint(&self) -> Result<()> {
        self.db().checkpoint()
    }
}

/// Refuses a store that an interrupted `restore` left unfinished.
fn ensure_finished(home: &Home) -> Result<()> {
    if home.data_dir.join(RESTORING).exists() {
        bail!(
            "{} holds a restore that did not finish; nothing there is used. Run `sealpost restore FILE` again \
             with the same backup: it replaces the unfinished one",
            home.data_dir.display()
        );
    }
    Ok(())
}

/// The scrypt work factor written into an age header (`-> scrypt SALT N`).
fn scrypt_work_factor(sealed: &[u8]) -> Result<u8> {
    let header = String::from_utf8_lossy(&sealed[..sealed.len().min(200)]);
    header
        .lines()
        .find_map(|line| line.strip_prefix("-> scrypt "))
        .and_then(|args| args.split(' ').nth(1))
        .and_then(|n| n.parse().ok())
        .context("the keyring has no scrypt stanza")
}
