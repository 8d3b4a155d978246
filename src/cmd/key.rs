use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::types::ReasonForRevocation;

use super::{format_local, format_time, Run, Session};
use crate::cli::{Key, RevocationReason};
use crate::contacts::{now, Contacts, PinState};
use crate::error::Refusal;
use crate::keys;
use crate::message::announcement::{self, Announcement};
use crate::message::new_message_id;
use crate::outbox::{self, Outgoing, Queued};
use crate::passphrase::PassphraseSource;
use crate::recovery;
use crate::store::Store;

impl Run for Key {
    fn run(&self, session: &Session) -> Result<()> {
        match self {
            Key::Rotate { revoke_old, reason } => return rotate(session, revoke_old.then_some(*reason)),
            Key::Recovery { rotate } => return recovery(session, *rotate),
            Key::Passphrase { recovery_key, new_passphrase_file } => {
                return passphrase(session, recovery_key.as_deref(), new_passphrase_file.clone())
            }
            Key::Show | Key::Export => {}
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
                        "last_backup": meta.last_backup.map(format_time),
                        "recovery_key": meta.recovery_recipient,
                    }));
                }
                println!("{} <{}>", config.account.name, config.account.address);
                println!("fingerprint: {}", keys::grouped(&cert.fingerprint()));
                if meta.kdf_lowered {
                    println!("warning: this store's passphrase work factor was lowered to {}", meta.kdf_work_factor);
                }
                match meta.last_backup {
                    Some(at) => println!("last backup: {}", format_local(at)),
                    None => println!("warning: no backup of this store has been made; run `sealpost backup FILE`"),
                }
                match &meta.recovery_recipient {
                    Some(recipient) => println!("recovery key: set ({recipient})"),
                    None => println!("recovery key: none (`sealpost key recovery` makes one)"),
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
            Key::Rotate { .. } | Key::Recovery { .. } | Key::Passphrase { .. } => unreachable!("handled above"),
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

/// Makes the recovery key (printed once), or with `rotate` replaces it.
/// The passphrase is asked for even when the agent runs.
fn recovery(session: &Session, rotate: bool) -> Result<()> {
    let (store, keyring) = session.unlock_with_passphrase()?;
    let previous = store.current_meta()?.recovery_recipient;
    if let (Some(recipient), false) = (&previous, rotate) {
        bail!(
            "this store already has a recovery key ({recipient}); it was shown once, when it was made. To \
             replace it (the old one then opens neither this store nor backups made from now on), run \
             `sealpost key recovery --rotate`"
        );
    }
    let key = recovery::set(&store, &keyring)?;
    if session.json {
        return session.print_json(&serde_json::json!({
            "recovery_key": key.secret(),
            "recipient": key.recipient(),
            "replaced": previous,
        }));
    }
    println!("recovery key (shown only this once):");
    println!();
    println!("{}", key.secret());
    println!();
    println!("Write it down or print it, and keep it sealed where the person you designate can reach it.");
    println!("With it, `sealpost key passphrase --recovery-key FILE` sets a new passphrase for this store,");
    println!("and `sealpost restore --identity FILE` opens its backups. It is as powerful as your passphrase.");
    if previous.is_some() {
        println!("The previous recovery key no longer opens this store. Backups made before still open with it:");
        println!("make a new backup now, and destroy the old ones or keep them as safe as the old key.");
    } else {
        println!("Backups made before today do not carry it: make a new backup (`sealpost backup FILE`).");
    }
    Ok(())
}

/// Seals the keyring with a new passphrase: opened with the current one
/// (asked for even when the agent runs), or with the recovery key when the passphrase is lost
/// or the keyring is damaged.
fn passphrase(
    session: &Session,
    recovery_key: Option<&std::path::Path>,
    new_passphrase_file: Option<std::path::PathBuf>,
) -> Result<()> {
    let (store, keyring) = match recovery_key {
        Some(file) => {
            Store::ensure_present(&session.home)?;
            let identities = recovery::read_identities(file)?;
            let keyring = recovery::open_store(&session.home.data_dir, &identities)?;
            (Store::from_keyring(&session.home, &keyring)?, keyring)
        }
        None => session.unlock_with_passphrase()?,
    };
    let new = PassphraseSource { file: new_passphrase_file }.new_passphrase()?;
    let meta = store.current_meta()?;
    let (sealed, work_factor) = keyring.seal_with_passphrase(&new, meta.kdf_lowered.then_some(meta.kdf_work_factor))?;
    store.replace_keyring(&sealed, work_factor)?;
    if session.json {
        return session.print_json(&serde_json::json!({
            "changed": true,
            "with_recovery_key": recovery_key.is_some(),
        }));
    }
    println!("the passphrase is changed: the new one unlocks this store, the old one no longer does");
    println!("backups made before still open with the old passphrase; make a new backup (`sealpost backup FILE`)");
    if recovery_key.is_some() {
        println!("the recovery key has been used: replace it with `sealpost key recovery --rotate`");
    }
    Ok(())
}
