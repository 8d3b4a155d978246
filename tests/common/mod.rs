//! Test people: each has their own home, passphrase file and a shared
//! Maildir root, and runs the real binary the way a user would.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct World {
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new() -> World {
        World { dir: tempfile::tempdir().expect("a temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn mail(&self) -> PathBuf {
        self.path().join("mail")
    }

    /// A person with an identity on local Maildirs.
    pub fn person(&self, role: &str, name: &str, address: &str) -> Person {
        let person = self.bare_person(role, address);
        person.ok(
            &[
                "init",
                "--name",
                name,
                "--email",
                address,
                "--maildir",
                self.mail().to_str().unwrap(),
                "--kdf-work-factor",
                "10",
            ],
            "",
        );
        person
    }

    /// A person whose secret key the test holds, so it can sign whatever
    /// it likes: generated here, adopted with `init --import-key`.
    pub fn person_with_key(&self, role: &str, name: &str, address: &str) -> (Person, sequoia_openpgp::Cert) {
        use sequoia_openpgp::serialize::SerializeInto;
        let cert = sealpost::keys::generate(name, address).unwrap();
        let key_file = self.path().join(format!("{role}-secret.asc"));
        std::fs::write(&key_file, cert.as_tsk().armored().to_vec().unwrap()).unwrap();
        let person = self.bare_person(role, address);
        person.ok(
            &[
                "init",
                "--name",
                name,
                "--email",
                address,
                "--import-key",
                key_file.to_str().unwrap(),
                "--maildir",
                self.mail().to_str().unwrap(),
                "--kdf-work-factor",
                "10",
            ],
            "",
        );
        (person, cert)
    }

    /// A person with a home folder but no identity yet.
    pub fn bare_person(&self, role: &str, address: &str) -> Person {
        let home = self.path().join(role);
        let passphrase_file = self.path().join(format!("{role}.pass"));
        write_private(&passphrase_file, format!("passphrase of {role}\n").as_bytes());
        Person { home, passphrase_file, address: address.to_string() }
    }
}

/// Writes a secret file as a user should: 0600 (sealpost refuses a
/// passphrase file others can read).
pub fn write_private(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

pub struct Person {
    pub home: PathBuf,
    pub passphrase_file: PathBuf,
    pub address: String,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// The binary, in a session of its own: without a controlling terminal, as
/// under cron, so it never prompts on the terminal `cargo test` runs in.
pub fn sealpost() -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sealpost"));
    cmd.env_remove("SEALPOST_PASSPHRASE_FILE").env_remove("SEALPOST_HOME").env_remove("EDITOR").env_remove("VISUAL");
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd
}

impl Person {
    /// The same person in another, empty home `name` (a new laptop), with a
    /// copy of the passphrase file.
    pub fn elsewhere(&self, world: &World, name: &str) -> Person {
        let passphrase_file = world.path().join(format!("{name}.pass"));
        std::fs::copy(&self.passphrase_file, &passphrase_file).unwrap();
        Person { home: world.path().join(name), passphrase_file, address: self.address.clone() }
    }

    pub fn command(&self) -> Command {
        let mut cmd = sealpost();
        cmd.env("SEALPOST_HOME", &self.home).env("SEALPOST_PASSPHRASE_FILE", &self.passphrase_file);
        cmd
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        run_command(self.command().args(args), stdin)
    }

    /// Runs and insists on success.
    pub fn ok(&self, args: &[&str], stdin: &str) -> Run {
        let run = self.run(args, stdin);
        assert_eq!(run.code, 0, "sealpost {args:?} failed: {run:?}");
        run
    }

    pub fn fingerprint(&self) -> String {
        let shown = self.ok(&["key", "show"], "").stdout;
        shown.lines().find_map(|l| l.strip_prefix("fingerprint: ")).unwrap().replace(' ', "")
    }

    pub fn export_key(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("{}.asc", self.address));
        std::fs::write(&path, self.ok(&["key", "export"], "").stdout).unwrap();
        path
    }

    /// Pins `other` under `alias` and verifies by fingerprint.
    pub fn trust(&self, alias: &str, other: &Person, dir: &Path) {
        let key = other.export_key(dir);
        self.ok(&["contact", "add", alias, &other.address, "--key", key.to_str().unwrap()], "");
        self.ok(&["contact", "verify", alias, "--fingerprint", &other.fingerprint()], "");
    }

    /// The Maildir this person reads.
    pub fn maildir(&self, world: &World) -> PathBuf {
        world.mail().join(&self.address)
    }

    /// Files waiting in this person's Maildir.
    pub fn delivered(&self, world: &World) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.maildir(world).join("new"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }

    /// Puts a raw message into this person's Maildir, as a mail server would.
    pub fn receive_raw(&self, world: &World, raw: &[u8]) {
        let dir = self.maildir(world);
        std::fs::create_dir_all(dir.join("new")).unwrap();
        let name = format!("{}.test{}", std::process::id(), COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        std::fs::write(dir.join("new").join(name), raw).unwrap();
    }

    /// What the outbox holds (queued and accepted entries), as the store says.
    pub fn outbox_len(&self) -> usize {
        self.unlocked().list("outbox").unwrap().len()
    }

    /// This person's store, unlocked with the passphrase (the lock held
    /// until it is dropped).
    pub fn unlocked(&self) -> sealpost::store::Store {
        let passphrase = std::fs::read_to_string(&self.passphrase_file).unwrap();
        sealpost::store::Store::unlock(&sealpost::home::Home::at(&self.home), &passphrase.trim_end().to_string().into())
            .unwrap()
    }
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn run_command(cmd: &mut Command, stdin: &str) -> Run {
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("sealpost starts");
    // A command that fails before it reads stdin closes it: not an error here.
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("writing to sealpost's stdin: {e}"),
        _ => {}
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A therapist and a client who have verified each other.
pub fn pair(world: &World) -> (Person, Person) {
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());
    (ada, sam)
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The system's gpg with a private GNUPGHOME.
pub struct Gpg {
    pub home: PathBuf,
}

pub const GPG_PASSPHRASE: &str = "gpg key passphrase";

impl Gpg {
    pub fn new(world: &World) -> Gpg {
        let home = world.path().join("gnupg");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        Gpg { home }
    }

    pub fn run(&self, args: &[&str], stdin: &[u8]) -> std::process::Output {
        let mut child = Command::new("gpg")
            .env("GNUPGHOME", &self.home)
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                GPG_PASSPHRASE,
                "--trust-model",
                "always",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpg is installed (apt-get install gnupg)");
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn ok(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "gpg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// A v4 Ed25519 + Cv25519 key, protected by `GPG_PASSPHRASE`.
    pub fn generate(&self, userid: &str) -> String {
        self.ok(&["--quick-gen-key", userid, "ed25519", "sign", "never"], b"");
        let listing = String::from_utf8(self.ok(&["--with-colons", "--list-keys", userid], b"")).unwrap();
        let fpr = listing.lines().find_map(|l| l.strip_prefix("fpr:")).unwrap().trim_matches(':').to_string();
        self.ok(&["--quick-add-key", &fpr, "cv25519", "encr", "never"], b"");
        fpr
    }
}

impl Gpg {
    /// The secret key of `address`, exported armored (protected by `GPG_PASSPHRASE`).
    pub fn export_secret(&self, world: &World, address: &str) -> PathBuf {
        let key_file = world.path().join(format!("{address}-secret.asc"));
        std::fs::write(&key_file, self.ok(&["--armor", "--export-secret-keys", address], b"")).unwrap();
        key_file
    }
}

impl World {
    /// Someone who keeps their gpg key: sealpost adopts it, passphrase-protected.
    pub fn person_with_gpg_key(&self, gpg: &Gpg, role: &str, name: &str, address: &str) -> Person {
        gpg.generate(&format!("{name} <{address}>"));
        let key_file = gpg.export_secret(self, address);
        let pass_file = self.path().join(format!("{role}-key.pass"));
        std::fs::write(&pass_file, GPG_PASSPHRASE).unwrap();
        let person = self.bare_person(role, address);
        let out = person.ok(
            &[
                "init",
                "--email",
                address,
                "--import-key",
                key_file.to_str().unwrap(),
                "--key-passphrase-file",
                pass_file.to_str().unwrap(),
                "--maildir",
                self.mail().to_str().unwrap(),
                "--kdf-work-factor",
                "10",
            ],
            "",
        );
        assert!(out.stdout.contains(&format!("created identity {address}")), "{out:?}");
        person
    }
}

/// Wraps an armored OpenPGP message as PGP/MIME (RFC 3156).
pub fn pgp_mime(from: &str, to: &str, message_id: &str, armored: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: ...\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
         --b1\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n{armored}\r\n--b1--\r\n"
    )
    .into_bytes()
}

/// An inner MIME entity with protected headers, as a PGP/MIME client writes it.
pub fn inner_entity(from: &str, to: &str, subject: &str, message_id: &str, body: &str) -> Vec<u8> {
    format!(
        "Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\nFrom: {from}\r\nTo: {to}\r\n\
         Subject: {subject}\r\nMessage-ID: {message_id}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n{body}"
    )
    .into_bytes()
}

/// The armored OpenPGP message inside a PGP/MIME mail.
pub fn armored_part(wire: &str) -> String {
    let start = wire.find("-----BEGIN PGP MESSAGE-----").expect("an armored message");
    let end = wire.find("-----END PGP MESSAGE-----").expect("an armor end") + "-----END PGP MESSAGE-----".len();
    wire[start..end].replace("\r\n", "\n")
}

pub mod mail_stack;
pub mod oauth_provider;

impl World {
    /// A person whose account is on the real mail stack.
    pub fn server_person(&self, stack: &mail_stack::MailStack, role: &str, name: &str, address: &str) -> Person {
        let person = self.bare_person(role, address);
        let mut args: Vec<String> = ["init", "--name", name, "--email", address].map(String::from).to_vec();
        args.extend(server_options(stack));
        person.ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), "");
        person
    }
}

/// The invite code in what `sealpost invite` printed.
pub fn code_of(invite_output: &str) -> String {
    invite_output.lines().map(str::trim).find(|l| l.starts_with("SEALPOST2:")).expect("a code is printed").to_string()
}

/// The options of `init` for an account on the test mail stack (with a
/// lowered passphrase work factor).
pub fn server_options(stack: &mail_stack::MailStack) -> Vec<String> {
    let password_command = format!("echo {}", mail_stack::PASSWORD);
    [
        "--kdf-work-factor",
        "10",
        "--smtp-host",
        "localhost",
        "--smtp-port",
        &stack.submission_port.to_string(),
        "--smtp-security",
        "starttls",
        "--imap-host",
        "localhost",
        "--imap-port",
        &stack.imaps_port.to_string(),
        "--imap-security",
        "tls",
        "--ca-file",
        stack.ca.to_str().unwrap(),
        "--password-command",
        &password_command,
    ]
    .map(String::from)
    .to_vec()
}

impl Person {
    pub fn config_path(&self) -> PathBuf {
        self.home.join("config/config.toml")
    }

    /// Edits the config text (tests of TLS policy point it elsewhere).
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let text = std::fs::read_to_string(self.config_path()).unwrap();
        std::fs::write(self.config_path(), edit(text)).unwrap();
    }
}
pub mod json_schema;

/// Runs `cmd` and returns its outcome with the child's peak resident set
/// size in KiB, from the child's own rusage (`wait4`), not the test's.
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which `Child::wait` cannot replace
pub fn run_measured(cmd: &mut Command) -> (Run, u64) {
    use std::io::Read;
    let mut child =
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("sealpost starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text).unwrap_or_default()
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text).unwrap_or_default()
    });
    let mut status = 0;
    // SAFETY: rusage is plain data, and the child is ours and not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    let run = Run { code, stdout: out.join().unwrap(), stderr: err.join().unwrap() };
    (run, usage.ru_maxrss as u64)
}

/// Runs sealpost as `person` under /usr/bin/time -v, with `stdin`, for
/// the benchmarks: wall seconds of the whole process, its peak RSS in KiB,
/// and its stdout. A failing command fails the benchmark.
pub fn timed(person: &Person, args: &[&str], stdin: &str) -> (f64, u64, String) {
    let report = std::env::temp_dir().join(format!("sealpost-bench-{}", std::process::id()));
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-v").arg("-o").arg(&report).arg(env!("CARGO_BIN_EXE_sealpost")).args(args);
    cmd.env("SEALPOST_HOME", &person.home).env("SEALPOST_PASSPHRASE_FILE", &person.passphrase_file);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = std::time::Instant::now();
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&report).unwrap();
    let kib = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .unwrap()
        .parse()
        .unwrap();
    LAST_CPU.with(|c| c.set(cpu_seconds(&text)));
    (secs, kib, String::from_utf8_lossy(&out.stdout).into_owned())
}

thread_local! {
    static LAST_CPU: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// The CPU time (user and system, seconds) in a `/usr/bin/time -v` report.
#[allow(dead_code)]
pub fn cpu_seconds(report: &str) -> f64 {
    report
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("User time (seconds): ").or_else(|| l.strip_prefix("System time (seconds): "))
        })
        .map(|v| v.parse::<f64>().unwrap())
        .sum()
}

/// The CPU time (user and system, seconds) of the last `timed` command.
#[allow(dead_code)]
pub fn last_cpu() -> f64 {
    LAST_CPU.with(|c| c.get())
}

/// Ada has verified Sam, whose key lives in gpg (so tests can write with it
/// whatever they like).
pub fn ada_and_gpg_sam(world: &World) -> (Person, Gpg) {
    let gpg = Gpg::new(world);
    let sam_fpr = gpg.generate("Sam Lee <sam@client.example>");
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    gpg.ok(&["--import"], &std::fs::read(ada.export_key(world.path())).unwrap());
    let sam_public = world.path().join("sam.asc");
    std::fs::write(&sam_public, gpg.ok(&["--armor", "--export", "sam@client.example"], b"")).unwrap();
    ada.ok(&["contact", "add", "sam", "sam@client.example", "--key", sam_public.to_str().unwrap()], "");
    ada.ok(&["contact", "verify", "sam", "--fingerprint", &sam_fpr], "");
    (ada, gpg)
}

/// `count` distinct real notes from `from` to its contact `to`, sealed
/// with `from`'s store as `send` would seal them (for loading a mailbox).
pub fn sealed_notes(from: &Person, to: &str, count: usize, body: &str) -> Vec<Vec<u8>> {
    use sealpost::contacts::Contacts;
    use sealpost::message::{compose, new_message_id, Draft};
    let store = from.unlocked();
    let contacts = Contacts::load(&store).unwrap();
    let (contact, cert) = contacts.recipient(to).unwrap();
    (0..count)
        .map(|i| {
            let draft = Draft {
                from_name: "Dr. Ada Moss".into(),
                from_address: from.address.clone(),
                to_name: None,
                to_address: contact.address.clone(),
                subject: format!("Session {i}"),
                body: body.to_string(),
                attachments: Vec::new(),
                message_id: new_message_id(&from.address),
                date: std::time::SystemTime::now(),
                request_receipt: true,
                in_reply_to: None,
                references: Vec::new(),
            };
            compose(&draft, store.secret_cert(), &cert).unwrap().raw
        })
        .collect()
}

impl Person {
    /// Runs `sealpost ARGS` on a pseudo-terminal (`script`), as a user at a
    /// shell does, with `editor` as `$EDITOR`.
    pub fn run_on_terminal(&self, args: &str, editor: &Path) -> Run {
        let line = format!("{} {args}", env!("CARGO_BIN_EXE_sealpost"));
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"])
            .env("SEALPOST_HOME", &self.home)
            .env("SEALPOST_PASSPHRASE_FILE", &self.passphrase_file)
            .env("EDITOR", editor)
            .env_remove("VISUAL");
        run_command(&mut cmd, "")
    }
}

impl Person {
    /// The store's database opened with its key (derived from the
    /// keyring's store key as `store::database` documents), for tests that
    /// look at or damage what is stored.
    pub fn database(&self) -> rusqlite::Connection {
        use age::secrecy::ExposeSecret;
        use sha2::Digest;
        let home = sealpost::home::Home::at(&self.home);
        let passphrase = std::fs::read_to_string(&self.passphrase_file).unwrap();
        let keyring = sealpost::store::Store::open_keyring(&home, &passphrase.trim_end().to_string().into()).unwrap();
        let store_key = keyring.store_identity().unwrap().to_string().expose_secret().to_string();
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"sealpost store database key v1\0");
        hasher.update(store_key.as_bytes());
        let key: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let conn = rusqlite::Connection::open(home.data_dir.join("store.db")).unwrap();
        // A store made by this release: HMAC-SHA256 pages.
        conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\"; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;")).unwrap();
        conn
    }

    /// Every text the store's database holds, opened: its rows as text, and
    /// the bodies that are not under a data key, decoded as far as possible.
    pub fn database_text(&self) -> String {
        let conn = self.database();
        let mut all = String::new();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for table in tables {
            let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let columns = statement.column_count();
            let mut rows = statement.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for i in 0..columns {
                    match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                            all.push_str(&String::from_utf8_lossy(t));
                        }
                        other => all.push_str(&format!("{other:?}")),
                    }
                    all.push('\n');
                }
            }
        }
        all
    }
}

/// Stores `count` received notes from Ada in Sam's store, as a sync would
/// (one transaction per 1,000), and as many sent ones, and marks the last
/// one read.
pub fn fill_store(ada: &Person, sam: &Person, count: usize) {
    let note = sealed_notes(ada, "sam", 1, &"Notes from today's session. ".repeat(70)).remove(0);
    use sealpost::contacts::Contacts;
    use sealpost::inbox::{Inbox, Kind};
    use sealpost::outbox::{Outgoing, Sent, SentList};
    let store = sam.unlocked();
    let contacts = Contacts::load(&store).unwrap();
    let opened = sealpost::message::open(&note, store.my_keys(), &contacts);
    let mut inbox = Inbox::load(&store).unwrap();
    let sent = SentList::load(&store).unwrap();
    for chunk in 0..count.div_ceil(1000) {
        store
            .transaction(|| {
                for i in chunk * 1000..((chunk + 1) * 1000).min(count) {
                    let mut raw = format!("X-Copy: {i}\r\n").into_bytes();
                    raw.extend_from_slice(&note);
                    let digest = format!("{:064x}", i);
                    inbox.add(&format!("bench:{i}"), &raw, &digest, &opened, Kind::Message)?;
                    let note = Sent {
                        id: 0,
                        message_id: format!("<sent-{i}@client.example>"),
                        to: "ada@practice.example".into(),
                        subject: "Thursday".into(),
                        created_at: 1,
                        sent_at: 1,
                        content_sha256: Some(digest),
                        receipt_requested: true,
                        receipt_for: None,
                        kind: Outgoing::Message,
                        read: None,
                        sent_copy: None,
                        outer_message_id: Some(format!("<outer-{i}@client.example>")),
                    };
                    sent.add_from_folder(note, &raw)?;
                }
                inbox.save()
            })
            .unwrap();
    }
    drop(store);
    sam.ok(&["read", "--last"], "");
}

/// The median wall time (seconds) and peak RSS (KiB) of `runs` runs.
pub fn median(person: &Person, runs: usize, args: &[&str], stdin: &str) -> (f64, u64) {
    let mut all: Vec<(f64, u64)> = (0..runs)
        .map(|_| {
            let (secs, kib, _) = timed(person, args, stdin);
            (secs, kib)
        })
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all[runs / 2]
}
