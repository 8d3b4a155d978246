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
    let Some(stack) = mail_stack::start("two_identities_exchange_verified_messages_through_the_servers") else {
        return;
    };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);

    let check = ada.run(&["account", "check"], "");
    assert_eq!(check.code, 0, "{check:?}\n{}", stack.logs());
    assert!(check.stdout.contains("smtp localhost:") && check.stdout.contains("(STARTTLS)"), "{check:?}");
    assert!(check.stdout.contains("tls:         TLS 1.3"), "{check:?}");
    assert!(check.stdout.contains("login:       ok as ada@practice.example"), "{check:?}");
    assert!(check.stdout.contains("login:       ok as ada@practice.example"), "{check:?}");
    assert!(check.stdout.contains("INBOX"), "{check:?}");
    let checked: serde_json::Value = serde_json::from_str(&ada.ok(&["account", "check", "--json"], "").stdout).unwrap();
    common::json_schema::Schema::load().check("sealpost account check", &checked);
    assert_eq!(checked["imap"]["username"], "ada@practice.example");

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
    // Reading sent a signed read receipt through Postfix.
    assert!(read.stderr.contains("sent a signed read receipt to ada"), "{read:?}\n{}", stack.logs());
    stack.wait_delivered("ada@practice.example", 1);
    // Incremental: nothing new, nothing stored twice; nothing removed from the server.
    assert!(sam.ok(&["sync"], "").stdout.contains("fetched 0 new"));
    assert_eq!(stack.delivered("sam@client.example").len(), 1);

    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let synced = ada.ok(&["sync"], "");
    assert!(synced.stdout.contains("was read by sam at"), "{synced:?}");
    let status: serde_json::Value = serde_json::from_str(&ada.ok(&["status", "1", "--json"], "").stdout).unwrap();
    assert_eq!(status["state"], "read", "{status}");
    assert_eq!(status["read_by"], "sam@client.example");
    assert_eq!(status["receipt_signer"], sam.fingerprint().as_str());
    let read_at = mail_parser::DateTime::parse_rfc3339(status["read_at"].as_str().unwrap()).unwrap().to_timestamp();
    assert!(read_at <= before, "read at {read_at}, before Ada's sync at {before}");
    assert!(ada.ok(&["inbox"], "").stdout.contains("no messages"), "the receipt is not listed as a message");

    sam.ok(&["send", "--to", "ada", "--subject", "Re: Over the wire"], "Got it.\n");
    stack.wait_delivered("ada@practice.example", 2);
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
    let ada = ada_with_edit(&world, &stack, |c| {
        c.lines().filter(|l| !l.starts_with("ca_file")).collect::<Vec<_>>().join("\n")
    });
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
    let ada =
        ada_with_edit(&world, &stack, |c| c.replacen(&format!("port = {imaps}"), &format!("port = {expired}"), 1));
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
    ada.edit_config(|c| {
        format!("{c}\n[imap]\nhost = \"localhost\"\nport = 993\nsecurity = \"tls\"\npassword = \"hunter2\"\n")
    });
    let run = ada.run(&["sync"], "");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("plaintext `password`"), "{run:?}");
    assert!(run.stderr.contains("password_command") && run.stderr.contains("sealpost account set-password"), "{run:?}");
}

#[test]
fn outbox_survives_a_stopped_server_and_delivers_exactly_once() {
    let Some(mut stack) = mail_stack::start("outbox_survives_a_stopped_server_and_delivers_exactly_once") else {
        return;
    };
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
    let copy = first
        .with_file_name(format!("{}.copy", first.file_name().unwrap().to_string_lossy().split(':').next().unwrap()));
    std::fs::copy(&first, &copy).unwrap();
    std::process::Command::new("chown").arg("mail:mail").arg(&copy).status().unwrap();
    let synced = sam.ok(&["sync"], "");
    assert!(synced.stdout.contains("1 verified") && synced.stdout.contains("1 duplicate(s)"), "{synced:?}");
    let inbox = sam.ok(&["inbox"], "").stdout;
    assert_eq!(inbox.lines().filter(|l| l.contains("While down")).count(), 1, "{inbox}");
}

/// A submission server that, after "220 Ready to start TLS", sends
/// `injected` in plaintext (what a man in the middle can add), then speaks
/// SMTP inside TLS with the stack's certificate and refuses every message
/// with 552. Returns its port and the number of messages it refused.
fn injecting_submission_server(
    stack: &MailStack,
    injected: &'static str,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::io::{Read, Write};
    use std::sync::Arc;
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(stack.path().join("server.pem")).unwrap().collect::<Result<_, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(stack.path().join("server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    // One byte at a time: the server must not swallow the client's TLS hello.
    fn line(stream: &mut impl Read) -> Option<String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            if stream.read(&mut byte).ok()? == 0 {
                return None;
            }
            line.push(byte[0]);
        }
        Some(String::from_utf8_lossy(&line).trim_end().to_string())
    }
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = refused.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { return };
            let (config, counter) = (config.clone(), counter.clone());
            std::thread::spawn(move || -> Option<()> {
                tcp.write_all(b"220 localhost ESMTP\r\n").ok()?;
                line(&mut tcp)?; // EHLO
                tcp.write_all(b"250-localhost\r\n250-STARTTLS\r\n250 8BITMIME\r\n").ok()?;
                if !line(&mut tcp)?.eq_ignore_ascii_case("STARTTLS") {
                    return None;
                }
                // One write: the reply and the injection arrive together.
                tcp.write_all(format!("220 2.0.0 Ready to start TLS\r\n{injected}").as_bytes()).ok()?;
                let conn = rustls::ServerConnection::new(config).ok()?;
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                loop {
                    let command = line(&mut tls)?.to_ascii_uppercase();
                    let reply = match command.split(' ').next().unwrap_or("") {
                        "EHLO" => "250-localhost\r\n250 AUTH PLAIN LOGIN\r\n".to_string(),
                        "AUTH" => "235 2.7.0 Authentication successful\r\n".to_string(),
                        "MAIL" | "RCPT" | "RSET" | "NOOP" => "250 2.1.0 Ok\r\n".to_string(),
                        "DATA" => {
                            tls.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").ok()?;
                            while line(&mut tls)? != "." {}
                            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            "552 5.3.4 Message size exceeds fixed limit\r\n".to_string()
                        }
                        "QUIT" => {
                            let _ = tls.write_all(b"221 2.0.0 Bye\r\n");
                            return Some(());
                        }
                        _ => "502 5.5.2 Error: command not recognized\r\n".to_string(),
                    };
                    tls.write_all(reply.as_bytes()).ok()?;
                }
            });
        }
    });
    (port, refused)
}

/// Files in `user`'s Sent folder on the server.
fn sent_folder(stack: &MailStack, user: &str) -> Vec<std::path::PathBuf> {
    let (local, domain) = user.split_once('@').unwrap();
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let dir = stack.path().join("mail").join(domain).join(local).join(".Sent").join(sub);
        if let Ok(dir) = std::fs::read_dir(dir) {
            files.extend(dir.map(|e| e.unwrap().path()));
        }
    }
    files
}

#[test]
fn replies_injected_before_starttls_never_make_a_refused_message_sent() {
    let Some(stack) = mail_stack::start("replies_injected_before_starttls_never_make_a_refused_message_sent") else {
        return;
    };
    let world = World::new();
    let (ada, _sam) = server_pair(&world, &stack);
    // A reply to EHLO that offers AUTH: read inside TLS, it shifts every
    // later reply by one, so the server's 354 would answer the message.
    let (port, refused) = injecting_submission_server(&stack, "250-localhost\r\n250 AUTH PLAIN LOGIN\r\n");
    let submission = stack.submission_port.to_string();
    ada.edit_config(|c| c.replacen(&submission, &port.to_string(), 1));

    let check = ada.run(&["account", "check"], "");
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stderr.contains("sent data after agreeing to STARTTLS, before TLS started"), "{check:?}");

    let sent = ada.run(&["send", "--to", "sam", "--subject", "Thursday"], "See you Thursday.\n");
    assert_ne!(sent.code, 0, "a message the server refused is not sent: {sent:?}");
    assert!(!sent.stdout.contains("sent <"), "{sent:?}");
    assert!(sent.stderr.contains("sent data after agreeing to STARTTLS, before TLS started"), "{sent:?}");
    assert_eq!(ada.outbox_len(), 1, "the message stays in the outbox");
    let listed: serde_json::Value = serde_json::from_str(&ada.ok(&["sent", "--json"], "").stdout).unwrap();
    let states: Vec<&str> =
        listed["messages"].as_array().unwrap().iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["queued"], "{listed}");
    assert!(sent_folder(&stack, "ada@practice.example").is_empty(), "no copy in the Sent folder");
    assert_eq!(refused.load(std::sync::atomic::Ordering::SeqCst), 0, "the message never went into that connection");
}

/// Forwards 127.0.0.1:returned-port to `target`; the first connection is cut
/// after `cut_after` bytes from the server, later ones pass everything.
fn flaky_proxy(target: u16, cut_after: usize) -> u16 {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for (n, client) in listener.incoming().enumerate() {
            let Ok(mut client) = client else { return };
            let mut server = TcpStream::connect(("127.0.0.1", target)).unwrap();
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c2, &mut s2);
                let _ = s2.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let limit = if n == 0 { cut_after } else { usize::MAX };
                let mut sent = 0;
                let mut buf = [0u8; 4096];
                while let Ok(k) = server.read(&mut buf) {
                    if k == 0 {
                        break;
                    }
                    let k = k.min(limit - sent);
                    if client.write_all(&buf[..k]).is_err() {
                        break;
                    }
                    sent += k;
                    if sent >= limit {
                        break;
                    }
                }
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
            });
        }
    });
    port
}

#[test]
fn a_fetch_cut_off_midway_is_completed_by_the_next_sync_storing_each_message_once() {
    let Some(stack) = mail_stack::start("a_fetch_cut_off_midway_is_completed_by_the_next_sync") else { return };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);
    let body = "x".repeat(12_000) + "\n";
    for i in 0..5 {
        ada.ok(&["send", "--to", "sam", "--subject", &format!("part {i}")], &body);
    }
    stack.wait_delivered("sam@client.example", 5);

    let imaps = stack.imaps_port.to_string();
    let proxy = flaky_proxy(stack.imaps_port, 30_000).to_string();
    sam.edit_config(|c| c.replacen(&format!("port = {imaps}"), &format!("port = {proxy}"), 1));
    let cut = sam.run(&["sync"], "");
    assert_eq!(cut.code, 1, "the cut-off fetch is an error: {cut:?}");
    let after_cut = sam.ok(&["inbox"], "").stdout;

    let resumed = sam.ok(&["sync"], "");
    assert!(resumed.stdout.contains("verified"), "{resumed:?}");
    let inbox = sam.ok(&["inbox"], "").stdout;
    for i in 0..5 {
        assert_eq!(
            inbox.lines().filter(|l| l.ends_with(&format!("part {i}"))).count(),
            1,
            "part {i} once:\n{inbox}\n(after the cut:\n{after_cut})"
        );
    }
    assert!(sam.ok(&["sync"], "").stdout.contains("fetched 0 new"));
}

#[test]
fn changed_uidvalidity_rescans_without_storing_twice() {
    let Some(stack) = mail_stack::start("changed_uidvalidity_rescans_without_storing_twice") else { return };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);
    ada.ok(&["send", "--to", "sam", "--subject", "before"], "one\n");
    stack.wait_delivered("sam@client.example", 1);
    assert!(sam.ok(&["sync"], "").stdout.contains("1 verified"));
    // Dovecot assigns a new UIDVALIDITY when its UID list is lost.
    let maildir = stack.path().join("mail/client.example/sam");
    std::fs::remove_file(maildir.join("dovecot-uidlist")).unwrap();
    ada.ok(&["send", "--to", "sam", "--subject", "after"], "two\n");
    stack.wait_delivered("sam@client.example", 2);
    let synced = sam.ok(&["sync"], "");
    assert!(
        synced.stdout.contains("1 new message(s): 1 verified") && synced.stdout.contains("1 duplicate(s)"),
        "{synced:?}"
    );
    let inbox = sam.ok(&["inbox"], "").stdout;
    assert_eq!(inbox.lines().count(), 3, "a header and two messages:\n{inbox}");
}

/// A small tmpfs mounted at a folder, unmounted when dropped.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (e.g. "4m") at `path`, or says why it cannot
    /// (mounting needs root); `None` then, unless the real-server suite is
    /// required (`SEALPOST_REQUIRE_MAIL_STACK=1`), which fails instead.
    fn mount(path: &std::path::Path, size: &str, test: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(path).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(path)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(SmallDisk { path: path.to_path_buf() }),
            other => {
                let why = format!("mounting a tmpfs at {} failed: {other:?}", path.display());
                if std::env::var("SEALPOST_REQUIRE_MAIL_STACK").is_ok_and(|v| v == "1") {
                    panic!("{test}: {why}");
                }
                eprintln!("\n*** SKIPPED {test}: {why}. The full-disk test did NOT run. ***\n");
                None
            }
        }
    }

    /// Fills the disk with one file until a write fails for want of space.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let filler = self.path.join("filler");
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        loop {
            match file.write(&chunk) {
                Ok(n) if n > 0 => {}
                Ok(_) => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
                Err(e) => panic!("filling {}: {e}", filler.display()),
            }
        }
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_after_the_server_accepted_never_sends_the_message_twice() {
    let test = "a_full_disk_after_the_server_accepted_never_sends_the_message_twice";
    let Some(mut stack) = mail_stack::start(test) else { return };
    let world = World::new();
    // Ada's whole home (config and store) on a disk of 4 MB.
    let Some(disk) = SmallDisk::mount(&world.path().join("ada"), "4m", test) else { return };
    let (ada, sam) = server_pair(&world, &stack);
    ada.ok(&["sync"], "");

    stack.stop_submission();
    assert_eq!(ada.run(&["send", "--to", "sam", "--subject", "Thursday"], "See you Thursday.\n").code, 6);
    stack.start_submission();
    let filler = disk.fill();

    // The server takes the message; recording it as sent fails.
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 1, "{synced:?}");
    assert!(
        synced.stderr.contains("was delivered, but could not be recorded as sent")
            && synced.stderr.contains("No space left on device")
            && synced.stderr.contains("it will not be sent again"),
        "{synced:?}"
    );
    assert!(synced.stdout.contains("fetched 0 new message(s)"), "the fetch went on: {synced:?}");
    stack.wait_delivered("sam@client.example", 1);
    let listed = ada.ok(&["outbox"], "").stdout;
    assert!(listed.contains("the server accepted it; it will not be sent again"), "{listed}");
    let queued = outbox_json(&ada);
    assert_eq!((queued.len(), &queued[0]["accepted"]), (1, &serde_json::Value::Bool(true)), "{queued:?}");
    let sent = ada.ok(&["sent"], "").stdout;
    assert!(sent.contains("sent (not recorded yet)"), "{sent}");

    // Still full: the next sync does not deliver it again.
    let again = ada.run(&["sync"], "");
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("was delivered, but could not be recorded as sent"), "{again:?}");

    // Space again: recorded as sent, the outbox empty, one Sent copy.
    std::fs::remove_file(&filler).unwrap();
    let recorded = ada.run(&["sync"], "");
    assert_eq!(recorded.code, 0, "{recorded:?}");
    assert_eq!(ada.outbox_len(), 0);
    let listed: serde_json::Value = serde_json::from_str(&ada.ok(&["sent", "--json"], "").stdout).unwrap();
    let messages = listed["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{listed}");
    assert_eq!((&messages[0]["state"], &messages[0]["id"]), (&"sent".into(), &1.into()), "{listed}");
    assert!(ada.ok(&["outbox"], "").stdout.contains("the outbox is empty"));

    // A later message arrives after anything sent before it: then the
    // receiver's mailbox holds each exactly once.
    ada.ok(&["send", "--to", "sam", "--subject", "Later"], "Another note.\n");
    stack.wait_delivered("sam@client.example", 2);
    let copies = copies_by_id(&stack.delivered("sam@client.example"));
    assert_eq!((copies.len(), extra_copies(&copies)), (2, 0), "{copies:?}");
    let sent_copies = copies_by_id(&sent_folder(&stack, "ada@practice.example"));
    assert_eq!((sent_copies.len(), extra_copies(&sent_copies)), (2, 0), "{sent_copies:?}");
    assert!(sam.ok(&["sync"], "").stdout.contains("2 verified"));
}

/// How many copies of each Message-ID the files hold.
fn copies_by_id(files: &[std::path::PathBuf]) -> std::collections::BTreeMap<String, usize> {
    let mut copies = std::collections::BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if let Some(id) = text.lines().find_map(|l| l.strip_prefix("Message-ID: ")) {
            *copies.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    copies
}

/// Copies beyond the first of each Message-ID.
fn extra_copies(copies: &std::collections::BTreeMap<String, usize>) -> usize {
    copies.values().map(|n| n - 1).sum()
}

/// Rounds of the kill trials: `SEALPOST_KILL_ROUNDS` (`.ci/run` sets 100), else 20.
fn kill_rounds() -> usize {
    std::env::var("SEALPOST_KILL_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(20)
}

#[test]
fn killed_at_random_points_during_send_and_sync_loses_nothing() {
    let Some(stack) = mail_stack::start("killed_at_random_points_during_send_and_sync_loses_nothing") else { return };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);
    let rounds = kill_rounds();
    let mut completed_sends = 0;
    let mut seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    eprintln!("kill test: {rounds} rounds, seed {seed}");
    let mut next_delay = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        std::time::Duration::from_millis((seed >> 33) % 1200)
    };
    for round in 0..rounds {
        for (person, args) in [(&ada, vec!["send", "--to", "sam", "--subject", "round"]), (&sam, vec!["sync"])] {
            let mut child = person
                .command()
                .args(&args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            use std::io::Write;
            let _ = child.stdin.take().unwrap().write_all(format!("message of round {round}\n").as_bytes());
            std::thread::sleep(next_delay());
            let _ = child.kill();
            let status = child.wait().unwrap();
            if args[0] == "send" && status.success() {
                completed_sends += 1;
            }
        }
        // The stores still open after every kill.
        let listed = ada.run(&["outbox"], "");
        assert_eq!(listed.code, 0, "round {round}: {listed:?}");
        assert_eq!(sam.run(&["inbox"], "").code, 0, "round {round}");
    }
    // Whatever was queued is delivered; nothing queued was lost.
    let flushed = ada.run(&["outbox", "--flush"], "");
    assert_eq!(flushed.code, 0, "{flushed:?}");
    assert_eq!(ada.outbox_len(), 0);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let delivered = copies_by_id(&stack.delivered("sam@client.example"));
    let sent_copies = copies_by_id(&sent_folder(&stack, "ada@practice.example"));
    let listed: serde_json::Value = serde_json::from_str(&ada.ok(&["sent", "--json"], "").stdout).unwrap();
    let listed_sent = listed["messages"].as_array().unwrap().iter().filter(|m| m["state"] == "sent").count();
    eprintln!(
        "kill test: {rounds} sends killed at random points ({completed_sends} completed first); {} messages \
         delivered, {} extra copies at the receiver ({:.1} per 100 kills); {} in the Sent folder, {} extra copies \
         there; {listed_sent} listed as sent",
        delivered.len(),
        extra_copies(&delivered),
        extra_copies(&delivered) as f64 * 100.0 / rounds as f64,
        sent_copies.len(),
        extra_copies(&sent_copies),
    );
    assert!(delivered.len() >= completed_sends, "{} delivered, {completed_sends} sends completed", delivered.len());
    // Each message is listed as sent, once, and has one copy in the Sent folder.
    assert_eq!(listed_sent, delivered.len(), "{listed}");
    assert_eq!(extra_copies(&sent_copies), 0, "duplicates in the Sent folder: {sent_copies:?}");
    assert_eq!(sent_copies.keys().collect::<Vec<_>>(), delivered.keys().collect::<Vec<_>>(), "a Sent copy of each");
    // Every message on the server is stored exactly once.
    sam.ok(&["sync"], "");
    let inbox = sam.ok(&["inbox", "--all"], "").stdout;
    let stored = inbox.lines().skip(1).filter(|l| l.contains("verified")).count();
    assert_eq!(stored, delivered.len(), "every delivered message stored once:\n{inbox}");
}

#[test]
fn password_stored_encrypted_with_set_password_is_used() {
    let Some(stack) = mail_stack::start("password_stored_encrypted_with_set_password_is_used") else { return };
    let world = World::new();
    let sam = world.server_person(&stack, "sam", "Sam Lee", "sam@client.example");
    sam.edit_config(|c| c.lines().filter(|l| !l.starts_with("password_command")).collect::<Vec<_>>().join("\n"));

    let missing = sam.run(&["sync"], "");
    assert_eq!(missing.code, 5, "{missing:?}");
    assert!(missing.stderr.contains("sealpost account set-password --server imap"), "{missing:?}");

    let stored = sam.ok(&["account", "set-password"], &format!("{}\n", mail_stack::PASSWORD));
    assert!(stored.stdout.contains("stored the smtp password") && stored.stdout.contains("stored the imap password"));
    let check = sam.run(&["account", "check"], "");
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stdout.contains("login:       ok as sam@client.example"), "{check:?}");
    for file in common::files_under(&sam.home) {
        assert!(
            !std::fs::read_to_string(&file).unwrap_or_default().contains(mail_stack::PASSWORD),
            "{}",
            file.display()
        );
    }

    sam.ok(&["account", "set-password", "--server", "imap"], "wrong-password\n");
    let refused = sam.run(&["account", "check"], "");
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("IMAP login as sam@client.example failed"), "{refused:?}");
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn an_unreachable_imap_server_is_named_and_means_try_again_later() {
    let Some(stack) = mail_stack::start("an_unreachable_imap_server_is_named_and_means_try_again_later") else {
        return;
    };
    let world = World::new();
    let closed = closed_port();
    let imaps = stack.imaps_port.to_string();
    let ada = ada_with_edit(&world, &stack, |c| c.replacen(&format!("port = {imaps}"), &format!("port = {closed}"), 1));

    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 6, "the same code as an unreachable SMTP server: {synced:?}");
    assert!(synced.stderr.contains(&format!("IMAP server localhost:{closed}")), "{synced:?}");
    assert!(synced.stderr.contains("try again later"), "{synced:?}");
    let json = ada.run(&["sync", "--json"], "");
    assert!(json.stderr.contains("\"exit\":6") && json.stderr.contains("\"queued\""), "{json:?}");
}

/// The outbox as `outbox --json` lists it.
fn outbox_json(ada: &common::Person) -> Vec<serde_json::Value> {
    let listed: serde_json::Value = serde_json::from_str(&ada.ok(&["outbox", "--json"], "").stdout).unwrap();
    listed["queued"].as_array().unwrap().clone()
}

/// Sets the SMTP server's `password_command` alone.
fn smtp_password_command(ada: &common::Person, command: &str) {
    let mut section = String::new();
    ada.edit_config(|c| {
        c.lines()
            .map(|line| {
                if line.starts_with('[') {
                    section = line.to_string();
                }
                if section == "[smtp]" && line.starts_with("password_command") {
                    format!("password_command = {}", toml_string(command))
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
}

#[test]
fn a_refused_smtp_login_is_a_failure_naming_set_password_and_is_not_retried() {
    let Some(stack) = mail_stack::start("a_refused_smtp_login_is_a_failure_naming_set_password_and_is_not_retried")
    else {
        return;
    };
    let world = World::new();
    let (ada, _sam) = server_pair(&world, &stack);
    smtp_password_command(&ada, "echo wrong-password");

    let check = ada.run(&["account", "check"], "");
    assert_eq!(check.code, 1, "account check tries the SMTP login: {check:?}");
    assert!(check.stderr.contains("smtp: ") && check.stderr.contains("535"), "{check:?}");

    let sent = ada.run(&["send", "--to", "sam", "--subject", "Thursday"], "See you Thursday.\n");
    assert_eq!(sent.code, 1, "{sent:?}");
    assert!(!sent.stderr.contains("will retry"), "{sent:?}");
    assert!(sent.stderr.contains("535") && sent.stderr.contains("sealpost account set-password"), "{sent:?}");
    let listed = ada.ok(&["outbox"], "");
    assert!(listed.stdout.contains("refused by the server") && listed.stdout.contains("535"), "{listed:?}");
    let queued = outbox_json(&ada);
    assert_eq!(
        (queued.len(), queued[0]["attempts"].as_u64(), queued[0]["refused"].as_bool()),
        (1, Some(1), Some(true))
    );

    let logins = |stack: &MailStack| stack.logs().matches("authentication failed").count();
    let refused_logins = logins(&stack);
    assert!(refused_logins > 0, "the server logged the refused login:\n{}", stack.logs());
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}");
    assert!(synced.stderr.contains("not retried") && synced.stderr.contains("outbox --flush"), "{synced:?}");
    assert_eq!(outbox_json(&ada)[0]["attempts"], 1, "sync did not try it again");
    assert_eq!(logins(&stack), refused_logins, "no new login attempt:\n{}", stack.logs());

    // Fixing the account (the config changes) lets sync send it.
    smtp_password_command(&ada, &format!("echo {}", mail_stack::PASSWORD));
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}");
    assert_eq!(ada.outbox_len(), 0);
    stack.wait_delivered("sam@client.example", 1);
}

#[test]
fn a_message_too_large_for_the_server_is_refused_once_and_kept() {
    let Some(mut stack) = mail_stack::start("a_message_too_large_for_the_server_is_refused_once_and_kept") else {
        return;
    };
    let world = World::new();
    let (ada, _sam) = server_pair(&world, &stack);
    stack.postconf("message_size_limit = 4000");

    let sent = ada.run(&["send", "--to", "sam", "--subject", "Scan"], &"A long letter. ".repeat(400));
    assert_eq!(sent.code, 1, "{sent:?}\n{}", stack.logs());
    assert!(sent.stderr.contains("the server refuses messages this large") && sent.stderr.contains("552"), "{sent:?}");
    assert!(!sent.stderr.contains("will retry"), "{sent:?}");
    let listed = ada.ok(&["outbox"], "");
    assert!(listed.stdout.contains("refused by the server") && listed.stdout.contains("552"), "{listed:?}");

    let too_large = |stack: &MailStack| stack.logs().matches("size limit exceeded").count();
    let refusals = too_large(&stack);
    assert!(refusals > 0, "the server logged the refusal:\n{}", stack.logs());
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}");
    assert_eq!(outbox_json(&ada)[0]["attempts"], 1, "sync did not try it again");
    assert_eq!(too_large(&stack), refusals, "no new attempt:\n{}", stack.logs());

    // Asked explicitly, it is tried again (and refused again).
    let flushed = ada.run(&["outbox", "--flush"], "");
    assert_eq!(flushed.code, 1, "{flushed:?}");
    assert!(flushed.stderr.contains("the server refuses messages this large"), "{flushed:?}");
    assert_eq!(outbox_json(&ada)[0]["attempts"], 2);
    assert!(stack.delivered("sam@client.example").is_empty());
}

/// Points each server's `password_command` at a script that counts its runs
/// in `counter`, one line `LABEL` per run.
fn counting_password_commands(ada: &common::Person, counter: &std::path::Path, smtp: &str, imap: &str) {
    let command = |label: &str| format!("echo {label} >> {}; echo {}", counter.display(), mail_stack::PASSWORD);
    let (smtp, imap) = (command(smtp), command(imap));
    ada.edit_config(|c| {
        let mut section = String::new();
        let mut out = Vec::new();
        for line in c.lines() {
            if line.starts_with('[') {
                section = line.to_string();
            }
            if line.starts_with("password_command") {
                let command = if section == "[smtp]" { &smtp } else { &imap };
                out.push(format!("password_command = {}", toml_string(command)));
            } else {
                out.push(line.to_string());
            }
        }
        out.join("\n")
    });
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn runs(counter: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(counter).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn one_sync_asks_for_each_server_password_once() {
    let Some(mut stack) = mail_stack::start("one_sync_asks_for_each_server_password_once") else { return };
    let world = World::new();
    let (ada, _sam) = server_pair(&world, &stack);
    let counter = world.path().join("password-runs");

    // Something queued, so that sync submits (SMTP), stores the sent copy
    // and fetches (IMAP).
    stack.stop_submission();
    assert_eq!(ada.run(&["send", "--to", "sam", "--subject", "Queued"], "Later.\n").code, 6);
    stack.start_submission();

    // The same host and username with the same command: one password, one run.
    counting_password_commands(&ada, &counter, "mail", "mail");
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}\n{}", stack.logs());
    assert_eq!(ada.outbox_len(), 0);
    assert_eq!(runs(&counter), ["mail"], "one run for both servers");

    // Different commands per server: each runs once, however often the
    // server is used.
    std::fs::remove_file(&counter).unwrap();
    stack.stop_submission();
    assert_eq!(ada.run(&["send", "--to", "sam", "--subject", "Queued 2"], "Later.\n").code, 6);
    stack.start_submission();
    counting_password_commands(&ada, &counter, "smtp", "imap");
    std::fs::remove_file(&counter).ok();
    let synced = ada.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}\n{}", stack.logs());
    let mut seen = runs(&counter);
    seen.sort();
    assert_eq!(seen, ["imap", "smtp"], "once per server");
}

#[test]
fn invite_and_join_through_the_servers_end_verified_both_ways() {
    let Some(stack) = mail_stack::start("invite_and_join_through_the_servers_end_verified_both_ways") else {
        return;
    };
    let world = World::new();
    let ada = world.server_person(&stack, "ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.server_person(&stack, "sam", "Sam Lee", "sam@client.example");
    let invite = ada.ok(&["invite", "--for", "sam@client.example"], "").stdout;
    let code = common::code_of(&invite);

    sam.ok(&["join", &code], "");
    stack.wait_delivered("ada@practice.example", 1);
    assert!(ada.ok(&["sync"], "").stdout.contains("answered"));
    stack.wait_delivered("sam@client.example", 1);
    assert!(sam.ok(&["sync"], "").stdout.contains("their key matches the invite code"));
    stack.wait_delivered("ada@practice.example", 2);
    assert!(ada.ok(&["sync"], "").stdout.contains("join of sam@client.example completed"));
    stack.wait_delivered("sam@client.example", 2);
    assert!(sam.ok(&["sync"], "").stdout.contains("join with ada@practice.example completed"));

    ada.ok(&["send", "--to", "sam", "--subject", "Welcome"], "First note.\n");
    stack.wait_delivered("sam@client.example", 3);
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "--last"], "").stdout.starts_with("Status:  verified: signed by ada"));
    sam.ok(&["send", "--to", "ada", "--subject", "Thanks"], "Got it.\n");
    // Sam's read receipt and his message.
    stack.wait_delivered("ada@practice.example", 4);
    ada.ok(&["sync"], "");
    assert!(ada.ok(&["read", "--last"], "").stdout.starts_with("Status:  verified: signed by sam"));
}

/// A client's first five minutes (docs/clients.md), counted: from a machine
/// with no sealpost identity to reading the therapist's first note, shown
/// as verified: four commands (`join`, `sync`, `sync`, `read --last`) and
/// one passphrase (here a file; on a terminal `join` keeps the store
/// unlocked). The second `sync` is the handshake's: the inviter pins the
/// client only after the client's proof (step 3), so the note can only be
/// sent after the client's first sync.
#[test]
fn a_client_reads_the_first_verified_note_in_four_commands_from_nothing() {
    let Some(stack) = mail_stack::start("a_client_reads_the_first_verified_note_in_four_commands_from_nothing") else {
        return;
    };
    let world = World::new();
    let ada = world.server_person(&stack, "ada", "Dr. Ada Moss", "ada@practice.example");
    let invite = ada.ok(&["invite", "--for", "sam@client.example"], "").stdout;
    let code = common::code_of(&invite);
    let sam = world.bare_person("sam", "sam@client.example");
    assert!(!sam.home.exists(), "nothing of Sam's is there yet");
    let mut commands = 0;

    // 1. join, creating the identity on the way.
    let mut join: Vec<String> =
        ["join", &code, "--name", "Sam Lee", "--email", "sam@client.example"].map(String::from).to_vec();
    join.extend(common::server_options(&stack));
    let joined = sam.ok(&join.iter().map(String::as_str).collect::<Vec<_>>(), "");
    commands += 1;
    assert!(joined.stdout.contains("created identity sam@client.example, fingerprint"), "{}", joined.stdout);
    assert!(joined.stdout.contains("sent the join request"), "{}", joined.stdout);

    stack.wait_delivered("ada@practice.example", 1);
    assert!(ada.ok(&["sync"], "").stdout.contains("answered"));
    // 2. sync: the answer; the client's proof goes out.
    stack.wait_delivered("sam@client.example", 1);
    assert!(sam.ok(&["sync"], "").stdout.contains("their key matches the invite code"));
    commands += 1;
    stack.wait_delivered("ada@practice.example", 2);
    assert!(ada.ok(&["sync"], "").stdout.contains("join of sam@client.example completed"));
    ada.ok(&["send", "--to", "sam@client.example", "--subject", "Welcome"], "See you on Tuesday.\n");
    // 3. sync: the confirmation and the note.
    stack.wait_delivered("sam@client.example", 3);
    let synced = sam.ok(&["sync"], "");
    commands += 1;
    assert!(synced.stdout.contains("join with ada@practice.example completed"), "{}", synced.stdout);
    assert!(synced.stdout.contains("1 verified"), "{}", synced.stdout);
    // 4. read.
    let read = sam.ok(&["read", "--last"], "");
    commands += 1;
    assert!(read.stdout.starts_with("Status:  verified: signed by ada"), "{}", read.stdout);
    assert!(read.stdout.contains("See you on Tuesday."), "{}", read.stdout);
    assert_eq!(commands, 4);
}

/// In session together, `join --wait` answers the inviter while the client
/// waits: from nothing to the therapist's verified note in three commands
/// (`join --wait`, `sync`, `read --last`) and one passphrase.
#[test]
fn in_session_a_client_reads_the_first_verified_note_in_three_commands() {
    let Some(stack) = mail_stack::start("in_session_a_client_reads_the_first_verified_note_in_three_commands") else {
        return;
    };
    let world = World::new();
    let ada = world.server_person(&stack, "ada", "Dr. Ada Moss", "ada@practice.example");
    let invite = ada.ok(&["invite", "--for", "sam@client.example"], "").stdout;
    let code = common::code_of(&invite);
    let sam = world.bare_person("sam", "sam@client.example");
    let mut commands = 0;

    // 1. join --wait, creating the identity on the way; meanwhile the
    // therapist syncs, as they would in the session.
    let mut join: Vec<String> = ["join", &code, "--wait", "90", "--name", "Sam Lee", "--email", "sam@client.example"]
        .map(String::from)
        .to_vec();
    join.extend(common::server_options(&stack));
    let joining = {
        let mut command = sam.command();
        command.args(&join).stdin(std::process::Stdio::null());
        command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        command.spawn().unwrap()
    };
    stack.wait_delivered("ada@practice.example", 1);
    assert!(ada.ok(&["sync"], "").stdout.contains("answered"));
    stack.wait_delivered("ada@practice.example", 2);
    assert!(ada.ok(&["sync"], "").stdout.contains("join of sam@client.example completed"));
    let joined = joining.wait_with_output().unwrap();
    commands += 1;
    let (stdout, stderr) = (String::from_utf8_lossy(&joined.stdout), String::from_utf8_lossy(&joined.stderr));
    assert_eq!(joined.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("their key matches the invite code"), "{stdout}");
    assert!(stdout.contains("verified both ways with ada@practice.example"), "{stdout}");
    ada.ok(&["send", "--to", "sam@client.example", "--subject", "Welcome"], "See you on Tuesday.\n");

    // 2. sync: the note.
    stack.wait_delivered("sam@client.example", 3);
    let synced = sam.ok(&["sync"], "");
    commands += 1;
    assert!(synced.stdout.contains("1 verified"), "{}", synced.stdout);
    // 3. read.
    let read = sam.ok(&["read", "--last"], "");
    commands += 1;
    assert!(read.stdout.starts_with("Status:  verified: signed by ada"), "{}", read.stdout);
    assert!(read.stdout.contains("See you on Tuesday."), "{}", read.stdout);
    assert_eq!(commands, 3);

    // Waiting for an inviter who does not answer ends when the time is up,
    // with the join still under way for the next sync.
    let kim = world.server_person(&stack, "kim", "Kim", "eve@client.example");
    let invite = ada.ok(&["invite", "--for", "eve@client.example"], "").stdout;
    let code = common::code_of(&invite);
    let waited = kim.ok(&["join", &code, "--wait", "4", "--json"], "");
    let stage: serde_json::Value = serde_json::from_str(&waited.stdout).unwrap();
    common::json_schema::Schema::load().check("sealpost join", &stage);
    assert_eq!(stage["stage"], "request-sent", "{waited:?}");
}

/// Writes messages straight into `user`'s Maildir on the server, as
/// delivery would, owned by the mail user.
fn put_on_server(stack: &MailStack, user: &str, messages: impl IntoIterator<Item = Vec<u8>>) {
    let (local, domain) = user.split_once('@').unwrap();
    let maildir = stack.path().join("mail").join(domain).join(local);
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (i, raw) in messages.into_iter().enumerate() {
        std::fs::write(maildir.join("new").join(format!("{i:05}.test")), raw).unwrap();
    }
    std::process::Command::new("chown").args(["-R", "mail:mail"]).arg(&maildir).status().unwrap();
}

#[test]
fn a_first_sync_killed_half_way_keeps_the_batches_it_finished() {
    let Some(stack) = mail_stack::start("a_first_sync_killed_half_way_keeps_the_batches_it_finished") else { return };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);
    let notes = common::sealed_notes(&ada, "sam", 1000, "Notes of a session.\n");
    put_on_server(&stack, "sam@client.example", notes);

    let mut child = sam
        .command()
        .arg("sync")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the inbox, read beside it, lists at least a batch (200
    // messages): those were committed, and a kill must not lose them. The
    // store has grown by more than that meanwhile (a transaction holds up
    // to 1,000 messages or a second's worth, its pages spilling into the
    // log before it commits), so its size alone does not say what was
    // committed.
    let listed = || -> usize {
        let run = sam.run(&["inbox", "--json"], "");
        serde_json::from_str::<serde_json::Value>(&run.stdout)
            .map_or(0, |listed| listed["messages"].as_array().map_or(0, Vec::len))
    };
    let start = std::time::Instant::now();
    let mut committed = 0;
    while committed < 200 && start.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(20));
        committed = listed();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(committed >= 200, "the sync did not get going: {committed} listed");

    let kept = listed();
    assert!(kept >= committed, "a killed sync kept only {kept} of the {committed} messages it had committed");
    assert!(kept < 1000, "the sync was not killed half way ({kept} kept); the test proves nothing");

    let resumed = sam.ok(&["sync"], "");
    assert!(resumed.stdout.contains(&format!("{} new message(s)", 1000 - kept)), "{resumed:?}");
    let listed: serde_json::Value = serde_json::from_str(&sam.ok(&["inbox", "--json"], "").stdout).unwrap();
    let subjects: std::collections::BTreeSet<String> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["status"], "verified", "{m}");
            m["subject"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(listed["messages"].as_array().unwrap().len(), 1000, "each message stored once");
    assert_eq!(subjects.len(), 1000);
    assert!(sam.ok(&["sync"], "").stdout.contains("fetched 0 new"));
}

#[test]
fn memory_of_a_sync_is_bounded_by_the_largest_message_not_the_backlog() {
    let Some(stack) = mail_stack::start("memory_of_a_sync_is_bounded_by_the_largest_message") else { return };
    let world = World::new();
    let (_ada, sam) = server_pair(&world, &stack);
    // Eight 20 MB messages: 160 MB of backlog.
    let big = |i: usize| {
        let mut raw = format!(
            "From: newsletter@client.example\r\nTo: sam@client.example\r\nSubject: big {i}\r\n\
             Content-Type: text/plain\r\n\r\n"
        )
        .into_bytes();
        let line = format!("{}\r\n", "z".repeat(76));
        while raw.len() < 20 * 1024 * 1024 {
            raw.extend_from_slice(line.as_bytes());
        }
        raw
    };
    put_on_server(&stack, "sam@client.example", (0..8).map(big));
    let (run, peak_kib) = common::run_measured(sam.command().arg("sync"));
    assert_eq!(run.code, 0, "{run:?}");
    let peak = peak_kib / 1024;
    eprintln!("sync of 8 x 20 MB: peak RSS {peak} MiB");
    assert!(peak < 130, "peak RSS {peak} MiB for a backlog of 160 MB in 20 MB messages");
    assert!(sam.ok(&["sync"], "").stdout.contains("fetched 0 new"));
    let listed = sam.ok(&["inbox"], "").stdout;
    assert_eq!(listed.lines().filter(|l| l.contains("not-encrypted")).count(), 8, "{listed}");
}

#[test]
fn a_second_device_restored_from_a_backup_gets_the_contacts_verified_on_the_first() {
    let Some(stack) =
        mail_stack::start("a_second_device_restored_from_a_backup_gets_the_contacts_verified_on_the_first")
    else {
        return;
    };
    let world = World::new();
    let (desk, sam) = server_pair(&world, &stack);
    let eve = world.server_person(&stack, "eve", "Eve Park", "eve@client.example");
    // A single device writes no notes to itself.
    desk.ok(&["sync"], "");
    sam.ok(&["sync"], "");
    assert!(stack.delivered("ada@practice.example").is_empty(), "no note to self without a second device");

    // The laptop is restored from the desk's backup.
    let laptop = laptop_restored_from(&world, &desk);

    // Eve is verified on the desk; the desk hears of the laptop and tells it.
    desk.trust("eve", &eve, world.path());
    let heard = desk.ok(&["sync"], "");
    assert!(heard.stdout.contains("a note from your other device: nothing new"), "{heard:?}");
    let told = laptop.ok(&["sync"], "");
    assert!(told.stdout.contains("eve <eve@client.example> pinned from your other device (verified)"), "{told:?}");
    let shown = laptop.ok(&["contact", "show", "eve"], "").stdout;
    assert!(shown.contains("verified"), "{shown}");
    laptop.ok(&["send", "--to", "eve", "--subject", "From the laptop"], "Welcome.\n");
    // Nothing goes back and forth once both devices agree.
    let quiet = desk.ok(&["sync", "--json"], "").stdout;
    let laptop_quiet = laptop.ok(&["sync", "--json"], "").stdout;
    for summary in [&quiet, &laptop_quiet] {
        let summary: serde_json::Value = serde_json::from_str(summary).unwrap();
        assert!(
            summary["devices"].as_array().unwrap().iter().all(|l| l.as_str().unwrap().contains("nothing new")),
            "{summary}"
        );
    }
}

/// The real Delta Chat core (`deltachat-rpc-server`, driven by
/// tests/deltachat/peer.py), as a client's program on the same servers.
struct DeltaChatPeer {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
}

impl DeltaChatPeer {
    /// `None` (said loudly) when the Delta Chat packages are not installed;
    /// CI installs them and sets `SEALPOST_DELTACHAT`.
    fn start(world: &World, stack: &MailStack, address: &str, name: &str) -> Option<DeltaChatPeer> {
        let Some(packages) = std::env::var_os("SEALPOST_DELTACHAT") else {
            assert!(
                std::env::var_os("SEALPOST_REQUIRE_MAIL_STACK").is_none(),
                "SEALPOST_DELTACHAT is not set: the Delta Chat interoperability test must run here"
            );
            eprintln!("SKIPPED: SEALPOST_DELTACHAT is not set; the Delta Chat test did not run (see .ci/run)");
            return None;
        };
        let packages = std::path::PathBuf::from(packages);
        let config = serde_json::json!({
            "name": name,
            "transport": {
                "addr": address,
                "password": mail_stack::PASSWORD,
                "imapServer": "localhost",
                "imapPort": stack.imaps_port,
                "imapSecurity": "ssl",
                "smtpServer": "localhost",
                "smtpPort": stack.submission_port,
                "smtpSecurity": "starttls",
                // Delta Chat checks certificates against its own bundled
                // roots, not the system's: the peer (a test tool, not
                // sealpost) is told to take the test CA's certificate.
                "certificateChecks": "acceptInvalidCertificates",
            },
        });
        let path = format!("{}:{}", packages.join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let mut child = std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/deltachat/peer.py"))
            .arg(world.path().join(format!("deltachat-{address}")))
            .arg(config.to_string())
            .env("PYTHONPATH", &packages)
            .env("PATH", path)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut peer = DeltaChatPeer { child, input, output };
        assert_eq!(peer.answer()["ready"], true, "Delta Chat came up");
        Some(peer)
    }

    fn answer(&mut self) -> serde_json::Value {
        use std::io::BufRead;
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("Delta Chat peer said {line:?}: {e}"))
    }

    fn ask(&mut self, command: &str) -> serde_json::Value {
        use std::io::Write;
        writeln!(self.input, "{command}").unwrap();
        self.answer()
    }
}

impl Drop for DeltaChatPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn read_receipts_go_both_ways_with_a_real_delta_chat() {
    let Some(stack) = mail_stack::start("read_receipts_go_both_ways_with_a_real_delta_chat") else { return };
    let world = World::new();
    let ada = world.server_person(&stack, "ada", "Dr. Ada Moss", "ada@practice.example");
    let Some(mut sam) = DeltaChatPeer::start(&world, &stack, "sam@client.example", "Sam Lee") else { return };

    // Ada pins Sam's Delta Chat key (exported from Delta Chat) and verifies
    // it by the fingerprint Sam reads out.
    let keys = world.path().join("deltachat-keys");
    std::fs::create_dir_all(&keys).unwrap();
    let exported = sam.ask(&format!("export-key {}", keys.display()));
    let public = exported["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| keys.join(f.as_str().unwrap()))
        .find(|f| f.to_string_lossy().contains("public"))
        .unwrap_or_else(|| panic!("a public key among {exported}"));
    let fingerprint = {
        use sequoia_openpgp::parse::Parse;
        sequoia_openpgp::Cert::from_file(&public).unwrap().fingerprint().to_hex()
    };
    ada.ok(&["contact", "add", "sam", "sam@client.example", "--key", public.to_str().unwrap()], "");
    ada.ok(&["contact", "verify", "sam", "--fingerprint", &fingerprint], "");

    // Ada's note: Delta Chat shows it encrypted and, once seen, answers the
    // receipt request; sealpost takes the receipt as read, not bound to content.
    ada.ok(&["send", "--to", "sam", "--subject", "Thursday"], "See you on Thursday at ten.\n");
    let incoming = sam.ask("wait-incoming");
    assert!(incoming["text"].as_str().unwrap().contains("See you on Thursday at ten."), "{incoming}");
    assert_eq!(incoming["encrypted"], true, "{incoming}");
    sam.ask(&format!("mark-seen {}", incoming["msg_id"]));
    let mut sent = String::new();
    for _ in 0..60 {
        ada.ok(&["sync"], "");
        sent = ada.ok(&["sent"], "").stdout;
        if sent.contains("read ") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(
        sent.contains("(not bound to content)"),
        "{sent}\n{:?}\n{:?}",
        ada.run(&["status", "1"], ""),
        ada.run(&["inbox", "--json"], "")
    );
    let listed: serde_json::Value = serde_json::from_str(&ada.ok(&["sent", "--json"], "").stdout).unwrap();
    assert_eq!(listed["messages"][0]["digest"], "absent", "{listed}");

    // Sam answers from Delta Chat; Ada reads it verified; Delta Chat gets the receipt.
    let reply = sam.ask(&format!("reply {} Thursday works for me.", incoming["msg_id"]));
    let mut read = None;
    for _ in 0..60 {
        let synced = ada.ok(&["sync", "--json"], "").stdout;
        let summary: serde_json::Value = serde_json::from_str(&synced).unwrap();
        if summary["verified"].as_u64().unwrap_or(0) > 0 {
            let inbox: serde_json::Value = serde_json::from_str(&ada.ok(&["inbox", "--json"], "").stdout).unwrap();
            let last = inbox["messages"].as_array().unwrap().last().unwrap()["id"].to_string();
            read = Some(ada.ok(&["read", &last], ""));
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let read = read.expect("Sam's answer arrived verified");
    assert!(read.stdout.contains("Thursday works for me."), "{read:?}");
    assert!(read.stdout.starts_with("Status:  verified"), "{read:?}");
    let state = sam.ask(&format!("wait-read {}", reply["msg_id"]));
    assert_eq!(state["state"], 28, "Delta Chat shows its message read: {state}");
}

/// Ada's laptop, restored from a backup of her desk, synced once.
fn laptop_restored_from(world: &World, desk: &common::Person) -> common::Person {
    let file = world.path().join("desk.backup");
    desk.ok(&["backup", file.to_str().unwrap()], "");
    let laptop = desk.elsewhere(world, "laptop");
    laptop.ok(&["restore", file.to_str().unwrap()], "");
    laptop.ok(&["sync"], "");
    laptop
}

/// Ada's desk, with Sam verified, and her laptop restored from the desk's
/// backup; both have synced once since (and know of each other).
fn desk_and_laptop(world: &World, stack: &MailStack) -> (common::Person, common::Person, common::Person) {
    let (desk, sam) = server_pair(world, stack);
    // No Sent folder on the server yet: nothing to read there, no error.
    assert!(!stack.path().join("mail/practice.example/ada/.Sent").exists());
    let first = desk.ok(&["sync"], "");
    assert_eq!(first.stderr, "", "{first:?}");
    let laptop = laptop_restored_from(world, &desk);
    desk.ok(&["sync"], "");
    (desk, laptop, sam)
}

/// The rows of `sent --json`.
fn sent_rows(person: &common::Person) -> Vec<serde_json::Value> {
    let listed: serde_json::Value = serde_json::from_str(&person.ok(&["sent", "--json"], "").stdout).unwrap();
    listed["messages"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [serde_json::Value], subject: &str) -> &'a serde_json::Value {
    let found: Vec<_> = rows.iter().filter(|r| r["subject"] == subject).collect();
    assert_eq!(found.len(), 1, "one row for {subject:?} in {rows:#?}");
    found[0]
}

#[test]
fn notes_sent_from_the_other_device_are_listed_from_the_sent_folder_with_their_receipts() {
    let Some(stack) =
        mail_stack::start("notes_sent_from_the_other_device_are_listed_from_the_sent_folder_with_their_receipts")
    else {
        return;
    };
    let world = World::new();
    let (desk, laptop, sam) = desk_and_laptop(&world, &stack);

    // Each device sends one note to Sam (asking for a receipt, the default).
    desk.ok(&["send", "--to", "sam", "--subject", "From the desk"], "Agenda for Thursday.\n");
    laptop.ok(&["send", "--to", "sam", "--subject", "From the laptop"], "Notes of our session.\n");
    stack.wait_delivered("sam@client.example", 2);
    let delivered_to_ada = stack.delivered("ada@practice.example").len();
    sam.ok(&["sync"], "");
    let inbox: serde_json::Value = serde_json::from_str(&sam.ok(&["inbox", "--json"], "").stdout).unwrap();
    for message in inbox["messages"].as_array().unwrap() {
        let read = sam.ok(&["read", &message["id"].to_string()], "");
        assert!(read.stderr.contains("sent a signed read receipt to ada"), "{read:?}");
    }
    stack.wait_delivered("ada@practice.example", delivered_to_ada + 2);

    // The desk lists the laptop's note beside its own, and both as read.
    let synced = desk.ok(&["sync"], "");
    assert!(synced.stdout.contains("\"From the laptop\" was read by sam"), "{synced:?}");
    assert!(synced.stdout.contains("\"From the desk\" was read by sam"), "{synced:?}");
    // The laptop, which sent it, accepts its receipt too, and lists the desk's.
    laptop.ok(&["sync"], "");
    for device in [&desk, &laptop] {
        let rows = sent_rows(device);
        assert_eq!(rows.len(), 2, "{rows:#?}");
        for subject in ["From the desk", "From the laptop"] {
            let note = row(&rows, subject);
            assert_eq!(note["state"], "read", "{note}");
            assert_eq!(note["read_by"], "sam@client.example", "{note}");
            assert_eq!(note["receipt_signer"], sam.fingerprint().as_str(), "{note}");
            assert_eq!(note["to"], "sam@client.example", "{note}");
            assert_eq!(note["contact"], "sam", "{note}");
            assert_eq!(note["receipt_requested"], true, "{note}");
        }
        let listed = device.ok(&["sent"], "").stdout;
        assert!(listed.lines().any(|l| l.contains("From the laptop") && l.contains("read ")), "{listed}");
        let id = row(&rows, "From the laptop")["id"].to_string();
        let status: serde_json::Value =
            serde_json::from_str(&device.ok(&["status", &id, "--json"], "").stdout).unwrap();
        assert_eq!((&status["subject"], &status["digest_matches"]), (&"From the laptop".into(), &true.into()));
    }
    // Read again, nothing is listed twice.
    desk.ok(&["sync"], "");
    laptop.ok(&["sync"], "");
    assert_eq!(sent_rows(&desk).len(), 2);
    assert_eq!(sent_rows(&laptop).len(), 2);

    // A message put into the desk's Sent folder that claims Ada's address
    // but is signed by another key (and encrypted to Ada, so it decrypts)
    // is not a note of hers, nor is an ordinary mail from her address.
    let ada_cert = sealpost::store::Store::public_cert(&sealpost::home::Home::at(&desk.home)).unwrap();
    let mallory = sealpost::keys::generate("Dr. Ada Moss", "ada@practice.example").unwrap();
    let forged = sealpost::message::Draft {
        from_name: "Dr. Ada Moss".into(),
        from_address: "ada@practice.example".into(),
        to_name: None,
        to_address: "sam@client.example".into(),
        subject: "Forged note".into(),
        body: "Never written by Ada.\n".into(),
        attachments: Vec::new(),
        message_id: sealpost::message::new_message_id("ada@practice.example"),
        date: std::time::SystemTime::now(),
        request_receipt: true,
        in_reply_to: None,
        references: Vec::new(),
    };
    let forged = sealpost::message::compose(&forged, &mallory, &ada_cert).unwrap().raw;
    let plain = b"From: ada@practice.example\r\nTo: sam@client.example\r\nSubject: Plain note\r\n\
        Message-ID: <plain@practice.example>\r\n\r\nNot sealed.\r\n"
        .to_vec();
    let sent_new = stack.path().join("mail/practice.example/ada/.Sent/new");
    std::fs::write(sent_new.join("forged.test"), forged).unwrap();
    std::fs::write(sent_new.join("plain.test"), plain).unwrap();
    std::process::Command::new("chown").args(["-R", "mail:mail"]).arg(&sent_new).status().unwrap();
    let synced = desk.ok(&["sync", "--json"], "");
    let summary: serde_json::Value = serde_json::from_str(&synced.stdout).unwrap();
    assert_eq!(summary["sent_folder_skipped"], 2, "{summary}");
    assert_eq!(summary["sent_elsewhere"], 0, "{summary}");
    let rows = sent_rows(&desk);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows.iter().all(|r| r["subject"] != "Forged note" && r["subject"] != "Plain note"), "{rows:#?}");
    let listed = desk.ok(&["sent"], "").stdout;
    assert!(!listed.contains("Forged") && !listed.contains("Plain"), "{listed}");
}

#[test]
fn a_receipt_that_came_before_its_note_reached_the_sent_folder_is_accepted_once_the_note_is_there() {
    let Some(stack) = mail_stack::start("a_receipt_that_came_before_its_note_reached_the_sent_folder") else {
        return;
    };
    let world = World::new();
    let (desk, laptop, sam) = desk_and_laptop(&world, &stack);
    // The laptop cannot log in to IMAP when it sends: the note leaves by
    // SMTP, its copy for the Sent folder waits.
    let working = std::fs::read_to_string(laptop.config_path()).unwrap();
    let (smtp, imap) = working.split_once("[imap]").unwrap();
    let broken = format!("{smtp}[imap]{}", imap.replace(&format!("echo {}", mail_stack::PASSWORD), "echo wrong"));
    laptop.edit_config(|_| broken);
    let delivered_to_ada = stack.delivered("ada@practice.example").len();
    let copies = sent_folder(&stack, "ada@practice.example").len();
    let sent = laptop.ok(&["send", "--to", "sam", "--subject", "Copy comes later"], "Homework for next week.\n");
    assert!(sent.stderr.contains("not stored yet"), "{sent:?}");
    assert_eq!(sent_folder(&stack, "ada@practice.example").len(), copies, "no copy in the Sent folder yet");

    stack.wait_delivered("sam@client.example", 1);
    sam.ok(&["sync"], "");
    assert!(sam.ok(&["read", "1"], "").stderr.contains("sent a signed read receipt to ada"));
    stack.wait_delivered("ada@practice.example", delivered_to_ada + 1);
    // The desk gets the receipt before it can know the note.
    let early = desk.ok(&["sync"], "");
    assert!(early.stderr.contains("which you never sent"), "{early:?}");
    assert!(sent_rows(&desk).is_empty());

    // The laptop logs in again: the copy reaches the Sent folder.
    laptop.edit_config(|_| working);
    laptop.ok(&["sync"], "");
    assert_eq!(sent_folder(&stack, "ada@practice.example").len(), copies + 1);
    let late = desk.ok(&["sync"], "");
    assert!(late.stdout.contains("\"Copy comes later\" was read by sam"), "{late:?}");
    assert!(late.stdout.contains("1 message(s) you sent from your other device"), "{late:?}");
    let rows = sent_rows(&desk);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!((&rows[0]["state"], &rows[0]["read_by"]), (&"read".into(), &"sam@client.example".into()));
    // `status` no longer lists the receipt as rejected.
    let status: serde_json::Value = serde_json::from_str(&desk.ok(&["status", "1", "--json"], "").stdout).unwrap();
    assert_eq!(status["rejected_receipts"], serde_json::json!([]), "{status}");
    assert_eq!(status["digest_matches"], true, "{status}");
    assert!(sent_rows(&laptop).iter().all(|r| r["state"] == "read"));
}

/// `forget --server` deletes the client's messages in the IMAP inbox and
/// the copy of what was sent to them in the sent folder, and nothing else.
#[test]
fn forget_with_server_deletes_exactly_that_clients_mail_on_the_server() {
    let Some(stack) = mail_stack::start("forget_with_server_deletes_exactly_that_clients_mail_on_the_server") else {
        return;
    };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);
    let eve = world.server_person(&stack, "eve", "Eve Park", "eve@client.example");
    ada.trust("eve", &eve, world.path());
    eve.trust("ada", &ada, world.path());
    ada.ok(&["send", "--to", "sam", "--subject", "To Sam", "--no-receipt"], "FORGET-TO-SAM\n");
    ada.ok(&["send", "--to", "eve", "--subject", "To Eve", "--no-receipt"], "FORGET-TO-EVE\n");
    sam.ok(&["send", "--to", "ada", "--subject", "From Sam", "--no-receipt"], "FORGET-FROM-SAM\n");
    eve.ok(&["send", "--to", "ada", "--subject", "From Eve", "--no-receipt"], "FORGET-FROM-EVE\n");
    stack.wait_delivered("ada@practice.example", 2);
    ada.ok(&["sync"], "");
    assert_eq!(sent_folder(&stack, "ada@practice.example").len(), 2, "both sent copies are on the server");

    let forgotten: serde_json::Value =
        serde_json::from_str(&ada.ok(&["forget", "--contact", "sam", "--server", "--yes", "--json"], "").stdout)
            .unwrap();
    assert_eq!(forgotten["deleted_on_server"], 2, "Sam's message in the inbox and the copy to Sam: {forgotten}");
    let outer_of = |file: &std::path::PathBuf| std::fs::read(file).unwrap();
    let inbox: Vec<Vec<u8>> = stack.delivered("ada@practice.example").iter().map(outer_of).collect();
    assert_eq!(inbox.len(), 1, "only Eve's message is left in the inbox");
    assert!(!inbox[0].windows(18).any(|w| w == b"sam@client.example"));
    let sent: Vec<Vec<u8>> = sent_folder(&stack, "ada@practice.example").iter().map(outer_of).collect();
    assert_eq!(sent.len(), 1, "only the copy to Eve is left in the sent folder");
    assert!(sent[0].windows(18).any(|w| w == b"eve@client.example"));
    // The next sync fetches nothing back, and Eve's records read as before.
    ada.ok(&["sync"], "");
    let listed = ada.ok(&["inbox", "--all"], "").stdout;
    assert!(listed.contains("From Eve") && !listed.contains("From Sam"), "{listed}");
}

#[test]
fn a_first_sync_of_more_messages_than_a_listing_window_fetches_each_once() {
    let Some(stack) = mail_stack::start("a_first_sync_of_more_messages_than_a_listing_window_fetches_each_once") else {
        return;
    };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);
    // Sizes are listed 50, then 1,000 at a time: 1,100 messages cross both.
    let notes = common::sealed_notes(&ada, "sam", 1100, "Notes of a session.\n");
    put_on_server(&stack, "sam@client.example", notes);
    let synced = sam.ok(&["sync"], "");
    assert!(synced.stdout.contains("fetched 1100 new message(s): 1100 verified"), "{synced:?}");
    let listed: serde_json::Value = serde_json::from_str(&sam.ok(&["inbox", "--json"], "").stdout).unwrap();
    let subjects: std::collections::BTreeSet<&str> =
        listed["messages"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects.len(), 1100, "each message stored once");
    assert!(sam.ok(&["sync"], "").stdout.contains("fetched 0 new"));
}
