//! One hostile message costs one message: it cannot crash `sync` or
//! `read`, exhaust memory or time, or keep the next message from arriving.

mod common;

use std::io::Write;

use common::{pgp_mime, run_measured, World};
use sealpost::keys::POLICY;
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::stream::{Armorer, Compressor, Encryptor, LiteralWriter, Message, Recipient, Signer};
use sequoia_openpgp::types::CompressionAlgorithm;
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

/// Sam's message to Ada, sealed with `wrap` between the signer and the
/// literal data, and a good message from Sam after it; Ada syncs.
fn deliver_and_sync(world: &World, ada: &common::Person, sam: &common::Person, binary: &[u8]) -> common::Run {
    let raw = pgp_mime("sam@client.example", "ada@practice.example", "<hostile@x>", &armored(binary));
    ada.receive_raw(world, &raw);
    good_message_from_sam(sam);
    ada.run(&["sync"], "")
}

/// 1 GiB of zeros, written in chunks so the test never holds it.
fn gigabyte_of_zeros(w: &mut dyn Write) {
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        w.write_all(&chunk).unwrap();
    }
}

fn bzip2(message: Message<'_>) -> Message<'_> {
    Compressor::new(message).algo(CompressionAlgorithm::BZip2).build().unwrap()
}

#[test]
fn compression_bomb_is_refused_within_bounded_memory() {
    let world = World::new();
    let (ada, sam, ada_cert, sam_cert) = ada_and_sam(&world);
    let started = std::time::Instant::now();
    let bomb = sealed_by_sam(&sam_cert, &ada_cert, bzip2, gigabyte_of_zeros);
    eprintln!("made the bomb in {:.1} s", started.elapsed().as_secs_f64());
    assert!(bomb.len() < 64 * 1024, "a small message: {} bytes", bomb.len());
    let raw = pgp_mime("sam@client.example", "ada@practice.example", "<bomb@x>", &armored(&bomb));
    ada.receive_raw(&world, &raw);
    good_message_from_sam(&sam);

    let (sync, sync_kib) = run_measured(ada.command().arg("sync"));
    assert_eq!(sync.code, 0, "{sync:?}");
    eprintln!("sync of the bomb: peak RSS {} MiB after {:.1} s", sync_kib / 1024, started.elapsed().as_secs_f64());
    assert!(sync_kib < 200 * 1024, "sync peaked at {sync_kib} KiB");
    let ids = listed(&ada, &["malformed", "verified"]);
    let (read, read_kib) = run_measured(ada.command().args(["read", &ids[0]]));
    eprintln!("read of the bomb: peak RSS {} MiB", read_kib / 1024);
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.contains("NOT VERIFIED: malformed"), "{read:?}");
    assert!(read.stdout.contains("exceeds the size limit"), "{read:?}");
    assert!(read_kib < 200 * 1024, "read peaked at {read_kib} KiB");
    assert!(ada.run(&["read", &ids[1]], "").stdout.contains("GOOD-BODY-TEXT"));
}

#[test]
fn nested_compression_is_unsupported() {
    let world = World::new();
    let (ada, sam, ada_cert, sam_cert) = ada_and_sam(&world);
    let body = inner("Nested", "NESTED-BODY-TEXT\r\n");
    let nested = sealed_by_sam(&sam_cert, &ada_cert, |m| bzip2(bzip2(m)), |w| w.write_all(&body).unwrap());
    let sync = deliver_and_sync(&world, &ada, &sam, &nested);
    assert_eq!(sync.code, 0, "{sync:?}");
    let ids = listed(&ada, &["unsupported", "verified"]);
    let read = ada.run(&["read", &ids[0]], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.contains("NOT VERIFIED: unsupported"), "{read:?}");
    assert!(read.stdout.contains("more than one compression layer"), "{read:?}");
    assert!(!read.all().contains("NESTED-BODY-TEXT"), "{read:?}");
}

/// The recipient packet of `binary` for `cert`, made anonymous (wildcard
/// key ID), serialized.
fn anonymous_recipient(binary: &[u8], cert: &Cert) -> Vec<u8> {
    use sequoia_openpgp::packet::PKESK;
    use sequoia_openpgp::serialize::MarshalInto;
    let pile = sequoia_openpgp::PacketPile::from_bytes(binary).unwrap();
    let mut pkesk = pile
        .children()
        .find_map(|p| match p {
            sequoia_openpgp::Packet::PKESK(PKESK::V3(pkesk))
                if pkesk.recipient().is_some_and(|r| cert.keys().any(|k| k.key().keyid() == *r)) =>
            {
                Some(pkesk.clone())
            }
            _ => None,
        })
        .expect("a recipient packet for the cert");
    pkesk.set_recipient(None);
    sequoia_openpgp::Packet::from(PKESK::from(pkesk)).to_vec().unwrap()
}

/// Sam's message to Ada behind `count` anonymous copies of its recipient
/// packet for Sam: each one costs Ada a decryption attempt per key.
fn behind_anonymous_recipients(binary: &[u8], sam: &Cert, count: usize) -> Vec<u8> {
    let mut out = anonymous_recipient(binary, sam).repeat(count);
    out.extend_from_slice(binary);
    out
}

#[test]
fn thousands_of_anonymous_recipients_are_refused() {
    let world = World::new();
    let (ada, sam, ada_cert, sam_cert) = ada_and_sam(&world);
    let body = inner("Many", "MANY-BODY-TEXT\r\n");
    let binary = sealed_by_sam(&sam_cert, &ada_cert, |m| m, |w| w.write_all(&body).unwrap());
    let sync = deliver_and_sync(&world, &ada, &sam, &behind_anonymous_recipients(&binary, &sam_cert, 20_000));
    assert_eq!(sync.code, 0, "{sync:?}");
    let ids = listed(&ada, &["unsupported", "verified"]);
    let read = ada.run(&["read", &ids[0]], "");
    assert!(read.stdout.contains("too many recipients"), "{read:?}");
}

#[test]
fn only_the_first_four_anonymous_recipients_are_tried() {
    let world = World::new();
    let (ada, _sam, ada_cert, sam_cert) = ada_and_sam(&world);
    let body = inner("Anon", "ANON-BODY-TEXT\r\n");
    let binary = sealed_by_sam(&sam_cert, &ada_cert, |m| m, |w| w.write_all(&body).unwrap());
    // Anonymous packets that are not Ada's, before Ada's own packet made
    // anonymous too: found among the first four, not after them.
    let for_ada = |decoys: usize| {
        let mut message = anonymous_recipient(&binary, &sam_cert).repeat(decoys);
        message.extend(anonymous_recipient(&binary, &ada_cert));
        message.extend(strip_recipient(&binary, &ada_cert));
        message
    };
    for (decoys, expected) in [(3, "verified"), (4, "undecryptable")] {
        let raw = pgp_mime(
            "sam@client.example",
            "ada@practice.example",
            &format!("<anon{decoys}@x>"),
            &armored(&for_ada(decoys)),
        );
        ada.receive_raw(&world, &raw);
        ada.ok(&["sync"], "");
        let statuses = statuses(&ada);
        assert!(statuses.iter().any(|(s, _)| s == expected), "{decoys} decoys: {statuses:?}");
    }
}

/// The message without its recipient packet for `cert`.
fn strip_recipient(binary: &[u8], cert: &Cert) -> Vec<u8> {
    use sequoia_openpgp::serialize::Marshal;
    let pile = sequoia_openpgp::PacketPile::from_bytes(binary).unwrap();
    let mut out = Vec::new();
    for packet in pile.into_children() {
        if let sequoia_openpgp::Packet::PKESK(pkesk) = &packet {
            if pkesk.recipient().is_some_and(|r| cert.keys().any(|k| r.aliases(k.key().key_handle()))) {
                continue;
            }
        }
        packet.serialize(&mut out).unwrap();
    }
    out
}

#[test]
fn too_many_signatures_are_refused() {
    let world = World::new();
    let (ada, sam, ada_cert, sam_cert) = ada_and_sam(&world);
    let body = inner("Signed", "SIGNED-BODY-TEXT\r\n");
    let others: Vec<Cert> =
        (0..17).map(|i| sealpost::keys::generate("Other", &format!("o{i}@x.example")).unwrap()).collect();
    let binary = sealed_by_sam(
        &sam_cert,
        &ada_cert,
        |m| {
            let mut signer = Signer::new(m, sealpost::keys::signing_key(&others[0]).unwrap()).unwrap();
            for other in &others[1..] {
                signer = signer.add_signer(sealpost::keys::signing_key(other).unwrap()).unwrap();
            }
            signer.build().unwrap()
        },
        |w| w.write_all(&body).unwrap(),
    );
    let sync = deliver_and_sync(&world, &ada, &sam, &binary);
    assert_eq!(sync.code, 0, "{sync:?}");
    let ids = listed(&ada, &["unsupported", "verified"]);
    let read = ada.run(&["read", &ids[0]], "");
    assert!(read.stdout.contains("too many signatures"), "{read:?}");
}

/// By hand, with the release build: `cargo test --release --test
/// hostile_mail -- --ignored --nocapture`. Prints how long Ada's sync of a
/// message behind 100,000 anonymous recipient packets takes.
#[test]
#[ignore]
fn time_to_sync_a_hundred_thousand_anonymous_recipients() {
    let world = World::new();
    let (ada, _sam, ada_cert, sam_cert) = ada_and_sam(&world);
    let body = inner("Many", "MANY-BODY-TEXT\r\n");
    let binary = sealed_by_sam(&sam_cert, &ada_cert, |m| m, |w| w.write_all(&body).unwrap());
    let raw = pgp_mime(
        "sam@client.example",
        "ada@practice.example",
        "<many@x>",
        &armored(&behind_anonymous_recipients(&binary, &sam_cert, 100_000)),
    );
    eprintln!("message of {} bytes", raw.len());
    ada.receive_raw(&world, &raw);
    let started = std::time::Instant::now();
    let sync = ada.ok(&["sync"], "");
    eprintln!("sync took {:.2} s: {}", started.elapsed().as_secs_f64(), sync.stdout.trim());
    eprintln!("{:?}", statuses(&ada));
}
