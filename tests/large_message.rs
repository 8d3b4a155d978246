//! A message larger than the inflation allowance (64 MiB) that is not
//! compressed reads: the size limit is on inflation, not on what a sender
//! chose to send. In its own test binary: it holds ~300 MB in the test
//! process, which a child forked by another test would count as its own
//! peak memory.

mod common;

use std::io::Write;

use common::World;
use sealpost::keys::POLICY;
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient, Signer};
use sequoia_openpgp::Cert;

#[test]
fn a_large_message_that_is_not_compressed_is_not_refused_as_a_bomb() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let (sam, sam_cert) = world.person_with_key("sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    let ada_cert = Cert::from_file(ada.export_key(world.path())).unwrap();

    let line = "Session notes, a long record kept for years. ".repeat(2) + "\r\n";
    let body = line.repeat(65 * 1024 * 1024 / line.len() + 1) + "LARGE-BODY-END\r\n";
    let content = common::inner_entity("sam@client.example", "ada@practice.example", "Large", "<large@x>", &body);
    assert!(content.len() > 65 * 1024 * 1024);
    let recipients: Vec<Recipient> = ada_cert
        .keys()
        .with_policy(&POLICY, None)
        .supported()
        .for_transport_encryption()
        .map(Recipient::from)
        .collect();
    let mut sealed = Vec::new();
    let message = Encryptor::for_recipients(Message::new(&mut sealed), recipients).build().unwrap();
    let message = Signer::new(message, sealpost::keys::signing_key(&sam_cert).unwrap()).unwrap().build().unwrap();
    let mut literal = LiteralWriter::new(message).build().unwrap();
    literal.write_all(&content).unwrap();
    literal.finalize().unwrap();
    drop(content);
    // Binary in base64, as PGP/MIME allows: the same limits apply, and an
    // unoptimised test build spends a minute less than on armor.
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&sealed);
    drop(sealed);
    let lines: Vec<&str> = encoded.as_bytes().chunks(76).map(|l| std::str::from_utf8(l).unwrap()).collect();
    let raw = format!(
        "From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: ...\r\nMessage-ID: <large@x>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; \
         boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
         --b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        lines.join("\r\n")
    );
    ada.receive_raw(&world, raw.as_bytes());
    ada.ok(&["sync"], "");
    let inbox: serde_json::Value = serde_json::from_str(&ada.ok(&["inbox", "--json"], "").stdout).unwrap();
    let message = &inbox["messages"][0];
    assert_eq!(message["status"], "verified", "{inbox}");
    let read = ada.ok(&["read", &message["id"].to_string()], "");
    assert!(read.stdout.contains("LARGE-BODY-END"), "{}", &read.stdout[read.stdout.len().saturating_sub(300)..]);
}
