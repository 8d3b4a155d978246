//! What a received message says about its sender's keys.
//!
//! Anyone can write mail with any From and any Autocrypt header, so a
//! different key seen for a contact's address (in a signature or an
//! Autocrypt header) is only recorded as a sighting: it informs, and changes
//! nothing (DESIGN.md, principle 3). Two things do change a contact, because
//! they are authenticated by the pinned key itself:
//!
//! - an announcement of a new key (`key rotate`) in a message that is
//!   verified, i.e. signed by the pinned, verified key: the new key waits
//!   for the user's verification, apart from sightings;
//! - a revocation of the pinned key, signed by that key, wherever it came
//!   from (an Autocrypt header or a key carried in the message): the contact
//!   moves to `revoked` and sending is blocked.

use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::Cert;

use crate::contacts::{Contact, Contacts, SeenIn};
use crate::message::handshake;
use crate::message::{Opened, Seal, Status};

/// The contacts a message told something new about.
#[derive(Default)]
pub struct Noticed {
    /// Another key was seen for them for the first time.
    pub sighted: Vec<Contact>,
    /// Their verified key announced a new one.
    pub announced: Vec<Contact>,
    /// Their pinned key revoked itself.
    pub revoked: Vec<Contact>,
}

impl Noticed {
    pub fn is_empty(&self) -> bool {
        self.sighted.is_empty() && self.announced.is_empty() && self.revoked.is_empty()
    }

    pub fn extend(&mut self, other: Noticed) {
        self.sighted.extend(other.sighted);
        self.announced.extend(other.announced);
        self.revoked.extend(other.revoked);
    }
}

/// Records what `opened` shows about its sender's keys.
pub fn notice(contacts: &mut Contacts, opened: &Opened) -> Noticed {
    let mut noticed = Noticed::default();
    let signer = match &opened.seal {
        Seal::Signed { signer } => Some(signer.clone()),
        Seal::UnknownSigner { issuer } => issuer.clone(),
        _ => None,
    };
    // A signature by a key pinned for someone else is a from-mismatch, not
    // a new key for the sender.
    let signer = signer.filter(|fpr| !contacts.iter().any(|c| &c.fingerprint == fpr));
    if let (Some(sender), Some(fingerprint)) = (opened.sender(), signer) {
        let cert = opened.outer.autocrypt.as_deref().filter(|c| c.fingerprint().to_hex() == fingerprint);
        noticed.sighted.extend(contacts.observe(sender, &fingerprint, cert, SeenIn::Signature).cloned());
    }
    if let (Some(from), Some(cert)) = (opened.outer.from_address.as_deref(), opened.outer.autocrypt.as_deref()) {
        noticed.revoked.extend(contacts.check_revocation(from, cert).cloned());
        noticed
            .sighted
            .extend(contacts.observe(from, &cert.fingerprint().to_hex(), Some(cert), SeenIn::Autocrypt).cloned());
    }
    let (Some(content), Some(sender)) = (&opened.content, opened.sender()) else {
        return noticed;
    };
    let carried = handshake::carried_key(content);
    // A new key announced in a verified message: the pinned key vouches for
    // it, which is noted; it still waits for the user's check.
    if let (Status::Verified, Some(announced)) = (opened.status, &content.key_update) {
        if let Some(cert) = carried.as_ref().filter(|c| c.fingerprint().to_hex() == *announced) {
            noticed.announced.extend(contacts.announce(sender, cert).cloned());
        }
    }
    // Any key carried may be the pinned key revoked by itself.
    let carried_keys = content.attachments.iter().filter(|a| a.content_type == "application/pgp-keys").take(4);
    for cert in carried_keys.filter_map(|a| Cert::from_bytes(&a.bytes).ok()) {
        noticed.revoked.extend(contacts.check_revocation(sender, &cert).cloned());
    }
    noticed
}
