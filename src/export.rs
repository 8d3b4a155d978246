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

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use sequoia_openpgp::armor;
use sequoia_openpgp::parse::stream::{DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationHelper};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::stream::{Armorer, Message, Signer};
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::{Cert, KeyHandle};

use crate::audit::{self, Filter};
use crate::contacts::{Contact, Contacts};
use crate::keys::{self, POLICY};
use crate::message::compose::sha256_hex;
use crate::message::{open, open_with, Content, Status};
use crate::records;
use crate::store::Store;

pub const MANIFEST: &str = "MANIFEST.sha256";
pub const SIGNATURE: &str = "MANIFEST.sha256.asc";
pub const CLINICIAN_KEY: &str = "keys/clinician.asc";

/// The files of one contact's record, by path in the archive, in order.
pub struct Archive {
    /// Whose record it is.
    pub contact: Contact,
    pub files: BTreeMap<String, Vec<u8>>,
    pub received: usize,
    pub sent: usize,
}

/// Builds the record of `who` (see the module's doc), signed.
pub fn build(store: &Store, who: &str) -> Result<Archive> {
    let contacts = Contacts::load(store)?;
    let contact = contacts.get(who)?.clone();
    let record = records::record_of(store, &contact)?;
    let me = store.my_keys();
    let mut files = BTreeMap::new();
    // (time, text) of each message, sorted into record.txt.
    let mut lines: Vec<(u64, String)> = Vec::new();
    let mut receipts = Vec::new();
    let inbox = crate::inbox::Inbox::load(store)?;
    for (n, entry) in record.received.iter().enumerate() {
        let n = n + 1;
        let raw = inbox.raw(entry.id).ok();
        if let Some(raw) = &raw {
            files.insert(format!("received/{n:04}.eml"), raw.clone());
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
        let opened = raw.as_deref().map(|raw| {
            let mut opened = open(raw, me, &contacts);
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
        describe(&mut text, shown, &mut files, &format!("received-{n:04}"), subject);
        lines.push((entry.received_at, text));
    }
    for (n, sent) in record.sent.iter().enumerate() {
        let n = n + 1;
        let raw = crate::outbox::sent_copy(store, sent)?;
        if let Some(raw) = &raw {
            files.insert(format!("sent/{n:04}.eml"), raw.clone());
        }
        if let Some(read) = &sent.read {
            receipts.push(serde_json::json!({ "direction": "sent", "message": n, "read": read }));
        }
        let opened = raw.as_deref().map(|raw| open_with(raw, me, &contacts, keys::public(me), &[]).0);
        let shown = opened.as_ref().and_then(|o| o.content.as_ref().filter(|_| o.seal.signed_by_one_of(me)));
        let state = match (&sent.read, &sent.receipt_for) {
            (_, Some(original)) => format!("read receipt for {original}"),
            (Some(read), None) => format!("read {}", time(read.read_at)),
            (None, None) => "sent".to_string(),
        };
        let mut text = format!("=== sent {n:04}  {}  to {}  {state}\n", time(sent.sent_at as i64), contact.address);
        describe(&mut text, shown, &mut files, &format!("sent-{n:04}"), Some(&sent.subject));
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
    files.insert("record.txt".to_string(), record_txt.into_bytes());
    files.insert("receipts.json".to_string(), serde_json::to_vec_pretty(&receipts)?);
    files.insert(
        "contact.json".to_string(),
        serde_json::to_vec_pretty(&serde_json::json!({
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
    );
    files.insert("keys/contact.asc".to_string(), contact.cert.clone().into_bytes());
    files.insert(CLINICIAN_KEY.to_string(), store.secret_cert().armored().to_vec()?);
    let mut audit_lines = Vec::new();
    for entry in audit::entries(store, &Filter { contact: Some(&contact.address), since: None })? {
        audit_lines.extend(serde_json::to_vec(&entry)?);
        audit_lines.push(b'\n');
    }
    files.insert("audit.jsonl".to_string(), audit_lines);
    files.insert("README.txt".to_string(), README.as_bytes().to_vec());
    let manifest = manifest(&files);
    files.insert(SIGNATURE.to_string(), sign(store.secret_cert(), manifest.as_bytes())?);
    files.insert(MANIFEST.to_string(), manifest.into_bytes());
    Ok(Archive { contact, files, received: record.received.len(), sent: record.sent.len() })
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
    files: &mut BTreeMap<String, Vec<u8>>,
    prefix: &str,
    subject: Option<&str>,
) {
    let Some(content) = content else {
        // The subject of a message that is not verified is not shown either.
        if let Some(subject) = subject {
            text.push_str(&format!("Subject: {}\n", crate::sanitize::line(subject)));
        }
        text.push_str("(the content is not shown: it did not open as verified)\n");
        return;
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
        files.insert(name, attachment.bytes.clone());
    }
}

/// `name`, or when the record has a file of that name already (two
/// attachments of one message named alike), `name (1)`, `name (2)`...
/// before its extension, as `read --save-attachments` names them.
fn unused_name(files: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    let (stem, extension) = match name.rfind('.').filter(|&dot| dot > name.rfind('/').map_or(0, |slash| slash + 1)) {
        Some(dot) => name.split_at(dot),
        None => (name, ""),
    };
    std::iter::once(name.to_string())
        .chain((1..).map(|n| format!("{stem} ({n}){extension}")))
        .find(|candidate| !files.contains_key(candidate))
        .expect("an unused name")
}

/// `sha256sum`'s lines for `files`, sorted by path.
fn manifest(files: &BTreeMap<String, Vec<u8>>) -> String {
    files.iter().map(|(path, bytes)| format!("{}  {path}\n", sha256_hex(bytes))).collect()
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

/// The archive as a tar stream into `out`.
pub fn write_tar(archive: &Archive, out: &mut dyn Write) -> Result<()> {
    let mut tar = tar::Builder::new(out);
    for (path, bytes) in &archive.files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(crate::contacts::now());
        tar.append_data(&mut header, path, &bytes[..]).with_context(|| format!("writing {path}"))?;
    }
    tar.finish()?;
    Ok(())
}

/// What checking an export found.
pub struct Checked {
    pub files: usize,
    /// The fingerprint of the key that signed the manifest.
    pub signer: String,
}

/// Reads an export (the tar, decrypted already) and checks it: the
/// manifest lists every file and nothing else, each file has its digest,
/// and the manifest's signature is good by the clinician key it carries.
pub fn check(tar_bytes: &[u8]) -> Result<Checked> {
    let mut files = BTreeMap::new();
    let mut archive = tar::Archive::new(tar_bytes);
    for entry in archive.entries().context("it is not an export (not a tar archive)")? {
        let mut entry = entry.context("it is not an export (a damaged tar archive)")?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        if files.insert(path.clone(), bytes).is_some() {
            bail!("{path} is in the archive twice");
        }
    }
    let manifest = files.remove(MANIFEST).context("it has no MANIFEST.sha256")?;
    let signature = files.remove(SIGNATURE).context("it has no MANIFEST.sha256.asc")?;
    let listed = std::str::from_utf8(&manifest).context("MANIFEST.sha256 is not text")?;
    let mut seen = 0;
    for line in listed.lines() {
        let (digest, path) =
            line.split_once("  ").with_context(|| format!("a line of the manifest is not a digest: {line:?}"))?;
        let bytes = files.get(path).with_context(|| format!("{path} is listed but missing"))?;
        if sha256_hex(bytes) != digest {
            bail!("{path} does not match its digest in the manifest: it was changed");
        }
        seen += 1;
    }
    if seen != files.len() {
        let extra: Vec<&String> =
            files.keys().filter(|p| !listed.lines().any(|l| l.ends_with(&format!("  {p}")))).collect();
        bail!("files not in the manifest: {extra:?}");
    }
    let clinician = Cert::from_bytes(files.get(CLINICIAN_KEY).context("it has no keys/clinician.asc")?)
        .context("keys/clinician.asc is not a key")?;
    let helper = Helper { cert: clinician.clone(), good: false };
    let mut verifier = DetachedVerifierBuilder::from_bytes(&signature)?
        .with_policy(&POLICY, None, helper)
        .map_err(|e| anyhow!("MANIFEST.sha256.asc is not a signature: {e}"))?;
    verifier.verify_bytes(&manifest).map_err(|e| anyhow!("the manifest's signature is not good: {e}"))?;
    if !verifier.into_helper().good {
        bail!("the manifest's signature is not good");
    }
    Ok(Checked { files: seen, signer: clinician.fingerprint().to_hex() })
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

/// Writes `bytes` to `path`, which must not exist, durably.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.exists() {
        bail!("{} exists; nothing was written (choose another name)", path.display());
    }
    crate::home::create_durable(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn time(unix: i64) -> String {
    mail_parser::DateTime::from_timestamp(unix).to_rfc3339()
}
