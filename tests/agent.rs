//! The unlock agent: one passphrase, then no prompt and no key derivation
//! until `lock` or the idle time; other users are refused.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{run_command, Person, Run, World};

/// A command as the user runs it with no passphrase file and no terminal:
/// only the agent can unlock.
fn without_passphrase(person: &Person, runtime: &Path, args: &[&str]) -> Run {
    let mut cmd = person.command();
    cmd.env_remove("SEALPOST_PASSPHRASE_FILE").env("XDG_RUNTIME_DIR", runtime).args(args);
    run_command(&mut cmd, "")
}

fn with_passphrase(person: &Person, runtime: &Path, args: &[&str]) -> Run {
    let mut cmd = person.command();
    cmd.env("XDG_RUNTIME_DIR", runtime).args(args);
    run_command(&mut cmd, "")
}

/// A runtime folder others may pass through (0711), as /run/user/UID is
/// for its owner; the agent makes its own private folder inside.
fn runtime_dir(world: &World) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sealpost-test-run-{}", std::process::id()));
    let dir = dir.join(world.path().file_name().unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    std::fs::set_permissions(dir.parent().unwrap(), std::fs::Permissions::from_mode(0o711)).unwrap();
    dir
}

#[derive(Debug, PartialEq)]
enum Asked {
    Refused,
    GotKeys,
    Other(i32),
}

/// Connects to `socket` as uid/gid 65534 in a forked child and asks for the
/// keyring. The child uses only raw system calls (no allocation after fork).
fn ask_as_nobody(socket: &Path) -> Asked {
    let path = socket.as_os_str().as_encoded_bytes().to_vec();
    let request = b"{\"op\":\"keyring\"}\n";
    // SAFETY: the child makes only async-signal-safe calls on memory that
    // was prepared before the fork, then _exits.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                libc::_exit(20);
            }
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            let mut addr: libc::sockaddr_un = std::mem::zeroed();
            addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
            for (i, b) in path.iter().enumerate().take(addr.sun_path.len() - 1) {
                addr.sun_path[i] = *b as libc::c_char;
            }
            let size = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
            if libc::connect(fd, &addr as *const libc::sockaddr_un as *const libc::sockaddr, size) != 0 {
                libc::_exit(21);
            }
            libc::write(fd, request.as_ptr() as *const libc::c_void, request.len());
            let mut buf = [0u8; 8192];
            let mut got = 0usize;
            loop {
                let n = libc::read(fd, buf[got..].as_mut_ptr() as *mut libc::c_void, buf.len() - got);
                if n <= 0 {
                    break;
                }
                got += n as usize;
            }
            let answer = &buf[..got];
            let has = |needle: &[u8]| answer.windows(needle.len()).any(|w| w == needle);
            libc::_exit(if has(b"secret_key") {
                1
            } else if has(b"is not the owner of this agent") {
                0
            } else {
                2
            });
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        match libc::WEXITSTATUS(status) {
            0 => Asked::Refused,
            1 => Asked::GotKeys,
            other => Asked::Other(other),
        }
    }
}

fn agent_pid(socket_dir: &Path) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.filter_map(|e| e.ok()).find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        (cmdline.contains("agent-serve") && cmdline.contains(&*socket_dir.to_string_lossy())).then_some(pid)
    })
}

#[test]
fn after_unlock_no_passphrase_is_needed_until_lock() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let runtime = runtime_dir(&world);
    let locked = without_passphrase(&ada, &runtime, &["inbox"]);
    assert_eq!(locked.code, 5, "{locked:?}");

    let unlocked = with_passphrase(&ada, &runtime, &["unlock", "--for", "10m"]);
    assert_eq!(unlocked.code, 0, "{unlocked:?}");
    assert!(unlocked.stdout.contains("until 10 min without use"), "{unlocked:?}");
    let inbox = without_passphrase(&ada, &runtime, &["inbox"]);
    assert_eq!(inbox.code, 0, "{inbox:?}");
    assert!(inbox.stdout.contains("no messages"));

    // The socket is private, the agent keeps no core file.
    let socket_dir = runtime.join("sealpost");
    let mode = std::fs::metadata(&socket_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the socket folder is private");
    let pid = agent_pid(&socket_dir).expect("the agent runs");
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert!(core.split_whitespace().filter(|w| *w == "0").count() == 2, "{core}");
    // Nothing secret was written: the agent's folder holds only the socket.
    let files: Vec<_> = std::fs::read_dir(&socket_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "{files:?}");

    let lock = without_passphrase(&ada, &runtime, &["lock"]);
    assert!(lock.stdout.contains("locked"), "{lock:?}");
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 5);
    assert!(agent_pid(&socket_dir).is_none(), "the agent ended");
    assert!(without_passphrase(&ada, &runtime, &["lock"]).stdout.contains("no unlock agent was running"));
}

#[test]
fn the_agent_locks_itself_after_the_idle_time() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let runtime = runtime_dir(&world);
    assert_eq!(with_passphrase(&ada, &runtime, &["unlock", "--for", "4s"]).code, 0);
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 0);
    // Use keeps it open (with room for a slow machine); then four idle
    // seconds lock it.
    std::thread::sleep(std::time::Duration::from_millis(2000));
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 0);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 0, "4.5 s after the first use, 2.5 s idle");
    std::thread::sleep(std::time::Duration::from_millis(6000));
    let locked = without_passphrase(&ada, &runtime, &["inbox"]);
    assert_eq!(locked.code, 5, "{locked:?}");
    assert!(agent_pid(&runtime.join("sealpost")).is_none(), "the agent ended");
}

#[test]
fn another_users_connection_is_refused() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 || Command::new("setpriv").arg("--version").output().is_err() {
        let why = "it needs root and setpriv to act as another user";
        if std::env::var("SEALPOST_REQUIRE_MAIL_STACK").is_ok_and(|v| v == "1") {
            panic!("another_users_connection_is_refused must run here, but {why}");
        }
        eprintln!("\n*** SKIPPED another_users_connection_is_refused: {why}. It did NOT run. ***\n");
        return;
    }
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let runtime = runtime_dir(&world);
    assert_eq!(with_passphrase(&ada, &runtime, &["unlock"]).code, 0);
    // Even with the folder opened up (a mistake the folder check normally
    // prevents), the agent itself refuses a peer of another uid.
    let socket_dir = runtime.join("sealpost");
    std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    for entry in std::fs::read_dir(&socket_dir).unwrap() {
        std::fs::set_permissions(entry.unwrap().path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_sealpost"))
        .arg("inbox")
        .env("SEALPOST_HOME", &ada.home)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("SEALPOST_PASSPHRASE_FILE");
    // sealpost run by another user does not even talk to the agent ...
    let other = run_command(&mut cmd, "");
    assert_eq!(other.code, 5, "{other:?}");
    assert!(other.stderr.contains("belongs to another user; not using it"), "{other:?}");
    // ... and a client of its own, as uid 65534, asking for the keys, is
    // refused by the agent's peer-credential check.
    let socket = std::fs::read_dir(&socket_dir).unwrap().next().unwrap().unwrap().path();
    assert_eq!(ask_as_nobody(&socket), Asked::Refused);
    // The owner is still served.
    std::fs::set_permissions(&socket_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 0);
    without_passphrase(&ada, &runtime, &["lock"]);
}
