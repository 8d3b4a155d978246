//! A store written by the release before the database (one age file per
//! document, store version 1) opens with this one: everything it held is
//! moved into `store.db` in one transaction, checked, and only then are the
//! old files removed. A database whose pages an earlier release
//! authenticated with HMAC-SHA512 opens as it is. The fixtures
//! (tests/fixtures/store-v1 and store-v2-sha512, made by
//! tests/fixtures/make-store.sh with those releases) each hold two stores
//! and what that release printed about them.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{write_private, Person, World};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v1");
const FIXTURE_SHA512: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v2-sha512");

/// A copy of the fixture's store of `who`, private as a store must be, its
/// config pointing at this world's Maildir.
/// No byte of a note or an address is readable in the store's files.
fn assert_nothing_readable(data: &Path) {
    for file in common::files_under(data) {
        let bytes = std::fs::read(&file).unwrap();
        for secret in [&b"Thursday"[..], b"Notes of our first session", b"sam@client.example"] {
            let public = file.ends_with("public.asc") || file.ends_with("keys.age");
            assert!(public || !bytes.windows(secret.len()).any(|w| w == secret), "{}", file.display());
        }
    }
}

/// What the earlier release that made `fixture` listed, this one lists.
fn lists_as_the_earlier_release(fixture: &str, ada: &Person, sam: &Person) {
    for (person, who) in [(ada, "ada"), (sam, "sam")] {
        for view in ["inbox", "sent", "outbox"] {
            assert_eq!(
                json(person, &[view, "--json"]),
                expected_of(fixture, &format!("{who}.{view}.json")),
                "{who} {view}"
            );
        }
        let contacts = json(person, &["contact", "list", "--json"]);
        assert_eq!(contacts, expected_of(fixture, &format!("{who}.contacts.json")), "{who}");
    }
    assert_eq!(json(sam, &["read", "2", "--json"]), expected_of(fixture, "sam.read-2.json"));
    assert_eq!(json(ada, &["read", "--last", "--json"]), expected_of(fixture, "ada.read-last.json"));
}

/// The store goes on working: the note the earlier release left queued is
/// delivered, read and answered.
fn goes_on_working(ada: &Person, sam: &Person) {
    let flushed = ada.ok(&["outbox", "--flush"], "");
    assert!(flushed.stdout.contains("to sam@client.example\nthe outbox is empty"), "{flushed:?}");
    sam.ok(&["sync"], "");
    let read = sam.ok(&["read", "--last"], "");
    assert!(read.stdout.contains("A note still in the outbox."), "{read:?}");
    assert!(read.stdout.starts_with("Status:  verified"), "{read:?}");
    sam.ok(&["reply", "--last"], "Received, thank you.\n");
    ada.ok(&["sync"], "");
    let answer = ada.ok(&["read", "--last"], "");
    assert!(answer.stdout.contains("Received, thank you."), "{answer:?}");
    assert!(answer.stdout.starts_with("Status:  verified"), "{answer:?}");
}

fn old_store(world: &World, who: &str) -> Person {
    store_of(world, FIXTURE, who)
}

/// A copy of the store of `who` in `fixture` (see `old_store`).
fn store_of(world: &World, fixture: &str, who: &str) -> Person {
    let home = world.path().join(who);
    copy_private(&Path::new(fixture).join(who), &home);
    let config = home.join("config/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    write_private(&config, text.replace("MAILDIR", world.mail().to_str().unwrap()).as_bytes());
    let passphrase_file = world.path().join(format!("{who}.pass"));
    write_private(&passphrase_file, format!("passphrase of {who}\n").as_bytes());
    let address = if who == "ada" { "ada@practice.example" } else { "sam@client.example" };
    Person { home, passphrase_file, address: address.into() }
}

fn copy_private(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_private(&entry.path(), &target);
        } else {
            write_private(&target, &std::fs::read(entry.path()).unwrap());
        }
    }
}

fn json(person: &Person, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&person.ok(args, "").stdout).unwrap()
}

fn expected(name: &str) -> serde_json::Value {
    expected_of(FIXTURE, name)
}

fn expected_of(fixture: &str, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(Path::new(fixture).join(name)).unwrap()).unwrap()
}

/// The old store's document files: every `.age` file but the keyrings.
fn old_files(data: &Path) -> Vec<PathBuf> {
    common::files_under(data)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "age") && !p.ends_with("keys.age"))
        .collect()
}

#[test]
fn a_store_of_the_earlier_release_is_moved_into_the_database_whole() {
    let world = World::new();
    let ada = old_store(&world, "ada");
    let sam = old_store(&world, "sam");
    assert!(old_files(&ada.home.join("data")).len() >= 8, "the fixture holds an old store");

    lists_as_the_earlier_release(FIXTURE, &ada, &sam);

    for person in [&ada, &sam] {
        let data = person.home.join("data");
        assert!(data.join("store.db").is_file());
        assert_eq!(old_files(&data), Vec::<PathBuf>::new(), "the old files are removed");
        for folder in ["inbox", "sent", "outbox"] {
            assert!(!data.join(folder).exists(), "{folder} is removed");
        }
        let meta = std::fs::read_to_string(data.join("store.toml")).unwrap();
        assert!(meta.contains("version = 2") && !meta.contains("documents"), "{meta}");
        assert_nothing_readable(&data);
    }
    goes_on_working(&ada, &sam);
}

#[test]
fn a_migration_cut_short_is_made_again_or_finished() {
    let world = World::new();
    // Cut short before its database was in place: a half-made one is there.
    let ada = old_store(&world, "ada");
    let data = ada.home.join("data");
    write_private(&data.join("store.db.migrating"), b"half a database");
    assert_eq!(json(&ada, &["inbox", "--json"]), expected("ada.inbox.json"));
    assert!(!data.join("store.db.migrating").exists());

    // Cut short after: the checked database is in place, the old files and
    // the old version still there. The next open finishes.
    let sam_world = World::new();
    let sam = old_store(&sam_world, "sam");
    let done = old_store(&world, "sam");
    done.ok(&["inbox"], "");
    let sam_data = sam.home.join("data");
    write_private(&sam_data.join("store.db"), &std::fs::read(done.home.join("data/store.db")).unwrap());
    assert!(!old_files(&sam_data).is_empty());
    assert_eq!(json(&sam, &["inbox", "--json"]), expected("sam.inbox.json"));
    assert_eq!(old_files(&sam_data), Vec::<PathBuf>::new());
    assert!(std::fs::read_to_string(sam_data.join("store.toml")).unwrap().contains("version = 2"));
}

#[test]
fn a_missing_or_damaged_old_document_stops_the_migration_and_changes_nothing() {
    let world = World::new();
    let ada = old_store(&world, "ada");
    let data = ada.home.join("data");
    let before = old_files(&data);

    // A document the old store recorded is gone: never read as empty.
    let contacts = std::fs::read(data.join("contacts.age")).unwrap();
    std::fs::remove_file(data.join("contacts.age")).unwrap();
    let run = ada.run(&["contact", "list"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("contacts.age is missing"), "{run:?}");
    assert!(!data.join("store.db").exists());
    write_private(&data.join("contacts.age"), &contacts);

    // A message that does not decrypt: named, and nothing moved.
    let message = data.join("inbox/1.eml.age");
    let sealed = std::fs::read(&message).unwrap();
    let mut flipped = sealed.clone();
    let at = sealed.len() - 10;
    flipped[at] ^= 0x55;
    write_private(&message, &flipped);
    let run = ada.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("inbox/1.eml.age cannot be decrypted"), "{run:?}");
    assert!(!data.join("store.db").exists());
    assert_eq!(old_files(&data), before, "every old file is still there");

    write_private(&message, &sealed);
    assert_eq!(json(&ada, &["inbox", "--json"]), expected("ada.inbox.json"));
}

#[test]
fn a_database_whose_pages_an_earlier_release_authenticated_with_sha512_opens_and_goes_on() {
    let world = World::new();
    let ada = store_of(&world, FIXTURE_SHA512, "ada");
    let sam = store_of(&world, FIXTURE_SHA512, "sam");
    lists_as_the_earlier_release(FIXTURE_SHA512, &ada, &sam);
    goes_on_working(&ada, &sam);
    for person in [&ada, &sam] {
        assert_nothing_readable(&person.home.join("data"));
    }
}
