//! Where sealpost keeps its files, and how it writes them.
//!
//! `SEALPOST_HOME` puts the config and the data under one folder (tests,
//! several identities on one machine); otherwise the platform's config and
//! data directories are used. Every directory is 0700 and every file 0600;
//! a home whose permissions are looser is refused rather than repaired,
//! because loose permissions mean something else already went wrong.
//!
//! Every write is atomic (temp file in the same directory, fsync, rename,
//! fsync of the directory), so a crash leaves either the old or the new file,
//! never half of one. One process writes at a time: writers take `Lock`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The folders of one identity.
#[derive(Clone, Debug)]
pub struct Home {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Home {
    /// `SEALPOST_HOME` if set, else the platform directories.
    pub fn locate() -> Result<Home> {
        if let Some(root) = std::env::var_os("SEALPOST_HOME") {
            return Ok(Home::at(Path::new(&root)));
        }
        let dirs = directories::ProjectDirs::from("org", "sealpost", "sealpost")
            .context("cannot find a home directory for the config; set SEALPOST_HOME")?;
        Ok(Home { config_dir: dirs.config_dir().to_path_buf(), data_dir: dirs.data_dir().to_path_buf() })
    }

    /// Config and data under one folder.
    pub fn at(root: &Path) -> Home {
        Home { config_dir: root.join("config"), data_dir: root.join("data") }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn exists(&self) -> bool {
        self.config_file().exists()
    }

    /// What of a store is on disk: the config file and every entry of the
    /// data folder. Empty for a fresh home. `init` refuses unless it is
    /// empty, so it can never write a new key over someone's records.
    pub fn store_parts(&self) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = Some(self.config_file()).filter(|p| p.exists()).into_iter().collect();
        if let Ok(entries) = fs::read_dir(&self.data_dir) {
            let mut data: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            data.sort();
            found.extend(data);
        }
        found
    }

    /// Why there is nothing to open here, and what to do: `init` for a fresh
    /// home, but never when part of a store is present (a lost config file,
    /// a `SEALPOST_HOME` pointing at a store without its config, a damaged
    /// store), where `init` would be refused anyway.
    pub fn missing(&self, what: &Path) -> anyhow::Error {
        let parts = self.store_parts();
        if parts.is_empty() {
            return anyhow::anyhow!(
                "no sealpost identity here ({} does not exist); run `sealpost init` first",
                what.display()
            );
        }
        anyhow::anyhow!(
            "{} is missing, but a sealpost store is here ({}). Do not start over: restore the missing file from \
             a backup or a copy of this identity (its config is `{}`), or point SEALPOST_HOME at the folder \
             that holds the whole identity",
            what.display(),
            self.data_dir.display(),
            self.config_file().display()
        )
    }

    /// Creates both folders, private.
    pub fn create(&self) -> Result<()> {
        for dir in [&self.config_dir, &self.data_dir] {
            create_private_dir(dir)?;
        }
        Ok(())
    }

    /// Refuses a home that is not the user's alone: everything under the
    /// config and data folders must belong to this user, every folder be
    /// 0700 or stricter and every file 0600 or stricter, and nothing be a
    /// symbolic link. The whole tree is walked, not one level: a message
    /// file others can read leaks as much as a loose keyring. Links are
    /// never followed (a link could lead the store's writes anywhere); the
    /// walk costs one `lstat` per entry, a few milliseconds for thousands.
    pub fn check_permissions(&self) -> Result<()> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        for dir in [&self.config_dir, &self.data_dir] {
            check_tree(dir, uid)?;
        }
        Ok(())
    }
}

/// Checks `root` and everything under it (see `Home::check_permissions`).
fn check_tree(root: &Path, uid: u32) -> Result<()> {
    let meta = fs::symlink_metadata(root).with_context(|| format!("reading {}", root.display()))?;
    check_private(root, &meta, uid)?;
    // Another sealpost may add and remove files meanwhile (the temp file
    // of a write, the unlocks noted for the audit log, a folder emptied):
    // one gone before it was looked at is nothing to refuse.
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let mut folders = vec![root.to_path_buf()];
    while let Some(dir) = folders.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if gone(&e) && dir != root => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let path = entry.path();
            // Of the entry itself: `DirEntry::metadata` does not follow links.
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                Err(e) if gone(&e) => continue,
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            };
            check_private(&path, &meta, uid)?;
            if meta.is_dir() {
                folders.push(path);
            }
        }
    }
    Ok(())
}

fn check_private(path: &Path, meta: &fs::Metadata, uid: u32) -> Result<()> {
    let shown = path.display();
    if meta.file_type().is_symlink() {
        bail!(
            "refusing to use the store: {shown} is a symbolic link, and sealpost keeps only its own \
             files there. If you did not put it there on purpose, remove it with `rm {shown}`"
        );
    }
    if meta.uid() != uid {
        let recursive = if meta.is_dir() { "-R " } else { "" };
        bail!(
            "refusing to use {shown}: it belongs to uid {}, not to you (uid {uid}); sealpost keeps \
             private data here. If it is yours, run `chown {recursive}{uid} {shown}` (as root)",
            meta.uid()
        );
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let fix = if meta.is_dir() { "700" } else { "600" };
        bail!(
            "refusing to use {shown}: other users can access it (mode {mode:03o}); sealpost keeps \
             private data here. If this is expected to be yours alone, run `chmod {fix} {shown}`"
        );
    }
    Ok(())
}

/// Creates a directory (and parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Creates a new file (never replacing one) with mode 0600 holding `bytes`,
/// flushed to disk. On a write failure the partial file is removed. The
/// `io::Error` is returned as is, so callers can tell `AlreadyExists`.
pub fn create_durable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// Writes `bytes` to `path` atomically with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file path without a folder")?;
    let name = path.file_name().context("a file path without a name")?.to_string_lossy();
    let tmp = dir.join(format!(".{}.tmp-{}-{}", name, std::process::id(), unique_suffix()));
    let result = (|| -> Result<()> {
        create_durable(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A new file being written under a temporary name beside `path`, in
/// the same folder, and given its name only once it is complete
/// (`publish`), never in place of a file there. Dropped before, or
/// stopped by Ctrl-C, a closed terminal or SIGTERM, the temporary file is
/// removed: a partial record left where the user does not look must not
/// stay. One that a kill -9 or a power cut left is removed by the next
/// `Staged` for the same path.
pub struct Staged {
    temp: PathBuf,
    path: PathBuf,
    file: File,
    _interrupted: crate::interrupt::Guard,
}

/// The start of a staged file's temporary name: `.NAME.tmp-PID-RANDOM`,
/// NAME cut to fit a file name's 255 bytes.
fn staged_prefix(name: &str) -> String {
    let mut end = name.len().min(200);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".{}.tmp-", &name[..end])
}

impl Staged {
    pub fn create(path: &Path) -> Result<Staged> {
        let dir = folder_of(path);
        let name = path.file_name().context("a file path without a name")?.to_string_lossy();
        let prefix = staged_prefix(&name);
        remove_orphaned_staged(dir, &prefix);
        let temp = dir.join(format!("{prefix}{}-{}", std::process::id(), unique_suffix()));
        // Before the file exists: stopped at any point after, nothing stays.
        let _interrupted = crate::interrupt::Guard::removing(&temp);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Staged { temp, path: path.to_path_buf(), file, _interrupted })
    }

    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Makes the file durable and gives it its name, unless a file of
    /// that name appeared meanwhile.
    pub fn publish(self) -> Result<()> {
        let taken = || anyhow::anyhow!("{} exists; nothing was written (choose another name)", self.path.display());
        let failed = |e: std::io::Error| anyhow::anyhow!(e).context(format!("writing {}", self.path.display()));
        self.file.sync_all().map_err(failed)?;
        match fs::hard_link(&self.temp, &self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(taken()),
            // A file system without links (a FAT-formatted stick).
            Err(_) => match rename_new(&self.temp, &self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(taken()),
                Err(e) => return Err(failed(e)),
            },
        }
        let _ = fs::remove_file(&self.temp);
        sync_dir(folder_of(&self.path))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.temp);
    }
}

/// Renames `from` to `to`, unless `to` exists (`AlreadyExists`): at once
/// where the system can (Linux's RENAME_NOREPLACE), else checked first.
fn rename_new(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
        let (from_c, to_c) = (c(from)?, c(to)?);
        // SAFETY: two NUL-terminated paths that live across the call.
        let done = unsafe {
            libc::renameat2(libc::AT_FDCWD, from_c.as_ptr(), libc::AT_FDCWD, to_c.as_ptr(), libc::RENAME_NOREPLACE)
        };
        if done == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        // Not supported by this file system or kernel: checked first below.
        if !matches!(error.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)) {
            return Err(error);
        }
    }
    if to.symlink_metadata().is_ok() {
        return Err(std::io::ErrorKind::AlreadyExists.into());
    }
    fs::rename(from, to)
}

/// Removes the temporary files starting `prefix` in `dir` that a staged
/// write stopped by a kill -9 or a power cut left (its process is gone),
/// saying so.
fn remove_orphaned_staged(dir: &Path, prefix: &str) {
    let Some(orphaned) = orphan_test() else { return };
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else { continue };
        let Some(Ok(pid)) = rest.split('-').next().map(str::parse::<u32>) else { continue };
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() || !orphaned(pid, &meta) {
            continue;
        }
        crate::error::warn(&format!(
            "removing {}: a partial file left by sealpost process {pid}, which was stopped while writing it",
            entry.path().display()
        ));
        let _ = fs::remove_file(entry.path());
    }
}

/// The folder `path` is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Whether `name` is the temp file of an atomic write (see `write_atomic`).
pub fn is_unfinished_write(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Removes the temp files of atomic writes that never finished, anywhere
/// under `data_dir`. Call it only while holding the store's `Lock`: one
/// writer at a time means any temp file found then belongs to a writer that
/// died (a kill or a crash between writing and renaming). Each holds only
/// age ciphertext, never the document it would have replaced, so removing
/// it loses nothing; left alone, they would pile up after every crash.
pub fn remove_unfinished_writes(data_dir: &Path) -> Result<()> {
    let entries = match fs::read_dir(data_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", data_dir.display())),
    };
    let mut removed = false;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", data_dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().with_context(|| format!("reading {}", entry.path().display()))?;
        // A draft folder belongs to an editor that may still be running.
        if kind.is_dir() && !name.starts_with(DRAFT_PREFIX) {
            remove_unfinished_writes(&entry.path())?;
        } else if kind.is_file() && is_unfinished_write(&name) {
            fs::remove_file(entry.path()).with_context(|| format!("removing {}", entry.path().display()))?;
            removed = true;
        }
    }
    if removed {
        sync_dir(data_dir)?;
    }
    Ok(())
}

/// The start of the name of a folder holding a draft while `$EDITOR` runs:
/// `sealpost-draft-PID-sSTORE-RANDOM`, where PID is the sealpost that made
/// it and STORE names the store it writes for (see `store_tag`).
pub const DRAFT_PREFIX: &str = "sealpost-draft-";

/// Memory-backed, so a draft never reaches a disk; see `draft_base`.
const SHM: &str = "/dev/shm";

/// Where plaintext drafts are written: /dev/shm when the system has it,
/// else the private data folder.
pub fn draft_base(data_dir: &Path) -> PathBuf {
    let shm = Path::new(SHM);
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        data_dir.to_path_buf()
    }
}

/// A new draft folder's name, naming this process as its owner and the
/// store it is for.
pub fn draft_folder_name(data_dir: &Path) -> String {
    format!("{DRAFT_PREFIX}{}-s{}-{}", std::process::id(), store_tag(data_dir), unique_suffix())
}

/// A short name for a store, from its data folder's path: drafts in the
/// shared /dev/shm are cleaned up by runs of their own store only.
fn store_tag(data_dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let path = fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    Sha256::digest(path.as_os_str().as_encoded_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Removes the plaintext drafts that a sealpost killed while `$EDITOR` ran
/// left behind (a kill -9, a crash, a closed terminal), in /dev/shm and in
/// `data_dir`, telling the user what goes. Nothing else would ever remove
/// them, and they are the only plaintext sealpost writes.
///
/// A draft is orphaned when the process its name names is gone, or is not
/// a sealpost of this user (its pid was reused): `/proc/PID` missing, owned
/// by another uid, or running another program. A draft of a sealpost still
/// running is left alone, whichever store it belongs to; so are folders of
/// other users and names that name no pid. Without `/proc` nothing can be
/// told apart and nothing is removed. A reused pid that happens to be
/// another sealpost only delays the removal to a later run.
pub fn remove_orphaned_drafts(data_dir: &Path) {
    let Some(orphaned) = orphan_test() else { return };
    let ours = format!("s{}", store_tag(data_dir));
    for base in [Path::new(SHM), data_dir] {
        let Ok(entries) = fs::read_dir(base) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(DRAFT_PREFIX) else { continue };
            let mut fields = rest.split('-');
            let Some(Ok(pid)) = fields.next().map(str::parse::<u32>) else { continue };
            // Another store's draft is left to that store's next run; drafts
            // named before stores were named in them are anyone's to clean.
            if fields.next().is_some_and(|tag| tag.starts_with('s') && tag != ours) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_dir() || !orphaned(pid, &meta) {
                continue;
            }
            let path = entry.path();
            crate::error::warn(&format!(
                "removing {}: a plaintext draft left by sealpost process {pid}, which is no longer running",
                path.display()
            ));
            if let Err(e) = fs::remove_dir_all(&path) {
                crate::error::warn(&format!(
                    "could not remove {} ({e}); remove it with `rm -r {}`",
                    path.display(),
                    path.display()
                ));
            }
        }
    }
}

/// Whether a file or folder (its metadata) that names sealpost process
/// `pid` as its writer is this user's and was left by a process that is
/// gone (see `remove_orphaned_drafts`); `None` without `/proc`, where a
/// running process cannot be told from a gone one.
fn orphan_test() -> Option<impl Fn(u32, &fs::Metadata) -> bool> {
    if !Path::new("/proc/self").is_dir() {
        return None;
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let program = fs::read_to_string("/proc/self/comm").unwrap_or_default();
    Some(move |pid, meta: &fs::Metadata| meta.uid() == uid && !is_running_sealpost(pid, uid, &program))
}

/// Whether `pid` is a process of `uid` running the program named `program`
/// (the `comm` of this sealpost).
fn is_running_sealpost(pid: u32, uid: u32, program: &str) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = PathBuf::from(format!("/proc/{pid}"));
    match fs::metadata(&proc) {
        Ok(meta) if meta.uid() == uid => {}
        _ => return false,
    }
    fs::read_to_string(proc.join("comm")).is_ok_and(|comm| comm == program)
}

/// Makes a rename or removal in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("flushing folder {} to disk", dir.display()))
}

/// Removes a file durably; a file already gone is not an error.
pub fn remove_durably(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// A short random suffix for unique file names.
pub fn unique_suffix() -> String {
    let mut bytes = [0u8; 8];
    sequoia_openpgp::crypto::random(&mut bytes).expect("the system random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The single-writer lock of a store, held until dropped.
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Waits up to `patience` for other sealpost processes to finish writing.
    pub fn acquire(data_dir: &Path, patience: Duration) -> Result<Lock> {
        let path = data_dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if start.elapsed() < patience => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(fs::TryLockError::WouldBlock) => bail!(
                    "another sealpost process is using this store ({}); try again when it has finished",
                    data_dir.display()
                ),
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()))
                }
            }
        }
    }
}

/// Reads a file, mapping "not there" to `None`.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_a_private_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_second_writer_is_refused_while_the_lock_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let held = Lock::acquire(dir.path(), Duration::ZERO).unwrap();
        let err = Lock::acquire(dir.path(), Duration::from_millis(100)).err().unwrap().to_string();
        assert!(err.contains("another sealpost process is using this store"), "{err}");
        drop(held);
        Lock::acquire(dir.path(), Duration::ZERO).unwrap();
    }

    #[test]
    fn a_file_of_another_user_anywhere_in_the_home_is_refused_with_the_chown() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        home.create().unwrap();
        create_private_dir(&home.data_dir.join("inbox")).unwrap();
        write_atomic(&home.data_dir.join("inbox/1.eml.age"), b"x").unwrap();
        let mine = unsafe { libc::geteuid() };
        check_tree(&home.data_dir, mine).unwrap();
        // As seen by another user, everything here belongs to someone else.
        let err = check_tree(&home.data_dir, mine + 1).unwrap_err().to_string();
        assert!(err.contains(&format!("it belongs to uid {mine}, not to you (uid {})", mine + 1)), "{err}");
        assert!(err.contains(&format!("chown -R {} {}", mine + 1, home.data_dir.display())), "{err}");
    }

    #[test]
    fn drafts_of_processes_gone_or_not_sealpost_are_removed_and_a_running_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        gone.wait().unwrap();
        let mut other_program = std::process::Command::new("sleep").arg("600").spawn().unwrap();
        let ours = store_tag(dir.path());
        let orphans = [
            dir.path().join(format!("{DRAFT_PREFIX}{}-s{ours}-0011", gone.id())),
            dir.path().join(format!("{DRAFT_PREFIX}{}-s{ours}-0022", other_program.id())),
            // Named by an earlier release, without a store.
            dir.path().join(format!("{DRAFT_PREFIX}{}-0033", gone.id())),
        ];
        let running = dir.path().join(draft_folder_name(dir.path()));
        let not_a_draft = dir.path().join(format!("{DRAFT_PREFIX}notes"));
        let other_store = dir.path().join(format!("{DRAFT_PREFIX}{}-s000000000000-0044", gone.id()));
        for folder in orphans.iter().chain([&running, &not_a_draft, &other_store]) {
            create_private_dir(folder).unwrap();
            write_atomic(&folder.join("message.txt"), b"plaintext").unwrap();
        }
        remove_orphaned_drafts(dir.path());
        other_program.kill().unwrap();
        other_program.wait().unwrap();
        for orphan in &orphans {
            assert!(!orphan.exists(), "{} is still there", orphan.display());
        }
        assert!(running.join("message.txt").exists(), "this process's draft is kept");
        assert!(not_a_draft.exists(), "a folder naming no process is left alone");
        assert!(other_store.exists(), "another store's draft is left to that store");
    }

    #[test]
    fn loose_permissions_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        home.create().unwrap();
        fs::set_permissions(&home.data_dir, fs::Permissions::from_mode(0o755)).unwrap();
        let err = home.check_permissions().unwrap_err().to_string();
        assert!(err.contains("mode 755"), "{err}");
        assert!(err.contains("chmod 700"), "{err}");
    }
}
