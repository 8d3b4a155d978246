//! Reading a message: decrypt, check integrity, verify the signature, and
//! give it exactly one status.
//!
//! Nothing of the plaintext is used before the whole ciphertext has been read
//! and its integrity check has passed: the decryptor's output is read to the
//! end, and any error on the way (a modified byte, a cut-off message) drops
//! everything read so far.
//!
//! One hostile message must cost one message, not the inbox: opening never
//! panics out (a panic in a parser becomes `malformed`), and the work and
//! memory a message can ask for are bounded (see the limits below).

use std::borrow::Cow;
use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use base64::Engine;
use mail_parser::{MessageParser, MimeHeaders, PartType};
use sequoia_openpgp::crypto::{Password, SessionKey};
use sequoia_openpgp::packet::{Tag, PKESK, SKESK};
use sequoia_openpgp::parse::buffered_reader::BufferedReader;
use sequoia_openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationError,
    VerificationHelper,
};
use sequoia_openpgp::parse::{PacketParser, PacketParserResult, Parse};
use sequoia_openpgp::types::SymmetricAlgorithm;
use sequoia_openpgp::{Cert, Fingerprint, KeyHandle, Packet};
use serde::{Deserialize, Serialize};

use super::compose::sha256_hex;
use super::device_sync;
use super::handshake::{self, Handshake};
use super::receipt::{self, Report};
use super::Attachment;
use super::{announcement, crlf};
use crate::contacts::{Contacts, PinState};
use crate::keys::{self, POLICY};

/// The failure reason of a message whose opening panicked.
const PANIC_REASON: &str = "sealpost failed while opening this message";

/// How much more plaintext than ciphertext a message may hold: a small
/// message can decompress a thousandfold or more, and all of it is read
/// before any is used. Without compression the plaintext is never larger
/// than the ciphertext, so a large attachment the sender chose to send is
/// never refused; only inflation past this is.
pub const MAX_INFLATION: u64 = 64 * 1024 * 1024;

/// The most plaintext a message of `ciphertext_len` bytes may hold.
pub fn plaintext_limit(ciphertext_len: usize) -> u64 {
    MAX_INFLATION + ciphertext_len as u64
}

/// Compression layers allowed: one is normal, more only multiply a bomb.
const MAX_COMPRESSION_LAYERS: usize = 1;

/// Anonymous recipient packets tried: each costs a decryption attempt with
/// every key, and anyone can add thousands.
const MAX_ANONYMOUS_TRIED: usize = 4;

/// Password packets tried: a join step carries exactly one.
const MAX_PASSWORDS_TRIED: usize = 1;

/// Recipient packets (PKESK and SKESK) allowed in one message.
const MAX_RECIPIENT_PACKETS: usize = 1000;

/// Signatures (and one-pass signature packets) allowed in one message: each
/// costs a verification.
const MAX_SIGNATURES: usize = 16;

/// The shortest body a SEIPDv1 packet can have and still hold a message: a
/// 16-byte block plus 2 check bytes, a packet, and the 22-byte MDC.
const MIN_SEIPV1_BODY: usize = 40;

/// What the cryptography established about a message, before asking whom
/// the user trusts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Seal {
    /// Not PGP/MIME at all: ordinary email.
    NotEncrypted,
    /// An encrypted part beside parts outside the encryption.
    PartlyEncrypted,
    /// PGP/MIME in form, but not a readable OpenPGP message.
    Malformed,
    /// Not encrypted to any of the user's keys.
    Undecryptable,
    /// Addressed to the user, but the ciphertext was modified or cut off.
    Tampered,
    /// Decrypted, with no signature inside the encryption.
    Unsigned,
    /// A signature that does not verify.
    BadSignature,
    /// A good signature naming intended recipients that do not include the
    /// user: a message re-encrypted and passed on.
    NotForUs,
    /// Signed by a key that is not pinned for any contact (and not in the
    /// message's Autocrypt header), so the signature could not be checked.
    UnknownSigner {
        /// The fingerprint the signature names as its issuer.
        #[serde(default)]
        issuer: Option<String>,
    },
    /// A good signature by this key: pinned, or the one in the message's
    /// own Autocrypt header (which proves nothing about who owns it).
    Signed { signer: String },
    /// Possibly intact, but in a form sealpost does not read (or refuses to
    /// spend the work on); `what` says which.
    Unsupported { what: String },
}

/// The one status a message is shown with.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Verified,
    UnknownSender,
    UnverifiedKey,
    RevokedKey,
    BadSignature,
    FromMismatch,
    Tampered,
    NotEncrypted,
    PartlyEncrypted,
    Unsigned,
    NotForUs,
    Undecryptable,
    Malformed,
    Unsupported,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::UnknownSender => "unknown-sender",
            Status::UnverifiedKey => "unverified-key",
            Status::RevokedKey => "revoked-key",
            Status::BadSignature => "bad-signature",
            Status::FromMismatch => "from-mismatch",
            Status::Tampered => "tampered",
            Status::NotEncrypted => "not-encrypted",
            Status::PartlyEncrypted => "partly-encrypted",
            Status::Unsigned => "unsigned",
            Status::NotForUs => "not-for-you",
            Status::Undecryptable => "undecryptable",
            Status::Malformed => "malformed",
            Status::Unsupported => "unsupported",
        }
    }

    /// Whether the content was decrypted intact, so `read --unverified`
    /// may show it under a warning. By default only a verified message's
    /// content is shown; content whose integrity or signature failed is
    /// never shown.
    pub fn content_readable(self) -> bool {
        matches!(
            self,
            Status::Verified
                | Status::UnknownSender
                | Status::UnverifiedKey
                | Status::RevokedKey
                | Status::FromMismatch
                | Status::Unsigned
        )
    }

    /// One sentence for the user, saying what happened.
    pub fn explain(self) -> &'static str {
        match self {
            Status::Verified => "encrypted, intact, and signed by the verified key of the sender",
            Status::UnknownSender => "signed by a key that is not pinned for any of your contacts",
            Status::UnverifiedKey => "signed by a key that you have not verified for the sender",
            Status::RevokedKey => "signed by a key that its owner has revoked; it may be in someone else's hands",
            Status::BadSignature => "the signature does not match the content; the content is withheld",
            Status::FromMismatch => "the sender named in From is not the owner of the signing key",
            Status::Tampered => "the ciphertext was modified or cut off; nothing of it is shown",
            Status::NotEncrypted => "ordinary unencrypted email; sealpost does not display it",
            Status::PartlyEncrypted => "parts of the message are outside the encryption; the message is withheld",
            Status::Unsigned => "encrypted but not signed: anyone could have written it",
            Status::NotForUs => "signed for other recipients and passed on to you; the content is withheld",
            Status::Undecryptable => "not encrypted to your key",
            Status::Malformed => "not a well-formed PGP/MIME message",
            Status::Unsupported => "sealpost does not read this kind of message; the content is withheld",
        }
    }
}

/// What was inside the encryption.
#[derive(Clone, Debug, Default)]
pub struct Content {
    pub subject: Option<String>,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub date: Option<i64>,
    pub message_id: Option<String>,
    /// The thread: `References` (with `<>`), oldest first.
    pub references: Vec<String>,
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// The protected headers ask for a read receipt (RFC 8098
    /// `Disposition-Notification-To`, or Delta Chat's
    /// `Chat-Disposition-Notification-To`). An outer request is ignored.
    pub receipt_requested: bool,
    /// Present when the content is a read receipt (a disposition
    /// notification report).
    pub report: Option<Report>,
    /// Present when the content is a step of a join handshake.
    pub handshake: Option<Handshake>,
    /// The fingerprint of a new key the sender announces (`key rotate`).
    pub key_update: Option<String>,
    /// Present when the content is a note from the user's other device:
    /// what it carries (`device_sync::CONTACTS`).
    pub device_note: Option<String>,
}

/// Headers of the outer, unprotected message: for delivery and listing
/// only, never trusted.
#[derive(Clone, Debug, Default)]
pub struct Outer {
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub date: Option<i64>,
    /// The key in the `Autocrypt` header, when its `addr` is the From
    /// address. Never trusted: it only lets a signature by it be checked and
    /// a key change be noticed.
    pub autocrypt: Option<Arc<Cert>>,
    /// The whole message is a disposition notification report (a read
    /// receipt), outside any encryption.
    pub is_report: bool,
}

/// The result of opening a message.
#[derive(Clone, Debug)]
pub struct Opened {
    pub seal: Seal,
    pub status: Status,
    pub outer: Outer,
    /// Present only when decryption and the integrity check succeeded.
    pub content: Option<Content>,
    /// SHA-256 (hex) of the decrypted plaintext, when it decrypted.
    pub content_sha256: Option<String>,
    /// When the good signature was made (Unix time), when there is one.
    pub signed_at: Option<i64>,
    /// Why the message was refused, when the status alone does not say.
    pub failure: Option<String>,
}

impl Seal {
    /// Whether this is a good signature by one of `keys` (the user's own,
    /// say: `open` checks signatures against the contacts' keys only, so
    /// such a message is opened with `open_with` and `keys::public(me)`).
    pub fn signed_by_one_of(&self, keys: &[Cert]) -> bool {
        matches!(self, Seal::Signed { signer } if keys.iter().any(|k| k.fingerprint().to_hex() == *signer))
    }
}

impl Opened {
    /// The sender address the status was judged against: the protected
    /// From, or the outer From when the sender's client did not protect it.
    pub fn sender(&self) -> Option<&str> {
        self.content.as_ref().and_then(|c| c.from_address.as_deref()).or(self.outer.from_address.as_deref())
    }
}

/// Opens `raw` for the user whose certificates (with secret keys; the
/// current one first, then earlier ones) are `me`.
pub fn open(raw: &[u8], me: &[Cert], contacts: &Contacts) -> Opened {
    open_with(raw, me, contacts, Vec::new(), &[]).0
}

/// `open`, letting go of the wire message once it is decrypted, so a large
/// message is not held as ciphertext and content at once.
pub fn open_owned(raw: Vec<u8>, me: &[Cert], contacts: &Contacts) -> Opened {
    open_owned_with(raw, me, contacts, Vec::new())
}

/// `open_owned`, checking signatures also against `extra_certs` (see
/// `open_with`).
pub fn open_owned_with(raw: Vec<u8>, me: &[Cert], contacts: &Contacts, extra_certs: Vec<Cert>) -> Opened {
    guarded(|| open_guarded(Cow::Owned(raw), me, contacts, extra_certs, &[])).0
}

/// Like `open`, checking signatures also against `extra_certs` and
/// decrypting also with any of `passwords`; says which password opened it.
/// The status is still judged against the contacts only.
pub fn open_with(
    raw: &[u8],
    me: &[Cert],
    contacts: &Contacts,
    extra_certs: Vec<Cert>,
    passwords: &[Password],
) -> (Opened, Option<usize>) {
    guarded(|| open_guarded(Cow::Borrowed(raw), me, contacts, extra_certs, passwords))
}

/// Defense in depth: a panic in a parser (ours or a library's) on a
/// hostile message must not stop the sync of every message after it.
fn guarded(open: impl FnOnce() -> (Opened, Option<usize>)) -> (Opened, Option<usize>) {
    std::panic::catch_unwind(AssertUnwindSafe(open))
        .unwrap_or_else(|_| (failed(Refusal::because(Seal::Malformed, PANIC_REASON), Outer::default()), None))
}

fn open_guarded(
    raw: Cow<'_, [u8]>,
    me: &[Cert],
    contacts: &Contacts,
    extra_certs: Vec<Cert>,
    passwords: &[Password],
) -> (Opened, Option<usize>) {
    let Some(parsed) = MessageParser::default().parse(&raw[..]) else {
        return (failed(Seal::Malformed.into(), Outer::default()), None);
    };
    let outer = Outer {
        from_address: parsed.from().and_then(|a| a.first()).and_then(|a| a.address()).map(keys::normalize_address),
        subject: parsed.subject().map(str::to_string),
        message_id: parsed.message_id().map(|id| format!("<{id}>")),
        date: parsed.date().map(|d| d.to_timestamp()),
        is_report: receipt::parse(&parsed).is_some(),
        autocrypt: None,
    };
    let outer = Outer { autocrypt: autocrypt(&parsed, outer.from_address.as_deref()), ..outer };
    if let Some(problem) = from_problem(&parsed) {
        return (failed(Refusal::because(Seal::Malformed, problem), outer), None);
    }
    let ciphertext = match encrypted_payload(&parsed) {
        Ok(bytes) => bytes,
        Err(seal) => return (failed(seal.into(), outer), None),
    };
    // Armor taken off in one pass (sequoia's decryptor reads armor in
    // small steps that cost more than the decryption), and the wire
    // message let go (when it is ours to drop) before the content is made.
    let binary = dearmored(ciphertext);
    drop(parsed);
    drop(raw);
    let certs = outer.autocrypt.iter().cloned().chain(extra_certs.into_iter().map(Arc::new)).collect();
    let signers = Signers { contacts, certs };
    let decrypted = match decrypt(&binary, me, &signers, passwords) {
        Ok(decrypted) => decrypted,
        Err(refusal) => return (failed(refusal, outer), None),
    };
    drop(binary);
    // Signed, then encrypted (RFC 3156 §6.1, what Thunderbird sends): the
    // signature is a MIME part beside the part it signs, and only what it
    // signs is the content. A signature inside the OpenPGP message, when
    // there is one, covers everything and is the one that counts.
    let mut seal = decrypted.seal;
    let mut signed_at = decrypted.signed_at;
    let mut failure = None;
    // Parsed once: for the signature's shape and, unless only a part of it
    // is signed, for the content.
    let inner = MessageParser::default().parse(&decrypted.plaintext);
    let mut signed_part = None;
    match inner.as_ref().map_or(MimeSigned::No, |inner| mime_signed(inner, &decrypted.plaintext)) {
        MimeSigned::No => {}
        MimeSigned::Whole { data, signature } => {
            if seal == Seal::Unsigned {
                match verify_detached(&data.canonical, signature, me, &signers) {
                    Ok((detached, at)) => (seal, signed_at) = (detached, at),
                    Err(refusal) => return (failed(refusal, outer), None),
                }
            }
            signed_part = Some(data.raw);
        }
        MimeSigned::Beside if seal == Seal::Unsigned => {
            seal = Seal::PartlyEncrypted;
            failure = Some("only part of the encrypted content is signed; the rest could be anyone's".to_string());
        }
        MimeSigned::Beside => {}
    }
    let content = match (signed_part, inner) {
        (Some(part), _) => parse_content(part),
        (None, Some(inner)) => content_of(inner, &decrypted.plaintext),
        (None, None) => Ok(unstructured(&decrypted.plaintext)),
    };
    let content = match content {
        Ok(content) => content,
        Err(problem) => {
            let refusal = Refusal::because(Seal::Malformed, format!("protected headers: {problem}"));
            return (failed(refusal, outer), None);
        }
    };
    let mut opened = Opened {
        seal,
        status: Status::Malformed,
        outer,
        content: Some(content),
        content_sha256: Some(sha256_hex(&decrypted.plaintext)),
        signed_at,
        failure,
    };
    opened.status = judge(&opened.seal, opened.sender(), contacts);
    (opened, decrypted.password)
}

/// Where a `multipart/signed` (RFC 3156) sits in the decrypted content.
enum MimeSigned<'a> {
    No,
    /// It is the whole content: the signed part and the detached signature.
    Whole {
        data: SignedData<'a>,
        signature: &'a [u8],
    },
    /// It sits beside other parts, which nothing signs.
    Beside,
}

/// The part a detached signature signs.
struct SignedData<'a> {
    /// As it is in the content: the protected headers and what they head.
    raw: &'a [u8],
    /// Its canonical form, over which the signature was made: CRLF line
    /// ends (RFC 3156 §5).
    canonical: Vec<u8>,
}

fn is_multipart_signed(part: &mail_parser::MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("signed"))
            && ct.attribute("protocol").is_some_and(|p| p.eq_ignore_ascii_case("application/pgp-signature"))
    })
}

fn mime_signed<'a>(inner: &mail_parser::Message<'_>, plaintext: &'a [u8]) -> MimeSigned<'a> {
    let root = inner.root_part();
    if !is_multipart_signed(root) {
        return if inner.parts.iter().skip(1).any(is_multipart_signed) { MimeSigned::Beside } else { MimeSigned::No };
    }
    let children = root.sub_parts().map(|c| c.to_vec()).unwrap_or_default();
    let [signed, signature] = children[..] else {
        return MimeSigned::Beside;
    };
    let (signed, signature) = (&inner.parts[signed as usize], &inner.parts[signature as usize]);
    let is_signature = signature.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("application")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("pgp-signature"))
    });
    let raw = plaintext.get(signed.offset_header as usize..signed.offset_end as usize);
    let signature_bytes = plaintext.get(signature.offset_body as usize..signature.offset_end as usize);
    match (is_signature, raw, signature_bytes) {
        (true, Some(raw), Some(signature)) => {
            MimeSigned::Whole { data: SignedData { raw, canonical: crlf(raw) }, signature }
        }
        _ => MimeSigned::Beside,
    }
}

/// The most a detached signature part may hold: a few signatures.
const MAX_DETACHED_SIGNATURE: usize = 64 * 1024;

/// Verifies a detached signature over `data` exactly as an inline one is
/// judged (`Helper::classify`). A detached signature names no intended
/// recipients (none of the clients that send them add the subpacket), so
/// it cannot tell a message re-encrypted and passed on; that is accepted,
/// as it is for an inline signature without them: the signer vouches for
/// the content, and the encryption to us is checked as always.
fn verify_detached(
    data: &[u8],
    signature: &[u8],
    me: &[Cert],
    signers: &Signers<'_>,
) -> Result<(Seal, Option<i64>), Refusal> {
    if signature.len() > MAX_DETACHED_SIGNATURE {
        return Err(unsupported("a signature part larger than 64 KiB"));
    }
    let refused = std::cell::RefCell::new(None);
    // The signature part is inside the encryption.
    let helper = Helper { encrypted: true, ..Helper::new(me, signers, &[], &refused) };
    let verified = (|| -> Result<Outcome> {
        let mut verifier = DetachedVerifierBuilder::from_bytes(signature)?.with_policy(&POLICY, None, helper)?;
        // A signature that does not verify is an error here, and its
        // verdict is in the helper, as for an inline one.
        let _ = verifier.verify_bytes(data);
        Ok(verifier.into_helper().into_outcome())
    })();
    if let Some(refusal) = refused.take() {
        return Err(refusal);
    }
    match verified {
        Ok(outcome) => Ok((outcome.signature.unwrap_or(Seal::BadSignature), outcome.signed_at)),
        Err(_) => Err(Refusal::because(Seal::Malformed, "the signature part is not an OpenPGP signature")),
    }
}

/// A message refused before any of its plaintext was used, and why when the
/// seal alone does not say.
struct Refusal {
    seal: Seal,
    reason: Option<String>,
}

impl Refusal {
    fn because(seal: Seal, reason: impl Into<String>) -> Refusal {
        Refusal { seal, reason: Some(reason.into()) }
    }
}

fn unsupported(what: &str) -> Refusal {
    Seal::Unsupported { what: what.to_string() }.into()
}

impl From<Seal> for Refusal {
    fn from(seal: Seal) -> Refusal {
        Refusal { seal, reason: None }
    }
}

fn failed(refusal: Refusal, outer: Outer) -> Opened {
    let status = judge(&refusal.seal, None, &Contacts::default());
    let reason = match &refusal.seal {
        Seal::Unsupported { what } => Some(what.clone()),
        _ => refusal.reason,
    };
    Opened { seal: refusal.seal, status, outer, content: None, content_sha256: None, signed_at: None, failure: reason }
}

/// The status of a message with this seal and sender, given the contacts.
pub fn judge(seal: &Seal, sender: Option<&str>, contacts: &Contacts) -> Status {
    match seal {
        Seal::NotEncrypted => Status::NotEncrypted,
        Seal::PartlyEncrypted => Status::PartlyEncrypted,
        Seal::Malformed => Status::Malformed,
        Seal::Undecryptable => Status::Undecryptable,
        Seal::Tampered => Status::Tampered,
        Seal::Unsigned => Status::Unsigned,
        Seal::BadSignature => Status::BadSignature,
        Seal::NotForUs => Status::NotForUs,
        Seal::Unsupported { .. } => Status::Unsupported,
        Seal::UnknownSigner { .. } => unpinned_signer(sender, contacts),
        Seal::Signed { signer } => {
            let Some(contact) = signer.parse().ok().and_then(|fpr: Fingerprint| contacts.by_fingerprint(&fpr)) else {
                return unpinned_signer(sender, contacts);
            };
            match sender.map(keys::normalize_address) {
                Some(address) if address == contact.address => {}
                _ => return Status::FromMismatch,
            }
            // Keys seen for the contact in other mail change nothing here
            // (DESIGN.md, principle 3): only the pinned key's own state does.
            match contact.state {
                PinState::Verified => Status::Verified,
                PinState::Revoked => Status::RevokedKey,
                PinState::Unverified | PinState::Changed => Status::UnverifiedKey,
            }
        }
    }
}

/// A signature by a key not pinned for anyone: a key not verified for the
/// sender when the sender is a contact (another key for a pinned address,
/// kept as a sighting), else a stranger.
fn unpinned_signer(sender: Option<&str>, contacts: &Contacts) -> Status {
    match sender.and_then(|s| contacts.by_address(s)) {
        Some(_) => Status::UnverifiedKey,
        None => Status::UnknownSender,
    }
}

/// The key of the one valid `Autocrypt:` header (Autocrypt Level 1) whose
/// `addr` is `from`. Two such headers give none: which one is the sender's
/// would be a guess.
fn autocrypt(parsed: &mail_parser::Message<'_>, from: Option<&str>) -> Option<Arc<Cert>> {
    let from = from?;
    let mut found = parsed
        .headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case("autocrypt"))
        .filter_map(|h| parsed.raw_message.get(h.offset_start as usize..h.offset_end as usize))
        .filter_map(|raw| autocrypt_header(std::str::from_utf8(raw).ok()?))
        .filter(|(addr, _)| addr == from);
    let (_, keydata) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    parsed_key(&keydata)
}

/// The public certificate `keydata` (base64) holds, decoded and parsed once
/// per process for the same keydata: every message of a correspondent
/// carries the same key, and parsing it (its signatures checked) costs more
/// than opening the message. The cache holds at most `KEY_CACHE` keys; a
/// sender cannot grow it.
fn parsed_key(keydata: &str) -> Option<Arc<Cert>> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const KEY_CACHE: usize = 256;
    /// Parsed keys by the SHA-256 of their keydata.
    type Parsed = HashMap<[u8; 32], Option<Arc<Cert>>>;
    static CACHE: OnceLock<Mutex<Parsed>> = OnceLock::new();
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(keydata).into();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&digest).cloned()) {
        return found;
    }
    let cert = base64::engine::general_purpose::STANDARD
        .decode(keydata)
        .ok()
        .and_then(|bytes| Cert::from_bytes(&bytes).ok())
        .filter(|cert| !cert.is_tsk())
        .map(Arc::new);
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= KEY_CACHE {
            cache.clear();
        }
        cache.insert(digest, cert.clone());
    }
    cert
}

/// `addr` (normalized) and `keydata` of a valid Autocrypt header value:
/// both required, once each; `prefer-encrypt` optional; attributes starting
/// with `_` ignored; any other attribute is critical and unknown, which
/// makes the header invalid.
fn autocrypt_header(value: &str) -> Option<(String, String)> {
    let mut addr = None;
    let mut keydata = None;
    let mut prefer_encrypt = false;
    for attribute in value.split(';').filter(|a| !a.trim().is_empty()) {
        let (name, val) = attribute.split_once('=')?;
        let slot = match name.trim() {
            "addr" => &mut addr,
            "keydata" => &mut keydata,
            "prefer-encrypt" if !prefer_encrypt => {
                prefer_encrypt = true;
                continue;
            }
            name if name.starts_with('_') => continue,
            _ => return None,
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(val);
    }
    let addr = keys::normalize_address(addr?.trim());
    Some((addr, keydata?.split_whitespace().collect()))
}

/// The armored OpenPGP message of a well-formed `multipart/encrypted`
/// message, or the seal that says why there is none.
fn encrypted_payload<'p>(parsed: &'p mail_parser::Message<'_>) -> std::result::Result<&'p [u8], Seal> {
    let root = parsed.root_part();
    let is_pgp_mime = |part: &mail_parser::MessagePart<'_>| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("encrypted"))
                && ct.attribute("protocol").is_some_and(|p| p.eq_ignore_ascii_case("application/pgp-encrypted"))
        })
    };
    if !is_pgp_mime(root) {
        let nested = parsed.parts.iter().skip(1).any(is_pgp_mime);
        return Err(if nested { Seal::PartlyEncrypted } else { Seal::NotEncrypted });
    }
    let Some(children) = root.sub_parts() else {
        return Err(Seal::Malformed);
    };
    if children.len() != 2 {
        return Err(Seal::Malformed);
    }
    let control = &parsed.parts[children[0] as usize];
    let payload = &parsed.parts[children[1] as usize];
    let control_ok = control.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("application")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("pgp-encrypted"))
    });
    let payload_ok = payload.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("application")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("octet-stream"))
    });
    if !control_ok || !payload_ok || payload.is_multipart() {
        return Err(Seal::Malformed);
    }
    Ok(payload.contents())
}

/// The binary OpenPGP message of an armored one, as sequoia's armor
/// reader reads it; anything it cannot read (or that is not armored) is
/// handed on as it is, for the packet parser to judge as before.
fn dearmored(payload: &[u8]) -> Vec<u8> {
    use sequoia_openpgp::armor::{Kind, Reader, ReaderMode};
    let text = payload.trim_ascii_start();
    if !text.starts_with(b"-----BEGIN PGP MESSAGE-----") {
        return payload.to_vec();
    }
    if let Some(binary) = dearmored_plainly(text) {
        return binary;
    }
    let mut binary = Vec::with_capacity(payload.len() / 4 * 3);
    // Small reads: the reader allocates (and zeroes) a buffer as large as
    // each read asks for, which `read_to_end` makes the whole message.
    let mut reader = Reader::from_bytes(payload, ReaderMode::Tolerant(Some(Kind::Message)));
    let mut piece = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut piece) {
            Ok(0) => return binary,
            Ok(n) => binary.extend_from_slice(&piece[..n]),
            Err(_) => return payload.to_vec(),
        }
    }
}

/// The armor of a message as OpenPGP writes it, taken off in one pass with
/// the base64 crate: the header line, armor headers (`Key: value`), a blank
/// line, base64 lines, an optional checksum line (ignored, as OpenPGP
/// requires and sequoia does), the footer and nothing after it but
/// whitespace. Anything else is `None`, and sequoia's tolerant reader takes
/// the message (its character-by-character filter is several times slower
/// on the armor every sealpost message has).
fn dearmored_plainly(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let mut lines = text.split(|&b| b == b'\n').map(|line| line.trim_ascii_end());
    if lines.next()? != b"-----BEGIN PGP MESSAGE-----" {
        return None;
    }
    loop {
        let line = lines.next()?;
        if line.is_empty() {
            break;
        }
        let (key, _) = line.split_at(line.iter().position(|&b| b == b':')?);
        if key.is_empty() || !key.iter().all(u8::is_ascii_alphanumeric) || line.get(key.len() + 1) != Some(&b' ') {
            return None;
        }
    }
    // Decoded a piece at a time as the lines come, not gathered first: a
    // large message is then held beside its binary form only, not also
    // beside a copy of its base64 (reading a 47 MB message peaked at 167
    // MiB with that copy).
    let mut binary = Vec::with_capacity(text.len() / 4 * 3);
    let mut pending = Vec::with_capacity(text.len().min(DEARMOR_PIECE + 80));
    let footer = loop {
        let line = lines.next()?;
        if line.starts_with(b"-----") {
            break line;
        }
        if let Some(checksum) = line.strip_prefix(b"=") {
            if checksum.len() != 4 || !checksum.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/') {
                return None;
            }
            break lines.next()?;
        }
        // Not checked here: the decoding refuses any byte outside the
        // alphabet, and padding anywhere but at the end (see below).
        pending.extend_from_slice(line);
        if pending.len() >= DEARMOR_PIECE {
            // Whole groups of four, less the last one, which may be the
            // end of the data with its padding.
            let whole = (pending.len() / 4 * 4).saturating_sub(4);
            // Padding ends the data: before the last group it is padding
            // before the end, which decoding the whole refuses.
            if pending[..whole].contains(&b'=') {
                return None;
            }
            base64::engine::general_purpose::STANDARD.decode_vec(&pending[..whole], &mut binary).ok()?;
            pending.drain(..whole);
        }
    };
    if footer != b"-----END PGP MESSAGE-----" || !lines.all(<[u8]>::is_empty) {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode_vec(&pending, &mut binary).ok()?;
    Some(binary)
}

/// How much base64 `dearmored_plainly` gathers before decoding it.
const DEARMOR_PIECE: usize = 64 * 1024;

/// A message that decrypted and passed its integrity check.
struct Decrypted {
    plaintext: Vec<u8>,
    seal: Seal,
    /// When the good signature was made.
    signed_at: Option<i64>,
    /// Which of the passwords opened it.
    password: Option<usize>,
}

/// Decrypts and verifies. Returns the plaintext only when the whole message
/// decrypted and passed its integrity check, with the time of a good
/// signature.
fn decrypt(ciphertext: &[u8], me: &[Cert], certs: &Signers<'_>, passwords: &[Password]) -> Result<Decrypted, Refusal> {
    let for_me = check_structure(ciphertext, me)?;
    let refused = std::cell::RefCell::new(None);
    let helper = Helper::new(me, certs, passwords, &refused);
    let result = (|| -> Result<(Vec<u8>, Outcome)> {
        // The plaintext is read to the end before any is used, so the
        // decryptor need not hold back its default 25 MiB (twice over). Not
        // less than 1 MiB: with a smaller one, sequoia's reading of a
        // compression bomb is no longer bounded by the limit below (the
        // compression-bomb test fails).
        let held_back = 1 << 20;
        let builder = DecryptorBuilder::from_bytes(ciphertext)?.buffer_size(held_back);
        let mut decryptor = builder.with_policy(&POLICY, None, helper)?;
        let mut plaintext = Vec::new();
        // One byte past the limit tells a message at the limit from one over it.
        let limit = plaintext_limit(ciphertext.len());
        (&mut decryptor).take(limit + 1).read_to_end(&mut plaintext)?;
        if plaintext.len() as u64 > limit {
            *refused.borrow_mut() = Some(Refusal::because(Seal::Malformed, "the content exceeds the size limit"));
            return Err(anyhow!("too large"));
        }
        if !decryptor.message_processed() {
            return Err(anyhow!("the message ended early"));
        }
        Ok((plaintext, decryptor.into_helper().into_outcome()))
    })();
    if let Some(refusal) = refused.take() {
        return Err(refusal);
    }
    match result {
        Ok((_, outcome)) if !outcome.encrypted => Err(Seal::NotEncrypted.into()),
        Ok((plaintext, outcome)) => Ok(Decrypted {
            plaintext,
            seal: outcome.signature.unwrap_or(Seal::Unsigned),
            signed_at: outcome.signed_at,
            password: outcome.password_used,
        }),
        // A failure consumes the helper; tell a message for someone else
        // from one for us that was damaged by looking at its recipients.
        Err(_) if for_me => Err(Seal::Tampered.into()),
        Err(_) if looks_like_openpgp(ciphertext) => Err(Seal::Undecryptable.into()),
        Err(_) => Err(Seal::Malformed.into()),
    }
}

/// The keys a PGP/MIME message was encrypted to, as its recipient packets
/// name them (key IDs or fingerprints, hex); anonymous ones are left out.
pub fn encrypted_to(raw: &[u8]) -> Vec<KeyHandle> {
    let Some(parsed) = MessageParser::default().parse(raw) else { return Vec::new() };
    let Ok(ciphertext) = encrypted_payload(&parsed) else { return Vec::new() };
    let mut handles = Vec::new();
    let Ok(mut ppr) = PacketParser::from_bytes(&ciphertext) else { return handles };
    while let PacketParserResult::Some(pp) = ppr {
        match &pp.packet {
            Packet::PKESK(pkesk) => handles.extend(pkesk.recipient()),
            Packet::SKESK(_) => {}
            _ => break,
        }
        let Ok((_, next)) = pp.next() else { break };
        ppr = next;
    }
    handles
}

/// Walks the top-level packets before anything is decrypted: refuses what
/// must not reach the decryptor, and says whether the message has a PKESK
/// for one of the keys of `me`.
fn check_structure(ciphertext: &[u8], me: &[Cert]) -> Result<bool, Refusal> {
    let Ok(mut ppr) = PacketParser::from_bytes(ciphertext) else {
        return Ok(false);
    };
    let mut for_me = false;
    let mut tally = Tally::default();
    while let PacketParserResult::Some(mut pp) = ppr {
        // Stops a walk over 100,000 recipient packets early, too.
        tally.count(&pp)?;
        if let Packet::PKESK(pkesk) = &pp.packet {
            if let Some(recipient) = pkesk.recipient() {
                for_me |= me.iter().flat_map(|c| c.keys()).any(|ka| recipient.aliases(ka.key().key_handle()));
            }
        }
        if pp.packet.tag() == Tag::AED {
            return Err(unsupported(
                "GnuPG's OCB encryption (LibrePGP), which OpenPGP does not define; ask the sender to turn it \
                 off (GnuPG: set their key's features without AEAD, e.g. `gpg --edit-key KEY setpref`, or use \
                 `--rfc4880`)",
            ));
        }
        if let Packet::SEIP(sequoia_openpgp::packet::SEIP::V1(_)) = &pp.packet {
            // sequoia-openpgp 2.3 (and 2.4.2) panics on a SEIPDv1 body too
            // short for its MDC reserve: `PacketParser::decrypt_` unwraps
            // `data_consume_hard(bl + 2)` after reserving 22 bytes. Such a
            // body cannot hold a message anyway; drop this check once
            // sequoia no longer unwraps there.
            // Only that much is looked at (not buffered whole: the body
            // is the whole message).
            let short = pp.data(MIN_SEIPV1_BODY).map_or(true, |body| body.len() < MIN_SEIPV1_BODY);
            if short {
                return Err(if for_me { Seal::Tampered } else { Seal::Undecryptable }.into());
            }
        }
        match pp.next() {
            Ok((_, next)) => ppr = next,
            // Damaged further on: still ours if a packet before named us.
            Err(_) => return Ok(for_me),
        }
    }
    Ok(for_me)
}

fn looks_like_openpgp(ciphertext: &[u8]) -> bool {
    PacketParser::from_bytes(ciphertext).is_ok()
}

/// Packets of a message counted as they are parsed, so that one message
/// cannot ask for unbounded work (a decryption attempt per recipient
/// packet, a verification per signature) or unbounded inflation.
#[derive(Default)]
struct Tally {
    recipients: usize,
    signatures: usize,
    one_pass_signatures: usize,
    compression_layers: usize,
}

impl Tally {
    fn count(&mut self, pp: &PacketParser<'_>) -> Result<(), Refusal> {
        fn over(count: &mut usize, limit: usize, what: &str) -> Result<(), Refusal> {
            *count += 1;
            if *count > limit {
                return Err(unsupported(what));
            }
            Ok(())
        }
        match pp.packet.tag() {
            Tag::PKESK | Tag::SKESK => over(&mut self.recipients, MAX_RECIPIENT_PACKETS, "too many recipients"),
            Tag::Signature => over(&mut self.signatures, MAX_SIGNATURES, "too many signatures"),
            Tag::OnePassSig => over(&mut self.one_pass_signatures, MAX_SIGNATURES, "too many signatures"),
            Tag::CompressedData => {
                over(&mut self.compression_layers, MAX_COMPRESSION_LAYERS, "more than one compression layer")
            }
            _ => Ok(()),
        }
    }
}

/// A signature or key packet in a version sealpost does not read, which the
/// parser keeps as an unknown packet (GnuPG 2.4's LibrePGP v5 keys sign with
/// v5 signatures). Such a message is `unsupported`, saying so, rather than
/// `bad-signature`, which would suggest tampering.
fn unreadable_version(pp: &PacketParser<'_>) -> Result<(), Refusal> {
    let Packet::Unknown(unknown) = &pp.packet else {
        return Ok(());
    };
    // The body, and so the version byte, is not read yet when a packet is
    // inspected: the parser's reason tells an unknown version from damage
    // (which stays `bad-signature`).
    let signature_or_key =
        matches!(unknown.tag(), Tag::Signature | Tag::OnePassSig | Tag::PublicKey | Tag::PublicSubkey);
    if !signature_or_key || !unknown.error().to_string().contains("version") {
        return Ok(());
    }
    Err(unsupported(
        "a signature or key in an OpenPGP version sealpost does not read (such as the LibrePGP v5 keys of GnuPG 2.4)",
    ))
}

/// Whose signatures a message may carry: the contacts' pinned keys, and
/// certificates that come with the message (its Autocrypt header) or that
/// the caller adds. Only those holding a key the signature names are handed
/// to the verifier.
struct Signers<'a> {
    contacts: &'a Contacts,
    certs: Vec<Arc<Cert>>,
}

struct Helper<'a> {
    me: &'a [Cert],
    me_fingerprints: Vec<Fingerprint>,
    certs: &'a Signers<'a>,
    passwords: &'a [Password],
    password_used: Option<usize>,
    encrypted: bool,
    signature: Option<Seal>,
    signed_at: Option<i64>,
    tally: Tally,
    /// Why `inspect` stopped the decryptor: a failure consumes the helper.
    refused: &'a std::cell::RefCell<Option<Refusal>>,
}

struct Outcome {
    encrypted: bool,
    signature: Option<Seal>,
    signed_at: Option<i64>,
    password_used: Option<usize>,
}

impl Helper<'_> {
    fn into_outcome(self) -> Outcome {
        Outcome {
            encrypted: self.encrypted,
            signature: self.signature,
            signed_at: self.signed_at,
            password_used: self.password_used,
        }
    }
}

impl<'a> Helper<'a> {
    /// A helper that has seen nothing yet.
    fn new(
        me: &'a [Cert],
        certs: &'a Signers<'a>,
        passwords: &'a [Password],
        refused: &'a std::cell::RefCell<Option<Refusal>>,
    ) -> Helper<'a> {
        Helper {
            me,
            me_fingerprints: me.iter().map(Cert::fingerprint).collect(),
            certs,
            passwords,
            password_used: None,
            encrypted: false,
            signature: None,
            signed_at: None,
            tally: Tally::default(),
            refused,
        }
    }
}

impl VerificationHelper for Helper<'_> {
    fn inspect(&mut self, pp: &PacketParser<'_>) -> sequoia_openpgp::Result<()> {
        if let Err(refusal) = self.tally.count(pp).and_then(|()| unreadable_version(pp)) {
            *self.refused.borrow_mut() = Some(refusal);
            return Err(anyhow!("refused"));
        }
        Ok(())
    }

    fn get_certs(&mut self, ids: &[KeyHandle]) -> sequoia_openpgp::Result<Vec<Cert>> {
        Ok(self.get_shared_certs(ids)?.iter().map(|cert| Cert::clone(cert)).collect())
    }

    /// The certificates are lent, not copied: this runs for every message
    /// a sync opens, and copying the signer's certificate for each was
    /// about 5% of a first sync's CPU time.
    fn get_shared_certs(&mut self, ids: &[KeyHandle]) -> sequoia_openpgp::Result<Vec<Arc<Cert>>> {
        let mut found = self.certs.contacts.certs_for(ids);
        found.extend(
            self.certs
                .certs
                .iter()
                .filter(|cert| cert.keys().any(|k| ids.iter().any(|id| id.aliases(k.key().key_handle()))))
                .cloned(),
        );
        Ok(found)
    }

    fn check(&mut self, structure: MessageStructure) -> sequoia_openpgp::Result<()> {
        for layer in structure {
            match layer {
                MessageLayer::Encryption { .. } => self.encrypted = true,
                MessageLayer::Compression { .. } => {}
                MessageLayer::SignatureGroup { results } => {
                    // Only a signature inside the encryption counts.
                    if self.signature.is_none() && self.encrypted {
                        self.signed_at = results.iter().find_map(|r| r.as_ref().ok()).and_then(|good| {
                            let at = good.sig.signature_creation_time()?;
                            Some(at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64)
                        });
                        self.signature = Some(self.classify(results));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Helper<'_> {
    fn classify(&self, results: Vec<sequoia_openpgp::parse::stream::VerificationResult<'_>>) -> Seal {
        let mut missing_key = false;
        for result in &results {
            match result {
                Ok(good) => {
                    let named: Vec<&Fingerprint> = good.sig.intended_recipients().collect();
                    if !named.is_empty() && !named.iter().any(|f| self.me_fingerprints.contains(f)) {
                        return Seal::NotForUs;
                    }
                    return Seal::Signed { signer: good.ka.cert().fingerprint().to_hex() };
                }
                Err(VerificationError::MissingKey { .. }) => missing_key = true,
                Err(_) => {}
            }
        }
        if missing_key && results.iter().all(|r| matches!(r, Err(VerificationError::MissingKey { .. }))) {
            let issuer = results.iter().find_map(|r| match r {
                Err(VerificationError::MissingKey { sig }) => sig
                    .issuer_fingerprints()
                    .next()
                    .map(|f| f.to_hex())
                    .or_else(|| sig.get_issuers().into_iter().next().map(|handle| handle.to_hex())),
                _ => None,
            });
            Seal::UnknownSigner { issuer }
        } else {
            Seal::BadSignature
        }
    }
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> sequoia_openpgp::Result<Option<Cert>> {
        let mut anonymous_tried = 0;
        for pkesk in pkesks {
            if pkesk.recipient().is_none() {
                if anonymous_tried == MAX_ANONYMOUS_TRIED {
                    continue;
                }
                anonymous_tried += 1;
            }
            for ka in self.me.iter().flat_map(|c| c.keys().secret()) {
                let matches = match pkesk.recipient() {
                    Some(handle) => handle.aliases(ka.key().key_handle()),
                    None => true,
                };
                if !matches {
                    continue;
                }
                let decrypted = match super::decryption_key::held(ka.key()) {
                    Some(mut held) => pkesk.decrypt(&mut held, sym_algo),
                    None => {
                        let Ok(mut keypair) = ka.key().clone().into_keypair() else { continue };
                        pkesk.decrypt(&mut keypair, sym_algo)
                    }
                };
                if let Some((algo, session_key)) = decrypted {
                    if decrypt(algo, &session_key) {
                        return Ok(None);
                    }
                }
            }
        }
        for skesk in skesks.iter().take(MAX_PASSWORDS_TRIED).filter(|s| is_sealpost_s2k(s)) {
            for (index, password) in self.passwords.iter().enumerate() {
                if let Ok((algo, session_key)) = skesk.decrypt(password) {
                    if decrypt(algo, &session_key) {
                        self.password_used = Some(index);
                        return Ok(None);
                    }
                }
            }
        }
        Err(anyhow!("no key of yours can decrypt this message"))
    }
}

/// Whether a password packet asks for exactly the key derivation sealpost
/// writes for a join step (`compose::join_s2k`, which costs microseconds).
/// A sender-chosen cost (a higher count, Argon2) is never paid.
fn is_sealpost_s2k(skesk: &SKESK) -> bool {
    matches!(skesk, SKESK::V4(skesk) if super::compose::is_join_s2k(skesk.s2k()))
}

fn message_ids(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = match value {
        mail_parser::HeaderValue::Text(id) => vec![id.to_string()],
        mail_parser::HeaderValue::TextList(ids) => ids.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    };
    ids.into_iter().filter(|id| !id.is_empty() && id.is_ascii()).map(|id| format!("<{id}>")).collect()
}

/// Why the From header of a message makes it malformed: which sender
/// would be the one the status is about is ambiguous (DESIGN.md, principle 4).
fn from_problem(parsed: &mail_parser::Message<'_>) -> Option<&'static str> {
    let fields = parsed.header_values(mail_parser::HeaderName::From).count();
    let addresses = parsed.from().map_or(0, |from| from.iter().count());
    if fields > 1 {
        Some("more than one From header")
    } else if addresses > 1 {
        Some("more than one address in From")
    } else {
        None
    }
}

/// Whether a part only repeats the protected headers for mail programs that
/// do not read them (RFC 9788's legacy display element, `hp-legacy-display`;
/// the earlier form, a `protected-headers` text part, as Thunderbird and
/// Enigmail wrote it; or `text/rfc822-headers`). It is not the message.
fn is_legacy_display(part: &mail_parser::MessagePart<'_>, content_type: &str) -> bool {
    let attribute = |name: &str| part.content_type().and_then(|ct| ct.attribute(name)).is_some();
    content_type == "text/rfc822-headers"
        || (content_type == "text/plain" && (attribute("hp-legacy-display") || attribute("protected-headers")))
}

/// The inner MIME entity: protected headers, the text, attachments. HTML is
/// never rendered; an HTML-only body is offered as an attachment instead.
/// Fails when the protected From is ambiguous.
fn parse_content(plaintext: &[u8]) -> Result<Content, &'static str> {
    match MessageParser::default().parse(plaintext) {
        Some(inner) => content_of(inner, plaintext),
        None => Ok(unstructured(plaintext)),
    }
}

/// Content that is not MIME: all of it is the body.
fn unstructured(plaintext: &[u8]) -> Content {
    Content { body: String::from_utf8_lossy(plaintext).into_owned(), ..Content::default() }
}

/// `parse_content` of `inner`, already parsed from `plaintext`. The
/// attachments' decoded bytes are moved out of it, not copied.
fn content_of(mut inner: mail_parser::Message<'_>, plaintext: &[u8]) -> Result<Content, &'static str> {
    if let Some(problem) = from_problem(&inner) {
        return Err(problem);
    }
    let mut content = headers_of(&inner);
    let mut have_body = false;
    for index in 0..inner.parts.len() {
        let part = &inner.parts[index];
        let is_attachment = part.content_disposition().is_some_and(|d| d.is_attachment());
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| "text/plain".to_string())
            .to_lowercase();
        if index > 0 && !is_attachment && is_legacy_display(part, &content_type) {
            continue;
        }
        match &part.body {
            PartType::Multipart(_) => continue,
            PartType::Text(text) if !is_attachment && !have_body && content_type == "text/plain" => {
                content.body = text.to_string();
                have_body = true;
                continue;
            }
            _ => {}
        }
        let default_name = match content_type.as_str() {
            "text/html" => "message.html".to_string(),
            "message/rfc822" => "message.eml".to_string(),
            _ => format!("part-{index}"),
        };
        let name = part.attachment_name().map(str::to_string).unwrap_or(default_name);
        let bytes = match std::mem::replace(&mut inner.parts[index].body, PartType::Multipart(Vec::new())) {
            PartType::Message(_) => {
                let part = &inner.parts[index];
                plaintext.get(part.offset_body as usize..part.offset_end as usize).unwrap_or_default().to_vec()
            }
            PartType::Text(text) | PartType::Html(text) => text.into_owned().into_bytes(),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.into_owned(),
            PartType::Multipart(_) => Vec::new(),
        };
        content.attachments.push(Attachment { name, content_type, bytes });
    }
    Ok(content)
}

/// What the protected headers of `inner` say.
fn headers_of(inner: &mail_parser::Message<'_>) -> Content {
    let from = inner.from().and_then(|a| a.first());
    Content {
        subject: inner.subject().map(str::to_string),
        from_address: from.and_then(|a| a.address()).map(keys::normalize_address),
        from_name: from.and_then(|a| a.name()).map(str::to_string),
        to: inner
            .to()
            .map(|a| a.iter().filter_map(|a| a.address()).map(keys::normalize_address).collect())
            .unwrap_or_default(),
        date: inner.date().map(|d| d.to_timestamp()),
        message_id: inner.message_id().map(|id| format!("<{id}>")),
        references: message_ids(inner.references()),
        receipt_requested: inner.header("Disposition-Notification-To").is_some()
            || inner.header("Chat-Disposition-Notification-To").is_some(),
        report: receipt::parse(inner),
        handshake: handshake::parse(inner),
        key_update: announcement::parse(inner),
        device_note: device_sync::parse(inner),
        ..Content::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What sequoia's own armor reader makes of `armored`.
    fn sequoia_dearmored(armored: &[u8]) -> Vec<u8> {
        let mut binary = Vec::new();
        sequoia_openpgp::armor::Reader::from_bytes(
            armored,
            sequoia_openpgp::armor::ReaderMode::Tolerant(Some(sequoia_openpgp::armor::Kind::Message)),
        )
        .read_to_end(&mut binary)
        .unwrap();
        binary
    }

    #[test]
    fn plain_armor_is_taken_off_as_sequoia_takes_it_off_and_anything_else_is_left_to_sequoia() {
        use sequoia_openpgp::armor::{Kind, Writer};
        use std::io::Write;
        for len in [1usize, 2, 3, 47, 48, 49, 1000, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            for headers in [vec![], vec![("Comment", "made by a test"), ("Version", "x 1.0")]] {
                let mut writer = Writer::with_headers(Vec::new(), Kind::Message, headers).unwrap();
                writer.write_all(&data).unwrap();
                let armored = writer.finalize().unwrap();
                let crlf = String::from_utf8(armored.clone()).unwrap().replace('\n', "\r\n").into_bytes();
                let no_checksum: String = String::from_utf8(armored.clone())
                    .unwrap()
                    .lines()
                    .filter(|l| !(l.starts_with('=') && l.len() == 5))
                    .map(|l| format!("{l}\n"))
                    .collect();
                for form in [armored, crlf, no_checksum.into_bytes()] {
                    assert_eq!(dearmored_plainly(&form).as_deref(), Some(&data[..]), "{len} bytes");
                    assert_eq!(sequoia_dearmored(&form), data);
                    assert_eq!(dearmored(&form), data);
                }
            }
        }
        let good = {
            let mut writer = Writer::new(Vec::new(), Kind::Message).unwrap();
            writer.write_all(b"hello armor").unwrap();
            String::from_utf8(writer.finalize().unwrap()).unwrap()
        };
        let odd = [
            good.replace("-----END PGP MESSAGE-----", ""),
            good.replace("-----END PGP MESSAGE-----", "-----END PGP SIGNATURE-----"),
            good.replacen('\n', "\nComment no colon\n", 1),
            good.replacen('\n', "\n\n\n", 1),
            format!("{good}trailing words\n"),
            good.replacen("\n\n", "\n\n*", 1),
            // Bytes the alphabet does not have, and padding before the end.
            good.replacen("\n\n", "\n\nAB CD\n", 1),
            good.replacen("\n\n", "\n\nAB=C\n", 1),
            good.replacen("\n\n", "\n\nAB-_\n", 1),
            good.replacen("\n\n", "\n\n\u{e9}AB\n", 1),
        ];
        // Whatever the plain reading takes, sequoia reads the same; what it
        // leaves (these, blank lines aside) goes to sequoia.
        for text in &odd {
            if let Some(plainly) = dearmored_plainly(text.as_bytes()) {
                assert_eq!(plainly, sequoia_dearmored(text.as_bytes()), "{text}");
            }
        }
        for text in odd.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, text)| text) {
            assert_eq!(dearmored_plainly(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn armor_longer_than_a_piece_is_taken_off_whole_and_padding_before_its_end_is_refused() {
        use base64::Engine;
        let data: Vec<u8> = (0..300_000usize).map(|i| (i * 7 % 253) as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        assert!(encoded.len() > 4 * DEARMOR_PIECE);
        let armor = |body: &str, width: usize| {
            let lines: Vec<&str> = body.as_bytes().chunks(width).map(|l| std::str::from_utf8(l).unwrap()).collect();
            format!("-----BEGIN PGP MESSAGE-----\n\n{}\n-----END PGP MESSAGE-----\n", lines.join("\n"))
        };
        // Data ending in padding, the last line taking the base64 to
        // exactly a piece: that last group is decoded at the end.
        let padded_data: Vec<u8> = (0..DEARMOR_PIECE / 4 * 3 - 1).map(|i| (i * 13 % 251) as u8).collect();
        let padded = base64::engine::general_purpose::STANDARD.encode(&padded_data);
        assert!(padded.len() == DEARMOR_PIECE && padded.ends_with('='));
        assert_eq!(dearmored_plainly(armor(&padded, 64).as_bytes()), Some(padded_data));
        // Lines of 61 characters: pieces end inside a group of four.
        assert_eq!(dearmored_plainly(armor(&encoded, 61).as_bytes()), Some(data.clone()));
        assert_eq!(sequoia_dearmored(armor(&encoded, 61).as_bytes()), data);
        // Padding inside the first piece, at its very end (lines of 64
        // make the piece exactly `DEARMOR_PIECE` long), and in the last:
        // refused each time, as decoding the whole refuses it.
        for at in [1000, DEARMOR_PIECE - 4, encoded.len() - 100] {
            let padded = format!("{}QQ=={}", &encoded[..at], &encoded[at..]);
            assert_eq!(dearmored_plainly(armor(&padded, 64).as_bytes()), None, "padding at {at}");
        }
    }
    use crate::contacts::Verification;
    use crate::message::compose::sign_and_encrypt;

    fn wrap(armored: &[u8]) -> Vec<u8> {
        let mut raw = b"From: sam@client.example\r\nTo: carol@x.example\r\nSubject: ...\r\n\
            Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n\
            --b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
            --b\r\nContent-Type: application/octet-stream\r\n\r\n"
            .to_vec();
        raw.extend_from_slice(armored);
        raw.extend_from_slice(b"\r\n--b--\r\n");
        raw
    }

    /// Sam and Ada, Sam verified in Ada's contacts.
    fn sam_and_ada() -> (Cert, Cert, Contacts) {
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::Fingerprint).unwrap();
        (sam, ada, contacts)
    }

    /// A message in PGP/MIME form whose OpenPGP message is only signed (or
    /// only literal data) is not encrypted, never `undecryptable`.
    #[test]
    fn a_signed_but_not_encrypted_message_is_not_encrypted_never_undecryptable() {
        use sequoia_openpgp::serialize::stream::{LiteralWriter, Message, Signer};
        use std::io::Write;
        let (sam, ada, contacts) = sam_and_ada();
        for signed in [true, false] {
            let mut sink = Vec::new();
            let mut message = Message::new(&mut sink);
            if signed {
                message = Signer::new(message, keys::signing_key(&sam).unwrap()).unwrap().build().unwrap();
            }
            let mut literal = LiteralWriter::new(message).build().unwrap();
            literal.write_all(b"From: sam@client.example\r\n\r\nplain\r\n").unwrap();
            literal.finalize().unwrap();
            let opened = open(&wrap(&armor(&sink)), std::slice::from_ref(&ada), &contacts);
            assert_eq!(opened.status, Status::NotEncrypted, "signed: {signed}: {:?}", opened.seal);
        }
    }

    /// GnuPG 2.4's LibrePGP v5 keys sign with v5 signatures, which sealpost
    /// does not read: `unsupported`, saying so, not `tampered` or `bad`.
    #[test]
    fn a_v5_signature_is_unsupported_with_the_reason() {
        use sequoia_openpgp::serialize::stream::{ArbitraryWriter, Encryptor, LiteralWriter, Message, Recipient};
        use std::io::Write;
        let (sam, ada, contacts) = sam_and_ada();
        // A real v4 signature by Sam, its version byte made 5.
        let mut signer = keys::signing_key(&sam).unwrap();
        let signature =
            sequoia_openpgp::packet::signature::SignatureBuilder::new(sequoia_openpgp::types::SignatureType::Binary)
                .sign_message(&mut signer, b"From: sam@client.example\r\n\r\nv5\r\n")
                .unwrap();
        let mut body = sequoia_openpgp::serialize::MarshalInto::to_vec(&signature).unwrap();
        assert_eq!(body[0], 4);
        body[0] = 5;
        let recipients: Vec<Recipient> =
            keys::encryption_targets(&ada.with_policy(&POLICY, None).unwrap()).map(Recipient::from).collect();
        let mut sink = Vec::new();
        let message = Encryptor::for_recipients(Message::new(&mut sink), recipients).build().unwrap();
        let mut signature = ArbitraryWriter::new(message, Tag::Signature).unwrap();
        signature.write_all(&body).unwrap();
        let message = signature.finalize_one().unwrap().unwrap();
        let mut literal = LiteralWriter::new(message).build().unwrap();
        literal.write_all(b"From: sam@client.example\r\n\r\nv5\r\n").unwrap();
        literal.finalize().unwrap();
        let opened = open(&wrap(&armor(&sink)), &[ada], &contacts);
        assert_eq!(opened.status, Status::Unsupported, "{:?} {:?}", opened.seal, opened.failure);
        assert!(opened.failure.unwrap().contains("v5"), "the reason names it");
    }

    /// RFC 9580: a v6 key, and SEIPDv2 when every recipient's key asks for it.
    #[test]
    fn a_v6_signed_seipdv2_message_reads_verified() {
        use sequoia_openpgp::cert::{CertBuilder, CipherSuite};
        use sequoia_openpgp::Profile;
        let v6 = |userid: &str| {
            CertBuilder::general_purpose(Some(userid))
                .set_profile(Profile::RFC9580)
                .unwrap()
                .set_cipher_suite(CipherSuite::Cv25519)
                .generate()
                .unwrap()
                .0
        };
        let sam = v6("Sam <sam@client.example>");
        let ada = v6("Ada <carol@x.example>");
        assert_eq!(sam.primary_key().key().version(), 6);
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::Fingerprint).unwrap();
        let inner = b"From: sam@client.example\r\nTo: carol@x.example\r\nSubject: v6\r\n\r\nRFC 9580 body\r\n";
        let ciphertext = sign_and_encrypt(inner, &sam, &[&ada, &sam], &[&ada]).unwrap();
        let binary = dearmor(&ciphertext);
        let seipd_version = PacketParser::from_bytes(&binary)
            .ok()
            .and_then(|mut ppr| loop {
                let PacketParserResult::Some(pp) = ppr else { break None };
                if let Packet::SEIP(seip) = &pp.packet {
                    break Some(seip.version());
                }
                ppr = pp.next().ok()?.1;
            })
            .expect("an encrypted data packet");
        assert_eq!(seipd_version, 2, "SEIPDv2");
        let opened = open(&wrap(&ciphertext), &[ada], &contacts);
        assert_eq!(opened.status, Status::Verified, "{:?} {:?}", opened.seal, opened.failure);
        assert!(opened.content.unwrap().body.contains("RFC 9580 body"));
    }

    fn armor(binary: &[u8]) -> Vec<u8> {
        use sequoia_openpgp::armor::{Kind, Writer};
        let mut writer = Writer::new(Vec::new(), Kind::Message).unwrap();
        std::io::Write::write_all(&mut writer, binary).unwrap();
        writer.finalize().unwrap()
    }

    fn dearmor(armored: &[u8]) -> Vec<u8> {
        let mut binary = Vec::new();
        sequoia_openpgp::armor::Reader::from_bytes(armored, None).read_to_end(&mut binary).unwrap();
        binary
    }

    #[test]
    fn message_cut_off_anywhere_in_the_encrypted_packet_is_never_verified() {
        let (sam, ada, contacts) = sam_and_ada();
        let inner = b"From: sam@client.example\r\nSubject: Plan\r\n\r\nsee you\r\n";
        let binary = dearmor(&sign_and_encrypt(inner, &sam, &[&ada, &sam], &[&ada, &sam]).unwrap());
        let intact = open(&wrap(&armor(&binary)), std::slice::from_ref(&ada), &contacts);
        assert_eq!(intact.status, Status::Verified);
        // Every length from before the encryption container to one byte short.
        for length in 0..binary.len() {
            let opened = open(&wrap(&armor(&binary[..length])), std::slice::from_ref(&ada), &contacts);
            assert_ne!(opened.status, Status::Verified, "cut at {length}");
            assert!(opened.content.is_none(), "cut at {length}");
            assert_ne!(opened.failure.as_deref(), Some(PANIC_REASON), "opening panicked when cut at {length}");
        }
    }

    #[test]
    fn gnupg_ocb_packet_is_unsupported_not_tampered() {
        let (sam, ada, contacts) = sam_and_ada();
        let binary = dearmor(&sign_and_encrypt(b"hello", &sam, &[&ada], &[&ada]).unwrap());
        let pile = sequoia_openpgp::PacketPile::from_bytes(&binary).unwrap();
        let mut ocb = Vec::new();
        for packet in pile.children().filter(|p| p.tag() == Tag::PKESK) {
            sequoia_openpgp::serialize::Marshal::serialize(packet, &mut ocb).unwrap();
        }
        // LibrePGP "OCB Encrypted Data" (tag 20), as GnuPG writes it:
        // version 1, AES-256, OCB, chunk size 2^(6+6), a 15-byte nonce,
        // then ciphertext.
        let mut body = vec![1, 9, 2, 6];
        body.extend([0x5a; 15]);
        body.extend([0xa5; 64]);
        ocb.extend([0xc0 | 20, body.len() as u8]);
        ocb.extend(body);
        let opened = open(&wrap(&armor(&ocb)), std::slice::from_ref(&ada), &contacts);
        assert_eq!(opened.status, Status::Unsupported);
        assert!(opened.failure.as_deref().is_some_and(|f| f.contains("OCB")), "{:?}", opened.failure);
    }

    /// Sam's signed and encrypted note to Ada with this inner entity.
    fn from_sam(inner: &[u8], sam: &Cert, ada: &Cert) -> Vec<u8> {
        wrap(&sign_and_encrypt(inner, sam, &[ada, sam], &[ada, sam]).unwrap())
    }

    #[test]
    fn more_than_one_protected_from_is_malformed() {
        let (sam, ada, contacts) = sam_and_ada();
        let me = std::slice::from_ref(&ada);
        let good = b"From: sam@client.example\r\nSubject: Plan\r\n\r\nok\r\n";
        assert_eq!(open(&from_sam(good, &sam, &ada), me, &contacts).status, Status::Verified);
        for inner in [
            &b"From: sam@client.example, mallory@x.example\r\nSubject: Plan\r\n\r\nok\r\n"[..],
            b"From: mallory@x.example\r\nFrom: sam@client.example\r\nSubject: Plan\r\n\r\nok\r\n",
            b"From: sam@client.example\r\nFrom: mallory@x.example\r\nSubject: Plan\r\n\r\nok\r\n",
        ] {
            let opened = open(&from_sam(inner, &sam, &ada), me, &contacts);
            assert_eq!(opened.status, Status::Malformed, "{}", String::from_utf8_lossy(inner));
            assert!(opened.failure.as_deref().is_some_and(|f| f.contains("From")), "{:?}", opened.failure);
            assert!(opened.content.is_none());
        }
    }

    #[test]
    fn more_than_one_outer_from_is_malformed() {
        let (sam, ada, contacts) = sam_and_ada();
        let me = std::slice::from_ref(&ada);
        let good = from_sam(b"From: sam@client.example\r\nSubject: Plan\r\n\r\nok\r\n", &sam, &ada);
        let two_lines = [&b"From: mallory@x.example\r\n"[..], &good].concat();
        let two_addresses = String::from_utf8(good.clone()).unwrap().replacen(
            "From: sam@client.example",
            "From: sam@client.example, mallory@x.example",
            1,
        );
        for raw in [two_lines, two_addresses.into_bytes()] {
            let opened = open(&raw, me, &contacts);
            assert_eq!(opened.status, Status::Malformed);
            assert!(opened.failure.as_deref().is_some_and(|f| f.contains("From")), "{:?}", opened.failure);
        }
    }

    /// xorshift64: a fixed seed gives the same cases on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }

    /// One random change: a bit flip, a cut, inserted bytes, a duplicated
    /// header line, or the two MIME parts swapped.
    fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
        match rng.below(6) {
            0 | 1 => {
                let at = rng.below(bytes.len());
                if let Some(byte) = bytes.get_mut(at) {
                    *byte ^= 1 << rng.below(8);
                }
            }
            2 => bytes.truncate(rng.below(bytes.len())),
            3 => {
                let at = rng.below(bytes.len() + 1);
                let inserted: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.below(256) as u8).collect();
                bytes.splice(at..at, inserted);
            }
            4 => {
                let lines: Vec<usize> =
                    bytes.windows(2).enumerate().filter(|(_, w)| w == b"\r\n").map(|(i, _)| i + 2).collect();
                if lines.len() >= 2 {
                    let line = rng.below(lines.len() - 1);
                    let copy = bytes[lines[line]..lines[line + 1]].to_vec();
                    let at = lines[rng.below(lines.len())];
                    bytes.splice(at..at, copy);
                }
            }
            _ => {
                let text = String::from_utf8_lossy(bytes).into_owned();
                let parts: Vec<&str> = text.split("--b\r\n").collect();
                if parts.len() == 3 {
                    *bytes = [parts[0], parts[2], parts[1]].join("--b\r\n").into_bytes();
                }
            }
        }
    }

    #[test]
    fn mutated_messages_never_panic_and_never_verify_other_content() {
        let (sam, ada, contacts) = sam_and_ada();
        let me = std::slice::from_ref(&ada);
        let inner = b"From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: Plan\r\n\r\nsee you\r\n";
        let armored = sign_and_encrypt(inner, &sam, &[&ada, &sam], &[&ada, &sam]).unwrap();
        let original = open(&wrap(&armored), me, &contacts);
        assert_eq!(original.status, Status::Verified);
        let binary = dearmor(&armored);
        let plain = b"From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: hi\r\n\r\nhello\r\n".to_vec();
        let mut rng = Rng(0x5ea1_9057_2026_0001);
        let mut verified = 0;
        for case in 0..4000 {
            // Mutate the mail (headers, MIME, armor) or the OpenPGP packets.
            let raw = match rng.below(3) {
                0 => {
                    let mut packets = binary.clone();
                    for _ in 0..1 + rng.below(3) {
                        mutate(&mut rng, &mut packets);
                    }
                    wrap(&armor(&packets))
                }
                pick => {
                    let mut raw = if pick == 1 { wrap(&armored) } else { plain.clone() };
                    for _ in 0..1 + rng.below(3) {
                        mutate(&mut rng, &mut raw);
                    }
                    raw
                }
            };
            let started = std::time::Instant::now();
            let opened = open(&raw, me, &contacts);
            assert!(started.elapsed() < std::time::Duration::from_secs(2), "case {case} took too long");
            // The panic path is a safety net; a test that passes through it fails.
            assert_ne!(opened.failure.as_deref(), Some(PANIC_REASON), "case {case} panicked");
            if opened.status == Status::Verified {
                verified += 1;
                assert_eq!(opened.content_sha256, original.content_sha256, "case {case} verified other content");
            }
        }
        assert!(verified > 0, "some mutations (a duplicated outer header) leave the message verified");
    }

    #[test]
    fn signed_note_passed_on_to_someone_else_is_refused() {
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let carol = keys::generate("Carol", "carol@x.example").unwrap();
        let mut carols_contacts = Contacts::default();
        carols_contacts.add("sam", "sam@client.example", &sam).unwrap();
        carols_contacts.mark_verified("sam", Verification::Fingerprint).unwrap();
        let inner = b"From: sam@client.example\r\nSubject: for Ada only\r\n\r\nprivate\r\n";

        // Signed for Ada, then re-encrypted to Carol.
        let forwarded = sign_and_encrypt(inner, &sam, &[&ada, &sam], &[&carol]).unwrap();
        let opened = open(&wrap(&forwarded), std::slice::from_ref(&carol), &carols_contacts);
        assert_eq!(opened.seal, Seal::NotForUs);
        assert_eq!(opened.status, Status::NotForUs);
        assert!(!opened.status.content_readable());

        // The same note signed for Carol is verified.
        let direct = sign_and_encrypt(inner, &sam, &[&carol, &sam], &[&carol]).unwrap();
        assert_eq!(open(&wrap(&direct), std::slice::from_ref(&carol), &carols_contacts).status, Status::Verified);
    }
}

#[cfg(test)]
mod autocrypt_headers {
    use super::*;
    use sequoia_openpgp::serialize::SerializeInto;

    /// The key `autocrypt` takes from a message with these header lines.
    fn key_from(headers: &[String]) -> Option<Cert> {
        let raw = format!("From: Sam <sam@client.example>\r\n{}\r\n\r\nbody\r\n", headers.join("\r\n"));
        let parsed = MessageParser::default().parse(raw.as_bytes()).unwrap();
        autocrypt(&parsed, Some("sam@client.example")).map(Arc::unwrap_or_clone)
    }

    fn keydata(cert: &Cert) -> String {
        base64::engine::general_purpose::STANDARD.encode(cert.to_vec().unwrap())
    }

    #[test]
    fn addr_and_keydata_with_optional_prefer_encrypt_give_the_key() {
        let sam = keys::generate("Sam", "sam@client.example").unwrap().strip_secret_key_material();
        let key = keydata(&sam);
        for header in [
            format!("Autocrypt: addr=sam@client.example; keydata={key}"),
            format!("Autocrypt: addr=sam@client.example; prefer-encrypt=mutual; keydata={key}"),
            format!("Autocrypt: addr=Sam@Client.example; _extra=ignored; keydata={key}"),
            format!("Autocrypt: addr=sam@client.example; keydata=\r\n {}\r\n {}", &key[..40], &key[40..]),
        ] {
            assert_eq!(
                key_from(std::slice::from_ref(&header)).map(|c| c.fingerprint()),
                Some(sam.fingerprint()),
                "{header}"
            );
        }
    }

    #[test]
    fn unknown_critical_attribute_or_missing_attribute_invalidates_the_header() {
        let sam = keys::generate("Sam", "sam@client.example").unwrap().strip_secret_key_material();
        let key = keydata(&sam);
        for header in [
            format!("Autocrypt: addr=sam@client.example; type=1; keydata={key}"),
            format!("Autocrypt: addr=sam@client.example; critical=yes; keydata={key}"),
            format!("Autocrypt: keydata={key}"),
            "Autocrypt: addr=sam@client.example".to_string(),
            format!("Autocrypt: addr=other@client.example; keydata={key}"),
            format!("Autocrypt: addr=sam@client.example; addr=other@client.example; keydata={key}"),
        ] {
            assert!(key_from(std::slice::from_ref(&header)).is_none(), "{header}");
        }
    }

    #[test]
    fn more_than_one_valid_header_for_the_sender_gives_no_key() {
        let sam = keys::generate("Sam", "sam@client.example").unwrap().strip_secret_key_material();
        let other = keys::generate("Sam", "sam@client.example").unwrap().strip_secret_key_material();
        let one = format!("Autocrypt: addr=sam@client.example; keydata={}", keydata(&sam));
        let two = format!("Autocrypt: addr=sam@client.example; keydata={}", keydata(&other));
        assert!(key_from(&[one.clone(), two]).is_none());
        // An invalid or foreign header beside a valid one does not count.
        let invalid = format!("Autocrypt: addr=sam@client.example; bogus=1; keydata={}", keydata(&other));
        let foreign = format!("Autocrypt: addr=eve@x.example; keydata={}", keydata(&other));
        let found = key_from(&[invalid, one, foreign]).map(|c| c.fingerprint());
        assert_eq!(found, Some(sam.fingerprint()));
    }
}

#[cfg(test)]
mod stored_seals {
    use super::Seal;

    #[test]
    fn seals_stored_before_issuers_were_kept_still_load() {
        let old: Seal = serde_json::from_str(r#"{"kind":"unknown-signer"}"#).unwrap();
        assert_eq!(old, Seal::UnknownSigner { issuer: None });
    }
}
