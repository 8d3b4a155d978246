//! The committed man pages and completions match the CLI, and the demo runs.

mod common;

use std::path::Path;

#[test]
fn committed_man_pages_and_completions_are_current() {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = common::sealpost();
    cmd.args(["generate-docs", "--out", out.path().to_str().unwrap()]);
    assert_eq!(common::run_command(&mut cmd, "").code, 0);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for folder in ["man", "completions"] {
        let generated = common::files_under(&out.path().join(folder));
        assert!(!generated.is_empty());
        let mut committed: Vec<_> =
            std::fs::read_dir(repo.join(folder)).unwrap().map(|e| e.unwrap().file_name()).collect();
        committed.sort();
        let mut names: Vec<_> = generated.iter().map(|p| p.file_name().unwrap().to_owned()).collect();
        names.sort();
        assert_eq!(names, committed, "{folder}/ differs; run `cargo run -- generate-docs`");
        for file in generated {
            let name = file.file_name().unwrap();
            assert_eq!(
                std::fs::read(&file).unwrap(),
                std::fs::read(repo.join(folder).join(name)).unwrap(),
                "{folder}/{} is out of date; run `cargo run -- generate-docs`",
                name.to_string_lossy()
            );
        }
    }
    let man = std::fs::read_to_string(repo.join("man/sealpost.1")).unwrap();
    assert!(man.contains("recipient not verified"), "exit codes are documented in the man page");
}

#[test]
fn demo_runs_every_step_as_shown() {
    let mut cmd = common::sealpost();
    cmd.arg("demo");
    let run = common::run_command(&mut cmd, "");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("demo complete: every step behaved as shown"));
    assert!(run.stdout.contains("[client] $ sealpost join \"SEALPOST2:ada@practice.example:"), "{run:?}");
    assert!(run.stdout.contains("join with ada@practice.example completed: ada is verified"));
    assert!(run.stdout.contains("[client] $ sealpost read --last"));
    assert!(run.stdout.contains("Status:  verified"));
    assert!(run.stdout.contains("was read by sam at"), "the read receipt comes back");
    assert!(run.stdout.contains("did you mean sam@client.example"));
}
