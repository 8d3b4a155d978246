//! The unlock agent: holds an unlocked keyring in memory so later commands
//! need neither the passphrase nor the key derivation.
//!
//! `sealpost unlock` decrypts the keyring once and starts the agent (this
//! binary, `agent-serve`, detached in its own session), handing it the
//! keyring over a pipe: the secrets never touch the disk, the command line
//! or the environment. The agent listens on a Unix socket in a private
//! folder (0700, owned by the user; `$XDG_RUNTIME_DIR/sealpost`, else
//! `/tmp/sealpost-UID`), one socket per store. It answers only peers of its
//! own uid (checked with `SO_PEERCRED`), and a client talks only to an
//! agent of its own uid. It locks itself (wipes the keyring and exits) after
//! the idle time without a request, on `sealpost lock`, or on SIGTERM's
//! default action. It is not dumpable (no core file, no ptrace by the same
//! uid) and tries to keep its memory out of swap.
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
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::home::Home;
use crate::store::Keyring;

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
    keyring: Option<Keyring>,
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
    runtime_dir().join(format!("{name}.sock"))
}

fn runtime_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("sealpost"),
        None => std::env::temp_dir().join(format!("sealpost-{}", uid())),
    }
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
    Ok(Some(response.keyring.context("the unlock agent sent no keyring")?))
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
    let mut answer = Zeroizing::new(String::new());
    BufReader::new(&stream).read_line(&mut answer).context("reading the unlock agent's answer")?;
    if answer.is_empty() {
        bail!("the unlock agent closed the connection");
    }
    Ok(Some(serde_json::from_str(&answer).context("reading the unlock agent's answer")?))
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
        let secrets = Zeroizing::new(serde_json::to_vec(keyring)?);
        input.write_all(&secrets)?;
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
    harden();
    let mut input = Zeroizing::new(Vec::new());
    std::io::stdin().read_to_end(&mut input)?;
    let keyring: Keyring = serde_json::from_slice(&input).context("reading the keyring from the pipe")?;
    drop(input);
    private_dir(socket.parent().context("a socket path has a folder")?)?;
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket).with_context(|| format!("listening on {}", socket.display()))?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))?;
    println!("ready");
    std::io::stdout().flush()?;
    let mut last = Instant::now();
    loop {
        let remaining = idle.saturating_sub(last.elapsed());
        if remaining.is_zero() || !wait_readable(&listener, remaining) {
            if last.elapsed() >= idle {
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
        last = Instant::now();
        let (answer, stop) = match serde_json::from_str::<Request>(&line) {
            Ok(Request::Keyring) => (serde_json::to_string(&KeyringRef(&keyring))?, false),
            Ok(Request::Status) => {
                let response = Response { locks_in: Some(idle.as_secs()), ..Response::default() };
                (serde_json::to_string(&response)?, false)
            }
            Ok(Request::Lock) => (serde_json::to_string(&Response::default())?, true),
            Err(e) => (serde_json::to_string(&Response { error: Some(e.to_string()), ..Response::default() })?, false),
        };
        let answer = Zeroizing::new(answer);
        let _ = writeln!(stream, "{}", answer.as_str());
        if stop {
            break;
        }
    }
    let _ = std::fs::remove_file(socket);
    drop(keyring);
    Ok(())
}

/// A response carrying the keyring, serialized without copying it.
struct KeyringRef<'a>(&'a Keyring);

impl Serialize for KeyringRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Response", 1)?;
        s.serialize_field("keyring", self.0)?;
        s.end()
    }
}

/// Whether the listener has a connection waiting within `timeout`.
fn wait_readable(listener: &UnixListener, timeout: Duration) -> bool {
    let mut fd = libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd, count 1.
    let rc = unsafe { libc::poll(&mut fd, 1, ms.max(1)) };
    rc > 0 && fd.revents & libc::POLLIN != 0
}

/// No core dumps, no ptrace by the same uid, memory kept out of swap where
/// the system allows it.
fn harden() {
    // SAFETY: plain syscalls with valid arguments; failures are tolerated
    // except for the dumpable flag, which is checked below.
    unsafe {
        let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        libc::setrlimit(libc::RLIMIT_CORE, &none);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE);
    }
}

/// Parses `15m`, `2h`, `30s`, `1d` into a duration for the agent.
pub fn parse_idle(text: &str) -> Result<Duration> {
    crate::invite::parse_duration(text)
        .map(Duration::from_secs)
        .map_err(|_| anyhow!("{text:?} is not an idle time like 15m, 2h or 30s (at most 90d)"))
}
