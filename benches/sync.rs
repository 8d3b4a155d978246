//! First sync of 1,000 sealpost messages from the real local Dovecot, and a
//! sync with nothing new: wall time and peak memory of the `sealpost sync`
//! process, as a user runs it, beside a raw IMAP fetch of the same mailbox
//! (log in, UID FETCH 1:* BODY.PEEK[], nothing kept) as the anchor. Needs
//! the mail stack (as root, with Dovecot and Postfix installed):
//!
//!     cargo bench --bench sync
//!     SEALPOST_BENCH_MESSAGES=10000 cargo bench --bench sync
//!
//! The raw fetch and the first sync are also taken in turn, five rounds, and
//! the ratio of their medians printed: the figure to hold against a target.
//!
//! With 100 contacts, the first sync is timed once (with its peak memory)
//! and then side by side with the 1-contact sync, three rounds from copies
//! of both stores, which is the ratio to go by: the machine's speed drifts.
//!
//! The stores use a lowered passphrase work factor (2^10), so the figures are
//! the cost of syncing; with the default work factor every command also
//! pays the scrypt unlock (see bench/send-read.sh for that figure).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

fn main() {
    let messages: usize = std::env::var("SEALPOST_BENCH_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    println!("RUST_BACKTRACE={}", std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "(unset)".into()));
    std::env::set_var("SEALPOST_REQUIRE_MAIL_STACK", "1");
    let stack = common::mail_stack::start("sync benchmark").expect("the mail stack");
    let world = common::World::new();
    let ada = world.server_person(&stack, "ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.server_person(&stack, "sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());

    // 1,000 real sealpost messages, written straight into Sam's Maildir.
    let maildir = stack.path().join("mail/client.example/sam");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let started = Instant::now();
    let body = "Notes from today's session. ".repeat(70);
    for (i, raw) in common::sealed_notes(&ada, "sam", messages, &body).into_iter().enumerate() {
        std::fs::write(maildir.join("new").join(format!("{i}.bench")), raw).unwrap();
    }
    Command::new("chown").args(["-R", "mail:mail"]).arg(&maildir).status().unwrap();
    println!("prepared {messages} messages (~2 KB body each) in {:.1} s", started.elapsed().as_secs_f64());

    // SEALPOST_BENCH_PERF=FILE: the first sync is also recorded by
    // `perf record -g` (into FILE), from a copy of the store made before
    // (kept for the side-by-side runs, here and at the end).
    let perf = std::env::var_os("SEALPOST_BENCH_PERF");
    // SEALPOST_BENCH_COMPARE=BIN: the first sync is also timed side by side
    // (this build, BIN, three rounds) from copies of the store made before.
    // BIN must open a store this build made: a build from before databases
    // took HMAC-SHA256 pages calls it damaged.
    let compare = std::env::var_os("SEALPOST_BENCH_COMPARE");
    let before = world.path().join("sam-before-sync");
    Command::new("cp").arg("-a").arg(&sam.home).arg(&before).status().unwrap();
    let raw = (0..3).map(|_| raw_fetch(&sam, messages)).min_by(f64::total_cmp).unwrap();
    println!("raw IMAP fetch of the {messages} (best of 3): {raw:.3} s");
    let (secs, kib, out) = common::timed(&sam, &["sync"], "");
    assert!(out.contains(&format!("{messages} new message(s): {messages} verified")), "{out}");
    println!(
        "first sync of {messages} messages:  {secs:.3} s wall, {:.2} s CPU, {:.1} MiB peak RSS ({:.1}x the raw fetch)",
        common::last_cpu(),
        kib as f64 / 1024.0,
        secs / raw
    );
    // The ratio to go by: the raw fetch and the first sync taken in turn,
    // five rounds (the sync from a fresh copy of the store each time), the
    // median of each. A best raw fetch against one sync minutes later
    // measures the machine's drift as much as the sync.
    let this = std::path::PathBuf::from(env!("CARGO_BIN_EXE_sealpost"));
    let (mut raws, mut syncs) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        raws.push((raw_fetch(&sam, messages), 0.0));
        syncs.push(first_sync_from(&this, &world, &before, &sam.passphrase_file, messages));
    }
    let (raw_median, sync_median) = (median(&mut raws).0, median(&mut syncs));
    println!(
        "raw IMAP fetch and first sync in turn (median of 5): raw {raw_median:.3} s, first sync {:.3} s wall / \
         {:.2} s CPU ({:.1}x the raw fetch)",
        sync_median.0,
        sync_median.1,
        sync_median.0 / raw_median
    );
    if let Some(other) = &compare {
        let mut times: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..3 {
            for (i, binary) in [this.as_path(), std::path::Path::new(other)].into_iter().enumerate() {
                times[i].push(first_sync_from(binary, &world, &before, &sam.passphrase_file, messages));
            }
        }
        let (a, b) = (median(&mut times[0]), median(&mut times[1]));
        println!(
            "first sync, side by side (median of 3, A B A B): this build {:.3} s wall / {:.2} s CPU, {} {:.3} s \
             wall / {:.2} s CPU ({:.2}x)",
            a.0,
            a.1,
            std::path::Path::new(other).display(),
            b.0,
            b.1,
            a.0 / b.0
        );
    }
    if let Some(file) = &perf {
        let trial = world.path().join("perf-trial");
        Command::new("cp").arg("-a").arg(&before).arg(&trial).status().unwrap();
        let status = Command::new("perf")
            .args(["record", "--call-graph", "dwarf", "-F", "250", "-o"])
            .arg(file)
            .arg(env!("CARGO_BIN_EXE_sealpost"))
            .arg("sync")
            .env("SEALPOST_HOME", &trial)
            .env("SEALPOST_PASSPHRASE_FILE", &sam.passphrase_file)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("perf is installed");
        assert!(status.success());
        println!("perf profile of the first sync written to {}", std::path::Path::new(file).display());
    }

    let mut runs: Vec<(f64, u64)> = (0..7)
        .map(|_| {
            let (s, k, out) = common::timed(&sam, &["sync"], "");
            assert!(out.contains("fetched 0 new"), "{out}");
            (s, k)
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (s, k) = runs[runs.len() / 2];
    println!("sync with nothing new (median of 7): {s:.3} s wall, {:.1} MiB peak RSS", k as f64 / 1024.0);
    let (s, k, _) = common::timed(&sam, &["inbox"], "");
    println!("inbox listing {messages} messages:    {s:.3} s wall, {:.1} MiB peak RSS", k as f64 / 1024.0);

    // The same first sync for a reader with 100 contacts: every pinned key
    // is parsed once per command and only the signer's is checked.
    let eve = world.server_person(&stack, "eve", "Eve Park", "eve@client.example");
    ada.trust("eve", &eve, world.path());
    eve.trust("ada", &ada, world.path());
    for i in 1..100 {
        let cert = sealpost::keys::generate("Client", &format!("c{i}@client.example")).unwrap();
        let file = world.path().join(format!("c{i}.asc"));
        use sequoia_openpgp::serialize::SerializeInto;
        std::fs::write(&file, cert.strip_secret_key_material().armored().to_vec().unwrap()).unwrap();
        eve.ok(
            &["contact", "add", &format!("c{i}"), &format!("c{i}@client.example"), "--key", file.to_str().unwrap()],
            "",
        );
    }
    let maildir = stack.path().join("mail/client.example/eve");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (i, raw) in common::sealed_notes(&ada, "eve", messages, &body).into_iter().enumerate() {
        std::fs::write(maildir.join("new").join(format!("{i}.bench")), raw).unwrap();
    }
    Command::new("chown").args(["-R", "mail:mail"]).arg(&maildir).status().unwrap();
    // The server reads a new mailbox once (sizes, its index), as it did
    // Sam's for the raw fetches above: both syncs start from the same state.
    let warm = raw_fetch(&eve, messages);
    println!("raw IMAP fetch of the second mailbox (first, cold): {warm:.3} s");
    let eve_before = world.path().join("eve-before-sync");
    Command::new("cp").arg("-a").arg(&eve.home).arg(&eve_before).status().unwrap();
    let (many, kib, out) = common::timed(&eve, &["sync"], "");
    assert!(out.contains(&format!("{messages} new message(s): {messages} verified")), "{out}");
    println!(
        "first sync of {messages} messages, 100 contacts: {many:.3} s wall, {:.1} MiB peak RSS ({:.2}x the 1-contact sync)",
        kib as f64 / 1024.0,
        many / secs
    );
    // The two single runs above are minutes apart, and this machine's speed
    // drifts by more than the difference asked about: the same two syncs
    // again, side by side from copies of both stores.
    let (mut one, mut hundred) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        one.push(first_sync_from(&this, &world, &before, &sam.passphrase_file, messages));
        hundred.push(first_sync_from(&this, &world, &eve_before, &eve.passphrase_file, messages));
    }
    let (one, hundred) = (median(&mut one), median(&mut hundred));
    println!(
        "first sync, 100 contacts against 1, side by side (median of 3, A B A B): {:.3} s against {:.3} s ({:.2}x)",
        hundred.0,
        one.0,
        hundred.0 / one.0
    );
}

/// The middle run by wall time.
fn median(runs: &mut [(f64, f64)]) -> (f64, f64) {
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[runs.len() / 2]
}

/// `first_sync_with` on a fresh copy of the store at `before`.
fn first_sync_from(
    binary: &std::path::Path,
    world: &common::World,
    before: &std::path::Path,
    passphrase: &std::path::Path,
    n: usize,
) -> (f64, f64) {
    let trial = world.path().join("trial");
    let _ = std::fs::remove_dir_all(&trial);
    Command::new("cp").arg("-a").arg(before).arg(&trial).status().unwrap();
    first_sync_with(binary, &trial, passphrase, n)
}

/// Seconds to log in over TLS and fetch every message of the person's
/// inbox whole, as any IMAP client would, keeping nothing.
fn raw_fetch(person: &common::Person, expected: usize) -> f64 {
    let config = sealpost::config::Config::load(&sealpost::home::Home::at(&person.home)).unwrap();
    let server = config.imap.unwrap();
    let start = Instant::now();
    let (mut session, _) = sealpost::transport::imap::login(
        &server,
        &sealpost::account::Login {
            username: person.address.clone(),
            secret: common::mail_stack::PASSWORD.to_string().into(),
            method: sealpost::account::Method::Password,
        },
    )
    .unwrap();
    session.select("INBOX").unwrap();
    let fetched = session.uid_fetch("1:*", "BODY.PEEK[]").unwrap();
    let bytes: usize = fetched.iter().map(|m| m.body().map_or(0, <[u8]>::len)).sum();
    assert_eq!(fetched.len(), expected, "{bytes} bytes");
    let _ = session.logout();
    start.elapsed().as_secs_f64()
}

/// Wall and CPU seconds of a first sync by `binary` of the store at `home`.
fn first_sync_with(
    binary: &std::path::Path,
    home: &std::path::Path,
    passphrase: &std::path::Path,
    n: usize,
) -> (f64, f64) {
    let report = home.with_extension("time");
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg("-o")
        .arg(&report)
        .arg(binary)
        .arg("sync")
        .env("SEALPOST_HOME", home)
        .env("SEALPOST_PASSPHRASE_FILE", passphrase)
        .output()
        .unwrap();
    let wall = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{n} new message(s): {n} verified")), "{stdout}");
    let cpu = common::cpu_seconds(&std::fs::read_to_string(&report).unwrap());
    (wall, cpu)
}
