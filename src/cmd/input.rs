//! What `send` and `reply` read from the user: the body and attachments.
//!
//! The recipient is shown before the body is taken, on every path (terminal,
//! editor draft, pipe): the user sees who it goes to while there is still
//! time not to write it. The name shown is the one in the contact's pinned
//! key, never one a message claims.

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::Session;
use crate::home;
use crate::message::Attachment;
use crate::sanitize;

pub(super) fn read_attachment(path: &Path) -> Result<Attachment> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading the attachment {}; nothing was sent", path.display()))?;
    let name =
        path.file_name().map(|n| n.to_string_lossy().into_owned()).context("an attachment path without a file name")?;
    // By the file's extension, as mail programs do; unknown ones stay
    // `application/octet-stream`.
    let content_type = mime_guess::from_path(path).first_or_octet_stream().essence_str().to_string();
    Ok(Attachment { name, content_type, bytes })
}

/// Who a message goes to, as shown before its body is taken.
pub(super) struct Addressee<'a> {
    /// The name in the contact's pinned key, if it has one for the address.
    pub name: Option<&'a str>,
    pub alias: &'a str,
    pub address: &'a str,
    pub subject: &'a str,
    /// A reply: "Replying to ..." rather than "To ...".
    pub reply: bool,
}

impl Addressee<'_> {
    fn who(&self) -> String {
        format!("{} <{}>", sanitize::line(self.name.unwrap_or(self.alias)), self.address)
    }

    fn subject(&self) -> String {
        if self.subject.is_empty() {
            "(no subject)".to_string()
        } else {
            sanitize::line(self.subject)
        }
    }

    /// "Replying to Eve Park <eve@...> — Re: Thursday", or
    /// "To Sam Lee <sam@...> — Subject: Plan".
    pub fn line(&self) -> String {
        if self.reply {
            format!("Replying to {} — {}", self.who(), self.subject())
        } else {
            format!("To {} — Subject: {}", self.who(), self.subject())
        }
    }

    /// The comment lines an editor draft starts with.
    fn draft_heading(&self) -> String {
        format!("# To: {}\n# Subject: {}\n# Lines starting with # are not sent.\n", self.who(), self.subject())
    }
}

/// The body from stdin, or from `$EDITOR` when stdin is a terminal. The
/// recipient line goes to stderr first (with `--json` the document names
/// the recipient instead, and stderr stays JSON).
pub(super) fn read_body(session: &Session, to: &Addressee<'_>) -> Result<String> {
    if !session.json {
        eprintln!("{}", to.line());
    }
    let mut bytes = Vec::new();
    let from_editor = std::io::stdin().is_terminal();
    if from_editor {
        bytes = edit(session, &to.draft_heading())?;
    } else {
        std::io::stdin().read_to_end(&mut bytes).context("reading the message body from stdin")?;
    }
    let mut body = String::from_utf8(bytes).context("the message body is not UTF-8 text; nothing was sent")?;
    if from_editor {
        body = strip_comments(&body);
    }
    if body.trim().is_empty() {
        bail!("the message body is empty; nothing was sent");
    }
    Ok(body)
}

/// An editor draft without its `#` comment lines and the blank lines that
/// lead the text.
fn strip_comments(draft: &str) -> String {
    let kept: String = draft.split_inclusive('\n').filter(|l| !l.starts_with('#')).collect();
    kept.trim_start_matches(['\n', '\r']).to_string()
}

/// Runs the user's editor on a private temporary file. The draft exists in
/// plaintext only while the editor runs: in memory-backed /dev/shm when the
/// system has it, else inside the private data folder, and is removed after.
/// The folder's name holds this process's id, so that if this process is
/// killed before removing it, the next run that opens a store does
/// (`home::remove_orphaned_drafts`).
fn edit(session: &Session, heading: &str) -> Result<Vec<u8>> {
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".to_string());
    let dir = home::draft_base(&session.home.data_dir).join(home::draft_folder_name(&session.home.data_dir));
    home::create_private_dir(&dir)?;
    let file = dir.join("message.txt");
    home::write_atomic(&file, heading.as_bytes())?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&file)
        .status()
        .with_context(|| format!("starting the editor {editor}"));
    let bytes = std::fs::read(&file);
    let _ = std::fs::remove_dir_all(&dir);
    let status = status?;
    if !status.success() {
        bail!("the editor exited with {status}; nothing was sent");
    }
    bytes.context("reading the draft")
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn draft_comments_are_not_sent() {
        let draft = "# To: Eve Park <eve@client.example>\n# Subject: Re: Thursday\n\nHello,\n#2 is fine\nbye\n";
        assert_eq!(strip_comments(draft), "Hello,\nbye\n");
    }
}
