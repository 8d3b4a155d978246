use std::io::{BufRead, IsTerminal, Read, Write};

use anyhow::{bail, Context, Result};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::Cert;

use super::{format_time, Run, Session};
use crate::cli::Contact as ContactCmd;
use crate::contacts::{group_hex, Contact, Contacts, PinState, Sighting, Verification};
use crate::error::Refusal;
use crate::invite::{Invite, Invites, Join, Joins};
use crate::keys;
use crate::safety_code::SafetyCode;
use crate::sanitize;
use crate::store::Store;

impl Run for ContactCmd {
    fn run(&self, session: &Session) -> Result<()> {
        let store = session.unlock()?;
        let mut contacts = Contacts::load(&store)?;
        match self {
            ContactCmd::Add { alias, address, key } => {
                let bytes = if key.as_os_str() == "-" {
                    let mut buf = Vec::new();
                    std::io::stdin().read_to_end(&mut buf).context("reading the certificate from stdin")?;
                    buf
                } else {
                    std::fs::read(key).with_context(|| format!("reading {}", key.display()))?
                };
                let cert = Cert::from_bytes(&bytes)
                    .with_context(|| format!("{} is not an OpenPGP certificate; nothing was added", key.display()))?;
                if let Some(changed) = contacts.by_address(address).filter(|c| c.state == PinState::Changed) {
                    // The new key of a contact whose key changed: kept as the
                    // candidate, still to be verified.
                    let alias = changed.alias.clone();
                    let contact = contacts.supply_candidate(&alias, &cert).context("nothing was added")?.clone();
                    contacts.save(&store)?;
                    if session.json {
                        return session.print_json(&brief(&contact));
                    }
                    println!("stored the new key {} for {alias}", keys::grouped(&cert.fingerprint()));
                    println!("state: changed; verify it with `sealpost contact verify {alias}`");
                    return Ok(());
                }
                let contact = contacts.add(alias, address, &cert).context("nothing was added")?.clone();
                contacts.save(&store)?;
                if session.json {
                    return session.print_json(&brief(&contact));
                }
                println!("pinned {} <{}>", contact.alias, contact.address);
                println!("fingerprint: {}", keys::grouped(&cert.fingerprint()));
                println!("state: unverified; verify it with `sealpost contact verify {}`", contact.alias);
            }
            ContactCmd::List => {
                if session.json {
                    let all: Vec<_> = contacts.iter().map(brief).collect();
                    return session.print_json(&serde_json::json!({ "contacts": all }));
                }
                if contacts.iter().next().is_none() {
                    println!("no contacts; add one with `sealpost contact add ALIAS ADDRESS --key FILE`");
                }
                for c in contacts.iter() {
                    println!("{:<16} {:<32} {:<10} {}", c.alias, c.address, c.state.to_string(), c.fingerprint);
                }
            }
            ContactCmd::Show { who } => {
                let joins = Joins::load(&store)?;
                let invites = Invites::load(&store)?;
                let join = contacts.find(who).map_or(who.as_str(), |c| c.address.as_str());
                let pending = joins.with(join).map(Join::describe);
                let invited = invites.for_contact(join).map(Invite::describe);
                // An address with a join under way is shown before it is a contact.
                let joining = pending.is_some() || invited.is_some();
                if session.json {
                    let mut value = match contacts.find(who) {
                        Some(contact) => detailed(&store, contact)?,
                        None if joining => serde_json::json!({ "address": keys::normalize_address(who) }),
                        None => return contacts.get(who).map(|_| ()),
                    };
                    value["join"] = serde_json::json!(pending);
                    value["invite"] = serde_json::json!(invited);
                    return session.print_json(&value);
                }
                match contacts.find(who) {
                    Some(contact) => show(&store, contact)?,
                    None if joining => println!("address:     {}", keys::normalize_address(who)),
                    None => {
                        contacts.get(who)?;
                    }
                }
                if let Some(stage) = pending {
                    println!("join:        {stage}");
                }
                if let Some(stage) = invited {
                    println!("invite:      {stage}");
                }
            }
            ContactCmd::Verify { who, fingerprint, code } => {
                let contact = contacts.get(who)?.clone();
                if session.json && fingerprint.is_none() && code.is_none() {
                    bail!("with --json, give the safety code (--code) or the fingerprint (--fingerprint)");
                }
                match verify(&store, &contact, fingerprint.as_deref(), code.as_deref())? {
                    Verified::Pinned(how) => {
                        contacts.mark_verified(&contact.alias, how)?;
                    }
                    Verified::NewKey(how) => {
                        contacts.adopt_candidate(&contact.alias, how)?;
                        if !session.json {
                            println!("the new key {} replaces the pinned one", group_hex(&contact_new_key(&contact)));
                        }
                    }
                }
                contacts.save(&store)?;
                if session.json {
                    return session.print_json(&brief(contacts.get(&contact.alias)?));
                }
                println!("{} <{}> is now verified", contact.alias, contact.address);
            }
        }
        Ok(())
    }
}

/// A contact in a listing (docs/json.md).
fn brief(contact: &Contact) -> serde_json::Value {
    serde_json::json!({
        "alias": contact.alias,
        "address": contact.address,
        "state": contact.state.to_string(),
        "fingerprint": contact.fingerprint,
    })
}

/// Everything `contact show` shows (docs/json.md).
fn detailed(store: &Store, contact: &Contact) -> Result<serde_json::Value> {
    let cert = contact.cert()?;
    let mut value = brief(contact);
    value["name"] = serde_json::json!(keys::name_for(&cert, &contact.address));
    value["added_at"] = serde_json::json!(format_time(contact.added_at as i64));
    value["verified_at"] = serde_json::json!(contact.verified_at.map(|t| format_time(t as i64)));
    value["verified_by"] = serde_json::json!(contact.verified_by.map(Verification::describe));
    value["safety_code"] = serde_json::json!(safety_code(store, contact)?.to_string());
    value["new_key"] = serde_json::json!(contact.candidate.as_ref().map(|c| serde_json::json!({
        "fingerprint": c.fingerprint,
        "seen_at": format_time(c.seen_at as i64),
        "how": c.how,
        "has_key": c.cert.is_some(),
    })));
    value["history"] = contact
        .key_history()
        .iter()
        .map(|e| serde_json::json!({ "at": format_time(e.at as i64), "fingerprint": e.fingerprint, "event": e.event }))
        .collect();
    Ok(value)
}

fn safety_code(store: &Store, contact: &Contact) -> Result<SafetyCode> {
    Ok(SafetyCode::between(&store.secret_cert().fingerprint(), &contact.fingerprint()?))
}

fn contact_new_key(contact: &Contact) -> String {
    contact.candidate.as_ref().map(|c| c.fingerprint.clone()).unwrap_or_default()
}

/// What `contact verify` confirmed.
enum Verified {
    /// The pinned key (for a `changed` contact: the different key is not theirs).
    Pinned(Verification),
    /// The new key of a `changed` contact.
    NewKey(Verification),
}

fn show(store: &Store, contact: &Contact) -> Result<()> {
    let cert = contact.cert()?;
    println!("alias:       {}", contact.alias);
    println!("address:     {}", contact.address);
    if let Some(name) = keys::name_for(&cert, &contact.address) {
        println!("name:        {}", sanitize::line(&name));
    }
    println!("fingerprint: {}", keys::grouped(&cert.fingerprint()));
    println!("state:       {}", contact.state);
    println!("added:       {}", format_time(contact.added_at as i64));
    if let (Some(at), Some(how)) = (contact.verified_at, contact.verified_by) {
        println!("verified:    {} by {}", format_time(at as i64), how.describe());
    }
    println!("safety code: {}", safety_code(store, contact)?);
    if let Some(candidate) = &contact.candidate {
        println!("new key:     {} NOT VERIFIED", group_hex(&candidate.fingerprint));
        println!("             seen {} at {}", candidate.how.describe(), format_time(candidate.seen_at as i64));
        if candidate.how == Sighting::Announcement {
            println!("             the pinned key vouched for it; that alone does not verify it");
        }
        match candidate.fingerprint.parse() {
            Ok(new) if candidate.cert.is_some() => {
                println!("new code:    {}", SafetyCode::between(&store.secret_cert().fingerprint(), &new));
                println!("             verify it with `sealpost contact verify {}`", contact.alias);
            }
            _ => println!(
                "             the key itself was not sent along; ask them for it, then \
                 `sealpost contact add {} {} --key FILE`",
                contact.alias, contact.address
            ),
        }
    }
    println!("keys:");
    for event in contact.key_history() {
        println!("  {}  {}  {}", format_time(event.at as i64), group_hex(&event.fingerprint), event.event);
    }
    if let Err(e) = keys::check_usable(&cert, &contact.address) {
        println!("warning:     the key cannot be used: {e:#}");
    }
    Ok(())
}

/// Checks the contact's key out of band; a mismatch is a verification
/// failure (exit 4) and changes nothing. For a `changed` contact the safety
/// code is the one of the new key, and a fingerprint may name either key.
fn verify(store: &Store, contact: &Contact, fingerprint: Option<&str>, code: Option<&str>) -> Result<Verified> {
    let pinned = contact.fingerprint()?;
    let new_key: Option<sequoia_openpgp::Fingerprint> =
        contact.candidate.as_ref().filter(|c| c.cert.is_some()).and_then(|c| c.fingerprint.parse().ok());
    if let Some(given) = fingerprint {
        let given = keys::parse_fingerprint(given)?;
        if Some(&given) == new_key.as_ref() {
            return Ok(Verified::NewKey(Verification::Fingerprint));
        }
        if given != pinned {
            return Err(Refusal::verification(format!(
                "the fingerprint you were given does not match the key pinned for {} <{}>\n  pinned: {}\n  given:  {}\n\
                 The contact stays {}; do not send until you know why (a different key may be in the middle).",
                contact.alias,
                contact.address,
                keys::grouped(&pinned),
                keys::grouped(&given),
                contact.state
            )));
        }
        return Ok(Verified::Pinned(Verification::Fingerprint));
    }
    let expected = match &new_key {
        Some(new) => SafetyCode::between(&store.secret_cert().fingerprint(), new),
        None => safety_code(store, contact)?,
    };
    let confirmed = |how| if new_key.is_some() { Verified::NewKey(how) } else { Verified::Pinned(how) };
    if let Some(given) = code {
        let Some(given) = SafetyCode::parse(given) else {
            bail!("{given:?} is not a safety code (expected 30 digits, as `sealpost contact show` prints them)");
        };
        if given != expected {
            return Err(Refusal::verification(format!(
                "the safety code does not match for {} <{}>; the contact stays {}. \
                 Compare again, reading every group aloud; if it still differs, do not send.",
                contact.alias, contact.address, contact.state
            )));
        }
        return Ok(confirmed(Verification::SafetyCode));
    }
    if new_key.is_some() {
        println!("{}'s key changed; this is the safety code of the NEW key", contact.alias);
    }
    println!("safety code with {} <{}>:", contact.alias, contact.address);
    println!();
    println!("    {expected}");
    println!();
    if !std::io::stdin().is_terminal() {
        bail!(
            "no terminal to confirm the comparison; when {} reads out their code, run \
             `sealpost contact verify {} --code \"CODE\"`",
            contact.alias,
            contact.alias
        );
    }
    print!("Does {}'s screen show exactly this code? [y/N] ", contact.alias);
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        Ok(confirmed(Verification::SafetyCode))
    } else {
        Err(Refusal::verification(format!(
            "not verified: the codes were not confirmed to match; {} stays {}",
            contact.alias, contact.state
        )))
    }
}
