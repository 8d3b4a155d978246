//! Invite codes and the join handshake between homes on local Maildirs,
//! including codes that do not check out and someone in the middle.

mod common;

use std::time::SystemTime;

use common::{code_of, Person, World};
use sealpost::invite::InviteCode;
use sealpost::keys;
use sealpost::message::handshake::{self, HandshakeDraft, Step};
use sealpost::message::new_message_id;
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::Cert;

const ADA: &str = "ada@practice.example";
const SAM: &str = "sam@client.example";

fn token_of(invite_output: &str) -> String {
    invite_output.lines().find_map(|l| l.strip_prefix("token ")).unwrap().split_whitespace().next().unwrap().into()
}

fn cert_of(person: &Person, world: &World) -> Cert {
    Cert::from_bytes(&std::fs::read(person.export_key(world.path())).unwrap()).unwrap()
}

/// A handshake step as someone holding `signer` would write it.
#[allow(clippy::too_many_arguments)]
fn step(
    signer: &Cert,
    from: &str,
    to: &str,
    step: Step,
    token: &str,
    secret: Option<&str>,
    recipients: &[&Cert],
    password_secret: Option<&str>,
) -> Vec<u8> {
    let draft = HandshakeDraft {
        from_name: "Someone".into(),
        from_address: from.into(),
        to_address: to.into(),
        step,
        token: token.into(),
        secret: secret.map(str::to_string),
        fingerprint: Some(signer.fingerprint().to_hex()),
        reason: None,
        nonce: None,
        key: matches!(step, Step::Request | Step::Answer | Step::Refused).then(|| signer.clone()),
        message_id: new_message_id(from),
        date: SystemTime::now(),
    };
    let password = password_secret.map(handshake::password_for);
    handshake::compose(&draft, signer, recipients, password.as_ref()).unwrap().raw
}

/// Takes the message most recently delivered to `person` out of the Maildir.
fn intercept(person: &Person, world: &World) -> Vec<u8> {
    let newest = person
        .delivered(world)
        .into_iter()
        .max_by_key(|f| std::fs::metadata(f).unwrap().modified().unwrap())
        .expect("a message in transit");
    let raw = std::fs::read(&newest).unwrap();
    std::fs::remove_file(&newest).unwrap();
    raw
}

fn state_of(person: &Person, who: &str) -> String {
    let shown = person.run(&["contact", "show", who], "").stdout;
    shown.lines().find_map(|l| l.strip_prefix("state:")).map(|s| s.trim().to_string()).unwrap_or_default()
}

#[test]
fn invite_and_join_end_verified_on_both_sides() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let sam = world.person("sam", "Sam Lee", SAM);
    let invite = ada.ok(&["invite", "--for", SAM, "--expires", "2d"], "").stdout;
    assert!(invite.contains("works once"), "{invite}");
    let code = code_of(&invite);

    let joined = sam.ok(&["join", &code], "");
    assert!(joined.stdout.contains("sent the join request"), "{joined:?}");
    assert!(sam.ok(&["contact", "show", ADA], "").stdout.contains("join:        join request sent"));
    // On the wire: neither key nor token in the clear.
    let wire = std::fs::read_to_string(&ada.delivered(&world)[0]).unwrap();
    assert!(wire.contains("multipart/encrypted") && !wire.contains(&token_of(&invite)), "{wire}");
    assert!(!wire.contains("PUBLIC KEY BLOCK") && !wire.contains("Autocrypt"), "{wire}");

    let step2 = ada.ok(&["sync"], "");
    assert!(step2.stdout.contains("join request from sam@client.example: answered"), "{step2:?}");
    // The request alone pins nothing: anyone with the code's password could have written it.
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    assert!(ada.ok(&["contact", "show", SAM], "").stdout.contains("waiting for their auth message"));
    let step3 = sam.ok(&["sync"], "");
    assert!(step3.stdout.contains("their key matches the invite code"), "{step3:?}");
    assert_eq!(state_of(&sam, "ada"), "unverified");
    assert!(sam.ok(&["contact", "show", "ada"], "").stdout.contains("waiting for ada@practice.example to confirm"));
    let step4 = ada.ok(&["sync"], "");
    assert!(step4.stdout.contains("join of sam@client.example completed: sam is verified"), "{step4:?}");
    let done = sam.ok(&["sync"], "");
    assert!(done.stdout.contains("join with ada@practice.example completed: ada is verified"), "{done:?}");

    for (person, other) in [(&ada, "sam"), (&sam, "ada")] {
        assert_eq!(state_of(person, other), "verified");
        assert!(person.ok(&["contact", "show", other], "").stdout.contains("by invite code"));
    }
    assert!(ada.ok(&["invite", "--list"], "").stdout.contains("used: sam@client.example joined"));

    // A message each way, shown verified; the handshake is not in the inbox.
    ada.ok(&["send", "--to", "sam", "--subject", "Welcome"], "Glad you joined.\n");
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.starts_with("Status:  verified: signed by ada"));
    sam.ok(&["send", "--to", "ada", "--subject", "Thanks"], "Hello!\n");
    ada.ok(&["sync"], "");
    assert!(ada.ok(&["read", "--last"], "").stdout.starts_with("Status:  verified: signed by sam"));
    let inbox = ada.ok(&["inbox"], "").stdout;
    assert_eq!(inbox.lines().count(), 2, "a header and Sam's message only: {inbox}");
}

#[test]
fn expired_malformed_and_reused_codes_are_refused_without_a_trace() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let sam = world.person("sam", "Sam Lee", SAM);
    let nothing_happened = |sam: &Person| {
        assert_eq!(sam.outbox_len(), 0);
        assert!(ada.delivered(&world).is_empty());
        assert!(sam.unlocked().read_bytes("joins.age").unwrap().is_none(), "no join recorded");
        assert!(sam.run(&["contact", "show", ADA], "").code != 0, "no contact and no join");
    };

    let short = code_of(&ada.ok(&["invite", "--expires", "1s"], "").stdout);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let expired = sam.run(&["join", &short], "");
    assert_eq!(expired.code, 4, "{expired:?}");
    assert!(expired.stderr.contains("expired"), "{expired:?}");
    nothing_happened(&sam);

    let code = code_of(&ada.ok(&["invite"], "").stdout);
    for (bad, says) in [
        ("hello", "not a sealpost invite code"),
        (&code[..code.len() - 9], "too short or long"),
        (&code.replace("SEALPOST2:ada@", "SEALPOST2:eve@"), "does not check out"),
    ] {
        let refused = sam.run(&["join", bad], "");
        assert_eq!(refused.code, 4, "{refused:?}");
        assert!(refused.stderr.contains(says), "{bad}: {refused:?}");
        nothing_happened(&sam);
    }
    let mut typo = code.clone().into_bytes();
    let last = typo.len() - 3;
    typo[last] = if typo[last] == b'Q' { b'R' } else { b'Q' };
    let refused = sam.run(&["join", std::str::from_utf8(&typo).unwrap()], "");
    assert!(refused.code == 4 && refused.stderr.contains("does not check out"), "{refused:?}");
    nothing_happened(&sam);

    // Used once, it cannot be used again: by the same person ...
    sam.ok(&["join", &code], "");
    ada.ok(&["sync"], "");
    sam.ok(&["sync"], "");
    ada.ok(&["sync"], "");
    sam.ok(&["sync"], "");
    assert_eq!(state_of(&sam, "ada"), "verified");
    let again = sam.run(&["join", &code], "");
    assert_eq!(again.code, 4, "{again:?}");
    assert!(again.stderr.contains("already used this invite code"), "{again:?}");
    // ... or by anyone else.
    let carol = world.person("carol", "Carol Ng", "carol@client.example");
    carol.ok(&["join", &code], "");
    // A used invite's password is no longer tried: the request is just
    // mail Ada cannot open, and nobody can make her account write.
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("1 not verified") && !refused.stdout.contains("join"), "{refused:?}");
    assert_eq!(ada.outbox_len(), 0);
    assert!(carol.delivered(&world).is_empty(), "nothing was sent to Carol");
    assert!(carol.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    assert!(ada.run(&["contact", "show", "carol"], "").code != 0, "Carol is not pinned");
}

#[test]
fn a_revoked_invite_and_an_unknown_token_are_refused() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let (sam, sam_key) = world.person_with_key("sam", "Sam Lee", SAM);
    let invite = ada.ok(&["invite"], "").stdout;
    let code = code_of(&invite);
    let revoked = ada.ok(&["invite", "--revoke", &token_of(&invite)], "");
    assert!(revoked.stdout.contains("revoked invite"), "{revoked:?}");
    assert!(ada.ok(&["invite", "--list"], "").stdout.contains("revoked"));

    sam.ok(&["join", &code], "");
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("1 not verified") && !refused.stdout.contains("join"), "{refused:?}");
    assert!(sam.delivered(&world).is_empty(), "a closed invite is not answered");
    assert!(sam.ok(&["contact", "show", ADA], "").stdout.contains("join:        join request sent"));
    for person in [&ada, &sam] {
        assert!(person.ok(&["contact", "list"], "").stdout.contains("no contacts"), "nothing pinned");
    }

    // A request that opens with an invite's password but names another token.
    let open = InviteCode::parse(&code_of(&ada.ok(&["invite"], "").stdout)).unwrap();
    let forged = step(&sam_key, SAM, ADA, Step::Request, "000000000000", None, &[], Some(&open.secret));
    ada.receive_raw(&world, &forged);
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("it names no invite of yours (unknown token)"), "{refused:?}");
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
}

#[test]
fn an_answer_with_a_swapped_key_is_refused_by_the_joiner() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let sam = world.person("sam", "Sam Lee", SAM);
    let code = InviteCode::parse(&code_of(&ada.ok(&["invite"], "").stdout)).unwrap();
    sam.ok(&["join", &code.to_string()], "");
    ada.ok(&["sync"], "");

    // Someone in the middle replaces Ada's answer with one carrying their key.
    intercept(&sam, &world);
    let mallory = keys::generate("Dr. Ada Moss", ADA).unwrap();
    let sam_cert = cert_of(&sam, &world);
    let forged = step(&mallory, ADA, SAM, Step::Answer, &code.token, None, &[&sam_cert], Some(&code.secret));
    sam.receive_raw(&world, &forged);
    let refused = sam.ok(&["sync"], "");
    assert!(refused.stdout.contains("REFUSED: the answer carries the key"), "{refused:?}");
    assert!(refused.stdout.contains("not the key") && refused.stdout.contains("named in the invite code"));
    assert!(sam.ok(&["contact", "list"], "").stdout.contains("no contacts"), "nothing pinned");
    assert!(sam.ok(&["contact", "show", ADA], "").stdout.contains("join:        refused"));
    assert_eq!(sam.outbox_len(), 0, "no proof was sent");
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    assert!(ada.ok(&["contact", "show", SAM], "").stdout.contains("waiting for their auth message"));
}

#[test]
fn a_key_swapped_in_the_join_request_leaves_both_sides_unverified() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let (sam, sam_key) = world.person_with_key("sam", "Sam Lee", SAM);
    let ada_cert = cert_of(&ada, &world);
    let code = InviteCode::parse(&code_of(&ada.ok(&["invite"], "").stdout)).unwrap();
    sam.ok(&["join", &code.to_string()], "");

    // Someone in the middle who learned the code's password (not its auth
    // secret) replaces Sam's request with one carrying their own key.
    intercept(&ada, &world);
    let mallory = keys::generate("Sam Lee", SAM).unwrap();
    ada.receive_raw(&world, &step(&mallory, SAM, ADA, Step::Request, &code.token, None, &[], Some(&code.secret)));
    assert!(ada.ok(&["sync"], "").stdout.contains("answered"));

    // Sam's proof, signed by his real key, does not match the request's key.
    let proof = step(&sam_key, SAM, ADA, Step::Auth, &code.token, Some(&code.secret), &[&ada_cert, &sam_key], None);
    ada.receive_raw(&world, &proof);
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("REFUSED: the proof is signed by a key other than the one in the join request"));
    // Mallory's key was never pinned: Sam's address is free for a new invite.
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    assert!(ada.ok(&["invite", "--list"], "").stdout.contains("failed: the proof is signed by a key other"));

    // Sam sees the answer made for another key, and Ada's refusal.
    let told = sam.ok(&["sync"], "");
    assert!(told.stdout.contains("REFUSED: the answer was encrypted to another key than yours"), "{told:?}");
    assert!(sam.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    assert!(sam.ok(&["contact", "show", ADA], "").stdout.contains("join:        refused"));

    // The attack left nothing in the way: a new invite ends verified.
    let again = code_of(&ada.ok(&["invite", "--for", SAM], "").stdout);
    sam.ok(&["join", &again], "");
    for person in [&ada, &sam, &ada, &sam] {
        person.ok(&["sync"], "");
    }
    assert_eq!(state_of(&ada, "sam"), "verified");
    assert_eq!(state_of(&sam, "ada"), "verified");
    let pinned = ada.ok(&["contact", "show", "sam"], "").stdout;
    let fingerprint = pinned.lines().find_map(|l| l.strip_prefix("fingerprint: ")).unwrap().replace(' ', "");
    assert_eq!(fingerprint, sam.fingerprint(), "Sam's own key, not Mallory's: {pinned}");
}

#[test]
fn a_proof_with_the_wrong_secret_is_refused() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let (sam, sam_key) = world.person_with_key("sam", "Sam Lee", SAM);
    let ada_cert = cert_of(&ada, &world);
    let code = InviteCode::parse(&code_of(&ada.ok(&["invite"], "").stdout)).unwrap();
    sam.ok(&["join", &code.to_string()], "");
    ada.ok(&["sync"], "");
    sam.ok(&["sync"], "");
    intercept(&ada, &world);
    let wrong = "00".repeat(16);
    ada.receive_raw(&world, &step(&sam_key, SAM, ADA, Step::Auth, &code.token, Some(&wrong), &[&ada_cert], None));
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("REFUSED: the proof carries the wrong secret"), "{refused:?}");
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    let told = sam.ok(&["sync"], "");
    assert!(told.stdout.contains("REFUSED by them: the proof carries the wrong secret"), "{told:?}");
    assert_eq!(state_of(&sam, "ada"), "unverified");
    assert_eq!(sam.run(&["send", "--to", "ada"], "hi\n").code, 3);
    assert_eq!(ada.run(&["send", "--to", "sam"], "hi\n").code, 3);
}

#[test]
fn a_request_that_arrives_after_the_invite_expired_is_refused() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let sam = world.person("sam", "Sam Lee", SAM);
    // Sam joins in time; the request reaches Ada only after the expiry.
    let code = code_of(&ada.ok(&["invite", "--expires", "3s"], "").stdout);
    sam.ok(&["join", &code], "");
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("1 not verified") && !refused.stdout.contains("join"), "{refused:?}");
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    assert!(sam.delivered(&world).is_empty(), "a closed invite is not answered");
    assert!(sam.ok(&["contact", "show", ADA], "").stdout.contains("join:        expired before it was completed"));
    assert!(sam.ok(&["contact", "list"], "").stdout.contains("no contacts"));
}

#[test]
fn a_leaked_code_does_not_let_someone_who_cannot_read_the_address_join() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let ada_cert = cert_of(&ada, &world);
    let invite = ada.ok(&["invite", "--for", SAM], "").stdout;
    assert!(invite.contains(&format!("only someone who reads the mail of {SAM}")), "{invite}");
    let code = InviteCode::parse(&code_of(&invite)).unwrap();
    // Mallory has the code and a key with Sam's address, but not Sam's mailbox.
    let mallory = keys::generate("Sam Lee", SAM).unwrap();
    ada.receive_raw(&world, &step(&mallory, SAM, ADA, Step::Request, &code.token, None, &[], Some(&code.secret)));
    assert!(ada.ok(&["sync"], "").stdout.contains("answered"));
    // The answer went to Sam's mailbox; Mallory builds the proof without it.
    let proof = step(&mallory, SAM, ADA, Step::Auth, &code.token, Some(&code.secret), &[&ada_cert], None);
    ada.receive_raw(&world, &proof);
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("does not carry the nonce sent to sam@client.example"), "{refused:?}");
    assert!(!refused.stdout.contains("completed"), "{refused:?}");
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"), "nothing pinned");
}

/// Ada holds her key in the test, so it can write a refusal as she would.
#[test]
fn a_replayed_request_and_a_stale_refusal_leave_both_sides_verified() {
    let world = World::new();
    let (ada, ada_key) = world.person_with_key("ada", "Dr. Ada Moss", ADA);
    let sam = world.person("sam", "Sam Lee", SAM);
    let code = InviteCode::parse(&code_of(&ada.ok(&["invite", "--for", SAM], "").stdout)).unwrap();
    sam.ok(&["join", &code.to_string()], "");
    let request = std::fs::read_to_string(&ada.delivered(&world)[0]).unwrap();
    ada.ok(&["sync"], "");
    // The request again, as a provider might re-deliver it (a new outer
    // Message-ID): it is answered once, not twice.
    let replay = |n: usize| request.replacen("Message-ID: <", &format!("Message-ID: <again-{n}-"), 1);
    ada.receive_raw(&world, replay(1).as_bytes());
    let replayed = ada.ok(&["sync"], "");
    assert!(replayed.stdout.contains("handled before (a replay)"), "{replayed:?}");
    assert_eq!(sam.delivered(&world).len(), 1, "one answer, no second one and no refusal");
    let proof_sent = sam.ok(&["sync"], "");
    assert!(proof_sent.stdout.contains("sent your proof"), "{proof_sent:?}");

    // A refusal made with the code's password (as one for a replayed
    // request would be) reaches Sam while he waits for the confirmation.
    let stale = step(&ada_key, ADA, SAM, Step::Refused, &code.token, None, &[], Some(&code.secret));
    sam.receive_raw(&world, &stale);
    let ignored = sam.ok(&["sync"], "");
    assert!(ignored.stdout.contains("ignored a join refusal from ada@practice.example while waiting"), "{ignored:?}");

    assert!(ada.ok(&["sync"], "").stdout.contains("join of sam@client.example completed"));
    // Once the invite is used, its password is not even tried again.
    ada.receive_raw(&world, replay(2).as_bytes());
    let before = sam.delivered(&world).len();
    let after_use = ada.ok(&["sync"], "");
    assert!(!after_use.stdout.contains("join"), "{after_use:?}");
    assert_eq!(sam.delivered(&world).len(), before, "nothing sent for a replay");

    let done = sam.ok(&["sync"], "");
    assert!(done.stdout.contains("join with ada@practice.example completed: ada is verified"), "{done:?}");
    assert_eq!(state_of(&ada, "sam"), "verified");
    assert_eq!(state_of(&sam, "ada"), "verified");
}

#[test]
fn a_request_whose_key_is_not_made_out_for_its_sender_gets_no_answer() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let code = InviteCode::parse(&code_of(&ada.ok(&["invite", "--for", SAM], "").stdout)).unwrap();
    // Someone with the code tries to make Ada's account write to a stranger.
    let mallory = keys::generate("Mallory", "mallory@elsewhere.example").unwrap();
    let victim = "victim@elsewhere.example";
    ada.receive_raw(&world, &step(&mallory, victim, ADA, Step::Request, &code.token, None, &[], Some(&code.secret)));
    let ignored = ada.ok(&["sync"], "");
    assert!(ignored.stdout.contains("the key it carries is not a usable key for it"), "{ignored:?}");
    assert_eq!(ada.outbox_len(), 0);
    assert!(!world.mail().join(victim).exists(), "nothing was sent to {victim}");

    // With keys made out for themselves, others get at most three refusals.
    let carol = keys::generate("Carol", "carol@client.example").unwrap();
    for _ in 0..5 {
        let request =
            step(&carol, "carol@client.example", ADA, Step::Request, &code.token, None, &[], Some(&code.secret));
        ada.receive_raw(&world, &request);
    }
    let refused = ada.ok(&["sync"], "");
    assert_eq!(refused.stdout.matches("the invite is for another address").count(), 5, "{refused:?}");
    assert_eq!(refused.stdout.matches("not told").count(), 2, "{refused:?}");
    let told = std::fs::read_dir(world.mail().join("carol@client.example/new")).unwrap().count();
    assert_eq!(told, 3);
}

#[test]
fn an_answered_invite_can_be_revoked_and_an_expired_join_is_not_continued() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let sam = world.person("sam", "Sam Lee", SAM);
    let invite = ada.ok(&["invite", "--for", SAM], "").stdout;
    sam.ok(&["join", &code_of(&invite)], "");
    ada.ok(&["sync"], "");
    let revoked = ada.ok(&["invite", "--revoke", &token_of(&invite)], "");
    assert!(revoked.stdout.contains("revoked invite"), "{revoked:?}");
    sam.ok(&["sync"], "");
    let ignored = ada.ok(&["sync"], "");
    assert!(ignored.stdout.contains("ignored a join proof for an invite that is revoked"), "{ignored:?}");
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));

    // An answer that comes after the code expired is not taken.
    let made = std::time::Instant::now();
    let short = code_of(&ada.ok(&["invite", "--for", SAM, "--expires", "8s"], "").stdout);
    sam.ok(&["join", &short], "");
    let answered = ada.ok(&["sync"], "");
    assert!(answered.stdout.contains("answered"), "answered within the 8 s: {answered:?}");
    std::thread::sleep(std::time::Duration::from_millis(8500).saturating_sub(made.elapsed()));
    let late = sam.ok(&["sync"], "");
    assert!(late.stdout.contains("REFUSED: the invite code expired before the answer came"), "{late:?}");
    assert_ne!(state_of(&sam, "ada"), "verified");
}

/// A message the user's key cannot open, with many copies of one password
/// slot: it costs the sync one key derivation per invite under way.
fn password_slot_flood(slots: usize) -> Vec<u8> {
    use sequoia_openpgp::crypto::{Password, SessionKey};
    use sequoia_openpgp::packet::skesk::SKESK4;
    use sequoia_openpgp::serialize::stream::{Encryptor, LiteralWriter, Message};
    use sequoia_openpgp::serialize::Serialize;
    use sequoia_openpgp::types::SymmetricAlgorithm;
    use std::io::Write;
    // One slot as sealpost writes it (its key derivation), for no invite.
    let algo = SymmetricAlgorithm::AES256;
    let session_key = SessionKey::new(32).unwrap();
    let s2k = sealpost::message::compose::join_s2k().unwrap();
    let slot = SKESK4::with_password(algo, algo, s2k, &session_key, &Password::from("not any invite's")).unwrap();
    let mut flood = Vec::new();
    for _ in 0..slots {
        sequoia_openpgp::Packet::SKESK(slot.clone().into()).serialize(&mut flood).unwrap();
    }
    let message = Encryptor::with_session_key(Message::new(&mut flood), algo, session_key).unwrap().build().unwrap();
    let mut literal = LiteralWriter::new(message).build().unwrap();
    literal.write_all(b"flood").unwrap();
    literal.finalize().unwrap();
    let mut armored = Vec::new();
    let mut writer = sequoia_openpgp::armor::Writer::new(&mut armored, sequoia_openpgp::armor::Kind::Message).unwrap();
    writer.write_all(&flood).unwrap();
    writer.finalize().unwrap();
    common::pgp_mime("eve@elsewhere.example", ADA, "<flood@x>", &String::from_utf8(armored).unwrap())
}

#[test]
fn a_mail_full_of_password_slots_does_not_freeze_sync() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    for _ in 0..10 {
        ada.ok(&["invite"], "");
    }
    ada.receive_raw(&world, &password_slot_flood(200));
    let started = std::time::Instant::now();
    let mut sync = ada.command().arg("sync").stdout(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Other commands are not locked out for long (the store lock waits 10 s).
    let listed = ada.run(&["inbox"], "");
    assert_eq!(listed.code, 0, "{listed:?}");
    let status = sync.wait().unwrap();
    eprintln!("sync of 200 password slots with 10 open invites: {:.2} s", started.elapsed().as_secs_f64());
    assert!(status.success());
    assert!(ada.ok(&["inbox"], "").stdout.contains("undecryptable"));
}

#[test]
fn the_qr_code_is_drawn_only_when_asked() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let plain = ada.ok(&["invite"], "").stdout;
    assert!(!plain.contains('█') && !plain.contains('▀'), "{plain}");
    let drawn = ada.ok(&["invite", "--qr"], "").stdout;
    assert!(drawn.contains('█') || drawn.contains('▀'), "{drawn}");
    assert!(drawn.contains("SEALPOST2:"), "the code is printed too: {drawn}");
}

/// `join` on a machine without an identity creates one first, from
/// `init`'s options: a client's first command can be the join.
#[test]
fn join_creates_the_identity_first_on_an_empty_machine_and_only_there() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", ADA);
    let code = code_of(&ada.ok(&["invite", "--for", SAM], "").stdout);
    let mail = world.mail();
    let sam = world.bare_person("sam", SAM);

    // Without an identity, options or a terminal: told how, nothing made.
    let bare = sam.run(&["join", &code], "");
    assert_ne!(bare.code, 0);
    assert!(bare.stderr.contains("there is no identity here yet"), "{}", bare.stderr);
    assert!(bare.stderr.contains("--name"), "{}", bare.stderr);
    assert!(!sam.home.join("data").exists() && !sam.config_path().exists());
    // An address whose provider is unknown, with no servers: nothing made.
    let unknown = sam.run(&["join", &code, "--name", "Sam Lee", "--email", SAM, "--kdf-work-factor", "10"], "");
    assert_ne!(unknown.code, 0);
    assert!(unknown.stderr.contains("no mail settings are known for sam@client.example"), "{}", unknown.stderr);
    assert!(!sam.home.join("data").exists() && !sam.config_path().exists());
    // A malformed code: checked before anything is created.
    let bad = sam.run(
        &["join", "SEALPOST2:nonsense", "--name", "Sam Lee", "--email", SAM, "--maildir", mail.to_str().unwrap()],
        "",
    );
    assert_ne!(bad.code, 0);
    assert!(!sam.home.join("data").exists() && !sam.config_path().exists());

    let joined = sam.ok(
        &[
            "join",
            &code,
            "--name",
            "Sam Lee",
            "--email",
            SAM,
            "--maildir",
            mail.to_str().unwrap(),
            "--kdf-work-factor",
            "10",
        ],
        "",
    );
    assert!(joined.stdout.contains("created identity sam@client.example, fingerprint"), "{}", joined.stdout);
    assert!(joined.stdout.contains("sent the join request"), "{}", joined.stdout);
    assert!(sam.ok(&["key", "show"], "").stdout.contains(SAM));
    assert!(ada.ok(&["sync"], "").stdout.contains("answered"));
    assert!(sam.ok(&["sync"], "").stdout.contains("their key matches the invite code"));

    // With an identity, the options for a new one are refused: the store
    // and its config stay as they were.
    let config = std::fs::read(sam.config_path()).unwrap();
    let again = sam.run(
        &[
            "join",
            &code,
            "--name",
            "Someone Else",
            "--email",
            "other@client.example",
            "--maildir",
            mail.to_str().unwrap(),
        ],
        "",
    );
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("an identity already exists here"), "{}", again.stderr);
    assert_eq!(std::fs::read(sam.config_path()).unwrap(), config);
    // Any of them, not only the name and address.
    let maildir_only = sam.run(&["join", &code, "--maildir", mail.to_str().unwrap()], "");
    assert_ne!(maildir_only.code, 0);
    assert!(maildir_only.stderr.contains("(--maildir, ...)"), "{}", maildir_only.stderr);
    assert_eq!(std::fs::read(sam.config_path()).unwrap(), config);
    assert!(sam.ok(&["key", "show"], "").stdout.contains(SAM));
}
