//! `sealpost demo`: a therapist and a client on local Maildirs, end to end.
//!
//! Every step runs this very binary as a user would type it, in a fresh
//! temporary folder, and checks the outcome it shows; the demo fails (exit 1)
//! the moment a step does not behave as printed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use super::{Run, Session};
use crate::cli::Demo;
use crate::home;

/// The demo's passphrase work factor: explicitly low so the demo is quick.
const DEMO_WORK_FACTOR: &str = "12";

struct Person {
    role: &'static str,
    home: PathBuf,
    passphrase_file: PathBuf,
}

struct Outcome {
    stdout: String,
}

struct Stage {
    exe: PathBuf,
    dir: PathBuf,
    /// `--json`: run every step, print nothing but the summary.
    quiet: bool,
    steps: std::cell::Cell<usize>,
}

impl Run for Demo {
    fn run(&self, session: &Session) -> Result<()> {
        let dir = std::env::temp_dir().join(format!("sealpost-demo-{}", home::unique_suffix()));
        home::create_private_dir(&dir)?;
        let demo = Stage {
            exe: std::env::current_exe().context("finding the sealpost binary")?,
            dir: dir.clone(),
            quiet: session.json,
            steps: std::cell::Cell::new(0),
        };
        let result = demo.play();
        if self.keep {
            demo.say(format!("\nthe demo folder is kept at {}", dir.display()));
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
        result.context("the demo stopped")?;
        if session.json {
            return session.print_json(&serde_json::json!({
                "complete": true,
                "steps": demo.steps.get(),
                "kept": self.keep.then_some(&dir),
            }));
        }
        println!("\ndemo complete: every step behaved as shown");
        Ok(())
    }
}

impl Stage {
    fn say(&self, text: String) {
        if !self.quiet {
            println!("{text}");
        }
    }

    fn section(&self, title: &str) {
        self.say(format!("== {title}\n"));
    }

    fn person(&self, role: &'static str) -> Result<Person> {
        let passphrase_file = self.dir.join(format!("{role}.passphrase"));
        home::write_atomic(&passphrase_file, format!("demo passphrase of the {role}\n").as_bytes())?;
        Ok(Person { role, home: self.dir.join(role), passphrase_file })
    }

    fn play(&self) -> Result<()> {
        let mail = self.dir.join("mail");
        let ada = self.person("therapist")?;
        let sam = self.person("client")?;
        let mail_arg = mail.to_string_lossy().into_owned();
        self.say(
            "sealpost demo: Dr. Ada Moss (therapist) and Sam Lee (client), offline, on local Maildirs".to_string(),
        );
        self.say(format!("in {}\n", self.dir.display()));

        self.section("1. Each creates an identity and an encrypted store");
        self.run(
            &ada,
            &[
                "init",
                "--name",
                "Dr. Ada Moss",
                "--email",
                "ada@practice.example",
                "--maildir",
                &mail_arg,
                "--kdf-work-factor",
                DEMO_WORK_FACTOR,
            ],
            None,
            0,
            &["created identity ada@practice.example"],
        )?;
        self.run(
            &sam,
            &[
                "init",
                "--name",
                "Sam Lee",
                "--email",
                "sam@client.example",
                "--maildir",
                &mail_arg,
                "--kdf-work-factor",
                DEMO_WORK_FACTOR,
            ],
            None,
            0,
            &["created identity sam@client.example"],
        )?;

        self.section("2. Before they have verified each other, nothing can be sent");
        self.run(&ada, &["send", "--to", "sam@client.example", "--subject", "hello"], Some("Hello Sam"), 3, &[])?;

        self.section("3. In session, the therapist hands the client an invite code");
        let invite = self.run(&ada, &["invite", "--for", "sam@client.example"], None, 0, &["works once"])?.stdout;
        let code = invite
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("SEALPOST2:"))
            .context("no invite code was printed")?
            .to_string();

        self.section("4. The client joins; four messages later both keys are verified");
        self.run(&sam, &["join", &code], None, 0, &["sent the join request"])?;
        self.run(&ada, &["sync"], None, 0, &["join request from sam@client.example: answered"])?;
        self.run(&sam, &["sync"], None, 0, &["their key matches the invite code"])?;
        self.run(&ada, &["sync"], None, 0, &["sam is verified"])?;
        self.run(&sam, &["sync"], None, 0, &["ada is verified"])?;
        self.run(&ada, &["contact", "show", "sam"], None, 0, &["state:       verified", "by invite code"])?;

        self.section("5. The therapist sends session notes with a worksheet");
        let worksheet = self.dir.join("worksheet.txt");
        home::write_atomic(
            &worksheet,
            b"Thought record\n1. Situation:\n2. Automatic thought:\n3. Evidence for / against:\n",
        )?;
        self.run(
            &ada,
            &[
                "send",
                "--to",
                "sam",
                "--subject",
                "Notes from today's session",
                "--attach",
                &worksheet.to_string_lossy(),
            ],
            Some("Hi Sam,\n\nAs discussed: try the thought record once a day this week.\nSee you Thursday.\n\nAda\n"),
            0,
            &["sent <", "to sam <sam@client.example>"],
        )?;

        self.section("6. The client fetches and reads it: verified");
        self.run(&sam, &["sync"], None, 0, &["1 verified"])?;
        self.run(&sam, &["inbox"], None, 0, &["ada", "verified", "Notes from today's session"])?;
        let saved = self.dir.join("client-downloads");
        self.run(
            &sam,
            &["read", "--last", "--save-attachments", &saved.to_string_lossy()],
            None,
            0,
            &["Status:  verified", "thought record once a day", "worksheet.txt", "sent a signed read receipt to ada"],
        )?;
        if !saved.join("worksheet.txt").is_file() {
            bail!("the attachment was not saved");
        }
        self.run(&sam, &["read", "--last"], None, 0, &["Status:  verified"])?;
        self.say("  (reading again sends no second receipt)\n".to_string());

        self.section("7. The signed read receipt comes back to the therapist");
        self.run(&ada, &["sent"], None, 0, &["sent", "Notes from today's session"])?;
        self.run(&ada, &["sync"], None, 0, &["read receipt:", "was read by sam"])?;
        self.run(&ada, &["sent"], None, 0, &["read 20", "by sam"])?;
        self.run(&ada, &["status", "1"], None, 0, &["State:    read", "Signer:", "Digest:   matches"])?;

        self.section("8. The client replies");
        self.run(
            &sam,
            &["send", "--to", "ada", "--subject", "Re: Notes from today's session"],
            Some("Thanks, I will. Sam\n"),
            0,
            &["sent <"],
        )?;
        self.run(&ada, &["sync"], None, 0, &["1 verified"])?;
        self.run(&ada, &["read", "--last"], None, 0, &["Status:  verified", "Thanks, I will."])?;

        self.section("9. A typo in the address is refused, and named");
        self.run(&ada, &["send", "--to", "sam@client.exmaple"], Some("Reminder: Thursday 10:00\n"), 3, &[])?;
        if mail.join("sam@client.exmaple").exists() {
            bail!("something was delivered to the mistyped address");
        }
        self.say("  (nothing was delivered to sam@client.exmaple)".to_string());
        Ok(())
    }

    /// Runs one step as `person`, prints it as typed with its output, and
    /// checks the exit code and what the user should see.
    fn run(&self, person: &Person, args: &[&str], stdin: Option<&str>, code: i32, expect: &[&str]) -> Result<Outcome> {
        self.steps.set(self.steps.get() + 1);
        let shown: Vec<String> = args.iter().map(|a| shell_word(a, &self.dir)).collect();
        let prefix = stdin
            .map(|s| format!("echo {} | ", shell_word(s.lines().next().unwrap_or(""), &self.dir)))
            .unwrap_or_default();
        self.say(format!("[{}] $ {prefix}sealpost {}", person.role, shown.join(" ")));
        let mut child = Command::new(&self.exe)
            .args(args)
            .env("SEALPOST_HOME", &person.home)
            .env("SEALPOST_PASSPHRASE_FILE", &person.passphrase_file)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting sealpost")?;
        let mut input = child.stdin.take().expect("piped");
        input.write_all(stdin.unwrap_or("").as_bytes())?;
        drop(input);
        let output = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let shown_out = if args == ["key", "export"] { first_lines(&stdout, 2) + "  ...\n" } else { stdout.clone() };
        for line in shown_out.lines().chain(stderr.lines()) {
            self.say(format!("  {line}"));
        }
        let actual = output.status.code().unwrap_or(-1);
        self.say(format!("  (exit {actual})\n"));
        if actual != code {
            bail!("`sealpost {}` exited with {actual}, expected {code}", args.join(" "));
        }
        let all = format!("{stdout}{stderr}");
        for wanted in expect {
            if !all.contains(wanted) {
                bail!("`sealpost {}` did not show {wanted:?}", args.join(" "));
            }
        }
        Ok(Outcome { stdout })
    }
}

fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

/// A word as a user would type it; the demo folder is shortened to `$DEMO`.
fn shell_word(word: &str, dir: &Path) -> String {
    let word = word.replace(&*dir.to_string_lossy(), "$DEMO");
    if word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./@$<>".contains(c)) && !word.is_empty() {
        word
    } else {
        format!("\"{}\"", word.replace('"', "\\\""))
    }
}
