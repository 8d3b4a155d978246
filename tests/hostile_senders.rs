//! Mail from anyone can inform, never act: nothing an outsider sends can
//! hide or replace a genuine message, appear under a contact's name, or be
//! shown as if it were verified. Each attack is followed by a genuine
//! message that must still arrive verified.

mod common;

use common::{ada_and_gpg_sam, inner_entity, pair, pgp_mime, Gpg, Person, World};
use serde_json::Value;

fn inbox(person: &Person) -> Vec<Value> {
    let listed: Value = serde_json::from_str(&person.ok(&["inbox", "--json"], "").stdout).unwrap();
    listed["messages"].as_array().unwrap().clone()
}

/// Sam sends Ada a note; returns its wire bytes (taken out of Ada's
/// Maildir) and its protected Message-ID.
fn genuine_note(world: &World, ada: &Person, sam: &Person, body: &str) -> (Vec<u8>, String) {
    sam.ok(&["send", "--to", "ada", "--subject", "Thursday"], body);
    let sent: Value = serde_json::from_str(&sam.ok(&["sent", "--json"], "").stdout).unwrap();
    let message_id = sent["messages"].as_array().unwrap().last().unwrap()["message_id"].as_str().unwrap().to_string();
    let files = ada.delivered(world);
    let raw = std::fs::read(files.last().unwrap()).unwrap();
    std::fs::remove_file(files.last().unwrap()).unwrap();
    (raw, message_id)
}

#[test]
fn the_protected_message_id_is_not_shown_in_transit() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let (raw, message_id) = genuine_note(&world, &ada, &sam, "See you.\n");
    let wire = String::from_utf8(raw).unwrap();
    assert!(!wire.contains(&message_id), "the real Message-ID {message_id} is visible outside:\n{wire}");
    assert!(wire.contains("Message-ID: <"), "an outer Message-ID for delivery: {wire}");
}

#[test]
fn a_plain_mail_with_the_message_id_of_a_genuine_one_does_not_hide_it() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let (genuine, message_id) = genuine_note(&world, &ada, &sam, "GENUINE-NOTE\n");
    // It arrives first, carrying the genuine note's Message-ID.
    let forged = format!(
        "From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: Thursday\r\n\
         Message-ID: {message_id}\r\n\r\nignore the next message\r\n"
    );
    ada.receive_raw(&world, forged.as_bytes());
    ada.ok(&["sync"], "");
    ada.receive_raw(&world, &genuine);
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 new message(s): 1 verified"), "{synced:?}");
    let messages = inbox(&ada);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[1]["status"], "verified");
    assert!(ada.ok(&["read", "2"], "").stdout.contains("GENUINE-NOTE"));
}

#[test]
fn a_damaged_copy_that_arrives_first_does_not_hide_the_intact_one() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let (genuine, _) = genuine_note(&world, &ada, &sam, "INTACT-NOTE\n");
    let text = String::from_utf8(genuine.clone()).unwrap();
    // A byte inside the encrypted data, near its end.
    let body = text.find("-----END PGP MESSAGE-----").unwrap() - 80;
    let mut damaged = genuine.clone();
    damaged[body] = if damaged[body] == b'A' { b'B' } else { b'A' };
    ada.receive_raw(&world, &damaged);
    ada.ok(&["sync"], "");
    assert_ne!(inbox(&ada)[0]["status"], "verified");
    ada.receive_raw(&world, &genuine);
    ada.ok(&["sync"], "");
    let messages = inbox(&ada);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[1]["status"], "verified", "{messages:?}");
    assert!(ada.ok(&["read", "2"], "").stdout.contains("INTACT-NOTE"));
    // The very same bytes again are one message, not two.
    ada.receive_raw(&world, &genuine);
    assert!(ada.ok(&["sync"], "").stdout.contains("1 duplicate(s)"));
    assert_eq!(inbox(&ada).len(), 2);
}

fn gpg_mail(gpg: &Gpg, args: &[&str], from: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    let inner = inner_entity(from, "ada@practice.example", subject, id, body);
    let mut all = vec!["--armor"];
    all.extend_from_slice(args);
    let armored = String::from_utf8(gpg.ok(&all, &inner)).unwrap();
    pgp_mime("sam@client.example", "ada@practice.example", id, &armored)
}

const SIGN: &[&str] =
    &["--sign", "--encrypt", "--local-user", "sam@client.example", "--recipient", "ada@practice.example"];

#[test]
fn unverified_content_is_withheld_unless_asked_for() {
    let world = World::new();
    let (ada, gpg) = ada_and_gpg_sam(&world);
    // Anyone with Ada's public key can encrypt text "from" her client.
    let unsigned = gpg_mail(
        &gpg,
        &["--encrypt", "--recipient", "ada@practice.example"],
        "Sam Lee <sam@client.example>",
        "Send the notes to my new address",
        "<u1@x>",
        "FORGED-REQUEST\r\n",
    );
    ada.receive_raw(&world, &unsigned);
    ada.ok(&["sync"], "");

    let listed = ada.ok(&["inbox"], "").stdout;
    assert!(!listed.contains("Send the notes") && !listed.contains(" sam "), "{listed}");
    let json = inbox(&ada);
    assert_eq!(json[0]["subject"], Value::Null);
    assert_eq!(json[0]["contact"], Value::Null);

    let read = ada.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.starts_with("Status:  NOT VERIFIED: unsigned"), "{read:?}");
    assert!(!read.all().contains("FORGED-REQUEST") && !read.all().contains("Send the notes"), "{read:?}");
    assert!(read.stdout.contains("`sealpost read 1 --unverified`"), "{read:?}");
    let read_json: Value = serde_json::from_str(&ada.run(&["read", "1", "--json"], "").stdout).unwrap();
    assert_eq!(read_json["content"], Value::Null);
    assert!(ada.ok(&["inbox", "--unread"], "").stdout.contains("unsigned"), "withheld is not read");

    let shown = ada.run(&["read", "1", "--unverified"], "");
    assert_eq!(shown.code, 4, "{shown:?}");
    assert!(shown.stdout.contains("NOT VERIFIED: shown because you asked"), "{shown:?}");
    assert!(shown.stdout.contains("Claims to be: Sam Lee <sam@client.example>"), "{shown:?}");
    assert!(!shown.stdout.contains("\nFrom:"), "{shown:?}");
    assert!(shown.stdout.contains("FORGED-REQUEST"), "{shown:?}");
    let shown_json: Value =
        serde_json::from_str(&ada.run(&["read", "1", "--unverified", "--json"], "").stdout).unwrap();
    assert_eq!(shown_json["content"]["sender_verified"], false);
    assert_eq!(shown_json["content"]["body"], "FORGED-REQUEST\n");

    // A genuine message after it arrives verified.
    ada.receive_raw(&world, &gpg_mail(&gpg, SIGN, "sam@client.example", "Real", "<g1@x>", "REAL-NOTE\r\n"));
    ada.ok(&["sync"], "");
    let read = ada.ok(&["read", "2"], "");
    assert!(read.stdout.starts_with("Status:  verified") && read.stdout.contains("REAL-NOTE"), "{read:?}");
}

#[test]
fn a_verified_message_shows_the_pinned_contact_never_its_own_display_name() {
    let world = World::new();
    let (ada, gpg) = ada_and_gpg_sam(&world);
    let mail =
        gpg_mail(&gpg, SIGN, "IT Manager <sam@client.example>", "Password reset", "<n1@x>", "Genuinely from Sam.\r\n");
    ada.receive_raw(&world, &mail);
    ada.ok(&["sync"], "");
    let read = ada.ok(&["read", "1"], "");
    assert!(read.stdout.contains("From:    sam (Sam Lee <sam@client.example>)"), "{read:?}");
    assert!(!read.stdout.contains("IT Manager"), "{read:?}");
    let json: Value = serde_json::from_str(&ada.ok(&["read", "1", "--json"], "").stdout).unwrap();
    assert_eq!(json["content"]["from_name"], "Sam Lee");
    assert_eq!(json["content"]["sender_verified"], true);
}

#[test]
fn spoofed_plain_mail_is_never_listed_under_a_contact_or_with_its_subject() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    ada.receive_raw(
        &world,
        b"From: Sam Lee <sam@client.example>\r\nTo: ada@practice.example\r\nSubject: URGENT call me\r\n\r\nx\r\n",
    );
    // A genuine note is listed under Sam, with its subject.
    let (genuine, _) = genuine_note(&world, &ada, &sam, "x\n");
    ada.receive_raw(&world, &genuine);
    ada.ok(&["sync"], "");
    let listed = ada.ok(&["inbox"], "").stdout;
    let plain = listed.lines().find(|l| l.contains("not-encrypted")).unwrap();
    assert!(plain.contains("? sam@client.example") && !plain.contains(" sam "), "{listed}");
    assert!(!listed.contains("URGENT"), "{listed}");
    let good = listed.lines().find(|l| l.contains(" verified ")).unwrap();
    assert!(good.contains(" sam ") && good.contains("Thursday"), "{listed}");
}

#[test]
fn a_message_with_two_senders_is_malformed_and_the_next_one_arrives_verified() {
    let world = World::new();
    let (ada, gpg) = ada_and_gpg_sam(&world);
    // Signed by Sam, but naming a second sender inside the encryption.
    let two = gpg_mail(&gpg, SIGN, "sam@client.example, eve@elsewhere.example", "Two", "<t1@x>", "TWO-FROM\r\n");
    ada.receive_raw(&world, &two);
    ada.ok(&["sync"], "");
    let read = ada.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.starts_with("Status:  NOT VERIFIED: malformed"), "{read:?}");
    assert!(!read.all().contains("TWO-FROM"), "{read:?}");
    ada.receive_raw(&world, &gpg_mail(&gpg, SIGN, "sam@client.example", "One", "<t2@x>", "ONE-FROM\r\n"));
    ada.ok(&["sync"], "");
    let good = ada.ok(&["read", "2"], "");
    assert!(good.stdout.starts_with("Status:  verified") && good.stdout.contains("ONE-FROM"), "{good:?}");
}
