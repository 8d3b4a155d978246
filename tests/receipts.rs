//! Signed read receipts between homes on local Maildirs: the round trip,
//! forged and misdirected receipts, and the reader's controls.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{pair, pgp_mime, Gpg, Person, World};
use sealpost::keys;
use sealpost::message::new_message_id;
use sealpost::message::receipt::{self, ReceiptDraft, Sending};
use sequoia_openpgp::Cert;
use serde_json::Value;

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn unix(rfc3339: &Value) -> i64 {
    mail_parser::DateTime::parse_rfc3339(rfc3339.as_str().expect("a time")).expect("an RFC 3339 time").to_timestamp()
}

/// `sealpost status ID --json`.
fn status(person: &Person, id: &str) -> Value {
    serde_json::from_str(&person.ok(&["status", id, "--json"], "").stdout).expect("status prints JSON")
}

fn receipt_draft(from: &str, to: &str, original: &str, digest: &str) -> ReceiptDraft {
    ReceiptDraft {
        from_name: "Someone".to_string(),
        from_address: from.to_string(),
        to_address: to.to_string(),
        original_message_id: original.to_string(),
        original_subject: None,
        original_sha256: digest.to_string(),
        sending: Sending::Automatically,
        message_id: new_message_id(from),
        date: SystemTime::now(),
    }
}

/// A well-formed receipt signed by `signer`, encrypted to `recipient`.
fn forged(signer: &Cert, from: &str, recipient: &Cert, to: &str, original: &str, digest: &str) -> Vec<u8> {
    receipt::compose(&receipt_draft(from, to, original, digest), signer, recipient).unwrap().raw
}

#[test]
fn receipt_comes_back_signed_and_marks_the_message_read() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    ada.ok(&["send", "--to", "sam", "--subject", "Crisis plan"], "Call the line at any hour.\n");
    let before = status(&ada, "1");
    assert_eq!(before["state"], "sent");
    assert_eq!(before["receipt_requested"], true);
    assert_eq!(before["digest_matches"], false, "no receipt yet");
    // The request is inside the encryption only.
    let wire = std::fs::read_to_string(&sam.delivered(&world)[0]).unwrap();
    assert!(!wire.contains("Disposition-Notification-To"), "{wire}");

    sam.ok(&["sync"], "");
    let opened_from = unix_now();
    let read = sam.ok(&["read", "1"], "");
    let opened_until = unix_now();
    assert!(read.stderr.contains("sent a signed read receipt to ada <ada@practice.example>"), "{read:?}");
    assert_eq!(ada.delivered(&world).len(), 1, "one receipt on its way to Ada");
    assert_eq!(sam.outbox_len(), 0);
    let wire = std::fs::read_to_string(&ada.delivered(&world)[0]).unwrap();
    assert!(wire.contains("multipart/encrypted") && !wire.contains("disposition-notification"), "{wire}");

    // Reading again sends nothing more.
    let again = sam.ok(&["read", "1"], "");
    assert!(!again.stderr.contains("receipt"), "{again:?}");
    assert_eq!(ada.delivered(&world).len(), 1);
    assert_eq!(sam.outbox_len(), 0);

    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("was read by sam at"), "{synced:?}");
    assert!(synced.stdout.contains("read receipt: \"Crisis plan\" was read by sam"), "by subject: {synced:?}");
    let after = status(&ada, "1");
    assert_eq!(after["state"], "read");
    assert_eq!(after["read_by"], "sam@client.example");
    assert_eq!(after["receipt_signer"], sam.fingerprint().as_str());
    assert_eq!(after["digest_matches"], true);
    let read_at = unix(&after["read_at"]);
    assert!(opened_from <= read_at && read_at <= opened_until, "{read_at} not in {opened_from}..={opened_until}");

    let listed = ada.ok(&["sent"], "");
    assert!(listed.stdout.contains("read 20") && listed.stdout.contains("by sam"), "{listed:?}");
    let shown = ada.ok(&["status", "1"], "");
    assert!(shown.stdout.contains("Digest:   matches the content that was sent"), "{shown:?}");
    assert!(shown.stdout.contains(&keys::grouped(&sam.fingerprint().parse().unwrap())), "{shown:?}");
    // A receipt is not a message in the inbox.
    let inbox = ada.ok(&["inbox"], "");
    assert!(inbox.stdout.contains("no messages"), "{inbox:?}");
    assert!(ada.run(&["read", "--last"], "").code != 0);
}

/// Ada has sent one message to Sam; every forged or misdirected receipt is
/// rejected and recorded, and the message stays `sent`.
#[test]
fn forged_and_misdirected_receipts_are_rejected_and_change_nothing() {
    let world = World::new();
    let (ada, ada_key) = world.person_with_key("ada", "Dr. Ada Moss", "ada@practice.example");
    let (sam, sam_key) = world.person_with_key("sam", "Sam Lee", "sam@client.example");
    let (bob, bob_key) = world.person_with_key("bob", "Bob Ray", "bob@client.example");
    let mallory_key = keys::generate("Sam Lee", "sam@client.example").unwrap();
    ada.trust("sam", &sam, world.path());
    ada.trust("bob", &bob, world.path());
    sam.trust("ada", &ada, world.path());

    ada.ok(&["send", "--to", "sam", "--subject", "Worksheet"], "Fill it in before Thursday.\n");
    ada.ok(&["send", "--to", "sam", "--subject", "Second note"], "And this one too.\n");
    let first = status(&ada, "1");
    let (first_id, first_digest) =
        (first["message_id"].as_str().unwrap().to_string(), first["content_sha256"].as_str().unwrap().to_string());
    let second_id = status(&ada, "2")["message_id"].as_str().unwrap().to_string();
    let (sam_addr, ada_addr) = ("sam@client.example", "ada@practice.example");

    let gpg = Gpg::new(&world);
    gpg.ok(&["--import"], &std::fs::read(ada.export_key(world.path())).unwrap());
    let unsigned_inner = receipt::inner_entity(&receipt_draft(sam_addr, ada_addr, &first_id, &first_digest)).unwrap();
    let unsigned =
        gpg.ok(&["--armor", "--encrypt", "--recipient", ada_addr, "--compress-algo", "none"], &unsigned_inner);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "signed by a verified contact who was not a recipient",
            forged(&bob_key, "bob@client.example", &ada_key, ada_addr, &first_id, &first_digest),
            "who was not a recipient",
        ),
        ("with a wrong digest", forged(&sam_key, sam_addr, &ada_key, ada_addr, &first_id, &"0".repeat(64)), "digest"),
        (
            "for a Message-ID that was never sent",
            forged(&sam_key, sam_addr, &ada_key, ada_addr, "<never-sent@practice.example>", &first_digest),
            "which you never sent",
        ),
        (
            "for the second message with the digest of the first",
            forged(&sam_key, sam_addr, &ada_key, ada_addr, &second_id, &first_digest),
            "digest",
        ),
        (
            "encrypted but not signed",
            pgp_mime(sam_addr, ada_addr, "<unsigned@client.example>", &String::from_utf8(unsigned).unwrap()),
            "unsigned",
        ),
        (
            "not encrypted at all",
            receipt::inner_entity(&receipt_draft(sam_addr, ada_addr, &first_id, &first_digest)).unwrap(),
            "not-encrypted",
        ),
        // Another key for Sam's address: a sighting, and the receipt is rejected.
        (
            "signed by a key that is not pinned",
            forged(&mallory_key, sam_addr, &ada_key, ada_addr, &first_id, &first_digest),
            "unverified-key",
        ),
    ];
    let rejected_then_unchanged = |what: &str| {
        let synced = ada.ok(&["sync"], "");
        assert!(synced.stderr.contains("rejected a read receipt"), "a receipt {what}: {synced:?}");
        assert!(!synced.stdout.contains("was read by"), "a receipt {what}: {synced:?}");
        for id in ["1", "2"] {
            let state = status(&ada, id);
            assert_eq!(state["state"], "sent", "a receipt {what}: {state}");
            assert_eq!(state["read_at"], Value::Null, "a receipt {what}");
        }
        synced
    };
    for (what, raw, reason) in &cases {
        ada.receive_raw(&world, raw);
        let synced = rejected_then_unchanged(what);
        assert!(synced.stderr.contains(reason), "a receipt {what}: {synced:?}");
    }

    // Each rejection that decrypted far enough to name the first message
    // is recorded with it: the non-recipient, the wrong digest, the
    // unsigned one and the unpinned key.
    let recorded = status(&ada, "1")["rejected_receipts"].as_array().unwrap().len();
    assert_eq!(recorded, 4, "{}", status(&ada, "1"));
    assert!(ada.ok(&["status", "1"], "").stdout.contains("Rejected: a receipt from"));
    assert!(ada.ok(&["inbox"], "").stdout.contains("no messages"), "receipts are never listed as messages");

    // Another key seen for Sam's address is only a sighting: his genuine
    // receipt for the second message is accepted ...
    sam.ok(&["sync"], "");
    sam.ok(&["read", "2"], "");
    let genuine = ada.delivered(&world).last().cloned().unwrap();
    let genuine_raw = std::fs::read(&genuine).unwrap();
    assert!(ada.ok(&["sync"], "").stdout.contains("was read by sam"));
    let read_at = status(&ada, "2")["read_at"].clone();
    assert_ne!(read_at, Value::Null);

    // ... and a replay of it, dressed up as being about the first message,
    // is recognised and changes nothing: the second keeps its time, the
    // first stays unread.
    let replay = String::from_utf8(genuine_raw)
        .unwrap()
        .replace("Message-ID: <", "Message-ID: <replayed-")
        .replace("Subject: ...", &format!("Subject: ...\r\nIn-Reply-To: {first_id}"));
    assert!(replay.contains("replayed-"));
    ada.receive_raw(&world, replay.as_bytes());
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 duplicate(s) of stored messages ignored"), "{synced:?}");
    assert!(!synced.stdout.contains("was read by"), "{synced:?}");
    assert_eq!(status(&ada, "2")["read_at"], read_at);
    assert_eq!(status(&ada, "1")["state"], "sent");
}

/// A config edit setting `receipts = VALUE`.
fn setting(value: &'static str) -> impl FnOnce(String) -> String {
    move |text| {
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("receipts =")).collect();
        format!("receipts = \"{value}\"\n{}\n", kept.join("\n"))
    }
}

#[test]
fn reader_settings_and_flags_send_no_receipt() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let nothing_sent = |sam: &Person| {
        assert_eq!(sam.outbox_len(), 0, "nothing in Sam's outbox");
        assert!(ada.delivered(&world).is_empty(), "nothing delivered to Ada");
    };

    // receipts = "never" in the reader's config.
    sam.edit_config(setting("never"));
    ada.ok(&["send", "--to", "sam", "--subject", "One"], "First.\n");
    sam.ok(&["sync"], "");
    sam.ok(&["read", "1"], "");
    nothing_sent(&sam);

    // read --no-receipt, with the default setting back.
    sam.edit_config(setting("send"));
    ada.ok(&["send", "--to", "sam", "--subject", "Two"], "Second.\n");
    sam.ok(&["sync"], "");
    let read = sam.ok(&["read", "2", "--no-receipt"], "");
    assert!(read.stderr.contains("none was sent (--no-receipt)"), "{read:?}");
    nothing_sent(&sam);

    // receipts = "ask" without a terminal: nothing prompts, nothing is sent.
    sam.edit_config(setting("ask"));
    let read = sam.ok(&["read", "2"], "y\n");
    assert!(read.stderr.contains("no terminal"), "{read:?}");
    nothing_sent(&sam);
    sam.edit_config(setting("send"));

    // The sender did not ask: send --no-receipt ...
    ada.ok(&["send", "--to", "sam", "--subject", "Three", "--no-receipt"], "Third.\n");
    assert_eq!(status(&ada, "3")["receipt_requested"], false);
    // ... or request_receipts = false.
    ada.edit_config(|text| text.replace("request_receipts = true", "request_receipts = false"));
    ada.ok(&["send", "--to", "sam", "--subject", "Four"], "Fourth.\n");
    assert_eq!(status(&ada, "4")["receipt_requested"], false);
    sam.ok(&["sync"], "");
    sam.ok(&["read", "3"], "");
    sam.ok(&["read", "4"], "");
    nothing_sent(&sam);
    assert!(ada.ok(&["sent"], "").stdout.contains("sent (no receipt asked)"));
}

#[test]
fn a_message_from_an_unverified_sender_gets_no_receipt() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    // Sam pinned Ada's key but has not verified it.
    let key = ada.export_key(world.path());
    sam.ok(&["contact", "add", "ada", "ada@practice.example", "--key", key.to_str().unwrap()], "");

    ada.ok(&["send", "--to", "sam", "--subject", "Hello"], "Welcome.\n");
    sam.ok(&["sync"], "");
    let read = sam.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(!read.all().contains("read receipt"), "{read:?}");
    assert_eq!(sam.outbox_len(), 0);
    assert!(ada.delivered(&world).is_empty());

    // Once verified, reading answers the request.
    sam.ok(&["contact", "verify", "ada", "--fingerprint", &ada.fingerprint()], "");
    let read = sam.ok(&["read", "1"], "");
    assert!(read.stderr.contains("sent a signed read receipt"), "{read:?}");
    assert_eq!(ada.delivered(&world).len(), 1);
}
