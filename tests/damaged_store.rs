//! A damaged or deleted store file is named as such: never taken for "no
//! store here", a wrong passphrase, or an empty contact list or inbox.

mod common;

use common::{pair, Person, World};

fn sam_with_a_message(world: &World) -> (Person, Person) {
    let (ada, sam) = pair(world);
    ada.ok(&["send", "--to", "sam", "--subject", "Thursday"], "See you Thursday.\n");
    sam.ok(&["sync"], "");
    (ada, sam)
}

#[test]
fn a_damaged_store_toml_is_called_damaged_and_named() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    let meta = sam.home.join("data/store.toml");
    std::fs::write(&meta, "version = \x01 garbage [[\n").unwrap();
    for args in [&["inbox"][..], &["key", "show"]] {
        let run = sam.run(args, "");
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("damaged") && run.stderr.contains("store.toml"), "{args:?}: {run:?}");
        assert!(!run.stderr.contains("sealpost init"), "never sent to init: {run:?}");
        assert!(!run.stderr.contains("wrong passphrase"), "{run:?}");
    }
}

#[test]
fn a_damaged_keyring_is_called_damaged_not_a_wrong_passphrase() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    let keyring = sam.home.join("data/keys.age");
    let sealed = std::fs::read(&keyring).unwrap();
    // Cut short, flipped in the payload, and not an age file at all.
    let mut flipped = sealed.clone();
    let at = sealed.len() - 20;
    flipped[at] ^= 0x55;
    for damaged in [sealed[..sealed.len() / 2 + 40].to_vec(), flipped, b"not a keyring\n".to_vec()] {
        std::fs::write(&keyring, &damaged).unwrap();
        let run = sam.run(&["inbox"], "");
        assert_eq!(run.code, 1, "damaged is not locked (5): {run:?}");
        assert!(run.stderr.contains("damaged") && run.stderr.contains("keys.age"), "{run:?}");
        assert!(!run.stderr.contains("wrong passphrase"), "{run:?}");
    }
    std::fs::write(&keyring, &sealed).unwrap();
    sam.ok(&["inbox"], "");
}

#[test]
fn a_deleted_keyring_is_reported_missing_not_no_store() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    std::fs::remove_file(sam.home.join("data/keys.age")).unwrap();
    let run = sam.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("keys.age is missing"), "{run:?}");
    assert!(!run.stderr.contains("run `sealpost init` first"), "{run:?}");
}

#[test]
fn a_deleted_database_is_reported_missing_not_read_as_empty() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    for file in ["store.db", "store.db-wal", "store.db-shm"] {
        let _ = std::fs::remove_file(sam.home.join("data").join(file));
    }
    for args in [&["contact", "list"][..], &["inbox"], &["send", "--to", "ada"]] {
        let run = sam.run(args, "hello\n");
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains("store.db is missing"), "{args:?}: {run:?}");
        assert!(!run.stderr.contains("run `sealpost init` first"), "{run:?}");
    }
    assert!(!sam.home.join("data/store.db").exists(), "no empty database is made in its place");
}

#[test]
fn a_damaged_database_is_called_damaged_not_a_wrong_passphrase() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    let data = sam.home.join("data");
    // Everything in the database file itself, with an empty log.
    sam.ok(&["backup", world.path().join("b.tar").to_str().unwrap()], "");
    let db = data.join("store.db");
    let whole = std::fs::read(&db).unwrap();
    assert_eq!(std::fs::metadata(data.join("store.db-wal")).map_or(0, |m| m.len()), 0);
    let mut flipped = whole.clone();
    flipped[100] ^= 0x55;
    let mut last_page = whole.clone();
    let at = whole.len() - 100;
    last_page[at] ^= 0x55;
    for damaged in [whole[..whole.len() / 2].to_vec(), flipped, last_page, b"not a database\n".to_vec()] {
        std::fs::write(&db, &damaged).unwrap();
        // `backup --verify`-free and `read`: every page of a small store is read by one of these.
        for args in [&["inbox"][..], &["read", "1"], &["contact", "list"], &["sent"]] {
            let run = sam.run(args, "");
            if run.code == 0 {
                continue;
            }
            assert_eq!(run.code, 1, "damaged is not locked (5): {run:?}");
            assert!(run.stderr.contains("damaged") && run.stderr.contains("store.db"), "{args:?}: {run:?}");
            assert!(!run.stderr.contains("wrong passphrase"), "{run:?}");
            assert!(!run.stdout.contains("See you Thursday"), "{run:?}");
            // Said once, by sealpost: no line of the database library's own log.
            assert!(run.stderr.lines().all(|l| l.starts_with("sealpost: ")), "{args:?}: {run:?}");
        }
        let any_failed = [&["inbox"][..], &["read", "1"], &["contact", "list"], &["sent"]]
            .iter()
            .any(|args| sam.run(args, "").code != 0);
        assert!(any_failed, "damage went unnoticed");
    }
    std::fs::write(&db, &whole).unwrap();
    assert!(sam.ok(&["read", "1"], "").stdout.contains("See you Thursday"));
}

/// A connection holding the lock a sealpost that is ending holds on the
/// database file while it writes its log back and closes: nothing else
/// may read until it is dropped.
fn locked_by_another_program(person: &Person) -> rusqlite::Connection {
    let conn = person.database();
    conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;").unwrap();
    conn
}

#[test]
fn a_database_another_program_holds_for_a_moment_is_waited_for_not_called_damaged() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    // Held longer than a database connection waits by default (5 s), not
    // as long as sealpost waits (10 s) from the first read on.
    let conn = locked_by_another_program(&sam);
    let held = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(7));
        drop(conn);
    });
    let (inbox, read) = (sam.run(&["inbox"], ""), sam.run(&["read", "1"], ""));
    held.join().unwrap();
    for run in [&inbox, &read] {
        assert_eq!(run.code, 0, "{run:?}");
        assert!(!run.stderr.contains("damaged"), "{run:?}");
    }
    assert!(inbox.stdout.contains("Thursday"), "{inbox:?}");
    assert!(read.stdout.contains("See you Thursday"), "{read:?}");
}

#[test]
fn a_database_another_program_keeps_locked_is_called_in_use_not_damaged() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    let conn = locked_by_another_program(&sam);
    // Held for longer than sealpost waits for it (10 s).
    let run = sam.run(&["inbox"], "");
    drop(conn);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("in use by another program") && run.stderr.contains("store.db"), "{run:?}");
    // Nothing to restore: the store is whole, only busy.
    assert!(!run.stderr.contains("damaged") && !run.stderr.contains("restore"), "{run:?}");
    assert!(sam.ok(&["inbox"], "").stdout.contains("Thursday"));
}
