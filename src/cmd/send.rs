use std::io::{IsTerminal, Read};
use std::path::Path;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};

use super::{Run, Session};
use crate::cli::Send;
use crate::contacts::{now, Contacts};
use crate::error::Refusal;
use crate::home;
use crate::keys;
use crate::message::{compose, new_message_id, Attachment, Draft};
use crate::outbox::{self, Outgoing, Queued};

impl Run for Send {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        // Refuse before asking for a body: nothing is written for a recipient
        // that cannot be verified.
        let (contact, cert) = contacts.recipient(&self.to)?;
        let attachments = self.attach.iter().map(|p| read_attachment(p)).collect::<Result<Vec<_>>>()?;
        let body = read_body(session)?;
        let draft = Draft {
            from_name: config.account.name.clone(),
            from_address: config.account.address.clone(),
            to_name: keys::name_for(&cert, &contact.address),
            to_address: contact.address.clone(),
            subject: self.subject.clone(),
            body,
            attachments,
            message_id: new_message_id(&config.account.address),
            date: SystemTime::now(),
            request_receipt: config.request_receipts && !self.no_receipt,
        };
        let sealed = compose(&draft, store.secret_cert(), &cert)?;
        outbox::enqueue(
            &store,
            &Queued {
                message_id: draft.message_id.clone(),
                to: contact.address.clone(),
                subject: draft.subject.clone(),
                created_at: now(),
                attempts: 0,
                last_error: None,
                raw: String::from_utf8(sealed.raw).context("the composed message is not ASCII")?,
                content_sha256: Some(sealed.content_sha256),
                receipt_requested: draft.request_receipt,
                receipt_for: None,
                kind: Outgoing::Message,
            },
        )?;
        let flushed = session.deliver_outbox(&config, &store)?;
        if let Some((_, reason)) = flushed.failed.iter().find(|(q, _)| q.message_id == draft.message_id) {
            return Err(Refusal::queued(format!(
                "queued, will retry: delivery to {} failed ({reason}); the message {} is kept encrypted in \
                 the outbox and `sealpost sync` will try again",
                contact.address, draft.message_id
            )));
        }
        println!("sent {} to {} <{}>", draft.message_id, contact.alias, contact.address);
        Ok(())
    }
}

fn read_attachment(path: &Path) -> Result<Attachment> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading the attachment {}; nothing was sent", path.display()))?;
    let name =
        path.file_name().map(|n| n.to_string_lossy().into_owned()).context("an attachment path without a file name")?;
    Ok(Attachment { name, content_type: "application/octet-stream".to_string(), bytes })
}

/// The body from stdin, or from `$EDITOR` when stdin is a terminal.
fn read_body(session: &Session) -> Result<String> {
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
fn edit(session: &Session) -> Result<Vec<u8>> {
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".to_string());
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() { shm.to_path_buf() } else { session.home.data_dir.clone() };
    let dir = base.join(format!("sealpost-draft-{}-{}", std::process::id(), home::unique_suffix()));
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
