//! What the unlock agent needs from the operating system, for Linux and
//! macOS: the peer's uid on a Unix socket, a clock that counts suspended
//! time, hardening against core dumps and debuggers, and whether a pid is
//! one of our agents. Everything else in sealpost is portable Rust.
//!
//! | need | Linux | macOS |
//! | --- | --- | --- |
//! | peer uid | `SO_PEERCRED` | `getpeereid` |
//! | idle clock counting suspend | `CLOCK_BOOTTIME` | `CLOCK_MONOTONIC` (counts sleep there) |
//! | no core file | `RLIMIT_CORE` 0 | `RLIMIT_CORE` 0 |
//! | no debugger of the same uid | `PR_SET_DUMPABLE` 0 | `ptrace(PT_DENY_ATTACH)` |
//! | keys out of swap | `mlockall`, where allowed | (encrypted swap by default) |
//! | is this pid our agent | `/proc/PID` | `ps -o uid=,args= -p PID` |
//!
//! Only the Linux side is built and tested by this project's CI; the macOS
//! side is small, compiled by `cfg`, and was reviewed, not run. Windows is
//! out of scope (WSL runs the Linux build).

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
compile_error!("sealpost's unlock agent supports Linux and macOS; on Windows, use WSL");

pub(super) fn uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The uid of the process at the other end of `stream`.
#[cfg(target_os = "linux")]
pub(super) fn peer_uid(stream: &UnixStream) -> Result<u32> {
    use anyhow::Context;
    use std::os::fd::AsRawFd;
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

/// The uid of the process at the other end of `stream`.
#[cfg(target_os = "macos")]
pub(super) fn peer_uid(stream: &UnixStream) -> Result<u32> {
    use anyhow::Context;
    use std::os::fd::AsRawFd;
    let (mut peer, mut group) = (0 as libc::uid_t, 0 as libc::gid_t);
    // SAFETY: both out-parameters are valid for writes.
    let rc = unsafe { libc::getpeereid(stream.as_raw_fd(), &mut peer, &mut group) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).context("reading the peer's credentials");
    }
    Ok(peer)
}

/// Time since boot, counting time the machine spent suspended: a laptop
/// closed for an hour has been idle for that hour. (`Instant` and `poll`
/// use a clock that stops during suspend.)
pub(super) fn since_boot() -> Duration {
    #[cfg(target_os = "linux")]
    const CLOCK: libc::clockid_t = libc::CLOCK_BOOTTIME;
    // On macOS, CLOCK_MONOTONIC goes on while the machine sleeps
    // (CLOCK_UPTIME_RAW is the one that stops).
    #[cfg(target_os = "macos")]
    const CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is valid for writes; the clock exists on this system.
    let rc = unsafe { libc::clock_gettime(CLOCK, &mut ts) };
    assert_eq!(rc, 0, "the suspend-counting clock is readable");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// No core dumps, no ptrace by the same uid, memory kept out of swap where
/// the system allows it. An agent that cannot make itself undumpable does
/// not start: a core file would hold the keys in plaintext.
#[cfg(target_os = "linux")]
pub(super) fn harden() -> Result<()> {
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
        anyhow::bail!("the unlock agent could not turn off core dumps; not keeping keys in memory");
    }
    Ok(())
}

/// No core dumps, and no debugger may attach (`PT_DENY_ATTACH`, which also
/// keeps other processes of the user from reading the agent's memory
/// through the task port). An agent that cannot do both does not start.
#[cfg(target_os = "macos")]
pub(super) fn harden() -> Result<()> {
    // SAFETY: plain syscalls with valid arguments.
    let (core, denied) = unsafe {
        let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        (libc::setrlimit(libc::RLIMIT_CORE, &none), libc::ptrace(libc::PT_DENY_ATTACH, 0, std::ptr::null_mut(), 0))
    };
    if core != 0 || denied != 0 {
        anyhow::bail!("the unlock agent could not turn off core dumps and debugging; not keeping keys in memory");
    }
    Ok(())
}

/// Whether `pid` is an unlock agent of this user serving `socket`: its real
/// and effective uid are ours, its command line is `agent-serve --socket
/// SOCKET`, and its executable is sealpost. An agent is not dumpable, so
/// another process of the user may be refused its `/proc/PID/exe`; that
/// refusal is what an agent looks like and is accepted.
#[cfg(target_os = "linux")]
pub(super) fn is_agent_of(pid: libc::pid_t, socket: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
    let Ok(status) = std::fs::read_to_string(proc.join("status")) else { return false };
    let me = uid().to_string();
    let ours = status.lines().find_map(|l| l.strip_prefix("Uid:")).is_some_and(|ids| {
        let ids: Vec<&str> = ids.split_whitespace().collect();
        ids.len() >= 2 && ids[..2].iter().all(|id| *id == me)
    });
    let Ok(cmdline) = std::fs::read(proc.join("cmdline")) else { return false };
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let serves = args.get(1) == Some(&&b"agent-serve"[..])
        && args.windows(2).any(|w| w[0] == b"--socket" && w[1] == socket.as_os_str().as_bytes());
    let sealpost = match std::fs::read_link(proc.join("exe")) {
        Ok(exe) => exe.file_name().is_some_and(|name| name.as_bytes().starts_with(b"sealpost")),
        Err(e) => e.kind() == std::io::ErrorKind::PermissionDenied,
    };
    ours && serves && sealpost
}

/// Whether `pid` is an unlock agent of this user serving `socket`, from
/// `ps` (macOS has no /proc): its effective uid is ours and its command line
/// is `sealpost agent-serve --socket SOCKET`. (Arguments are shown joined by
/// spaces, so the socket path is compared as the end of the line; the
/// agent's socket paths hold no spaces.)
#[cfg(target_os = "macos")]
pub(super) fn is_agent_of(pid: libc::pid_t, socket: &Path) -> bool {
    let Ok(out) = std::process::Command::new("/bin/ps").args(["-o", "uid=,args=", "-p", &pid.to_string()]).output()
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some((owner, args)) = text.trim().split_once(char::is_whitespace) else { return false };
    let mut words = args.split_whitespace();
    let sealpost = words
        .next()
        .and_then(|program| Path::new(program).file_name())
        .is_some_and(|name| name.to_string_lossy().starts_with("sealpost"));
    let rest: Vec<&str> = words.collect();
    let serves = rest.first() == Some(&"agent-serve")
        && rest.windows(2).any(|w| w[0] == "--socket" && Some(w[1]) == socket.to_str());
    owner.trim() == uid().to_string() && sealpost && serves
}
