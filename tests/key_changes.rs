//! A different key for a pinned address: unauthenticated mail may inform,
//! never act. Another key is kept as a sighting and shown as a notice;
//! sending to the verified key goes on and its messages stay verified. Only
//! the user's verification, an announcement signed by the pinned key, or a
//! revocation signed by it change anything.

mod common;

use common::{pair, Person, World};
use sequoia_openpgp::serialize::SerializeInto;

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

/// The whole (folded) Autocrypt header of a wire message.
fn autocrypt_header(wire: &str) -> String {
    let start = wire.find("Autocrypt: ").unwrap();
    let mut end = start + wire[start..].find("\r\n").unwrap();
    while wire[end + 2..].starts_with(' ') || wire[end + 2..].starts_with('\t') {
        end = end + 2 + wire[end + 2..].find("\r\n").unwrap();
    }
    wire[start..end].to_string()
}

/// Takes the one message waiting for `person` out of their Maildir.
fn take_delivered(world: &World, person: &Person) -> String {
    let files = person.delivered(world);
    assert_eq!(files.len(), 1, "{files:?}");
    let wire = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::remove_file(&files[0]).unwrap();
    wire
}

#[test]
fn a_message_signed_by_a_new_key_is_a_sighting_that_blocks_nothing() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let sam2 = sam_with_new_key(&world, &ada);
    let (old, new) = (sam.fingerprint(), sam2.fingerprint());

    sam2.ok(&["send", "--to", "ada", "--subject", "New phone"], "I set up sealpost again.\n");
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stderr.contains("note: another key was seen for sam <sam@client.example>"), "{synced:?}");
    assert!(synced.stderr.contains(&grouped(&new)) && synced.stderr.contains("sealpost contact verify sam"));
    let inbox = ada.ok(&["inbox"], "").stdout;
    let row = inbox.lines().nth(1).unwrap();
    assert!(row.contains("unverified-key") && row.contains("? sam@client.example"), "{inbox}");
    assert!(!row.contains("New phone"), "no subject of an unverified message is listed: {inbox}");

    // Content withheld by default, shown on request under a warning.
    let read = ada.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.starts_with("Status:  NOT VERIFIED: unverified-key"), "{read:?}");
    assert!(read.stdout.contains(&grouped(&old)) && read.stdout.contains(&grouped(&new)), "{read:?}");
    assert!(!read.all().contains("I set up sealpost again") && !read.all().contains("New phone"), "{read:?}");
    assert!(read.stdout.contains("sealpost read 1 --unverified"), "{read:?}");
    let shown = ada.run(&["read", "1", "--unverified"], "");
    assert_eq!(shown.code, 4, "{shown:?}");
    assert!(shown.stdout.contains("NOT VERIFIED: shown because you asked"), "{shown:?}");
    assert!(shown.stdout.contains("Claims to be: Sam Lee <sam@client.example>"), "{shown:?}");
    assert!(shown.stdout.contains("I set up sealpost again"), "{shown:?}");
    assert!(!shown.all().contains("read receipt"), "no receipt for a message that is not verified");

    // Sending to the verified key goes on, with a notice.
    let sent = ada.run(&["send", "--to", "sam", "--subject", "Hi", "--no-receipt"], "Is this you?\n");
    assert_eq!(sent.code, 0, "{sent:?}");
    assert!(sent.stderr.contains("another key was seen for sam"), "{sent:?}");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.contains("Is this you?"));

    // A message signed by the verified key is verified, as before.
    sam.ok(&["send", "--to", "ada", "--subject", "Old phone"], "Still me.\n");
    ada.ok(&["sync"], "");
    let old_key = ada.run(&["read", "2"], "");
    assert_eq!(old_key.code, 0, "{old_key:?}");
    assert!(old_key.stdout.starts_with("Status:  verified: signed by sam"), "{old_key:?}");
    assert!(old_key.stderr.contains("another key was seen for sam"), "{old_key:?}");

    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       verified"), "{shown}");
    assert!(shown.contains(&format!("other key:   {} NOT VERIFIED", grouped(&new))), "{shown}");
    assert!(shown.contains("seen in the signature of a message; not verified, nothing changed"), "{shown}");

    // A wrong fingerprint changes nothing.
    let wrong = ada.run(&["contact", "verify", "sam", "--fingerprint", &"AB12".repeat(10)], "");
    assert_eq!(wrong.code, 4, "{wrong:?}");

    // Sam reads the new fingerprint over the phone; Ada verifies it.
    let verified = ada.ok(&["contact", "verify", "sam", "--fingerprint", &new], "");
    assert!(verified.stdout.contains("replaces the pinned one"), "{verified:?}");
    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       verified") && shown.contains(&format!("replaces {old}")), "{shown}");
    assert!(!shown.contains("other key:"), "{shown}");
    // History stays true: verified on arrival, verified still, with its key.
    let before = ada.ok(&["read", "2"], "");
    assert!(before.stdout.contains(&format!("with key {} (verified when it arrived", grouped(&old))), "{before:?}");
    assert!(ada.ok(&["read", "1"], "").stdout.starts_with("Status:  verified: signed by sam"));
    ada.ok(&["send", "--to", "sam", "--subject", "Welcome back"], "Got it.\n");
    sam2.ok(&["sync"], "");
    assert!(sam2.ok(&["read", "--last"], "").stdout.contains("Got it."));
}

#[test]
fn another_key_in_the_autocrypt_header_is_only_a_notice() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let sam2 = sam_with_new_key(&world, &ada);
    // A genuine message from Sam, whose Autocrypt header carries another key
    // (a stranger can add one, or one damaged character makes one).
    sam2.ok(&["send", "--to", "ada"], "from the new key\n");
    let other = take_delivered(&world, &ada);
    sam.ok(&["send", "--to", "ada", "--subject", "Homework"], "Done.\n");
    let genuine = take_delivered(&world, &ada);
    ada.receive_raw(&world, genuine.replace(&autocrypt_header(&genuine), &autocrypt_header(&other)).as_bytes());
    // And a plain mail "from" Sam with it, as anyone could send.
    ada.receive_raw(
        &world,
        format!(
            "From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: call me\r\n{}\r\n\r\nnew number\r\n",
            autocrypt_header(&other)
        )
        .as_bytes(),
    );

    let synced = ada.ok(&["sync"], "");
    assert!(synced.stderr.contains("seen for sam <sam@client.example>"), "{synced:?}");
    assert!(synced.stderr.contains("in the Autocrypt header of a message"), "{synced:?}");
    // Signed by the verified key: verified, and Ada can still write to Sam.
    let shown = ada.run(&["read", "1"], "");
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.starts_with("Status:  verified: signed by sam"), "{shown:?}");
    assert!(shown.stdout.contains("Done."), "{shown:?}");
    let sent = ada.run(&["send", "--to", "sam"], "Not blocked.\n");
    assert_eq!(sent.code, 0, "{sent:?}");
    assert!(sent.stderr.contains(&grouped(&sam2.fingerprint())), "{sent:?}");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.contains("Not blocked."));

    // Sam confirms the pinned key is still his: the notice goes away.
    ada.ok(&["contact", "verify", "sam", "--fingerprint", &sam.fingerprint()], "");
    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       verified") && !shown.contains("other key:"), "{shown}");
    assert!(shown.contains("is not theirs"), "{shown}");
    let sent = ada.ok(&["send", "--to", "sam"], "Thanks.\n");
    assert!(!sent.stderr.contains("another key"), "{sent:?}");
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
    assert!(synced.stderr.contains("ada <ada@practice.example> announced a new key"), "{synced:?}");
    assert!(synced.stderr.contains(&grouped(&new)), "{synced:?}");
    let shown = sam.ok(&["contact", "show", "ada"], "").stdout;
    assert!(shown.contains("state:       verified") && shown.contains("the pinned key vouched for it"), "{shown}");
    // The announcement is signed by the verified key: it reads as verified.
    let announcement = sam.ok(&["read", "--last"], "");
    assert!(announcement.stdout.starts_with("Status:  verified: signed by ada"), "{announcement:?}");
    assert!(announcement.stdout.contains("I have a new key"), "{announcement:?}");

    // A later stranger's Autocrypt header does not displace the announced key.
    let stranger = sealpost::keys::generate("Ada Moss", "ada@practice.example").unwrap();
    let keydata = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(stranger.to_vec().unwrap())
    };
    sam.receive_raw(
        &world,
        format!(
            "From: ada@practice.example\r\nTo: sam@client.example\r\nSubject: x\r\n\
             Autocrypt: addr=ada@practice.example; keydata={keydata}\r\n\r\nhello\r\n"
        )
        .as_bytes(),
    );
    sam.ok(&["sync"], "");
    let shown = sam.ok(&["contact", "show", "ada"], "").stdout;
    assert!(shown.contains(&grouped(&stranger.fingerprint().to_hex())), "the sighting is listed: {shown}");
    let code_of_new = shown.lines().skip_while(|l| !l.contains(&grouped(&new))).find(|l| l.contains("verify it with"));
    assert_eq!(code_of_new.map(str::trim), Some("verify it with `sealpost contact verify ada`"), "{shown}");

    // Until Sam verifies, his messages still go to the key he verified,
    // which Ada keeps for reading.
    sam.ok(&["send", "--to", "ada", "--subject", "Still old"], "Written to the old key again.\n");
    sam.ok(&["contact", "verify", "ada", "--fingerprint", &new], "");
    sam.ok(&["send", "--to", "ada", "--subject", "After"], "Written to the new key.\n");
    ada.ok(&["sync"], "");
    assert!(ada.ok(&["read", "2"], "").stdout.contains("Written to the old key again."));
    let read = ada.ok(&["read", "--last"], "");
    assert!(read.stdout.contains("Written to the new key."), "{read:?}");
    // Ada's messages now carry the new key, which Sam has verified.
    ada.ok(&["send", "--to", "sam", "--subject", "New key"], "Signed with the new key.\n");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.starts_with("Status:  verified: signed by ada"));
}

/// Sam's public key with a revocation signature made by `signer`.
fn with_revocation(sam: &sequoia_openpgp::Cert, signer: &sequoia_openpgp::Cert) -> Vec<u8> {
    use sequoia_openpgp::cert::CertRevocationBuilder;
    use sequoia_openpgp::types::ReasonForRevocation;
    let mut keypair = signer.primary_key().key().clone().parts_into_secret().unwrap().into_keypair().unwrap();
    let revocation = CertRevocationBuilder::new()
        .set_reason_for_revocation(ReasonForRevocation::KeyCompromised, b"laptop stolen")
        .unwrap()
        .build(&mut keypair, sam, None)
        .unwrap();
    let public = sam.clone().strip_secret_key_material();
    let (revoked, _) = public.insert_packets(vec![revocation]).unwrap();
    revoked.to_vec().unwrap()
}

fn mail_with_key(from: &str, key: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let keydata = base64::engine::general_purpose::STANDARD.encode(key);
    format!(
        "From: {from}\r\nTo: ada@practice.example\r\nSubject: key\r\n\
         Autocrypt: addr={from}; keydata={keydata}\r\n\r\nmy key\r\n"
    )
    .into_bytes()
}

#[test]
fn a_revocation_signed_by_the_pinned_key_blocks_sending_and_a_forged_one_changes_nothing() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let (sam, sam_key) = world.person_with_key("sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());
    sam.ok(&["send", "--to", "ada", "--subject", "Before"], "Written before the theft.\n");
    ada.ok(&["sync"], "");

    // Mallory attaches a revocation she signed herself: nothing changes.
    let mallory = sealpost::keys::generate("Mallory", "sam@client.example").unwrap();
    ada.receive_raw(&world, &mail_with_key("sam@client.example", &with_revocation(&sam_key, &mallory)));
    ada.ok(&["sync"], "");
    assert!(ada.ok(&["contact", "show", "sam"], "").stdout.contains("state:       verified"));
    assert_eq!(ada.run(&["send", "--to", "sam"], "Still fine?\n").code, 0);

    // Sam revokes his key (signed by it); the mail carrying it is not even
    // encrypted, but the revocation proves itself.
    ada.receive_raw(&world, &mail_with_key("sam@client.example", &with_revocation(&sam_key, &sam_key)));
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stderr.contains("WARNING: sam <sam@client.example> revoked the key you verified"), "{synced:?}");
    assert!(synced.stderr.contains("laptop stolen"), "{synced:?}");
    let refused = ada.run(&["send", "--to", "sam"], "Are you there?\n");
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("was revoked by its owner") && refused.stderr.contains("Nothing was sent"));
    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       revoked") && shown.contains("laptop stolen"), "{shown}");

    // What arrived before stays verified; what the revoked key signs now is not.
    let before = ada.ok(&["read", "1"], "");
    assert!(before.stdout.contains("verified when it arrived"), "{before:?}");
    sam.ok(&["send", "--to", "ada", "--subject", "After"], "Written with the stolen key.\n");
    ada.ok(&["sync"], "");
    let after = ada.run(&["read", "--last"], "");
    assert_eq!(after.code, 4, "{after:?}");
    assert!(after.stdout.starts_with("Status:  NOT VERIFIED: revoked-key"), "{after:?}");
    assert!(!after.all().contains("stolen key"), "{after:?}");
}

#[test]
fn a_contact_left_changed_by_an_earlier_release_opens_verified_with_a_sighting() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let other = sealpost::keys::generate("Sam Lee", "sam@client.example").unwrap();
    // What earlier releases wrote after an Autocrypt header with another key.
    {
        use sealpost::home::Home;
        let passphrase = std::fs::read_to_string(&ada.passphrase_file).unwrap();
        let store =
            sealpost::store::Store::unlock(&Home::at(&ada.home), &passphrase.trim_end().to_string().into()).unwrap();
        let mut contacts: serde_json::Value = store.read("contacts.age").unwrap().unwrap();
        let sam_entry = &mut contacts["contacts"][0];
        sam_entry["state"] = "changed".into();
        sam_entry["candidate"] = serde_json::json!({
            "fingerprint": other.fingerprint().to_hex(), "cert": null, "seen_at": 1_700_000_000u64, "how": "autocrypt",
        });
        store.write("contacts.age", &contacts).unwrap();
    }
    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       verified"), "{shown}");
    assert!(shown.contains(&format!("other key:   {} NOT VERIFIED", grouped(&other.fingerprint().to_hex()))));
    assert!(shown.contains("no longer blocked: the key seen in the Autocrypt header"), "{shown}");
    let sent = ada.run(&["send", "--to", "sam"], "Back to normal.\n");
    assert_eq!(sent.code, 0, "{sent:?}");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.contains("Back to normal."));
}

#[test]
fn a_key_rotated_with_revoke_old_blocks_the_old_key_until_the_new_one_is_verified() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    sam.ok(&["send", "--to", "ada", "--subject", "Before"], "Written before.\n");
    ada.ok(&["sync"], "");
    let rotated = ada.ok(&["key", "rotate", "--revoke-old", "--reason", "compromised"], "");
    assert!(rotated.stdout.contains("the old key is revoked"), "{rotated:?}");
    let new = ada.fingerprint();

    let synced = sam.ok(&["sync"], "");
    assert!(synced.stderr.contains("ada <ada@practice.example> announced a new key"), "{synced:?}");
    assert!(synced.stderr.contains("revoked the key you verified"), "{synced:?}");
    let refused = sam.run(&["send", "--to", "ada"], "Still there?\n");
    assert_eq!(refused.code, 3, "nothing goes to a revoked key: {refused:?}");
    let shown = sam.ok(&["contact", "show", "ada"], "").stdout;
    assert!(shown.contains("state:       revoked") && shown.contains("compromised"), "{shown}");

    sam.ok(&["contact", "verify", "ada", "--fingerprint", &new], "");
    sam.ok(&["send", "--to", "ada", "--subject", "After"], "Written to the new key.\n");
    ada.ok(&["sync"], "");
    assert!(ada.ok(&["read", "--last"], "").stdout.contains("Written to the new key."));
}
