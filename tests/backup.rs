//! Backup, restore and the recovery key: a dead laptop or a forgotten
//! passphrase loses no record.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{files_under, pair, run_command, write_private, Person, World};

/// Ada with a verified client, two messages from him (one read), and a
/// note sent to him: a small practice's record.
fn practice(world: &World) -> (Person, Person) {
    let (ada, sam) = pair(world);
    sam.ok(&["send", "--to", "ada", "--subject", "First week"], "Slept better on Tuesday.\n");
    sam.ok(&["send", "--to", "ada", "--subject", "Second week"], "The breathing exercise helps.\n");
    ada.ok(&["sync"], "");
    ada.ok(&["read", "1"], "");
    ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "Keep the diary until Thursday.\n");
    (ada, sam)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn backup_wipe_restore_brings_back_every_message_contact_and_sent_note_and_sync_works() {
    let world = World::new();
    let (ada, sam) = practice(&world);
    let never = ada.ok(&["key", "show"], "");
    assert!(never.stdout.contains("no backup of this store has been made"), "{never:?}");
    let before: Vec<String> =
        [&["inbox"][..], &["contact", "list"], &["sent"]].iter().map(|args| ada.ok(args, "").stdout).collect();

    let file = world.path().join("ada.backup");
    let made = ada.ok(&["backup", file.to_str().unwrap()], "");
    assert!(made.stdout.contains("1 contacts, 2 messages, 1 sent notes, 0 queued"), "{made:?}");
    assert_eq!(mode(&file), 0o600, "the backup is the user's alone");
    let bytes = std::fs::read(&file).unwrap();
    for plain in ["Slept better", "breathing", "Keep the diary", "Second week", "sam@client.example"] {
        assert!(!bytes.windows(plain.len()).any(|w| w == plain.as_bytes()), "{plain} in plaintext in the backup");
    }
    let shown = ada.ok(&["key", "show"], "");
    assert!(shown.stdout.contains("last backup: "), "{shown:?}");
    assert!(!shown.stdout.contains("no backup"), "{shown:?}");

    // The laptop dies.
    std::fs::remove_dir_all(&ada.home).unwrap();
    let restored = ada.ok(&["restore", file.to_str().unwrap()], "");
    assert!(restored.stdout.contains("1 contacts, 2 messages, 1 sent notes, 0 queued"), "{restored:?}");
    assert!(restored.stdout.contains("ada@practice.example"), "{restored:?}");
    let after: Vec<String> =
        [&["inbox"][..], &["contact", "list"], &["sent"]].iter().map(|args| ada.ok(args, "").stdout).collect();
    assert_eq!(before, after, "inbox, contacts and sent notes are as they were");
    assert!(ada.ok(&["read", "1"], "").stdout.contains("Slept better on Tuesday."));
    assert!(ada.ok(&["read", "2"], "").stdout.contains("The breathing exercise helps."));
    assert!(ada.ok(&["status", "1"], "").stdout.contains("Subject:  Plan"));
    assert!(ada.ok(&["key", "show"], "").stdout.contains("last backup: "), "the restored store knows its backup");
    for path in files_under(&ada.home) {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }

    // Mail goes on both ways.
    sam.ok(&["send", "--to", "ada", "--subject", "Third week"], "Diary attached tomorrow.\n");
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 verified"), "{synced:?}");
    assert!(ada.ok(&["read", "3"], "").stdout.contains("Diary attached tomorrow."));
    ada.ok(&["send", "--to", "sam", "--subject", "Thanks"], "Got it.\n");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.contains("Got it."));
}

#[test]
fn restore_refuses_a_home_that_holds_a_store_and_changes_nothing() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let file = world.path().join("ada.backup");
    ada.ok(&["backup", file.to_str().unwrap()], "");
    let keyring = std::fs::read(ada.home.join("data/keys.age")).unwrap();
    let run = ada.run(&["restore", file.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("a sealpost store is already here"), "{run:?}");
    assert_eq!(std::fs::read(ada.home.join("data/keys.age")).unwrap(), keyring);

    // Even a home with only its config left.
    let other = ada.elsewhere(&world, "config-only");
    std::fs::create_dir_all(other.home.join("config")).unwrap();
    std::fs::copy(ada.home.join("config/config.toml"), other.home.join("config/config.toml")).unwrap();
    let run = other.run(&["restore", file.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!other.home.join("data").exists());
}

#[test]
fn backup_never_overwrites_a_file_unless_forced() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let file = world.path().join("ada.backup");
    std::fs::write(&file, "precious").unwrap();
    let run = ada.run(&["backup", file.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("already exists"), "{run:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
    ada.ok(&["backup", "--force", file.to_str().unwrap()], "");
    ada.ok(&["backup", "--verify", file.to_str().unwrap()], "");
    let leftovers: Vec<PathBuf> =
        files_under(world.path()).into_iter().filter(|p| p.to_string_lossy().contains(".tmp-")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_tampered_or_truncated_backup_is_refused_by_verify_and_restore_and_nothing_is_written() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let file = world.path().join("ada.backup");
    ada.ok(&["backup", file.to_str().unwrap()], "");
    let good = std::fs::read(&file).unwrap();
    let verified = ada.ok(&["backup", "--verify", file.to_str().unwrap()], "");
    assert!(verified.stdout.contains("opens and is complete"), "{verified:?}");

    let mut flipped = good.clone();
    let at = good.len() - 3000;
    flipped[at] ^= 0x01;
    let cut = good[..good.len() - 4000].to_vec();
    let half = good[..good.len() / 2].to_vec();
    for (what, bytes) in [("flipped", flipped), ("cut", cut), ("half", half)] {
        let bad = world.path().join(format!("{what}.backup"));
        write_private(&bad, &bytes);
        let run = ada.run(&["backup", "--verify", bad.to_str().unwrap()], "");
        assert_eq!(run.code, 1, "{what}: {run:?}");
        assert!(run.stderr.contains("damaged or incomplete"), "{what}: {run:?}");

        let fresh = ada.elsewhere(&world, &format!("fresh-{what}"));
        let run = fresh.run(&["restore", bad.to_str().unwrap()], "");
        assert_eq!(run.code, 1, "{what}: {run:?}");
        assert!(run.stderr.contains("damaged or incomplete") && run.stderr.contains("nothing was restored"), "{run:?}");
        let left = if fresh.home.exists() { files_under(&fresh.home) } else { Vec::new() };
        assert!(left.is_empty(), "{what}: a failed restore leaves nothing: {left:?}");
        // And init is not tripped by anything left over.
        fresh.ok(&["init", "--name", "Ada", "--email", "ada@practice.example", "--kdf-work-factor", "10"], "");
    }
}

#[test]
fn a_wrong_passphrase_opens_no_backup_and_exits_5() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let file = world.path().join("ada.backup");
    ada.ok(&["backup", file.to_str().unwrap()], "");
    let fresh = ada.elsewhere(&world, "fresh");
    write_private(&fresh.passphrase_file, b"not the passphrase\n");
    let run = fresh.run(&["restore", file.to_str().unwrap()], "");
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("wrong passphrase"), "{run:?}");
    assert!(!fresh.home.join("data").exists());
    let run = fresh.run(&["backup", "--verify", file.to_str().unwrap()], "");
    assert_eq!(run.code, 5, "{run:?}");
}

#[test]
fn a_backup_to_an_age_recipient_opens_with_its_key_alone() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let safe = age::x25519::Identity::generate();
    let safe_key = world.path().join("safe.key");
    use age::secrecy::ExposeSecret;
    write_private(&safe_key, format!("# the practice's safe\n{}\n", safe.to_string().expose_secret()).as_bytes());
    let file = world.path().join("ada.backup");
    ada.ok(&["backup", file.to_str().unwrap(), "--to", &safe.to_public().to_string()], "");

    let fresh = ada.elsewhere(&world, "fresh");
    write_private(&fresh.passphrase_file, b"not the passphrase\n");
    fresh.ok(&["backup", "--verify", file.to_str().unwrap(), "--identity", safe_key.to_str().unwrap()], "");
    let restored = fresh.ok(&["restore", file.to_str().unwrap(), "--identity", safe_key.to_str().unwrap()], "");
    assert!(restored.stdout.contains("2 messages"), "{restored:?}");
    // The restored store still opens only with its own passphrase.
    assert_eq!(fresh.run(&["inbox"], "").code, 5);
    std::fs::copy(&ada.passphrase_file, &fresh.passphrase_file).unwrap();
    assert!(fresh.ok(&["read", "2"], "").stdout.contains("The breathing exercise helps."));

    let stranger = world.path().join("stranger.key");
    let other = age::x25519::Identity::generate();
    write_private(&stranger, format!("{}\n", other.to_string().expose_secret()).as_bytes());
    let run = ada.run(&["backup", "--verify", file.to_str().unwrap(), "--identity", stranger.to_str().unwrap()], "");
    assert_eq!(run.code, 5, "{run:?}");
}

fn recovery_key(person: &Person, args: &[&str], file: &Path) {
    let made = person.ok(args, "");
    let key = made.stdout.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).expect("the key is printed");
    write_private(file, format!("{key}\n").as_bytes());
    assert!(!files_under(&person.home)
        .iter()
        .any(|p| std::fs::read(p).unwrap().windows(key.len()).any(|w| w == key.as_bytes())));
}

#[test]
fn the_recovery_key_sets_a_new_passphrase_and_opens_backups_until_it_is_rotated() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let first = world.path().join("recovery-1.key");
    recovery_key(&ada, &["key", "recovery"], &first);
    assert!(ada.ok(&["key", "show"], "").stdout.contains("recovery key: set"));
    let again = ada.run(&["key", "recovery"], "");
    assert_eq!(again.code, 1, "shown once: {again:?}");
    assert!(again.stderr.contains("--rotate"), "{again:?}");
    let file = world.path().join("ada.backup");
    ada.ok(&["backup", file.to_str().unwrap()], "");

    // Emergency: the passphrase is lost; a designated person has the key.
    write_private(&ada.passphrase_file, b"forgotten\n");
    assert_eq!(ada.run(&["inbox"], "").code, 5);
    let new = world.path().join("new.pass");
    write_private(&new, b"a new passphrase\n");
    ada.ok(
        &[
            "key",
            "passphrase",
            "--recovery-key",
            first.to_str().unwrap(),
            "--new-passphrase-file",
            new.to_str().unwrap(),
        ],
        "",
    );
    std::fs::copy(&new, &ada.passphrase_file).unwrap();
    assert!(ada.ok(&["read", "2"], "").stdout.contains("The breathing exercise helps."));

    // The backup opens with the recovery key too.
    let fresh = ada.elsewhere(&world, "fresh");
    write_private(&fresh.passphrase_file, b"not the passphrase\n");
    fresh.ok(&["restore", file.to_str().unwrap(), "--identity", first.to_str().unwrap()], "");

    // Rotated: the old key opens neither the store nor new backups.
    let second = world.path().join("recovery-2.key");
    recovery_key(&ada, &["key", "recovery", "--rotate"], &second);
    let run = ada.run(
        &[
            "key",
            "passphrase",
            "--recovery-key",
            first.to_str().unwrap(),
            "--new-passphrase-file",
            new.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(run.code, 5, "{run:?}");
    let newer = world.path().join("ada-2.backup");
    ada.ok(&["backup", newer.to_str().unwrap()], "");
    let run = ada.run(&["backup", "--verify", newer.to_str().unwrap(), "--identity", first.to_str().unwrap()], "");
    assert_eq!(run.code, 5, "{run:?}");
    ada.ok(&["backup", "--verify", newer.to_str().unwrap(), "--identity", second.to_str().unwrap()], "");
}

#[test]
fn the_recovery_key_writes_a_damaged_keyring_anew() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let key = world.path().join("recovery.key");
    recovery_key(&ada, &["key", "recovery"], &key);
    std::fs::write(ada.home.join("data/keys.age"), b"damaged").unwrap();
    let run = ada.run(&["inbox"], "");
    assert!(run.stderr.contains("damaged") && run.stderr.contains("--recovery-key"), "{run:?}");
    ada.ok(
        &[
            "key",
            "passphrase",
            "--recovery-key",
            key.to_str().unwrap(),
            "--new-passphrase-file",
            ada.passphrase_file.to_str().unwrap(),
        ],
        "",
    );
    assert!(ada.ok(&["read", "1"], "").stdout.contains("Slept better on Tuesday."));
}

#[test]
fn a_changed_passphrase_unlocks_and_the_old_one_does_not() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let new = world.path().join("new.pass");
    write_private(&new, b"another passphrase\n");
    ada.ok(&["key", "passphrase", "--new-passphrase-file", new.to_str().unwrap()], "");
    assert_eq!(ada.run(&["inbox"], "").code, 5, "the old passphrase no longer unlocks");
    std::fs::copy(&new, &ada.passphrase_file).unwrap();
    ada.ok(&["inbox"], "");
}

#[test]
fn an_unfinished_restore_is_refused_by_every_command_and_replaced_by_the_next_restore() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let file = world.path().join("ada.backup");
    ada.ok(&["backup", file.to_str().unwrap()], "");
    let fresh = ada.elsewhere(&world, "fresh");
    fresh.ok(&["restore", file.to_str().unwrap()], "");
    // As if killed between moving the store into place and finishing.
    std::fs::remove_file(fresh.home.join("config/config.toml")).unwrap();
    write_private(&fresh.home.join("data/restore-unfinished"), b"");
    let run = fresh.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("a restore that did not finish"), "{run:?}");
    let init = fresh.run(&["init", "--name", "Ada", "--email", "ada@practice.example"], "");
    assert_eq!(init.code, 1, "{init:?}");
    assert!(init.stderr.contains("a restore that did not finish"), "{init:?}");
    let restored = fresh.ok(&["restore", file.to_str().unwrap()], "");
    assert!(restored.stderr.contains("replacing the unfinished restore"), "{restored:?}");
    assert!(fresh.ok(&["read", "2"], "").stdout.contains("The breathing exercise helps."));
}

#[test]
fn a_store_unlocked_through_the_agent_is_backed_up_without_the_passphrase_but_gets_no_recovery_key() {
    let world = World::new();
    let (ada, _sam) = practice(&world);
    let runtime = world.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let mut unlock = ada.command();
    unlock.env("XDG_RUNTIME_DIR", &runtime).args(["unlock", "--for", "2m"]);
    assert_eq!(run_command(&mut unlock, "").code, 0);
    let file = world.path().join("ada.backup");
    let without = |args: &[&str]| {
        let mut cmd = ada.command();
        cmd.env_remove("SEALPOST_PASSPHRASE_FILE").env("XDG_RUNTIME_DIR", &runtime).args(args);
        run_command(&mut cmd, "")
    };
    let made = without(&["backup", file.to_str().unwrap()]);
    let verified = without(&["backup", "--verify", file.to_str().unwrap()]);
    // What outlasts the session needs the passphrase itself.
    let recovery = without(&["key", "recovery"]);
    without(&["lock"]);
    assert_eq!(recovery.code, 5, "{recovery:?}");
    assert_eq!(made.code, 0, "{made:?}");
    assert_eq!(verified.code, 0, "{verified:?}");
    // The passphrase opens it, though none was typed to make it.
    let fresh = ada.elsewhere(&world, "fresh");
    fresh.ok(&["restore", file.to_str().unwrap()], "");
}
