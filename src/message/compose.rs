//! Writing a message: inner MIME with protected headers, signed inside the
//! encryption, wrapped in `multipart/encrypted`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::{anyhow, bail, Context, Result};
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
    let mut raw = Vec::new();
    let content_sha256 = compose_to(draft, sender, recipient, &mut raw)?;
    Ok(Sealed { raw, content_sha256 })
}

/// Like `compose`, written to `out` as it is made, so no form of a large
/// message (attachments in base64, the plaintext entity, the ciphertext,
/// its armor) is ever whole in memory: each step is a stream into the next
/// (the attachments themselves are the draft's). Returns the SHA-256 (hex)
/// of the plaintext entity.
pub fn compose_to(draft: &Draft, sender: &Cert, recipient: &Cert, out: &mut dyn Write) -> Result<String> {
    let inner = InnerEntity::new(draft)?;
    let envelope = Envelope::new(&draft.from_address, &draft.to_address, draft.date);
    seal_to(&|feed| inner.write(feed), &envelope, sender, recipient, out)
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
    let mut raw = Vec::new();
    let content_sha256 = seal_to(&|feed| feed(inner), envelope, sender, recipient, &mut raw)?;
    Ok(Sealed { raw, content_sha256 })
}

/// Hands the bytes of an inner entity, in order, to a feed.
type Feed<'f> = dyn FnMut(&[u8]) -> Result<()> + 'f;

/// `seal`, streaming: `inner` feeds the entity, which is hashed, signed,
/// encrypted, armored and written to `out` inside the PGP/MIME wrapper as
/// it comes. Returns the SHA-256 (hex) of the entity.
fn seal_to(
    inner: &dyn Fn(&mut Feed<'_>) -> Result<()>,
    envelope: &Envelope<'_>,
    sender: &Cert,
    recipient: &Cert,
    out: &mut dyn Write,
) -> Result<String> {
    let everyone = [recipient, sender];
    let wrapper = Wrapper::new(envelope, Some(sender))?;
    out.write_all(&wrapper.head)?;
    let spool = Spool::default();
    let mut literal = encrypting_writer(spool.clone(), sender, &everyone, &everyone, &[])?;
    let mut hasher = Sha256::new();
    {
        let mut armor = CrlfArmor { out: &mut *out, line: 0 };
        inner(&mut |bytes: &[u8]| {
            hasher.update(bytes);
            literal.write_all(bytes)?;
            spool.drain_into(&mut armor)
        })?;
        literal.finalize()?;
        spool.drain_into(&mut armor)?;
    }
    out.write_all(&wrapper.tail)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Wraps an armored OpenPGP message as PGP/MIME with the outer headers,
/// and an `Autocrypt` header with `autocrypt`'s public key when given.
pub(crate) fn wrap(
    inner: &[u8],
    ciphertext: &[u8],
    envelope: &Envelope<'_>,
    autocrypt_key: Option<&Cert>,
) -> Result<Sealed> {
    let wrapper = Wrapper::new(envelope, autocrypt_key)?;
    let mut raw = wrapper.head;
    CrlfArmor { out: &mut raw, line: 0 }.write_all(ciphertext)?;
    raw.extend_from_slice(&wrapper.tail);
    Ok(Sealed { raw, content_sha256: sha256_hex(inner) })
}

/// The PGP/MIME message around the armored ciphertext: what comes before
/// it and what after, as lettre writes them.
struct Wrapper {
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Wrapper {
    fn new(envelope: &Envelope<'_>, autocrypt_key: Option<&Cert>) -> Result<Wrapper> {
        // Outside, only what delivery needs: bare addresses, no names.
        let from = mailbox(None, envelope.from_address)?;
        let to = mailbox(None, envelope.to_address)?;
        let marker = Marker::new()?;
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
                    // The armored ciphertext goes where the marker is, in
                    // its wire form already (see `CrlfArmor`).
                    .body(Body::dangerous_pre_encoded(marker.0.clone(), ContentTransferEncoding::SevenBit)),
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
        match marker.split(&message.formatted())[..] {
            [head, tail] => Ok(Wrapper { head: head.to_vec(), tail: tail.to_vec() }),
            _ => bail!("building the message: the ciphertext's place was not found once"),
        }
    }
}

/// A random token put where a large body goes while lettre writes the
/// MIME structure around it; what lettre wrote is then split at it and
/// the body streamed in between. 128 random bits: no text a user writes
/// contains it by chance.
struct Marker(Vec<u8>);

impl Marker {
    fn new() -> Result<Marker> {
        let mut random = [0u8; 16];
        sequoia_openpgp::crypto::random(&mut random)?;
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Marker(format!("SEALPOST-BODY-{hex}").into_bytes()))
    }

    /// `text` cut at every place of the marker.
    fn split<'t>(&self, text: &'t [u8]) -> Vec<&'t [u8]> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.windows(self.0.len()).position(|w| w == self.0) {
            parts.push(&rest[..at]);
            rest = &rest[at + self.0.len()..];
        }
        parts.push(rest);
        parts
    }
}

/// Takes the armor sequoia writes (LF line ends) and writes it with CRLF
/// line ends, as it goes; refuses anything that is not 7-bit text in lines
/// a mail server takes (armor always is).
struct CrlfArmor<'o> {
    out: &'o mut dyn Write,
    /// The length of the line being written.
    line: usize,
}

impl Write for CrlfArmor<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = rest.iter().position(|b| *b == b'\n');
            let text = &rest[..end.unwrap_or(rest.len())];
            self.line += text.len();
            if self.line > 998 || !text.iter().all(|b| b.is_ascii() && *b != b'\r' && *b != 0) {
                return Err(std::io::Error::other("the armored ciphertext is not 7-bit text in short lines"));
            }
            self.out.write_all(text)?;
            match end {
                Some(at) => {
                    self.out.write_all(b"\r\n")?;
                    self.line = 0;
                    rest = &rest[at + 1..];
                }
                None => rest = &[],
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Where sequoia's writer stack writes (it must own a sink that can be
/// sent between threads); whoever feeds the stack drains it after each
/// write, so it holds one step's output at most.
#[derive(Clone, Default)]
struct Spool(Arc<Mutex<Vec<u8>>>);

impl Spool {
    fn drain_into(&self, out: &mut dyn Write) -> Result<()> {
        let bytes = std::mem::take(&mut *self.0.lock().map_err(|_| anyhow!("a writer failed"))?);
        out.write_all(&bytes)?;
        Ok(())
    }

    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }
}

impl Write for Spool {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("a writer failed"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

pub(crate) fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox> {
    let address = address.parse().with_context(|| format!("{address:?} is not a valid address"))?;
    Ok(Mailbox::new(name.map(str::to_string).filter(|n| !n.is_empty()), address))
}

/// The MIME entity that is encrypted: protected headers, text,
/// attachments. lettre writes its structure with a marker in place of each
/// attachment's body; `write` streams each attachment in base64 there.
struct InnerEntity<'d> {
    template: Vec<u8>,
    marker: Marker,
    attachments: &'d [Attachment],
}

impl<'d> InnerEntity<'d> {
    fn new(draft: &'d Draft) -> Result<InnerEntity<'d>> {
        let marker = Marker::new()?;
        let template = inner_entity(draft, &marker)?;
        Ok(InnerEntity { template, marker, attachments: &draft.attachments })
    }

    fn write(&self, feed: &mut Feed<'_>) -> Result<()> {
        let parts = self.marker.split(&self.template);
        anyhow::ensure!(
            parts.len() == self.attachments.len() + 1,
            "building the message: an attachment's place was not found"
        );
        feed(parts[0])?;
        for (attachment, after) in self.attachments.iter().zip(&parts[1..]) {
            write_base64(&attachment.bytes, feed)?;
            feed(after)?;
        }
        Ok(())
    }
}

/// `bytes` in base64 as lettre writes it (lines of 76 characters joined by
/// CRLF, none after the last), a thousand lines at a time.
fn write_base64(bytes: &[u8], feed: &mut Feed<'_>) -> Result<()> {
    const LINE: usize = 57;
    let mut text = Vec::with_capacity(1024 * 78);
    for (i, group) in bytes.chunks(LINE * 1024).enumerate() {
        text.clear();
        for (j, line) in group.chunks(LINE).enumerate() {
            if i > 0 || j > 0 {
                text.extend_from_slice(b"\r\n");
            }
            let at = text.len();
            text.resize(at + line.len().div_ceil(3) * 4, 0);
            base64::engine::general_purpose::STANDARD
                .encode_slice(line, &mut text[at..])
                .map_err(|e| anyhow!("encoding an attachment: {e}"))?;
        }
        feed(&text)?;
    }
    Ok(())
}

/// The inner entity with `marker` where each attachment's body goes.
fn inner_entity(draft: &Draft, marker: &Marker) -> Result<Vec<u8>> {
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
        entity = entity.singlepart(lettre::message::Attachment::new(attachment.name.clone()).body(
            Body::dangerous_pre_encoded(marker.0.clone(), ContentTransferEncoding::Base64),
            ContentType::parse(&attachment.content_type)?,
        ));
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
/// always passes the same list twice (in `seal_to`); tests pass different
/// ones to build a forwarded message.
#[cfg(test)]
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
    let spool = Spool::default();
    let mut literal = encrypting_writer(spool.clone(), sender, intended, recipients, passwords)?;
    literal.write_all(plaintext)?;
    literal.finalize()?;
    Ok(spool.take())
}

/// The writer stack that signs what is written to it with the sender's
/// key, naming `intended` as its intended recipients, encrypts it to
/// `recipients` (and `passwords`) and armors it into `sink`.
fn encrypting_writer<'a>(
    sink: Spool,
    sender: &'a Cert,
    intended: &[&Cert],
    recipients: &'a [&'a Cert],
    passwords: &[Password],
) -> Result<Message<'a>> {
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
    let message = Message::new(sink);
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
    LiteralWriter::new(message).build()
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
    use crate::message::Attachment;
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
        let inner = String::from_utf8(inner_entity(&draft(), &Marker::new().unwrap()).unwrap()).unwrap();
        assert!(inner.contains("\r\nDisposition-Notification-To: ada@practice.example\r\n"), "{inner}");
        assert!(inner.contains("\r\nChat-Disposition-Notification-To: ada@practice.example\r\n"), "{inner}");
        let unasked = String::from_utf8(
            inner_entity(&Draft { request_receipt: false, ..draft() }, &Marker::new().unwrap()).unwrap(),
        )
        .unwrap();
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

    #[test]
    fn attachments_are_streamed_in_base64_lines_a_mail_reader_decodes() {
        let pdf: Vec<u8> = (0..300_001u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let draft = Draft {
            attachments: vec![
                Attachment { name: "notes.pdf".into(), content_type: "application/pdf".into(), bytes: pdf.clone() },
                Attachment { name: "empty.txt".into(), content_type: "text/plain".into(), bytes: Vec::new() },
            ],
            ..draft()
        };
        let inner = InnerEntity::new(&draft).unwrap();
        let mut entity = Vec::new();
        inner
            .write(&mut |bytes| {
                entity.extend_from_slice(bytes);
                Ok(())
            })
            .unwrap();
        assert!(entity.split(|b| *b == b'\n').all(|line| line.len() <= 78), "lines a server takes");
        let parsed = mail_parser::MessageParser::default().parse(&entity).unwrap();
        let attachments: Vec<_> = parsed.attachments().collect();
        assert_eq!(attachments.len(), 2);
        assert!(attachments[0].contents() == pdf, "the attachment decodes to its bytes");
        assert!(entity.windows(9).any(|w| w == b"notes.pdf"));
        assert!(attachments[1].contents().is_empty());
        assert_eq!(parsed.body_text(0).unwrap().trim_end(), "See you at ten.");
    }
}
