//! Exporting a client's record, and checking the export, hold a message at
//! a time, never the record: years of sessions with scanned documents can
//! be larger than the memory of the computer exporting them. In its own
//! test binary, and the test never holds the record itself: a child's peak
//! memory as `wait4` gives it counts the peak of the process that started
//! it (see `read_memory.rs`).

mod common;

use std::io::{Read, Write};

use common::{run_measured, World};

const SCANS: usize = 8;
const SCAN: usize = 3 * 1024 * 1024;

/// Pseudo-random bytes (incompressible, as a scanned document is).
fn scan(seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..SCAN)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
fn an_export_and_its_check_hold_a_message_at_a_time_not_the_record() {
    let world = World::new();
    let (ada, sam) = common::pair(&world);
    for n in 0..SCANS {
        let file = world.path().join(format!("scan-{n}.pdf"));
        std::fs::File::create(&file).unwrap().write_all(&scan(n as u64)).unwrap();
        let subject = format!("Worksheet {n}");
        ada.ok(&["send", "--to", "sam", "--subject", &subject, "--attach", file.to_str().unwrap()], "Scanned.\n");
        std::fs::remove_file(&file).unwrap();
    }
    sam.ok(&["sync"], "");
    // What reading one of the messages takes: the export of all of them
    // may take that, and a little for its text files and buffers.
    let saved = world.path().join("saved");
    let (run, one) =
        run_measured(sam.command().args(["read", "--last", "--save-attachments", saved.to_str().unwrap()]));
    assert_eq!(run.code, 0, "{run:?}");
    let bound = one + 16 * 1024;
    let pass = world.path().join("export.pass");
    common::write_private(&pass, b"a passphrase for the export");
    let out = world.path().join("ada-record.age");
    let passphrase = ["--export-passphrase-file", pass.to_str().unwrap()];

    let export = ["export", "--contact", "ada", "--out", out.to_str().unwrap(), "--to-passphrase"];
    let (run, kib) = run_measured(sam.command().args(export).args(passphrase));
    assert_eq!(run.code, 0, "{run:?}");
    let size = std::fs::metadata(&out).unwrap().len();
    eprintln!("export of a {size}-byte record: peak RSS {} MiB; read of one message {} MiB", kib / 1024, one / 1024);
    assert!(size > (SCANS * SCAN * 2) as u64, "the record holds each scan as sent and as saved: {size} bytes");
    assert!(kib < bound, "the export peaked at {kib} KiB for a {size}-byte record; reading a message, {one} KiB");

    let verify = ["export", "--verify", out.to_str().unwrap()];
    let (run, kib) = run_measured(sam.command().args(verify).args(passphrase));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("matches the manifest"), "{run:?}");
    eprintln!("check of it: peak RSS {} MiB", kib / 1024);
    assert!(kib < bound, "the check peaked at {kib} KiB for a {size}-byte record; reading a message, {one} KiB");

    // Every scan is in it as it was sent (read back a file at a time).
    let unpacked = world.path().join("unpacked.tar");
    let age = age_decrypt(&out, b"a passphrase for the export");
    std::fs::File::create(&unpacked).unwrap().write_all(&age).unwrap();
    drop(age);
    let mut archive = tar::Archive::new(std::fs::File::open(&unpacked).unwrap());
    let mut found = 0;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        // attachments/received-NNNN-scan-N.pdf
        let seed = path.strip_prefix("attachments/received-").and_then(|p| p.split_once("-scan-"));
        if let Some(seed) = seed.and_then(|(_, n)| n.strip_suffix(".pdf")) {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            assert!(bytes == scan(seed.parse().unwrap()), "{path} is the scan as it was sent");
            found += 1;
        }
    }
    assert_eq!(found, SCANS);

    // Cut short, it is damaged: the end of an encrypted export is checked.
    let cut = world.path().join("cut.age");
    let bytes = std::fs::read(&out).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    drop(bytes);
    let refused = sam.run(&["export", "--verify", cut.to_str().unwrap(), passphrase[0], passphrase[1]], "");
    assert_ne!(refused.code, 0, "{refused:?}");
}

/// The plaintext of an age file encrypted to `passphrase`.
fn age_decrypt(file: &std::path::Path, passphrase: &[u8]) -> Vec<u8> {
    let passphrase = age::secrecy::SecretString::from(String::from_utf8(passphrase.to_vec()).unwrap());
    let decryptor = age::Decryptor::new(std::fs::File::open(file).unwrap()).unwrap();
    let identity = age::scrypt::Identity::new(passphrase);
    let mut plain = Vec::new();
    decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).unwrap().read_to_end(&mut plain).unwrap();
    plain
}
