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
        common::fill_store(&ada, &sam, size);
        println!("filled a store with {size} messages in {:.1} s", started.elapsed().as_secs_f64());
        let send = ["send", "--to", "ada", "--subject", "Thursday", "--no-receipt"];
        let figures = [
            ("inbox", common::median(&sam, RUNS, &["inbox"], "")),
            ("read --last", common::median(&sam, RUNS, &["read", "--last"], "")),
            ("sync, nothing new", common::median(&sam, RUNS, &["sync"], "")),
            ("send", common::median(&sam, RUNS, &send, "See you.\n")),
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
