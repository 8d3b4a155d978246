//! A note to the user's other devices: a message from the user to the
//! user's own address, signed by and encrypted to the user's own key only,
//! whose protected `Sealpost-Device-Sync` header names what it carries
//! (today `contacts`) and whose `application/json` part carries it.
//!
//! Only a device holding the same secret key can read one, and only a
//! signature by one of the user's own keys makes one count (see
//! `crate::devices`).

use std::time::SystemTime;

use anyhow::Result;
use lettre::message::header::{self, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailboxes, MultiPart, SinglePart};
use sequoia_openpgp::Cert;

use super::compose::{mailbox, sign_and_encrypt_with, wrap, Envelope, Sealed};
use super::Content;

pub const HEADER: &str = "Sealpost-Device-Sync";
/// What a note carries: the contacts and how they were verified.
pub const CONTACTS: &str = "contacts";
const PART_NAME: &str = "sealpost-contacts.json";

/// A note about to be sealed.
pub struct DeviceNote<'a> {
    pub name: String,
    pub address: String,
    /// The payload (JSON).
    pub json: &'a str,
    pub message_id: String,
    pub date: SystemTime,
}

/// Signed by `me` and encrypted to `me` only.
pub fn compose(note: &DeviceNote<'_>, me: &Cert) -> Result<Sealed> {
    let from = mailbox(Some(&note.name), &note.address)?;
    let to = mailbox(None, &note.address)?;
    let mut entity = MultiPart::mixed()
        .header(header::Subject::from("sealpost: contacts for your other devices".to_string()))
        .header(header::From::from(Mailboxes::from(from)))
        .header(header::To::from(Mailboxes::from(to)))
        .header(header::Date::new(note.date))
        .header(header::MessageId::from(note.message_id.clone()))
        .singlepart(SinglePart::plain(
            "Contacts pinned or verified on one of your devices, for your others. sealpost reads this itself; \
             it is signed by and encrypted to your own key only.\n"
                .to_string(),
        ))
        .singlepart(
            lettre::message::Attachment::new(PART_NAME.to_string())
                .body(note.json.to_string(), ContentType::parse("application/json")?),
        );
    entity.headers_mut().insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str(HEADER), CONTACTS.to_string()));
    let content_type = format!("multipart/mixed; boundary=\"{}\"; protected-headers=\"v1\"", entity.boundary());
    entity.headers_mut().set(ContentType::parse(&content_type)?);
    let inner = entity.formatted();
    let ciphertext = sign_and_encrypt_with(&inner, me, &[me], &[me], &[])?;
    let envelope = Envelope::new(&note.address, &note.address, note.date);
    wrap(&inner, &ciphertext, &envelope, None)
}

/// What a decrypted inner entity says it carries, if it is a device note.
pub fn parse(inner: &mail_parser::Message<'_>) -> Option<String> {
    let value: String = inner.header_raw(HEADER)?.split_whitespace().collect();
    Some(value.to_ascii_lowercase()).filter(|v| !v.is_empty())
}

/// The payload of a device note.
pub fn payload(content: &Content) -> Option<&[u8]> {
    content.attachments.iter().find(|a| a.content_type == "application/json").map(|a| a.bytes.as_slice())
}
