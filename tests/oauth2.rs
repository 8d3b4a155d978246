//! OAuth2 sign-in against a real Dovecot (its `oauth2` passdb) and Postfix
//! (SASL through Dovecot), with a local OAuth2 provider whose introspection
//! endpoint Dovecot asks about each token: the device authorization grant
//! as a user goes through it, XOAUTH2 logins, renewal, revocation.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::mail_stack::{self, MailStack};
use common::oauth_provider::Provider;
use common::{Person, World};

/// Ada, on the stack, signing in with OAuth2: no password anywhere.
fn oauth_person(world: &World, stack: &MailStack, provider: &Provider) -> Person {
    let ada = world.bare_person("ada", "ada@practice.example");
    let args = oauth_init_args(stack, provider);
    let made = ada.ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), "");
    assert!(made.stdout.contains("next: sign in to your mail account with `sealpost account login`"), "{made:?}");
    ada
}

/// `init` for Ada on the stack with OAuth2 and no password.
fn oauth_init_args(stack: &MailStack, provider: &Provider) -> Vec<String> {
    let mut args: Vec<String> =
        ["init", "--name", "Dr. Ada Moss", "--email", "ada@practice.example"].map(String::from).to_vec();
    let options = common::server_options(stack);
    let password = options.iter().position(|o| o == "--password-command").unwrap();
    args.extend(options[..password].iter().cloned());
    args.extend(
        [
            "--oauth2-client-id",
            "sealpost-test-client",
            "--oauth2-device-url",
            &provider.url("/device"),
            "--oauth2-token-url",
            &provider.url("/token"),
            "--oauth2-scope",
            "imap",
            "--oauth2-scope",
            "offline_access",
        ]
        .map(String::from),
    );
    args
}

/// Runs `account login` as a user would: reads the address and code it
/// shows, then `browser` acts on the code at the provider. Returns the
/// exit code and everything the command printed.
fn login(person: &Person, browser: impl FnOnce(&str)) -> (i32, String) {
    let (code, shown, _) = login_with(person, &[], browser);
    (code, shown)
}

/// Reads what a command shows (into `shown`) up to the sign-in code, and
/// returns the code.
fn code_shown(output: &mut impl BufRead, shown: &mut String) -> String {
    loop {
        let mut line = String::new();
        if output.read_line(&mut line).unwrap() == 0 {
            panic!("the command ended without showing a code: {shown}");
        }
        shown.push_str(&line);
        if let Some(code) = line.trim().strip_prefix("and enter the code") {
            return code.trim().to_string();
        }
    }
}

/// `login` with more options; also returns stdout alone.
fn login_with(person: &Person, extra: &[&str], browser: impl FnOnce(&str)) -> (i32, String, String) {
    let mut child = person
        .command()
        .args(["account", "login"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut shown = String::new();
    let code = code_shown(&mut stderr, &mut shown);
    browser(&code);
    let output = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    shown.push_str(&rest);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    shown.push_str(&stdout);
    (output.status.code().unwrap_or(-1), shown, stdout)
}

#[test]
fn a_device_sign_in_lets_sync_and_send_log_in_with_xoauth2_and_renews_its_token() {
    let test = "a_device_sign_in_lets_sync_and_send_log_in_with_xoauth2_and_renews_its_token";
    let Some((stack, provider)) = mail_stack::start_with_oauth2(test) else { return };
    let world = World::new();
    let ada = oauth_person(&world, &stack, &provider);
    let sam = world.server_person(&stack, "sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());

    // Not signed in yet: a clear refusal (exit 5), and the note stays queued.
    let refused = ada.run(&["send", "--to", "sam", "--subject", "Before sign-in"], "Queued first.\n");
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("sealpost account login"), "{refused:?}");
    assert_eq!(ada.ok(&["outbox", "--json"], "").stdout.matches("message_id").count(), 1);

    // The sign-in: the address and the code are shown; the user approves.
    let (code, shown) = login(&ada, |code| provider.approve(code, "ada@practice.example"));
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains(&format!("https://localhost:{}/activate", provider.port)), "{shown}");
    assert!(shown.contains("signed in"), "{shown}");
    assert_eq!(provider.device_request("client_id").as_deref(), Some("sealpost-test-client"));
    assert_eq!(provider.device_request("scope").as_deref(), Some("imap offline_access"));

    // Both servers take the token: account check logs in with XOAUTH2.
    let check = ada.run(&["account", "check"], "");
    assert_eq!(check.code, 0, "{check:?}\n{}", stack.logs());
    assert_eq!(check.stdout.matches("login:       ok as ada@practice.example (OAuth2)").count(), 2, "{check:?}");
    assert!(provider.log().iter().filter(|l| *l == "introspect:ok").count() >= 2, "{:?}", provider.log());
    let checked: serde_json::Value = serde_json::from_str(&ada.ok(&["account", "check", "--json"], "").stdout).unwrap();
    let schema = common::json_schema::Schema::load();
    schema.check("sealpost account check", &checked);
    assert_eq!((&checked["smtp"]["login"], &checked["imap"]["login"]), (&"oauth2".into(), &"oauth2".into()));

    // The queued note goes out over SMTP with the token; Sam reads it.
    let flushed = ada.run(&["outbox", "--flush"], "");
    assert_eq!(flushed.code, 0, "{flushed:?}\n{}", stack.logs());
    stack.wait_delivered("sam@client.example", 1);
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.contains("Queued first."));
    // Ada fetches Sam's receipt over IMAP with the token.
    stack.wait_delivered("ada@practice.example", 1);
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}\n{}", stack.logs());
    assert!(synced.stdout.contains("was read by sam"), "{synced:?}");
    let renewals = |p: &Provider| p.log().iter().filter(|l| *l == "token:refresh_token").count();
    assert_eq!(renewals(&provider), 0, "a token good for an hour is not renewed: {:?}", provider.log());

    // Tokens good for less than the margin are renewed before use, and the
    // provider rotates the refresh token: each renewal must use the new one.
    provider.set_lifetime(30);
    let (code, shown, stdout) = login_with(&ada, &["--json"], |code| provider.approve(code, "ada@practice.example"));
    assert_eq!(code, 0, "{shown}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    schema.check("sealpost account login", &printed);
    assert_eq!(printed["signed_in"], true);
    assert!(shown.contains(r#"{"sign_in":{"#), "{shown}");
    for round in 1..=3 {
        let synced = ada.run(&["sync"], "");
        assert_eq!(synced.code, 0, "round {round}: {synced:?}\n{}", stack.logs());
        assert_eq!(renewals(&provider), round, "{:?}", provider.log());
    }

    // No token is in any file of the home in plaintext.
    let issued = provider.issued();
    assert!(issued.len() >= 6);
    for path in common::files_under(&ada.home) {
        let bytes = std::fs::read(&path).unwrap();
        for token in &issued {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "{} holds a token in plaintext",
                path.display()
            );
        }
    }
}

#[test]
fn a_revoked_or_declined_sign_in_is_a_clear_refusal_and_loses_nothing() {
    let test = "a_revoked_or_declined_sign_in_is_a_clear_refusal_and_loses_nothing";
    let Some((stack, provider)) = mail_stack::start_with_oauth2(test) else { return };
    let world = World::new();
    let ada = oauth_person(&world, &stack, &provider);
    let sam = world.server_person(&stack, "sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());

    // Declined in the browser: said so, nothing stored.
    let (code, shown) = login(&ada, |code| provider.deny(code));
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains("declined"), "{shown}");
    assert!(ada.run(&["sync"], "").stderr.contains("not signed in yet"));

    provider.set_lifetime(30);
    let (code, shown) = login(&ada, |code| provider.approve(code, "ada@practice.example"));
    assert_eq!(code, 0, "{shown}");
    ada.ok(&["sync"], "");

    // The user revokes the sign-in at the provider: the renewal is refused,
    // the command says to sign in again, and the note is kept (exit 6,
    // queued); a sync says the same and fails as locked out (exit 5).
    provider.revoke_all();
    let sent = ada.run(&["send", "--to", "sam", "--subject", "After revocation"], "Kept for later.\n");
    assert_eq!(sent.code, 6, "{sent:?}");
    assert!(sent.stderr.contains("kept encrypted in the outbox"), "{sent:?}");
    assert!(sent.stderr.contains("the OAuth2 sign-in has ended"), "{sent:?}");
    assert!(sent.stderr.contains("sealpost account login"), "{sent:?}");
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 5, "{synced:?}");
    assert!(synced.stderr.contains("run `sealpost account login` to sign in again"), "{synced:?}");
    let outbox = ada.ok(&["outbox"], "").stdout;
    assert!(outbox.contains("After revocation") || outbox.contains("sam@client.example"), "{outbox}");
    assert!(stack.delivered("sam@client.example").is_empty());

    // Signed in again, the kept note goes out exactly once.
    let (code, shown) = login(&ada, |code| provider.approve(code, "ada@practice.example"));
    assert_eq!(code, 0, "{shown}");
    ada.ok(&["outbox", "--flush"], "");
    stack.wait_delivered("sam@client.example", 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(stack.delivered("sam@client.example").len(), 1);

    // A token the provider says is not Ada's is refused by the servers.
    let eve_token = {
        ada.ok(&["account", "logout"], "");
        let (code, shown) = login(&ada, |code| provider.approve(code, "eve@client.example"));
        assert_eq!(code, 0, "{shown}");
        ada.run(&["account", "check"], "")
    };
    assert_ne!(eve_token.code, 0, "{eve_token:?}");
    assert!(eve_token.stderr.contains("IMAP sign-in as ada@practice.example"), "{eve_token:?}");
    assert!(eve_token.stderr.contains("refused the OAuth2 sign-in"), "{eve_token:?}");
}

/// On a terminal, `init` signs in at once: one command, then the account
/// works. (`script` gives the command a terminal.)
#[test]
fn on_a_terminal_init_signs_in_to_the_mail_account_at_once() {
    let test = "on_a_terminal_init_signs_in_to_the_mail_account_at_once";
    let Some((stack, provider)) = mail_stack::start_with_oauth2(test) else { return };
    let world = World::new();
    let ada = world.bare_person("ada", "ada@practice.example");
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_sealpost").to_string())
        .chain(oauth_init_args(&stack, &provider))
        .map(|arg| format!("'{}'", arg.replace('\'', r"'\''")))
        .collect();
    let mut child = std::process::Command::new("script")
        .args(["-qefc", &quoted.join(" "), "/dev/null"])
        .env("SEALPOST_HOME", &ada.home)
        .env("SEALPOST_PASSPHRASE_FILE", &ada.passphrase_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut shown = String::new();
    provider.approve(&code_shown(&mut output, &mut shown), "ada@practice.example");
    std::io::Read::read_to_string(&mut output, &mut shown).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{shown}");
    assert!(shown.contains("this mail account signs in with OAuth2"), "{shown}");
    assert!(shown.contains("signed in to the mail account"), "{shown}");
    assert!(!shown.contains("next: sign in"), "{shown}");
    let check = ada.run(&["account", "check"], "");
    assert_eq!(check.code, 0, "{check:?}\n{}", stack.logs());
    assert_eq!(check.stdout.matches("(OAuth2)").count(), 2, "{check:?}");
}
