//! What keeps the store private around it: the passphrase file, plaintext
//! drafts, the permissions and owner of every file, and the keyring's form.

mod common;

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{RwLock, RwLockReadGuard};

use age::secrecy::SecretString;
use base64::Engine;
use common::{pair, write_private, Person, World};

/// Every sealpost run removes the drafts of sealpost processes that are
/// gone, in all of /dev/shm. The draft test holds this exclusively, so no
/// run of another test here removes its draft before the run it watches.
static SHARED_DRAFTS: RwLock<()> = RwLock::new(());

fn alongside_other_tests() -> RwLockReadGuard<'static, ()> {
    SHARED_DRAFTS.read().unwrap_or_else(|e| e.into_inner())
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// --- The passphrase file ---

#[test]
fn init_refuses_a_short_passphrase_from_the_passphrase_file_variable() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let ada = world.bare_person("ada", "ada@practice.example");
    write_private(&ada.passphrase_file, b"x\n");
    let run = ada.run(&["init", "--name", "Ada", "--email", &ada.address, "--kdf-work-factor", "10"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("the passphrase is shorter than 8 characters; nothing was created"), "{run:?}");
    assert!(!ada.home.join("config/config.toml").exists());
    assert!(!ada.home.join("data/keys.age").exists());
}

#[test]
fn init_refuses_a_short_passphrase_from_passphrase_file_option() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let home = world.path().join("ada");
    let file = world.path().join("short.pass");
    write_private(&file, b"1234567\n");
    let mut cmd = common::sealpost();
    cmd.env("SEALPOST_HOME", &home).args(["--passphrase-file", file.to_str().unwrap()]).args([
        "init",
        "--name",
        "Ada",
        "--email",
        "ada@practice.example",
        "--kdf-work-factor",
        "10",
    ]);
    let run = common::run_command(&mut cmd, "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("shorter than 8 characters"), "{run:?}");
    assert!(!home.join("config/config.toml").exists());
}

#[test]
fn init_refuses_a_passphrase_file_others_can_read_and_creates_nothing() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let ada = world.bare_person("ada", "ada@practice.example");
    set_mode(&ada.passphrase_file, 0o644);
    let run = ada.run(&["init", "--name", "Ada", "--email", &ada.address, "--kdf-work-factor", "10"], "");
    assert_eq!(run.code, 5, "{run:?}");
    let fix = format!("chmod 600 {}", ada.passphrase_file.display());
    assert!(run.stderr.contains(&fix), "{run:?}");
    assert!(run.stderr.contains("mode 644"), "{run:?}");
    assert!(!ada.home.join("config/config.toml").exists());
}

#[test]
fn every_command_refuses_a_passphrase_file_others_can_read_or_write() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let fix = format!("chmod 600 {}", ada.passphrase_file.display());
    for mode in [0o644, 0o604, 0o620, 0o640] {
        set_mode(&ada.passphrase_file, mode);
        let run = ada.run(&["inbox"], "");
        assert_eq!(run.code, 5, "mode {mode:o}: {run:?}");
        assert!(run.stderr.contains(&fix), "mode {mode:o}: {run:?}");
    }
    set_mode(&ada.passphrase_file, 0o600);
    ada.ok(&["inbox"], "");
    set_mode(&ada.passphrase_file, 0o400);
    ada.ok(&["inbox"], "");
}

// --- Drafts ---

/// A terminal for the child's stdin, so `send` runs `$EDITOR` as for a
/// person at a keyboard. The master end is returned to be kept open.
fn terminal() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on a descriptor this function owns.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(master >= 0, "no pseudo-terminal");
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(master)).to_str().unwrap().to_string();
        let slave = std::fs::OpenOptions::new().read(true).write(true).open(name).unwrap();
        (std::fs::File::from_raw_fd(master), slave)
    }
}

fn editor(world: &World, name: &str, script: &str) -> PathBuf {
    let path = world.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\nset -e\n{script}")).unwrap();
    set_mode(&path, 0o755);
    path
}

/// Starts `send` on a terminal with `editor`; the editor writes the path
/// of its draft to `told`.
fn send_with_editor(person: &Person, to: &str, editor: &Path, told: &Path) -> std::process::Child {
    let (master, slave) = terminal();
    let child = person
        .command()
        .args(["send", "--to", to, "--subject", "Notes"])
        .env("EDITOR", editor)
        .env("TOLD", told)
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The terminal stays open as long as the child runs.
    std::mem::forget(master);
    child
}

/// Waits until `path` exists (the editor is running); no outcome depends on
/// how long that takes.
fn wait_for(path: &Path) -> PathBuf {
    for _ in 0..6000 {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.ends_with('\n') {
                return PathBuf::from(text.trim_end());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the editor never started");
}

/// A `send` whose editor waits for `release`; released when dropped, so a
/// failing test leaves no editor behind.
struct Editing {
    child: Option<std::process::Child>,
    release: PathBuf,
}

impl Editing {
    fn finish(&mut self) -> std::process::Output {
        std::fs::write(&self.release, "").unwrap();
        self.child.take().unwrap().wait_with_output().unwrap()
    }
}

impl Drop for Editing {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.finish();
        }
    }
}

#[test]
fn a_draft_left_by_a_killed_sealpost_is_removed_at_the_next_run_and_a_running_ones_is_kept() {
    let _alone = SHARED_DRAFTS.write().unwrap_or_else(|e| e.into_inner());
    let world = World::new();
    let (ada, sam) = pair(&world);

    // Ada is writing a note in her editor, still running.
    let release = world.path().join("release");
    let waits = editor(
        &world,
        "waiting-editor",
        &format!(
            "printf 'Notes for Thursday\\n' > \"$1\"\nprintf '%s\\n' \"$1\" > \"$TOLD\"\n\
             while [ ! -e {} ]; do sleep 0.05; done\n",
            release.display()
        ),
    );
    let adas_told = world.path().join("ada-draft");
    let mut writing = Editing { child: Some(send_with_editor(&ada, "sam", &waits, &adas_told)), release };
    let adas_draft = wait_for(&adas_told);

    // Sam's sealpost is killed (kill -9) while his editor has the draft.
    let kills = editor(
        &world,
        "killing-editor",
        "printf 'CONFIDENTIAL DRAFT\\n' > \"$1\"\nprintf '%s\\n' \"$1\" > \"$TOLD\"\n\
         p=$$\nwhile [ \"$(cat /proc/$p/comm)\" != sealpost ]; do p=$(cut -d' ' -f4 /proc/$p/stat); done\n\
         kill -9 $p\n",
    );
    let sams_told = world.path().join("sam-draft");
    let killed = send_with_editor(&sam, "ada", &kills, &sams_told).wait_with_output().unwrap();
    assert_eq!(killed.status.code(), None, "sealpost was killed: {killed:?}");
    let sams_draft = wait_for(&sams_told);
    let sams_folder = sams_draft.parent().unwrap().to_path_buf();
    assert_eq!(std::fs::read_to_string(&sams_draft).unwrap(), "CONFIDENTIAL DRAFT\n", "the plaintext was left");

    // Sam's next run removes his orphaned draft and says so; Ada's stays.
    let next = sam.ok(&["outbox"], "");
    assert!(
        next.stderr.contains(&format!("removing {}", sams_folder.display())),
        "the user is told what is removed: {next:?}"
    );
    assert!(!sams_folder.exists(), "the orphaned draft is gone");
    assert!(!next.stderr.contains(&adas_draft.parent().unwrap().display().to_string()), "{next:?}");
    assert_eq!(std::fs::read_to_string(&adas_draft).unwrap(), "Notes for Thursday\n", "the running draft is kept");

    // Ada's editor finishes: her note goes out as she wrote it.
    let sent = writing.finish();
    assert_eq!(sent.status.code(), Some(0), "{sent:?}");
    assert!(!adas_draft.exists(), "sealpost removes its own draft");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "1"], "").stdout.contains("Notes for Thursday"));
}

// --- Permissions and owner of the whole store ---

/// Sam holds a received message, in the store's database `data/store.db`.
fn sam_with_a_message(world: &World) -> Person {
    let (ada, sam) = pair(world);
    ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "See you Thursday.\n");
    sam.ok(&["sync"], "");
    assert!(sam.home.join("data/store.db").exists());
    sam
}

#[test]
fn a_file_deep_in_the_store_others_can_read_is_refused_with_the_chmod() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let sam = sam_with_a_message(&world);
    // The database's log: what a command wrote last may be only there.
    let message = sam.home.join("data/store.db-wal");
    set_mode(&message, 0o644);
    let run = sam.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(&format!("chmod 600 {}", message.display())), "{run:?}");
    set_mode(&message, 0o600);
    sam.ok(&["inbox"], "");
}

#[test]
fn a_folder_deep_in_the_store_others_can_enter_is_refused_with_the_chmod() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let sam = sam_with_a_message(&world);
    let nested = sam.home.join("data/copied/inbox");
    std::fs::create_dir_all(&nested).unwrap();
    set_mode(nested.parent().unwrap(), 0o700);
    set_mode(&nested, 0o755);
    let run = sam.run(&["read", "1"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(&format!("chmod 700 {}", nested.display())), "{run:?}");
    assert!(!run.stdout.contains("See you Thursday"), "{run:?}");
}

#[test]
fn a_symbolic_link_in_the_store_is_refused() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let sam = sam_with_a_message(&world);
    let elsewhere = world.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let link = sam.home.join("data/copied/2.eml.age");
    std::fs::create_dir(sam.home.join("data/copied")).unwrap();
    set_mode(&sam.home.join("data/copied"), 0o700);
    std::os::unix::fs::symlink(elsewhere.join("2.eml.age"), &link).unwrap();
    let run = sam.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(&format!("{} is a symbolic link", link.display())), "{run:?}");
    assert!(run.stderr.contains(&format!("rm {}", link.display())), "{run:?}");
}

#[test]
fn a_file_in_the_store_owned_by_another_user_is_refused_with_the_chown() {
    let _shared = alongside_other_tests();
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: only root can give a file to another user (the unit test in home.rs covers it)");
        return;
    }
    let world = World::new();
    let sam = sam_with_a_message(&world);
    let message = sam.home.join("data/store.db");
    std::os::unix::fs::chown(&message, Some(65534), None).unwrap();
    let run = sam.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("belongs to uid 65534"), "{run:?}");
    assert!(run.stderr.contains(&format!("chown 0 {}", message.display())), "{run:?}");
}

// --- The keyring's form ---

fn decrypt_keyring(person: &Person) -> Vec<u8> {
    let passphrase = std::fs::read_to_string(&person.passphrase_file).unwrap();
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.trim_end().to_string()));
    age::decrypt(&identity, &std::fs::read(person.home.join("data/keys.age")).unwrap()).unwrap()
}

fn encrypt_keyring(person: &Person, plain: &[u8]) {
    let passphrase = std::fs::read_to_string(&person.passphrase_file).unwrap();
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.trim_end().to_string()));
    recipient.set_work_factor(10);
    write_private(&person.home.join("data/keys.age"), &age::encrypt(&recipient, plain).unwrap());
}

#[test]
fn a_new_keyring_holds_the_secret_key_in_a_form_read_without_copies() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let plain = decrypt_keyring(&ada);
    // No escapes: a JSON parser reads every string straight into its place.
    assert!(!plain.contains(&b'\\'), "{}", String::from_utf8_lossy(&plain));
    let json: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    let secret = base64::engine::general_purpose::STANDARD.decode(json["secret_key"].as_str().unwrap()).unwrap();
    assert!(secret.starts_with(b"-----BEGIN PGP PRIVATE KEY BLOCK-----"));
}

#[test]
fn a_store_made_by_an_earlier_release_still_unlocks() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let (ada, sam) = pair(&world);
    ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "See you Thursday.\n");
    sam.ok(&["sync"], "");
    // The keyring as earlier releases wrote it: the armored secret key
    // as a JSON string, its newlines escaped.
    let json: serde_json::Value = serde_json::from_slice(&decrypt_keyring(&sam)).unwrap();
    let secret = json["secret_key"].as_str().unwrap();
    let armored = if secret.starts_with("-----BEGIN") {
        secret.to_string()
    } else {
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(secret).unwrap()).unwrap()
    };
    let old = serde_json::json!({ "store_key": json["store_key"], "secret_key": armored });
    let old = serde_json::to_vec(&old).unwrap();
    assert!(old.windows(2).any(|w| w == b"\\n"), "the old form escapes the armor's newlines");
    encrypt_keyring(&sam, &old);

    let read = sam.ok(&["read", "1"], "");
    assert!(read.stdout.contains("See you Thursday."), "{read:?}");
    assert!(!read.stderr.contains("warning"), "{read:?}");
    // Rewritten in the current form at that unlock, and unlocking still.
    assert!(!decrypt_keyring(&sam).contains(&b'\\'), "the keyring is in the new form");
    sam.ok(&["send", "--to", "ada"], "Thursday is fine.\n");
    ada.ok(&["sync"], "");
    assert!(ada.ok(&["read", "2"], "").stdout.contains("Thursday is fine."), "1 is the read receipt");
}

#[test]
fn init_never_overwrites_a_store_whose_config_is_gone() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let (ada, sam) = pair(&world);
    sam.ok(&["send", "--to", "ada", "--subject", "Notes"], "Kept for years.\n");
    ada.ok(&["sync"], "");
    let keyring = std::fs::read(ada.home.join("data/keys.age")).unwrap();
    let config = std::fs::read(ada.config_path()).unwrap();
    std::fs::remove_file(ada.config_path()).unwrap();

    // A command that needs the config says what is missing, and does not
    // send her to init.
    let sync = ada.run(&["sync"], "");
    assert_eq!(sync.code, 1, "{sync:?}");
    assert!(sync.stderr.contains("config.toml is missing, but a sealpost store is here"), "{sync:?}");
    assert!(!sync.stderr.contains("run `sealpost init`"), "{sync:?}");

    let init = ada.run(
        &["init", "--name", "Ada", "--email", "ada@practice.example", "--maildir", world.mail().to_str().unwrap()],
        "",
    );
    assert_eq!(init.code, 1, "{init:?}");
    assert!(init.stderr.contains("a sealpost store already exists here") && init.stderr.contains("keys.age"));
    assert!(init.stderr.contains("nothing was changed"), "{init:?}");
    assert_eq!(std::fs::read(ada.home.join("data/keys.age")).unwrap(), keyring, "the keyring is untouched");
    assert!(!ada.config_path().exists(), "no new config was written");

    // Restoring the config brings everything back.
    std::fs::write(ada.config_path(), config).unwrap();
    set_mode(&ada.config_path(), 0o600);
    assert!(ada.ok(&["read", "1"], "").stdout.contains("Kept for years."));
}

#[test]
fn while_the_editor_is_open_other_commands_can_use_the_store() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let (ada, sam) = pair(&world);
    sam.ok(&["send", "--to", "ada", "--subject", "Thursday"], "I had a hard week.\n");
    ada.ok(&["sync"], "");

    let release = world.path().join("release");
    let waits = editor(
        &world,
        "slow-editor",
        &format!(
            "printf 'See you Thursday\\n' >> \"$1\"\nprintf '%s\\n' \"$1\" > \"$TOLD\"\n\
             while [ ! -e {} ]; do sleep 0.05; done\n",
            release.display()
        ),
    );
    let told = world.path().join("told");
    let mut writing = Editing { child: Some(send_with_editor(&ada, "sam", &waits, &told)), release };
    wait_for(&told);
    // The therapist reads the client's message again in another terminal.
    let again = ada.run(&["read", "1"], "");
    assert_eq!(again.code, 0, "the store is not held while the editor is open: {again:?}");
    assert!(again.stdout.contains("I had a hard week."), "{again:?}");

    let sent = writing.finish();
    assert_eq!(sent.status.code(), Some(0), "{sent:?}");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.contains("See you Thursday"));
}

#[test]
fn commands_that_only_show_answer_while_another_command_holds_the_store() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let sam = sam_with_a_message(&world);
    // Held as a long sync holds it: a command that writes waits for it
    // (10 s, then "another sealpost process is using this store").
    let held = sam.unlocked();
    let listed: serde_json::Value = serde_json::from_str(&sam.ok(&["inbox", "--json"], "").stdout).unwrap();
    assert_eq!(listed["messages"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["messages"][0]["status"], "verified");
    sam.ok(&["sent"], "");
    drop(held);
    sam.ok(&["read", "1"], "");
}

#[test]
fn commands_that_only_show_answer_while_another_command_adds_and_removes_files() {
    let _shared = alongside_other_tests();
    let world = World::new();
    let sam = sam_with_a_message(&world);
    // What another sealpost does beside the database meanwhile: the temp
    // file of a write made and renamed, the unlocks a reader noted moved
    // into the log and their file removed. Every command checks each
    // file's owner and mode first; a file gone before it was checked is no
    // file to refuse.
    let data = sam.home.join("data");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let (data, stop) = (data.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut made = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let paths: Vec<PathBuf> = (0..32).map(|i| data.join(format!(".note-{i}.tmp-{made}"))).collect();
                for path in &paths {
                    // Private from its first byte, as sealpost makes its files.
                    std::fs::OpenOptions::new().create_new(true).write(true).mode(0o600).open(path).unwrap();
                }
                for path in &paths {
                    std::fs::remove_file(path).unwrap();
                }
                made += 1;
            }
        })
    };
    let runs: Vec<_> = (0..20).map(|_| sam.run(&["inbox"], "")).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
    for run in &runs {
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("Plan"), "{run:?}");
    }
}
