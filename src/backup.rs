//! Backups: the whole store as one file, and restoring it.
//!
//! A backup is a tar archive of three or four entries, in this order:
//!
//! - `sealpost-backup.json`: the format and the scrypt cost of the keyring
//!   (nothing secret: it is needed before anything can be opened);
//! - `keys.age`: the keyring exactly as the store holds it, sealed with the
//!   store passphrase;
//! - `recovery.age`: the keyring sealed to the recovery key, when one is set;
//! - `store.age`: an age file encrypted to the store key (and to any `--to`
//!   recipients) holding a tar archive of every file of the data folder
//!   (`data/...`, all of it already age ciphertext or public), the config
//!   with nothing secret in it (`config/config.toml`), and last a
//!   `manifest.json` listing every file with its size and SHA-256, who the
//!   identity is and how many contacts, messages and sent notes it holds.
//!
//! Why this shape. The passphrase must open a backup, but a backup is made
//! by a store unlocked through the agent, where no passphrase is typed and
//! none may be kept; age cannot seal one file to a passphrase and a key at
//! once. So the passphrase-sealed keyring travels as it is, and opening it
//! yields the store key, which opens the rest: the passphrase (or the
//! recovery key, through `recovery.age`) opens the backup, and no secret
//! leaves its encrypted form. A `--to` recipient (the practice's safe)
//! opens `store.age` directly. Both layers are plain tar and age: someone
//! holding the `--to` key can get at the files with `tar` and `age` alone,
//! without sealpost.
//!
//! Integrity: age authenticates `store.age` chunk by chunk and notices a
//! truncated end, and the manifest is checked against every file, so a
//! tampered, truncated or incomplete backup is refused, by `backup --verify`
//! and by `restore`, before anything is used. `backup` verifies what it
//! wrote before it gives the file its name. Anyone can encrypt to a
//! public `--to` recipient, so a backup opened with `--to`'s key proves
//! less: it restores a store that still opens only with its own passphrase,
//! and `restore` prints the identity and fingerprint it restored to compare.
//!
//! Restoring writes into a staging folder beside the data folder, marked
//! unfinished, renames it into place, writes the config, and only then
//! removes the mark. A restore cut short leaves either nothing, a staging
//! folder no command looks at, or a marked store that every command
//! refuses and that the next `restore` replaces: never a store that seems
//! whole but is not, nor one that `init` would mistake for a user's.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use age::secrecy::SecretString;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Refusal;
use crate::home::{self, Home};
use crate::store::{Keyring, Store, RECOVERY, RESTORING};

/// The version of the format described above.
pub const FORMAT: u32 = 1;

const ENVELOPE: &str = "sealpost-backup.json";
const KEYRING: &str = "keys.age";
const CONTENTS: &str = "store.age";
const MANIFEST: &str = "manifest.json";
const CONFIG: &str = "config/config.toml";
const DATA: &str = "data/";
/// Bounds on what is read into memory from a file not yet authenticated.
const SMALL: u64 = 1 << 20;
const MANIFEST_LIMIT: u64 = 64 << 20;
/// Above this, the keyring's scrypt cost is not a real store's: refused
/// rather than spending minutes and gigabytes on a crafted file.
const MAX_WORK_FACTOR: u8 = 24;

#[derive(Serialize, Deserialize)]
struct Envelope {
    format: u32,
    kdf_work_factor: u8,
}

/// What a backup holds, checked file by file when it is opened.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Manifest {
    pub format: u32,
    /// When the backup was made (Unix time).
    pub created_at: i64,
    pub address: String,
    pub fingerprint: String,
    pub counts: Counts,
    pub files: Vec<FileEntry>,
}

/// How much of the record a backup holds, for the user to compare.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub contacts: usize,
    pub messages: usize,
    pub sent: usize,
    pub queued: usize,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What opens a backup.
pub enum Unlock {
    /// The store key of the unlocked store the backup was made from.
    StoreKey(age::x25519::Identity),
    /// The store passphrase: it opens the backup's keyring.
    Passphrase(SecretString),
    /// Keys from a file: a `--to` recipient's key, or the recovery key.
    Identities(Vec<age::x25519::Identity>),
}

/// Writes a backup of `store` to `path`. `config` is the config without
/// secrets. Refuses an existing `path` unless `replace`.
pub fn write(
    store: &Store,
    config: Option<&[u8]>,
    counts: Counts,
    to: &[age::x25519::Recipient],
    path: &Path,
    replace: bool,
) -> Result<Manifest> {
    if !replace && fs::symlink_metadata(path).is_ok() {
        bail!("{} already exists; nothing was written. Name a new file, or pass --force to replace it", path.display());
    }
    let data_dir = &store.home().data_dir;
    let keyring_path = data_dir.join(KEYRING);
    let keyring = fs::read(&keyring_path).with_context(|| format!("reading {}", keyring_path.display()))?;
    let keyring_for_recovery = home::read_optional(&data_dir.join(RECOVERY))?;
    let store_recipient = store.store_recipient();
    let mut recipients: Vec<&dyn age::Recipient> = vec![&store_recipient];
    recipients.extend(to.iter().map(|r| r as &dyn age::Recipient));
    let meta = store.current_meta()?;

    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().context("the backup needs a file name")?.to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}-{}", std::process::id(), home::unique_suffix()));
    let result = (|| -> Result<Manifest> {
        let mut file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("creating {}", tmp.display()))?;
        let envelope = serde_json::to_vec(&Envelope { format: FORMAT, kdf_work_factor: meta.kdf_work_factor })?;
        append_small(&mut file, ENVELOPE, &envelope)?;
        append_small(&mut file, KEYRING, &keyring)?;
        if let Some(sealed) = &keyring_for_recovery {
            append_small(&mut file, RECOVERY, sealed)?;
        }
        // The database file alone then holds the whole store.
        store.checkpoint()?;
        let manifest = append_contents(&mut file, store, config, counts, &recipients)?;
        file.write_all(&[0; 1024])?;
        file.sync_all().with_context(|| format!("writing {}", tmp.display()))?;
        drop(file);
        // What was written must open and be whole before it gets its name.
        read(&tmp, &[Unlock::StoreKey(store.store_identity())], &mut Check)
            .context("the backup just written does not verify")?;
        Ok(manifest)
    })();
    let manifest = match result {
        Ok(manifest) => manifest,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e.context(format!("nothing was written to {}", path.display())));
        }
    };
    let placed = if replace { fs::rename(&tmp, path) } else { place_without_replacing(&tmp, path) };
    if let Err(e) = placed {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    home::sync_dir(&dir)?;
    let mut meta = store.current_meta()?;
    meta.last_backup = Some(manifest.created_at);
    store.save_meta(&meta)?;
    Ok(manifest)
}

/// Gives `tmp` the name `path` unless something has that name. A link
/// fails if the name was taken meanwhile, so nothing is ever overwritten;
/// a file system without links (FAT on a USB stick) gets a check and a
/// rename instead.
fn place_without_replacing(tmp: &Path, path: &Path) -> io::Result<()> {
    match fs::hard_link(tmp, path) {
        Ok(()) => fs::remove_file(tmp),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if fs::symlink_metadata(path).is_ok() => Err(io::ErrorKind::AlreadyExists.into()),
        Err(_) => fs::rename(tmp, path),
    }
}

/// A small entry of the outer archive.
fn append_small(file: &mut File, name: &str, bytes: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_path(name)?;
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_cksum();
    file.write_all(header.as_bytes())?;
    file.write_all(bytes)?;
    pad(file, bytes.len() as u64)
}

fn pad(file: &mut impl Write, size: u64) -> Result<()> {
    let rest = (512 - size % 512) % 512;
    file.write_all(&vec![0; rest as usize])?;
    Ok(())
}

/// The `store.age` entry, streamed: its size is known only at the end, so
/// its header is written again when it is.
fn append_contents(
    file: &mut File,
    store: &Store,
    config: Option<&[u8]>,
    counts: Counts,
    recipients: &[&dyn age::Recipient],
) -> Result<Manifest> {
    let header_at = file.stream_position()?;
    file.write_all(&[0; 512])?;
    let start = header_at + 512;
    let encryptor = age::Encryptor::with_recipients(recipients.iter().copied())
        .map_err(|e| anyhow!("encrypting the backup: {e}"))?;
    let sealed = encryptor.wrap_output(io::BufWriter::new(&mut *file))?;
    let mut archive = tar::Builder::new(sealed);
    let mut files = Vec::new();
    let data_dir = store.home().data_dir.clone();
    for relative in store_files(&data_dir)? {
        let path = data_dir.join(&relative);
        let source = File::open(&path).with_context(|| format!("reading {}", path.display()))?;
        let meta = source.metadata()?;
        let mut header = tar::Header::new_gnu();
        header.set_size(meta.len());
        header.set_mode(0o600);
        header.set_mtime(
            meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_secs()),
        );
        let name = format!("{DATA}{relative}");
        let mut hashing = Hashing::new(source);
        archive
            .append_data(&mut header, &name, &mut hashing)
            .with_context(|| format!("archiving {}", path.display()))?;
        if hashing.size != meta.len() {
            bail!("{} changed while it was archived", path.display());
        }
        files.push(FileEntry { path: name, size: hashing.size, sha256: hashing.hex() });
    }
    if let Some(config) = config {
        append_bytes(&mut archive, CONFIG, config)?;
        files.push(FileEntry {
            path: CONFIG.to_string(),
            size: config.len() as u64,
            sha256: hex(&Sha256::digest(config)),
        });
    }
    let cert = store.secret_cert();
    let address =
        cert.userids().next().and_then(|u| u.userid().email().ok().flatten().map(str::to_string)).unwrap_or_default();
    let manifest = Manifest {
        format: FORMAT,
        created_at: crate::contacts::now() as i64,
        address,
        fingerprint: cert.fingerprint().to_hex(),
        counts,
        files,
    };
    append_bytes(&mut archive, MANIFEST, &serde_json::to_vec_pretty(&manifest)?)?;
    let sealed = archive.into_inner()?;
    sealed.finish()?.flush()?;
    let end = file.stream_position()?;
    let size = end - start;
    pad(file, size)?;
    let after = file.stream_position()?;
    let mut header = tar::Header::new_ustar();
    header.set_path(CONTENTS)?;
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    header.set_cksum();
    file.seek(SeekFrom::Start(header_at))?;
    file.write_all(header.as_bytes())?;
    file.seek(SeekFrom::Start(after))?;
    Ok(manifest)
}

fn append_bytes<W: Write>(archive: &mut tar::Builder<W>, name: &str, bytes: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(0);
    archive.append_data(&mut header, name, bytes)?;
    Ok(())
}

/// Every file of the store, relative to the data folder, sorted: all but
/// the lock, the temp files of writes that never finished, and drafts
/// (plaintext while an editor has them; never part of the record).
fn store_files(data_dir: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut folders = vec![PathBuf::new()];
    while let Some(folder) = folders.pop() {
        let dir = data_dir.join(&folder);
        for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = folder.join(&name);
            let kind = entry.file_type()?;
            if name.starts_with(home::DRAFT_PREFIX) || home::is_unfinished_write(&name) {
                continue;
            }
            if folder.as_os_str().is_empty() && (name == "lock" || name == RESTORING || is_database_log(&name)) {
                continue;
            }
            if kind.is_dir() {
                folders.push(relative);
            } else if kind.is_file() {
                found.push(relative.to_str().context("a file name that is not UTF-8")?.to_string());
            } else {
                bail!("{} is neither a file nor a folder; it cannot be backed up", entry.path().display());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The database's log files: empty after the checkpoint a backup makes,
/// and made again when the database is opened.
fn is_database_log(name: &str) -> bool {
    name.strip_prefix(crate::store::DATABASE).is_some_and(|rest| rest == "-wal" || rest == "-shm")
}

/// A reader that counts and hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Hashing<R> {
        Hashing { inner, hasher: Sha256::new(), size: 0 }
    }

    fn hex(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the files of an opened backup go.
pub trait Sink {
    /// Takes one file (`data/...` or `config/config.toml`); what it does not
    /// read is read for it, so the digest covers the whole file.
    fn file(&mut self, path: &str, size: u64, mtime: u64, content: &mut dyn Read) -> Result<()>;
}

/// Reads every file and keeps nothing: `backup --verify`.
pub struct Check;

impl Sink for Check {
    fn file(&mut self, _: &str, _: u64, _: u64, content: &mut dyn Read) -> Result<()> {
        io::copy(content, &mut io::sink())?;
        Ok(())
    }
}

fn damaged(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("the backup {} is damaged or incomplete ({what}); it cannot be used", path.display())
}

/// Opens the backup at `path` with the first of `unlock` that fits, hands
/// every file to `sink`, and checks each against the manifest. Returns the
/// manifest once everything matched; any mismatch is an error.
pub fn read(path: &Path, unlock: &[Unlock], sink: &mut dyn Sink) -> Result<Manifest> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    let mut entries = archive.entries().map_err(|e| damaged(path, e))?;
    let mut next = |expected: &str| -> Result<tar::Entry<'_, BufReader<File>>> {
        let entry = entries.next().ok_or_else(|| damaged(path, format!("{expected} is missing")))?;
        entry.map_err(|e| damaged(path, e))
    };
    let mut envelope_entry = next(ENVELOPE)?;
    if envelope_entry.path().ok().as_deref() != Some(Path::new(ENVELOPE)) {
        bail!("{} is not a sealpost backup", path.display());
    }
    let envelope: Envelope = serde_json::from_slice(&read_small(&mut envelope_entry, path)?)
        .map_err(|e| damaged(path, format!("{ENVELOPE}: {e}")))?;
    if envelope.format != FORMAT {
        bail!(
            "{} is a backup of format {}, which this sealpost cannot read; use a newer one",
            path.display(),
            envelope.format
        );
    }
    let mut sealed_keyring = None;
    let mut sealed_for_recovery = None;
    let contents = loop {
        let mut entry = next(CONTENTS)?;
        let name = entry.path().map_err(|e| damaged(path, e))?.to_string_lossy().into_owned();
        match name.as_str() {
            KEYRING => sealed_keyring = Some(read_small(&mut entry, path)?),
            RECOVERY => sealed_for_recovery = Some(read_small(&mut entry, path)?),
            CONTENTS => break entry,
            other => return Err(damaged(path, format!("an unexpected entry {other}"))),
        }
    };
    let inside = Path::new("(backup)");
    let mut identities: Vec<age::x25519::Identity> = Vec::new();
    for way in unlock {
        match way {
            Unlock::StoreKey(identity) => identities.push(identity.clone()),
            Unlock::Passphrase(passphrase) => {
                let sealed = sealed_keyring.as_deref().ok_or_else(|| damaged(path, "it holds no keyring"))?;
                let mut identity = age::scrypt::Identity::new(passphrase.clone());
                identity.set_max_work_factor(envelope.kdf_work_factor.min(MAX_WORK_FACTOR));
                let keyring = Keyring::open_sealed(sealed, &identity, &inside.join(KEYRING))?;
                identities.push(keyring.store_identity()?);
            }
            Unlock::Identities(keys) => {
                identities.extend(keys.iter().cloned());
                if let Some(sealed) = &sealed_for_recovery {
                    if let Ok(keyring) = crate::recovery::open(sealed, keys, &inside.join(RECOVERY)) {
                        identities.push(keyring.store_identity()?);
                    }
                }
            }
        }
    }
    let decryptor = age::Decryptor::new(contents).map_err(|e| damaged(path, e))?;
    let plain = decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => Refusal::locked(format!(
            "the key given does not open the backup {}: the passphrase of the store it was made from, the \
             recovery key, or the key of a --to recipient opens it",
            path.display()
        )),
        other => damaged(path, other),
    })?;
    let mut inner = tar::Archive::new(plain);
    let mut seen: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut manifest: Option<Manifest> = None;
    for entry in inner.entries().map_err(|e| damaged(path, e))? {
        let mut entry = entry.map_err(|e| damaged(path, e))?;
        if !entry.header().entry_type().is_file() {
            return Err(damaged(path, "an entry that is not a file"));
        }
        let name = entry.path().map_err(|e| damaged(path, e))?.to_string_lossy().into_owned();
        if name == MANIFEST {
            if entry.size() > MANIFEST_LIMIT {
                return Err(damaged(path, "an oversized manifest"));
            }
            let mut text = Vec::new();
            entry.read_to_end(&mut text).map_err(|e| damaged(path, e))?;
            manifest = Some(serde_json::from_slice(&text).map_err(|e| damaged(path, format!("{MANIFEST}: {e}")))?);
            continue;
        }
        if !is_safe_name(&name) || seen.contains_key(&name) {
            return Err(damaged(path, format!("an entry named {name:?}")));
        }
        let size = entry.size();
        let mtime = entry.header().mtime().unwrap_or(0);
        let mut hashing = Hashing::new(&mut entry);
        sink.file(&name, size, mtime, &mut hashing).map_err(|e| match e.downcast::<io::Error>() {
            Ok(io) => damaged(path, io),
            Err(other) => other,
        })?;
        io::copy(&mut hashing, &mut io::sink()).map_err(|e| damaged(path, e))?;
        seen.insert(name, (hashing.size, hashing.hex()));
    }
    // To age's authenticated end, past the archive's closing blocks.
    io::copy(&mut inner.into_inner(), &mut io::sink()).map_err(|e| damaged(path, e))?;
    let manifest = manifest.ok_or_else(|| damaged(path, "the manifest is missing"))?;
    for listed in &manifest.files {
        match seen.remove(&listed.path) {
            Some((size, sha256)) if size == listed.size && sha256 == listed.sha256 => {}
            Some(_) => return Err(damaged(path, format!("{} does not match its digest", listed.path))),
            None => return Err(damaged(path, format!("{} is missing", listed.path))),
        }
    }
    if let Some(extra) = seen.keys().next() {
        return Err(damaged(path, format!("{extra} is not in the manifest")));
    }
    Ok(manifest)
}

fn read_small(entry: &mut impl Read, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    entry.take(SMALL + 1).read_to_end(&mut bytes).map_err(|e| damaged(path, e))?;
    if bytes.len() as u64 > SMALL {
        return Err(damaged(path, "an oversized entry"));
    }
    Ok(bytes)
}

/// `config/config.toml`, or `data/` and a relative path of plain names.
fn is_safe_name(name: &str) -> bool {
    if name == CONFIG {
        return true;
    }
    let Some(relative) = name.strip_prefix(DATA) else { return false };
    let relative = Path::new(relative);
    relative.components().count() > 0
        && relative.components().all(|c| matches!(c, Component::Normal(_)))
        && relative != Path::new(RESTORING)
        && relative != Path::new("lock")
}

/// Writes the files of a backup into a staging folder (see the module doc).
struct Staging {
    root: PathBuf,
    config: Option<Vec<u8>>,
}

impl Sink for Staging {
    fn file(&mut self, path: &str, size: u64, mtime: u64, content: &mut dyn Read) -> Result<()> {
        if path == CONFIG {
            if size > SMALL {
                bail!("the config in the backup is oversized");
            }
            let mut bytes = Vec::new();
            content.read_to_end(&mut bytes)?;
            self.config = Some(bytes);
            return Ok(());
        }
        let relative = path.strip_prefix(DATA).expect("checked by is_safe_name");
        let target = self.root.join(relative);
        if let Some(dir) = target.parent() {
            home::create_private_dir(dir)?;
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&target)
            .with_context(|| format!("writing {}", target.display()))?;
        io::copy(content, &mut file)?;
        let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime);
        let _ = file.set_modified(mtime);
        file.sync_all().with_context(|| format!("writing {}", target.display()))?;
        Ok(())
    }
}

/// Restores the backup at `path` into `home`, which must hold no part of a
/// store (a restore that did not finish is replaced). Returns the manifest.
pub fn restore(home: &Home, path: &Path, unlock: &[Unlock]) -> Result<Manifest> {
    if home.data_dir.join(RESTORING).exists() {
        crate::error::note(&format!("replacing the unfinished restore in {}", home.data_dir.display()));
        fs::remove_dir_all(&home.data_dir).with_context(|| format!("removing {}", home.data_dir.display()))?;
        home::remove_durably(&home.config_file())?;
    }
    let parts = home.store_parts();
    if !parts.is_empty() {
        let names: Vec<String> = parts.iter().take(6).map(|p| p.display().to_string()).collect();
        bail!(
            "a sealpost store is already here (found {}{}); restore writes only into an empty home and \
             nothing was changed. To restore beside it, set SEALPOST_HOME to an empty folder",
            names.join(", "),
            if parts.len() > names.len() { ", ..." } else { "" }
        );
    }
    let parent = home.data_dir.parent().context("the data folder has no parent")?.to_path_buf();
    home::create_private_dir(&parent)?;
    let base = home.data_dir.file_name().context("the data folder has no name")?.to_string_lossy().into_owned();
    remove_stale_staging(&parent, &base);
    let root = parent.join(format!(".{base}.restore-{}-{}", std::process::id(), home::unique_suffix()));
    home::create_private_dir(&root)?;
    let mut staging = Staging { root: root.clone(), config: None };
    let staged = (|| -> Result<Manifest> {
        home::create_durable(&root.join(RESTORING), b"")?;
        let manifest = read(path, unlock, &mut staging)?;
        home::sync_dir(&root)?;
        Ok(manifest)
    })();
    let manifest = match staged {
        Ok(manifest) => manifest,
        Err(e) => {
            let _ = fs::remove_dir_all(&root);
            return Err(e.context("nothing was restored"));
        }
    };
    match fs::remove_dir(&home.data_dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            let _ = fs::remove_dir_all(&root);
            return Err(e).with_context(|| format!("making room for the store at {}", home.data_dir.display()));
        }
        _ => {}
    }
    if let Err(e) = fs::rename(&root, &home.data_dir) {
        let _ = fs::remove_dir_all(&root);
        return Err(e).with_context(|| format!("moving the restored store to {}", home.data_dir.display()));
    }
    home::sync_dir(&parent)?;
    if let Some(config) = &staging.config {
        home::create_private_dir(&home.config_dir)?;
        home::write_atomic(&home.config_file(), config)?;
    }
    // The store as it was when the backup was made, which is its last backup.
    let mut meta = Store::meta_ignoring_restore(home)?;
    meta.last_backup = Some(manifest.created_at);
    home::write_atomic(&home.data_dir.join("store.toml"), toml::to_string(&meta)?.as_bytes())?;
    home::remove_durably(&home.data_dir.join(RESTORING))?;
    Ok(manifest)
}

/// Staging folders of restores that were killed before they finished.
fn remove_stale_staging(parent: &Path, base: &str) {
    let prefix = format!(".{base}.restore-");
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) && entry.path().join(RESTORING).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_data_folder_are_restored() {
        for good in ["data/contacts.age", "data/inbox/1.eml.age", "config/config.toml"] {
            assert!(is_safe_name(good), "{good}");
        }
        for bad in [
            "data/../config/config.toml",
            "data//etc/passwd",
            "/etc/passwd",
            "data/",
            "data/lock",
            "data/restore-unfinished",
            "config/other.toml",
            "keys.age",
            "data/./x",
        ] {
            assert!(!is_safe_name(bad), "{bad}");
        }
    }
}
