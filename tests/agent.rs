//! The unlock agent: one passphrase, then no prompt and no key derivation
//! until `lock` or the idle time; other users are refused.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// Where a command looks for the runtime folder: set to a folder, or unset.
/// The agent of a store must be the same either way.
fn run_with_runtime(person: &Person, runtime: Option<&Path>, passphrase: bool, args: &[&str]) -> Run {
    let mut cmd = person.command();
    match runtime {
        Some(dir) => cmd.env("XDG_RUNTIME_DIR", dir),
        None => cmd.env_remove("XDG_RUNTIME_DIR"),
    };
    if !passphrase {
        cmd.env_remove("SEALPOST_PASSPHRASE_FILE");
    }
    run_command(cmd.args(args), "")
}

/// The socket of the agent of `person`'s store.
fn socket_of(person: &Person) -> PathBuf {
    sealpost::agent::socket_path(&sealpost::home::Home::at(&person.home))
}

/// The name of the socket of `person`'s store (the same in every folder the
/// agent ever used), which the agent's command line carries.
fn socket_name(person: &Person) -> String {
    socket_of(person).file_name().unwrap().to_string_lossy().into_owned()
}

/// Every running process that is an unlock agent of `person`'s store:
/// `sealpost agent-serve --socket .../NAME.sock ...`. A process that has
/// ended (a zombie) has an empty command line and is not counted.
fn agents_of(person: &Person) -> Vec<u32> {
    let name = socket_name(person);
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let args: Vec<String> =
                cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            let serves = args.get(1).is_some_and(|a| a == "agent-serve");
            let socket = args.windows(2).find(|w| w[0] == "--socket").map(|w| Path::new(&w[1]).to_path_buf());
            (serves && socket.is_some_and(|s| s.file_name().is_some_and(|n| n.to_string_lossy() == name)))
                .then_some(pid)
        })
        .collect()
}

/// Polls `done` until it holds or ten seconds pass (a slow, busy machine
/// gets the time; a fast one does not wait).
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "after 10 s still not: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ends whatever agents of the store a test leaves behind, even when it
/// fails halfway (they are this test's own processes), and removes the
/// store's files from the shared agent folder.
struct EndAgentsAtExit<'a>(&'a Person);

impl Drop for EndAgentsAtExit<'_> {
    fn drop(&mut self) {
        for pid in agents_of(self.0) {
            // SAFETY: kill has no memory preconditions.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
        // The store goes with the test; so do its files in the shared folder.
        let socket = socket_of(self.0);
        let _ = std::fs::remove_file(socket.with_extension("lock"));
        let _ = std::fs::remove_file(socket);
    }
}

#[test]
fn after_unlock_no_passphrase_is_needed_until_lock() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let _cleanup = EndAgentsAtExit(&ada);
    let runtime = runtime_dir(&world);
    let locked = without_passphrase(&ada, &runtime, &["inbox"]);
    assert_eq!(locked.code, 5, "{locked:?}");

    let unlocked = with_passphrase(&ada, &runtime, &["unlock", "--for", "10m"]);
    assert_eq!(unlocked.code, 0, "{unlocked:?}");
    assert!(unlocked.stdout.contains("until 10 min without use"), "{unlocked:?}");
    let inbox = without_passphrase(&ada, &runtime, &["inbox"]);
    assert_eq!(inbox.code, 0, "{inbox:?}");
    assert!(inbox.stdout.contains("no messages"));

    // The socket is in /tmp/sealpost-UID (whatever XDG_RUNTIME_DIR says),
    // which is private; the agent keeps no core file.
    let socket = socket_of(&ada);
    let folder = socket.parent().unwrap();
    // SAFETY: geteuid cannot fail.
    assert_eq!(folder, Path::new(&format!("/tmp/sealpost-{}", unsafe { libc::geteuid() })));
    let mode = std::fs::metadata(folder).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the socket folder is private");
    let agents = agents_of(&ada);
    assert_eq!(agents.len(), 1, "one agent runs: {agents:?}");
    let pid = agents[0];
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert!(core.split_whitespace().filter(|w| *w == "0").count() == 2, "{core}");
    // Nothing secret was written: beside the socket the store has only its
    // lock file, which holds the agent's pid.
    let stem = socket.file_stem().unwrap().to_string_lossy().into_owned();
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&stem))
        .collect();
    files.sort();
    assert_eq!(files, [format!("{stem}.lock"), format!("{stem}.sock")]);
    assert_eq!(std::fs::read_to_string(socket.with_extension("lock")).unwrap(), format!("{pid}\n"));

    let lock = without_passphrase(&ada, &runtime, &["lock"]);
    assert!(lock.stdout.contains("locked"), "{lock:?}");
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 5);
    assert_eq!(agents_of(&ada), Vec::<u32>::new(), "the agent ended");
    assert!(without_passphrase(&ada, &runtime, &["lock"]).stdout.contains("no unlock agent was running"));
}

#[test]
fn unlock_status_says_until_when_and_a_second_unlock_extends_without_the_passphrase() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let _cleanup = EndAgentsAtExit(&ada);
    let runtime = runtime_dir(&world);
    let status = without_passphrase(&ada, &runtime, &["unlock", "--status"]);
    assert_eq!((status.code, status.stdout.as_str()), (0, "locked\n"), "{status:?}");
    let json: serde_json::Value =
        serde_json::from_str(&without_passphrase(&ada, &runtime, &["unlock", "--status", "--json"]).stdout).unwrap();
    assert_eq!((json["unlocked"].as_bool(), json["until"].is_null()), (Some(false), true), "{json}");

    assert_eq!(with_passphrase(&ada, &runtime, &["unlock", "--for", "10m"]).code, 0);
    let agents = agents_of(&ada);
    let status = without_passphrase(&ada, &runtime, &["unlock", "--status"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.starts_with("unlocked until 20"), "{status:?}");
    let json: serde_json::Value =
        serde_json::from_str(&without_passphrase(&ada, &runtime, &["unlock", "--status", "--json"]).stdout).unwrap();
    assert_eq!(json["unlocked"], true, "{json}");
    let left = json["locks_in_seconds"].as_u64().unwrap();
    assert!(left > 0 && left <= 600, "{json}");
    assert!(json["until"].as_str().unwrap().ends_with('Z'), "{json}");

    // Unlocking again needs no passphrase: the running agent stays, its idle
    // time starts over.
    let again = without_passphrase(&ada, &runtime, &["unlock", "--for", "20m"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.starts_with("already unlocked: ") && again.stdout.contains("20 min"), "{again:?}");
    assert_eq!(agents_of(&ada), agents, "the same agent");
    let json: serde_json::Value =
        serde_json::from_str(&without_passphrase(&ada, &runtime, &["unlock", "--status", "--json"]).stdout).unwrap();
    assert!(json["locks_in_seconds"].as_u64().unwrap() > 600, "the new idle time applies: {json}");

    assert_eq!(without_passphrase(&ada, &runtime, &["lock"]).code, 0);
    assert_eq!(without_passphrase(&ada, &runtime, &["unlock", "--status"]).stdout, "locked\n");
}

#[test]
fn the_agent_locks_itself_after_the_idle_time() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let _cleanup = EndAgentsAtExit(&ada);
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
    eventually("the agent ended", || agents_of(&ada).is_empty());
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
    let _cleanup = EndAgentsAtExit(&ada);
    let runtime = runtime_dir(&world);
    assert_eq!(with_passphrase(&ada, &runtime, &["unlock"]).code, 0);
    // uid 65534 cannot enter this user's agent folder, and its own sealpost
    // looks in /tmp/sealpost-65534. To reach the agent anyway, its socket is
    // opened to everyone and linked there under this store's name, as a
    // socket planted for sealpost of uid 65534 would be.
    let socket = socket_of(&ada);
    let theirs = Path::new("/tmp/sealpost-65534");
    std::fs::create_dir_all(theirs).unwrap();
    std::os::unix::fs::chown(theirs, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
    let planted = theirs.join(socket.file_name().unwrap());
    let _ = std::fs::remove_file(&planted);
    std::fs::hard_link(&socket, &planted).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();
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
    assert_eq!(ask_as_nobody(&planted), Asked::Refused);
    std::fs::remove_file(&planted).unwrap();
    // The owner is still served.
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 0);
    assert!(without_passphrase(&ada, &runtime, &["lock"]).stdout.contains("locked: "));
}

#[test]
fn two_unlocks_at_once_leave_one_agent_and_lock_ends_it() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let _cleanup = EndAgentsAtExit(&ada);
    let runtime = runtime_dir(&world);
    for round in 0..3 {
        let unlock = || {
            let mut cmd = ada.command();
            cmd.env("XDG_RUNTIME_DIR", &runtime).args(["unlock", "--for", "10m"]);
            cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        };
        let (first, second) = (unlock(), unlock());
        let said: Vec<String> = [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()]
            .into_iter()
            .map(|out| {
                let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                assert!(out.status.success(), "round {round}: {text}");
                text
            })
            .collect();
        // Each says the store is unlocked; one of them started the agent
        // (the other may have found it starting at the same moment).
        assert!(said.iter().all(|s| s.starts_with("unlocked; ") || s.starts_with("already unlocked: ")), "{said:?}");
        assert!(said.iter().any(|s| s.starts_with("unlocked; ")), "{said:?}");
        eventually("one agent serves the store", || agents_of(&ada).len() == 1);
        assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 0, "round {round}");

        let lock = without_passphrase(&ada, &runtime, &["lock"]);
        assert_eq!(lock.code, 0, "round {round}: {lock:?}");
        assert!(lock.stdout.contains("locked: the unlock agent wiped the keys and ended"), "{lock:?}");
        // "locked" means no agent of the store is left holding the keys.
        assert_eq!(agents_of(&ada), Vec::<u32>::new(), "round {round}: agents left after {lock:?}");
        let inbox = without_passphrase(&ada, &runtime, &["inbox"]);
        assert_eq!(inbox.code, 5, "round {round}: {inbox:?}");
        assert!(without_passphrase(&ada, &runtime, &["lock"]).stdout.contains("no unlock agent was running"));
    }
}

#[test]
fn lock_ends_the_agent_whatever_xdg_runtime_dir_says() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let _cleanup = EndAgentsAtExit(&ada);
    let runtime = runtime_dir(&world);
    for (at_unlock, at_lock) in [(Some(runtime.as_path()), None), (None, Some(runtime.as_path()))] {
        let unlocked = run_with_runtime(&ada, at_unlock, true, &["unlock", "--for", "10m"]);
        assert_eq!(unlocked.code, 0, "{unlocked:?}");
        // A command run with the other setting finds the agent ...
        let inbox = run_with_runtime(&ada, at_lock, false, &["inbox"]);
        assert_eq!(inbox.code, 0, "XDG_RUNTIME_DIR {at_unlock:?} at unlock, {at_lock:?} now: {inbox:?}");
        // ... and so does lock.
        let lock = run_with_runtime(&ada, at_lock, false, &["lock"]);
        assert!(lock.stdout.contains("locked: the unlock agent wiped the keys and ended"), "{lock:?}");
        assert_eq!(agents_of(&ada), Vec::<u32>::new(), "agents left after {lock:?}");
        assert_eq!(run_with_runtime(&ada, at_unlock, false, &["inbox"]).code, 5);
    }
}

#[test]
fn lock_ends_an_agent_whose_socket_was_removed() {
    // A /tmp cleaner (or a hand) removed the socket: nobody can talk to the
    // agent, yet it holds the keys until its idle time.
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let _cleanup = EndAgentsAtExit(&ada);
    let runtime = runtime_dir(&world);
    assert_eq!(with_passphrase(&ada, &runtime, &["unlock", "--for", "10m"]).code, 0);
    let agents = agents_of(&ada);
    assert_eq!(agents.len(), 1, "{agents:?}");
    // The socket it bound, as its command line names it.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", agents[0])).unwrap();
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let socket = args.windows(2).find(|w| w[0] == b"--socket").map(|w| String::from_utf8_lossy(w[1])).unwrap();
    std::fs::remove_file(&*socket).unwrap();

    let lock = without_passphrase(&ada, &runtime, &["lock"]);
    assert_eq!(lock.code, 0, "{lock:?}");
    assert!(lock.stdout.contains("locked: the unlock agent wiped the keys and ended"), "{lock:?}");
    assert_eq!(agents_of(&ada), Vec::<u32>::new(), "agents left after {lock:?}");
    // A new unlock works as usual.
    assert_eq!(with_passphrase(&ada, &runtime, &["unlock", "--for", "10m"]).code, 0);
    assert_eq!(without_passphrase(&ada, &runtime, &["inbox"]).code, 0);
    assert!(without_passphrase(&ada, &runtime, &["lock"]).stdout.contains("locked: "));
}
