//! Read receipts on the wire: an RFC 8098 disposition notification
//! (`multipart/report; report-type=disposition-notification`) sealed in the
//! same signed and encrypted envelope as any message.
//!
//! Besides the standard fields (Final-Recipient, Original-Message-ID,
//! Disposition) the notification carries `Sealpost-Original-SHA256`, the
//! SHA-256 of the plaintext the reader decrypted. Signed by the reader's key,
//! it proves that this reader opened exactly that content.

use std::time::SystemTime;

use anyhow::{anyhow, Result};
use lettre::message::header::{self, ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailboxes, MultiPart, SinglePart};
use mail_parser::{MessageParser, MimeHeaders};
use sequoia_openpgp::Cert;
use serde::{Deserialize, Serialize};

use super::compose::{mailbox, seal, Envelope, Sealed};

/// The extension field holding the digest of the original's plaintext.
pub const DIGEST_FIELD: &str = "Sealpost-Original-SHA256";

/// How the receipt came to be sent (RFC 8098 sending-mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sending {
    /// The reader's setting sends receipts without asking each time.
    Automatically,
    /// The reader said yes to this one.
    Manually,
}

/// A receipt about to be sealed.
#[derive(Clone, Debug)]
pub struct ReceiptDraft {
    pub from_name: String,
    pub from_address: String,
    pub to_address: String,
    pub original_message_id: String,
    pub original_subject: Option<String>,
    /// SHA-256 (hex) of the original's plaintext, as decrypted.
    pub original_sha256: String,
    pub sending: Sending,
    pub message_id: String,
    pub date: SystemTime,
}

/// What a received disposition notification says. Every field is as found;
/// checking it against what was sent is the receiver's job.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub original_message_id: Option<String>,
    pub final_recipient: Option<String>,
    pub disposition: Option<String>,
    pub original_sha256: Option<String>,
}

impl Report {
    /// Whether the disposition says the message was displayed (RFC 8098
    /// disposition-type `displayed`), as opposed to e.g. `deleted`.
    pub fn displayed(&self) -> bool {
        self.disposition
            .as_deref()
            .and_then(|d| d.rsplit(';').next())
            .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("displayed"))
    }
}

/// The wire form of a receipt, signed by `sender` (the reader) and encrypted
/// to `recipient` (the original's sender) and to the reader.
pub fn compose(draft: &ReceiptDraft, sender: &Cert, recipient: &Cert) -> Result<Sealed> {
    let inner = inner_entity(draft)?;
    let envelope = Envelope {
        from_address: &draft.from_address,
        to_address: &draft.to_address,
        message_id: &draft.message_id,
        date: draft.date,
    };
    seal(&inner, &envelope, sender, recipient)
}

/// The MIME entity inside the encryption: protected headers, a sentence for
/// people, and the machine-readable notification.
pub fn inner_entity(draft: &ReceiptDraft) -> Result<Vec<u8>> {
    let from = mailbox(Some(&draft.from_name), &draft.from_address)?;
    let to = mailbox(None, &draft.to_address)?;
    let subject = match &draft.original_subject {
        Some(s) if !s.is_empty() => format!("Read: {s}"),
        _ => "Read receipt".to_string(),
    };
    let sending = match draft.sending {
        Sending::Automatically => "MDN-sent-automatically",
        Sending::Manually => "MDN-sent-manually",
    };
    let fields: String = [
        ("Reporting-UA", format!("sealpost; sealpost {}", env!("CARGO_PKG_VERSION"))),
        ("Final-Recipient", format!("rfc822; {}", draft.from_address)),
        ("Original-Message-ID", draft.original_message_id.clone()),
        ("Disposition", format!("manual-action/{sending}; displayed")),
        (DIGEST_FIELD, draft.original_sha256.clone()),
    ]
    .iter()
    .map(|(name, value)| field_line(name, value))
    .collect();
    let text = format!(
        "{} <{}> opened your message {}.\n\nThis receipt is signed by their key and names the SHA-256 of the \
         exact content they decrypted:\n{}\n",
        draft.from_name, draft.from_address, draft.original_message_id, draft.original_sha256
    );
    // RFC 8098 fields are 7-bit; lettre turns the line ends into CRLF.
    let fields = Body::new_with_encoding(fields, ContentTransferEncoding::SevenBit)
        .map_err(|_| anyhow!("a receipt field is not 7-bit text (a non-ASCII address?)"))?;
    let mut entity = MultiPart::mixed()
        .header(header::Subject::from(subject))
        .header(header::From::from(Mailboxes::from(from)))
        .header(header::To::from(Mailboxes::from(to)))
        .header(header::Date::new(draft.date))
        .header(header::MessageId::from(draft.message_id.clone()))
        .header(header::InReplyTo::from(draft.original_message_id.clone()))
        .header(header::References::from(draft.original_message_id.clone()))
        .singlepart(SinglePart::plain(text))
        .singlepart(SinglePart::builder().header(ContentType::parse("message/disposition-notification")?).body(fields));
    let content_type = format!(
        "multipart/report; report-type=disposition-notification; boundary=\"{}\"; protected-headers=\"v1\"",
        entity.boundary()
    );
    entity.headers_mut().set(ContentType::parse(&content_type)?);
    Ok(entity.formatted())
}

/// One `Name: value` line, with the value folded onto a continuation line
/// when the line would be too long for 7-bit transport.
fn field_line(name: &str, value: &str) -> String {
    if name.len() + value.len() + 2 < 76 {
        format!("{name}: {value}\n")
    } else {
        format!("{name}:\n {value}\n")
    }
}

/// The report inside a decrypted inner entity, when the entity is a
/// disposition notification report; `None` for any other message.
pub fn parse(inner: &mail_parser::Message<'_>) -> Option<Report> {
    let is_report = inner.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|t| t.eq_ignore_ascii_case("disposition-notification"))
    });
    if !is_report {
        return None;
    }
    let notification = inner.parts.iter().find(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("disposition-notification"))
        })
    });
    let Some(notification) = notification else {
        return Some(Report::default());
    };
    let Some(fields) = MessageParser::default().parse_headers(notification.contents()) else {
        return Some(Report::default());
    };
    // Unfold: a value may continue on the next line.
    let field = |name: &str| {
        fields.header_raw(name).map(|v| v.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|v| !v.is_empty())
    };
    Some(Report {
        original_message_id: field("Original-Message-ID"),
        final_recipient: field("Final-Recipient"),
        disposition: field("Disposition"),
        original_sha256: field(DIGEST_FIELD).map(|d| d.to_ascii_lowercase()),
    })
}
