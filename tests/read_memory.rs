//! Reading a large message holds at most three times its size. In its own
//! test binary, and the test never holds the message itself: a child's
//! peak memory as `wait4` gives it counts the peak of the process that
//! started it (its memory before `exec`), so a test binary with a test
//! holding hundreds of megabytes would measure that instead.

mod common;

use std::io::{Read, Write};

use common::{run_measured, World};

const ATTACHMENT: usize = 24 * 1024 * 1024;

/// Pseudo-random bytes (incompressible, as a scanned document is), made
/// and compared a mebibyte at a time.
struct Scan(u64);

impl Scan {
    fn next_chunk(&mut self, out: &mut [u8]) {
        for byte in out {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *byte = self.0 as u8;
        }
    }
}

#[test]
fn reading_a_large_attachment_holds_under_three_times_the_message() {
    let world = World::new();
    let (ada, sam) = common::pair(&world);
    let file = world.path().join("scan.pdf");
    let mut chunk = vec![0u8; 1 << 20];
    let mut scan = Scan(0x9E37_79B9_7F4A_7C15);
    let mut out = std::fs::File::create(&file).unwrap();
    for _ in 0..ATTACHMENT / chunk.len() {
        scan.next_chunk(&mut chunk);
        out.write_all(&chunk).unwrap();
    }
    drop(out);
    ada.ok(&["send", "--to", "sam", "--subject", "Scan", "--attach", file.to_str().unwrap()], "The scan.\n");
    let wire = std::fs::metadata(&sam.delivered(&world)[0]).unwrap().len();
    sam.ok(&["sync"], "");

    let saved = world.path().join("saved");
    let (read, kib) =
        run_measured(sam.command().args(["read", "--last", "--save-attachments", saved.to_str().unwrap()]));
    assert_eq!(read.code, 0, "{read:?}");
    eprintln!("read of a {wire}-byte message: peak RSS {} MiB", kib / 1024);
    assert!(kib * 1024 < 3 * wire, "read peaked at {kib} KiB, over three times the {wire}-byte message");

    let mut scan = Scan(0x9E37_79B9_7F4A_7C15);
    let mut kept = std::fs::File::open(saved.join("scan.pdf")).unwrap();
    let mut back = vec![0u8; chunk.len()];
    for _ in 0..ATTACHMENT / chunk.len() {
        scan.next_chunk(&mut chunk);
        kept.read_exact(&mut back).unwrap();
        assert!(back == chunk, "the attachment as it was sent");
    }
    assert_eq!(kept.read(&mut back).unwrap(), 0, "and nothing after it");
}
