//! The practice's records: the audit log, consent, legal hold, retention
//! and disposal (`forget`), as a therapist uses them, on local Maildirs.

mod common;

use common::{files_under, pair, Person, World};
use serde_json::Value;

fn json(person: &Person, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&person.ok(&all, "").stdout).unwrap()
}

fn actions(person: &Person, args: &[&str]) -> Vec<String> {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    json(person, &all)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_audit_log_records_each_action_without_content_and_names_a_broken_entry() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    ada.ok(&["send", "--to", "sam", "--subject", "Thursday session"], "Notes: PRIVATE-BODY-TEXT\n");
    sam.ok(&["sync"], "");
    sam.ok(&["read", "--last"], "");
    ada.ok(&["sync"], "");
    let wrong = world.path().join("wrong.pass");
    common::write_private(&wrong, b"not the passphrase");
    let failed = common::run_command(ada.command().env("SEALPOST_PASSPHRASE_FILE", &wrong).args(["inbox"]), "");
    assert_eq!(failed.code, 5, "{failed:?}");
    ada.ok(&["inbox"], "");

    let ada_log = actions(&ada, &[]);
    for expected in ["contact-added", "contact-verified", "unlock", "send", "sent", "receipt-accepted", "unlock-failed"]
    {
        assert!(ada_log.iter().any(|a| a == expected), "{expected} in {ada_log:?}");
    }
    let sam_log = actions(&sam, &["--contact", "ada"]);
    for expected in ["received", "read", "receipt-sent"] {
        assert!(sam_log.iter().any(|a| a == expected), "{expected} in {sam_log:?}");
    }
    assert!(!sam_log.iter().any(|a| a == "unlock"), "unlocks name no contact: {sam_log:?}");
    let text = ada.ok(&["audit"], "").stdout;
    assert!(text.contains("send") && text.contains("sam"), "{text}");
    for person in [&ada, &sam] {
        let all = person.ok(&["audit", "--json"], "").stdout;
        assert!(!all.contains("PRIVATE-BODY-TEXT") && !all.contains("Thursday session"), "no content: {all}");
    }
    let whole = ada.ok(&["audit", "--verify"], "");
    assert!(whole.stdout.contains("the audit log is whole"), "{whole:?}");

    // Someone with the key removes one entry, then edits another.
    ada.database().execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
    let broken = ada.run(&["audit", "--verify"], "");
    assert_eq!(broken.code, 4, "{broken:?}");
    assert!(broken.stderr.contains("broken at entry 3"), "{broken:?}");
    let sam_db = sam.database();
    sam_db
        .execute("UPDATE audit SET entry = replace(entry, 'received', 'rejected') WHERE seq = (SELECT min(seq) FROM audit WHERE entry LIKE '%received%')", [])
        .unwrap();
    let edited: u64 =
        sam_db.query_row("SELECT min(seq) FROM audit WHERE entry LIKE '%rejected%'", [], |r| r.get(0)).unwrap();
    let broken = sam.run(&["audit", "--verify", "--json"], "");
    assert_eq!(broken.code, 4, "{broken:?}");
    let report: Value = serde_json::from_str(&broken.stdout).unwrap();
    assert_eq!(report["broken_at"], edited, "{report}");
}

#[test]
fn send_refuses_a_client_without_consent_when_the_practice_requires_it() {
    let world = World::new();
    let (ada, _sam) = pair(&world);
    ada.edit_config(|config| format!("require_consent = true\n{config}"));
    let refused = ada.run(&["send", "--to", "sam", "--subject", "Hello"], "Hi\n");
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("consent"), "{refused:?}");
    assert_eq!(ada.outbox_len(), 0);
    let bad = ada.run(&["contact", "consent", "sam", "--date", "2026-13-40"], "");
    assert_ne!(bad.code, 0, "{bad:?}");
    ada.ok(&["contact", "consent", "sam", "--date", "2026-01-15", "--note", "signed form in the paper file"], "");
    let shown = json(&ada, &["contact", "show", "sam"]);
    assert_eq!(shown["consent"]["date"], "2026-01-15", "{shown}");
    assert!(ada.ok(&["contact", "show", "sam"], "").stdout.contains("consent:     given 2026-01-15"));
    ada.ok(&["send", "--to", "sam", "--subject", "Hello"], "Hi\n");
    let log = actions(&ada, &["--contact", "sam"]);
    assert!(log.iter().any(|a| a == "send-refused") && log.iter().any(|a| a == "consent"), "{log:?}");
}

#[test]
fn retention_is_listed_per_contact_with_the_practice_default_and_overrides() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    sam.ok(&["send", "--to", "ada", "--subject", "Hi"], "Hello\n");
    ada.ok(&["sync"], "");
    let unset = ada.ok(&["retention"], "").stdout;
    assert!(unset.contains("no retention period is set"), "{unset}");
    ada.edit_config(|config| format!("retention = \"7y\"\n{config}"));
    let listed = json(&ada, &["retention"]);
    let row = &listed["contacts"][0];
    assert_eq!(row["period"], "7y", "{listed}");
    assert_eq!(row["period_from"], "practice");
    assert_eq!(row["received"], 1);
    let time = |v: &Value| mail_parser::DateTime::parse_rfc3339(v.as_str().unwrap()).unwrap().to_timestamp();
    let years = (time(&row["ends_at"]) - time(&row["since"])) as f64 / (365.25 * 86_400.0);
    assert!((years - 7.0).abs() < 0.01, "{years}");
    assert_eq!(row["due"], false);
    let changed = actions(&ada, &[]);
    assert_eq!(
        changed.iter().filter(|a| *a == "retention").count(),
        1,
        "the config's new period is logged: {changed:?}"
    );
    ada.ok(&["contact", "retention", "sam", "10y"], "");
    assert_eq!(json(&ada, &["retention"])["contacts"][0]["period_from"], "contact");
    assert!(ada.run(&["contact", "retention", "sam", "forever"], "").code != 0);
    assert!(json(&ada, &["retention", "--due"])["contacts"].as_array().unwrap().is_empty());
}

#[test]
fn forget_erases_one_client_and_leaves_the_others_readable() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let kim = world.person("kim", "Kim Park", "kim@client.example");
    ada.trust("kim", &kim, world.path());
    kim.trust("ada", &ada, world.path());
    ada.ok(&["send", "--to", "sam", "--subject", "SAMSUBJECT"], "SAMBODY from the session\n");
    sam.ok(&["sync"], "");
    sam.ok(&["read", "--last"], "");
    sam.ok(&["reply", "--last"], "SAMREPLY thanks\n");
    kim.ok(&["send", "--to", "ada", "--subject", "KIMSUBJECT"], "KIMBODY\n");
    ada.ok(&["sync"], "");
    ada.ok(&["read", "--last"], "");
    let before = ada.database_text();
    assert!(before.contains("sam@client.example") && before.contains("SAMSUBJECT"), "the rows name Sam before");
    let sam_bodies = |p: &Person| -> i64 {
        p.database()
            .query_row("SELECT count(*) FROM documents WHERE contact = 'sam@client.example'", [], |r| r.get(0))
            .unwrap()
    };
    assert!(sam_bodies(&ada) >= 2, "Sam's messages are under Sam's data key");

    // On legal hold, nothing goes.
    ada.ok(&["contact", "hold", "sam"], "");
    let held = ada.run(&["forget", "--contact", "sam", "--yes"], "");
    assert_eq!(held.code, 1, "{held:?}");
    assert!(held.stderr.contains("legal hold"), "{held:?}");
    assert!(sam_bodies(&ada) >= 2);
    ada.ok(&["contact", "release", "sam"], "");
    // Without a terminal and without --yes, nothing goes either.
    let unconfirmed = ada.run(&["forget", "--contact", "sam"], "");
    assert_eq!(unconfirmed.code, 1, "{unconfirmed:?}");
    assert!(sam_bodies(&ada) >= 2);

    let in_maildir = ada.delivered(&world).len() + files_under(&ada.maildir(&world).join("cur")).len();
    let forgotten = json(&ada, &["forget", "--contact", "sam", "--yes", "--server"]);
    assert!(forgotten["sent"].as_u64().unwrap() >= 1, "{forgotten}");
    assert!(forgotten["received"].as_u64().unwrap() >= 2, "the reply and the read receipt: {forgotten}");
    assert_eq!(forgotten["deleted_on_server"], forgotten["received"], "{forgotten}");
    let left = ada.delivered(&world).len() + files_under(&ada.maildir(&world).join("cur")).len();
    assert_eq!(left, in_maildir - forgotten["received"].as_u64().unwrap() as usize, "Sam's mail left the Maildir");

    // No row names Sam, no body is under Sam's key, and the key is gone.
    let after = ada.database_text();
    for trace in ["sam@client.example", "SAMSUBJECT", "SAMBODY", "SAMREPLY", "Sam Lee"] {
        assert!(!after.contains(trace), "{trace} is still in the store");
    }
    assert_eq!(sam_bodies(&ada), 0);
    let keys: i64 = ada
        .database()
        .query_row("SELECT count(*) FROM data_keys WHERE contact = 'sam@client.example'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(keys, 0);
    // Nothing of Sam in any file of the store or of Ada's mail folder.
    for file in files_under(&ada.home).into_iter().chain(files_under(&ada.maildir(&world))) {
        let bytes = std::fs::read(&file).unwrap();
        for trace in [&b"sam@client.example"[..], b"SAMSUBJECT", b"SAMBODY", b"SAMREPLY"] {
            assert!(!bytes.windows(trace.len()).any(|w| w == trace), "{} holds {:?}", file.display(), trace);
        }
    }
    // What the user sees: Sam is gone, a tombstone and the event remain,
    // and Kim's record reads as before.
    assert_ne!(ada.run(&["contact", "show", "sam"], "").code, 0);
    assert!(!ada.ok(&["inbox", "--all"], "").stdout.contains("sam"));
    assert!(ada.ok(&["sent"], "").stdout.lines().all(|l| !l.contains("sam")));
    let log = actions(&ada, &[]);
    let after_forget: Vec<&String> = log.iter().skip_while(|a| *a != "forget").skip(1).collect();
    assert!(after_forget.iter().all(|a| a.starts_with("unlock")), "the disposal is the last action: {log:?}");
    assert!(ada.ok(&["audit", "--verify"], "").stdout.contains("whole"));
    let inbox = json(&ada, &["inbox"]);
    let kims: Vec<&Value> = inbox["messages"].as_array().unwrap().iter().collect();
    assert_eq!(kims.len(), 1, "{inbox}");
    let read = ada.ok(&["read", &kims[0]["id"].to_string()], "");
    assert!(read.stdout.contains("KIMBODY") && read.stdout.contains("verified"), "{read:?}");
}

#[test]
fn an_export_is_checked_by_gpg_and_sha256sum_and_reads_nothing_as_read() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    let plan = world.path().join("plan.txt");
    std::fs::write(&plan, "Safety plan: call the clinic first.\n").unwrap();
    ada.ok(&["send", "--to", "sam", "--subject", "Your plan", "--attach", plan.to_str().unwrap()], "EXPORT-NOTE-ONE\n");
    sam.ok(&["sync"], "");
    sam.ok(&["read", "--last"], "");
    sam.ok(&["send", "--to", "ada", "--subject", "Question"], "EXPORT-NOTE-TWO\n");
    ada.ok(&["sync"], "");
    let receipts_before = sam.delivered(&world).len();
    let unread_before = json(&ada, &["inbox"])["unread"].clone();

    let file = world.path().join("sam-record.tar");
    let plain = ada.ok(&["export", "--contact", "sam", "--out", file.to_str().unwrap(), "--plaintext"], "");
    assert!(plain.stderr.contains("UNENCRYPTED"), "{plain:?}");
    let again = ada.run(&["export", "--contact", "sam", "--out", file.to_str().unwrap(), "--plaintext"], "");
    assert_ne!(again.code, 0, "never overwritten: {again:?}");
    let dir = world.path().join("unpacked");
    std::fs::create_dir(&dir).unwrap();
    let tar = std::process::Command::new("tar").arg("-xf").arg(&file).arg("-C").arg(&dir).status().unwrap();
    assert!(tar.success());
    let record = std::fs::read_to_string(dir.join("record.txt")).unwrap();
    assert!(record.contains("EXPORT-NOTE-ONE") && record.contains("EXPORT-NOTE-TWO"), "{record}");
    assert!(record.contains("status verified") && record.contains("read "), "{record}");
    assert_eq!(std::fs::read(dir.join("attachments/sent-0001-plan.txt")).unwrap(), std::fs::read(&plan).unwrap());
    assert!(dir.join("received/0001.eml").exists() && dir.join("sent/0001.eml").exists());
    let audit = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    assert!(audit.contains("\"send\"") && audit.contains("\"received\""), "{audit}");

    // Checked with sha256sum and gpg alone.
    let sums =
        std::process::Command::new("sha256sum").arg("-c").arg("MANIFEST.sha256").current_dir(&dir).output().unwrap();
    assert!(sums.status.success(), "{}", String::from_utf8_lossy(&sums.stdout));
    let gpg = common::Gpg::new(&world);
    gpg.ok(&["--import", dir.join("keys/clinician.asc").to_str().unwrap()], b"");
    let verified = gpg.run(
        &["--verify", dir.join("MANIFEST.sha256.asc").to_str().unwrap(), dir.join("MANIFEST.sha256").to_str().unwrap()],
        b"",
    );
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    assert!(String::from_utf8_lossy(&verified.stderr).contains("Good signature"));
    assert!(ada.ok(&["export", "--verify", file.to_str().unwrap()], "").stdout.contains("matches the manifest"));
    // One changed byte is found by both.
    std::fs::write(dir.join("record.txt"), record.replace("EXPORT-NOTE-TWO", "EXPORT-NOTE-2")).unwrap();
    let sums =
        std::process::Command::new("sha256sum").arg("-c").arg("MANIFEST.sha256").current_dir(&dir).output().unwrap();
    assert!(!sums.status.success());
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.windows(15).position(|w| w == b"EXPORT-NOTE-TWO").unwrap();
    bytes[at + 13] = b'X';
    let changed = world.path().join("changed.tar");
    std::fs::write(&changed, &bytes).unwrap();
    let refused = ada.run(&["export", "--verify", changed.to_str().unwrap()], "");
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("record.txt does not match"), "{refused:?}");

    // Encrypted with a passphrase: nothing readable, opened with it only.
    let pass = world.path().join("export.pass");
    common::write_private(&pass, b"a passphrase for the export");
    let sealed = world.path().join("sam-record.age");
    ada.ok(
        &[
            "export",
            "--contact",
            "sam",
            "--out",
            sealed.to_str().unwrap(),
            "--to-passphrase",
            "--export-passphrase-file",
            pass.to_str().unwrap(),
        ],
        "",
    );
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!bytes.windows(15).any(|w| w == b"EXPORT-NOTE-ONE"));
    ada.ok(&["export", "--verify", sealed.to_str().unwrap(), "--export-passphrase-file", pass.to_str().unwrap()], "");
    let wrong = world.path().join("wrong.pass");
    common::write_private(&wrong, b"not the passphrase at all");
    let locked = ada.run(
        &["export", "--verify", sealed.to_str().unwrap(), "--export-passphrase-file", wrong.to_str().unwrap()],
        "",
    );
    assert_eq!(locked.code, 5, "{locked:?}");
    // Without its passphrase: the export's is asked for, not the store's.
    let unasked = ada.run(&["export", "--verify", sealed.to_str().unwrap()], "");
    assert_eq!(unasked.code, 5, "{unasked:?}");
    assert!(unasked.stderr.contains("pass --export-passphrase-file FILE"), "{unasked:?}");

    // Nothing was marked read, no receipt went out; the export is in the log.
    assert_eq!(json(&ada, &["inbox"])["unread"], unread_before);
    assert_eq!(sam.delivered(&world).len(), receipts_before);
    assert_eq!(actions(&ada, &["--contact", "sam"]).iter().filter(|a| *a == "export").count(), 2);
}

#[test]
fn forget_leaves_no_address_or_alias_of_the_client_in_the_log_or_the_invites() {
    const QUILL: &str = "quillon@client.example";
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let quill = world.person("quill", "Q. Quillon", QUILL);
    // Joined by invite code: each step is in the log and in the invites.
    let code = common::code_of(&ada.ok(&["invite", "--for", QUILL], "").stdout);
    quill.ok(&["join", &code], "");
    ada.ok(&["sync"], "");
    quill.ok(&["sync"], "");
    let done = ada.ok(&["sync"], "");
    assert!(done.stdout.contains("join of quillon@client.example completed: quillon is verified"), "{done:?}");
    // A near miss is refused, and the refusal names the client it resembles.
    let refused = ada.run(&["send", "--to", "quillon@client.exmaple", "--subject", "Hi"], "Hello.\n");
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(refused.stderr.contains("quillon@client.example"), "{refused:?}");
    // An export to a file named after them, and their key verified again.
    let file = world.path().join("quillon-record.tar");
    ada.ok(&["export", "--contact", "quillon", "--out", file.to_str().unwrap(), "--plaintext"], "");
    ada.ok(&["contact", "verify", "quillon", "--fingerprint", &quill.fingerprint()], "");
    let log = ada.ok(&["audit", "--json"], "").stdout;
    assert!(log.contains("send-refused") && log.contains("join-step") && log.contains("export"), "{log}");

    ada.ok(&["forget", "--contact", "quillon", "--yes"], "");
    let after = ada.database_text();
    assert!(!after.contains("quillon"), "the store still names the client: {after}");
    let fingerprint = quill.fingerprint();
    let grouped: Vec<&str> = (0..10).map(|i| &fingerprint[i * 4..i * 4 + 4]).collect();
    for key in [fingerprint.clone(), grouped.join(" "), fingerprint[24..].to_string()] {
        assert!(!after.contains(&key), "the store still holds their key {key}: {after}");
    }
    for args in [&["audit", "--json"][..], &["audit"], &["invite", "--list"], &["contact", "list", "--json"]] {
        let shown = ada.ok(args, "").stdout;
        assert!(!shown.contains("quillon"), "{args:?}: {shown}");
    }
    assert!(ada.run(&["contact", "show", QUILL], "").code != 0);
    assert!(ada.ok(&["audit", "--verify"], "").stdout.contains("whole"));
}

#[test]
fn an_export_keeps_every_attachment_and_shows_only_what_was_verified_without_escapes() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    // Two attachments of one message with the same name.
    for (week, text) in [("d1", "worksheet, week 1\n"), ("d2", "worksheet, week 2, DIFFERENT\n")] {
        std::fs::create_dir(world.path().join(week)).unwrap();
        std::fs::write(world.path().join(week).join("worksheet.txt"), text).unwrap();
    }
    let attach = |week: &str| world.path().join(week).join("worksheet.txt").to_str().unwrap().to_string();
    ada.ok(
        &["send", "--to", "sam", "--subject", "Worksheets", "--attach", &attach("d1"), "--attach", &attach("d2")],
        "Two.\n",
    );
    // Sam's own words, with escapes in them; and a stranger's key claiming
    // to be Sam.
    sam.ok(
        &["send", "--to", "ada", "--subject", "Re \x1b]0;TITLE\x07", "--attach", &attach("d1")],
        "SAM-BODY \x1b[2J\n",
    );
    let mallory = world.person("mallory", "Sam Lee", "sam@client.example");
    mallory.trust("ada", &ada, world.path());
    mallory
        .ok(&["send", "--to", "ada", "--subject", "FORGED-SUBJECT"], "FORGED-BODY: I consent to share my records.\n");
    ada.ok(&["sync"], "");

    let file = world.path().join("sam-record.tar");
    ada.ok(&["export", "--contact", "sam", "--out", file.to_str().unwrap(), "--plaintext"], "");
    let dir = world.path().join("unpacked");
    std::fs::create_dir(&dir).unwrap();
    assert!(std::process::Command::new("tar").arg("-xf").arg(&file).arg("-C").arg(&dir).status().unwrap().success());
    let record = std::fs::read_to_string(dir.join("record.txt")).unwrap();
    let mut kept: Vec<String> = std::fs::read_dir(dir.join("attachments"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    kept.sort();
    assert_eq!(kept, ["worksheet, week 1\n", "worksheet, week 1\n", "worksheet, week 2, DIFFERENT\n"], "{record}");
    for name in record.lines().filter_map(|l| l.strip_prefix("[attachment: ")).map(|l| l.split(',').next().unwrap()) {
        assert!(dir.join(name).is_file(), "{name} is named in the record: {record}");
    }
    assert!(record.contains("SAM-BODY") && record.contains("status verified"), "{record}");
    assert!(!record.contains('\x1b') && !record.contains('\x07'), "no escapes: {record:?}");
    assert!(record.contains("status unverified-key"), "{record}");
    assert!(!record.contains("FORGED-BODY") && !record.contains("FORGED-SUBJECT"), "{record}");
    assert!(record.contains("the content is not shown: it did not open as verified"), "{record}");
    // The message as it arrived is kept all the same.
    assert_eq!(std::fs::read_dir(dir.join("received")).unwrap().count(), 2, "{record}");
}

#[test]
fn every_unlock_to_read_is_in_the_audit_log_also_while_other_commands_write() {
    let world = World::new();
    let ada = world.person("therapist", "Ada", "ada@practice.example");
    // Commands that only read note their unlock beside the database; the
    // next command that writes (a sync here, from a shell alias in another
    // terminal) moves the notes into the log. None may be lost between.
    let reads_per_terminal = 40;
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..reads_per_terminal {
                    ada.ok(&["inbox"], "");
                }
            });
        }
        scope.spawn(|| {
            for _ in 0..30 {
                ada.ok(&["sync"], "");
            }
        });
    });
    let logged = actions(&ada, &[]);
    let read_only = logged.iter().filter(|a| *a == "unlock-to-read").count();
    assert_eq!(read_only, 2 * reads_per_terminal, "{logged:?}");
    assert!(ada.ok(&["audit", "--verify"], "").stdout.contains("whole"));
}
