//! A key announcement: after `key rotate`, a message to each verified
//! contact, signed by the old key, carrying the new public key and naming
//! its fingerprint in the protected `Sealpost-Key-Update` header.
//!
//! The receiver learns that the old key vouched for the new one; it still
//! has to verify the new key before sending to it.

use std::time::SystemTime;

use anyhow::Result;
use lettre::message::header::{self, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailboxes, MultiPart, SinglePart};
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::Cert;

use super::compose::{mailbox, seal, Envelope, Sealed};

pub const HEADER: &str = "Sealpost-Key-Update";

/// An announcement about to be sealed.
pub struct Announcement<'a> {
    pub from_name: String,
    pub from_address: String,
    pub to_address: String,
    /// The new key (public parts are taken).
    pub new_key: &'a Cert,
    /// The old key, revoked by itself (`key rotate --revoke-old`).
    pub revoked_old: Option<&'a Cert>,
    pub message_id: String,
    pub date: SystemTime,
}

/// Signed by `old` (the key the contact verified), encrypted to the
/// contact and to the old key, which the sender keeps for reading.
pub fn compose(announcement: &Announcement<'_>, old: &Cert, recipient: &Cert) -> Result<Sealed> {
    let fingerprint = announcement.new_key.fingerprint().to_hex();
    let from = mailbox(Some(&announcement.from_name), &announcement.from_address)?;
    let to = mailbox(None, &announcement.to_address)?;
    let public = announcement.new_key.clone().strip_secret_key_material();
    let text = format!(
        "I have a new key: {fingerprint}.\nThis message is signed by my old key. Please verify the new key with me \
         (safety code or fingerprint) before you write to it.\n"
    );
    let mut entity = MultiPart::mixed()
        .header(header::Subject::from("My new key".to_string()))
        .header(header::From::from(Mailboxes::from(from)))
        .header(header::To::from(Mailboxes::from(to)))
        .header(header::Date::new(announcement.date))
        .header(header::MessageId::from(announcement.message_id.clone()))
        .singlepart(SinglePart::plain(text))
        .singlepart(
            lettre::message::Attachment::new("new-key.asc".to_string())
                .body(String::from_utf8(public.armored().to_vec()?)?, ContentType::parse("application/pgp-keys")?),
        );
    if let Some(revoked) = announcement.revoked_old {
        entity = entity.singlepart(
            lettre::message::Attachment::new("revoked-old-key.asc".to_string())
                .body(String::from_utf8(revoked.armored().to_vec()?)?, ContentType::parse("application/pgp-keys")?),
        );
    }
    entity.headers_mut().insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str(HEADER), fingerprint));
    let content_type = format!("multipart/mixed; boundary=\"{}\"; protected-headers=\"v1\"", entity.boundary());
    entity.headers_mut().set(ContentType::parse(&content_type)?);
    let inner = entity.formatted();
    let envelope = Envelope::new(&announcement.from_address, &announcement.to_address, announcement.date);
    seal(&inner, &envelope, old, recipient)
}

/// The fingerprint a decrypted inner entity announces, if any.
pub fn parse(inner: &mail_parser::Message<'_>) -> Option<String> {
    let value: String = inner.header_raw(HEADER)?.split_whitespace().collect();
    Some(value.to_uppercase()).filter(|v| !v.is_empty())
}
