//! One hostile message costs one message: it cannot crash `sync` or
//! `read`, exhaust memory or time, or keep the next message from arriving.

mod common;

use std::io::Write;

use common::{pgp_mime, World};
use sealpost::keys::POLICY;
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message, Recipient, Signer};
use sequoia_openpgp::Cert;

/// Ada, and Sam whose secret key the test holds; each has verified the other.
fn ada_and_sam(world: &World) -> (common::Person, common::Person, Cert, Cert) {
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let (sam, sam_cert) = world.person_with_key("sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());
    let ada_cert = Cert::from_file(ada.export_key(world.path())).unwrap();
    (ada, sam, ada_cert, sam_cert)
}

/// A binary OpenPGP message signed by Sam and encrypted to Ada and Sam;
/// `write` writes the literal data, through whatever layers `wrap` adds
/// between the signer and the literal packet.
fn sealed_by_sam(
    sam: &Cert,
    ada: &Cert,
    wrap: impl for<'a> FnOnce(Message<'a>) -> Message<'a>,
    write: impl FnOnce(&mut dyn Write),
) -> Vec<u8> {
    let recipients: Vec<Recipient> = [ada, sam]
        .into_iter()
        .flat_map(|cert| {
            cert.keys().with_policy(&POLICY, None).supported().for_transport_encryption().map(Recipient::from)
        })
        .collect();
    let mut sink = Vec::new();
    let message = Message::new(&mut sink);
    let message = Encryptor::for_recipients(message, recipients).build().unwrap();
    let message = Signer::new(message, sealpost::keys::signing_key(sam).unwrap())
        .unwrap()
        .add_intended_recipient(ada)
        .build()
        .unwrap();
    let message = wrap(message);
    let mut literal = LiteralWriter::new(message).build().unwrap();
    write(&mut literal);
    literal.finalize().unwrap();
    sink
}

fn armored(binary: &[u8]) -> String {
    let mut sink = Vec::new();
    let mut armor = Armorer::new(Message::new(&mut sink)).kind(sequoia_openpgp::armor::Kind::Message).build().unwrap();
    armor.write_all(binary).unwrap();
    armor.finalize().unwrap();
    String::from_utf8(sink).unwrap()
}

fn inner(subject: &str, body: &str) -> Vec<u8> {
    common::inner_entity("sam@client.example", "ada@practice.example", subject, "<inner@client.example>", body)
}

/// The messages `inbox --json` lists, as (status, id), sorted by status.
fn statuses(person: &common::Person) -> Vec<(String, String)> {
    let inbox: serde_json::Value = serde_json::from_str(&person.ok(&["inbox", "--json"], "").stdout).unwrap();
    let mut listed: Vec<(String, String)> = inbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["status"].as_str().unwrap().to_string(), m["id"].to_string()))
        .collect();
    listed.sort();
    listed
}

/// Whether `inbox` lists exactly these statuses; returns the IDs in order.
fn listed(person: &common::Person, expected: &[&str]) -> Vec<String> {
    let listed = statuses(person);
    let names: Vec<&str> = listed.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, expected);
    listed.into_iter().map(|(_, id)| id).collect()
}

/// Sam sends Ada an ordinary message through sealpost.
fn good_message_from_sam(sam: &common::Person) {
    sam.ok(&["send", "--to", "ada", "--subject", "Still there?"], "GOOD-BODY-TEXT\n");
}

#[test]
fn message_cut_off_inside_the_encrypted_packet_does_not_stop_sync() {
    let world = World::new();
    let (ada, sam, ada_cert, sam_cert) = ada_and_sam(&world);
    let body = inner("Plan", "SECRET-BODY-TEXT\r\n");
    let binary = sealed_by_sam(&sam_cert, &ada_cert, |m| m, |w| w.write_all(&body).unwrap());
    // The recipient packets, then the encryption container's two-byte
    // header; keep 30 bytes of its body: enough for the block and check
    // bytes, too short for the MDC.
    let pile = sequoia_openpgp::PacketPile::from_bytes(&binary).unwrap();
    let recipients: usize = pile
        .children()
        .take_while(|p| p.tag() == sequoia_openpgp::packet::Tag::PKESK)
        .map(sequoia_openpgp::serialize::MarshalInto::serialized_len)
        .sum();
    let cut = armored(&binary[..recipients + 2 + 30]);
    ada.receive_raw(&world, &pgp_mime("sam@client.example", "ada@practice.example", "<cut@x>", &cut));
    good_message_from_sam(&sam);

    let sync = ada.run(&["sync"], "");
    assert_eq!(sync.code, 0, "{sync:?}");
    assert!(!sync.stderr.contains("panicked"), "{sync:?}");
    let ids = listed(&ada, &["tampered", "verified"]);
    let read = ada.run(&["read", &ids[1]], "");
    assert_eq!(read.code, 0, "{read:?}");
    assert!(read.stdout.contains("GOOD-BODY-TEXT"), "{read:?}");
    let read = ada.run(&["read", &ids[0]], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.contains("NOT VERIFIED: tampered"), "{read:?}");
}
