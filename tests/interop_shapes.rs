//! Messages in the shapes other OpenPGP mail programs send, made with the
//! system's tools: Thunderbird's "signed, then encrypted" (RFC 3156 §6.1: a
//! `multipart/signed` inside the encryption, with a detached signature over
//! the first part), built around gpg's detached signature, with and without
//! its legacy display part, and tampered variants of it, which must never
//! read as verified; and a message signed and encrypted by `sq`.
//! (gpg's own `--sign --encrypt` shape is in gpg_interop.rs.)

mod common;

use common::{pgp_mime, Gpg, Person, World};

const SAM: &str = "sam@client.example";
const ADA: &str = "ada@practice.example";

struct Setup {
    world: World,
    gpg: Gpg,
    ada: Person,
}

/// Ada (sealpost) has verified Sam, whose key lives in gpg.
fn setup() -> Setup {
    let world = World::new();
    let gpg = Gpg::new(&world);
    let sam_fpr = gpg.generate("Sam Lee <sam@client.example>");
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    gpg.ok(&["--import"], &std::fs::read(ada.export_key(world.path())).unwrap());
    let sam_public = world.path().join("sam.asc");
    std::fs::write(&sam_public, gpg.ok(&["--armor", "--export", SAM], b"")).unwrap();
    ada.ok(&["contact", "add", "sam", SAM, "--key", sam_public.to_str().unwrap()], "");
    ada.ok(&["contact", "verify", "sam", "--fingerprint", &sam_fpr], "");
    Setup { world, gpg, ada }
}

/// The part Thunderbird signs: protected headers on a `multipart/mixed`,
/// the legacy display part (when asked), the text and an attachment.
fn signed_part(subject: &str, body: &str, legacy_display: bool) -> String {
    let legacy = if legacy_display {
        format!(
            "--------------mixB0undary\r\nContent-Type: text/plain; charset=UTF-8; protected-headers=\"v1\"\r\n\
             Content-Disposition: inline\r\n\r\nSubject: {subject}\r\n\r\n"
        )
    } else {
        String::new()
    };
    format!(
        "Content-Type: multipart/mixed; boundary=\"------------mixB0undary\";\r\n protected-headers=\"v1\"\r\n\
         From: Sam Lee <{SAM}>\r\nTo: {ADA}\r\nMessage-ID: <tb-{subject}@client.example>\r\n\
         Subject: {subject}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n\
         {legacy}--------------mixB0undary\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n{body}\r\n--------------mixB0undary\r\n\
         Content-Type: application/pdf; name=\"plan.pdf\"\r\nContent-Disposition: attachment; filename=\"plan.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IK\r\n--------------mixB0undary--\r\n"
    )
}

/// `multipart/signed` around `signed` with `signature`, as Thunderbird
/// writes it.
fn multipart_signed(signed: &str, signature: &str) -> String {
    format!(
        "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol=\"application/pgp-signature\";\r\n \
         boundary=\"------------sigB0undary\"\r\n\r\nThis is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n\
         --------------sigB0undary\r\n{signed}\r\n--------------sigB0undary\r\n\
         Content-Type: application/pgp-signature; name=\"OpenPGP_signature.asc\"\r\n\
         Content-Description: OpenPGP digital signature\r\n\
         Content-Disposition: attachment; filename=\"OpenPGP_signature.asc\"\r\n\r\n{signature}\r\n\
         --------------sigB0undary--\r\n"
    )
}

impl Setup {
    fn detached_signature(&self, signer: &str, data: &str) -> String {
        let signature = self.gpg.ok(&["--armor", "--detach-sign", "--local-user", signer], data.as_bytes());
        String::from_utf8(signature).unwrap().replace("\r\n", "\n").replace('\n', "\r\n")
    }

    /// Encrypts `inner` to Ada (and Sam) with gpg, without an inline
    /// signature, and delivers it to Ada.
    fn deliver(&self, inner: &str, id: &str) {
        let armored = self.gpg.ok(&["--armor", "--encrypt", "--recipient", ADA, "--recipient", SAM], inner.as_bytes());
        let raw = pgp_mime(SAM, ADA, &format!("<{id}@client.example>"), &String::from_utf8(armored).unwrap());
        self.ada.receive_raw(&self.world, &raw);
    }

    /// The statuses `inbox --json` lists, by subject as listed.
    fn read_last(&self) -> common::Run {
        let inbox: serde_json::Value = serde_json::from_str(&self.ada.ok(&["inbox", "--json"], "").stdout).unwrap();
        let last = inbox["messages"].as_array().unwrap().last().unwrap()["id"].to_string();
        self.ada.run(&["read", &last], "")
    }
}

#[test]
fn thunderbirds_signed_then_encrypted_message_reads_verified_without_its_legacy_display_part() {
    let s = setup();
    for (legacy, subject) in [(false, "Thursday"), (true, "Friday")] {
        let signed = signed_part(subject, "I had a good week, thank you.", legacy);
        let signature = s.detached_signature(SAM, &signed);
        s.deliver(&multipart_signed(&signed, &signature), subject);
        let synced = s.ada.ok(&["sync"], "");
        assert!(synced.stdout.contains("1 verified"), "{subject}: {synced:?}");
        let read = s.read_last();
        assert_eq!(read.code, 0, "{read:?}");
        assert!(read.stdout.starts_with("Status:  verified: signed by sam <sam@client.example>"), "{read:?}");
        assert!(read.stdout.contains(&format!("Subject: {subject}")), "the protected subject: {read:?}");
        assert!(read.stdout.contains("I had a good week, thank you."), "{read:?}");
        // The attachment is there; the signature and the legacy display are not.
        assert!(read.stdout.contains("plan.pdf"), "{read:?}");
        assert!(!read.stdout.contains("OpenPGP_signature"), "{read:?}");
        assert_eq!(read.stdout.matches(&format!("Subject: {subject}")).count(), 1, "{read:?}");
    }
    // Replies and receipts work as for any verified message.
    let reply = s.ada.run(&["reply", "--last"], "See you then.\n");
    assert_eq!(reply.code, 0, "{reply:?}");
}

#[test]
fn tampered_thunderbird_messages_never_read_verified() {
    let s = setup();
    s.gpg.generate("Eve <eve@client.example>");
    let signed = signed_part("Original", "Our next session is on Thursday.", false);
    let genuine = s.detached_signature(SAM, &signed);
    let other_part = signed_part("Other", "Something else entirely.", false);
    let cases = [
        // The signed part changed by one byte after signing.
        ("changed", multipart_signed(&signed.replace("Thursday", "Thursdax"), &genuine), "bad-signature"),
        // Signed by another key than the sender's.
        ("eve", multipart_signed(&signed, &s.detached_signature("eve@client.example", &signed)), "unverified-key"),
        // A genuine signature over a different part.
        ("swapped", multipart_signed(&signed, &s.detached_signature(SAM, &other_part)), "bad-signature"),
    ];
    for (id, inner, _) in &cases {
        s.deliver(inner, id);
    }
    // A signed part beside a part nothing signs.
    let beside = format!(
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n{}\r\n--outer\r\n\
         Content-Type: text/plain\r\n\r\nAlso: send me your bank details.\r\n--outer--\r\n",
        multipart_signed(&signed, &genuine)
    );
    s.deliver(&beside, "beside");
    s.ada.ok(&["sync"], "");
    let inbox: serde_json::Value = serde_json::from_str(&s.ada.ok(&["inbox", "--json"], "").stdout).unwrap();
    let statuses: Vec<String> =
        inbox["messages"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap().to_string()).collect();
    let expected: Vec<&str> = cases.iter().map(|(_, _, status)| *status).chain(["partly-encrypted"]).collect();
    assert_eq!(statuses, expected);
}

#[test]
fn a_message_signed_and_encrypted_by_sq_reads_verified() {
    if std::process::Command::new("sq").arg("--version").output().is_err() {
        assert!(std::env::var_os("SEALPOST_REQUIRE_MAIL_STACK").is_none(), "sq is required here but not installed");
        eprintln!("SKIPPED: sq is not installed; the sq interoperability test did not run");
        return;
    }
    let world = World::new();
    let dir = world.path();
    let sq = |args: &[&str]| {
        let out = std::process::Command::new("sq").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "sq {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    sq(&["key", "generate", "--userid", "Sam Lee <sam@client.example>", "--export", "sam.pgp"]);
    std::fs::write(dir.join("sam.cert"), sq(&["key", "extract-cert", "sam.pgp"])).unwrap();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let ada_cert = ada.export_key(dir);
    ada.ok(&["contact", "add", "sam", SAM, "--key", dir.join("sam.cert").to_str().unwrap()], "");
    let fingerprint = sequoia_fingerprint(&std::fs::read(dir.join("sam.cert")).unwrap());
    ada.ok(&["contact", "verify", "sam", "--fingerprint", &fingerprint], "");

    let inner = common::inner_entity(
        "Sam Lee <sam@client.example>",
        ADA,
        "From sq",
        "<sq1@client.example>",
        "Made with sq.\r\n",
    );
    std::fs::write(dir.join("inner.eml"), &inner).unwrap();
    let armored =
        sq(&["encrypt", "--recipient-cert", ada_cert.to_str().unwrap(), "--signer-key", "sam.pgp", "inner.eml"]);
    ada.receive_raw(&world, &pgp_mime(SAM, ADA, "<sq1@client.example>", &String::from_utf8(armored).unwrap()));
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 verified"), "{synced:?}");
    let read = ada.ok(&["read", "1"], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by sam <sam@client.example>"), "{read:?}");
    assert!(read.stdout.contains("Made with sq."), "{read:?}");
}

fn sequoia_fingerprint(cert: &[u8]) -> String {
    use sequoia_openpgp::parse::Parse;
    sequoia_openpgp::Cert::from_bytes(cert).unwrap().fingerprint().to_hex()
}
