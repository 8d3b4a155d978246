//! The audit log: who did what with the practice's records, and when.
//!
//! One entry per unlock (and failed unlock), send, refused send, read,
//! receipt, key or pin event, invite and join step, consent, retention
//! change, hold, export, disposal, backup and restore. An entry holds the
//! time, the action, the contact, Message-IDs and SHA-256 digests: never a
//! message's content.
//!
//! Append-only and hash-chained: each entry names the hash of the one
//! before it (`prev`) and is hashed itself (SHA-256 of the entry as
//! written), so a deleted, reordered or edited entry breaks the chain at
//! that place, which `audit --verify` names. It lives in the store's
//! database (encrypted with the store key), and an entry is written inside
//! the same transaction as the action it records: the action is never done
//! without its entry, nor the entry without the action.
//!
//! The contact is named by a tag (see `Database::contact_tag`) keyed with
//! the contact's data key, not by address: once `forget` destroys that key,
//! the entries stay (the chain is whole) but nothing links them to the
//! person any more.
//!
//! Commands that only read (and a failed unlock, which cannot open the
//! database) note their unlock in `audit-pending` beside the database:
//! one line per unlock with its time and kind, nothing else. The next
//! command that writes moves those lines into the log: it sets the file
//! aside (`audit-pending.taking`) holding the file's lock, records what it
//! holds, then removes it. A note is appended holding the same lock (see
//! `append_pending`), so one written while the notes are taken is never
//! removed with them, and a reader waits at most for a rename.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::home::Home;
use crate::store::Store;

/// The file of unlocks noted while the log could not be written.
const PENDING: &str = "audit-pending";
/// `PENDING` set aside by the command recording it.
const TAKING: &str = "audit-pending.taking";

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Unlock,
    UnlockToRead,
    UnlockFailed,
    /// A message written by the user entered the outbox.
    Send,
    /// A send refused (exit 3): an unverified recipient, no consent.
    SendRefused,
    /// A message withdrawn from the outbox (`outbox --cancel`).
    SendCancelled,
    /// The server accepted a message (any kind).
    Sent,
    Read,
    ReceiptSent,
    ReceiptAccepted,
    ReceiptRejected,
    /// A message arrived (with its status).
    Received,
    ContactAdded,
    ContactVerified,
    ContactRemoved,
    KeySighted,
    KeyRevoked,
    KeyAnnounced,
    Invite,
    JoinStep,
    Consent,
    Retention,
    Hold,
    Release,
    Export,
    Forget,
    Backup,
    Restore,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Unlock => "unlock",
            Action::UnlockToRead => "unlock-to-read",
            Action::UnlockFailed => "unlock-failed",
            Action::Send => "send",
            Action::SendRefused => "send-refused",
            Action::SendCancelled => "send-cancelled",
            Action::Sent => "sent",
            Action::Read => "read",
            Action::ReceiptSent => "receipt-sent",
            Action::ReceiptAccepted => "receipt-accepted",
            Action::ReceiptRejected => "receipt-rejected",
            Action::Received => "received",
            Action::ContactAdded => "contact-added",
            Action::ContactVerified => "contact-verified",
            Action::ContactRemoved => "contact-removed",
            Action::KeySighted => "key-sighted",
            Action::KeyRevoked => "key-revoked",
            Action::KeyAnnounced => "key-announced",
            Action::Invite => "invite",
            Action::JoinStep => "join-step",
            Action::Consent => "consent",
            Action::Retention => "retention",
            Action::Hold => "hold",
            Action::Release => "release",
            Action::Export => "export",
            Action::Forget => "forget",
            Action::Backup => "backup",
            Action::Restore => "restore",
        }
    }
}

/// An entry to write: the action and what it concerns.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub action: Action,
    /// The contact's address.
    pub contact: Option<&'a str>,
    pub message_id: Option<&'a str>,
    /// A SHA-256 (hex): of the content, a file, a key.
    pub sha256: Option<&'a str>,
    /// A short note without content: a status, a fingerprint, a reason.
    pub detail: Option<String>,
}

impl<'a> Event<'a> {
    pub fn new(action: Action) -> Event<'a> {
        Event { action, contact: None, message_id: None, sha256: None, detail: None }
    }

    pub fn contact(self, contact: &'a str) -> Self {
        Event { contact: Some(contact), ..self }
    }

    pub fn message(self, message_id: &'a str) -> Self {
        Event { message_id: Some(message_id), ..self }
    }

    pub fn sha256(self, sha256: Option<&'a str>) -> Self {
        Event { sha256, ..self }
    }

    pub fn detail(self, detail: impl Into<String>) -> Self {
        Event { detail: Some(detail.into()), ..self }
    }

    /// `detail` without the contacts' `aliases` as words in it (see
    /// `without_names`).
    pub fn detail_naming(self, detail: &str, aliases: &[&str]) -> Self {
        self.detail(without_names(detail, aliases))
    }
}

/// `text` with every word holding an `@` (an address) written as "(an
/// address)", every key fingerprint or key ID (16 hex digits or more, also
/// in groups of four) as "(a key)", and every word that is one of
/// `aliases` (also with 's) as "(a contact)". A detail never names a
/// person: the entry names its contact by a tag, which `forget` makes
/// meaningless, and a name in the text would outlive it (the hash chain
/// keeps every entry as it was written; a fingerprint finds its owner on
/// a keyserver).
pub fn without_names(text: &str, aliases: &[&str]) -> String {
    // The characters of an address's local part (RFC 5322 atext), dots,
    // and what paths and names are made of.
    let in_word = |c: char| c.is_alphanumeric() || "@._+-'%!#$&*/=?^`{|}~".contains(c);
    let is_hex = |w: &str| w.chars().all(|c| c.is_ascii_hexdigit());
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(in_word) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !in_word(c)).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        // A word ends a sentence or a clause with these; they are not part of it.
        let core = word.trim_end_matches(['.', '-', '\'', '?', '!', ',']);
        let bare = core.strip_suffix("'s").unwrap_or(core);
        let named = |w: &&str| aliases.iter().any(|alias| !alias.is_empty() && w.eq_ignore_ascii_case(alias));
        // A fingerprint as `group_hex` writes it: groups of four, one space apart.
        if core.len() == 4 && core == word && is_hex(core) {
            let (mut ahead, mut grouped) = (after, 0);
            while let Some(group) = ahead.strip_prefix(' ').and_then(|a| a.get(..4)) {
                let next = &ahead[5..];
                if !is_hex(group) || next.starts_with(in_word) {
                    break;
                }
                grouped += 1;
                ahead = next;
            }
            if grouped >= 3 {
                out.push_str("(a key)");
                rest = ahead;
                continue;
            }
        }
        // What stands for the word, and how much of the word it replaces
        // (what follows is kept: punctuation, a possessive).
        let (shown, replaced) = if core.contains('@') {
            ("(an address)", core)
        } else if core.len() >= 16 && is_hex(core) {
            ("(a key)", core)
        } else if let Some(alias) = [word, core, bare].into_iter().find(named) {
            ("(a contact)", alias)
        } else {
            (core, core)
        };
        out.push_str(shown);
        out.push_str(&word[replaced.len()..]);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// An entry as written: the hash is SHA-256 of exactly this, serialized.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    /// Unix time, seconds.
    pub at: i64,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The hash of the entry before (hex); zeros for the first.
    pub prev: String,
}

/// Writes `event` into the log, inside the transaction the caller is in
/// (or one of its own).
pub fn record(store: &Store, event: Event<'_>) -> Result<()> {
    record_at(store, event, now())
}

fn record_at(store: &Store, event: Event<'_>, at: i64) -> Result<()> {
    store.transaction(|| {
        let db = store.db();
        let contact = event.contact.map(|c| db.contact_tag(&crate::keys::normalize_address(c))).transpose()?;
        let (seq, prev) = match db.audit_head()? {
            Some((seq, hash)) => (seq + 1, hex(&hash)),
            None => (1, hex(&[0u8; 32])),
        };
        let entry = Entry {
            seq,
            at,
            action: event.action.name().to_string(),
            contact,
            message_id: event.message_id.map(str::to_string),
            sha256: event.sha256.map(str::to_string),
            detail: event.detail.map(|d| without_names(&crate::sanitize::line(&d), &[])),
            prev,
        };
        let text = serde_json::to_string(&entry)?;
        db.audit_insert(seq, at, entry.contact.as_deref(), &text, &Sha256::digest(text.as_bytes()))
    })
}

/// Notes an unlock that could not be written into the log (a command that
/// only reads, a wrong passphrase) for the next command that writes. Best
/// effort: a failure to note it is a warning.
pub fn note_pending(home: &Home, action: Action) {
    let line = serde_json::json!({ "at": now(), "action": action.name() }).to_string();
    let path = pending_path(&home.data_dir);
    if let Err(e) = append_pending(&path, &line) {
        crate::error::warn(&format!("noting the unlock for the audit log in {}: {e}", path.display()));
    }
}

/// Appends `line` to the notes at `path`, holding the file's lock.
/// `take_pending` sets the file aside while it holds the lock: a note
/// appended to the file set aside would never be recorded, so a note
/// whose file is no longer the one at `path` once the lock is got opens
/// `path` again.
fn append_pending(path: &Path, line: &str) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // Each pass follows a command that set the notes aside; a few in a
    // row are already unlikely.
    for _ in 0..100 {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        file.lock()?;
        let held = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) if (now.dev(), now.ino()) == (held.dev(), held.ino()) => {
                // Unlocked when the file is closed.
                return file.write_all(format!("{line}\n").as_bytes());
            }
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("the file was replaced every time it was opened"))
}

fn pending_path(data_dir: &Path) -> PathBuf {
    data_dir.join(PENDING)
}

/// Moves the unlocks noted by `note_pending` into the log (in one
/// transaction), then removes the note. Notes set aside by a command that
/// was stopped before it recorded them go first.
pub fn take_pending(store: &Store) -> Result<()> {
    let data_dir = &store.home().data_dir;
    let taking = data_dir.join(TAKING);
    // Twice: what an earlier command left set aside, then what is noted.
    for _ in 0..2 {
        if !taking.exists() && !set_aside(&pending_path(data_dir), &taking)? {
            break;
        }
        record_pending(store, &taking)?;
        crate::home::remove_durably(&taking)?;
    }
    Ok(())
}

/// Renames the notes at `path` to `taking`, holding the file's lock, so
/// no note is appended to them from then on (`append_pending`): whether
/// there were any.
fn set_aside(path: &Path, taking: &Path) -> Result<bool> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    file.lock().with_context(|| format!("locking {}", path.display()))?;
    std::fs::rename(path, taking).with_context(|| format!("setting aside {}", path.display()))?;
    Ok(true)
}

/// Writes the unlocks noted in the file at `path` into the log, in one
/// transaction.
fn record_pending(store: &Store, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    #[derive(Deserialize)]
    struct Noted {
        at: i64,
        action: String,
    }
    store.transaction(|| {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (at, action) = match serde_json::from_str::<Noted>(line) {
                Ok(noted) => (noted.at, noted.action),
                Err(_) => (now(), "unreadable".to_string()),
            };
            let (action, detail) = match action.as_str() {
                "unlock-to-read" => (Action::UnlockToRead, None),
                "unlock-failed" => (Action::UnlockFailed, None),
                other => (Action::UnlockFailed, Some(format!("noted as {other:?}"))),
            };
            let mut event = Event::new(action);
            event.detail = detail;
            record_at(store, event, at)?;
        }
        Ok(())
    })
}

/// Which entries to list.
#[derive(Default)]
pub struct Filter<'a> {
    /// The contact's address.
    pub contact: Option<&'a str>,
    /// Unix time, seconds.
    pub since: Option<i64>,
}

/// The entries `filter` asks for, in order. An unknown contact has none.
pub fn entries(store: &Store, filter: &Filter<'_>) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    each(store, filter, |entry| {
        out.push(entry);
        Ok(())
    })?;
    Ok(out)
}

/// `entries`, handed to `f` one at a time.
pub fn each(store: &Store, filter: &Filter<'_>, mut f: impl FnMut(Entry) -> Result<()>) -> Result<()> {
    let db = store.db();
    let tag = match filter.contact {
        Some(address) => match db.existing_contact_tag(&crate::keys::normalize_address(address))? {
            Some(tag) => Some(tag),
            None => return Ok(()),
        },
        None => None,
    };
    db.audit_each(tag.as_deref(), filter.since, |seq, _, _, text, _| {
        f(serde_json::from_str(&text).with_context(|| format!("audit entry {seq} cannot be read"))?)
    })
}

/// The contact tag of `address`, if it has one.
pub fn tag_of(store: &Store, address: &str) -> Result<Option<String>> {
    store.db().existing_contact_tag(&crate::keys::normalize_address(address))
}

/// What checking the chain found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// Every entry is in place: how many.
    Whole(u64),
    /// The first entry that is not what the chain says, and why.
    Broken { seq: u64, reason: String },
}

/// Recomputes the chain from the first entry: every entry must be the one
/// after the one before (numbered on from 1), name that one's hash, hash
/// to what is stored, and agree with the columns it is looked up by.
pub fn verify(store: &Store) -> Result<Verified> {
    let db = store.db();
    let mut expected_seq = 1u64;
    let mut prev = [0u8; 32].to_vec();
    let mut broken = None;
    db.audit_each(None, None, |seq, at, contact, text, hash| {
        if broken.is_some() {
            return Ok(());
        }
        let fail = |reason: String| Some((seq, reason));
        broken = if seq > expected_seq {
            Some((expected_seq, format!("it is missing (the next stored entry is number {seq})")))
        } else if seq < expected_seq {
            fail("it is out of place".to_string())
        } else if Sha256::digest(text.as_bytes()).as_slice() != hash.as_slice() {
            fail("its content does not match its hash: it was changed".to_string())
        } else {
            match serde_json::from_str::<Entry>(&text) {
                Err(_) => fail("it cannot be read".to_string()),
                Ok(entry) if entry.prev != hex(&prev) => {
                    fail("it does not follow the entry before it: an entry was removed, added or reordered".into())
                }
                Ok(entry) if entry.seq != seq || entry.at != at || entry.contact != contact => {
                    fail("its number, time or contact differ from where it is stored".to_string())
                }
                Ok(_) => None,
            }
        };
        expected_seq = seq + 1;
        prev = hash;
        Ok(())
    })?;
    Ok(match broken {
        Some((seq, reason)) => Verified::Broken { seq, reason },
        None => Verified::Whole(expected_seq - 1),
    })
}

/// Refuses, naming the place, unless the chain is whole.
pub fn ensure_whole(store: &Store) -> Result<u64> {
    match verify(store)? {
        Verified::Whole(count) => Ok(count),
        Verified::Broken { seq, reason } => bail!("the audit log is broken at entry {seq}: {reason}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn now() -> i64 {
    crate::contacts::now() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_names_no_address_and_no_alias_it_is_given() {
        assert_eq!(
            without_names("join of sam@client.example completed: sam is verified.", &["sam"]),
            "join of (an address) completed: (a contact) is verified."
        );
        assert_eq!(
            without_names("refusing to send to <Sam.Lee@x.example>: did you mean sam (contact SAM)?", &["sam"]),
            "refusing to send to <(an address)>: did you mean (a contact) (contact (a contact))?"
        );
        // Fingerprints and key IDs, also in groups; possessives; aliases
        // ending in a dot; local parts with any character an address allows.
        assert_eq!(
            without_names("pinned key 0530C354CB855A6E493AB2350A01181DBD6BB5AA, id 0A01181DBD6BB5AA", &[]),
            "pinned key (a key), id (a key)"
        );
        assert_eq!(
            without_names("their key 0530 C354 CB85 5A6E 493A B235 0A01 1818 DBD6 BB5A was revoked", &[]),
            "their key (a key) was revoked"
        );
        assert_eq!(without_names("sam's key; dr.j. wrote", &["sam", "dr.j."]), "(a contact)'s key; (a contact) wrote");
        assert_eq!(without_names("to quill!on=x&y?z@client.example.", &[]), "to (an address).");
        assert_eq!(without_names("did you mean sam?", &["sam"]), "did you mean (a contact)?");
        // Only whole words: an alias inside another word stays.
        assert_eq!(without_names("samples sent, 3 attachment(s)", &["sam", ""]), "samples sent, 3 attachment(s)");
        assert_eq!(without_names("", &["sam"]), "");
    }

    fn store(dir: &Path) -> Store {
        let home = Home::at(dir);
        let cert = crate::keys::generate("Ada", "ada@practice.example").unwrap();
        Store::create(&home, &"pass".to_string().into(), &cert, Some(10)).unwrap()
    }

    fn fill(store: &Store) {
        record(store, Event::new(Action::Unlock)).unwrap();
        record(store, Event::new(Action::Send).contact("sam@client.example").message("<1@x>").sha256(Some("ab")))
            .unwrap();
        record(store, Event::new(Action::Read).contact("kim@client.example").message("<2@x>")).unwrap();
        record(store, Event::new(Action::Sent).contact("sam@client.example").message("<1@x>")).unwrap();
    }

    fn sql(store: &Store, statement: &str) {
        store.db().execute_for_tests(statement);
    }

    #[test]
    fn the_chain_is_whole_and_lists_by_contact() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        fill(&store);
        assert_eq!(verify(&store).unwrap(), Verified::Whole(4));
        let sam = entries(&store, &Filter { contact: Some("Sam@Client.example"), since: None }).unwrap();
        assert_eq!(sam.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["send", "sent"]);
        assert!(entries(&store, &Filter { contact: Some("nobody@x"), since: None }).unwrap().is_empty());
    }

    #[test]
    fn a_deleted_reordered_or_edited_entry_is_found() {
        for (change, at) in [
            ("DELETE FROM audit WHERE seq = 2", 2),
            ("UPDATE audit SET seq = 10 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 10", 2),
            ("UPDATE audit SET entry = replace(entry, '\"read\"', '\"send\"') WHERE seq = 3", 3),
            ("UPDATE audit SET entry = replace(entry, '\"read\"', '\"send\"'), hash = x'00' WHERE seq = 3", 3),
            ("UPDATE audit SET at = at + 1 WHERE seq = 4", 4),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let store = store(dir.path());
            fill(&store);
            sql(&store, change);
            match verify(&store).unwrap() {
                Verified::Broken { seq, .. } => assert_eq!(seq, at, "{change}"),
                whole => panic!("{change}: {whole:?}"),
            }
        }
    }

    #[test]
    fn an_edited_entry_with_its_hash_made_anew_breaks_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        fill(&store);
        let text: String = store.db().audit_entry_for_tests(3);
        let edited = text.replace("\"read\"", "\"send\"");
        let hash = Sha256::digest(edited.as_bytes()).to_vec();
        store.db().audit_replace_for_tests(3, &edited, &hash);
        match verify(&store).unwrap() {
            Verified::Broken { seq, reason } => assert_eq!(seq, 4, "{reason}"),
            whole => panic!("{whole:?}"),
        }
    }

    #[test]
    fn pending_unlocks_are_moved_into_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        note_pending(store.home(), Action::UnlockFailed);
        note_pending(store.home(), Action::UnlockToRead);
        take_pending(&store).unwrap();
        let all = entries(&store, &Filter::default()).unwrap();
        assert_eq!(all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["unlock-failed", "unlock-to-read"]);
        assert!(!pending_path(&store.home().data_dir).exists());
        assert!(!store.home().data_dir.join(TAKING).exists());
        assert_eq!(verify(&store).unwrap(), Verified::Whole(2));
    }

    #[test]
    fn unlocks_a_stopped_command_set_aside_are_recorded_before_those_noted_since() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let data_dir = &store.home().data_dir;
        note_pending(store.home(), Action::UnlockFailed);
        // Set aside, then stopped before it recorded them.
        assert!(set_aside(&pending_path(data_dir), &data_dir.join(TAKING)).unwrap());
        note_pending(store.home(), Action::UnlockToRead);
        take_pending(&store).unwrap();
        let all = entries(&store, &Filter::default()).unwrap();
        assert_eq!(all.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["unlock-failed", "unlock-to-read"]);
        assert!(!pending_path(data_dir).exists() && !data_dir.join(TAKING).exists());
    }

    #[test]
    fn an_unlock_noted_while_the_notes_are_set_aside_starts_new_notes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PENDING);
        let taking = dir.path().join(TAKING);
        append_pending(&path, "first").unwrap();
        // What `set_aside` does, with a note on its way in between.
        let held = std::fs::File::open(&path).unwrap();
        held.lock().unwrap();
        let late = std::thread::spawn({
            let path = path.clone();
            move || append_pending(&path, "late")
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(!late.is_finished(), "a note waits for the lock");
        std::fs::rename(&path, &taking).unwrap();
        drop(held);
        late.join().unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(&taking).unwrap(), "first\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "late\n");
    }
}
