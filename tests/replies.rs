//! Replies: only to a verified signer's pinned address, threaded, and
//! quoting only the verified text that `read` showed.

mod common;

use common::{armored_part, pair, pgp_mime, Gpg, World};

#[test]
fn a_reply_goes_to_the_pinned_address_whatever_the_outer_headers_say() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    sam.ok(&["send", "--to", "ada", "--subject", "Homework"], "Done with the worksheet.\n");
    // Someone on the way adds a Reply-To and changes the outer From.
    let file = ada.delivered(&world).pop().unwrap();
    let wire = std::fs::read_to_string(&file).unwrap();
    let bent =
        wire.replacen("From: sam@client.example", "From: mallory@evil.example\r\nReply-To: mallory@evil.example", 1);
    assert_ne!(bent, wire);
    std::fs::write(&file, bent).unwrap();
    ada.ok(&["sync"], "");
    assert!(ada.ok(&["read", "--last"], "").stdout.starts_with("Status:  verified: signed by sam"));

    let replied = ada.ok(&["reply", "--last"], "Well done.\n");
    assert!(replied.stdout.contains("to sam <sam@client.example>"), "{replied:?}");
    assert!(!world.mail().join("mallory@evil.example").exists(), "nothing went to the outer addresses");
    sam.ok(&["sync"], "");
    let read = sam.ok(&["read", "--last"], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by ada"), "{read:?}");
    assert!(read.stdout.contains("Subject: Re: Homework") && read.stdout.contains("Well done."), "{read:?}");

    // Sam answers back: the thread stays inside the encryption, and the
    // subject does not stack.
    sam.ok(&["reply", "--last", "--from", "ada"], "Thanks!\n");
    let wire = std::fs::read_to_string(ada.delivered(&world).last().unwrap()).unwrap();
    assert!(!wire.contains("In-Reply-To") && !wire.contains("References") && !wire.contains("Re: "), "{wire}");
    ada.ok(&["sync"], "");
    let read = ada.ok(&["read", "--last"], "").stdout;
    assert!(read.contains("Subject: Re: Homework") && !read.contains("Re: Re:"), "{read}");
}

#[test]
fn replying_to_a_message_that_is_not_verified_is_refused() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    sam.trust("ada", &ada, world.path());
    // Ada has pinned Sam's key but not verified it.
    let key = sam.export_key(world.path());
    ada.ok(&["contact", "add", "sam", "sam@client.example", "--key", key.to_str().unwrap()], "");
    sam.ok(&["send", "--to", "ada", "--subject", "Hi"], "Hello.\n");
    ada.ok(&["sync"], "");

    let refused = ada.run(&["reply", "1"], "Hi back.\n");
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("refusing to reply to message 1: it is unverified-key"), "{refused:?}");
    let none = ada.run(&["reply", "--last"], "Hi back.\n");
    assert!(none.code != 0 && none.stderr.contains("no verified message to reply to"), "{none:?}");
    assert_eq!(ada.outbox_len(), 0);
    assert!(sam.delivered(&world).is_empty(), "nothing was sent");
}

#[test]
fn a_quote_holds_only_the_verified_text_never_a_hidden_encrypted_part() {
    let world = World::new();
    let gpg = Gpg::new(&world);
    let sam = world.person_with_gpg_key(&gpg, "sam", "Sam Lee", "sam@client.example");
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());
    gpg.ok(&["--import"], &std::fs::read(ada.export_key(world.path())).unwrap());

    // Two messages to Ada that Sam (or someone) got hold of, encrypted to her.
    let secret_one =
        String::from_utf8(gpg.ok(&["--armor", "--encrypt", "--recipient", "ada@practice.example"], b"HIDDEN-ONE\n"))
            .unwrap();
    let secret_two =
        String::from_utf8(gpg.ok(&["--armor", "--encrypt", "--recipient", "ada@practice.example"], b"HIDDEN-TWO\n"))
            .unwrap();
    // Sam's signed message carries them: one inline in the text, one as a
    // nested PGP/MIME part, beside a second text part.
    let inner = format!(
        "Content-Type: multipart/mixed; boundary=\"outer\"; protected-headers=\"v1\"\r\n\
         From: Sam Lee <sam@client.example>\r\nTo: ada@practice.example\r\nSubject: Homework\r\n\
         Message-ID: <q1@client.example>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n\
         --outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVisible line.\r\n{secret_one}\r\nAfter the block.\r\n\
         --outer\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"inner\"\r\n\r\n\
         --inner\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
         --inner\r\nContent-Type: application/octet-stream\r\n\r\n{secret_two}\r\n--inner--\r\n\
         --outer\r\nContent-Type: text/plain\r\n\r\nSECOND-PART\r\n--outer--\r\n"
    );
    let armored = String::from_utf8(gpg.ok(
        &[
            "--armor",
            "--sign",
            "--encrypt",
            "--recipient",
            "ada@practice.example",
            "--local-user",
            "sam@client.example",
        ],
        inner.as_bytes(),
    ))
    .unwrap();
    ada.receive_raw(&world, &pgp_mime("sam@client.example", "ada@practice.example", "<q1@client.example>", &armored));
    ada.ok(&["sync"], "");
    let read = ada.ok(&["read", "--last"], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by sam"), "{read:?}");

    ada.ok(&["reply", "--last", "--quote"], "Thanks, see below.\n");
    let wire = std::fs::read_to_string(sam.delivered(&world).last().unwrap()).unwrap();
    let out = gpg.run(&["--decrypt"], armored_part(&wire).as_bytes());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reply = String::from_utf8_lossy(&out.stdout).replace("=\r\n", "").replace("\r\n", "\n");
    assert!(reply.contains("Thanks, see below."), "{reply}");
    assert!(reply.contains("> Visible line.") && reply.contains("> After the block."), "{reply}");
    assert!(reply.contains("[an OpenPGP block is not quoted]"), "{reply}");
    for leaked in ["HIDDEN-ONE", "HIDDEN-TWO", "SECOND-PART", "BEGIN PGP MESSAGE"] {
        assert!(!reply.contains(leaked), "{leaked} in the reply: {reply}");
    }
    assert!(reply.contains("In-Reply-To: <q1@client.example>"), "{reply}");
    assert!(reply.contains("References: <q1@client.example>"), "{reply}");
}

#[test]
fn last_from_picks_that_contacts_message_and_attachments_go_along() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let bob = world.person("bob", "Bob Ray", "bob@client.example");
    ada.trust("bob", &bob, world.path());
    bob.trust("ada", &ada, world.path());
    sam.ok(&["send", "--to", "ada", "--subject", "From Sam"], "Sam here.\n");
    bob.ok(&["send", "--to", "ada", "--subject", "From Bob"], "Bob here, and newer.\n");
    ada.ok(&["sync"], "");

    // Bob's message is the newest, but --from sam answers Sam's.
    let plan = world.path().join("plan.txt");
    std::fs::write(&plan, "PLAN-CONTENT-5521").unwrap();
    let replied = ada.ok(&["reply", "--last", "--from", "sam", "--attach", plan.to_str().unwrap()], "See the plan.\n");
    assert!(replied.stdout.contains("to sam <sam@client.example>"), "{replied:?}");
    assert!(bob.delivered(&world).is_empty(), "nothing went to Bob");
    sam.ok(&["sync"], "");
    let saved = world.path().join("saved");
    let read = sam.ok(&["read", "--last", "--save-attachments", saved.to_str().unwrap()], "");
    assert!(read.stdout.contains("Subject: Re: From Sam") && read.stdout.contains("See the plan."), "{read:?}");
    assert_eq!(std::fs::read_to_string(saved.join("plan.txt")).unwrap(), "PLAN-CONTENT-5521");

    // Without --from, the message read last: Bob's.
    ada.ok(&["read", "2"], "");
    let replied = ada.ok(&["reply", "--last"], "Thanks, Bob.\n");
    assert!(replied.stdout.contains("to bob <bob@client.example>"), "{replied:?}");
    bob.ok(&["sync"], "");
    assert!(bob.ok(&["read", "--last"], "").stdout.contains("Subject: Re: From Bob"));
}

#[test]
fn replying_to_ordinary_unencrypted_mail_is_refused_as_not_verified() {
    let world = World::new();
    let (ada, _sam) = pair(&world);
    let raw =
        b"From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: hi\r\nMessage-ID: <p1@x>\r\n\r\nPLAIN\r\n";
    ada.receive_raw(&world, raw);
    ada.ok(&["sync"], "");
    let refused = ada.run(&["reply", "1"], "Hello?\n");
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("refusing to reply to message 1: it is not-encrypted"), "{refused:?}");
    assert_eq!(ada.outbox_len(), 0);
}

/// Ada, with two verified clients: Eve (eve@client.example) and Sam.
fn ada_with_eve_and_sam(world: &World) -> (common::Person, common::Person, common::Person) {
    let (ada, sam) = pair(world);
    let eve = world.person("eve", "Eve Park", "eve@client.example");
    ada.trust("eve", &eve, world.path());
    eve.trust("ada", &ada, world.path());
    (ada, eve, sam)
}

#[test]
fn reply_last_answers_the_message_read_last_not_a_newer_one_from_another_client() {
    let world = World::new();
    let (ada, eve, sam) = ada_with_eve_and_sam(&world);
    eve.ok(&["send", "--to", "ada", "--subject", "Thursday"], "I had a panic attack at work today.\n");
    ada.ok(&["sync"], "");
    let read = ada.ok(&["read", "1"], "");
    assert!(read.stdout.contains("I had a panic attack"), "{read:?}");
    // Sam's message arrives after Ada read Eve's.
    sam.ok(&["send", "--to", "ada", "--subject", "Running late"], "See you at 5.\n");
    ada.ok(&["sync"], "");

    let eve_before = eve.delivered(&world).len(); // the read receipt
    let replied = ada.ok(&["reply", "--last"], "That sounds hard. Let's talk on Thursday.\n");
    assert!(replied.stdout.contains("to eve <eve@client.example>"), "{replied:?}");
    assert!(replied.stderr.contains("Replying to Eve Park <eve@client.example> — Re: Thursday"), "{replied:?}");
    assert!(
        replied.stderr.contains("note: a newer message from sam arrived since you read eve's; this reply goes to eve"),
        "{replied:?}"
    );
    assert_eq!(eve.delivered(&world).len(), eve_before + 1, "the reply is in Eve's Maildir");
    assert!(sam.delivered(&world).is_empty(), "nothing went to Sam");
    eve.ok(&["sync"], "");
    assert!(eve.ok(&["read", "--last"], "").stdout.contains("Subject: Re: Thursday"));
}

#[test]
fn reply_last_before_anything_was_read_is_refused_and_sends_nothing() {
    let world = World::new();
    let (ada, eve, sam) = ada_with_eve_and_sam(&world);
    eve.ok(&["send", "--to", "ada", "--subject", "Thursday"], "Hello.\n");
    ada.ok(&["sync"], "");
    let refused = ada.run(&["reply", "--last"], "Hi.\n");
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("no verified message to reply to"), "{refused:?}");
    assert!(refused.stderr.contains("sealpost read"), "names what to run: {refused:?}");
    assert_eq!(ada.outbox_len(), 0);
    assert!(eve.delivered(&world).is_empty() && sam.delivered(&world).is_empty(), "nothing was sent");
}

#[test]
fn reply_without_an_id_or_last_is_a_usage_error() {
    let world = World::new();
    let (ada, _sam) = pair(&world);
    let run = ada.run(&["reply"], "Hi.\n");
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(ada.outbox_len(), 0);
}

#[test]
fn on_a_terminal_the_reply_shows_who_it_goes_to_before_the_editor_opens() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new();
    let (ada, eve, sam) = ada_with_eve_and_sam(&world);
    eve.ok(&["send", "--to", "ada", "--subject", "Thursday"], "I had a panic attack at work today.\n");
    ada.ok(&["sync"], "");
    ada.ok(&["read", "1", "--no-receipt"], "");
    sam.ok(&["send", "--to", "ada", "--subject", "Running late"], "See you at 5.\n");
    ada.ok(&["sync"], "");

    let initial = world.path().join("draft-as-opened");
    let editor = world.path().join("editor.sh");
    std::fs::write(
        &editor,
        format!("#!/bin/sh\ncp \"$1\" '{}'\nprintf 'Let us talk on Thursday.\\n' >> \"$1\"\n", initial.display()),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let replied = ada.run_on_terminal("reply --last", &editor);
    assert_eq!(replied.code, 0, "{replied:?}");
    assert!(replied.stdout.contains("note: a newer message from sam arrived since you read eve's"), "{replied:?}");
    assert!(replied.stdout.contains("Replying to Eve Park <eve@client.example> — Re: Thursday"), "{replied:?}");
    let opened = std::fs::read_to_string(&initial).unwrap();
    assert!(opened.starts_with("# To: Eve Park <eve@client.example>\n# Subject: Re: Thursday\n"), "{opened}");
    assert!(sam.delivered(&world).is_empty(), "nothing went to Sam");
    eve.ok(&["sync"], "");
    let read = eve.ok(&["read", "--last"], "").stdout;
    assert!(read.contains("Let us talk on Thursday.") && !read.contains("# To:"), "{read}");
}

#[test]
fn last_from_prefers_the_message_read_last_from_that_contact() {
    let world = World::new();
    let (ada, eve, _sam) = ada_with_eve_and_sam(&world);
    eve.ok(&["send", "--to", "ada", "--subject", "Thursday"], "About Thursday.\n");
    eve.ok(&["send", "--to", "ada", "--subject", "Friday"], "About Friday.\n");
    ada.ok(&["sync"], "");
    ada.ok(&["read", "1", "--no-receipt"], "");
    ada.ok(&["reply", "--last", "--from", "eve"], "Yes.\n");
    eve.ok(&["sync"], "");
    assert!(eve.ok(&["read", "--last"], "").stdout.contains("Subject: Re: Thursday"));
}

#[test]
fn reply_last_after_reading_an_unverified_message_is_refused_not_sent_to_the_one_before() {
    let world = World::new();
    let (ada, eve, _sam) = ada_with_eve_and_sam(&world);
    eve.ok(&["send", "--to", "ada", "--subject", "Thursday"], "Hello.\n");
    ada.ok(&["sync"], "");
    ada.ok(&["read", "1", "--no-receipt"], "");
    let raw =
        b"From: kim@client.example\r\nTo: ada@practice.example\r\nSubject: hi\r\nMessage-ID: <k1@x>\r\n\r\nHi\r\n";
    ada.receive_raw(&world, raw);
    ada.ok(&["sync"], "");
    assert_eq!(ada.run(&["read", "2"], "").code, 4);

    let refused = ada.run(&["reply", "--last"], "Hi.\n");
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("refusing to reply to message 2: it is not-encrypted"), "{refused:?}");
    assert!(eve.delivered(&world).is_empty(), "the reply did not go to Eve, read before");
    assert_eq!(ada.outbox_len(), 0);
}
