//! Read receipts on the wire: an RFC 8098 disposition notification
//! (`multipart/report; report-type=disposition-notification`) sealed in the
//! same signed and encrypted envelope as any message.
//!
//! Besides the standard fields (Final-Recipient, Original-Message-ID,
//! Disposition) the notification carries `Sealpost-Original-SHA256`, the
//! SHA-256 of the plaintext the reader decrypted. Signed by the reader's key,
//! it proves that this reader opened exactly that content.

use std::time::SystemTime;

use anyhow::{bail, Result};
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
    let envelope = Envelope::new(&draft.from_address, &draft.to_address, draft.date);
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
    .collect::<Result<_>>()?;
    let text = format!(
        "{} <{}> opened your message {}.\n\nThis receipt is signed by their key and names the SHA-256 of the \
         exact content they decrypted:\n{}\n",
        draft.from_name, draft.from_address, draft.original_message_id, draft.original_sha256
    );
    // RFC 8098 fields are 7-bit text; `field_line` checked every line.
    let fields = Body::dangerous_pre_encoded(fields.into_bytes(), ContentTransferEncoding::SevenBit);
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

/// One `Name: value` line (CRLF), the value folded onto a continuation
/// line when the line would be long. Refuses what 7-bit transport cannot
/// carry, and line breaks that would forge another field.
fn field_line(name: &str, value: &str) -> Result<String> {
    if !value.is_ascii() || value.chars().any(|c| c.is_ascii_control()) || value.len() > 900 {
        bail!("cannot write a read receipt: the {name} field would not be plain 7-bit text");
    }
    Ok(if name.len() + value.len() + 2 < 76 {
        format!("{name}: {value}\r\n")
    } else {
        format!("{name}:\r\n {value}\r\n")
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(original: &str) -> ReceiptDraft {
        ReceiptDraft {
            from_name: "Sam Lee".to_string(),
            from_address: "sam@client.example".to_string(),
            to_address: "ada@practice.example".to_string(),
            original_message_id: original.to_string(),
            original_subject: Some("Plan".to_string()),
            original_sha256: "ab".repeat(32),
            sending: Sending::Manually,
            message_id: "<r1@client.example>".to_string(),
            date: SystemTime::now(),
        }
    }

    #[test]
    fn a_composed_report_parses_back_with_long_values_unfolded() {
        let long_id = format!("<{}@{}.example>", "f".repeat(40), "a-rather-long-practice-domain");
        let inner = inner_entity(&draft(&long_id)).unwrap();
        let text = String::from_utf8(inner.clone()).unwrap();
        assert!(text.lines().all(|l| l.len() < 998), "{text}");
        let parsed = MessageParser::default().parse(&inner).unwrap();
        let report = parse(&parsed).expect("a disposition notification");
        assert_eq!(report.original_message_id.as_deref(), Some(long_id.as_str()));
        assert_eq!(report.original_sha256, Some("ab".repeat(32)));
        assert_eq!(report.final_recipient.as_deref(), Some("rfc822; sam@client.example"));
        assert_eq!(report.disposition.as_deref(), Some("manual-action/MDN-sent-manually; displayed"));
        assert!(report.displayed());
    }

    #[test]
    fn only_displayed_counts_as_read() {
        let with = |d: &str| Report { disposition: Some(d.to_string()), ..Report::default() };
        assert!(with("automatic-action/MDN-sent-automatically; displayed").displayed());
        assert!(!with("manual-action/MDN-sent-manually; deleted").displayed());
        assert!(!Report::default().displayed());
    }

    #[test]
    fn an_ordinary_message_is_not_a_report() {
        let plain = b"From: a@b.example\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
        assert_eq!(parse(&MessageParser::default().parse(plain).unwrap()), None);
    }
}
