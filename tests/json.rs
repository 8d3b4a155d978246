//! Every command's `--json` output against the schema in docs/json.md.
//! (`account check` needs the mail servers: tests/servers.rs checks it;
//! `account login` needs an OAuth2 provider: tests/oauth2.rs.)

mod common;

use std::collections::BTreeSet;

use common::json_schema::Schema;
use common::{run_command, Person, World};
use serde_json::Value;

struct Checker {
    schema: Schema,
    seen: BTreeSet<String>,
}

impl Checker {
    /// Runs `args --json` as `person`, expects exit 0 and one JSON document.
    fn ok(&mut self, section: &str, person: &Person, args: &[&str], stdin: &str) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let run = person.run(&all, stdin);
        assert_eq!(run.code, 0, "sealpost {all:?}: {run:?}");
        let value: Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{all:?} printed no JSON ({e}): {run:?}"));
        self.schema.check(section, &value);
        self.seen.insert(section.to_string());
        self.stderr_warnings(&run.stderr);
        value
    }

    /// Checks that every line on stderr is a documented JSON warning.
    fn stderr_warnings(&mut self, stderr: &str) {
        for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
            let value: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("stderr line not JSON ({e}): {line}"));
            self.schema.check("Warnings", &value);
            self.seen.insert("Warnings".to_string());
        }
    }

    /// Runs `args --json`, expects exit `code` and the error document on stderr.
    fn error(&mut self, person: &Person, args: &[&str], stdin: &str, code: i32, name: &str) {
        let mut all = args.to_vec();
        all.push("--json");
        let run = person.run(&all, stdin);
        assert_eq!(run.code, code, "{run:?}");
        let (warnings, last) = run.stderr.trim().rsplit_once('\n').unwrap_or(("", run.stderr.trim()));
        self.stderr_warnings(warnings);
        let value: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {run:?}"));
        self.schema.check("Errors", &value);
        assert_eq!(value["error"]["code"], name);
        assert_eq!(value["error"]["exit"], code);
        self.seen.insert("Errors".to_string());
    }
}

#[test]
fn every_command_prints_json_as_documented() {
    let mut check = Checker { schema: Schema::load(), seen: BTreeSet::new() };
    let world = World::new();
    let mail = world.mail();
    let mail = mail.to_str().unwrap();

    let ada = world.bare_person("ada", "ada@practice.example");
    let init = ["init", "--name", "Dr. Ada Moss", "--email", "ada@practice.example", "--maildir", mail];
    let created = check.ok("sealpost init", &ada, &[&init[..], &["--kdf-work-factor", "10"]].concat(), "");
    assert_eq!(created["kdf_lowered"], true);
    let sam = world.person("sam", "Sam Lee", "sam@client.example");
    check.ok("sealpost key show", &ada, &["key", "show"], "");
    let exported = check.ok("sealpost key export", &sam, &["key", "export"], "");
    let sam_key = world.path().join("sam.asc");
    std::fs::write(&sam_key, exported["armored"].as_str().unwrap()).unwrap();

    check.ok(
        "sealpost contact add",
        &ada,
        &["contact", "add", "sam", "sam@client.example", "--key", sam_key.to_str().unwrap()],
        "",
    );
    let fpr = exported["fingerprint"].as_str().unwrap();
    let verified = check.ok("sealpost contact add", &ada, &["contact", "verify", "sam", "--fingerprint", fpr], "");
    assert_eq!(verified["state"], "verified");
    sam.trust("ada", &ada, world.path());
    check.ok("sealpost contact list", &ada, &["contact", "list"], "");
    let shown = check.ok("sealpost contact show", &ada, &["contact", "show", "sam"], "");
    assert_eq!(shown["verified_by"], "fingerprint");
    check.ok("sealpost account set-password", &ada, &["account", "set-password"], "mail password\n");
    let logout = check.ok("sealpost account logout", &ada, &["account", "logout"], "");
    assert_eq!(logout["signed_out"], false);
    check.error(&ada, &["send", "--to", "nobody@else.example"], "hi\n", 3, "recipient-not-verified");

    let sent = check.ok("sealpost send", &ada, &["send", "--to", "sam", "--subject", "Plan"], "The plan.\n");
    assert_eq!(sent["to"], "sam@client.example");
    sam.ok(&["sync"], "");
    sam.ok(&["read", "--last"], "");
    check.ok("sealpost send", &sam, &["reply", "--last"], "Thanks.\n");
    let synced = check.ok("sealpost sync", &ada, &["sync"], "");
    assert_eq!(synced["verified"], 1);
    assert_eq!(synced["receipts_accepted"], 1, "Sam's reading sent a receipt: {synced}");
    let inbox = check.ok("sealpost inbox", &ada, &["inbox"], "");
    assert_eq!(inbox["messages"][0]["status"], "verified");
    let read = check.ok("sealpost read", &ada, &["read", "--last"], "");
    assert_eq!(read["content"]["body"], "Thanks.\n");
    assert_eq!(read["signer"]["alias"], "sam");
    let listed = check.ok("sealpost sent", &ada, &["sent"], "");
    assert_eq!(listed["messages"][0]["state"], "read");
    check.ok("sealpost status", &ada, &["status", "1"], "");
    let shown = check.ok("sealpost sent show", &ada, &["sent", "show", "1"], "");
    assert_eq!(shown["state"], "read");

    // A queued message, for the outbox: Carl's server refuses connections.
    let carl = world.bare_person("carl", "carl@practice.example");
    carl.ok(&["init", "--name", "Carl", "--email", "carl@practice.example", "--kdf-work-factor", "10"], "");
    carl.edit_config(|text| {
        format!("{text}\n[smtp]\nhost = \"127.0.0.1\"\nport = 9\nsecurity = \"tls\"\npassword_command = \"echo x\"\n")
    });
    carl.trust("sam", &sam, world.path());
    check.error(&carl, &["send", "--to", "sam"], "Queued.\n", 6, "queued");
    let outbox = check.ok("sealpost outbox", &carl, &["outbox"], "");
    assert_eq!(outbox["queued"][0]["attempts"], 1);
    let id = outbox["queued"][0]["message_id"].as_str().unwrap().to_string();
    let cancelled = check.ok("sealpost outbox --cancel", &carl, &["outbox", "--cancel", &id], "");
    assert_eq!(cancelled["cancelled"], id.as_str());
    assert_eq!(cancelled["maybe_delivered"], false);

    let invite = check.ok("sealpost invite", &ada, &["invite"], "");
    check.ok("sealpost invite --list", &ada, &["invite", "--list"], "");
    check.ok("sealpost invite --revoke", &ada, &["invite", "--revoke", invite["token"].as_str().unwrap()], "");
    let code = check.ok("sealpost invite", &ada, &["invite"], "")["code"].as_str().unwrap().to_string();
    let dana = world.person("dana", "Dana Fox", "dana@client.example");
    check.ok("sealpost join", &dana, &["join", &code], "");
    ada.ok(&["sync"], "");
    // A join in progress, no contact yet: only address, join and invite.
    let pending: Value =
        serde_json::from_str(&dana.ok(&["contact", "show", "ada@practice.example", "--json"], "").stdout).unwrap();
    let keys: Vec<&String> = pending.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["address", "invite", "join"], "{pending}");
    assert!(pending["join"].as_str().unwrap().starts_with("join request sent"));

    let runtime = world.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    let agent = |args: &[&str]| {
        let mut cmd = ada.command();
        cmd.env("XDG_RUNTIME_DIR", &runtime).args(args).arg("--json");
        run_command(&mut cmd, "")
    };
    let status: Value = serde_json::from_str(&agent(&["unlock", "--status"]).stdout).unwrap();
    check.schema.check("sealpost unlock --status", &status);
    assert_eq!(status["unlocked"], false);
    let unlocked: Value = serde_json::from_str(&agent(&["unlock", "--for", "1m"]).stdout).unwrap();
    check.schema.check("sealpost unlock", &unlocked);
    assert_eq!(unlocked["idle_seconds"], 60);
    let status: Value = serde_json::from_str(&agent(&["unlock", "--status"]).stdout).unwrap();
    check.schema.check("sealpost unlock --status", &status);
    assert_eq!(status["unlocked"], true);
    let locked: Value = serde_json::from_str(&agent(&["lock"]).stdout).unwrap();
    check.schema.check("sealpost lock", &locked);
    assert_eq!(locked["locked"], true);
    check.seen.extend(["sealpost unlock", "sealpost unlock --status", "sealpost lock"].map(String::from));

    check.ok("sealpost contact consent", &ada, &["contact", "consent", "sam", "--date", "2026-01-15"], "");
    check.ok("sealpost contact hold", &ada, &["contact", "hold", "sam"], "");
    check.ok("sealpost contact release", &ada, &["contact", "release", "sam"], "");
    check.ok("sealpost contact retention", &ada, &["contact", "retention", "sam", "7y"], "");
    let shown = check.ok("sealpost contact show", &ada, &["contact", "show", "sam"], "");
    assert_eq!(shown["consent"]["date"], "2026-01-15");
    check.ok("sealpost retention", &ada, &["retention"], "");
    let audit = check.ok("sealpost audit", &ada, &["audit", "--contact", "sam"], "");
    assert!(audit["entries"].as_array().unwrap().iter().any(|e| e["action"] == "consent"), "{audit}");
    check.ok("sealpost audit --verify", &ada, &["audit", "--verify"], "");
    let record = world.path().join("sam.record");
    check.ok(
        "sealpost export",
        &ada,
        &["export", "--contact", "sam", "--out", record.to_str().unwrap(), "--plaintext"],
        "",
    );
    check.ok("sealpost export --verify", &ada, &["export", "--verify", record.to_str().unwrap()], "");
    let gone = world.person("gone", "Gone Away", "gone@client.example");
    ada.trust("gone", &gone, world.path());
    check.ok("sealpost forget", &ada, &["forget", "--contact", "gone", "--yes"], "");

    let backup = world.path().join("ada.backup");
    let made = check.ok("sealpost backup", &ada, &["backup", backup.to_str().unwrap()], "");
    assert_eq!(made["counts"]["messages"], 1, "{made}");
    let shown = check.ok("sealpost key show", &ada, &["key", "show"], "");
    assert!(shown["last_backup"].is_string(), "{shown}");
    let checked = check.ok("sealpost backup --verify", &ada, &["backup", "--verify", backup.to_str().unwrap()], "");
    assert_eq!(checked["complete"], true);
    let recovery = check.ok("sealpost key recovery", &ada, &["key", "recovery"], "");
    assert!(recovery["recovery_key"].as_str().unwrap().starts_with("AGE-SECRET-KEY-1"));
    let new_passphrase = world.path().join("new.pass");
    common::write_private(&new_passphrase, b"the new passphrase\n");
    check.ok(
        "sealpost key passphrase",
        &ada,
        &["key", "passphrase", "--new-passphrase-file", new_passphrase.to_str().unwrap()],
        "",
    );
    let erin = world.bare_person("erin", "ada@practice.example");
    // The backup was made before the change: the old passphrase opens it.
    std::fs::copy(&ada.passphrase_file, &erin.passphrase_file).unwrap();
    let restored = check.ok("sealpost restore", &erin, &["restore", backup.to_str().unwrap()], "");
    assert_eq!(restored["counts"]["contacts"], 1, "{restored}");
    std::fs::copy(&new_passphrase, &ada.passphrase_file).unwrap();
    check.ok("sealpost key rotate", &ada, &["key", "rotate"], "");
    let out = world.path().join("docs");
    check.ok("sealpost generate-docs", &ada, &["generate-docs", "--out", out.to_str().unwrap()], "");
    let demo = check.ok("sealpost demo", &ada, &["demo"], "");
    assert_eq!(demo["complete"], true);

    let documented: BTreeSet<String> = check.schema.sections.keys().cloned().collect();
    let untested: Vec<_> = documented
        .difference(&check.seen)
        .filter(|s| !["sealpost account check", "sealpost account login"].contains(&s.as_str()))
        .collect();
    assert!(untested.is_empty(), "documented but not checked here: {untested:?}");
}

#[test]
fn a_usage_error_in_json_mode_is_json_too() {
    let schema = Schema::load();
    let run = run_command(common::sealpost().args(["send", "--json", "--no-such-flag"]), "");
    assert_eq!(run.code, 2, "{run:?}");
    let value: Value = serde_json::from_str(run.stderr.trim()).unwrap();
    schema.check("Errors", &value);
    assert_eq!(value["error"]["code"], "usage");
    assert!(run.stdout.is_empty());
}

/// Every command of the CLI, hidden ones aside, has its JSON documented:
/// a new command without a schema fails here.
#[test]
fn every_command_is_in_the_json_schema() {
    use clap::CommandFactory;
    fn paths(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            let path = format!("{prefix} {}", sub.get_name());
            if sub.has_subcommands() {
                paths(sub, &path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut commands = Vec::new();
    paths(&sealpost::cli::Cli::command(), "sealpost", &mut commands);
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    let missing: Vec<_> = commands.iter().filter(|c| !docs.contains(&format!("`{c}`"))).collect();
    assert!(missing.is_empty(), "docs/json.md does not document {missing:?}");
    assert!(commands.len() > 20, "{commands:?}");
}
