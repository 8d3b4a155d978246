//! Contacts and their pinned keys.
//!
//! A contact is an alias, an address and one pinned certificate. A pin
//! starts `unverified` (the key is known, nothing vouches for it) and becomes
//! `verified` only through an out-of-band check: the safety code read aloud,
//! or the fingerprint read over the phone. Only verified contacts can be
//! written to, and only their signatures make a message `verified`.
//!
//! The contact list itself is confidential (who is a client is health
//! information), so it lives in the encrypted store.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::{Cert, Fingerprint};
use serde::{Deserialize, Serialize};

use crate::error::Refusal;
use crate::keys;
use crate::store::Store;

const CONTACTS: &str = "contacts.age";

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PinState {
    Unverified,
    Verified,
}

impl std::fmt::Display for PinState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PinState::Unverified => "unverified",
            PinState::Verified => "verified",
        })
    }
}

/// How a pin was verified.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    SafetyCode,
    Fingerprint,
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
}

impl Contact {
    pub fn cert(&self) -> Result<Cert> {
        Cert::from_bytes(self.cert.as_bytes()).with_context(|| format!("reading the pinned key of {}", self.alias))
    }

    pub fn fingerprint(&self) -> Result<Fingerprint> {
        self.fingerprint.parse().context("reading a pinned fingerprint")
    }
}

/// The user's contacts, loaded from and saved to the store.
#[derive(Serialize, Deserialize, Default)]
pub struct Contacts {
    contacts: Vec<Contact>,
}

impl Contacts {
    pub fn load(store: &Store) -> Result<Contacts> {
        Ok(store.read(CONTACTS)?.unwrap_or_default())
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        store.write(CONTACTS, self)
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

    pub fn by_fingerprint(&self, fingerprint: &Fingerprint) -> Option<&Contact> {
        let hex = fingerprint.to_hex();
        self.contacts.iter().find(|c| c.fingerprint == hex)
    }

    /// All pinned certificates, whatever their state; the reader decides.
    pub fn certs(&self) -> Vec<Cert> {
        self.contacts.iter().filter_map(|c| c.cert().ok()).collect()
    }

    /// Marks a contact verified.
    pub fn mark_verified(&mut self, who: &str, how: Verification) -> Result<&Contact> {
        let address = keys::normalize_address(who);
        let contact = self
            .contacts
            .iter_mut()
            .find(|c| c.alias == who || c.address == address)
            .with_context(|| format!("no contact {who}"))?;
        contact.state = PinState::Verified;
        contact.verified_at = Some(now());
        contact.verified_by = Some(how);
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

    /// A verified contact whose address or alias is one or two edits from `who`.
    pub fn near_miss(&self, who: &str) -> Option<&Contact> {
        let wanted = keys::normalize_address(who);
        self.contacts
            .iter()
            .filter(|c| c.state == PinState::Verified)
            .filter(|c| {
                let d_addr = edit_distance(&c.address, &wanted);
                let d_alias = edit_distance(&c.alias, who);
                (1..=2).contains(&d_addr) || (1..=2).contains(&d_alias)
            })
            .min_by_key(|c| edit_distance(&c.address, &wanted))
    }
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
}
