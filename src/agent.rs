//! The unlock agent: holds an unlocked keyring in memory so later commands
//! need neither the passphrase nor the key derivation.
//!
//! `sealpost unlock` decrypts the keyring once and starts the agent (this
//! binary, `agent-serve`, detached in its own session), handing it the
//! keyring over a pipe: the secrets never touch the disk, the command line
//! or the environment. The agent listens on a Unix socket in a private
//! folder (0700, owned by the user), one socket per store. The folder is
//! always `/tmp/sealpost-UID`, whatever the environment says
//! (`XDG_RUNTIME_DIR`, `TMPDIR`): a `lock` run from cron, ssh or another
//! desktop session must find the agent a terminal started. It answers only
//! peers of its own uid (checked with the socket's peer credentials), and a client talks
//! only to an agent of its own uid. It locks itself (wipes the keyring and
//! exits) after the idle time without a request, on `sealpost lock`, or on
//! SIGTERM's default action. It is not dumpable (no core file, no ptrace by
//! the same uid) and tries to keep its memory out of swap.
//!
//! One agent per store: before it binds, an agent takes an exclusive
//! `flock` on `NAME.lock` beside the socket and holds it until the process
//! ends, and it writes its pid there. An agent that cannot take it exits at
//! once. Only the holder binds, and an agent removes a socket path only
//! when it is its own (the inode it bound) or, holding the lock, a dead
//! one; so no agent is ever orphaned behind another's socket. `lock` asks
//! the agent over the socket, then waits until the lock file is free,
//! signalling the recorded pid if it has to (after checking it is an agent
//! of this store and user): "locked" means no agent of the store is left.
//!
//! An agent hands the keyring to a same-user client, which then works as
//! with the passphrase: a process of the same user could read the client's
//! memory anyway. What the agent adds is that the passphrase is typed once
//! and that the keyring is gone after the idle time.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, FileExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod platform;
use platform::{harden, is_agent_of, peer_uid, since_boot, uid};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::home::Home;
use crate::store::{AgentKeyring, Keyring};

/// Default idle time before the agent locks itself: the automatic logoff
/// health-care rules ask for.
pub const DEFAULT_IDLE: &str = "15m";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
enum Request {
    Keyring,
    /// How long until the agent locks itself; does not count as use.
    Status,
    /// Starts the idle time over, now `idle_seconds` long: a second `unlock`
    /// keeps the agent instead of asking for the passphrase again. Nothing
    /// secret crosses the socket, and only the owner's uid is answered, who
    /// could fetch the keyring anyway.
    Extend {
        idle_seconds: u64,
    },
    Lock,
}

#[derive(Serialize, Deserialize, Default)]
struct Response {
    #[serde(skip_serializing_if = "Option::is_none")]
    keyring: Option<AgentKeyring>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locks_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The socket of the agent for `home`'s store.
pub fn socket_path(home: &Home) -> PathBuf {
    let data = std::fs::canonicalize(&home.data_dir).unwrap_or_else(|_| home.data_dir.clone());
    let digest = Sha256::digest(data.to_string_lossy().as_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    agent_dir().join(format!("{name}.sock"))
}

/// The folder of every agent of this user. It depends on the uid alone, not
/// on `XDG_RUNTIME_DIR` or `TMPDIR`: an agent started in one environment
/// must be found (and locked) from any other.
fn agent_dir() -> PathBuf {
    PathBuf::from(format!("/tmp/sealpost-{}", uid()))
}

/// The lock file of the agent serving `socket`, beside it.
fn lock_path(socket: &Path) -> PathBuf {
    socket.with_extension("lock")
}

/// The socket folder: created 0700, and refused unless it is the user's own
/// and private.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() || meta.uid() != uid() || meta.permissions().mode() & 0o077 != 0 {
        bail!("{} is not a private folder of this user; the unlock agent will not use it", dir.display());
    }
    Ok(())
}

/// Asks the running agent, if any, for the keyring. `None` when no agent
/// runs for this store.
pub fn fetch(home: &Home) -> Result<Option<Keyring>> {
    let Some(response) = ask(home, &Request::Keyring)? else {
        return Ok(None);
    };
    if let Some(error) = response.error {
        bail!("the unlock agent refused: {error}");
    }
    Keyring::from_agent_form(response.keyring.context("the unlock agent sent no keyring")?).map(Some)
}

/// Seconds until the agent locks itself, if one runs.
pub fn status(home: &Home) -> Result<Option<u64>> {
    Ok(ask(home, &Request::Status)?.and_then(|r| r.locks_in))
}

/// Asks the running agent, if any, to start its idle time over with `idle`.
/// The seconds until it locks, or `None` when no agent runs (or an agent of
/// an earlier release does not know the request).
pub fn extend(home: &Home, idle: Duration) -> Result<Option<u64>> {
    Ok(ask(home, &Request::Extend { idle_seconds: idle.as_secs() })?.and_then(|r| r.locks_in))
}

/// Ends every agent of `home`'s store: asks the one on the socket to lock,
/// then waits until no process holds the store's lock file (see
/// [`end_every_agent`]). Whether one was running.
pub fn lock(home: &Home) -> Result<bool> {
    let asked = ask(home, &Request::Lock)?.is_some();
    let signalled = end_every_agent(&socket_path(home), asked)?;
    Ok(asked || signalled)
}

fn ask(home: &Home, request: &Request) -> Result<Option<Response>> {
    let path = socket_path(home);
    let mut stream = match UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Ok(None);
        }
        Err(e) => return Err(e).with_context(|| format!("connecting to the unlock agent at {}", path.display())),
    };
    if peer_uid(&stream)? != uid() {
        bail!("the socket {} belongs to another user; not using it", path.display());
    }
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut line = serde_json::to_string(request)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let answer = read_secret_line(&stream).context("reading the unlock agent's answer")?;
    if answer.is_empty() {
        bail!("the unlock agent closed the connection");
    }
    Ok(Some(serde_json::from_slice(&answer).context("reading the unlock agent's answer")?))
}

/// What `unlock` achieved.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    /// A new agent holds the keys.
    Unlocked,
    /// Another agent of this store, started at the same moment (by an
    /// `unlock` run alongside), holds them; this one ended.
    AlreadyRunning,
}

/// Starts an agent for `home` holding `keyring`, locking after `idle`.
/// Returns once the agent listens, or once it found another agent of this
/// store holding the lock file.
///
/// A running agent is locked first, so that the new idle time applies. When
/// two `unlock`s race, both agents try the lock file and one wins; the
/// other's `unlock` reports [`Started::AlreadyRunning`]. It does not hand its
/// keys to the winner: the winner holds the same store's keys already, and a
/// request that swaps the keyring of a running agent would let any process
/// of the user replace it, for nothing gained. Nor does it lock the winner
/// and try again: two `unlock`s would keep ending each other's agents.
pub fn start(home: &Home, keyring: &Keyring, idle: Duration) -> Result<Started> {
    use std::os::unix::process::CommandExt;
    let path = socket_path(home);
    private_dir(path.parent().expect("a socket path has a folder"))?;
    lock(home)?;
    let exe = std::env::current_exe().context("finding the sealpost binary")?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("agent-serve")
        .arg("--socket")
        .arg(&path)
        .arg("--idle-seconds")
        .arg(idle.as_secs().to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // SAFETY: setsid is async-signal-safe; the agent leaves the terminal's
    // session so Ctrl-C or a closed terminal does not end it.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command.spawn().context("starting the unlock agent")?;
    {
        let mut input = child.stdin.take().expect("piped");
        input.write_all(&secret_json(&keyring.agent_form())?)?;
    }
    let mut ready = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut ready)?;
    match ready.trim() {
        READY => Ok(Started::Unlocked),
        RUNNING => {
            child.wait()?;
            Ok(Started::AlreadyRunning)
        }
        said => {
            let status = child.wait()?;
            match said.strip_prefix(FAILED) {
                Some(why) => bail!("the unlock agent did not start: {why}"),
                None => bail!("the unlock agent did not start ({status})"),
            }
        }
    }
}

/// What the agent tells `unlock` on its stdout, one line: it listens, or
/// another agent of the store holds the lock file, or why it failed.
const READY: &str = "ready";
const RUNNING: &str = "running";
const FAILED: &str = "failed: ";

/// The agent itself: reads the keyring from stdin, listens, serves.
pub fn serve(socket: &Path, mut idle: Duration) -> Result<()> {
    harden()?;
    let input = read_secret_line(std::io::stdin())?;
    let keyring = Keyring::from_agent_json(&input).context("reading the keyring from the pipe")?;
    drop(input);
    let Listening { listener, claim, bound } = match listen(socket) {
        Ok(Some(listening)) => listening,
        Ok(None) => {
            drop(keyring);
            return tell_unlock(RUNNING);
        }
        Err(e) => {
            drop(keyring);
            tell_unlock(&format!("{FAILED}{e:#}"))?;
            return Err(e);
        }
    };
    tell_unlock(READY)?;
    let mut last = since_boot();
    loop {
        let remaining = idle.saturating_sub(since_boot().saturating_sub(last));
        if remaining.is_zero() || !wait_readable(&listener, remaining.min(TICK)) {
            if since_boot().saturating_sub(last) >= idle {
                break;
            }
            continue;
        }
        let Ok((mut stream, _)) = listener.accept() else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let response = match peer_uid(&stream) {
            Ok(peer) if peer == uid() => None,
            Ok(peer) => Some(Response {
                error: Some(format!("uid {peer} is not the owner of this agent; only uid {} may use it", uid())),
                ..Response::default()
            }),
            Err(e) => Some(Response { error: Some(format!("{e:#}")), ..Response::default() }),
        };
        if let Some(refusal) = response {
            let _ = writeln!(stream, "{}", serde_json::to_string(&refusal)?);
            continue;
        }
        let mut line = String::new();
        if BufReader::new(&stream).read_line(&mut line).is_err() {
            continue;
        }
        let request = serde_json::from_str::<Request>(&line);
        // Asking how long is left is not use; everything else is.
        if !matches!(request, Ok(Request::Status)) {
            last = since_boot();
        }
        let (answer, stop) = match request {
            Ok(Request::Keyring) => {
                (secret_json(&Response { keyring: Some(keyring.agent_form()), ..Default::default() })?, false)
            }
            Ok(Request::Status) => {
                let left = idle.saturating_sub(since_boot().saturating_sub(last));
                let response = Response { locks_in: Some(left.as_secs().max(1)), ..Response::default() };
                (secret_json(&response)?, false)
            }
            Ok(Request::Extend { idle_seconds }) => {
                idle = Duration::from_secs(idle_seconds.max(1));
                let response = Response { locks_in: Some(idle.as_secs()), ..Response::default() };
                (secret_json(&response)?, false)
            }
            Ok(Request::Lock) => (secret_json(&Response::default())?, true),
            Err(e) => (secret_json(&Response { error: Some(e.to_string()), ..Response::default() })?, false),
        };
        let _ = stream.write_all(&answer);
        if stop {
            break;
        }
    }
    remove_own_socket(socket, bound);
    drop(keyring);
    // The lock is released when the process ends, not before: once `lock`
    // finds the lock file free, no agent process of this store is left.
    std::mem::forget(claim);
    Ok(())
}

fn tell_unlock(line: &str) -> Result<()> {
    let mut out = std::io::stdout();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// An agent that holds its store's lock file and listens on its socket.
struct Listening {
    listener: UnixListener,
    /// The lock file, locked.
    claim: File,
    /// Device and inode of the socket it bound.
    bound: (u64, u64),
}

/// Claims the store and listens on `socket`. `None` when another agent of
/// this store holds the claim.
fn listen(socket: &Path) -> Result<Option<Listening>> {
    private_dir(socket.parent().context("a socket path has a folder")?)?;
    let Some(claim) = claim(socket)? else { return Ok(None) };
    remove_stale_socket(socket)?;
    let listener = UnixListener::bind(socket).with_context(|| format!("listening on {}", socket.display()))?;
    let bound = socket_identity(socket)?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    Ok(Some(Listening { listener, claim, bound }))
}

/// Device and inode of what is at `path` now: an agent removes the socket
/// path at exit only while it is still the socket it bound.
fn socket_identity(path: &Path) -> std::io::Result<(u64, u64)> {
    let meta = std::fs::symlink_metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// Removes `socket` only while it is still the socket this agent bound:
/// never one another agent bound at the same path since.
fn remove_own_socket(socket: &Path, bound: (u64, u64)) {
    if socket_identity(socket).ok() == Some(bound) {
        let _ = std::fs::remove_file(socket);
    }
}

/// Removes a socket a previous agent of this store left behind (it was
/// killed before it could). Called while holding the claim, so no agent of
/// this store can own it; still, a socket that someone listens on (an agent
/// of an older sealpost, which took no lock) is left alone.
fn remove_stale_socket(socket: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(socket) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("checking {}", socket.display())),
    };
    if !meta.file_type().is_socket() {
        bail!("{} is not a socket; the unlock agent will not replace it", socket.display());
    }
    match UnixStream::connect(socket) {
        Ok(_) => bail!(
            "another unlock agent (of an earlier sealpost) listens on {}; end it with `sealpost lock`",
            socket.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(socket).with_context(|| format!("removing the stale socket {}", socket.display()))
        }
        Err(e) => Err(e).with_context(|| format!("checking {}", socket.display())),
    }
}

/// How long a starting agent keeps trying a lock file someone holds: `lock`
/// and `unlock` take it for an instant to see whether an agent holds it.
const CLAIM_PATIENCE: Duration = Duration::from_millis(300);

/// Takes the store's lock file for the agent serving `socket` and writes the
/// agent's pid into it. `None` when another agent holds it.
fn claim(socket: &Path) -> Result<Option<File>> {
    let path = lock_path(socket);
    let file = open_lock_file(&path, true)?.expect("created");
    let deadline = Instant::now() + CLAIM_PATIENCE;
    while !try_lock(&file).with_context(|| format!("locking {}", path.display()))? {
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    file.set_len(0)?;
    file.write_all_at(format!("{}\n", std::process::id()).as_bytes(), 0)?;
    Ok(Some(file))
}

/// Whether some process (an agent of the store) holds the lock file of
/// `socket`. Takes the lock for an instant when it is free.
fn claimed(socket: &Path) -> Result<bool> {
    let path = lock_path(socket);
    match open_lock_file(&path, false)? {
        Some(file) => Ok(!try_lock(&file).with_context(|| format!("locking {}", path.display()))?),
        None => Ok(false),
    }
}

/// Opens (or creates, 0600) a lock file, refused unless it is a plain file
/// of this user. `None` when it does not exist and `create` is false.
fn open_lock_file(path: &Path, create: bool) -> Result<Option<File>> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(create)
        .create(create)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != uid() {
        bail!("{} is not a lock file of this user; the unlock agent will not use it", path.display());
    }
    Ok(Some(file))
}

/// Takes an exclusive `flock` on `file` without waiting: whether it got it.
fn try_lock(file: &File) -> std::io::Result<bool> {
    // SAFETY: flock on a valid open descriptor.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        _ => Err(error),
    }
}

/// How long an agent asked to lock gets to end by itself before it is
/// signalled, and how long a signalled one gets before SIGKILL.
const GRACE: Duration = Duration::from_secs(2);
/// How long `lock` waits in all before it reports failure.
const GIVE_UP: Duration = Duration::from_secs(10);

/// Waits until no process holds the lock file of `socket`. An agent nobody
/// could ask (its socket gone), or one still there `GRACE` after it was
/// asked, is sent SIGTERM (its default action ends it; the kernel frees its
/// memory), then SIGKILL: only the pid recorded in the lock file, and only
/// once [`is_agent_of`] says it is an agent of this store and this user.
/// Whether it signalled one.
fn end_every_agent(socket: &Path, asked: bool) -> Result<bool> {
    let started = Instant::now();
    let mut signalled: Option<(libc::pid_t, Instant, bool)> = None;
    while claimed(socket)? {
        let pid = recorded_pid(socket).filter(|pid| is_agent_of(*pid, socket));
        match (pid, &mut signalled) {
            (Some(pid), None) if !asked || started.elapsed() >= GRACE => {
                // SAFETY: kill has no memory preconditions.
                unsafe { libc::kill(pid, libc::SIGTERM) };
                signalled = Some((pid, Instant::now(), false));
            }
            (Some(pid), Some((_, at, killed))) if !*killed && at.elapsed() >= GRACE => {
                // SAFETY: as above.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                *killed = true;
            }
            _ => {}
        }
        if started.elapsed() >= GIVE_UP {
            let lock = lock_path(socket);
            bail!(
                "something still holds {} after {} s, and it is not an unlock agent of this store that \
                 sealpost could end; see what holds it with `fuser -v {}`",
                lock.display(),
                GIVE_UP.as_secs(),
                lock.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(signalled.is_some())
}

/// The pid an agent wrote into the lock file of `socket`.
fn recorded_pid(socket: &Path) -> Option<libc::pid_t> {
    std::fs::read_to_string(lock_path(socket)).ok()?.trim().parse().ok().filter(|pid| *pid > 0)
}

/// The longest the agent sleeps in one wait, so that after a suspend it
/// notices within this long that its idle time is up.
const TICK: Duration = Duration::from_secs(1);

/// Whether the listener has a connection waiting within `timeout`.
fn wait_readable(listener: &UnixListener, timeout: Duration) -> bool {
    let mut fd = libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd, count 1.
    let rc = unsafe { libc::poll(&mut fd, 1, ms.max(1)) };
    rc > 0 && fd.revents & libc::POLLIN != 0
}

/// Room for any keyring, so that buffers holding one never grow: growing
/// would leave copies in freed memory that zeroizing cannot reach.
const SECRET_ROOM: usize = 256 * 1024;

/// Reads up to the end of the line (or input) into a buffer that is wiped
/// when dropped and never reallocated.
fn read_secret_line(mut input: impl Read) -> Result<Zeroizing<Vec<u8>>> {
    let mut buffer = Zeroizing::new(vec![0u8; SECRET_ROOM]);
    let mut len = 0;
    loop {
        if len == buffer.len() {
            bail!("a keyring larger than {SECRET_ROOM} bytes");
        }
        let n = input.read(&mut buffer[len..]).context("reading the keyring")?;
        if n == 0 {
            break;
        }
        len += n;
        if buffer[..len].ends_with(b"\n") {
            break;
        }
    }
    let mut line = Zeroizing::new(Vec::with_capacity(len));
    line.extend_from_slice(&buffer[..len]);
    Ok(line)
}

/// Serializes a value holding secrets into a wiped, never-grown buffer.
fn secret_json(value: &impl Serialize) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(SECRET_ROOM));
    serde_json::to_writer(&mut *out, value)?;
    if out.len() > SECRET_ROOM {
        bail!("a keyring larger than {SECRET_ROOM} bytes");
    }
    out.push(b'\n');
    Ok(out)
}

/// Parses `15m`, `2h`, `30s`, `1d` into a duration for the agent.
pub fn parse_idle(text: &str) -> Result<Duration> {
    crate::invite::parse_duration(text)
        .map(Duration::from_secs)
        .map_err(|_| anyhow!("{text:?} is not an idle time like 15m, 2h or 30s (at most 90d)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_claim_on_a_store_at_a_time_and_it_records_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("store.sock");
        let first = claim(&socket).unwrap().expect("the store is free");
        assert!(claimed(&socket).unwrap());
        assert!(claim(&socket).unwrap().is_none(), "a second agent must not get the store");
        assert_eq!(recorded_pid(&socket), Some(std::process::id() as libc::pid_t));
        drop(first);
        assert!(!claimed(&socket).unwrap());
        assert!(claim(&socket).unwrap().is_some());
    }

    #[test]
    fn a_socket_someone_listens_on_is_not_removed_as_stale() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("store.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        assert!(remove_stale_socket(&socket).is_err());
        assert!(socket.exists());
        drop(listener);
        remove_stale_socket(&socket).unwrap();
        assert!(!socket.exists());
    }

    #[test]
    fn an_agent_removes_only_its_own_socket() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("store.sock");
        let _first = UnixListener::bind(&socket).unwrap();
        let first = socket_identity(&socket).unwrap();
        std::fs::remove_file(&socket).unwrap();
        let _second = UnixListener::bind(&socket).unwrap();
        let second = socket_identity(&socket).unwrap();
        remove_own_socket(&socket, first);
        assert!(socket.exists(), "the first agent left the second one's socket alone");
        remove_own_socket(&socket, second);
        assert!(!socket.exists());
    }

    #[test]
    fn a_process_that_is_not_an_agent_of_the_store_is_never_signalled() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("store.sock");
        assert!(!is_agent_of(std::process::id() as libc::pid_t, &socket), "the test itself");
        assert!(!is_agent_of(1, &socket), "init");
    }
}
