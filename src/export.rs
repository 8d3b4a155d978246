//! One client's whole record as a single file: to give a client their
//! record, or hand it to another clinician.
//!
//! A tar archive (encrypted with age to a passphrase or to recipients,
//! unless the user asks for it plain) holding:
//!
//! - `record.txt`: every message both ways, oldest first, as text: date,
//!   direction, status, subject and body (of a received message only when
//!   it is verified; escape sequences removed), its attachments named;
//! - `received/NNNN.eml`, `sent/NNNN.eml`: the messages exactly as they
//!   arrived and as they left (signed and encrypted, so they can be checked
//!   again later with the keys);
//! - `attachments/`: the attachments of the messages that opened;
//! - `contact.json`: the contact, its key history, consent, hold and
//!   retention; `receipts.json`: the read receipts both ways;
//! - `keys/contact.asc` (the pinned key) and `keys/clinician.asc` (the
//!   clinician's public key);
//! - `audit.jsonl`: the audit log's entries about this contact;
//! - `MANIFEST.sha256`: the SHA-256 of every file above, in `sha256sum`'s
//!   format, and `MANIFEST.sha256.asc`, a detached OpenPGP signature of it
//!   by the clinician's key.
//!
//! Checked without sealpost: `gpg --import keys/clinician.asc`, `gpg
//! --verify MANIFEST.sha256.asc MANIFEST.sha256`, `sha256sum -c
//! MANIFEST.sha256`. Exporting marks nothing as read and sends no receipt.
//!
//! The archive is written as it is made, a message at a time, with the
//! manifest and its signature last: memory holds one message with its
//! attachments and the text of `record.txt`, never the whole record, which
//! after years of sessions with scanned documents can be larger than the
//! memory of the computer exporting it. Checking reads it the same way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};

use anyhow::{anyhow, bail, Context, Result};
use sequoia_openpgp::armor;
use sequoia_openpgp::parse::stream::{DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationHelper};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::stream::{Armorer, Message, Signer};
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::{Cert, KeyHandle};
use sha2::{Digest, Sha256};

use crate::audit::{self, Filter};
use crate::contacts::{Contact, Contacts};
use crate::keys::{self, POLICY};
use crate::message::compose::sha256_hex;
use crate::message::{open_owned, open_owned_with, Content, Status};
use crate::records;
use crate::store::Store;

pub const MANIFEST: &str = "MANIFEST.sha256";
pub const SIGNATURE: &str = "MANIFEST.sha256.asc";
pub const CLINICIAN_KEY: &str = "keys/clinician.asc";

/// What checking an export reads whole, and refuses beyond: the manifest
/// (a line is about 100 bytes, so over 600,000 files), the signature and
/// the clinician's key, a file's long name. An export has at most as many
/// files as its manifest can list.
const LARGEST_MANIFEST: u64 = 64 << 20;
const LARGEST_KEY: u64 = 1 << 20;
const LONGEST_NAME: u64 = 4096;
const MOST_FILES: usize = 700_000;

/// What `write` wrote.
pub struct Exported {
    /// Whose record it is.
    pub contact: Contact,
    /// How many files the archive holds.
    pub files: usize,
    pub received: usize,
    pub sent: usize,
}

/// Writes the record of `who` (see the module's doc), signed, into `out`
/// as a tar stream, a message at a time.
pub fn write(store: &Store, who: &str, out: &mut dyn Write) -> Result<Exported> {
    let contacts = Contacts::load(store)?;
    let contact = contacts.get(who)?.clone();
    let record = records::record_of(store, &contact)?;
    let me = store.my_keys();
    let mut files = Files::new(out);
    // (time, text) of each message, sorted into record.txt.
    let mut lines: Vec<(u64, String)> = Vec::new();
    let mut receipts = Vec::new();
    let inbox = crate::inbox::Inbox::load(store)?;
    for (n, entry) in record.received.iter().enumerate() {
        let n = n + 1;
        let raw = inbox.raw(entry.id).ok();
        if let Some(raw) = &raw {
            files.add(&format!("received/{n:04}.eml"), raw)?;
        }
        if let Some(receipt) = &entry.receipt {
            receipts.push(serde_json::json!({ "direction": "received", "message": n, "receipt": receipt }));
        }
        // Judged as `read` judges it: with today's contacts, a message
        // verified on arrival staying verified with its key. Only what was
        // verified goes into the text, as only that is shown (principle 4):
        // a message claiming to be from the client in a record the
        // clinician signs would be taken as theirs. It is still there as it
        // arrived (`received/`).
        // Given to `open`, which lets go of it once it is decrypted.
        let opened = raw.map(|raw| {
            let mut opened = open_owned(raw, me, &contacts);
            opened.status = entry.judge(&opened.seal, opened.sender(), &contacts);
            opened
        });
        let status = opened.as_ref().map_or("not kept".to_string(), |o| o.status.name().to_string());
        let verified = opened.as_ref().map_or_else(|| entry.status(&contacts), |o| o.status) == Status::Verified;
        let shown = opened.as_ref().and_then(|o| o.content.as_ref().filter(|_| verified));
        let mut text = format!(
            "=== received {n:04}  {}  from {}  status {status}\n",
            time(entry.received_at as i64),
            contact.address
        );
        let subject = entry.subject.as_deref().filter(|_| verified);
        describe(&mut text, shown, &mut files, &format!("received-{n:04}"), subject)?;
        lines.push((entry.received_at, text));
    }
    for (n, sent) in record.sent.iter().enumerate() {
        let n = n + 1;
        let raw = crate::outbox::sent_copy(store, sent)?;
        if let Some(raw) = &raw {
            files.add(&format!("sent/{n:04}.eml"), raw)?;
        }
        if let Some(read) = &sent.read {
            receipts.push(serde_json::json!({ "direction": "sent", "message": n, "read": read }));
        }
        let opened = raw.map(|raw| open_owned_with(raw, me, &contacts, keys::public(me)));
        let shown = opened.as_ref().and_then(|o| o.content.as_ref().filter(|_| o.seal.signed_by_one_of(me)));
        let state = match (&sent.read, &sent.receipt_for) {
            (_, Some(original)) => format!("read receipt for {original}"),
            (Some(read), None) => format!("read {}", time(read.read_at)),
            (None, None) => "sent".to_string(),
        };
        let mut text = format!("=== sent {n:04}  {}  to {}  {state}\n", time(sent.sent_at as i64), contact.address);
        describe(&mut text, shown, &mut files, &format!("sent-{n:04}"), Some(&sent.subject))?;
        lines.push((sent.sent_at, text));
    }
    lines.sort_by_key(|(at, _)| *at);
    let mut record_txt = format!(
        "The record of {} <{}>, exported {} by {}.\n{} received and {} sent message(s), oldest first.\n\n",
        contact.alias,
        contact.address,
        time(crate::contacts::now() as i64),
        store.secret_cert().fingerprint().to_hex(),
        record.received.len(),
        record.sent.len()
    );
    for (_, text) in lines {
        record_txt.push_str(&text);
        record_txt.push('\n');
    }
    files.add("record.txt", record_txt.as_bytes())?;
    drop(record_txt);
    files.add("receipts.json", &serde_json::to_vec_pretty(&receipts)?)?;
    files.add(
        "contact.json",
        &serde_json::to_vec_pretty(&serde_json::json!({
            "alias": contact.alias,
            "address": contact.address,
            "state": contact.state.to_string(),
            "fingerprint": contact.fingerprint,
            "added_at": contact.added_at,
            "verified_at": contact.verified_at,
            "key_history": contact.key_history(),
            "consent": contact.consent,
            "hold": contact.hold,
            "retention": contact.retention,
        }))?,
    )?;
    files.add("keys/contact.asc", &contact.cert.clone().into_bytes())?;
    files.add(CLINICIAN_KEY, &store.secret_cert().armored().to_vec()?)?;
    let mut audit_lines = Vec::new();
    audit::each(store, &Filter { contact: Some(&contact.address), since: None }, |entry| {
        serde_json::to_writer(&mut audit_lines, &entry)?;
        audit_lines.push(b'\n');
        Ok(())
    })?;
    files.add("audit.jsonl", &audit_lines)?;
    files.add("README.txt", README.as_bytes())?;
    let manifest = files.manifest();
    let signature = sign(store.secret_cert(), manifest.as_bytes())?;
    let count = files.finish(&manifest, &signature)?;
    Ok(Exported { contact, files: count, received: record.received.len(), sent: record.sent.len() })
}

/// A tar stream being written, with the SHA-256 of each file in it.
struct Files<'w> {
    tar: tar::Builder<&'w mut dyn Write>,
    /// The digest of each file written, by its path.
    digests: BTreeMap<String, String>,
    /// The time every file is dated.
    now: u64,
}

impl<'w> Files<'w> {
    fn new(out: &'w mut dyn Write) -> Files<'w> {
        Files { tar: tar::Builder::new(out), digests: BTreeMap::new(), now: crate::contacts::now() }
    }

    /// Writes a file, listed in the manifest.
    fn add(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        self.append(path, bytes)?;
        self.digests.insert(path.to_string(), sha256_hex(bytes));
        Ok(())
    }

    fn append(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(self.now);
        self.tar.append_data(&mut header, path, bytes).with_context(|| format!("writing {path}"))
    }

    fn contains(&self, path: &str) -> bool {
        self.digests.contains_key(path)
    }

    /// `sha256sum`'s lines for the files written, sorted by path.
    fn manifest(&self) -> String {
        self.digests.iter().map(|(path, digest)| format!("{digest}  {path}\n")).collect()
    }

    /// Writes the manifest and its signature, and ends the archive; says
    /// how many files it holds.
    fn finish(mut self, manifest: &str, signature: &[u8]) -> Result<usize> {
        self.append(MANIFEST, manifest.as_bytes())?;
        self.append(SIGNATURE, signature)?;
        self.tar.finish().context("ending the archive")?;
        Ok(self.digests.len() + 2)
    }
}

const README: &str = "\
This is one client's record, exported by sealpost.

record.txt          every message both ways as text, oldest first
received/, sent/    the messages exactly as they arrived and left (signed, encrypted)
attachments/        the attachments of those messages
contact.json        the contact, key history, consent, hold, retention
receipts.json       read receipts both ways
keys/               the client's pinned key and the clinician's public key
audit.jsonl         the audit log's entries about this client

To check that nothing was changed since it was exported (needs only gpg and
sha256sum), in the folder this archive was unpacked into:

    gpg --import keys/clinician.asc
    gpg --verify MANIFEST.sha256.asc MANIFEST.sha256
    sha256sum -c MANIFEST.sha256

and compare the fingerprint gpg prints with the clinician's, read out by them.
";

/// Adds a message's content (or why there is none) to its text, and its
/// attachments to the files.
fn describe(
    text: &mut String,
    content: Option<&Content>,
    files: &mut Files<'_>,
    prefix: &str,
    subject: Option<&str>,
) -> Result<()> {
    let Some(content) = content else {
        // The subject of a message that is not verified is not shown either.
        if let Some(subject) = subject {
            text.push_str(&format!("Subject: {}\n", crate::sanitize::line(subject)));
        }
        text.push_str("(the content is not shown: it did not open as verified)\n");
        return Ok(());
    };
    text.push_str(&format!("Subject: {}\n", crate::sanitize::line(content.subject.as_deref().unwrap_or(""))));
    if let Some(date) = content.date {
        text.push_str(&format!("Date:    {}\n", time(date)));
    }
    if let Some(id) = &content.message_id {
        text.push_str(&format!("Message-ID: {}\n", crate::sanitize::line(id)));
    }
    text.push('\n');
    // Untrusted text, also in a file: `cat record.txt` must not run escapes
    // (principle 5). The message as it was is in `received/` or `sent/`.
    let body = crate::sanitize::body(&content.body);
    text.push_str(&body);
    if !body.ends_with('\n') {
        text.push('\n');
    }
    for attachment in &content.attachments {
        let name =
            unused_name(files, &format!("attachments/{prefix}-{}", crate::sanitize::file_name(&attachment.name)));
        text.push_str(&format!("[attachment: {name}, {} bytes]\n", attachment.bytes.len()));
        files.add(&name, &attachment.bytes)?;
    }
    Ok(())
}

/// `name`, or when the record has a file of that name already (two
/// attachments of one message named alike), `name (1)`, `name (2)`...
/// before its extension, as `read --save-attachments` names them.
fn unused_name(files: &Files<'_>, name: &str) -> String {
    let (stem, extension) = match name.rfind('.').filter(|&dot| dot > name.rfind('/').map_or(0, |slash| slash + 1)) {
        Some(dot) => name.split_at(dot),
        None => (name, ""),
    };
    std::iter::once(name.to_string())
        .chain((1..).map(|n| format!("{stem} ({n}){extension}")))
        .find(|candidate| !files.contains(candidate))
        .expect("an unused name")
}

/// A detached, armored OpenPGP signature of `data` by `signer`.
fn sign(signer: &Cert, data: &[u8]) -> Result<Vec<u8>> {
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let message = Armorer::new(message).kind(armor::Kind::Signature).build()?;
        let mut signing = Signer::new(message, keys::signing_key(signer)?)?.detached().build()?;
        signing.write_all(data)?;
        signing.finalize()?;
    }
    Ok(sink)
}

/// What checking an export found.
pub struct Checked {
    pub files: usize,
    /// The fingerprint of the key that signed the manifest.
    pub signer: String,
}

/// Reads an export (the tar, decrypted already) and checks it: the
/// manifest lists every file once and nothing else, each file has its
/// digest, and the manifest's signature is good by the clinician key it
/// carries. Files are hashed as they are read, one at a time; only the
/// manifest, its signature and the clinician's key are kept. The archive
/// may come from anyone: it holds only what `write` writes (files, and
/// long names of its own kind, each bounded), or it is refused.
pub fn check(tar: impl Read) -> Result<Checked> {
    use tar::EntryType;
    let mut digests: HashMap<String, String> = HashMap::new();
    let mut kept: HashMap<String, Vec<u8>> = HashMap::new();
    let mut archive = tar::Archive::new(tar);
    let entries = archive.entries().context("it is not an export (not a tar archive)")?;
    let mut long_name: Option<String> = None;
    // Read as stored: the tar reader would take a long name or extended
    // header of any size whole before handing over the entry.
    for entry in entries.raw(true) {
        let mut entry = entry.context("it is not an export (a damaged tar archive)")?;
        let kind = entry.header().entry_type();
        if kind == EntryType::GNULongName {
            let name = read_whole(&mut entry, LONGEST_NAME, "a file's name")?;
            long_name = Some(String::from_utf8_lossy(&name).trim_end_matches('\0').to_string());
            continue;
        }
        if kind != EntryType::Regular {
            bail!("it holds an entry an export never has (of type {kind:?})");
        }
        let path = match long_name.take() {
            Some(name) => name,
            None => entry.path().context("a damaged tar archive")?.to_string_lossy().into_owned(),
        };
        if digests.len() >= MOST_FILES {
            bail!("it holds more files than an export's manifest can list");
        }
        let largest = match path.as_str() {
            MANIFEST => Some(LARGEST_MANIFEST),
            SIGNATURE | CLINICIAN_KEY => Some(LARGEST_KEY),
            _ => None,
        };
        let digest = match largest {
            Some(largest) => {
                let bytes = read_whole(&mut entry, largest, &path)?;
                let digest = sha256_hex(&bytes);
                kept.insert(path.clone(), bytes);
                digest
            }
            None => {
                let mut hasher = Digesting::new(std::io::sink());
                std::io::copy(&mut entry, &mut hasher).with_context(|| format!("{path} is damaged"))?;
                hasher.finish().0
            }
        };
        if digests.insert(path.clone(), digest).is_some() {
            bail!("{path} is in the archive twice");
        }
    }
    let manifest = kept.remove(MANIFEST).context("it has no MANIFEST.sha256")?;
    let signature = kept.remove(SIGNATURE).context("it has no MANIFEST.sha256.asc")?;
    digests.remove(MANIFEST);
    digests.remove(SIGNATURE);
    let listed = std::str::from_utf8(&manifest).context("MANIFEST.sha256 is not text")?;
    let mut seen = HashSet::new();
    for line in listed.lines() {
        let (digest, path) =
            line.split_once("  ").with_context(|| format!("a line of the manifest is not a digest: {line:?}"))?;
        if !seen.insert(path) {
            bail!("{path} is listed twice in the manifest");
        }
        let found = digests.get(path).with_context(|| format!("{path} is listed but missing"))?;
        if found != digest {
            bail!("{path} does not match its digest in the manifest: it was changed");
        }
    }
    if seen.len() != digests.len() {
        let mut extra: Vec<&String> = digests.keys().filter(|p| !seen.contains(p.as_str())).collect();
        extra.sort();
        bail!("files not in the manifest: {extra:?}");
    }
    let clinician = Cert::from_bytes(kept.get(CLINICIAN_KEY).context("it has no keys/clinician.asc")?)
        .context("keys/clinician.asc is not a key")?;
    let helper = Helper { cert: clinician.clone(), good: false };
    let mut verifier = DetachedVerifierBuilder::from_bytes(&signature)?
        .with_policy(&POLICY, None, helper)
        .map_err(|e| anyhow!("MANIFEST.sha256.asc is not a signature: {e}"))?;
    verifier.verify_bytes(&manifest).map_err(|e| anyhow!("the manifest's signature is not good: {e}"))?;
    if !verifier.into_helper().good {
        bail!("the manifest's signature is not good");
    }
    // Read to its end: an encrypted export's last piece is checked there.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink()).context("the end of the archive is damaged")?;
    Ok(Checked { files: seen.len(), signer: clinician.fingerprint().to_hex() })
}

/// An entry's bytes, when it has at most `largest`.
fn read_whole(entry: &mut impl Read, largest: u64, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    entry.take(largest + 1).read_to_end(&mut bytes).with_context(|| format!("{what} is damaged"))?;
    if bytes.len() as u64 > largest {
        bail!("{what} is larger than any export writes");
    }
    Ok(bytes)
}

/// A writer passing bytes on to another and hashing them (SHA-256).
pub struct Digesting<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Digesting<W> {
    pub fn new(inner: W) -> Digesting<W> {
        Digesting { inner, hasher: Sha256::new() }
    }

    /// The SHA-256 of what was written, in hex, and the writer.
    pub fn finish(self) -> (String, W) {
        (data_encoding::HEXLOWER.encode(&self.hasher.finalize()), self.inner)
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct Helper {
    cert: Cert,
    good: bool,
}

impl VerificationHelper for Helper {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> sequoia_openpgp::Result<Vec<Cert>> {
        Ok(vec![self.cert.clone()])
    }

    fn check(&mut self, structure: MessageStructure) -> sequoia_openpgp::Result<()> {
        for layer in structure {
            if let MessageLayer::SignatureGroup { results } = layer {
                if results.iter().any(|r| r.is_ok()) {
                    self.good = true;
                    return Ok(());
                }
            }
        }
        Err(anyhow!("no good signature by the clinician's key"))
    }
}

fn time(unix: i64) -> String {
    mail_parser::DateTime::from_timestamp(unix).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sequoia_openpgp::cert::CertBuilder;

    /// A signed archive as `write` makes one, with these files.
    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let (cert, _) = CertBuilder::general_purpose(Some("ada@practice.example")).generate().unwrap();
        let mut out = Vec::new();
        let mut written = Files::new(&mut out);
        for (path, bytes) in files {
            written.add(path, bytes).unwrap();
        }
        written.add(CLINICIAN_KEY, &cert.armored().to_vec().unwrap()).unwrap();
        let manifest = written.manifest();
        written.finish(&manifest, &sign(&cert, manifest.as_bytes()).unwrap()).unwrap();
        out
    }

    /// A tar with one entry of `kind` at `path` holding `bytes`.
    fn entry(kind: tar::EntryType, path: &str, bytes: &[u8]) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_path(path).unwrap();
        header.set_size(bytes.len() as u64);
        header.set_cksum();
        let mut out = header.as_bytes().to_vec();
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    fn refused(tar: &[u8]) -> String {
        format!("{:#}", check(tar).err().expect("refused"))
    }

    #[test]
    fn an_export_with_a_long_file_name_checks_and_one_byte_changed_does_not() {
        let long = format!("attachments/received-0001-{}.pdf", "a worksheet with a long name ".repeat(8));
        let tar = archive(&[("record.txt", b"The record.\n"), (&long, b"%PDF")]);
        assert_eq!(check(&tar[..]).unwrap().files, 3);
        let mut changed = tar.clone();
        let at = changed.windows(4).position(|w| w == b"%PDF").unwrap();
        changed[at] = b'#';
        assert!(refused(&changed).contains("does not match its digest"), "{}", refused(&changed));
    }

    #[test]
    fn an_archive_with_what_an_export_never_holds_is_refused_without_reading_it_whole() {
        let whole = archive(&[("record.txt", b"The record.\n")]);
        // A long name of 8 MiB, a link, a sparse file, each before the rest.
        let hostile = [
            (entry(tar::EntryType::GNULongName, "././@LongLink", &vec![b'a'; 8 << 20]), "name is larger"),
            (entry(tar::EntryType::Symlink, "record.txt", b""), "never has"),
            (entry(tar::EntryType::GNUSparse, "record.txt", b""), "never has"),
            (entry(tar::EntryType::XHeader, "pax", b"30 path=record.txt\n"), "never has"),
        ];
        for (first, said) in hostile {
            let tar = [first, whole.clone()].concat();
            assert!(refused(&tar).contains(said), "{}", refused(&tar));
        }
    }

    #[test]
    fn a_manifest_listing_a_file_twice_is_refused() {
        let tar = archive(&[("record.txt", b"The record.\n"), ("audit.jsonl", b"{}\n")]);
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in tar::Archive::new(&tar[..]).entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files.push((path, bytes));
        }
        let mut again = Vec::new();
        let mut builder = tar::Builder::new(&mut again);
        for (path, bytes) in &files {
            let bytes = match path.as_str() {
                // The first line twice, the second left out.
                MANIFEST => {
                    let first = String::from_utf8_lossy(bytes).lines().next().unwrap().to_string();
                    format!("{first}\n{first}\n").into_bytes()
                }
                _ => bytes.clone(),
            };
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            builder.append_data(&mut header, path, &bytes[..]).unwrap();
        }
        builder.finish().unwrap();
        drop(builder);
        assert!(refused(&again).contains("listed twice"), "{}", refused(&again));
    }
}
