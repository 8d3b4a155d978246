use std::io::{BufRead, IsTerminal, Read, Write};

use anyhow::{bail, Context, Result};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::Cert;

use super::{format_local, format_time, Run, Session};
use crate::audit::{self, Action, Event};
use crate::cli::Contact as ContactCmd;
use crate::contacts::{group_hex, now, Consent, Contact, Contacts, SeenIn, Sighting, Verification};
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
                let fingerprint = cert.fingerprint().to_hex();
                let sighted = contacts
                    .by_address(address)
                    .filter(|c| c.sightings.iter().chain(c.announced.as_ref()).any(|s| s.fingerprint == fingerprint));
                if let Some(sighted) = sighted {
                    // A key seen for the contact but not sent along: stored
                    // with the sighting, still to be verified.
                    let alias = sighted.alias.clone();
                    let contact = contacts.supply_sighted(&alias, &cert).context("nothing was added")?.clone();
                    contacts.save(&store)?;
                    if session.json {
                        return session.print_json(&brief(&contact));
                    }
                    println!("stored the new key {} for {alias}", keys::grouped(&cert.fingerprint()));
                    println!("not verified; verify it with `sealpost contact verify {alias}`");
                    return Ok(());
                }
                let contact = contacts.add(alias, address, &cert).context("nothing was added")?.clone();
                store.transaction(|| {
                    contacts.save(&store)?;
                    let event = Event::new(Action::ContactAdded).contact(&contact.address);
                    audit::record(&store, event.detail(format!("pinned key {}", contact.fingerprint)))
                })?;
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
            ContactCmd::Consent { who, date, note } => {
                super::parse_day(date)?;
                let contact = contacts.get_mut(who)?;
                contact.consent =
                    Some(Consent { date: date.clone(), note: note.as_deref().map(sanitize::line), recorded_at: now() });
                let (alias, address) = (contact.alias.clone(), contact.address.clone());
                store.transaction(|| {
                    contacts.save(&store)?;
                    audit::record(
                        &store,
                        Event::new(Action::Consent).contact(&address).detail(format!("consent of {date}")),
                    )
                })?;
                if session.json {
                    return session.print_json(&serde_json::json!({ "contact": alias, "consent": date }));
                }
                println!("recorded the consent of {alias} <{address}> to electronic messaging, given {date}");
            }
            ContactCmd::Hold { who } | ContactCmd::Release { who } => {
                let hold = matches!(self, ContactCmd::Hold { .. });
                let contact = contacts.get_mut(who)?;
                contact.hold = hold.then(now);
                let (alias, address) = (contact.alias.clone(), contact.address.clone());
                let action = if hold { Action::Hold } else { Action::Release };
                store.transaction(|| {
                    contacts.save(&store)?;
                    audit::record(&store, Event::new(action).contact(&address))
                })?;
                if session.json {
                    return session.print_json(&serde_json::json!({ "contact": alias, "hold": hold }));
                }
                match hold {
                    true => println!("{alias} <{address}> is on legal hold: `forget` refuses their records"),
                    false => println!("the legal hold on {alias} <{address}> has ended"),
                }
            }
            ContactCmd::Retention { who, period } => {
                let own = match period.as_str() {
                    "practice" => None,
                    other => {
                        crate::records::parse_period(other)?;
                        Some(other.to_string())
                    }
                };
                let contact = contacts.get_mut(who)?;
                contact.retention = own.clone();
                let (alias, address) = (contact.alias.clone(), contact.address.clone());
                store.transaction(|| {
                    contacts.save(&store)?;
                    audit::record(&store, Event::new(Action::Retention).contact(&address).detail(period.clone()))
                })?;
                if session.json {
                    return session.print_json(&serde_json::json!({ "contact": alias, "retention": own }));
                }
                match own {
                    Some(own) => println!("the records of {alias} are kept for {own} after the last message"),
                    None => println!("the records of {alias} are kept for the practice's period"),
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
                    Verified::NewKey(fingerprint, how) => {
                        contacts.adopt(&contact.alias, &fingerprint, how)?;
                        if !session.json {
                            println!("the new key {} replaces the pinned one", group_hex(&fingerprint));
                        }
                    }
                }
                store.transaction(|| {
                    contacts.save(&store)?;
                    let verified = contacts.get(&contact.alias)?;
                    let event = Event::new(Action::ContactVerified).contact(&contact.address);
                    audit::record(&store, event.detail(format!("key {}", verified.fingerprint)))
                })?;
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
    let seen = |s: &Sighting| {
        serde_json::json!({
            "fingerprint": s.fingerprint,
            "seen_at": format_time(s.seen_at as i64),
            "how": s.how,
            "has_key": s.cert.is_some(),
        })
    };
    value["new_key"] = serde_json::json!(contact.key_in_question().map(seen));
    value["sightings"] = contact.sightings.iter().map(seen).collect();
    value["announced"] = serde_json::json!(contact.announced.as_ref().map(seen));
    value["revoked"] = serde_json::json!(contact.revoked.as_ref().map(|r| serde_json::json!({
        "at": format_time(r.at as i64),
        "reason": sanitize::line(&r.reason),
    })));
    value["consent"] = serde_json::json!(contact.consent.as_ref().map(|c| serde_json::json!({
        "date": c.date,
        "note": c.note,
        "recorded_at": format_time(c.recorded_at as i64),
    })));
    value["hold"] = serde_json::json!(contact.hold.is_some());
    value["retention"] = serde_json::json!(contact.retention);
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

/// What `contact verify` confirmed.
enum Verified {
    /// The pinned key (keys seen for the contact are not theirs).
    Pinned(Verification),
    /// A key announced or seen for the contact: it replaces the pinned one.
    NewKey(String, Verification),
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
    println!("added:       {}", format_local(contact.added_at as i64));
    if let (Some(at), Some(how)) = (contact.verified_at, contact.verified_by) {
        println!("verified:    {} by {}", format_local(at as i64), how.describe());
    }
    match &contact.consent {
        Some(consent) => println!(
            "consent:     given {}{}",
            consent.date,
            consent.note.as_deref().map(|n| format!(" ({})", sanitize::line(n))).unwrap_or_default()
        ),
        None => println!("consent:     not recorded (`sealpost contact consent {} --date YYYY-MM-DD`)", contact.alias),
    }
    if contact.hold.is_some() {
        println!("hold:        on legal hold: `forget` refuses these records");
    }
    if let Some(period) = &contact.retention {
        println!("retention:   {period} after the last message (the contact's own)");
    }
    if let Some(revoked) = &contact.revoked {
        println!(
            "revoked:     {} by its owner ({}); sending is blocked until you verify a new key",
            format_local(revoked.at as i64),
            sanitize::line(&revoked.reason)
        );
    }
    println!("safety code: {}", safety_code(store, contact)?);
    let in_question = contact.key_in_question();
    for seen in contact.announced.iter().chain(contact.sightings.iter().rev()) {
        println!("other key:   {} NOT VERIFIED", group_hex(&seen.fingerprint));
        println!("             seen {} on {}", seen.how.describe(), format_local(seen.seen_at as i64));
        match seen.how {
            SeenIn::Announcement => {
                println!("             the pinned key vouched for it; that alone does not verify it")
            }
            _ => println!(
                "             nothing changed: unauthenticated mail cannot replace a key; if {} has a new \
                 device, verify it",
                contact.alias
            ),
        }
        match seen.fingerprint.parse() {
            Ok(new) if seen.cert.is_some() => {
                println!("new code:    {}", SafetyCode::between(&store.secret_cert().fingerprint(), &new));
                if in_question == Some(seen) {
                    println!("             verify it with `sealpost contact verify {}`", contact.alias);
                } else {
                    println!(
                        "             verify it with `sealpost contact verify {} --fingerprint {}`",
                        contact.alias, seen.fingerprint
                    );
                }
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
        println!("  {}  {}  {}", format_local(event.at as i64), group_hex(&event.fingerprint), event.event);
    }
    if let Err(e) = keys::check_usable(&cert, &contact.address) {
        println!("warning:     the key cannot be used: {e:#}");
    }
    Ok(())
}

/// Checks the contact's key out of band; a mismatch is a verification
/// failure (exit 4) and changes nothing. While another key is in question
/// (announced, else the newest sighting) the safety code is the one of that
/// key, and a fingerprint may name the pinned key or any key seen.
fn verify(store: &Store, contact: &Contact, fingerprint: Option<&str>, code: Option<&str>) -> Result<Verified> {
    let pinned = contact.fingerprint()?;
    let seen_with_key = || contact.sightings.iter().chain(contact.announced.as_ref()).filter(|s| s.cert.is_some());
    let new_key: Option<sequoia_openpgp::Fingerprint> =
        contact.key_in_question().filter(|s| s.cert.is_some()).and_then(|s| s.fingerprint.parse().ok());
    if let Some(given) = fingerprint {
        let given = keys::parse_fingerprint(given)?;
        if let Some(seen) = seen_with_key().find(|s| s.fingerprint == given.to_hex()) {
            return Ok(Verified::NewKey(seen.fingerprint.clone(), Verification::Fingerprint));
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
    let confirmed = |how| match &new_key {
        Some(new) => Verified::NewKey(new.to_hex(), how),
        None => Verified::Pinned(how),
    };
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
        println!(
            "another key was seen for {}; this is the safety code of THAT key. If it does not match, it is not \
             theirs and nothing changes",
            contact.alias
        );
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
