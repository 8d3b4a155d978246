//! Interoperability with the system's gpg (2.2): the same wire format both ways.

mod common;

use common::{armored_part, inner_entity, pgp_mime, Gpg, World};
use mail_parser::MimeHeaders;

fn sam_with_gpg_key(world: &World, gpg: &Gpg) -> common::Person {
    world.person_with_gpg_key(gpg, "sam", "Sam Lee", "sam@client.example")
}

#[test]
fn gpg_decrypts_and_verifies_what_sealpost_sent() {
    let world = World::new();
    let gpg = Gpg::new(&world);
    let sam = sam_with_gpg_key(&world, &gpg);
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    ada.trust("sam", &sam, world.path());
    // gpg knows Ada's public key, as a gpg user would after a session.
    let ada_key = std::fs::read(ada.export_key(world.path())).unwrap();
    gpg.ok(&["--import"], &ada_key);

    ada.ok(&["send", "--to", "sam", "--subject", "Appointment"], "Thursday at ten.\n");
    let wire = std::fs::read_to_string(&sam.delivered(&world)[0]).unwrap();
    let out = gpg.run(&["--status-fd", "2", "--decrypt"], armored_part(&wire).as_bytes());
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{status}");
    assert!(status.contains("[GNUPG:] DECRYPTION_OKAY"), "{status}");
    assert!(status.contains("[GNUPG:] GOODSIG"), "{status}");
    assert!(status.contains("Dr. Ada Moss <ada@practice.example>"), "{status}");
    let plain = String::from_utf8_lossy(&out.stdout);
    assert!(plain.contains("Subject: Appointment"), "protected headers inside: {plain}");
    assert!(plain.contains("Thursday at ten."), "{plain}");
    assert!(plain.contains("protected-headers=\"v1\""), "{plain}");
}

#[test]
fn sealpost_reads_a_gpg_signed_and_encrypted_message_as_verified() {
    let world = World::new();
    let gpg = Gpg::new(&world);
    let sam_fpr = gpg.generate("Sam Lee <sam@client.example>");
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let ada_key = std::fs::read(ada.export_key(world.path())).unwrap();
    gpg.ok(&["--import"], &ada_key);
    let sam_public = world.path().join("sam.asc");
    std::fs::write(&sam_public, gpg.ok(&["--armor", "--export", "sam@client.example"], b"")).unwrap();
    ada.ok(&["contact", "add", "sam", "sam@client.example", "--key", sam_public.to_str().unwrap()], "");
    ada.ok(&["contact", "verify", "sam", "--fingerprint", &sam_fpr], "");

    let inner = inner_entity(
        "Sam Lee <sam@client.example>",
        "ada@practice.example",
        "From gpg",
        "<gpg1@client.example>",
        "Written with gpg.\r\n",
    );
    let armored = gpg.ok(
        &[
            "--armor",
            "--sign",
            "--encrypt",
            "--local-user",
            "sam@client.example",
            "--recipient",
            "ada@practice.example",
        ],
        &inner,
    );
    ada.receive_raw(
        &world,
        &pgp_mime(
            "sam@client.example",
            "ada@practice.example",
            "<gpg1@client.example>",
            &String::from_utf8(armored).unwrap(),
        ),
    );
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 verified"), "{synced:?}");
    let read = ada.ok(&["read", "1"], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by sam <sam@client.example>"), "{read:?}");
    assert!(read.stdout.contains("Subject: From gpg"));
    assert!(read.stdout.contains("Written with gpg."));
}

#[test]
fn import_with_the_wrong_key_passphrase_creates_nothing() {
    let world = World::new();
    let gpg = Gpg::new(&world);
    gpg.generate("Sam Lee <sam@client.example>");
    let key_file = gpg.export_secret(&world, "sam@client.example");
    let wrong = world.path().join("wrong.pass");
    std::fs::write(&wrong, "not it").unwrap();
    let sam = world.bare_person("sam", "sam@client.example");
    let run = sam.run(
        &[
            "init",
            "--email",
            "sam@client.example",
            "--import-key",
            key_file.to_str().unwrap(),
            "--key-passphrase-file",
            wrong.to_str().unwrap(),
            "--kdf-work-factor",
            "10",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("wrong passphrase for the imported key"), "{run:?}");
    assert!(!sam.home.exists(), "nothing was created");

    let other = world.bare_person("other", "other@client.example");
    let run = other.run(
        &[
            "init",
            "--email",
            "other@client.example",
            "--import-key",
            key_file.to_str().unwrap(),
            "--kdf-work-factor",
            "10",
        ],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no user ID with the address other@client.example"), "{run:?}");
}

#[test]
fn gpg_decrypts_and_verifies_a_read_receipt_and_it_parses_as_a_disposition_notification() {
    let world = World::new();
    let gpg = Gpg::new(&world);
    // Ada keeps her key in gpg; sealpost adopts it.
    let ada = world.person_with_gpg_key(&gpg, "ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());
    gpg.ok(&["--import"], &std::fs::read(sam.export_key(world.path())).unwrap());

    let sent = ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "The plan we made.\n").stdout;
    let message_id = sent.split_whitespace().nth(1).unwrap().to_string();
    sam.ok(&["sync"], "");
    sam.ok(&["read", "1"], "");
    let wire = std::fs::read_to_string(&ada.delivered(&world)[0]).unwrap();

    let out = gpg.run(&["--status-fd", "2", "--decrypt"], armored_part(&wire).as_bytes());
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{status}");
    assert!(status.contains("[GNUPG:] DECRYPTION_OKAY"), "{status}");
    assert!(status.contains("[GNUPG:] GOODSIG") && status.contains("Sam Lee <sam@client.example>"), "{status}");

    let inner = mail_parser::MessageParser::default().parse(&out.stdout).expect("the inner entity parses");
    let content_type = inner.content_type().expect("a content type");
    assert_eq!((content_type.ctype(), content_type.subtype()), ("multipart", Some("report")));
    assert_eq!(content_type.attribute("report-type"), Some("disposition-notification"));
    let notification = inner
        .parts
        .iter()
        .find(|p| {
            p.content_type()
                .is_some_and(|ct| ct.ctype() == "message" && ct.subtype() == Some("disposition-notification"))
        })
        .expect("a message/disposition-notification part");
    let fields = mail_parser::MessageParser::default().parse_headers(notification.contents()).expect("fields parse");
    let field = |name: &str| fields.header_raw(name).map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
    assert_eq!(field("Original-Message-ID").as_deref(), Some(message_id.as_str()));
    assert_eq!(field("Final-Recipient").as_deref(), Some("rfc822; sam@client.example"));
    assert_eq!(field("Disposition").as_deref(), Some("manual-action/MDN-sent-automatically; displayed"));
    let digest = field("Sealpost-Original-SHA256").expect("the digest field");
    let sent: serde_json::Value = serde_json::from_str(&ada.ok(&["status", "1", "--json"], "").stdout).unwrap();
    assert_eq!(sent["content_sha256"].as_str(), Some(digest.as_str()));
}

#[test]
fn a_key_rotated_with_revoke_old_is_revoked_for_a_gpg_user() {
    let world = World::new();
    let gpg = Gpg::new(&world);
    let sam = sam_with_gpg_key(&world, &gpg);
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    ada.trust("sam", &sam, world.path());
    gpg.ok(&["--import"], &std::fs::read(ada.export_key(world.path())).unwrap());
    let old = ada.fingerprint();
    let validity = |gpg: &Gpg| {
        let listing = String::from_utf8(gpg.ok(&["--with-colons", "--list-keys", &old], b"")).unwrap();
        listing.lines().find(|l| l.starts_with("pub:")).unwrap().split(':').nth(1).unwrap().to_string()
    };
    assert_ne!(validity(&gpg), "r");

    let rotated = ada.ok(&["key", "rotate", "--revoke-old", "--reason", "compromised"], "");
    assert!(rotated.stdout.contains("the old key is revoked"), "{rotated:?}");
    // Sam, with gpg only, decrypts the announcement and imports what it carries.
    let wire = std::fs::read_to_string(&sam.delivered(&world)[0]).unwrap();
    let plain = gpg.ok(&["--decrypt"], armored_part(&wire).as_bytes());
    let inner = mail_parser::MessageParser::default().parse(&plain).unwrap();
    let revocation = inner
        .attachments()
        .find(|a| a.attachment_name() == Some("revoked-old-key.asc"))
        .expect("the revoked old key travels with the announcement");
    gpg.ok(&["--import"], revocation.contents());
    assert_eq!(validity(&gpg), "r", "gpg sees the old key as revoked");
}
