//! What `send` and `reply` read from the user: the body and attachments.

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::Session;
use crate::home;
use crate::message::Attachment;

pub(super) fn read_attachment(path: &Path) -> Result<Attachment> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading the attachment {}; nothing was sent", path.display()))?;
    let name =
        path.file_name().map(|n| n.to_string_lossy().into_owned()).context("an attachment path without a file name")?;
    Ok(Attachment { name, content_type: "application/octet-stream".to_string(), bytes })
}

/// The body from stdin, or from `$EDITOR` when stdin is a terminal.
pub(super) fn read_body(session: &Session) -> Result<String> {
    let mut bytes = Vec::new();
    if std::io::stdin().is_terminal() {
        bytes = edit(session)?;
    } else {
        std::io::stdin().read_to_end(&mut bytes).context("reading the message body from stdin")?;
    }
    let body = String::from_utf8(bytes).context("the message body is not UTF-8 text; nothing was sent")?;
    if body.trim().is_empty() {
        bail!("the message body is empty; nothing was sent");
    }
    Ok(body)
}

/// Runs the user's editor on a private temporary file. The draft exists in
/// plaintext only while the editor runs: in memory-backed /dev/shm when the
/// system has it, else inside the private data folder, and is removed after.
/// The folder's name holds this process's id, so that if this process is
/// killed before removing it, the next run that opens a store does
/// (`home::remove_orphaned_drafts`).
fn edit(session: &Session) -> Result<Vec<u8>> {
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".to_string());
    let dir = home::draft_base(&session.home.data_dir).join(home::draft_folder_name(&session.home.data_dir));
    home::create_private_dir(&dir)?;
    let file = dir.join("message.txt");
    home::write_atomic(&file, b"")?;
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
