//! The practice's records of one contact: what is kept, for how long, and
//! their disposal.
//!
//! A contact's record is every message with them, both ways: the inbox
//! rows whose sender they are (messages, receipts, join steps) with the
//! messages as received, and the sent list's rows to them with the sent
//! copies. Retention is counted from the last of those messages (the last
//! session's correspondence), or from when the contact was added when
//! there is none. The period is the contact's own (`contact retention`) or
//! the practice's (`retention` in the config); without either, records are
//! kept until the user decides. A contact on legal hold is never disposed
//! of.
//!
//! Disposal (`forget`) crypto-erases: every body of the contact (messages
//! as received, sent copies, the outbox's wire messages) is sealed under
//! the contact's data key (see `store::database`), and `forget` removes
//! those bodies and then destroys the key, so any copy left in the
//! database's log, in freed pages or in blocks the disk kept cannot be
//! opened. The rows that list the messages are deleted (SQLite overwrites
//! what it frees: `secure_delete`). What stays is a tombstone (an address
//! digest, dates and counts, who disposed and when) and the audit log's
//! entries, which name the contact only by a tag keyed with the destroyed
//! key. Backups made before the disposal hold the record as it was then:
//! they are records of their own, and `forget` says so.

use anyhow::{bail, Context, Result};

use crate::audit::{self, Action, Event};
use crate::config::Config;
use crate::contacts::{now, Contact, Contacts, Tombstone};
use crate::inbox::{self, Entry};
use crate::keys;
use crate::message::compose::sha256_hex;
use crate::outbox::{self, Sent, SentList};
use crate::store::Store;

/// A retention period as a practice writes it: whole calendar years or
/// months, or days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Months(u64),
    Days(u64),
}

impl Period {
    /// When a period that starts at `since` (Unix seconds) ends: the same
    /// time of day on the same day of the month, `n` months or years on
    /// (UTC), never before it. A day the month does not have (the 31st,
    /// February 29th) moves to the first day of the month after. So a
    /// record is never due before its legal minimum; years of 365.25 days
    /// made it due up to half a day early.
    pub fn end(self, since: u64) -> u64 {
        match self {
            Period::Days(n) => since.saturating_add(n * 86_400),
            Period::Months(n) => {
                // The calendar sealpost dates mail with everywhere.
                let start = mail_parser::DateTime::from_timestamp(since as i64);
                let months = u64::from(start.year) * 12 + u64::from(start.month - 1) + n;
                let (year, month) = ((months / 12) as u16, (months % 12) as u8 + 1);
                let last = days_in_month(year, month);
                let end = mail_parser::DateTime { year, month, day: start.day.min(last), ..start };
                let moved_on = if start.day > last { 86_400 } else { 0 };
                (end.to_timestamp() + moved_on).max(0) as u64
            }
        }
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 31,
    }
}

/// A retention period: `7y`, `6y`, `18m` (months), `90d`, or `none`
/// (kept until the user decides, `None`).
pub fn parse_period(text: &str) -> Result<Option<Period>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n <= 100 * 365)
        .with_context(|| format!("{text:?} is not a retention period like 7y, 18m, 90d or none"))?;
    let period = match unit {
        "y" => Period::Months(n * 12),
        "m" => Period::Months(n),
        "d" => Period::Days(n),
        _ => bail!("{text:?} is not a retention period like 7y, 18m, 90d or none"),
    };
    Ok(Some(period))
}

/// One contact's record as the store has it.
pub struct Record {
    pub contact: Contact,
    /// Inbox rows from them (messages, receipts, join steps), in order.
    pub received: Vec<Entry>,
    /// What left for them, in order.
    pub sent: Vec<Sent>,
}

impl Record {
    /// When the last message with them was (received or sent; Unix time).
    pub fn last_message_at(&self) -> Option<u64> {
        let received = self.received.iter().map(|e| e.received_at);
        let sent = self.sent.iter().map(|s| s.sent_at);
        received.chain(sent).max()
    }

    pub fn first_message_at(&self) -> Option<u64> {
        let received = self.received.iter().map(|e| e.received_at);
        let sent = self.sent.iter().map(|s| s.sent_at);
        received.chain(sent).min()
    }
}

/// Every message both ways, read once, to take each contact's record from.
pub struct History {
    received: Vec<Entry>,
    sent: Vec<Sent>,
}

impl History {
    pub fn load(store: &Store) -> Result<History> {
        Ok(History { received: inbox::all_entries(store)?, sent: SentList::load(store)?.all()? })
    }

    /// The record of `contact`.
    pub fn record(&self, contact: &Contact) -> Record {
        let address = &contact.address;
        let received = self
            .received
            .iter()
            .filter(|e| e.sender.as_deref().map(keys::normalize_address).as_deref() == Some(address))
            .cloned()
            .collect();
        let sent = self.sent.iter().filter(|s| keys::normalize_address(&s.to) == *address).cloned().collect();
        Record { contact: contact.clone(), received, sent }
    }
}

/// The record of `contact`.
pub fn record_of(store: &Store, contact: &Contact) -> Result<Record> {
    Ok(History::load(store)?.record(contact))
}

/// Where a contact's record stands against its retention period.
pub struct Retention {
    pub alias: String,
    pub address: String,
    /// The period in force, as written (`7y`), and where it comes from.
    pub period: Option<String>,
    pub from_contact: bool,
    /// Counted from: the last message, or when the contact was added.
    pub since: u64,
    /// When the period ends (`None`: kept until the user decides).
    pub ends_at: Option<u64>,
    pub hold: bool,
    pub received: usize,
    pub sent: usize,
}

impl Retention {
    /// Past its period (and not on hold): it may be disposed of.
    pub fn due(&self, now: u64) -> bool {
        !self.hold && self.ends_at.is_some_and(|end| end <= now)
    }
}

/// Every contact's retention, in the contact list's order.
pub fn retention(store: &Store, config: &Config, contacts: &Contacts) -> Result<Vec<Retention>> {
    let practice = match &config.retention {
        Some(text) => {
            let period = parse_period(text).with_context(|| format!("`retention = \"{text}\"` in the config"))?;
            Some((text.clone(), period))
        }
        None => None,
    };
    // Every message is read once, not once per contact.
    let history = History::load(store)?;
    let mut all = Vec::new();
    for contact in contacts.iter() {
        let record = history.record(contact);
        let (period, length, from_contact) = match (&contact.retention, &practice) {
            (Some(own), _) => (Some(own.clone()), parse_period(own)?, true),
            (None, Some((text, length))) => (Some(text.clone()), *length, false),
            (None, None) => (None, None, false),
        };
        let since = record.last_message_at().unwrap_or(contact.added_at);
        all.push(Retention {
            alias: contact.alias.clone(),
            address: contact.address.clone(),
            period,
            from_contact,
            since,
            ends_at: length.map(|length| length.end(since)),
            hold: contact.hold.is_some(),
            received: record.received.len(),
            sent: record.sent.len(),
        });
    }
    Ok(all)
}

/// What `forget` removed.
pub struct Forgotten {
    pub tombstone: Tombstone,
    pub received: usize,
    pub sent: usize,
    /// Messages still waiting in the outbox for them, dropped.
    pub queued: usize,
    /// Bodies removed with the data key.
    pub documents: usize,
}

/// Disposes of `record` (see the module's doc), taken by `record_of`
/// under the same writer's lock, in one transaction with its audit entry;
/// `deleted_on_server` says how many of their messages were deleted on the
/// server before. Refuses a contact on legal hold.
pub fn forget(store: &Store, record: &Record, deleted_on_server: u64) -> Result<Forgotten> {
    let contact = &record.contact;
    refuse_held(contact)?;
    store.transaction(|| {
        let mut contacts = Contacts::load(store)?;
        let address = contact.address.clone();
        for entry in &record.received {
            inbox::remove(store, entry.id)?;
        }
        for sent in &record.sent {
            outbox::remove_sent(store, &sent.message_id)?;
        }
        let queued = outbox::drop_for(store, &address)?;
        let tombstone = Tombstone {
            address_sha256: address_digest(&address),
            added_at: contact.added_at,
            first_message_at: record.first_message_at(),
            last_message_at: record.last_message_at(),
            received: record.received.len() as u64,
            sent: record.sent.len() as u64,
            forgotten_at: now(),
            forgotten_by: store.secret_cert().fingerprint().to_hex(),
            deleted_on_server,
        };
        // Written while the contact's tag can still be made: afterwards
        // nothing links it to them.
        audit::record(
            store,
            Event::new(Action::Forget).contact(&address).sha256(Some(&tombstone.address_sha256)).detail(format!(
                "{} received and {} sent message(s) disposed of, {queued} queued dropped, {deleted_on_server} deleted \
                 on the server",
                record.received.len(),
                record.sent.len()
            )),
        )?;
        let documents = store.db().destroy_data_key(&address)?;
        // The invites and joins with them name them too.
        let mut invites = crate::invite::Invites::load(store)?;
        if invites.forget(&address) > 0 {
            invites.save(store)?;
        }
        let mut joins = crate::invite::Joins::load(store)?;
        if joins.forget(&address) > 0 {
            joins.save(store)?;
        }
        contacts.remove(&address);
        contacts.tombstones.push(tombstone.clone());
        contacts.save(store)?;
        Ok(Forgotten { tombstone, received: record.received.len(), sent: record.sent.len(), queued, documents })
    })
}

/// Refuses a contact on legal hold: nothing of theirs is disposed of.
pub fn refuse_held(contact: &Contact) -> Result<()> {
    if contact.hold.is_some() {
        bail!(
            "{} <{}> is on legal hold: nothing was disposed of (`sealpost contact release {}` ends the hold)",
            contact.alias,
            contact.address,
            contact.alias
        );
    }
    Ok(())
}

/// SHA-256 (hex) of a normalized address, as tombstones keep it.
pub fn address_digest(address: &str) -> String {
    sha256_hex(keys::normalize_address(address).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_a_practice_writes_them() {
        assert_eq!(parse_period("7y").unwrap(), Some(Period::Months(84)));
        assert_eq!(parse_period("18m").unwrap(), Some(Period::Months(18)));
        assert_eq!(parse_period("90d").unwrap(), Some(Period::Days(90)));
        assert_eq!(parse_period("none").unwrap(), None);
        for bad in ["", "7", "7 years", "0y", "-1y", "7w"] {
            assert!(parse_period(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_period_ends_on_the_calendar_anniversary_never_before_it() {
        let date = |at: u64| {
            let d = mail_parser::DateTime::from_timestamp(at as i64);
            (d.year, d.month, d.day)
        };
        let midnight = |year, month, day| {
            mail_parser::DateTime { year, month, day, hour: 0, minute: 0, second: 0, ..Default::default() }
                .to_timestamp() as u64
        };
        // 2026-11-28 07:09:20 UTC.
        let since = 1_795_849_760;
        assert_eq!(date(since), (2026, 11, 28));
        let at = |period: &str| {
            let end = parse_period(period).unwrap().unwrap().end(since);
            (date(end), end % 86_400)
        };
        for (period, day) in
            [("10y", (2036, 11, 28)), ("6y", (2032, 11, 28)), ("18m", (2028, 5, 28)), ("3d", (2026, 12, 1))]
        {
            assert_eq!(at(period), (day, since % 86_400), "{period}");
        }
        // A day the month does not have moves on, not back.
        let leap_day = midnight(2024, 2, 29);
        assert_eq!(date(Period::Months(12).end(leap_day)), (2025, 3, 1));
        assert_eq!(date(Period::Months(48).end(leap_day)), (2028, 2, 29));
        assert_eq!(date(Period::Months(1).end(midnight(2026, 1, 31))), (2026, 3, 1));
        assert_eq!(date(Period::Months(1).end(midnight(2026, 12, 31))), (2027, 1, 31));
    }
}
