//! The records commands on a practice's long history: `audit --verify`
//! over 100,000 audit entries, and `export` of one contact with 1,000
//! messages each way. Wall time of the whole process (median of 5) and
//! peak RSS, offline on local Maildirs:
//!
//!     cargo bench --bench records
//!
//! The store is filled through the library (1,000 received copies of one
//! real sealed note and 1,000 sent ones, then 100,000 audit entries); what
//! is timed is the `sealpost` binary.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use sealpost::audit::{self, Action, Event};

const RUNS: usize = 5;
const ENTRIES: usize = 100_000;
const MESSAGES: usize = 1_000;

fn main() {
    println!("RUST_BACKTRACE={}", std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "(unset)".into()));
    let world = common::World::new();
    let (ada, sam) = common::pair(&world);
    let started = Instant::now();
    common::fill_store(&ada, &sam, MESSAGES);
    let store = sam.unlocked();
    let digest = format!("{:064x}", 7);
    for chunk in 0..ENTRIES / 1000 {
        store
            .transaction(|| {
                for i in 0..1000 {
                    let id = format!("<m{chunk}-{i}@practice.example>");
                    let event = Event::new(Action::Read).contact("ada@practice.example").message(&id);
                    audit::record(&store, event.sha256(Some(&digest)).detail("message 1, verified, content shown"))?;
                }
                Ok(())
            })
            .unwrap();
    }
    drop(store);
    println!(
        "filled a store with {MESSAGES} messages each way and {ENTRIES} audit entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (verify, verify_kib) = common::median(&sam, RUNS, &["audit", "--verify"], "");
    let mut exports: Vec<(f64, u64)> = (0..RUNS)
        .map(|run| {
            let out = world.path().join(format!("record-{run}.tar"));
            let args = ["export", "--contact", "ada", "--out", out.to_str().unwrap(), "--plaintext"];
            let (secs, kib, _) = common::timed(&sam, &args, "");
            (secs, kib)
        })
        .collect();
    exports.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (export, export_kib) = exports[RUNS / 2];
    let size = std::fs::metadata(world.path().join("record-0.tar")).map(|m| m.len()).unwrap_or(0);
    println!();
    println!("{:<44} {:>10} {:>12}", "command", "median", "peak RSS");
    println!(
        "{:<44} {:>8.3} s {:>8.1} MiB",
        format!("audit --verify ({ENTRIES} entries)"),
        verify,
        verify_kib as f64 / 1024.0
    );
    println!(
        "{:<44} {:>8.3} s {:>8.1} MiB",
        format!("export ({MESSAGES} messages each way, {:.1} MB)", size as f64 / 1e6),
        export,
        export_kib as f64 / 1024.0
    );
}
