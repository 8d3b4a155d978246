//! Maildir: the local mailbox format, for the demo, tests and users whose
//! mail is delivered to their machine.
//!
//! Delivery follows the Maildir protocol: write into `tmp/`, fsync, rename
//! into `new/`, so a reader never sees half a message. Reading looks at
//! `new/` and `cur/` and leaves every file where it is.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Incoming, Sink, Source, Transport};
use crate::home::{self, create_private_dir};
use crate::keys;

/// One Maildir folder.
pub struct Maildir {
    path: PathBuf,
}

impl Maildir {
    /// Opens the Maildir at `path`, creating `tmp`, `new` and `cur` if needed.
    pub fn create(path: &Path) -> Result<Maildir> {
        for sub in ["tmp", "new", "cur"] {
            create_private_dir(&path.join(sub))?;
        }
        Ok(Maildir { path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a message into `new/` by way of `tmp/`.
    pub fn deliver(&self, raw: &[u8]) -> Result<PathBuf> {
        let name = format!("{}.P{}R{}.sealpost", crate::contacts::now(), std::process::id(), home::unique_suffix());
        let tmp = self.path.join("tmp").join(&name);
        home::create_durable(&tmp, raw).with_context(|| format!("writing {}", tmp.display()))?;
        let target = self.path.join("new").join(&name);
        fs::rename(&tmp, &target).with_context(|| format!("moving the message into {}", target.display()))?;
        home::sync_dir(&self.path.join("new"))?;
        Ok(target)
    }
}

impl Maildir {
    /// The files of `new/` and `cur/` with their source ids and sizes.
    fn files(&self) -> Result<Vec<(String, PathBuf, u64)>> {
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.path.join(sub);
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
            };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                // Only files are messages: a folder or a link to nothing
                // there is not mail, and must not stop every sync.
                match fs::metadata(entry.path()) {
                    Ok(meta) if meta.is_file() => found.push((source_id(&name), entry.path(), meta.len())),
                    _ => {}
                }
            }
        }
        Ok(found)
    }
}

/// The unique part of a Maildir name survives moves from new/ to cur/ and
/// flag changes after ':'.
fn source_id(name: &str) -> String {
    format!("maildir:{}", name.split(':').next().unwrap_or(name))
}

impl Source for Maildir {
    fn delete(&mut self, source_ids: &[String], _sent_outer_ids: &[String]) -> Result<u64> {
        let wanted: std::collections::HashSet<&String> = source_ids.iter().collect();
        let mut deleted = 0;
        for (id, path, _) in self.files()? {
            if wanted.contains(&id) {
                home::remove_durably(&path)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    fn fetch_new(&mut self, cursor: &mut super::imap::Cursor, sink: &mut dyn Sink) -> Result<()> {
        let mut found = Vec::new();
        for (source_id, path, size) in self.files()? {
            if sink.is_known(&source_id) {
                continue;
            }
            found.push(((source_id, path), size));
        }
        found.sort_by(|a, b| a.0 .0.cmp(&b.0 .0));
        sink.expect(found.len());
        for batch in super::batches(found) {
            let mut messages = Vec::with_capacity(batch.len());
            for (source_id, path) in batch {
                let raw = match fs::read(&path) {
                    Ok(raw) => raw,
                    // Moved from new/ to cur/ by another mail program since
                    // it was listed: the next sync finds it there.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
                };
                messages.push(Incoming { source_id, raw });
            }
            sink.take(messages, cursor)?;
        }
        Ok(())
    }
}

/// Sends by dropping into `<root>/<recipient address>/new`.
pub struct Drop {
    root: PathBuf,
}

impl Drop {
    pub fn new(root: &Path) -> Drop {
        Drop { root: root.to_path_buf() }
    }
}

impl Transport for Drop {
    fn deliver(&mut self, recipient: &str, raw: &[u8]) -> Result<()> {
        let address = keys::normalize_address(recipient);
        keys::check_address(&address)?;
        Maildir::create(&self.root.join(&address))?.deliver(raw)?;
        Ok(())
    }
}
