//! Contacts and their pinned keys.
//!
//! A contact is an alias, an address and one pinned certificate. A pin
//! starts `unverified` (the key is known, nothing vouches for it) and becomes
//! `verified` only through an out-of-band check: the safety code read aloud,
//! or the fingerprint read over the phone. Only verified contacts can be
//! written to, and only their signatures make a message `verified`.
//!
//! Mail can claim any From and carry any Autocrypt header, so a different key
//! seen for a contact's address is only a *sighting*: kept on the contact and
//! shown as a notice, never acted on. It neither replaces nor un-verifies the
//! pin, and sending to the verified key goes on (only its holder can read
//! it). What changes a pin is authenticated: the user's own verification, an
//! invite handshake, or a revocation signed by the pinned key itself, which
//! moves the contact to `revoked` and blocks sending (the key may be in
//! someone else's hands). A key the pinned key announced (`key rotate`) is
//! kept apart from sightings, so a stranger's header cannot displace it.
//!
//! The contact list itself is confidential (who is a client is health
//! information), so it lives in the encrypted store.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::types::RevocationStatus;
use sequoia_openpgp::{Cert, Fingerprint};
use serde::{Deserialize, Serialize};

use crate::error::Refusal;
use crate::keys;
use crate::sanitize;
use crate::store::Store;

const CONTACTS: &str = "contacts.age";

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PinState {
    Unverified,
    Verified,
    /// The pinned key revoked itself: sending is blocked until a new key is
    /// verified.
    Revoked,
    /// Written by earlier releases, where unauthenticated mail could block a
    /// contact. Turned into a sighting when the contacts are loaded; no
    /// contact is in this state afterwards.
    Changed,
}

impl std::fmt::Display for PinState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PinState::Unverified => "unverified",
            PinState::Verified => "verified",
            PinState::Revoked => "revoked",
            PinState::Changed => "changed",
        })
    }
}

/// How a pin was verified.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    SafetyCode,
    Fingerprint,
    /// An invite code handed over in person, and the join handshake.
    Invite,
}

impl Verification {
    pub fn describe(self) -> &'static str {
        match self {
            Verification::SafetyCode => "safety code",
            Verification::Fingerprint => "fingerprint",
            Verification::Invite => "invite code",
        }
    }
}

/// Where a different key for a contact's address was seen.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SeenIn {
    /// A message from the address was signed by it.
    Signature,
    /// A message from the address carried it in its Autocrypt header.
    Autocrypt,
    /// The contact announced it in a message signed by the pinned key.
    Announcement,
}

impl SeenIn {
    pub fn describe(self) -> &'static str {
        match self {
            SeenIn::Signature => "in the signature of a message",
            SeenIn::Autocrypt => "in the Autocrypt header of a message",
            SeenIn::Announcement => "announced in a message signed by the pinned key",
        }
    }
}

/// A different key seen for a contact: kept to be verified, never used.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub fingerprint: String,
    /// The certificate, when the message carried it (armored).
    pub cert: Option<String>,
    /// When it was first seen.
    pub seen_at: u64,
    pub how: SeenIn,
}

/// Sightings kept per contact: anyone can send mail naming a contact, so
/// the list is bounded; the oldest give way.
const MAX_SIGHTINGS: usize = 4;

/// Key-history events for sightings kept per contact, and how they start.
const MAX_SIGHTING_EVENTS: usize = 16;
const SEEN_EVENT: &str = "seen ";

/// One line of a contact's key history.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    pub at: u64,
    pub fingerprint: String,
    pub event: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Contact {
    pub alias: String,
    pub address: String,
    /// The pinned certificate, armored.
    pub cert: String,
    pub fingerprint: String,
    pub state: PinState,
    pub added_at: u64,
    pub verified_at: Option<u64>,
    pub verified_by: Option<Verification>,
    /// Different keys seen for this address in unauthenticated mail, newest
    /// last. They inform; they change nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sightings: Vec<Sighting>,
    /// A new key announced in a message signed by the pinned key, waiting
    /// for the user's verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announced: Option<Sighting>,
    /// When the pinned key revoked itself, and why (state `revoked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// The one different key of a `changed` contact, as earlier releases
    /// kept it; moved to `sightings` (or `announced`) when loaded.
    #[serde(default, rename = "candidate", skip_serializing)]
    legacy_candidate: Option<Sighting>,
    /// Every key event, oldest first.
    #[serde(default)]
    pub history: Vec<KeyEvent>,
    /// The client's consent to electronic messaging, as recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// A legal hold (when it was set): `forget` refuses the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<u64>,
    /// How long this contact's records are kept (`10y`, `none`), instead
    /// of the practice's `retention`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
}

/// A client's consent to electronic messaging.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    /// The day the client consented (YYYY-MM-DD), as the user gave it.
    pub date: String,
    /// The terms or a reference to the signed form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was recorded (Unix time).
    pub recorded_at: u64,
}

/// What is left of a contact whose records were disposed of (`forget`):
/// nothing that names them, only what shows that records existed and when
/// they were destroyed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Tombstone {
    /// SHA-256 (hex) of the normalized address: a practice asked about an
    /// address can tell whether it disposed of its records.
    pub address_sha256: String,
    /// When the contact was added, and the first and last message (Unix).
    pub added_at: u64,
    pub first_message_at: Option<u64>,
    pub last_message_at: Option<u64>,
    pub received: u64,
    pub sent: u64,
    /// When, and by whom (the clinician's key fingerprint).
    pub forgotten_at: u64,
    pub forgotten_by: String,
    /// Messages deleted from the mail server too (`forget --server`).
    #[serde(default)]
    pub deleted_on_server: u64,
}

/// A contact as the user's other device has it (see `crate::devices`).
pub struct FromDevice {
    pub alias: String,
    pub address: String,
    pub cert: Cert,
    pub state: PinState,
    pub verified_at: Option<u64>,
    pub verified_by: Option<Verification>,
}

/// A revocation of the pinned key, signed by that key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub at: u64,
    /// The reason the key's owner gave, as text.
    pub reason: String,
}

impl Contact {
    pub fn cert(&self) -> Result<Cert> {
        Cert::from_bytes(self.cert.as_bytes()).with_context(|| format!("reading the pinned key of {}", self.alias))
    }

    pub fn fingerprint(&self) -> Result<Fingerprint> {
        self.fingerprint.parse().context("reading a pinned fingerprint")
    }

    /// The key waiting for the user's check: an announced one first, else
    /// the newest sighting.
    pub fn key_in_question(&self) -> Option<&Sighting> {
        self.announced.as_ref().or(self.sightings.last())
    }

    /// The notice `send`, `read` and `sync` print while a different key is
    /// about: it informs and names the command that verifies it.
    pub fn sighting_notice(&self) -> Option<String> {
        let seen = self.key_in_question()?;
        Some(format!(
            "another key was seen for {} <{}> on {} ({}): {}; the verified key {} is still the one used. If {} \
             has a new device, verify the new key with them: `sealpost contact verify {}`",
            self.alias,
            self.address,
            day(seen.seen_at),
            seen.how.describe(),
            group_hex(&seen.fingerprint),
            group_hex(&self.fingerprint),
            self.alias,
            self.alias
        ))
    }

    /// The key history; contacts pinned before history was kept start with
    /// their pinning.
    pub fn key_history(&self) -> Vec<KeyEvent> {
        if !self.history.is_empty() {
            return self.history.clone();
        }
        let mut events =
            vec![KeyEvent { at: self.added_at, fingerprint: self.fingerprint.clone(), event: "pinned".to_string() }];
        if let (Some(at), Some(how)) = (self.verified_at, self.verified_by) {
            events.push(KeyEvent {
                at,
                fingerprint: self.fingerprint.clone(),
                event: format!("verified by {}", how.describe()),
            });
        }
        events
    }

    fn record(&mut self, fingerprint: &str, event: String) {
        self.history = self.key_history();
        self.history.push(KeyEvent { at: now(), fingerprint: fingerprint.to_string(), event });
    }
}

/// Pinned certificates parsed so far, by fingerprint: the armored text
/// they were parsed from (a new pin is parsed again), and the result.
type ParsedCerts = std::collections::HashMap<String, (String, Option<Arc<Cert>>)>;

/// The user's contacts, loaded from and saved to the store.
#[derive(Serialize, Deserialize, Default)]
pub struct Contacts {
    contacts: Vec<Contact>,
    /// Pinned certificates as parsed, by fingerprint, with the armored form
    /// they were parsed from: each is parsed once per command, however many
    /// messages are checked, and again only when its armored form changed.
    /// A mutex, not a cell, so that contacts stay shareable between threads.
    #[serde(skip)]
    parsed: std::sync::Mutex<ParsedCerts>,
    /// Contacts whose records were disposed of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tombstones: Vec<Tombstone>,
    /// Only in a snapshot (`frozen`): the pinned certificates by the key ID
    /// of each of their keys, so that finding a signature's issuer does not
    /// scan every contact for every message.
    #[serde(skip)]
    by_key_id: Option<std::collections::HashMap<sequoia_openpgp::KeyID, Vec<Arc<Cert>>>>,
}

/// A copy as the contacts stand, parsed certificates included (a sync
/// opens the next batch against one while it stores the batch before).
impl Clone for Contacts {
    fn clone(&self) -> Contacts {
        let parsed = self.parsed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        Contacts {
            contacts: self.contacts.clone(),
            parsed: std::sync::Mutex::new(parsed),
            tombstones: self.tombstones.clone(),
            // A copy may change: it scans, as contacts that change do.
            by_key_id: None,
        }
    }
}

impl Contacts {
    pub fn load(store: &Store) -> Result<Contacts> {
        let mut contacts: Contacts = store.read(CONTACTS)?.unwrap_or_default();
        contacts.migrate();
        Ok(contacts)
    }

    /// Earlier releases moved a contact to `changed` on any different key,
    /// even one from unauthenticated mail, and blocked sending. That key is
    /// now a sighting, and the contact is what it was before: verified when
    /// the user had verified it.
    fn migrate(&mut self) {
        for contact in &mut self.contacts {
            let Some(candidate) = contact.legacy_candidate.take() else {
                if contact.state == PinState::Changed {
                    contact.state = previous_state(contact);
                }
                continue;
            };
            if contact.state == PinState::Changed {
                contact.state = previous_state(contact);
                let event = format!(
                    "no longer blocked: the key seen {} is kept as a sighting, not verified",
                    candidate.how.describe()
                );
                contact.record(&candidate.fingerprint, event);
            }
            if candidate.how == SeenIn::Announcement {
                contact.announced = Some(candidate);
            } else {
                contact.sightings.push(candidate);
            }
        }
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        store.write(CONTACTS, self)
    }

    /// A contact to change, by alias or address.
    pub fn get_mut(&mut self, who: &str) -> Result<&mut Contact> {
        let address = keys::normalize_address(who);
        self.contacts
            .iter_mut()
            .find(|c| c.alias == who || c.address == address)
            .with_context(|| format!("no contact {who}; `sealpost contact list` shows your contacts"))
    }

    /// Removes a contact (its records are disposed of by `records::forget`).
    pub fn remove(&mut self, address: &str) -> Option<Contact> {
        let at = self.contacts.iter().position(|c| c.address == address)?;
        if let Ok(mut parsed) = self.parsed.lock() {
            parsed.clear();
        }
        Some(self.contacts.remove(at))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.iter()
    }

    /// Pins `cert` for `address` under `alias`, unverified.
    pub fn add(&mut self, alias: &str, address: &str, cert: &Cert) -> Result<&Contact> {
        check_alias(alias)?;
        keys::check_address(address)?;
        let address = keys::normalize_address(address);
        if let Some(existing) = self.find(alias) {
            bail!("the alias {alias} is already used for {}; choose another alias", existing.address);
        }
        if let Some(existing) = self.contacts.iter().find(|c| c.address == address) {
            bail!(
                "{address} is already pinned as {} with key {}; a pinned key is never replaced silently",
                existing.alias,
                existing.fingerprint
            );
        }
        keys::check_usable(cert, &address)?;
        let public = cert.clone().strip_secret_key_material();
        self.contacts.push(Contact {
            alias: alias.to_string(),
            address,
            cert: String::from_utf8(public.armored().to_vec()?)?,
            fingerprint: cert.fingerprint().to_hex(),
            state: PinState::Unverified,
            added_at: now(),
            verified_at: None,
            verified_by: None,
            sightings: Vec::new(),
            announced: None,
            revoked: None,
            legacy_candidate: None,
            history: vec![KeyEvent {
                at: now(),
                fingerprint: cert.fingerprint().to_hex(),
                event: "pinned".to_string(),
            }],
            consent: None,
            hold: None,
            retention: None,
        });
        Ok(self.contacts.last().expect("just pushed"))
    }

    /// A contact by alias or address.
    pub fn find(&self, who: &str) -> Option<&Contact> {
        let address = keys::normalize_address(who);
        self.contacts.iter().find(|c| c.alias == who || c.address == address)
    }

    /// Like `find`, with an error naming what to run when there is none.
    pub fn get(&self, who: &str) -> Result<&Contact> {
        self.find(who).with_context(|| format!("no contact {who}; `sealpost contact list` shows your contacts"))
    }

    /// An unused alias for `address`: its local part, made safe, numbered
    /// when taken.
    pub fn free_alias(&self, address: &str) -> String {
        let local = address.split('@').next().unwrap_or("contact");
        let mut base: String =
            local.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
        base.truncate(40);
        if base.is_empty() {
            base = "contact".to_string();
        }
        let mut alias = base.clone();
        let mut n = 2;
        while self.find(&alias).is_some() {
            alias = format!("{base}-{n}");
            n += 1;
        }
        alias
    }

    /// A contact by address only (never by alias): for addresses found in
    /// messages.
    pub fn by_address(&self, address: &str) -> Option<&Contact> {
        let address = keys::normalize_address(address);
        self.contacts.iter().find(|c| c.address == address)
    }

    /// Notes a key seen for `address` in unauthenticated mail: kept as a
    /// sighting, nothing else changes. Returns the contact when the key is
    /// new to it (seen for the first time), so the caller can say so.
    pub fn observe(&mut self, address: &str, fingerprint: &str, cert: Option<&Cert>, how: SeenIn) -> Option<&Contact> {
        let address = keys::normalize_address(address);
        let contact = self.contacts.iter_mut().find(|c| c.address == address)?;
        if contact.fingerprint == fingerprint {
            return None;
        }
        let armored = armored_public(cert, fingerprint);
        let known =
            contact.sightings.iter_mut().chain(contact.announced.as_mut()).find(|s| s.fingerprint == fingerprint);
        if let Some(seen) = known {
            // Seen again: keep the certificate if this time it came along.
            if seen.cert.is_none() {
                seen.cert = armored;
            }
            return None;
        }
        if contact.sightings.len() >= MAX_SIGHTINGS {
            contact.sightings.remove(0);
        }
        contact.sightings.push(Sighting { fingerprint: fingerprint.to_string(), cert: armored, seen_at: now(), how });
        // The history is kept for years: strangers' keys may fill only a
        // bounded part of it.
        let seen_before = contact.history.iter().filter(|e| e.event.starts_with(SEEN_EVENT)).count();
        if seen_before < MAX_SIGHTING_EVENTS {
            contact.record(fingerprint, format!("{SEEN_EVENT}{}; not verified, nothing changed", how.describe()));
        }
        Some(contact)
    }

    /// Notes a new key announced in a message signed by the contact's
    /// pinned, verified key (`key rotate`). It waits for the user's check,
    /// apart from sightings. Returns the contact when the announcement is new.
    pub fn announce(&mut self, address: &str, cert: &Cert) -> Option<&Contact> {
        let address = keys::normalize_address(address);
        let fingerprint = cert.fingerprint().to_hex();
        let contact = self.contacts.iter_mut().find(|c| c.address == address)?;
        if contact.fingerprint == fingerprint
            || contact.announced.as_ref().is_some_and(|a| a.fingerprint == fingerprint)
        {
            return None;
        }
        contact.sightings.retain(|s| s.fingerprint != fingerprint);
        contact.announced = Some(Sighting {
            fingerprint: fingerprint.clone(),
            cert: armored_public(Some(cert), &fingerprint),
            seen_at: now(),
            how: SeenIn::Announcement,
        });
        contact.record(&fingerprint, format!("{}; not verified yet", SeenIn::Announcement.describe()));
        Some(contact)
    }

    /// Checks `cert` for a revocation of the pinned key of the contact at
    /// `address`, signed by that key itself (whoever delivered it, only the
    /// key's holder can make one). A valid one moves the contact to
    /// `revoked`. Returns the contact when it was revoked now.
    pub fn check_revocation(&mut self, address: &str, cert: &Cert) -> Option<&Contact> {
        let address = keys::normalize_address(address);
        let contact = self.contacts.iter_mut().find(|c| c.address == address)?;
        if contact.state == PinState::Revoked || cert.fingerprint().to_hex() != contact.fingerprint {
            return None;
        }
        // Only a revocation signature the message carries can revoke: a key
        // without one (nearly every message's) needs no merge (which checks
        // every signature again). A revocation already in the pinned
        // certificate was there when it was pinned, and is seen again when
        // a message carries it.
        let primary = cert.primary_key();
        if primary.self_revocations().next().is_none() && primary.other_revocations().next().is_none() {
            return None;
        }
        let pinned = contact.cert().ok()?;
        // Merging keeps only signatures that verify against the pinned key.
        let merged = pinned.merge_public(cert.clone()).ok()?;
        let reason = match merged.revocation_status(&keys::POLICY, None) {
            RevocationStatus::Revoked(signatures) => signatures
                .first()
                .and_then(|sig| sig.reason_for_revocation())
                .map(|(code, text)| {
                    let text = String::from_utf8_lossy(text).trim().to_string();
                    if text.is_empty() {
                        code.to_string()
                    } else {
                        format!("{code}: {text}")
                    }
                })
                .unwrap_or_else(|| "no reason given".to_string()),
            _ => return None,
        };
        contact.cert = String::from_utf8(merged.armored().to_vec().ok()?).ok()?;
        contact.state = PinState::Revoked;
        contact.revoked = Some(Revocation { at: now(), reason: reason.clone() });
        let fingerprint = contact.fingerprint.clone();
        contact.record(&fingerprint, format!("revoked by its owner ({reason}); sending is blocked"));
        Some(contact)
    }

    /// Makes the key `fingerprint` (announced or sighted, with its
    /// certificate) the pinned, verified key: the user verified it out of
    /// band.
    pub fn adopt(&mut self, who: &str, fingerprint: &str, how: Verification) -> Result<&Contact> {
        let contact = self.get_mut(who)?;
        let seen = contact
            .sightings
            .iter()
            .chain(contact.announced.as_ref())
            .find(|s| s.fingerprint == fingerprint)
            .cloned()
            .context("that key was not seen for this contact")?;
        let armored = seen.cert.clone().with_context(|| {
            format!(
                "the new key {} of {} was named in a message but not sent along; ask them for it and pin it \
                 with `sealpost contact add {} {} --key FILE`",
                seen.fingerprint, contact.alias, contact.alias, contact.address
            )
        })?;
        let cert = Cert::from_bytes(armored.as_bytes()).context("reading the new key")?;
        keys::check_usable(&cert, &contact.address)?;
        let previous = contact.fingerprint.clone();
        contact.cert = armored;
        contact.fingerprint = seen.fingerprint.clone();
        contact.sightings.clear();
        contact.announced = None;
        contact.revoked = None;
        contact.state = PinState::Verified;
        contact.verified_at = Some(now());
        contact.verified_by = Some(how);
        contact.record(&seen.fingerprint, format!("verified by {}; replaces {previous}", how.describe()));
        Ok(contact)
    }

    /// Stores the certificate of a key seen for a contact, handed over by
    /// the user, so it can be verified (it must be a key that was seen).
    pub fn supply_sighted(&mut self, who: &str, cert: &Cert) -> Result<&Contact> {
        let contact = self.get_mut(who)?;
        let fingerprint = cert.fingerprint().to_hex();
        let Some(seen) =
            contact.sightings.iter_mut().chain(contact.announced.as_mut()).find(|s| s.fingerprint == fingerprint)
        else {
            bail!(
                "{} is already pinned with key {}; a pinned key is never replaced silently",
                contact.address,
                contact.fingerprint
            );
        };
        keys::check_usable(cert, &contact.address)?;
        seen.cert = Some(String::from_utf8(cert.clone().strip_secret_key_material().armored().to_vec()?)?);
        Ok(contact)
    }

    /// Takes what the user's other device knows about `address`: the user
    /// pinned or verified it there, so it counts as the user's own act here
    /// (the note carrying it was signed by the user's own key). Nothing is
    /// ever lowered: an unverified pin does not undo a verification, and of
    /// two different verified keys the one verified later stays. A
    /// revocation counts only when the key's own signature on it verifies.
    /// Returns what changed, for the user.
    pub fn merge_from_device(&mut self, theirs: &FromDevice) -> Result<Option<String>> {
        let address = keys::normalize_address(&theirs.address);
        let cert = &theirs.cert;
        let fingerprint = cert.fingerprint().to_hex();
        let how = theirs.verified_by.map_or("an unknown way", Verification::describe);
        let Some(index) = self.contacts.iter().position(|c| c.address == address) else {
            // A revoked key is not pinned anew: sending to it is blocked
            // either way, and its owner's new key needs verifying.
            if matches!(theirs.state, PinState::Changed | PinState::Revoked) {
                return Ok(None);
            }
            let alias = if check_alias(&theirs.alias).is_ok() && self.find(&theirs.alias).is_none() {
                theirs.alias.clone()
            } else {
                self.free_alias(&address)
            };
            self.add(&alias, &address, cert)?;
            let contact = self.contacts.last_mut().expect("just added");
            contact.history[0].event = "pinned on your other device".to_string();
            if theirs.state == PinState::Verified {
                contact.state = PinState::Verified;
                contact.verified_at = Some(theirs.verified_at.unwrap_or_else(now));
                contact.verified_by = theirs.verified_by;
                contact.record(&fingerprint, format!("verified on your other device by {how}"));
            }
            let contact = self.by_address(&address).expect("just added");
            return Ok(Some(format!(
                "{} <{address}> pinned from your other device ({})",
                contact.alias, contact.state
            )));
        };
        let contact = &mut self.contacts[index];
        if contact.fingerprint == fingerprint {
            if theirs.state == PinState::Revoked && contact.state != PinState::Revoked {
                let alias = contact.alias.clone();
                return Ok(self.check_revocation(&address, cert).map(|_| {
                    format!("{alias} <{address}>: the key was revoked by its owner (seen on your other device)")
                }));
            }
            if theirs.state == PinState::Verified && contact.state == PinState::Unverified {
                contact.sightings.clear();
                contact.announced = None;
                contact.state = PinState::Verified;
                contact.verified_at = Some(theirs.verified_at.unwrap_or_else(now));
                contact.verified_by = theirs.verified_by;
                contact.record(&fingerprint, format!("verified on your other device by {how}"));
                return Ok(Some(format!("{} <{address}> verified on your other device", contact.alias)));
            }
            return Ok(None);
        }
        let newer = match (contact.state, contact.verified_at) {
            (PinState::Verified, Some(here)) => theirs.verified_at.is_some_and(|there| there > here),
            (PinState::Verified, None) => false,
            _ => true,
        };
        if theirs.state != PinState::Verified || !newer {
            return Ok(Some(format!(
                "{} <{address}>: your other device has the key {} ({}); the key {} pinned here is kept. Check                  which is right with them: `sealpost contact show {}`",
                contact.alias,
                group_hex(&fingerprint),
                theirs.state,
                group_hex(&contact.fingerprint),
                contact.alias
            )));
        }
        keys::check_usable(cert, &address)?;
        let previous = std::mem::replace(&mut contact.fingerprint, fingerprint.clone());
        contact.cert = String::from_utf8(cert.clone().strip_secret_key_material().armored().to_vec()?)?;
        contact.sightings.clear();
        contact.announced = None;
        contact.revoked = None;
        contact.state = PinState::Verified;
        contact.verified_at = theirs.verified_at;
        contact.verified_by = theirs.verified_by;
        contact.record(&fingerprint, format!("verified on your other device by {how}; replaces {previous}"));
        Ok(Some(format!(
            "{} <{address}>: the key {} verified on your other device replaces {}",
            contact.alias,
            group_hex(&fingerprint),
            group_hex(&previous)
        )))
    }

    pub fn by_fingerprint(&self, fingerprint: &Fingerprint) -> Option<&Contact> {
        let hex = fingerprint.to_hex();
        self.contacts.iter().find(|c| c.fingerprint == hex)
    }

    /// All pinned certificates, whatever their state; the reader decides.
    pub fn certs(&self) -> Vec<Cert> {
        self.contacts.iter().filter_map(|c| self.with_parsed(c, |cert| Cert::clone(cert))).collect()
    }

    /// The pinned certificates holding a key named by one of `ids` (the
    /// issuers a signature names), whatever their state. They are shared,
    /// not copied: this runs for every message a sync opens.
    pub fn certs_for(&self, ids: &[sequoia_openpgp::KeyHandle]) -> Vec<Arc<Cert>> {
        let holds = |cert: &Cert| cert.keys().any(|k| ids.iter().any(|id| id.aliases(k.key().key_handle())));
        if let Some(index) = &self.by_key_id {
            let mut found: Vec<Arc<Cert>> = Vec::new();
            for id in ids {
                let candidates = index.get(&sequoia_openpgp::KeyID::from(id)).into_iter().flatten();
                for cert in candidates.filter(|cert| holds(cert)) {
                    if !found.iter().any(|f| f.fingerprint() == cert.fingerprint()) {
                        found.push(cert.clone());
                    }
                }
            }
            return found;
        }
        // One lock for the whole scan: the threads opening a batch all ask.
        let mut parsed = self.parsed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.contacts
            .iter()
            .filter_map(|c| Self::parsed_in(&mut parsed, c).filter(|cert| holds(cert)).cloned())
            .collect()
    }

    /// A copy that will not change, for the threads opening a batch, with
    /// the pinned certificates indexed by key ID for `certs_for`.
    pub fn frozen(&self) -> Contacts {
        let mut copy = self.clone();
        let mut index: std::collections::HashMap<sequoia_openpgp::KeyID, Vec<Arc<Cert>>> = Default::default();
        for contact in &self.contacts {
            if let Some(cert) = self.with_parsed(contact, Arc::clone) {
                for key in cert.keys() {
                    index.entry(key.key().keyid()).or_default().push(cert.clone());
                }
            }
        }
        copy.by_key_id = Some(index);
        copy
    }

    /// `f` of the contact's pinned certificate, parsed once per command
    /// (`None` when it cannot be read).
    fn with_parsed<R>(&self, contact: &Contact, f: impl FnOnce(&Arc<Cert>) -> R) -> Option<R> {
        let mut parsed = self.parsed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::parsed_in(&mut parsed, contact).map(f)
    }

    /// The contact's pinned certificate from `parsed`, parsed now when it
    /// is not there or was pinned since.
    fn parsed_in<'p>(parsed: &'p mut ParsedCerts, contact: &Contact) -> Option<&'p Arc<Cert>> {
        let fresh = parsed.get(&contact.fingerprint).is_some_and(|(armored, _)| *armored == contact.cert);
        if !fresh {
            parsed.insert(contact.fingerprint.clone(), (contact.cert.clone(), contact.cert().ok().map(Arc::new)));
        }
        parsed[&contact.fingerprint].1.as_ref()
    }

    /// Marks a contact's pinned key verified. Keys seen or announced for it
    /// are dropped: the user checked that the pinned key is theirs.
    pub fn mark_verified(&mut self, who: &str, how: Verification) -> Result<&Contact> {
        let contact = self.get_mut(who)?;
        if contact.state == PinState::Revoked {
            bail!(
                "the key pinned for {} was revoked by its owner and cannot be verified again; verify their new key",
                contact.alias
            );
        }
        let dropped: Vec<String> =
            contact.sightings.drain(..).chain(contact.announced.take()).map(|s| s.fingerprint).collect();
        let event = if dropped.is_empty() {
            format!("verified by {}", how.describe())
        } else {
            format!("verified by {}; the key {} is not theirs", how.describe(), dropped.join(", "))
        };
        contact.state = PinState::Verified;
        contact.verified_at = Some(now());
        contact.verified_by = Some(how);
        let fingerprint = contact.fingerprint.clone();
        contact.record(&fingerprint, event);
        Ok(contact)
    }

    /// The contact and certificate a message to `who` may be encrypted to.
    /// Anything short of a verified, usable pin is a refusal (exit code 3)
    /// that names the command to fix it, and a near-miss of a verified
    /// address is named ("did you mean ...?").
    pub fn recipient(&self, who: &str) -> Result<(&Contact, Cert)> {
        let Some(contact) = self.find(who) else {
            let mut message = format!(
                "refusing to send to {who}: it is not a contact, so sealpost has no verified key for it. \
                 Add the key with `sealpost contact add ALIAS {who} --key FILE`, then verify it with \
                 `sealpost contact verify ALIAS`. Nothing was sent."
            );
            if let Some(near) = self.near_miss(who) {
                message = format!(
                    "refusing to send to {who}: did you mean {} (contact {})? {who} is not a contact. \
                     Nothing was sent.",
                    near.address, near.alias
                );
            }
            return Err(Refusal::recipient(message));
        };
        if let (PinState::Revoked, Some(revoked)) = (contact.state, &contact.revoked) {
            return Err(Refusal::recipient(format!(
                "refusing to send to {} <{}>: their key {} was revoked by its owner on {} ({}); it may be in \
                 someone else's hands. Verify their new key with `sealpost contact verify {}` (or a new \
                 invite). Nothing was sent.",
                contact.alias,
                contact.address,
                group_hex(&contact.fingerprint),
                day(revoked.at),
                sanitize::line(&revoked.reason),
                contact.alias
            )));
        }
        if contact.state != PinState::Verified {
            return Err(Refusal::recipient(format!(
                "refusing to send to {} <{}>: the key is pinned but not verified. Compare safety codes \
                 with `sealpost contact verify {}`, or check the fingerprint with \
                 `sealpost contact verify {} --fingerprint FPR`. Nothing was sent.",
                contact.alias, contact.address, contact.alias, contact.alias
            )));
        }
        let cert = contact.cert()?;
        if let Err(e) = keys::check_usable(&cert, &contact.address) {
            return Err(Refusal::recipient(format!(
                "refusing to send to {} <{}>: the pinned key cannot be used ({e:#}). Ask them for a \
                 current key and verify it. Nothing was sent.",
                contact.alias, contact.address
            )));
        }
        Ok((contact, cert))
    }

    /// A verified contact that `who` is plausibly a typo of, to name in a
    /// refusal. An address is compared with addresses and an alias with
    /// aliases, and never so loosely that one person becomes another: a
    /// short name may not differ at all (`kim` is someone, not a typo of
    /// `sam`), and a different local part at the same domain is another
    /// person, not a typo. Only a typo within `allowed_edits` counts.
    pub fn near_miss(&self, who: &str) -> Option<&Contact> {
        let verified = self.contacts.iter().filter(|c| c.state == PinState::Verified);
        let candidates: Vec<(usize, &Contact)> = if who.contains('@') {
            let wanted = keys::normalize_address(who);
            let (local, domain) = wanted.rsplit_once('@')?;
            verified
                .filter(|c| {
                    let (c_local, c_domain) = c.address.rsplit_once('@').unwrap_or((c.address.as_str(), ""));
                    c_domain != domain && edit_distance(c_local, local) <= allowed_edits(local)
                })
                .map(|c| (edit_distance(&c.address, &wanted), c))
                .filter(|(d, _)| (1..=allowed_edits(&wanted)).contains(d))
                .collect()
        } else {
            verified
                .map(|c| (edit_distance(&c.alias, who), c))
                .filter(|(d, _)| (1..=allowed_edits(who)).contains(d))
                .collect()
        };
        let closest = candidates.iter().map(|(d, _)| *d).min()?;
        let mut closest = candidates.into_iter().filter(|(d, _)| *d == closest);
        match (closest.next(), closest.next()) {
            (Some((_, contact)), None) => Some(contact),
            _ => None, // two equally close: naming one would be a guess
        }
    }
}

/// How many edits a typed name may be from a contact's to count as a typo:
/// none up to four characters, one up to eight, two beyond.
fn allowed_edits(typed: &str) -> usize {
    match typed.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The public certificate of `cert`, armored, when it is the key `fingerprint`.
fn armored_public(cert: Option<&Cert>, fingerprint: &str) -> Option<String> {
    cert.filter(|c| c.fingerprint().to_hex() == fingerprint)
        .and_then(|c| c.clone().strip_secret_key_material().armored().to_vec().ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

/// What a contact's state was before earlier releases moved it to `changed`.
fn previous_state(contact: &Contact) -> PinState {
    if contact.verified_by.is_some() {
        PinState::Verified
    } else {
        PinState::Unverified
    }
}

/// A Unix time as a date (YYYY-MM-DD, UTC).
pub fn day(timestamp: u64) -> String {
    mail_parser::DateTime::from_timestamp(timestamp as i64).to_rfc3339().chars().take(10).collect()
}

/// A hex fingerprint in groups of four, as `keys::grouped` shows one.
pub fn group_hex(hex: &str) -> String {
    hex.parse::<Fingerprint>().map(|f| keys::grouped(&f)).unwrap_or_else(|_| hex.to_string())
}

fn check_alias(alias: &str) -> Result<()> {
    if alias.is_empty() || alias.len() > 64 || !alias.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        bail!("{alias:?} is not a usable alias: use letters, digits, '.', '_' or '-'");
    }
    Ok(())
}

/// Levenshtein distance, counting a swap of neighbours as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_typos() {
        assert_eq!(edit_distance("jdoe@example.com", "jdoe@exmaple.com"), 1);
        assert_eq!(edit_distance("jdoe@example.com", "jdoe@example.com"), 0);
        assert_eq!(edit_distance("jdoe@example.com", "jd@example.org"), 5);
    }

    #[test]
    fn near_miss_names_only_verified_contacts() {
        let cert = keys::generate("J Doe", "jdoe@example.com").unwrap();
        let mut contacts = Contacts::default();
        contacts.add("jdoe", "jdoe@example.com", &cert).unwrap();
        assert!(contacts.near_miss("jdoe@exmaple.com").is_none());
        contacts.mark_verified("jdoe", Verification::Fingerprint).unwrap();
        assert_eq!(contacts.near_miss("jdoe@exmaple.com").unwrap().alias, "jdoe");
        let err = contacts.recipient("jdoe@exmaple.com").unwrap_err();
        assert!(err.to_string().contains("did you mean jdoe@example.com"), "{err}");
    }

    fn verified(pairs: &[(&str, &str)]) -> Contacts {
        let mut contacts = Contacts::default();
        for (alias, address) in pairs {
            let cert = keys::generate(alias, address).unwrap();
            contacts.add(alias, address, &cert).unwrap();
            contacts.mark_verified(alias, Verification::Fingerprint).unwrap();
        }
        contacts
    }

    #[test]
    fn a_frozen_copy_finds_the_same_signers_as_a_scan() {
        let contacts =
            verified(&[("ada", "ada@practice.example"), ("sam", "sam@client.example"), ("eve", "eve@x.org")]);
        let frozen = contacts.frozen();
        let fingerprints = |certs: Vec<Arc<Cert>>| certs.iter().map(|c| c.fingerprint()).collect::<Vec<_>>();
        for contact in ["ada", "sam", "eve"] {
            let cert = contacts.get(contact).unwrap().cert().unwrap();
            for key in cert.keys() {
                // By fingerprint and by key ID, as signatures name issuers.
                for id in [key.key().key_handle(), key.key().keyid().into()] {
                    let scanned = fingerprints(contacts.certs_for(std::slice::from_ref(&id)));
                    assert_eq!(scanned, vec![cert.fingerprint()]);
                    assert_eq!(fingerprints(frozen.certs_for(std::slice::from_ref(&id))), scanned);
                }
            }
        }
        let stranger = keys::generate("Mallory", "m@x.org").unwrap();
        assert!(frozen.certs_for(&[stranger.key_handle()]).is_empty());
        // A copy of a frozen copy may change, so it scans again.
        assert!(frozen.clone().by_key_id.is_none());
    }

    #[test]
    fn strangers_keys_fill_a_bounded_part_of_a_contact() {
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::Fingerprint).unwrap();
        for n in 0..100 {
            let fingerprint = format!("{n:040X}");
            assert!(contacts.observe("sam@client.example", &fingerprint, None, SeenIn::Autocrypt).is_some());
        }
        let sam = contacts.get("sam").unwrap();
        assert_eq!(sam.sightings.len(), MAX_SIGHTINGS);
        assert_eq!(sam.history.iter().filter(|e| e.event.starts_with(SEEN_EVENT)).count(), MAX_SIGHTING_EVENTS);
        assert_eq!(sam.state, PinState::Verified);
    }

    #[test]
    fn near_miss_never_turns_one_person_into_another() {
        let contacts = verified(&[
            ("sam", "sam@client.example"),
            ("eve", "eve@client.example"),
            ("tom", "tom@client.example"),
            ("samantha", "samantha@other.example"),
        ]);
        // A short name is a name: it is someone, not a typo.
        for who in ["kim", "sim", "evee", "tim"] {
            assert!(contacts.near_miss(who).is_none(), "{who}");
        }
        // A different person at the same domain.
        assert!(contacts.near_miss("kim@client.example").is_none());
        assert!(contacts.near_miss("sam2@client.example").is_none());
        // An alias is compared with aliases, an address with addresses.
        assert!(contacts.near_miss("sam@client.exampl").is_some_and(|c| c.alias == "sam"));
        assert!(contacts.near_miss("samanhta").is_some_and(|c| c.alias == "samantha"));
        assert!(contacts.near_miss("smanhta").is_none(), "two edits in eight letters is too far");
    }
}
