//! Bad input gets a clear error, a named status, and loses nothing.

mod common;

use std::time::{Duration, SystemTime};

use common::{ada_and_gpg_sam, armored_part, inner_entity, pair, pgp_mime, Gpg, World};
use sequoia_openpgp::cert::prelude::*;
use sequoia_openpgp::serialize::SerializeInto;

/// Delivers to Ada, syncs, reads message 1; returns the read.
fn deliver_and_read(world: &World, ada: &common::Person, raw: &[u8]) -> common::Run {
    ada.receive_raw(world, raw);
    ada.ok(&["sync"], "");
    ada.run(&["read", "1"], "")
}

fn gpg_message(gpg: &Gpg, args: &[&str], inner: &[u8]) -> String {
    let mut all = vec!["--armor"];
    all.extend_from_slice(args);
    String::from_utf8(gpg.ok(&all, inner)).unwrap()
}

#[test]
fn flipped_byte_in_the_ciphertext_is_tampered_and_shows_nothing() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "SECRET-BODY-TEXT\n");
    let file = sam.delivered(&world)[0].clone();
    let wire = std::fs::read_to_string(&file).unwrap();
    let armor = armored_part(&wire);
    // Change one base64 character well inside the encrypted data.
    let lines: Vec<&str> = armor.lines().collect();
    let target = lines[lines.len() - 4];
    let mut changed = target.as_bytes().to_vec();
    changed[10] = if changed[10] == b'A' { b'B' } else { b'A' };
    let tampered = wire.replacen(target, std::str::from_utf8(&changed).unwrap(), 1);
    std::fs::write(&file, &tampered).unwrap();

    sam.ok(&["sync"], "");
    let read = sam.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.contains("NOT VERIFIED: tampered"), "{read:?}");
    assert!(!read.all().contains("SECRET-BODY-TEXT"), "no plaintext of a tampered message: {read:?}");
    assert!(!read.stdout.contains("Subject: Plan"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), tampered, "the mailbox copy is left as it was");
    let inbox = sam.ok(&["inbox"], "").stdout;
    assert!(inbox.contains("tampered"), "{inbox}");
}

#[test]
fn truncated_message_is_not_shown() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "SECRET-BODY-TEXT\n");
    let file = sam.delivered(&world)[0].clone();
    let wire = std::fs::read(&file).unwrap();
    std::fs::write(&file, &wire[..wire.len() * 3 / 4]).unwrap();
    sam.ok(&["sync"], "");
    let read = sam.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(
        read.stdout.contains("NOT VERIFIED: tampered") || read.stdout.contains("NOT VERIFIED: malformed"),
        "{read:?}"
    );
    assert!(!read.all().contains("SECRET-BODY-TEXT"));
}

#[test]
fn message_from_a_contact_signed_by_another_key_is_withheld_and_blocks_nothing() {
    let world = World::new();
    let (ada, _gpg) = ada_and_gpg_sam(&world);
    // Mallory has a key with Sam's address on it, never pinned by Ada.
    let mallory = Gpg { home: world.path().join("mallory-gnupg") };
    std::fs::create_dir_all(&mallory.home).unwrap();
    std::fs::set_permissions(&mallory.home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    mallory.generate("Sam Lee <sam@client.example>");
    mallory.ok(&["--import"], &std::fs::read(world.path().join("ada@practice.example.asc")).unwrap());
    let inner = inner_entity(
        "sam@client.example",
        "ada@practice.example",
        "Change of plan",
        "<m1@x>",
        "Send me the notes.\r\n",
    );
    let armored = gpg_message(&mallory, &["--sign", "--encrypt", "--recipient", "ada@practice.example"], &inner);
    let read =
        deliver_and_read(&world, &ada, &pgp_mime("sam@client.example", "ada@practice.example", "<m1@x>", &armored));
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.starts_with("Status:  NOT VERIFIED: unverified-key"), "{read:?}");
    assert!(!read.all().contains("Send me the notes") && !read.all().contains("Change of plan"), "{read:?}");
    // A stranger's key for Sam's address cannot cut Ada off from Sam.
    let sent = ada.run(&["send", "--to", "sam"], "Did you write this?\n");
    assert_eq!(sent.code, 0, "sending to the verified key goes on: {sent:?}");
    assert!(sent.stderr.contains("another key was seen for sam"), "{sent:?}");
}

#[test]
fn from_that_is_not_the_signer_is_a_mismatch() {
    let world = World::new();
    let (ada, gpg) = ada_and_gpg_sam(&world);
    let inner = inner_entity(
        "Dr. Bob <bob@practice.example>",
        "ada@practice.example",
        "Referral",
        "<f1@x>",
        "Please see my client.\r\n",
    );
    let armored = gpg_message(
        &gpg,
        &["--sign", "--encrypt", "--local-user", "sam@client.example", "--recipient", "ada@practice.example"],
        &inner,
    );
    let read =
        deliver_and_read(&world, &ada, &pgp_mime("bob@practice.example", "ada@practice.example", "<f1@x>", &armored));
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.contains("NOT VERIFIED: from-mismatch"), "{read:?}");
    assert!(
        read.stdout
            .contains("From says bob@practice.example, but the signing key is pinned for sam <sam@client.example>"),
        "{read:?}"
    );
}

#[test]
fn encrypted_but_unsigned_message_is_not_verified() {
    let world = World::new();
    let (ada, gpg) = ada_and_gpg_sam(&world);
    let inner = inner_entity("sam@client.example", "ada@practice.example", "Hi", "<u1@x>", "Unsigned words.\r\n");
    let armored = gpg_message(&gpg, &["--encrypt", "--recipient", "ada@practice.example"], &inner);
    let read =
        deliver_and_read(&world, &ada, &pgp_mime("sam@client.example", "ada@practice.example", "<u1@x>", &armored));
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.starts_with("Status:  NOT VERIFIED: unsigned: encrypted but not signed"), "{read:?}");
}

#[test]
fn plaintext_mail_is_counted_not_shown_and_left_in_place() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let raw = b"From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: hello\r\nMessage-ID: <p1@x>\r\n\r\nPLAIN-BODY\r\n";
    ada.receive_raw(&world, raw);
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 ordinary unencrypted message(s) left untouched"), "{synced:?}");
    let read = ada.run(&["read", "1"], "");
    assert_eq!(read.code, 4);
    assert!(read.stdout.contains("NOT VERIFIED: not-encrypted"), "{read:?}");
    assert!(!read.all().contains("PLAIN-BODY"));
    assert_eq!(ada.delivered(&world).len(), 1, "the message stays in the mailbox");
}

#[test]
fn unencrypted_part_beside_the_encrypted_one_is_withheld() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    ada.ok(&["send", "--to", "sam", "--subject", "Plan"], "REAL-BODY\n");
    let file = sam.delivered(&world)[0].clone();
    let wire = std::fs::read_to_string(&file).unwrap();
    let (headers, body) = wire.split_once("\r\n\r\n").unwrap();
    let content_type_at = headers.find("Content-Type: multipart/encrypted").unwrap();
    let outer_headers = &headers[..content_type_at];
    let encrypted_headers = &headers[content_type_at..];
    let wrapped = format!(
        "{outer_headers}Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\n\
         INJECTED-TEXT: click here\r\n--outer\r\n{encrypted_headers}\r\n\r\n{body}\r\n--outer--\r\n"
    );
    std::fs::write(&file, wrapped).unwrap();
    sam.ok(&["sync"], "");
    let read = sam.run(&["read", "1"], "");
    assert_eq!(read.code, 4, "{read:?}");
    assert!(read.stdout.contains("NOT VERIFIED: partly-encrypted"), "{read:?}");
    assert!(!read.all().contains("INJECTED-TEXT") && !read.all().contains("REAL-BODY"));
}

#[test]
fn escape_sequences_in_a_message_never_reach_the_terminal() {
    let world = World::new();
    let (ada, gpg) = ada_and_gpg_sam(&world);
    let inner = inner_entity(
        "Sam\u{1b}[2J Lee <sam@client.example>",
        "ada@practice.example",
        "Hi\u{1b}]0;pwned\u{7} there",
        "<e1@x>",
        "line one\u{1b}[31m red\r\n\u{1b}[1Aover\r\n",
    );
    let armored = gpg_message(
        &gpg,
        &["--sign", "--encrypt", "--local-user", "sam@client.example", "--recipient", "ada@practice.example"],
        &inner,
    );
    let read =
        deliver_and_read(&world, &ada, &pgp_mime("sam@client.example", "ada@practice.example", "<e1@x>", &armored));
    assert_eq!(read.code, 0, "{read:?}");
    assert!(!read.stdout.contains('\u{1b}') && !read.stdout.contains('\u{7}'), "{:?}", read.stdout);
    assert!(read.stdout.contains("Subject: Hi there"), "{read:?}");
    assert!(read.stdout.contains("line one red"));
    let inbox = ada.ok(&["inbox"], "").stdout;
    assert!(!inbox.contains('\u{1b}'));
}

#[test]
fn wrong_passphrase_keeps_the_store_locked() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    std::fs::write(&ada.passphrase_file, "not the passphrase\n").unwrap();
    let run = ada.run(&["inbox"], "");
    assert_eq!(run.code, 5, "{run:?}");
    assert!(run.stderr.contains("wrong passphrase"), "{run:?}");
}

#[test]
fn with_stdin_piped_on_a_terminal_the_passphrase_is_asked_on_the_terminal() {
    let world = World::new();
    let (ada, sam) = common::pair(&world);
    // `script` gives sealpost a terminal; the message comes through a pipe,
    // the passphrase is typed on the terminal (script's stdin).
    let line = format!("echo 'See you Thursday' | {} send --to sam --subject Thursday", env!("CARGO_BIN_EXE_sealpost"));
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]).env("SEALPOST_HOME", &ada.home).env_remove("SEALPOST_PASSPHRASE_FILE");
    let sent = common::run_command(&mut cmd, "passphrase of ada\n");
    assert_eq!(sent.code, 0, "{sent:?}");
    assert!(sent.stdout.contains("sealpost passphrase:"), "prompted on the terminal: {sent:?}");

    sam.ok(&["sync"], "");
    let read = sam.ok(&["read", "--last"], "");
    assert!(read.stdout.contains("See you Thursday"), "the piped text is the message: {read:?}");
}

#[test]
fn without_terminal_or_passphrase_file_fails_at_once_with_code_5() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let mut cmd = common::sealpost();
    cmd.env("SEALPOST_HOME", &ada.home).arg("inbox");
    let run = common::run_command(&mut cmd, "");
    assert_eq!(run.code, 5, "{run:?}");
    // The agent first (typed once, no file to keep), the file for scripts.
    let unlock = run.stderr.find("sealpost unlock").unwrap_or_else(|| panic!("names `sealpost unlock`: {run:?}"));
    let file = run.stderr.find("--passphrase-file").unwrap_or_else(|| panic!("names --passphrase-file: {run:?}"));
    assert!(unlock < file, "{run:?}");
    // The public key needs no passphrase.
    let mut show = common::sealpost();
    show.env("SEALPOST_HOME", &ada.home).args(["key", "show"]);
    assert_eq!(common::run_command(&mut show, "").code, 0);
}

#[test]
fn loose_permissions_on_the_store_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let keys = ada.home.join("data/keys.age");
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = ada.run(&["inbox"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("other users can access it (mode 644)"), "{run:?}");
    assert!(run.stderr.contains("chmod 600"), "{run:?}");
}

#[test]
fn malformed_certificate_file_is_refused_and_adds_nothing() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let bad = world.path().join("bad.asc");
    std::fs::write(&bad, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n")
        .unwrap();
    let run = ada.run(&["contact", "add", "sam", "sam@client.example", "--key", bad.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("is not an OpenPGP certificate; nothing was added"), "{run:?}");
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
}

#[test]
fn certificate_without_the_address_is_refused() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    let key = sam.export_key(world.path());
    let run = ada.run(&["contact", "add", "sam", "samuel@elsewhere.example", "--key", key.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("no user ID with the address samuel@elsewhere.example (it has: sam@client.example)"),
        "{run:?}"
    );
    assert!(ada.ok(&["contact", "list"], "").stdout.contains("no contacts"));
}

#[test]
fn expired_certificate_is_refused() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    let (cert, _) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_creation_time(SystemTime::now() - Duration::from_secs(30 * 86400))
        .set_validity_period(Duration::from_secs(86400))
        .add_userid("Old Key <old@client.example>")
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    let file = world.path().join("old.asc");
    std::fs::write(&file, cert.armored().to_vec().unwrap()).unwrap();
    let run = ada.run(&["contact", "add", "old", "old@client.example", "--key", file.to_str().unwrap()], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("has expired"), "{run:?}");
}

#[test]
fn a_write_cut_off_by_a_crash_leaves_no_temp_file_behind() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    // What a writer killed between writing its temp file and renaming it
    // leaves: the names `write_atomic` uses, in the store's folders.
    let data = ada.home.join("data");
    std::fs::create_dir_all(data.join("outbox")).unwrap();
    let leftovers =
        [data.join("outbox/.0a1b2c.age.tmp-4242-00ff00ff00ff00ff"), data.join(".contacts.age.tmp-4243-0123")];
    for file in &leftovers {
        std::fs::write(file, b"age-encryption.org/v1 cut off").unwrap();
    }
    // (Draft folders are kept or removed by whether their sealpost still
    // runs: tests/store_safety.rs.)
    for dir in [&data, &data.join("outbox")] {
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    }
    for file in &leftovers {
        std::fs::set_permissions(file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    }

    let listed = ada.ok(&["outbox"], "");
    assert!(listed.stdout.contains("the outbox is empty"), "{listed:?}");
    for file in &leftovers {
        assert!(!file.exists(), "{} is still there", file.display());
    }
    assert_eq!(ada.outbox_len(), 0);
}

/// `init --email` at a big provider fills in its TLS settings, once the
/// user confirms them: `--yes` in a script; without a terminal and without
/// it, nothing is created.
#[test]
fn init_at_a_known_provider_fills_its_settings_once_confirmed() {
    let world = common::World::new();
    let sam = world.bare_person("sam", "sam.lee@gmail.com");
    let init = ["init", "--name", "Sam Lee", "--email", "Sam.Lee@gmail.com", "--kdf-work-factor", "10"];
    let refused = sam.run(&init, "");
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("imap.gmail.com port 993 (TLS)") && refused.stderr.contains("--yes"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("app password"), "{refused:?}");
    assert!(!sam.home.exists() || common::files_under(&sam.home).is_empty(), "nothing was created");
    let made = sam.run(&[&init[..], &["--yes"]].concat(), "");
    assert_eq!(made.code, 0, "{made:?}");
    let config: toml::Value = toml::from_str(&std::fs::read_to_string(sam.config_path()).unwrap()).unwrap();
    assert_eq!(config["imap"]["host"].as_str(), Some("imap.gmail.com"));
    assert_eq!(config["imap"]["port"].as_integer(), Some(993));
    assert_eq!(config["imap"]["security"].as_str(), Some("tls"));
    assert_eq!(config["imap"]["sent_folder"].as_str(), Some("[Gmail]/Sent Mail"));
    assert_eq!(config["smtp"]["host"].as_str(), Some("smtp.gmail.com"));
    assert_eq!(config["smtp"]["port"].as_integer(), Some(465));
    // Servers given by hand are used as given; the table is not consulted.
    let kim = world.bare_person("kim", "kim@gmail.com");
    kim.ok(
        &[
            "init",
            "--name",
            "Kim",
            "--email",
            "kim@gmail.com",
            "--imap-host",
            "imap.example.org",
            "--smtp-host",
            "smtp.example.org",
            "--kdf-work-factor",
            "10",
        ],
        "",
    );
    let config = std::fs::read_to_string(kim.config_path()).unwrap();
    assert!(config.contains("imap.example.org") && !config.contains("imap.gmail.com"), "{config}");
}

/// `init --oauth2-client-id` at Microsoft fills in Microsoft's sign-in
/// endpoints; elsewhere they must be given, as HTTPS; until `account login`
/// ran, commands that connect say so and change nothing.
#[test]
fn init_with_an_oauth2_client_id_uses_the_providers_endpoints_and_asks_for_a_sign_in() {
    let world = common::World::new();
    let pat = world.bare_person("pat", "pat@outlook.com");
    let init = ["init", "--name", "Pat", "--email", "pat@outlook.com", "--kdf-work-factor", "10", "--yes"];
    let made = pat.run(&[&init[..], &["--oauth2-client-id", "0f1e2d3c-practice-app"]].concat(), "");
    assert_eq!(made.code, 0, "{made:?}");
    assert!(made.stdout.contains("sealpost account login"), "{made:?}");
    // The settings shown say how it signs in, not to give the id given.
    assert!(made.stderr.contains("note: signs in with OAuth2 as the application 0f1e2d3c-practice-app"), "{made:?}");
    let config: toml::Value = toml::from_str(&std::fs::read_to_string(pat.config_path()).unwrap()).unwrap();
    let oauth2 = &config["oauth2"];
    assert_eq!(oauth2["client_id"].as_str(), Some("0f1e2d3c-practice-app"));
    assert_eq!(
        oauth2["device_authorization_url"].as_str(),
        Some("https://login.microsoftonline.com/common/oauth2/v2.0/devicecode")
    );
    assert_eq!(oauth2["token_url"].as_str(), Some("https://login.microsoftonline.com/common/oauth2/v2.0/token"));
    let scopes: Vec<&str> = oauth2["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(scopes.contains(&"https://outlook.office.com/IMAP.AccessAsUser.All") && scopes.contains(&"offline_access"));
    let synced = pat.run(&["sync"], "");
    assert_eq!(synced.code, 5, "{synced:?}");
    assert!(synced.stderr.contains("not signed in yet: run `sealpost account login`"), "{synced:?}");
    // A password account has no sign-in to run.
    let kim = world.person("kim", "Kim", "kim@practice.example");
    let login = kim.run(&["account", "login"], "");
    assert_eq!(login.code, 1, "{login:?}");
    assert!(login.stderr.contains("account set-password"), "{login:?}");

    // Servers given by hand: the endpoints must be given too, and be HTTPS.
    let lee = world.bare_person("lee", "lee@practice.example");
    let by_hand = [
        "init",
        "--name",
        "Lee",
        "--email",
        "lee@practice.example",
        "--imap-host",
        "imap.example.org",
        "--smtp-host",
        "smtp.example.org",
        "--kdf-work-factor",
        "10",
        "--oauth2-client-id",
        "app",
    ];
    let refused = lee.run(&by_hand, "");
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("--oauth2-device-url"), "{refused:?}");
    let plain = [
        "--oauth2-device-url",
        "https://login.example.org/device",
        "--oauth2-token-url",
        "http://login.example.org/token",
    ];
    let refused = lee.run(&[&by_hand[..], &plain[..]].concat(), "");
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("token_url must be an https:// address"), "{refused:?}");
    assert!(!lee.home.exists() || common::files_under(&lee.home).is_empty(), "nothing was created");
}

#[test]
fn ctrl_c_while_a_message_is_handed_over_says_it_is_queued_and_outbox_cancel_withdraws_it() {
    use std::io::Write;
    use std::os::unix::process::ExitStatusExt;
    let world = World::new();
    let (ada, sam) = pair(&world);
    // A server that takes the connection and never answers: the message
    // is being handed over when the user presses Ctrl-C.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let maildir_only = std::fs::read_to_string(ada.config_path()).unwrap();
    ada.edit_config(|text| {
        format!(
            "{text}\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"tls\"\npassword_command = \"echo unused\"\n"
        )
    });
    let mut command = ada.command();
    // As at a terminal: Ctrl-C not ignored, also when the tests run in a
    // background job (which ignores it, and sealpost keeps that).
    // SAFETY: signal() is async-signal-safe, as pre_exec requires.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut send = command
        .args(["send", "--to", "sam", "--subject", "The wrong file"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    send.stdin.take().unwrap().write_all(b"Not this one.\n").unwrap();
    let (connection, _) = listener.accept().unwrap();
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(send.id() as libc::pid_t, libc::SIGINT) };
    let stopped = send.wait_with_output().unwrap();
    drop(connection);
    assert_eq!(stopped.status.signal(), Some(libc::SIGINT), "{stopped:?}");
    let said = String::from_utf8_lossy(&stopped.stderr).to_string();
    assert!(
        said.contains("interrupted: the message <") && said.contains("the next `sealpost sync` sends it"),
        "{said}"
    );
    let id = said.split("sealpost outbox --cancel ").nth(1).expect(&said).trim().to_string();
    assert!(ada.ok(&["outbox"], "").stdout.contains(&format!("<{id}>")), "still queued");

    // Withdrawn, it never goes, also once the account works again.
    std::fs::write(ada.config_path(), maildir_only).unwrap();
    let withdrawn = ada.ok(&["outbox", "--cancel", &id], "");
    assert!(withdrawn.stdout.contains(&format!("withdrew <{id}> to sam@client.example")), "{withdrawn:?}");
    assert!(withdrawn.stdout.contains("may still receive it"), "it was being handed over: {withdrawn:?}");
    assert!(ada.ok(&["outbox"], "").stdout.contains("the outbox is empty"));
    ada.ok(&["sync"], "");
    assert!(sam.delivered(&world).is_empty(), "nothing reached Sam");
    let audit = ada.ok(&["audit", "--json"], "").stdout;
    assert!(audit.contains("send-cancelled"), "{audit}");
    let again = ada.run(&["outbox", "--cancel", &id], "");
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("waits in the outbox"), "{again:?}");

    // Sending goes on as before.
    ada.ok(&["send", "--to", "sam", "--subject", "Fine"], "This one.\n");
    assert_eq!(sam.delivered(&world).len(), 1);
}

#[test]
fn a_folder_or_a_broken_link_in_the_maildir_does_not_stop_sync() {
    let world = World::new();
    let (ada, sam) = pair(&world);
    sam.ok(&["send", "--to", "ada", "--subject", "Still here"], "GENUINE-BODY\n");
    let new = ada.maildir(&world).join("new");
    std::fs::create_dir(new.join("0000000000.a-folder")).unwrap();
    std::os::unix::fs::symlink(world.path().join("nothing-there"), new.join("0000000001.a-broken-link")).unwrap();
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}");
    assert!(synced.stdout.contains("1 verified"), "{synced:?}");
    assert!(ada.ok(&["read", "--last"], "").stdout.contains("GENUINE-BODY"));
    assert!(new.join("0000000000.a-folder").is_dir(), "left where it is");
}

#[test]
fn a_verified_message_without_a_date_of_its_own_is_dated_by_its_signature_and_its_id_listed_without_escapes() {
    let world = World::new();
    let (ada, gpg) = ada_and_gpg_sam(&world);
    // As gpg users send: no Date inside; and a Message-ID with escapes.
    let inner = b"Content-Type: text/plain; charset=utf-8\r\nFrom: sam@client.example\r\n\
        Message-ID: <x\x1b]0;TITLE\x07\x1b[2J@client.example>\r\n\r\nMoved to Friday.\r\n";
    let armored =
        gpg_message(&gpg, &["--sign", "--encrypt", "-u", "sam@client.example", "-r", "ada@practice.example"], inner);
    let raw = String::from_utf8(pgp_mime("sam@client.example", "ada@practice.example", "<moved@x>", &armored))
        .unwrap()
        .replacen("Subject: ...\r\n", "Subject: ...\r\nDate: Tue, 01 Jan 2030 09:00:00 +0000\r\n", 1);
    ada.receive_raw(&world, raw.as_bytes());
    ada.ok(&["sync"], "");
    let listed = ada.ok(&["inbox", "--json"], "").stdout;
    let inbox: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let message = &inbox["messages"][0];
    assert_eq!(message["status"], "verified", "{listed}");
    // Dated today (or yesterday, just past midnight), by its signature.
    let date = message["date"].as_str().expect(&listed);
    let day = |when: &str| {
        let out = std::process::Command::new("date").args(["-u", "-d", when, "+%Y-%m-%d"]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert!(date.starts_with(&day("now")) || date.starts_with(&day("yesterday")), "not the envelope's 2030: {listed}");
    for shown in [listed, ada.ok(&["read", "--last", "--json"], "").stdout, ada.ok(&["audit", "--json"], "").stdout] {
        assert!(!shown.contains("\\u001b") && !shown.contains("\\u0007"), "no escapes: {shown}");
    }
}

#[test]
fn an_export_stopped_while_writing_leaves_no_file_partial_or_hidden_and_no_entry() {
    use std::os::unix::process::ExitStatusExt;
    let world = World::new();
    let (ada, sam) = pair(&world);
    // A record that takes a while to write: scans of a few megabytes.
    for n in 0..3u8 {
        let scan = world.path().join(format!("scan-{n}.pdf"));
        let bytes: Vec<u8> = (0..3 << 20).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> (13 + n)) as u8).collect();
        std::fs::write(&scan, bytes).unwrap();
        ada.ok(&["send", "--to", "sam", "--subject", "Scan", "--attach", scan.to_str().unwrap()], "Scanned.\n");
    }
    sam.ok(&["sync"], "");
    let folder = world.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    let out = folder.join("ada-record.tar");
    // Ctrl-C, and a terminal's SIGTERM, once the export is being written.
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let mut command = sam.command();
        // As at a terminal (see the test above).
        // SAFETY: signal() is async-signal-safe, as pre_exec requires.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
        let export = command
            .args(["export", "--contact", "ada", "--out", out.to_str().unwrap(), "--plaintext"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while std::fs::read_dir(&folder).unwrap().next().is_none() {
            assert!(started.elapsed() < Duration::from_secs(120), "the export never started writing");
            std::thread::sleep(Duration::from_millis(2));
        }
        // SAFETY: a signal to the child this test started.
        unsafe { libc::kill(export.id() as libc::pid_t, signal) };
        let stopped = export.wait_with_output().unwrap();
        assert_eq!(stopped.status.signal(), Some(signal), "stopped while writing: {stopped:?}");
        let left: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "a stopped export left {left:?}");
    }
    let log = sam.ok(&["audit", "--json"], "").stdout;
    assert!(!log.contains("\"export\""), "no export was made: {log}");
    // What a kill -9 left (its process gone) is removed by the next export.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let left = folder.join(format!(".ada-record.tar.tmp-{}-0123456789abcdef", gone.id()));
    std::fs::write(&left, "part of a record").unwrap();
    let written = sam.ok(&["export", "--contact", "ada", "--out", out.to_str().unwrap(), "--plaintext"], "");
    assert!(written.stderr.contains("a partial file left by sealpost process"), "{written:?}");
    let now: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(now, [std::ffi::OsString::from("ada-record.tar")]);
}
