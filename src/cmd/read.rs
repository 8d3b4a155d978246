use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{format_time, Run, Session};
use crate::cli::Read;
use crate::contacts::Contacts;
use crate::error::Refusal;
use crate::home;
use crate::inbox::Inbox;
use crate::keys;
use crate::message::{open, Attachment, Opened, Seal, Status};
use crate::sanitize;

impl Run for Read {
    fn run(&self, session: &Session) -> Result<()> {
        let store = session.unlock()?;
        let contacts = Contacts::load(&store)?;
        let inbox = Inbox::load(&store)?;
        let entry = match self.id {
            Some(id) => inbox.get(id).with_context(|| format!("no message {id}; `sealpost inbox` lists them"))?,
            None => inbox.last().context("the inbox is empty; `sealpost sync` fetches new mail")?,
        };
        if entry.seal == Seal::NotEncrypted {
            println!("Status:  NOT VERIFIED: not-encrypted: {}", Status::NotEncrypted.explain());
            return Err(Refusal::verification(format!("message {} is not verified (not-encrypted)", entry.id)));
        }
        // Open again with today's contacts: the status is decided now.
        let raw = inbox.raw(&store, entry.id)?;
        let opened = open(&raw, store.secret_cert(), &contacts);
        print_status(&opened, &contacts);
        if let Some(content) = opened.content.as_ref().filter(|_| opened.status.content_shown()) {
            let from = content.from_address.as_deref().or(opened.outer.from_address.as_deref()).unwrap_or("");
            match &content.from_name {
                Some(name) => println!("From:    {} <{}>", sanitize::line(name), sanitize::line(from)),
                None => println!("From:    {}", sanitize::line(from)),
            }
            if !content.to.is_empty() {
                println!("To:      {}", sanitize::line(&content.to.join(", ")));
            }
            if let Some(date) = content.date {
                println!("Date:    {}", format_time(date));
            }
            match &content.subject {
                Some(subject) => println!("Subject: {}", sanitize::line(subject)),
                None => println!("Subject: (none protected by encryption)"),
            }
            if !content.attachments.is_empty() {
                println!("Attachments:");
                for attachment in &content.attachments {
                    println!(
                        "  {} ({}, {} bytes)",
                        sanitize::file_name(&attachment.name),
                        sanitize::line(&attachment.content_type),
                        attachment.bytes.len()
                    );
                }
            }
            println!();
            print!("{}", sanitize::body(&content.body));
            if !content.body.ends_with('\n') {
                println!();
            }
            if let Some(dir) = &self.save_attachments {
                for attachment in &content.attachments {
                    let path = save(dir, attachment)?;
                    eprintln!("saved {}", path.display());
                }
            }
        }
        if opened.status != Status::Verified {
            return Err(Refusal::verification(format!(
                "message {} is not verified ({})",
                entry.id,
                opened.status.name()
            )));
        }
        Ok(())
    }
}

fn print_status(opened: &Opened, contacts: &Contacts) {
    let signer = match &opened.seal {
        Seal::Signed { signer } => signer.parse().ok().and_then(|f| contacts.by_fingerprint(&f)),
        _ => None,
    };
    if opened.status == Status::Verified {
        let contact = signer.expect("a verified message has a pinned signer");
        let fingerprint = contact.fingerprint().map(|f| keys::grouped(&f)).unwrap_or_default();
        println!("Status:  verified: signed by {} <{}>, key {}", contact.alias, contact.address, fingerprint);
        return;
    }
    println!("Status:  NOT VERIFIED: {}: {}", opened.status.name(), opened.status.explain());
    match (opened.status, signer) {
        (Status::UnverifiedKey, Some(c)) => {
            println!("         to verify {}, run `sealpost contact verify {}`", c.address, c.alias)
        }
        (Status::FromMismatch, Some(c)) => println!(
            "         From says {}, but the signing key is pinned for {} <{}>",
            sanitize::line(opened.sender().unwrap_or("(nobody)")),
            c.alias,
            c.address
        ),
        _ => {}
    }
}

/// Saves an attachment under a sanitized name, never overwriting a file.
fn save(dir: &Path, attachment: &Attachment) -> Result<PathBuf> {
    home::create_private_dir(dir)?;
    let name = sanitize::file_name(&attachment.name);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
        _ => (name.clone(), String::new()),
    };
    for n in 0..1000 {
        let candidate = if n == 0 { dir.join(&name) } else { dir.join(format!("{stem} ({n}){ext}")) };
        match home::create_durable(&candidate, &attachment.bytes) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", candidate.display())),
        }
    }
    anyhow::bail!("too many files named like {name} in {}", dir.display())
}
