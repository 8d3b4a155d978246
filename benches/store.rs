//! Commands at 1,000 and at 100,000 stored messages (received, and as many
//! sent): `inbox`, `read --last`,
//! a `sync` with nothing new and a `send`, each timed as a user runs it
//! (wall time of the whole process, median of 9, and peak RSS). Offline:
//! the stores deliver to local Maildirs, so it runs anywhere.
//!
//!     cargo bench --bench store
//!
//! The stores are filled through the library (the received messages are
//! copies of one real sealed note, each with its own bytes and source id),
//! which takes a minute for 100,000; what is timed is the `sealpost`
//! binary. The stores use a lowered passphrase work factor (2^10), so the
//! figures are the cost of the command, not of scrypt.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use sealpost::contacts::Contacts;
use sealpost::inbox::{Inbox, Kind};
use sealpost::message::open;
use sealpost::outbox::{Outgoing, Sent, SentList};

const SIZES: [usize; 2] = [1_000, 100_000];
const RUNS: usize = 9;

fn main() {
    // Errors made inside sequoia's certificate parser cost CPU time when
    // backtraces are on: run it with and without to compare.
    println!("RUST_BACKTRACE={}", std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "(unset)".into()));
    let mut rows: Vec<(String, Vec<(f64, u64)>)> = Vec::new();
    let mut worlds = Vec::new();
    for &size in &SIZES {
        let world = common::World::new();
        let (ada, sam) = common::pair(&world);
        let started = Instant::now();
        fill(&ada, &sam, size);
        println!("filled a store with {size} messages in {:.1} s", started.elapsed().as_secs_f64());
        let send = ["send", "--to", "ada", "--subject", "Thursday", "--no-receipt"];
        let figures = [
            ("inbox", median(&sam, &["inbox"], "")),
            ("read --last", median(&sam, &["read", "--last"], "")),
            ("sync, nothing new", median(&sam, &["sync"], "")),
            ("send", median(&sam, &send, "See you.\n")),
        ];
        for (label, figure) in figures {
            match rows.iter_mut().find(|(l, _)| l == label) {
                Some((_, all)) => all.push(figure),
                None => rows.push((label.to_string(), vec![figure])),
            }
        }
        worlds.push(world);
    }
    println!();
    println!("{:<20} {:>22} {:>22} {:>8}", "command", "1,000 stored", "100,000 stored", "ratio");
    for (label, figures) in &rows {
        let [(small, small_kib), (large, large_kib)] = figures[..] else { unreachable!() };
        println!(
            "{label:<20} {:>9.1} ms {:>6.1} MiB {:>9.1} ms {:>6.1} MiB {:>7.2}x",
            small * 1000.0,
            small_kib as f64 / 1024.0,
            large * 1000.0,
            large_kib as f64 / 1024.0,
            large / small
        );
    }
}

/// Stores `count` received notes from Ada in Sam's store, as a sync would
/// (one transaction per 1,000), and as many sent ones, and marks the last
/// one read.
fn fill(ada: &common::Person, sam: &common::Person, count: usize) {
    let note = common::sealed_notes(ada, "sam", 1, &"Notes from today's session. ".repeat(70)).remove(0);
    let store = sam.unlocked();
    let contacts = Contacts::load(&store).unwrap();
    let opened = open(&note, store.my_keys(), &contacts);
    let mut inbox = Inbox::load(&store).unwrap();
    let sent = SentList::load(&store).unwrap();
    for chunk in 0..count.div_ceil(1000) {
        store
            .transaction(|| {
                for i in chunk * 1000..((chunk + 1) * 1000).min(count) {
                    let mut raw = format!("X-Copy: {i}\r\n").into_bytes();
                    raw.extend_from_slice(&note);
                    let digest = format!("{:064x}", i);
                    inbox.add(&format!("bench:{i}"), &raw, &digest, &opened, Kind::Message)?;
                    let note = Sent {
                        id: 0,
                        message_id: format!("<sent-{i}@client.example>"),
                        to: "ada@practice.example".into(),
                        subject: "Thursday".into(),
                        created_at: 1,
                        sent_at: 1,
                        content_sha256: Some(digest),
                        receipt_requested: true,
                        receipt_for: None,
                        kind: Outgoing::Message,
                        read: None,
                        sent_copy: None,
                        outer_message_id: Some(format!("<outer-{i}@client.example>")),
                    };
                    sent.add_from_folder(note, &raw)?;
                }
                inbox.save()
            })
            .unwrap();
    }
    drop(store);
    sam.ok(&["read", "--last"], "");
}

/// The median wall time (seconds) and peak RSS (KiB) of `RUNS` runs.
fn median(person: &common::Person, args: &[&str], stdin: &str) -> (f64, u64) {
    let mut runs: Vec<(f64, u64)> = (0..RUNS)
        .map(|_| {
            let (secs, kib, _) = common::timed(person, args, stdin);
            (secs, kib)
        })
        .collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[RUNS / 2]
}
