//! Messages on the wire: PGP/MIME (RFC 3156) with protected headers.
//!
//! `compose` turns a `Draft` into the bytes that travel: the real headers,
//! body and attachments form an inner MIME entity, which is signed and then
//! encrypted to the recipient and the sender; the outer message carries only
//! what delivery needs, a neutral Subject `...`, and an Autocrypt header.
//!
//! `open` is the reverse and the only place that decides whether a message
//! is `verified`. Opening is separated in two steps: `Seal` is what the
//! cryptography established (independent of whom the user trusts), and
//! `judge` turns a seal plus the current contact list into a `Status`. The
//! inbox keeps the seal, so a later verification of a contact is reflected
//! without re-decrypting every message.

pub mod announcement;
pub mod compose;
pub mod decryption_key;
pub mod device_sync;
pub mod handshake;
pub mod open;
pub mod quote;
pub mod receipt;

pub use compose::{compose, compose_to, Draft, Sealed};
pub use open::{judge, open, open_owned, open_owned_with, open_with, Content, Opened, Seal, Status};

/// A file carried inside the encryption.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A fresh Message-ID under the sender's domain, with 128 random bits.
pub fn new_message_id(sender_address: &str) -> String {
    let domain = sender_address.rsplit_once('@').map_or("sealpost.invalid", |(_, d)| d);
    let mut bytes = [0u8; 16];
    sequoia_openpgp::crypto::random(&mut bytes).expect("the system random source works");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}

/// `text` with every line end as CRLF.
pub(crate) fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    let mut previous = 0u8;
    for &byte in text {
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(byte);
        previous = byte;
    }
    out
}
