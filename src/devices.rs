//! The user's other devices (an office desktop and a laptop, say): both
//! hold the same identity (one was restored from the other's backup), and
//! what the user pins or verifies on one reaches the other.
//!
//! Contacts travel in a note to self (`message::device_sync`): signed by
//! and encrypted to the user's own key, so only a device holding the same
//! secret key can read it, and only a note signed by one of the user's own
//! keys is taken. What a note says counts as the user's own act: a contact
//! verified on one device is verified on the other. Nothing is lowered by
//! a note (see `Contacts::merge_from_device`), so a note replayed later,
//! or two notes crossing, can only repeat what the user did.
//!
//! Notes are sent only once another device is known: after `restore` (the
//! restored device says hello with everything it has), or after a note
//! from another device arrived. A single-device user never gets any. Each
//! device remembers what it believes the others have (`devices.age`), and
//! `sync` sends only what changed since.

use std::collections::BTreeMap;
use std::time::SystemTime;

use anyhow::{Context, Result};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::Cert;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::contacts::{now, Contact, Contacts, FromDevice, PinState, Verification};
use crate::keys;
use crate::message::device_sync::{self, DeviceNote};
use crate::message::{new_message_id, open_with, Opened};
use crate::outbox::{self, Outgoing, Queued};
use crate::store::Store;

const STATE: &str = "devices.age";
/// A note carries at most this many contacts (more are refused unread).
const MAX_CONTACTS: usize = 10_000;

/// What this device knows of the others.
#[derive(Serialize, Deserialize, Default)]
struct Devices {
    /// Another device of the user's exists: notes are sent.
    #[serde(default)]
    others: bool,
    /// Per address, the contact as the other devices last had it
    /// (`shared_form`): what need not be sent again.
    #[serde(default)]
    shared: BTreeMap<String, String>,
}

/// One contact in a note.
#[derive(Serialize, Deserialize)]
struct Shared {
    alias: String,
    address: String,
    state: PinState,
    #[serde(default)]
    verified_at: Option<u64>,
    #[serde(default)]
    verified_by: Option<Verification>,
    /// The public key, armored.
    key: String,
}

#[derive(Serialize, Deserialize)]
struct Note {
    contacts: Vec<Shared>,
}

fn shared_form(contact: &Contact) -> String {
    form_of(&contact.fingerprint, contact.state, contact.verified_by)
}

/// What the other devices are known to have of a contact: its key, state
/// and how it was verified.
fn form_of(fingerprint: &str, state: PinState, verified_by: Option<Verification>) -> String {
    format!("{fingerprint} {state} {verified_by:?}")
}

impl Devices {
    fn load(store: &Store) -> Result<Devices> {
        Ok(store.read(STATE)?.unwrap_or_default())
    }

    fn save(&self, store: &Store) -> Result<()> {
        store.write(STATE, self)
    }
}

/// Marks that another device exists (this one was restored from a backup):
/// the next `sync` sends it everything this one has.
pub fn restored(store: &Store) -> Result<()> {
    Devices { others: true, shared: BTreeMap::new() }.save(store)
}

/// Queues a note with every contact changed since the other devices last
/// heard, when there are other devices. Returns the queued note.
pub fn share_changes(store: &Store, config: &Config, contacts: &Contacts) -> Result<Option<Queued>> {
    let mut devices = Devices::load(store)?;
    if !devices.others {
        return Ok(None);
    }
    let changed: Vec<&Contact> = contacts
        .iter()
        .filter(|c| c.state != PinState::Changed)
        .filter(|c| devices.shared.get(&c.address) != Some(&shared_form(c)))
        .collect();
    if changed.is_empty() {
        return Ok(None);
    }
    let note = Note {
        contacts: changed
            .iter()
            .map(|c| Shared {
                alias: c.alias.clone(),
                address: c.address.clone(),
                state: c.state,
                verified_at: c.verified_at,
                verified_by: c.verified_by,
                key: c.cert.clone(),
            })
            .collect(),
    };
    let json = serde_json::to_string(&note)?;
    let message_id = new_message_id(&config.account.address);
    let sealed = device_sync::compose(
        &DeviceNote {
            name: config.account.name.clone(),
            address: config.account.address.clone(),
            json: &json,
            message_id: message_id.clone(),
            date: SystemTime::now(),
        },
        store.secret_cert(),
    )?;
    let queued = Queued {
        message_id,
        to: config.account.address.clone(),
        subject: format!("contacts for your other devices ({})", changed.len()),
        created_at: now(),
        attempts: 0,
        last_error: None,
        raw: String::from_utf8(sealed.raw).context("the composed note is not ASCII")?,
        content_sha256: Some(sealed.content_sha256),
        receipt_requested: false,
        receipt_for: None,
        kind: Outgoing::DeviceNote,
    };
    outbox::enqueue(store, &queued)?;
    for contact in changed {
        devices.shared.insert(contact.address.clone(), shared_form(contact));
    }
    devices.save(store)?;
    Ok(Some(queued))
}

/// Handles `opened` when it is a note from the user's other device: takes
/// its contacts when it is signed by one of the user's own keys, and
/// returns a line for the user (or `None` for any other message). The
/// caller saves the contacts.
pub fn receive(store: &Store, contacts: &mut Contacts, raw: &[u8], opened: &Opened) -> Result<Option<String>> {
    let Some(kind) = opened.content.as_ref().and_then(|c| c.device_note.clone()) else {
        return Ok(None);
    };
    let me = store.my_keys();
    // Opened again with the user's own keys as signers: `open` checks
    // signatures against the contacts only.
    let (checked, _) = open_with(raw, me, contacts, keys::public(me), &[]);
    let signed_by_me = checked.seal.signed_by_one_of(me);
    let mine = me.iter().flat_map(keys::addresses).any(|a| Some(a.as_str()) == checked.sender());
    if !signed_by_me || !mine {
        return Ok(Some("ignored a note for your other devices that is not signed by your own key".to_string()));
    }
    if kind != device_sync::CONTACTS {
        return Ok(Some(format!(
            "ignored a note from your other device carrying {kind:?}, which this version does not read"
        )));
    }
    let payload = checked.content.as_ref().and_then(device_sync::payload);
    let Some(note) = payload.and_then(|p| serde_json::from_slice::<Note>(p).ok()) else {
        return Ok(Some("ignored a note from your other device that cannot be read".to_string()));
    };
    if note.contacts.len() > MAX_CONTACTS {
        return Ok(Some("ignored a note from your other device with too many contacts".to_string()));
    }
    let mut devices = Devices::load(store)?;
    devices.others = true;
    let mut changes = Vec::new();
    for shared in &note.contacts {
        let Ok(cert) = Cert::from_bytes(shared.key.as_bytes()) else {
            changes.push(format!("{}: the key cannot be read; skipped", shared.address));
            continue;
        };
        let theirs = FromDevice {
            alias: shared.alias.clone(),
            address: shared.address.clone(),
            cert,
            state: shared.state,
            verified_at: shared.verified_at,
            verified_by: shared.verified_by,
        };
        match contacts.merge_from_device(&theirs) {
            Ok(Some(change)) => changes.push(change),
            Ok(None) => {}
            Err(e) => changes.push(format!("{}: not taken: {e:#}", shared.address)),
        }
        // What the other device has now matches ours: no need to send it.
        if let Some(ours) = contacts.by_address(&shared.address) {
            let theirs_form = form_of(&theirs.cert.fingerprint().to_hex(), theirs.state, theirs.verified_by);
            if shared_form(ours) == theirs_form {
                devices.shared.insert(ours.address.clone(), theirs_form);
            }
        }
    }
    devices.save(store)?;
    Ok(Some(if changes.is_empty() {
        "a note from your other device: nothing new".to_string()
    } else {
        format!("from your other device: {}", changes.join("; "))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Verification;
    use crate::home::Home;
    use crate::keys;
    use crate::message::compose::{mailbox, sign_and_encrypt_with, wrap, Envelope};
    use crate::receive::Receiver;
    use crate::transport::imap::Cursor;
    use crate::transport::Incoming;
    use sequoia_openpgp::serialize::SerializeInto;

    /// A second device, as a restore would make it: the same files.
    fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
        let copied = std::process::Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
        assert!(copied.success());
    }

    fn config() -> Config {
        toml::from_str("[account]\nname = \"Ada\"\naddress = \"ada@practice.example\"\n").unwrap()
    }

    fn receive_raw(store: &Store, raw: &[u8], id: &str) -> Vec<String> {
        let config = config();
        let mut receiver = Receiver::load(store, &config).unwrap();
        receiver.accept(&Incoming { source_id: id.to_string(), raw: raw.to_vec() }).unwrap();
        receiver.finish(Some(&Cursor::default())).unwrap();
        receiver.report.devices.clone()
    }

    #[test]
    fn a_contact_verified_on_one_device_is_verified_on_the_other_and_only_a_note_signed_by_me_counts() {
        let dir = tempfile::tempdir().unwrap();
        let (home_a, home_b) = (Home::at(&dir.path().join("desk")), Home::at(&dir.path().join("laptop")));
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let eve = keys::generate("Eve", "eve@elsewhere.example").unwrap();
        let passphrase: age::secrecy::SecretString = "passphrase".to_string().into();
        drop(Store::create(&home_a, &passphrase, &ada, Some(10)).unwrap());
        copy_tree(&dir.path().join("desk"), &dir.path().join("laptop"));
        let desk = Store::unlock(&home_a, &passphrase).unwrap();
        let laptop = Store::unlock(&home_b, &passphrase).unwrap();

        // A single device sends nothing.
        let mut contacts = Contacts::load(&desk).unwrap();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::SafetyCode).unwrap();
        contacts.save(&desk).unwrap();
        assert!(share_changes(&desk, &config(), &contacts).unwrap().is_none());

        // A note forged by someone else for Ada's address, encrypted to Ada.
        let inner = format!(
            "From: {}\r\nTo: ada@practice.example\r\nSubject: x\r\n{}: contacts\r\nContent-Type: multipart/mixed; \
             boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/json\r\nContent-Disposition: attachment; \
             filename=\"c.json\"\r\n\r\n{}\r\n--b--\r\n",
            mailbox(None, "ada@practice.example").unwrap(),
            device_sync::HEADER,
            serde_json::to_string(&Note {
                contacts: vec![Shared {
                    alias: "eve".into(),
                    address: "eve@elsewhere.example".into(),
                    state: PinState::Verified,
                    verified_at: Some(now()),
                    verified_by: Some(Verification::SafetyCode),
                    key: String::from_utf8(eve.armored().to_vec().unwrap()).unwrap(),
                }],
            })
            .unwrap()
        );
        let ciphertext = sign_and_encrypt_with(inner.as_bytes(), &eve, &[&ada], &[&ada], &[]).unwrap();
        let envelope = Envelope::new("ada@practice.example", "ada@practice.example", SystemTime::now());
        let forged = wrap(inner.as_bytes(), &ciphertext, &envelope, None).unwrap().raw;
        let said = receive_raw(&laptop, &forged, "forged");
        assert!(said[0].contains("not signed by your own key"), "{said:?}");
        assert!(Contacts::load(&laptop).unwrap().find("eve").is_none());

        // After a restore the desk shares Sam, verified; the laptop takes it.
        restored(&desk).unwrap();
        let note = share_changes(&desk, &config(), &contacts).unwrap().expect("a note is queued");
        assert_eq!(note.to, "ada@practice.example");
        assert_eq!(outbox::queued(&desk).unwrap().len(), 1, "the note waits in the outbox");
        assert!(share_changes(&desk, &config(), &contacts).unwrap().is_none(), "sent once");
        let said = receive_raw(&laptop, note.raw.as_bytes(), "note-1");
        assert!(said[0].contains("sam <sam@client.example> pinned from your other device (verified)"), "{said:?}");
        let on_laptop = Contacts::load(&laptop).unwrap();
        let sam_there = on_laptop.get("sam").unwrap();
        assert_eq!(sam_there.state, PinState::Verified);
        assert_eq!(sam_there.verified_by, Some(Verification::SafetyCode));
        assert_eq!(sam_there.fingerprint, sam.fingerprint().to_hex());
        // The laptop now knows the desk has Sam: it sends nothing back.
        assert!(share_changes(&laptop, &config(), &on_laptop).unwrap().is_none());
        // The same note again changes nothing.
        let said = receive_raw(&laptop, note.raw.as_bytes(), "note-1-again");
        assert!(said.is_empty() || said[0].contains("nothing new"), "{said:?}");
    }

    #[test]
    fn a_note_never_lowers_a_pin_and_a_later_verification_wins() {
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let sams_new = keys::generate("Sam", "sam@client.example").unwrap();
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::SafetyCode).unwrap();
        let verified_here = contacts.get("sam").unwrap().verified_at.unwrap();
        let theirs = |cert: &Cert, state, at| FromDevice {
            alias: "sam".into(),
            address: "sam@client.example".into(),
            cert: cert.clone(),
            state,
            verified_at: at,
            verified_by: Some(Verification::Fingerprint),
        };
        // Unverified on the other device: nothing changes.
        assert_eq!(contacts.merge_from_device(&theirs(&sam, PinState::Unverified, None)).unwrap(), None);
        assert_eq!(contacts.get("sam").unwrap().state, PinState::Verified);
        // Another key, verified earlier there: kept here, and said.
        let said =
            contacts.merge_from_device(&theirs(&sams_new, PinState::Verified, Some(verified_here - 10))).unwrap();
        assert!(said.unwrap().contains("is kept"));
        assert_eq!(contacts.get("sam").unwrap().fingerprint, sam.fingerprint().to_hex());
        // Another key, unverified there: kept here.
        let said = contacts.merge_from_device(&theirs(&sams_new, PinState::Unverified, None)).unwrap();
        assert!(said.unwrap().contains("is kept"));
        // Verified there after here: the user's newer check wins.
        let said =
            contacts.merge_from_device(&theirs(&sams_new, PinState::Verified, Some(verified_here + 10))).unwrap();
        assert!(said.unwrap().contains("replaces"));
        let contact = contacts.get("sam").unwrap();
        assert_eq!((contact.fingerprint.clone(), contact.state), (sams_new.fingerprint().to_hex(), PinState::Verified));
    }
}
