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

/// A large attachment goes out as a stream into the outbox and comes back
/// byte for byte: to the recipient, and from the sender's own sent copy
/// (the queued message became the sent copy by a rename).
#[test]
fn a_large_attachment_is_sent_and_read_back_exactly() {
    let world = World::new();
    let (ada, sam) = common::pair(&world);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let scan: Vec<u8> = (0..30 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let file = world.path().join("scan.pdf");
    std::fs::write(&file, &scan).unwrap();
    let sent = ada.ok(&["send", "--to", "sam", "--subject", "Scan", "--attach", file.to_str().unwrap()], "The scan.\n");
    assert!(sent.stdout.starts_with("sent <"), "{sent:?}");
    assert_eq!(ada.outbox_len(), 0);
    let wire = std::fs::read(&sam.delivered(&world)[0]).unwrap();
    assert!(wire.len() > 40 * 1024 * 1024, "{} bytes", wire.len());
    let lines: Vec<&[u8]> = wire.split(|b| *b == b'\n').collect();
    assert!(lines.last().unwrap().is_empty(), "it ends with a line end");
    for line in &lines[..lines.len() - 1] {
        assert!(line.len() <= 999 && line.ends_with(b"\r"), "CRLF lines a server takes: {line:?}");
    }

    sam.ok(&["sync"], "");
    let saved = world.path().join("saved");
    let read = sam.ok(&["read", "--last", "--save-attachments", saved.to_str().unwrap()], "");
    assert!(read.stdout.contains("The scan."), "{read:?}");
    assert!(std::fs::read(saved.join("scan.pdf")).unwrap() == scan, "the attachment as it was sent");

    let own = world.path().join("own");
    ada.ok(&["sent", "show", "1", "--save-attachments", own.to_str().unwrap()], "");
    assert!(std::fs::read(own.join("scan.pdf")).unwrap() == scan, "the sender's copy");
}
