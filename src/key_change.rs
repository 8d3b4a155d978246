//! Noticing that a contact's key changed.
//!
//! A message from a pinned address that is signed by another key, or that
//! carries another key in its Autocrypt header, moves the contact to
//! `changed`: sending to it is refused until the user verifies the new key
//! or confirms the pinned one. Nothing from a message ever replaces a pinned
//! key; the different key is only kept as a candidate to verify.
//!
//! Because the Autocrypt header is outside the encryption, anyone can make a
//! contact `changed` by sending mail in its name. That blocks sending until
//! the user checks, which is the safe direction to fail in.

use crate::contacts::{Contact, Contacts, Sighting};
use crate::message::handshake;
use crate::message::{Opened, Seal, Status};

/// Records every different key `opened` shows for its sender's address.
/// Returns the contacts that moved to `changed` because of it.
pub fn notice(contacts: &mut Contacts, opened: &Opened) -> Vec<Contact> {
    let mut changed = Vec::new();
    let signer = match &opened.seal {
        Seal::Signed { signer } => Some(signer.clone()),
        Seal::UnknownSigner { issuer } => issuer.clone(),
        _ => None,
    };
    // A signature by a key pinned for someone else is a from-mismatch, not
    // a new key for the sender.
    let signer = signer.filter(|fpr| !contacts.iter().any(|c| &c.fingerprint == fpr));
    if let (Some(sender), Some(fingerprint)) = (opened.sender(), signer) {
        let cert = opened.outer.autocrypt.as_ref().filter(|c| c.fingerprint().to_hex() == fingerprint);
        if let Some(contact) = contacts.observe(sender, &fingerprint, cert, Sighting::Signature) {
            changed.push(contact.clone());
        }
    }
    if let (Some(from), Some(cert)) = (opened.outer.from_address.as_deref(), opened.outer.autocrypt.as_ref()) {
        if let Some(contact) = contacts.observe(from, &cert.fingerprint().to_hex(), Some(cert), Sighting::Autocrypt) {
            changed.push(contact.clone());
        }
    }
    // A new key announced in a verified message: the pinned key vouches
    // for it, which is noted, and it still waits for the user's check.
    if let (Status::Verified, Some(content), Some(sender)) = (opened.status, &opened.content, opened.sender()) {
        if let Some(announced) = &content.key_update {
            let cert = handshake::carried_key(content).filter(|c| c.fingerprint().to_hex() == *announced);
            if let Some(cert) = cert {
                if let Some(contact) = contacts.observe(sender, announced, Some(&cert), Sighting::Announcement) {
                    changed.push(contact.clone());
                }
            }
        }
    }
    changed
}
