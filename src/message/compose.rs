//! Writing a message: inner MIME with protected headers, signed inside the
//! encryption, wrapped in `multipart/encrypted`.

use std::io::Write;
use std::time::SystemTime;

use anyhow::{anyhow, Context, Result};
use base64::Engine;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::header::{self, ContentDisposition, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, Mailboxes, MultiPart, SinglePart};
use sequoia_openpgp::armor;
use sequoia_openpgp::crypto::{Password, SessionKey, S2K};
use sequoia_openpgp::packet::skesk::SKESK4;
use sequoia_openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message, Recipient, Signer};
use sequoia_openpgp::serialize::Serialize;
use sequoia_openpgp::types::{HashAlgorithm, SymmetricAlgorithm};
use sequoia_openpgp::Cert;
use sequoia_openpgp::Packet;
use sha2::{Digest, Sha256};

use super::Attachment;
use crate::keys::{self, POLICY};

/// Everything a user wrote, before it is sealed.
#[derive(Clone, Debug)]
pub struct Draft {
    pub from_name: String,
    pub from_address: String,
    pub to_name: Option<String>,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub message_id: String,
    pub date: SystemTime,
    /// Ask the recipient for a signed read receipt.
    pub request_receipt: bool,
    /// For a reply: the Message-ID answered, and the thread (`<...>`).
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

/// A message ready for the outbox.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// The wire message.
    pub raw: Vec<u8>,
    /// SHA-256 (hex) of the plaintext inside the encryption: what a read
    /// receipt must name to prove this exact content was opened.
    pub content_sha256: String,
}

/// The wire form of `draft`, signed by `sender` (a certificate with secret
/// keys) and encrypted to `recipient` and to the sender.
pub fn compose(draft: &Draft, sender: &Cert, recipient: &Cert) -> Result<Sealed> {
    let inner = inner_entity(draft)?;
    let envelope = Envelope::new(&draft.from_address, &draft.to_address, draft.date);
    seal(&inner, &envelope, sender, recipient)
}

/// What the outer, unprotected message carries. Its Message-ID is a fresh
/// random one, not the protected one: the real Message-ID (which threads a
/// conversation) is not shown in transit, and an outer Message-ID proves
/// nothing to a reader anyway.
pub(crate) struct Envelope<'a> {
    pub from_address: &'a str,
    pub to_address: &'a str,
    pub date: SystemTime,
}

impl<'a> Envelope<'a> {
    pub fn new(from_address: &'a str, to_address: &'a str, date: SystemTime) -> Self {
        Envelope { from_address, to_address, date }
    }
}

/// Signs and encrypts the inner entity to the recipient and the sender,
/// and wraps it as PGP/MIME.
pub(crate) fn seal(inner: &[u8], envelope: &Envelope<'_>, sender: &Cert, recipient: &Cert) -> Result<Sealed> {
    let everyone = [recipient, sender];
    let ciphertext = sign_and_encrypt(inner, sender, &everyone, &everyone)?;
    wrap(inner, &ciphertext, envelope, Some(sender))
}

/// Wraps an armored OpenPGP message as PGP/MIME with the outer headers,
/// and an `Autocrypt` header with `autocrypt`'s public key when given.
pub(crate) fn wrap(
    inner: &[u8],
    ciphertext: &[u8],
    envelope: &Envelope<'_>,
    autocrypt_key: Option<&Cert>,
) -> Result<Sealed> {
    // Outside, only what delivery needs: bare addresses, no names.
    let from = mailbox(None, envelope.from_address)?;
    let to = mailbox(None, envelope.to_address)?;
    let encrypted = MultiPart::encrypted("application/pgp-encrypted".to_string())
        .singlepart(
            SinglePart::builder()
                .header(ContentType::parse("application/pgp-encrypted")?)
                .body("Version: 1\r\n".to_string()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::parse("application/octet-stream; name=\"encrypted.asc\"")?)
                .header(ContentDisposition::inline_with_name("encrypted.asc"))
                // Already in its wire form: lettre would otherwise insert
                // each `\r` into a `String` one line at a time, which is
                // quadratic in the size of the message.
                .body(Body::dangerous_pre_encoded(crlf_armor(ciphertext)?, ContentTransferEncoding::SevenBit)),
        );
    let mut message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject("...")
        .date(envelope.date)
        .message_id(Some(super::new_message_id(envelope.from_address)));
    if let Some(key) = autocrypt_key {
        message = message.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Autocrypt"),
            autocrypt(key, envelope.from_address)?,
        ));
    }
    let message = message.multipart(encrypted).map_err(|e| anyhow!("building the message: {e}"))?;
    Ok(Sealed { raw: message.formatted(), content_sha256: sha256_hex(inner) })
}

/// Armored text with CRLF line ends (linear in its size); refuses anything that is
/// not 7-bit text in lines a mail server takes (armor always is).
fn crlf_armor(armored: &[u8]) -> Result<Vec<u8>> {
    for line in armored.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        anyhow::ensure!(
            line.len() <= 998 && line.iter().all(|b| b.is_ascii() && *b != b'\r' && *b != 0),
            "the armored ciphertext is not 7-bit text in short lines"
        );
    }
    Ok(super::crlf(armored))
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox> {
    let address = address.parse().with_context(|| format!("{address:?} is not a valid address"))?;
    Ok(Mailbox::new(name.map(str::to_string).filter(|n| !n.is_empty()), address))
}

/// The MIME entity that is encrypted: protected headers, text, attachments.
fn inner_entity(draft: &Draft) -> Result<Vec<u8>> {
    let from = mailbox(Some(&draft.from_name), &draft.from_address)?;
    let to = mailbox(draft.to_name.as_deref(), &draft.to_address)?;
    let mut entity = MultiPart::mixed()
        .header(header::Subject::from(draft.subject.clone()))
        .header(header::From::from(Mailboxes::from(from)))
        .header(header::To::from(Mailboxes::from(to)))
        .header(header::Date::new(draft.date))
        .header(header::MessageId::from(draft.message_id.clone()))
        .singlepart(SinglePart::plain(draft.body.clone()));
    if let Some(parent) = &draft.in_reply_to {
        entity.headers_mut().set(header::InReplyTo::from(parent.clone()));
    }
    if !draft.references.is_empty() {
        entity.headers_mut().set(header::References::from(draft.references.join(" ")));
    }
    for attachment in &draft.attachments {
        entity = entity.singlepart(
            lettre::message::Attachment::new(attachment.name.clone())
                .body(attachment.bytes.clone(), ContentType::parse(&attachment.content_type)?),
        );
    }
    if draft.request_receipt {
        // RFC 8098: the reader's client is asked for a disposition
        // notification. Protected, so only the recipient sees the request.
        entity.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Disposition-Notification-To"),
            draft.from_address.clone(),
        ));
        // Delta Chat asks, and answers, only this form.
        entity.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Chat-Disposition-Notification-To"),
            draft.from_address.clone(),
        ));
    }
    // Mark the headers as protected (as Thunderbird and RFC 9788 readers expect).
    let content_type = format!("multipart/mixed; boundary=\"{}\"; protected-headers=\"v1\"", entity.boundary());
    entity.headers_mut().set(ContentType::parse(&content_type)?);
    Ok(entity.formatted())
}

/// Signs `plaintext` with the sender's key, naming `intended` as its intended
/// recipients, then encrypts it to `recipients`. ASCII-armored. Sealpost
/// always passes the same list twice; tests pass different ones to build a
/// forwarded message.
pub(crate) fn sign_and_encrypt(
    plaintext: &[u8],
    sender: &Cert,
    intended: &[&Cert],
    recipients: &[&Cert],
) -> Result<Vec<u8>> {
    sign_and_encrypt_with(plaintext, sender, intended, recipients, &[])
}

/// Like `sign_and_encrypt`, and also decryptable with any of `passwords`
/// (OpenPGP symmetric encryption, for the first steps of a join).
pub(crate) fn sign_and_encrypt_with(
    plaintext: &[u8],
    sender: &Cert,
    intended: &[&Cert],
    recipients: &[&Cert],
    passwords: &[Password],
) -> Result<Vec<u8>> {
    let signing = keys::signing_key(sender)?;
    let valid: Vec<_> = recipients
        .iter()
        .map(|cert| {
            cert.with_policy(&POLICY, None)
                .with_context(|| format!("the certificate {} is not valid", cert.fingerprint()))
        })
        .collect::<Result<_>>()?;
    let mut targets: Vec<Recipient> = Vec::new();
    for cert in &valid {
        let before = targets.len();
        targets.extend(keys::encryption_targets(cert).map(Recipient::from));
        if targets.len() == before {
            anyhow::bail!("the certificate {} has no usable encryption key", cert.fingerprint());
        }
    }
    let mut sink = Vec::new();
    let message = Message::new(&mut sink);
    let mut message = Armorer::new(message).kind(armor::Kind::Message).build()?;
    let message = if passwords.is_empty() {
        Encryptor::for_recipients(message, targets).build().context("encrypting")?
    } else {
        // Password slots are written here rather than by the encryptor, to
        // use the join's own key derivation (see `join_s2k`).
        let algo = SymmetricAlgorithm::AES256;
        let session_key = SessionKey::new(algo.key_size()?)?;
        for password in passwords {
            let skesk = SKESK4::with_password(algo, algo, join_s2k()?, &session_key, password)?;
            Packet::SKESK(skesk.into()).serialize(&mut message)?;
        }
        Encryptor::with_session_key(message, algo, session_key)?
            .add_recipients(targets)
            .build()
            .context("encrypting")?
    };
    let mut signer = Signer::new(message, signing)?;
    for cert in intended {
        signer = signer.add_intended_recipient(cert);
    }
    let message = signer.build().context("signing")?;
    let mut literal = LiteralWriter::new(message).build()?;
    literal.write_all(plaintext)?;
    literal.finalize()?;
    Ok(sink)
}

/// The key derivation of a join step's password slot: iterated and salted
/// SHA-256 at the lowest count OpenPGP has. The password comes from the
/// invite's 128-bit secret, so a slow derivation adds nothing against
/// guessing; it would only let a stranger's mail make `sync` slow. Readers
/// accept exactly this setting and nothing else.
pub fn join_s2k() -> Result<S2K> {
    let mut salt = [0u8; 8];
    sequoia_openpgp::crypto::random(&mut salt)?;
    Ok(S2K::Iterated { hash: HashAlgorithm::SHA256, salt, hash_bytes: JOIN_S2K_BYTES })
}

/// Bytes hashed by `join_s2k`: the lowest count OpenPGP can encode.
const JOIN_S2K_BYTES: u32 = 1024;

/// Whether `s2k` is the derivation `join_s2k` writes (any salt).
pub fn is_join_s2k(s2k: &S2K) -> bool {
    matches!(s2k, S2K::Iterated { hash: HashAlgorithm::SHA256, hash_bytes: JOIN_S2K_BYTES, .. })
}

/// `Autocrypt: addr=...; keydata=...` with a minimal public certificate,
/// for discovery by other clients only; sealpost itself never trusts it.
fn autocrypt(sender: &Cert, address: &str) -> Result<String> {
    let wanted = keys::normalize_address(address);
    let encoded = base64::engine::general_purpose::STANDARD.encode(autocrypt_key_data(sender, &wanted)?);
    // Spaces let the header fold; Autocrypt readers ignore whitespace in
    // keydata. 64 characters keep every folded line within 78.
    let folded: Vec<&str> =
        encoded.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    Ok(format!("addr={wanted}; prefer-encrypt=mutual; keydata={}", folded.join(" ")))
}

/// The key as Autocrypt Level 1 wants it: exactly the primary key, the user
/// ID for `address` with its self-signature, and the encryption subkey
/// with its binding signature; nothing else (no direct-key signature, no
/// other user IDs or subkeys, no secret parts).
pub(crate) fn autocrypt_key_data(sender: &Cert, address: &str) -> Result<Vec<u8>> {
    let valid = sender.with_policy(&POLICY, None).context("the key is not valid")?;
    let userid = valid
        .userids()
        .find(|uid| uid.userid().email().ok().flatten().map(keys::normalize_address).as_deref() == Some(address))
        .with_context(|| format!("the key has no user ID for {address}"))?;
    let subkey =
        valid.keys().subkeys().for_transport_encryption().next().context("the key has no encryption subkey")?;
    let packets: Vec<Packet> = vec![
        sender.primary_key().key().clone().take_secret().0.into(),
        userid.userid().clone().into(),
        userid.binding_signature().clone().into(),
        subkey.key().clone().take_secret().0.into(),
        subkey.binding_signature().clone().into(),
    ];
    let mut bytes = Vec::new();
    for packet in packets {
        packet.serialize(&mut bytes).context("serializing the key")?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sequoia_openpgp::packet::Tag;
    use sequoia_openpgp::parse::Parse;
    use sequoia_openpgp::PacketPile;

    fn draft() -> Draft {
        Draft {
            from_name: "Dr. Ada Moss".into(),
            from_address: "ada@practice.example".into(),
            to_name: Some("Sam Lee".into()),
            to_address: "sam@client.example".into(),
            subject: "Thursday".into(),
            body: "See you at ten.\n".into(),
            attachments: Vec::new(),
            message_id: "<m1@practice.example>".into(),
            date: SystemTime::now(),
            request_receipt: true,
            in_reply_to: None,
            references: Vec::new(),
        }
    }

    #[test]
    fn the_autocrypt_key_is_exactly_the_five_packets_level_1_asks_for() {
        let ada = keys::generate("Dr. Ada Moss", "ada@practice.example").unwrap();
        let bytes = autocrypt_key_data(&ada, "ada@practice.example").unwrap();
        let tags: Vec<Tag> = PacketPile::from_bytes(&bytes).unwrap().descendants().map(|p| p.tag()).collect();
        assert_eq!(tags, [Tag::PublicKey, Tag::UserID, Tag::Signature, Tag::PublicSubkey, Tag::Signature]);
        let cert = Cert::from_bytes(&bytes).unwrap();
        assert_eq!(cert.fingerprint(), ada.fingerprint());
        assert!(!cert.is_tsk(), "no secret parts");
        let valid = cert.with_policy(&POLICY, None).expect("valid on its own");
        assert!(valid.primary_key().for_signing(), "the primary key signs");
        assert_eq!(valid.keys().subkeys().for_transport_encryption().count(), 1);
    }

    #[test]
    fn a_receipt_is_asked_for_in_both_forms() {
        let inner = String::from_utf8(inner_entity(&draft()).unwrap()).unwrap();
        assert!(inner.contains("\r\nDisposition-Notification-To: ada@practice.example\r\n"), "{inner}");
        assert!(inner.contains("\r\nChat-Disposition-Notification-To: ada@practice.example\r\n"), "{inner}");
        let unasked = String::from_utf8(inner_entity(&Draft { request_receipt: false, ..draft() }).unwrap()).unwrap();
        assert!(!unasked.contains("Disposition-Notification-To"), "{unasked}");
    }

    #[test]
    fn outer_header_lines_stay_within_78_characters() {
        let ada = keys::generate("Dr. Ada Moss", "ada@practice.example").unwrap();
        let sam = keys::generate("Sam Lee", "sam@client.example").unwrap();
        let raw = String::from_utf8(compose(&draft(), &ada, &sam).unwrap().raw).unwrap();
        let headers = &raw[..raw.find("\r\n\r\n").unwrap()];
        assert!(headers.contains("Autocrypt: "), "{headers}");
        for line in headers.split("\r\n") {
            assert!(line.len() <= 78, "{} characters: {line}", line.len());
        }
    }
}
