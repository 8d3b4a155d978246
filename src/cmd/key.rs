use std::time::SystemTime;

use anyhow::{Context, Result};
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::types::ReasonForRevocation;

use super::{Run, Session};
use crate::cli::{Key, RevocationReason};
use crate::contacts::{now, Contacts, PinState};
use crate::error::Refusal;
use crate::keys;
use crate::message::announcement::{self, Announcement};
use crate::message::new_message_id;
use crate::outbox::{self, Outgoing, Queued};
use crate::store::Store;

impl Run for Key {
    fn run(&self, session: &Session) -> Result<()> {
        if let Key::Rotate { revoke_old, reason } = self {
            return rotate(session, revoke_old.then_some(*reason));
        }
        let cert = Store::public_cert(&session.home)?;
        match self {
            Key::Show => {
                let config = session.config()?;
                let meta = Store::meta(&session.home)?;
                if session.json {
                    return session.print_json(&serde_json::json!({
                        "name": config.account.name,
                        "address": config.account.address,
                        "fingerprint": cert.fingerprint().to_hex(),
                        "kdf_lowered": meta.kdf_lowered,
                    }));
                }
                println!("{} <{}>", config.account.name, config.account.address);
                println!("fingerprint: {}", keys::grouped(&cert.fingerprint()));
                if meta.kdf_lowered {
                    println!("warning: this store's passphrase work factor was lowered to {}", meta.kdf_work_factor);
                }
            }
            Key::Export => {
                let armored = cert.armored().to_vec().context("armoring the certificate")?;
                if session.json {
                    return session.print_json(&serde_json::json!({
                        "fingerprint": cert.fingerprint().to_hex(),
                        "armored": String::from_utf8(armored)?,
                    }));
                }
                print!("{}", String::from_utf8(armored)?);
            }
            Key::Rotate { .. } => unreachable!("handled above"),
        }
        Ok(())
    }
}

/// A new key for the same identity. Every verified contact gets an
/// announcement signed by the old key (through the outbox) before the new
/// key is used; the old key stays in the store to read earlier messages.
/// With `revoke`, the announcement also carries the old key revoked by
/// itself, which moves the contact's pin to `revoked` (sending to the old
/// key stops) and tells gpg and Thunderbird users to stop trusting it.
fn rotate(session: &Session, revoke: Option<RevocationReason>) -> Result<()> {
    let config = session.config()?;
    let mut store = session.unlock()?;
    let contacts = Contacts::load(&store)?;
    let old = store.secret_cert().clone();
    let new = keys::generate(&config.account.name, &config.account.address)?;
    let revoked = revoke
        .map(|reason| match reason {
            RevocationReason::Compromised => {
                keys::revoke(&old, ReasonForRevocation::KeyCompromised, "may be known to others")
            }
            RevocationReason::Superseded => keys::revoke(&old, ReasonForRevocation::KeySuperseded, "replaced"),
        })
        .transpose()?;
    let mut announced = Vec::new();
    for contact in contacts.iter().filter(|c| c.state == PinState::Verified) {
        let (contact, cert) = contacts.recipient(&contact.address)?;
        let message_id = new_message_id(&config.account.address);
        let sealed = announcement::compose(
            &Announcement {
                from_name: config.account.name.clone(),
                from_address: config.account.address.clone(),
                to_address: contact.address.clone(),
                new_key: &new,
                revoked_old: revoked.as_ref(),
                message_id: message_id.clone(),
                date: SystemTime::now(),
            },
            &old,
            &cert,
        )?;
        outbox::enqueue(
            &store,
            &Queued {
                message_id,
                to: contact.address.clone(),
                subject: "new key announcement".to_string(),
                created_at: now(),
                attempts: 0,
                last_error: None,
                raw: String::from_utf8(sealed.raw).context("the announcement is not ASCII")?,
                content_sha256: Some(sealed.content_sha256),
                receipt_requested: false,
                receipt_for: None,
                kind: Outgoing::Announcement,
            },
        )?;
        announced.push(contact.alias.clone());
    }
    store.rotate(new)?;
    let flushed = session.deliver_outbox(&config, &store, None)?;
    if session.json {
        session.print_json(&serde_json::json!({
            "fingerprint": store.secret_cert().fingerprint().to_hex(),
            "previous_fingerprint": old.fingerprint().to_hex(),
            "announced_to": announced,
            "queued": flushed.failed.len(),
            "old_revoked": revoked.is_some(),
        }))?;
    } else {
        print_rotation(&store, &old, &announced);
        if let Some(revoked) = &revoked {
            println!("the old key is revoked; the revocation went out with the announcement");
            println!("give it to anyone else who has your old key:");
            print!("{}", String::from_utf8(revoked.armored().to_vec()?)?);
        }
    }
    if !flushed.failed.is_empty() {
        return Err(Refusal::queued(format!(
            "{} announcement(s) could not be delivered yet and stay in the outbox; `sealpost sync` retries",
            flushed.failed.len()
        )));
    }
    Ok(())
}

fn print_rotation(store: &Store, old: &sequoia_openpgp::Cert, announced: &[String]) {
    println!("new key: {}", keys::grouped(&store.secret_cert().fingerprint()));
    println!("old key: {} (kept to read earlier messages)", keys::grouped(&old.fingerprint()));
    if announced.is_empty() {
        println!("no verified contacts to tell");
    } else {
        println!("announced to {}, signed by the old key; each must verify the new key", announced.join(", "));
    }
}
