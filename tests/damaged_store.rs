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
fn a_deleted_contact_list_is_reported_not_read_as_empty() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    std::fs::remove_file(sam.home.join("data/contacts.age")).unwrap();
    for args in [&["contact", "list"][..], &["inbox"], &["send", "--to", "ada"]] {
        let run = sam.run(args, "hello\n");
        assert_ne!(run.code, 0, "{args:?}: {run:?}");
        assert!(run.stderr.contains("contacts.age is missing"), "{args:?}: {run:?}");
    }
}

#[test]
fn a_deleted_inbox_or_sent_index_is_reported_not_read_as_empty() {
    let world = World::new();
    let (ada, sam) = sam_with_a_message(&world);
    std::fs::remove_file(sam.home.join("data/inbox/index.age")).unwrap();
    let run = sam.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("inbox/index.age is missing"), "{run:?}");

    std::fs::remove_file(ada.home.join("data/sent/index.age")).unwrap();
    let run = ada.run(&["sent"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("sent/index.age is missing"), "{run:?}");
}

#[test]
fn a_store_of_an_earlier_release_learns_its_documents_at_the_first_unlock() {
    let world = World::new();
    let (_ada, sam) = sam_with_a_message(&world);
    let meta = sam.home.join("data/store.toml");
    let text = std::fs::read_to_string(&meta).unwrap();
    let earlier: String = text.lines().filter(|l| !l.starts_with("documents")).map(|l| format!("{l}\n")).collect();
    assert_ne!(earlier, text, "the store lists its documents: {text}");
    std::fs::write(&meta, earlier).unwrap();

    let listed = sam.ok(&["contact", "list"], "");
    assert!(listed.stdout.contains("ada"), "{listed:?}");
    assert!(std::fs::read_to_string(&meta).unwrap().contains("contacts.age"), "recorded at the first unlock");
    std::fs::remove_file(sam.home.join("data/contacts.age")).unwrap();
    let run = sam.run(&["contact", "list"], "");
    assert!(run.stderr.contains("contacts.age is missing"), "{run:?}");
}
