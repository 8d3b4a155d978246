//! Against a real Dovecot and Postfix on 127.0.0.1 with TLS.

mod common;

use common::mail_stack::{self, MailStack};
use common::World;

fn server_pair(world: &World, stack: &MailStack) -> (common::Person, common::Person) {
    let ada = world.server_person(stack, "ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.server_person(stack, "sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());
    (ada, sam)
}

#[test]
fn two_identities_exchange_verified_messages_through_the_servers() {
    let Some(stack) = mail_stack::start("two_identities_exchange_verified_messages_through_the_servers") else { return };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);

    let check = ada.run(&["account", "check"], "");
    assert_eq!(check.code, 0, "{check:?}\n{}", stack.logs());
    assert!(check.stdout.contains("tls:         TLSv1_3"), "{check:?}");
    assert!(check.stdout.contains("login:       ok as ada@practice.example"), "{check:?}");
    assert!(check.stdout.contains("INBOX"), "{check:?}");

    let sent = ada.run(&["send", "--to", "sam", "--subject", "Over the wire"], "Hello through Postfix.\n");
    assert_eq!(sent.code, 0, "{sent:?}\n{}", stack.logs());
    stack.wait_delivered("sam@client.example", 1);
    let wire = std::fs::read_to_string(&stack.delivered("sam@client.example")[0]).unwrap();
    assert!(wire.contains("multipart/encrypted") && !wire.contains("Over the wire") && !wire.contains("Hello through"));
    // The sender's copy is in its Sent folder on the server.
    let sent_dir = stack.path().join("mail/practice.example/ada/.Sent/cur");
    assert_eq!(std::fs::read_dir(&sent_dir).map(|d| d.count()).unwrap_or(0), 1, "sent copy in {}", sent_dir.display());

    let synced = sam.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}");
    assert!(synced.stdout.contains("1 new message(s): 1 verified"), "{synced:?}");
    let read = sam.ok(&["read", "1"], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by ada"), "{read:?}");
    assert!(read.stdout.contains("Hello through Postfix."));
    // Incremental: nothing new, nothing stored twice; nothing removed from the server.
    assert!(sam.ok(&["sync"], "").stdout.contains("fetched 0 new"));
    assert_eq!(stack.delivered("sam@client.example").len(), 1);

    sam.ok(&["send", "--to", "ada", "--subject", "Re: Over the wire"], "Got it.\n");
    stack.wait_delivered("ada@practice.example", 1);
    ada.ok(&["sync"], "");
    let reply = ada.ok(&["read", "--last"], "");
    assert!(reply.stdout.starts_with("Status:  verified: signed by sam"), "{reply:?}");
}

/// Ada, with Sam verified, whose config is then pointed somewhere unsafe.
fn ada_with_edit(world: &World, stack: &MailStack, edit: impl FnOnce(String) -> String) -> common::Person {
    let (ada, _sam) = server_pair(world, stack);
    ada.edit_config(edit);
    ada
}

fn assert_send_refused(stack: &MailStack, ada: &common::Person, expect: &[&str]) {
    let run = ada.run(&["send", "--to", "sam", "--subject", "x"], "must not leave\n");
    assert_eq!(run.code, 6, "{run:?}");
    for wanted in expect {
        assert!(run.stderr.contains(wanted), "expected {wanted:?} in {:?}", run.stderr);
    }
    assert!(run.stderr.contains("queued, will retry"), "{run:?}");
    assert_eq!(ada.outbox_len(), 1, "the message stays in the outbox");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(stack.delivered("sam@client.example").is_empty(), "nothing was delivered");
}

fn assert_sync_refused(ada: &common::Person, expect: &[&str]) {
    let run = ada.run(&["sync"], "");
    assert_eq!(run.code, 1, "{run:?}");
    for wanted in expect {
        assert!(run.stderr.contains(wanted), "expected {wanted:?} in {:?}", run.stderr);
    }
}

#[test]
fn tls_policy_refuses_unsafe_servers() {
    let Some(mut stack) = mail_stack::start("tls_policy_refuses_unsafe_servers") else { return };
    let world = World::new();
    let submission = stack.submission_port.to_string();

    // A submission port that does not offer STARTTLS: no downgrade.
    let no_starttls = stack.no_starttls_port.to_string();
    let ada = ada_with_edit(&world, &stack, |c| c.replacen(&submission, &no_starttls, 1));
    assert_send_refused(&stack, &ada, &["STARTTLS"]);

    // A certificate for another host name (it names only localhost).
    let world = World::new();
    let ada = ada_with_edit(&world, &stack, |c| c.replace("host = \"localhost\"", "host = \"127.0.0.1\""));
    assert_send_refused(&stack, &ada, &["certificate not valid for name \"127.0.0.1\""]);
    assert_sync_refused(&ada, &["certificate not valid for name \"127.0.0.1\""]);

    // The test CA is not a system root: without ca_file it is refused.
    let world = World::new();
    let ada = ada_with_edit(&world, &stack, |c| c.lines().filter(|l| !l.starts_with("ca_file")).collect::<Vec<_>>().join("\n"));
    assert_send_refused(&stack, &ada, &["UnknownIssuer"]);
    assert_sync_refused(&ada, &["UnknownIssuer"]);

    // A plaintext-only port where TLS is expected.
    let world = World::new();
    let plain = stack.imap_starttls_port.to_string();
    let imaps = stack.imaps_port.to_string();
    let ada = ada_with_edit(&world, &stack, |c| c.replacen(&format!("port = {imaps}"), &format!("port = {plain}"), 1));
    assert_sync_refused(&ada, &["TLS with localhost failed"]);
    let world = World::new();
    let ada = ada_with_edit(&world, &stack, |c| c.replacen("security = \"starttls\"", "security = \"tls\"", 1));
    assert_send_refused(&stack, &ada, &["SMTP submission failed"]);

    // An expired certificate.
    let expired = stack.extra_imaps("expired").to_string();
    let world = World::new();
    let ada = ada_with_edit(&world, &stack, |c| c.replacen(&format!("port = {imaps}"), &format!("port = {expired}"), 1));
    assert_sync_refused(&ada, &["certificate expired"]);

    // There is no configuration value that turns TLS off.
    let world = World::new();
    let ada = ada_with_edit(&world, &stack, |c| c.replacen("security = \"starttls\"", "security = \"none\"", 1));
    let run = ada.run(&["send", "--to", "sam"], "x\n");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("unknown variant `none`"), "{run:?}");
}

#[test]
fn plaintext_password_in_the_config_is_refused() {
    let world = World::new();
    let ada = world.person("ada", "Dr. Ada Moss", "ada@practice.example");
    ada.edit_config(|c| format!("{c}\n[imap]\nhost = \"localhost\"\nport = 993\nsecurity = \"tls\"\npassword = \"hunter2\"\n"));
    let run = ada.run(&["sync"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("plaintext `password`"), "{run:?}");
    assert!(run.stderr.contains("password_command") && run.stderr.contains("sealpost account set-password"), "{run:?}");
}

#[test]
fn outbox_survives_a_stopped_server_and_delivers_exactly_once() {
    let Some(mut stack) = mail_stack::start("outbox_survives_a_stopped_server_and_delivers_exactly_once") else { return };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);

    stack.stop_submission();
    let run = ada.run(&["send", "--to", "sam", "--subject", "While down"], "Queued words.\n");
    assert_eq!(run.code, 6, "{run:?}");
    assert!(run.stderr.contains("queued, will retry"), "{run:?}");
    let listed = ada.ok(&["outbox"], "");
    assert!(listed.stdout.contains("to sam@client.example") && listed.stdout.contains("last error: "), "{listed:?}");
    let still_down = ada.run(&["sync"], "");
    assert_eq!(still_down.code, 6, "{still_down:?}");
    assert_eq!(ada.outbox_len(), 1);

    stack.start_submission();
    let flushed = ada.ok(&["outbox", "--flush"], "");
    assert!(flushed.stdout.contains("delivered <") && flushed.stdout.contains("the outbox is empty"), "{flushed:?}");
    assert_eq!(ada.outbox_len(), 0);
    stack.wait_delivered("sam@client.example", 1);
    ada.ok(&["sync"], "");
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(stack.delivered("sam@client.example").len(), 1, "delivered exactly once");

    // A second copy of the same message (a retry after a lost reply) is
    // recognized by its Message-ID and stored once.
    let first = stack.delivered("sam@client.example")[0].clone();
    let copy = first.with_file_name(format!("{}.copy", first.file_name().unwrap().to_string_lossy().split(':').next().unwrap()));
    std::fs::copy(&first, &copy).unwrap();
    std::process::Command::new("chown").arg("mail:mail").arg(&copy).status().unwrap();
    let synced = sam.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 verified") && synced.stdout.contains("1 duplicate(s)"), "{synced:?}");
    let inbox = sam.ok(&["inbox"], "").stdout;
    assert_eq!(inbox.lines().filter(|l| l.contains("While down")).count(), 1, "{inbox}");
}
