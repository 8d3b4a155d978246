//! Refusals that scripts branch on.
//!
//! Most failures are plain `anyhow` errors with context and exit 1. The few
//! outcomes a caller must be able to tell apart by exit code alone (a
//! recipient that is not verified, a message that did not verify, a store
//! that cannot be unlocked) are typed here, so `main` can map them to the
//! documented codes without parsing messages.

use std::fmt;
use std::io::Write;

/// The documented exit codes (README, man page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    Failure = 1,
    Usage = 2,
    RecipientNotVerified = 3,
    VerificationFailed = 4,
    Locked = 5,
    Queued = 6,
}

impl ExitCode {
    pub fn name(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::Failure => "failure",
            ExitCode::Usage => "usage",
            ExitCode::RecipientNotVerified => "recipient-not-verified",
            ExitCode::VerificationFailed => "verification-failed",
            ExitCode::Locked => "locked",
            ExitCode::Queued => "queued",
        }
    }
}

/// An error whose kind decides the exit code. The message is complete and
/// says what to do next.
#[derive(Debug)]
pub struct Refusal {
    pub code: ExitCode,
    pub message: String,
}

impl Refusal {
    pub fn recipient(message: impl Into<String>) -> anyhow::Error {
        Refusal { code: ExitCode::RecipientNotVerified, message: message.into() }.into()
    }

    pub fn verification(message: impl Into<String>) -> anyhow::Error {
        Refusal { code: ExitCode::VerificationFailed, message: message.into() }.into()
    }

    pub fn locked(message: impl Into<String>) -> anyhow::Error {
        Refusal { code: ExitCode::Locked, message: message.into() }.into()
    }

    pub fn queued(message: impl Into<String>) -> anyhow::Error {
        Refusal { code: ExitCode::Queued, message: message.into() }.into()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}

/// An error as one line of JSON: `{"error":{"code":NAME,"exit":N,"message":TEXT}}`.
pub fn json_error(code: ExitCode, message: &str) -> String {
    serde_json::json!({ "error": { "code": code.name(), "exit": code as u8, "message": message } }).to_string()
}

/// The exit code an error maps to: the first `Refusal` in its chain, else 1.
pub fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    err.chain().find_map(|cause| cause.downcast_ref::<Refusal>()).map_or(ExitCode::Failure, |refusal| refusal.code)
}

/// Whether this process prints JSON (`--json`); set once by `main`.
static JSON_OUTPUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_json_output(json: bool) {
    JSON_OUTPUT.store(json, std::sync::atomic::Ordering::Relaxed);
}

/// Prints `text` and a newline on stdout with one write. A JSON document
/// is printed so: one that fits the pipe (64 KiB on Linux) is in it whole
/// before a reader that stops at its first match (`grep -q` under `set -o
/// pipefail`) can leave, so no later piece meets a closed pipe and ends
/// the command with 141 now and then. A larger one still can, as with any
/// program whose reader leaves early. A failure panics as `println!`'s
/// does, so a closed stdout ends the command with 141 where `main` says.
pub fn print_whole(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(line_of(text).as_bytes()).and_then(|()| out.flush()) {
        panic!("failed printing to stdout: {e}");
    }
}

/// Prints `text` and a newline on stderr with one write, so that the JSON
/// lines of processes sharing a stderr never interleave.
pub fn eprint_whole(text: &str) {
    let _ = std::io::stderr().lock().write_all(line_of(text).as_bytes());
}

/// `text` with its newline, to be written at once.
fn line_of(text: &str) -> String {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    line
}

/// Prints something the user should know before going on: `note: TEXT`,
/// or with `--json` a warning line, so that stderr stays machine-readable.
pub fn note(message: &str) {
    tell("note", message);
}

/// Prints a warning on stderr: `warning: TEXT`, or with `--json` one line
/// `{"warning":TEXT}`, so that stderr stays machine-readable.
pub fn warn(message: &str) {
    tell("warning", message);
}

/// `LABEL: TEXT` on stderr, or with `--json` the line `{"warning":TEXT}`.
fn tell(label: &str, message: &str) {
    if JSON_OUTPUT.load(std::sync::atomic::Ordering::Relaxed) {
        eprint_whole(&serde_json::json!({ "warning": message }).to_string());
    } else {
        eprintln!("{label}: {message}");
    }
}
