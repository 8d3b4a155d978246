//! A different key for a pinned address: the contact moves to `changed`,
//! sending is blocked, and only the user's verification resolves it.

mod common;

use common::{pair, Person, World};

/// Sam on a new machine: same address, a brand-new key, Ada verified.
fn sam_with_new_key(world: &World, ada: &Person) -> Person {
    let sam2 = world.bare_person("sam-new", "sam@client.example");
    sam2.ok(
        &[
            "init",
            "--name",
            "Sam Lee",
            "--email",
            "sam@client.example",
            "--maildir",
            world.mail().to_str().unwrap(),
            "--kdf-work-factor",
            "10",
        ],
        "",
    );
    sam2.trust("ada", ada, world.path());
    sam2
}

fn grouped(hex: &str) -> String {
    hex.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ")
}

#[test]
fn a_message_signed_by_a_new_key_blocks_sending_until_the_new_key_is_verified() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let sam2 = sam_with_new_key(&world, &ada);
    let (old, new) = (sam.fingerprint(), sam2.fingerprint());

    sam2.ok(&["send", "--to", "ada", "--subject", "New phone"], "I set up sealpost again.\n");
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stderr.contains("WARNING: the key of sam <sam@client.example> changed"), "{synced:?}");
    assert!(synced.stderr.contains(&grouped(&old)) && synced.stderr.contains(&grouped(&new)), "{synced:?}");
    assert!(ada.ok(&["inbox"], "").stdout.contains("key-changed"));

    let read = ada.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.contains("NOT VERIFIED: key-changed"), "{read:?}");
    assert!(read.stdout.contains(&grouped(&old)) && read.stdout.contains(&grouped(&new)), "{read:?}");
    assert!(!read.all().contains("read receipt"), "no receipt for a message that is not verified");

    let before = sam.delivered(&world).len();
    let refused = ada.run(&["send", "--to", "sam", "--subject", "Hi"], "Is this you?\n");
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("their key changed"), "{refused:?}");
    assert!(refused.stderr.contains(&grouped(&old)) && refused.stderr.contains(&grouped(&new)), "{refused:?}");
    assert_eq!(ada.outbox_len(), 0);
    assert_eq!(sam.delivered(&world).len(), before, "nothing was delivered");

    // Until Ada checks, even a message signed by the pinned key is not verified.
    sam.ok(&["send", "--to", "ada", "--subject", "Old phone"], "Still me.\n");
    ada.ok(&["sync"], "");
    let old_key = ada.run(&["read", "2"], "");
    assert_eq!(old_key.code, 4, "{old_key:?}");
    assert!(old_key.stdout.starts_with("Status:  NOT VERIFIED: key-changed"), "{old_key:?}");
    assert!(!old_key.all().contains("read receipt"), "no receipt while the key is in question");

    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       changed"), "{shown}");
    assert!(shown.contains(&format!("new key:     {} NOT VERIFIED", grouped(&new))), "{shown}");
    assert!(shown.contains("pinned") && shown.contains("verified by fingerprint"), "history: {shown}");
    assert!(shown.contains("seen in the signature of a message; not verified"), "history: {shown}");

    // A wrong fingerprint changes nothing.
    let wrong = ada.run(&["contact", "verify", "sam", "--fingerprint", &"AB12".repeat(10)], "");
    assert_eq!(wrong.code, 4, "{wrong:?}");
    assert_eq!(ada.run(&["send", "--to", "sam"], "Still blocked?\n").code, 3);

    // Sam reads the new fingerprint over the phone; Ada verifies it.
    let verified = ada.ok(&["contact", "verify", "sam", "--fingerprint", &new], "");
    assert!(verified.stdout.contains("replaces the pinned one"), "{verified:?}");
    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       verified") && shown.contains(&format!("replaces {old}")), "{shown}");
    ada.ok(&["send", "--to", "sam", "--subject", "Welcome back"], "Got it.\n");
    let read = ada.ok(&["read", "1"], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by sam"), "{read:?}");
    sam2.ok(&["sync"], "");
    assert!(sam2.ok(&["read", "--last"], "").stdout.contains("Got it."));
}

#[test]
fn another_key_in_the_autocrypt_header_blocks_sending_and_confirming_the_pinned_key_restores_it() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let sam2 = sam_with_new_key(&world, &ada);
    // A genuine message from Sam, whose Autocrypt header carries another key.
    sam2.ok(&["send", "--to", "ada"], "from the new key\n");
    let other = std::fs::read_to_string(&ada.delivered(&world)[0]).unwrap();
    std::fs::remove_file(&ada.delivered(&world)[0]).unwrap();
    sam.ok(&["send", "--to", "ada", "--subject", "Homework"], "Done.\n");
    let genuine = std::fs::read_to_string(&ada.delivered(&world)[0]).unwrap();
    std::fs::remove_file(&ada.delivered(&world)[0]).unwrap();
    let header = |wire: &str| {
        let start = wire.find("Autocrypt: ").unwrap();
        let end = start + wire[start..].find("\r\n").unwrap();
        let mut end = end;
        while wire[end + 2..].starts_with(' ') || wire[end + 2..].starts_with('\t') {
            end = end + 2 + wire[end + 2..].find("\r\n").unwrap();
        }
        wire[start..end].to_string()
    };
    ada.receive_raw(&world, genuine.replace(&header(&genuine), &header(&other)).as_bytes());

    let synced = ada.ok(&["sync"], "");
    assert!(synced.stderr.contains("seen in the Autocrypt header of a message"), "{synced:?}");
    // Signed by the pinned key, but another key is about: nothing from Sam
    // is verified, and nothing goes to him, until Ada checks.
    let shown = ada.run(&["read", "1"], "");
    assert_eq!(shown.code, 4, "{shown:?}");
    assert!(shown.stdout.starts_with("Status:  NOT VERIFIED: key-changed"), "{shown:?}");
    assert!(shown.stdout.contains(&grouped(&sam2.fingerprint())), "{shown:?}");
    assert!(ada.ok(&["inbox"], "").stdout.contains("key-changed"));
    assert_eq!(ada.run(&["send", "--to", "sam"], "Blocked?\n").code, 3);

    // Sam confirms the pinned key is still his: sending works again.
    ada.ok(&["contact", "verify", "sam", "--fingerprint", &sam.fingerprint()], "");
    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       verified") && !shown.contains("new key:"), "{shown}");
    assert!(shown.contains("is not theirs"), "{shown}");
    assert!(ada.ok(&["read", "1"], "").stdout.starts_with("Status:  verified: signed by sam"));
    ada.ok(&["send", "--to", "sam"], "Thanks.\n");
}

#[test]
fn a_rotated_key_is_announced_signed_by_the_old_one_and_still_has_to_be_verified() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    sam.ok(&["send", "--to", "ada", "--subject", "Before"], "Written to the old key.\n");
    ada.ok(&["sync"], "");
    let old = ada.fingerprint();

    let rotated = ada.ok(&["key", "rotate"], "");
    assert!(rotated.stdout.contains("announced to sam, signed by the old key"), "{rotated:?}");
    let new = ada.fingerprint();
    assert_ne!(old, new);
    // The old key still reads what was encrypted to it.
    assert!(ada.ok(&["read", "1"], "").stdout.starts_with("Status:  verified: signed by sam"));

    let synced = sam.ok(&["sync"], "");
    assert!(synced.stderr.contains("the key of ada <ada@practice.example> changed"), "{synced:?}");
    assert!(synced.stderr.contains("announced in a message signed by the pinned key"), "{synced:?}");
    assert!(synced.stderr.contains(&grouped(&new)), "{synced:?}");
    let shown = sam.ok(&["contact", "show", "ada"], "").stdout;
    assert!(shown.contains("state:       changed") && shown.contains("the pinned key vouched for it"), "{shown}");
    // The announcement is shown, but from a contact in `changed` nothing is
    // verified until Sam has checked which key is Ada's.
    let announcement = sam.run(&["read", "--last"], "");
    assert_eq!(announcement.code, 4, "{announcement:?}");
    assert!(announcement.stdout.starts_with("Status:  NOT VERIFIED: key-changed"), "{announcement:?}");
    assert!(announcement.stdout.contains(&format!("pinned for ada@practice.example: {}", grouped(&old))));
    assert!(announcement.stdout.contains(&grouped(&new)), "{announcement:?}");
    assert!(announcement.stdout.contains("I have a new key"), "{announcement:?}");
    // Vouched for, not verified: sending waits for Sam's own check.
    assert_eq!(sam.run(&["send", "--to", "ada"], "Is this you?\n").code, 3);

    sam.ok(&["contact", "verify", "ada", "--fingerprint", &new], "");
    sam.ok(&["send", "--to", "ada", "--subject", "After"], "Written to the new key.\n");
    ada.ok(&["sync"], "");
    let read = ada.ok(&["read", "--last"], "");
    assert!(read.stdout.contains("Written to the new key."), "{read:?}");
    // Ada's messages now carry the new key, which Sam has verified.
    ada.ok(&["send", "--to", "sam", "--subject", "New key"], "Signed with the new key.\n");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.starts_with("Status:  verified: signed by ada"));
}
