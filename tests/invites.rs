//! Invite codes and the join handshake between homes on local Maildirs,
//! including codes that do not check out and someone in the middle.

mod common;

use std::time::SystemTime;

use common::{Person, World};
use sealpost::invite::InviteCode;
use sealpost::keys;
use sealpost::message::handshake::{self, HandshakeDraft, Step};
use sealpost::message::new_message_id;
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::Cert;

const ADA: &str = "ada@practice.example";
const SAM: &str = "sam@client.example";

fn code_of(invite_output: &str) -> String {
    invite_output.lines().map(str::trim).find(|l| l.starts_with("SEALPOST1:")).expect("a code is printed").to_string()
}

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
        key: matches!(step, Step::Request | Step::Answer).then(|| signer.clone()),
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
        assert!(!sam.home.join("data/joins.age").exists(), "no join recorded");
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
        (&code.replace("SEALPOST1:ada@", "SEALPOST1:eve@"), "does not check out"),
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
    let refused = ada.ok(&["sync"], "");
    assert!(refused.stdout.contains("refused a join request from carol@client.example: the invite was already used"));
    let told = carol.ok(&["sync"], "");
    assert!(told.stdout.contains("REFUSED by them: the invite was already used"), "{told:?}");
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
    assert!(refused.stdout.contains("refused a join request from sam@client.example: the invite was revoked"));
    let told = sam.ok(&["sync"], "");
    assert!(told.stdout.contains("REFUSED by them: the invite was revoked"), "{told:?}");
    assert!(sam.ok(&["contact", "show", ADA], "").stdout.contains("join:        refused"));
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
    assert!(told.stdout.contains("REFUSED by them"), "{told:?}");
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
    assert!(
        refused.stdout.contains("refused a join request from sam@client.example: the invite has expired"),
        "{refused:?}"
    );
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
    let told = sam.ok(&["sync"], "");
    assert!(told.stdout.contains("REFUSED by them: the invite has expired"), "{told:?}");
    assert!(sam.ok(&["contact", "list"], "").stdout.contains("no contacts"));
}
