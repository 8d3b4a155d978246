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
//! peers of its own uid (checked with `SO_PEERCRED`), and a client talks
//! only to an agent of its own uid. It locks itself (wipes the keyring and
//! exits) after the idle time without a request, on `sealpost lock`, or on
//! SIGTERM's default action. It is not dumpable (no core file, no ptrace by
//! the same uid) and tries to keep its memory out of swap.
//!
//! An agent hands the keyring to a same-user client, which then works as
//! with the passphrase: a process of the same user could read the client's
//! memory anyway. What the agent adds is that the passphrase is typed once
//! and that the keyring is gone after the idle time.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    Status,
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

fn uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The socket folder: created 0700, and refused unless it is the user's own
/// and private.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    use std::os::unix::fs::MetadataExt;
    if !meta.is_dir() || meta.uid() != uid() || meta.permissions().mode() & 0o077 != 0 {
        bail!("{} is not a private folder of this user; the unlock agent will not use it", dir.display());
    }
    Ok(())
}

/// The uid of the process at the other end of `stream`.
fn peer_uid(stream: &UnixStream) -> Result<u32> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            &mut cred as *mut libc::ucred as *mut libc::c_void,
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).context("reading the peer's credentials");
    }
    Ok(cred.uid)
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

/// Tells the agent to lock. Whether one was running.
pub fn lock(home: &Home) -> Result<bool> {
    Ok(ask(home, &Request::Lock)?.is_some())
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

/// Starts an agent for `home` holding `keyring`, locking after `idle`.
/// Returns once the agent listens.
pub fn start(home: &Home, keyring: &Keyring, idle: Duration) -> Result<PathBuf> {
    use std::os::unix::process::CommandExt;
    let path = socket_path(home);
    private_dir(path.parent().expect("a socket path has a folder"))?;
    if let Some(_agent) = ask(home, &Request::Status)? {
        lock(home)?;
    }
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
    if ready.trim() != "ready" {
        let status = child.wait()?;
        bail!("the unlock agent did not start ({status})");
    }
    Ok(path)
}

/// The agent itself: reads the keyring from stdin, listens, serves.
pub fn serve(socket: &Path, idle: Duration) -> Result<()> {
    harden()?;
    let input = read_secret_line(std::io::stdin())?;
    let keyring = Keyring::from_agent_json(&input).context("reading the keyring from the pipe")?;
    drop(input);
    private_dir(socket.parent().context("a socket path has a folder")?)?;
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket).with_context(|| format!("listening on {}", socket.display()))?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    println!("ready");
    std::io::stdout().flush()?;
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
        last = since_boot();
        let (answer, stop) = match serde_json::from_str::<Request>(&line) {
            Ok(Request::Keyring) => {
                (secret_json(&Response { keyring: Some(keyring.agent_form()), ..Default::default() })?, false)
            }
            Ok(Request::Status) => {
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
    let _ = std::fs::remove_file(socket);
    drop(keyring);
    Ok(())
}

/// Time since boot, counting time the machine spent suspended: a laptop
/// closed for an hour has been idle for that hour. (`Instant` and `poll`
/// use a clock that stops during suspend.)
fn since_boot() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is valid for writes; CLOCK_BOOTTIME exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    assert_eq!(rc, 0, "CLOCK_BOOTTIME is readable");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
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

/// No core dumps, no ptrace by the same uid, memory kept out of swap where
/// the system allows it. An agent that cannot make itself undumpable does
/// not start: a core file would hold the keys in plaintext.
fn harden() -> Result<()> {
    // SAFETY: plain syscalls with valid arguments.
    let (core, dumpable) = unsafe {
        let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        let core = libc::setrlimit(libc::RLIMIT_CORE, &none);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        // Locking memory needs a limit many systems keep low: tolerated.
        libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE);
        (core, libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0))
    };
    if core != 0 || dumpable != 0 {
        bail!("the unlock agent could not turn off core dumps; not keeping keys in memory");
    }
    Ok(())
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
