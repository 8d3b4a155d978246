//! Sending and reading between two homes on local Maildirs, and refusals.

mod common;

use common::{files_under, pair, World};

#[test]
fn verified_round_trip_with_attachment_between_two_homes() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let worksheet = world.path().join("worksheet.txt");
    std::fs::write(&worksheet, "Thought record: situation, thought, evidence\n").unwrap();

    let sent = ada.ok(
        &["send", "--to", "sam", "--subject", "Session notes", "--attach", worksheet.to_str().unwrap()],
        "Please fill in the thought record daily.\n",
    );
    assert!(sent.stdout.contains("to sam <sam@client.example>"), "{sent:?}");
    assert_eq!(ada.outbox_len(), 0, "a delivered message leaves the outbox");

    // On the wire: PGP/MIME, neutral subject, no plaintext.
    let delivered = sam.delivered(&world);
    assert_eq!(delivered.len(), 1);
    let wire = std::fs::read_to_string(&delivered[0]).unwrap();
    assert!(wire.contains("multipart/encrypted"), "{wire}");
    assert!(wire.contains("protocol=\"application/pgp-encrypted\""), "{wire}");
    assert!(wire.contains("Subject: ...\r\n"), "{wire}");
    assert!(wire.contains("Autocrypt: addr=ada@practice.example"), "{wire}");
    assert!(!wire.contains("Session notes") && !wire.contains("thought record") && !wire.contains("Thought record"));
    assert!(!wire.contains("Sam Lee"), "names stay inside the encryption");

    let synced = sam.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 new message(s): 1 verified"), "{synced:?}");
    let inbox = sam.ok(&["inbox"], "");
    assert!(
        inbox.stdout.contains("ada") && inbox.stdout.contains("verified") && inbox.stdout.contains("Session notes"),
        "{inbox:?}"
    );

    let saved = world.path().join("saved");
    let glance = sam.ok(&["read", "1", "--no-receipt"], "");
    assert!(glance.stderr.contains("sealpost read 1 --save-attachments DIR"), "the way to save is named: {glance:?}");
    let read = sam.ok(&["read", "1", "--save-attachments", saved.to_str().unwrap()], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by ada <ada@practice.example>"), "{read:?}");
    assert!(read.stdout.contains("Subject: Session notes"));
    assert!(read.stdout.contains("Please fill in the thought record daily."));
    assert!(read.stdout.contains("worksheet.txt (text/plain, 45 bytes)"), "{read:?}");
    assert_eq!(
        std::fs::read_to_string(saved.join("worksheet.txt")).unwrap(),
        "Thought record: situation, thought, evidence\n"
    );

    // Saving again never overwrites.
    sam.ok(&["read", "1", "--save-attachments", saved.to_str().unwrap()], "");
    assert!(saved.join("worksheet (1).txt").is_file());

    // A second sync stores nothing twice.
    let again = sam.ok(&["sync"], "");
    assert!(again.stdout.contains("fetched 0 new"), "{again:?}");
    let summary: serde_json::Value = serde_json::from_str(&sam.ok(&["sync", "--json"], "").stdout).unwrap();
    assert_eq!(summary["fetched"], 0);
    assert_eq!(summary["still_queued"], 0);
    assert!(sam.ok(&["sync", "--json"], "").stderr.is_empty(), "no progress output when not a terminal");

    // The reply comes back verified too.
    sam.ok(&["send", "--to", "ada@practice.example", "--subject", "Re: Session notes"], "Will do.\n");
    ada.ok(&["sync"], "");
    let reply = ada.ok(&["read", "--last"], "");
    assert!(reply.stdout.starts_with("Status:  verified: signed by sam"), "{reply:?}");
    assert!(reply.stdout.contains("Will do."));
}

#[test]
fn store_holds_no_plaintext_after_a_round_trip() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let attachment = world.path().join("plan.txt");
    std::fs::write(&attachment, "CRISIS-PLAN-CONTENT-7731").unwrap();
    ada.ok(
        &["send", "--to", "sam", "--subject", "SUBJECT-MARKER-4412", "--attach", attachment.to_str().unwrap()],
        "BODY-MARKER-9921\n",
    );
    sam.ok(&["sync"], "");
    sam.ok(&["read", "1"], "");
    // Message content nowhere; and who the other person is (a contact is
    // itself confidential) only inside the encryption.
    for (person, other_name, other_address) in
        [(&ada, "Sam Lee", "sam@client.example"), (&sam, "Dr. Ada Moss", "ada@practice.example")]
    {
        for file in files_under(&person.home) {
            let bytes = std::fs::read(&file).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for marker in
                ["SUBJECT-MARKER-4412", "BODY-MARKER-9921", "CRISIS-PLAN-CONTENT-7731", other_name, other_address]
            {
                assert!(!text.contains(marker), "{} holds {marker} in plaintext", file.display());
            }
        }
    }
}

#[test]
fn refuses_unknown_recipient_and_sends_nothing() {
    let world = World::new();
    let (ada, _sam) = pair(&world);
    let run = ada.run(&["send", "--to", "someone@else.example"], "hello\n");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("refusing to send to someone@else.example"), "{run:?}");
    assert!(run.stderr.contains("sealpost contact add ALIAS someone@else.example --key FILE"), "{run:?}");
    assert!(run.stderr.contains("Nothing was sent"));
    assert_eq!(ada.outbox_len(), 0);
    assert!(!world.mail().join("someone@else.example").exists());
}

#[test]
fn refuses_unverified_recipient_with_the_command_to_verify() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    let key = sam.export_key(world.path());
    let added = ada.ok(&["contact", "add", "sam", "sam@client.example", "--key", key.to_str().unwrap()], "");
    assert!(added.stdout.contains("state: unverified"));
    let run = ada.run(&["send", "--to", "sam"], "hello\n");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("not verified"), "{run:?}");
    assert!(run.stderr.contains("`sealpost contact verify sam`"), "{run:?}");
    assert_eq!(ada.outbox_len(), 0);
    assert!(sam.delivered(&world).is_empty());
}

#[test]
fn refuses_near_miss_address_and_names_the_verified_one() {
    let world = World::new();
    let (ada, _sam) = pair(&world);
    let run = ada.run(&["send", "--to", "sam@client.exmaple"], "hello\n");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("did you mean sam@client.example (contact sam)?"), "{run:?}");
    assert_eq!(ada.outbox_len(), 0);
    assert!(!world.mail().join("sam@client.exmaple").exists());
}

#[test]
fn safety_code_is_the_same_on_both_sides_and_verifies() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    let ada_key = ada.export_key(world.path());
    let sam_key = sam.export_key(world.path());
    ada.ok(&["contact", "add", "sam", "sam@client.example", "--key", sam_key.to_str().unwrap()], "");
    sam.ok(&["contact", "add", "ada", "ada@practice.example", "--key", ada_key.to_str().unwrap()], "");
    let code_of = |out: &str| out.lines().find_map(|l| l.strip_prefix("safety code: ")).unwrap().to_string();
    let ada_code = code_of(&ada.ok(&["contact", "show", "sam"], "").stdout);
    let sam_code = code_of(&sam.ok(&["contact", "show", "ada"], "").stdout);
    assert_eq!(ada_code, sam_code);

    let wrong = ada.run(&["contact", "verify", "sam", "--code", "00000 00000 00000 00000 00000 00000"], "");
    assert_eq!(wrong.code, 4, "{wrong:?}");
    assert!(ada.ok(&["contact", "show", "sam"], "").stdout.contains("state:       unverified"));

    let no_terminal = ada.run(&["contact", "verify", "sam"], "");
    assert_eq!(no_terminal.code, 1);
    assert!(no_terminal.stdout.contains(&ada_code), "the code is shown: {no_terminal:?}");
    assert!(no_terminal.stderr.contains("--code"), "{no_terminal:?}");

    ada.ok(&["contact", "verify", "sam", "--code", &sam_code], "");
    let shown = ada.ok(&["contact", "show", "sam"], "").stdout;
    assert!(shown.contains("state:       verified") && shown.contains("by safety code"), "{shown}");
    let listed = ada.ok(&["contact", "list"], "").stdout;
    assert!(listed.contains("sam") && listed.contains("sam@client.example") && listed.contains("verified"));
}

#[test]
fn wrong_fingerprint_leaves_the_contact_unverified() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    let key = sam.export_key(world.path());
    ada.ok(&["contact", "add", "sam", "sam@client.example", "--key", key.to_str().unwrap()], "");
    let run = ada.run(&["contact", "verify", "sam", "--fingerprint", &ada.fingerprint()], "");
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.contains("does not match"), "{run:?}");
    assert_eq!(ada.run(&["send", "--to", "sam"], "hi\n").code, 3);
}

#[test]
fn on_a_terminal_the_body_comes_from_the_editor_and_the_draft_is_removed() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new();
    let (ada, sam) = pair(&world);
    let seen = world.path().join("draft-path");
    let initial = world.path().join("draft-as-opened");
    let editor = world.path().join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\ncp \"$1\" '{}'\nprintf 'Written in the editor.\\n' >> \"$1\"\necho \"$1\" > '{}'\n",
            initial.display(),
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    // `script` gives sealpost a terminal, as a user at a shell has.
    let sent = ada.run_on_terminal("send --to sam --subject Edited", &editor);
    assert_eq!(sent.code, 0, "{sent:?}");
    // The recipient is shown before the body is taken: on the terminal,
    // and at the top of the draft, from Sam's pinned key.
    assert!(sent.stdout.contains("To Sam Lee <sam@client.example> — Subject: Edited"), "{sent:?}");
    let opened = std::fs::read_to_string(&initial).unwrap();
    assert!(opened.starts_with("# To: Sam Lee <sam@client.example>\n# Subject: Edited\n"), "{opened}");
    assert!(opened.contains("# Lines starting with # are not sent."), "{opened}");
    let draft = std::path::PathBuf::from(std::fs::read_to_string(&seen).unwrap().trim());
    assert!(draft.ends_with("message.txt"), "{}", draft.display());
    assert!(!draft.parent().unwrap().exists(), "the plaintext draft is gone: {}", draft.display());

    sam.ok(&["sync"], "");
    let read = sam.ok(&["read", "--last"], "");
    assert!(read.stdout.contains("Subject: Edited") && read.stdout.contains("Written in the editor."), "{read:?}");
    assert!(!read.stdout.contains("# To:") && !read.stdout.contains("are not sent"), "comments are stripped: {read:?}");
}

#[test]
fn without_a_terminal_the_recipient_is_shown_on_stderr_and_in_json() {
    let world = World::new();
    let (ada, _sam) = pair(&world);
    let sent = ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "# not a comment here\nThe plan.\n");
    assert!(sent.stderr.contains("To Sam Lee <sam@client.example> — Subject: Plan"), "{sent:?}");
    let sent = ada.ok(&["send", "--to", "sam", "--subject", "Plan", "--json"], "The plan.\n");
    let json: serde_json::Value = serde_json::from_str(&sent.stdout).unwrap();
    assert_eq!(json["to"], "sam@client.example");
    assert_eq!(json["to_name"], "Sam Lee");
    assert!(sent.stderr.is_empty(), "stderr stays JSON-only: {sent:?}");
}

#[test]
fn a_short_alias_that_is_not_a_contact_is_never_corrected_to_another_client() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let eve = world.person("eve", "Eve Park", "eve@client.example");
    let tom = world.person("tom", "Tom Wu", "tom@client.example");
    ada.trust("eve", &eve, world.path());
    ada.trust("tom", &tom, world.path());

    let run = ada.run(&["send", "--to", "kim"], "hello\n");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("refusing to send to kim: it is not a contact"), "{run:?}");
    assert!(!run.stderr.contains("did you mean"), "no other client is suggested: {run:?}");
    // Another person at the same domain is not a typo of a client either.
    let run = ada.run(&["send", "--to", "kim@client.example"], "hello\n");
    assert_eq!(run.code, 3, "{run:?}");
    assert!(!run.stderr.contains("did you mean"), "{run:?}");
    assert_eq!(ada.outbox_len(), 0);
    for client in [&sam, &eve, &tom] {
        assert!(client.delivered(&world).is_empty(), "nothing was sent");
    }
}

#[test]
fn a_sent_note_can_be_read_again_as_it_was_sent_with_its_attachment_and_receipt_state() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let plan = world.path().join("plan.pdf");
    std::fs::write(&plan, b"%PDF-1.4 safety plan").unwrap();
    ada.ok(
        &["send", "--to", "sam", "--subject", "Safety plan", "--attach", plan.to_str().unwrap()],
        "Call me first.\n",
    );

    let shown = ada.ok(&["sent", "show", "1"], "");
    assert!(shown.stdout.contains("Subject: Safety plan"), "{shown:?}");
    assert!(shown.stdout.contains("Call me first."), "{shown:?}");
    assert!(shown.stdout.contains("From:    you <ada@practice.example>"), "{shown:?}");
    assert!(shown.stdout.contains("plan.pdf (application/pdf, 20 bytes)"), "{shown:?}");
    let sam_fpr = sam.fingerprint();
    let grouped: String = sam_fpr
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(shown.stdout.contains(&format!("Encrypted to: sam ({grouped})")), "{shown:?}");
    assert!(shown.stdout.contains("Encrypted to: you"), "{shown:?}");
    assert!(shown.stdout.contains("sent"), "{shown:?}");
    assert!(shown.stderr.contains("sealpost sent show 1 --save-attachments DIR"), "{shown:?}");

    let saved = world.path().join("again");
    ada.ok(&["sent", "show", "1", "--save-attachments", saved.to_str().unwrap()], "");
    assert_eq!(std::fs::read(saved.join("plan.pdf")).unwrap(), b"%PDF-1.4 safety plan");

    // Once Sam has read it, the note shows it.
    sam.ok(&["sync"], "");
    sam.ok(&["read", "1"], "");
    ada.ok(&["sync"], "");
    let json: serde_json::Value = serde_json::from_str(&ada.ok(&["sent", "show", "1", "--json"], "").stdout).unwrap();
    assert_eq!(json["state"], "read", "{json}");
    assert_eq!(json["read_by"], "sam@client.example", "{json}");
    assert_eq!(json["digest"], "matches", "{json}");
    assert_eq!(json["content"]["body"], "Call me first.\n", "{json}");
    assert_eq!(json["content"]["attachments"][0]["content_type"], "application/pdf", "{json}");
    assert_eq!(json["encrypted_to"][0]["who"], "sam", "{json}");
    assert_eq!(json["encrypted_to"][0]["fingerprint"], sam_fpr.as_str(), "{json}");

    let missing = ada.run(&["sent", "show", "9"], "");
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("no sent note 9"), "{missing:?}");
}
