//! Reading over IMAP, with TLS required and verified.
//!
//! The connection is secured here (implicit TLS, or STARTTLS that must be
//! offered) and only then handed to the imap crate, so no login or command
//! ever crosses the network in plaintext. Fetching is incremental by UID:
//! the cursor remembers UIDVALIDITY and the highest UID seen; a changed
//! UIDVALIDITY starts over from the first message, and the inbox's
//! Message-ID check keeps that rescan from storing anything twice.
//! Messages are fetched with BODY.PEEK, so nothing is marked or deleted.

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::tls::{self, Handshake, TlsStream};
use super::{Incoming, Sink, Source};
use crate::account::{Login, Method};
use crate::config::{Security, Server};
use crate::error::Refusal;
use crate::sign_in;

/// Where incremental fetching stands.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub uid_validity: Option<u32>,
    pub last_uid: u32,
}

pub type Session = imap::Session<TlsStream>;

/// A logged-in IMAP session over verified TLS.
pub fn login(server: &Server, login: &Login) -> Result<(Session, Handshake)> {
    // Unreachable is "try again later" (exit 6), as for SMTP: the server may
    // be down or the network away, and nothing is lost by waiting.
    let tcp = tls::connect_tcp(&server.host, server.port).map_err(|e| {
        Refusal::queued(format!(
            "the IMAP server {}:{} cannot be reached ({e:#}); nothing was fetched, try again later",
            server.host, server.port
        ))
    })?;
    let (stream, handshake, greeted) = match server.security {
        Security::Tls => {
            let (stream, handshake) = tls::handshake(tcp, &server.host, server.ca_file.as_deref())?;
            (stream, handshake, false)
        }
        Security::Starttls => {
            let mut tcp = tcp;
            let greeting = tls::read_line(&mut tcp).context("reading the IMAP greeting")?;
            if !greeting.starts_with("* OK") {
                bail!("unexpected IMAP greeting: {greeting}");
            }
            tls::write_line(&mut tcp, "s1 CAPABILITY")?;
            let capabilities = tagged_reply(&mut tcp, "s1")?;
            let offers = capabilities.iter().any(|l| l.split(' ').any(|w| w.eq_ignore_ascii_case("STARTTLS")));
            if !offers {
                bail!("{}:{} does not offer STARTTLS; refusing to continue without TLS", server.host, server.port);
            }
            tls::write_line(&mut tcp, "s2 STARTTLS")?;
            tagged_reply(&mut tcp, "s2")?;
            tls::refuse_pending_plaintext(&tcp, &format!("{}:{}", server.host, server.port))?;
            let (stream, handshake) = tls::handshake(tcp, &server.host, server.ca_file.as_deref())?;
            (stream, handshake, true)
        }
    };
    let mut client = imap::Client::new(stream);
    if !greeted {
        client.read_greeting().context("reading the IMAP greeting")?;
    }
    let username = &login.username;
    let session = match login.method {
        Method::Password => {
            client.login(username, &*login.secret).map_err(|(e, _)| anyhow!("IMAP login as {username} failed: {e}"))?
        }
        Method::OAuth2 => {
            client.authenticate("XOAUTH2", &XOAuth2(sign_in::xoauth2(username, &login.secret))).map_err(|(e, _)| {
                anyhow!(
                    "IMAP sign-in as {username} with the OAuth2 token failed: {e}; if the sign-in was revoked, run \
                     `sealpost account login`"
                )
            })?
        }
    };
    Ok((session, handshake))
}

/// XOAUTH2: the whole answer goes with the first response; to the error
/// challenge a failed login gets, the answer is empty, so the server ends
/// the exchange with NO.
struct XOAuth2(zeroize::Zeroizing<String>);

impl imap::Authenticator for XOAuth2 {
    type Response = Vec<u8>;

    fn process(&self, challenge: &[u8]) -> Vec<u8> {
        if challenge.is_empty() {
            self.0.as_bytes().to_vec()
        } else {
            Vec::new()
        }
    }
}

/// Lines of a reply up to the tagged one, which must be OK.
fn tagged_reply(stream: &mut impl std::io::Read, tag: &str) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let line = tls::read_line(stream)?;
        if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
            if !rest.starts_with("OK") {
                bail!("the IMAP server answered {line}");
            }
            return Ok(lines);
        }
        lines.push(line);
    }
}

/// Reads new messages from one folder, and from the sent folder when there
/// is one.
pub struct Imap {
    session: Session,
    folder: String,
    sent_folder: Option<String>,
}

impl Imap {
    pub fn new(session: Session, folder: &str, sent_folder: Option<&str>) -> Imap {
        Imap { session, folder: folder.to_string(), sent_folder: sent_folder.map(str::to_string) }
    }

    pub fn logout(mut self) {
        let _ = self.session.logout();
    }
}

impl Source for Imap {
    fn fetch_new(&mut self, cursor: &mut Cursor, sink: &mut dyn Sink) -> Result<()> {
        let folder = self.folder.clone();
        self.fetch_folder(&folder, cursor, sink, false)
    }

    fn fetch_sent(&mut self, cursor: &mut Cursor, sink: &mut dyn Sink) -> Result<()> {
        let Some(folder) = self.sent_folder.clone() else { return Ok(()) };
        self.fetch_folder(&folder, cursor, sink, true)
    }

    /// Marks the messages `\Deleted` and expunges exactly those (UID
    /// EXPUNGE, RFC 4315), never anything else marked in the folder.
    fn delete(&mut self, source_ids: &[String], sent_outer_ids: &[String]) -> Result<u64> {
        let folder = self.folder.clone();
        let mailbox = self.session.select(&folder).with_context(|| format!("opening folder {folder}"))?;
        let validity = mailbox.uid_validity.unwrap_or(0);
        let uids: Vec<u32> = source_ids
            .iter()
            .filter_map(|id| {
                let (v, uid) = id.strip_prefix("imap:")?.split_once(':')?;
                (v.parse::<u32>().ok()? == validity).then(|| uid.parse().ok())?
            })
            .collect();
        let mut deleted = self.delete_uids(&folder, &uids)?;
        if let Some(sent) = self.sent_folder.clone().filter(|_| !sent_outer_ids.is_empty()) {
            if self.session.select(&sent).is_ok() {
                let mut found = Vec::new();
                for outer_id in sent_outer_ids {
                    let query = format!("HEADER Message-ID {}", quoted(outer_id));
                    found.extend(self.session.uid_search(&query).with_context(|| format!("searching {sent}"))?);
                }
                deleted += self.delete_uids(&sent, &found)?;
            }
        }
        Ok(deleted)
    }
}

impl Imap {
    /// Deletes these UIDs of the selected `folder`; how many there were.
    fn delete_uids(&mut self, folder: &str, uids: &[u32]) -> Result<u64> {
        if uids.is_empty() {
            return Ok(0);
        }
        let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        self.session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").with_context(|| format!("marking in {folder}"))?;
        self.session.uid_expunge(&set).with_context(|| format!("expunging in {folder}"))?;
        Ok(uids.len() as u64)
    }
}

impl Imap {
    /// Hands the new messages of `folder` to `sink` (see `Source`). For the
    /// sent folder (`sent`), a folder that does not exist yet holds
    /// nothing, and the outer Message-IDs are listed first so that copies
    /// the sink has are not fetched at all.
    fn fetch_folder(&mut self, folder: &str, cursor: &mut Cursor, sink: &mut dyn Sink, sent: bool) -> Result<()> {
        let mailbox = match self.session.examine(folder) {
            Ok(mailbox) => mailbox,
            // No such folder (nothing was sent with a copy kept there yet),
            // or none this account may read: nothing to take from it.
            Err(imap::Error::No(_)) if sent => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("opening folder {folder}")),
        };
        let validity = mailbox.uid_validity;
        if validity != cursor.uid_validity {
            *cursor = Cursor { uid_validity: validity, last_uid: 0 };
        }
        if mailbox.exists == 0 {
            return Ok(());
        }
        // The sent folder is listed with sizes and Message-IDs at once:
        // copies the sink has are not fetched at all. The inbox is listed
        // by UID alone, and its sizes (which bound the batches) a window
        // at a time as fetching goes (`sized`).
        let range = format!("{}:*", cursor.last_uid.saturating_add(1));
        let mut has_copy = std::collections::BTreeSet::new();
        let mut new: Vec<(u32, Option<u64>)> = if sent {
            let query = "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])";
            let listed = self.session.uid_fetch(&range, query).context("listing new messages")?;
            for fetch in listed.iter() {
                if fetch.header().and_then(outer_message_id).is_some_and(|id| sink.has_copy(&id)) {
                    has_copy.extend(fetch.uid);
                }
            }
            listed.iter().filter_map(listed_size).map(|(uid, size)| (uid, Some(size))).collect()
        } else {
            let found = self.session.uid_search(format!("UID {range}")).context("listing new messages")?;
            found.into_iter().map(|uid| (uid, None)).collect()
        };
        // `n:*` always names the newest message, even when it is older; a
        // UID from UIDNEXT on names no message (a server's error, which
        // would move the cursor past mail to come).
        let before = mailbox.uid_next.unwrap_or(u32::MAX);
        new.retain(|(uid, _)| *uid > cursor.last_uid && *uid < before);
        new.sort_unstable();
        new.dedup_by_key(|(uid, _)| *uid);
        // Everything listed is handled once the batches are: the cursor may
        // then pass what was left out as known.
        let highest = new.last().map(|(uid, _)| *uid);
        let validity = validity.unwrap_or(0);
        let ids: Vec<String> = new.iter().map(|(uid, _)| source_id(validity, *uid)).collect();
        let mut known = sink.known(&ids).into_iter();
        new.retain(|(uid, _)| !known.next().unwrap_or(false) && !has_copy.contains(uid));
        sink.expect(new.len());
        let session = &mut self.session;
        let mut waiting = new.into_iter();
        let mut ready: std::collections::VecDeque<Vec<u32>> = Default::default();
        let mut window = FIRST_WINDOW;
        super::fetch_ahead(
            move || loop {
                if let Some(batch) = ready.pop_front() {
                    return Some(fetch_batch(session, &batch, validity).map(|found| (batch, found)));
                }
                let next: Vec<(u32, Option<u64>)> = waiting.by_ref().take(window).collect();
                if next.is_empty() {
                    return None;
                }
                window = WINDOW;
                match sized(session, next) {
                    Ok(sized) => ready.extend(super::batches(sized)),
                    Err(e) => return Some(Err(e)),
                }
            },
            |batch: Vec<u32>, found| {
                cursor.last_uid = cursor.last_uid.max(*batch.iter().max().expect("batches are not empty"));
                sink.take(found, cursor)
            },
        )?;
        if let Some(highest) = highest.filter(|uid| *uid > cursor.last_uid) {
            cursor.last_uid = highest;
            sink.take(Vec::new(), cursor)?;
        }
        Ok(())
    }
}

/// How many of the inbox's new messages have their sizes listed at once,
/// on the fetching thread, as fetching goes (the first window smaller, so
/// the first batch, and the threads opening messages, start soon): listing
/// all 10,000 sizes of a first sync before fetching kept its other threads
/// waiting about 30 ms.
const FIRST_WINDOW: usize = 50;
const WINDOW: usize = 1000;

/// `uids` (ascending) with their sizes: as listed already, or listed now.
/// One the server no longer lists (deleted meanwhile) is left out; one it
/// lists without a size counts as a whole batch.
fn sized(session: &mut Session, uids: Vec<(u32, Option<u64>)>) -> Result<Vec<(u32, u64)>> {
    if let Some(sized) = uids.iter().map(|(uid, size)| Some((*uid, (*size)?))).collect() {
        return Ok(sized);
    }
    let wanted: Vec<u32> = uids.iter().map(|(uid, _)| *uid).collect();
    let mut sized = Vec::with_capacity(wanted.len());
    for set in uid_sets(&wanted) {
        let listed = session.uid_fetch(set, "(UID RFC822.SIZE)").context("listing new messages")?;
        sized.extend(listed.iter().filter_map(listed_size).filter(|(uid, _)| wanted.binary_search(uid).is_ok()));
    }
    sized.sort_unstable();
    sized.dedup_by_key(|(uid, _)| *uid);
    Ok(sized)
}

/// The UID and size of a listed message; a size the server does not give
/// counts as a whole batch.
fn listed_size(fetch: &imap::types::Fetch<'_>) -> Option<(u32, u64)> {
    Some((fetch.uid?, fetch.size.map_or(super::BATCH_BYTES, u64::from)))
}

/// The messages with these UIDs (ascending), whole.
fn fetch_batch(session: &mut Session, batch: &[u32], validity: u32) -> Result<Vec<Incoming>> {
    let fetches = session.uid_fetch(uid_set(batch), "(UID BODY.PEEK[])").context("fetching new messages")?;
    let mut found = Vec::with_capacity(batch.len());
    for fetch in fetches.iter() {
        let Some(uid) = fetch.uid.filter(|uid| batch.binary_search(uid).is_ok()) else { continue };
        let raw = fetch.body().with_context(|| format!("message UID {uid} came without a body"))?.to_vec();
        found.push(Incoming { source_id: source_id(validity, uid), raw });
    }
    Ok(found)
}

/// An IMAP UID set naming exactly `uids` (ascending, each once): runs of
/// consecutive UIDs as ranges, so a batch of a first sync is one range.
fn uid_set(uids: &[u32]) -> String {
    uid_sets(uids).join(",")
}

/// `uid_set` in pieces of at most about `LONGEST_SET` bytes, for a
/// command each: a window of UIDs with gaps (mail deleted meanwhile) would
/// make a command line longer than servers are asked to take (RFC 7162
/// advises clients to stay within 8,192 octets).
fn uid_sets(uids: &[u32]) -> Vec<String> {
    const LONGEST_SET: usize = 4000;
    let mut sets = vec![String::new()];
    let mut rest = uids.iter().copied().peekable();
    while let Some(start) = rest.next() {
        let mut end = start;
        while let Some(next) = rest.next_if(|next| Some(*next) == end.checked_add(1)) {
            end = next;
        }
        let run = if end > start { format!("{start}:{end}") } else { start.to_string() };
        let set = sets.last_mut().expect("one set at least");
        if set.is_empty() {
            *set = run;
        } else if set.len() + 1 + run.len() > LONGEST_SET {
            sets.push(run);
        } else {
            set.push(',');
            set.push_str(&run);
        }
    }
    sets.retain(|set| !set.is_empty());
    sets
}

/// The stable name of a message in a folder: UIDVALIDITY and UID.
fn source_id(validity: u32, uid: u32) -> String {
    format!("imap:{validity}:{uid}")
}

/// The Message-ID in a message's (outer) headers, with its angle brackets.
fn outer_message_id(headers: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::default().parse_headers(headers)?;
    parsed.message_id().map(|id| format!("<{id}>"))
}

/// Appends a copy to the sent folder (creating the folder if needed),
/// unless a message with the Message-ID `outer_id` is in it already: an
/// append whose reply was lost, or a kill before it was recorded, must not
/// leave two copies.
pub fn store_sent_copy(session: &mut Session, folder: &str, outer_id: &str, raw: &[u8]) -> Result<()> {
    match session.examine(folder) {
        Ok(_) => {
            let query = format!("HEADER Message-ID {}", quoted(outer_id));
            let found = session.uid_search(&query).with_context(|| format!("searching {folder}"))?;
            if !found.is_empty() {
                return Ok(());
            }
        }
        // No such folder yet, so no copy in it.
        Err(_) => {
            let _ = session.create(folder);
        }
    }
    session
        .append(folder, raw)
        .flag(imap::types::Flag::Seen)
        .finish()
        .with_context(|| format!("appending the sent copy to {folder}"))?;
    Ok(())
}

/// An IMAP quoted string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Folder names, for `account check`.
pub fn folders(session: &mut Session) -> Result<Vec<String>> {
    let names = session.list(None, Some("*")).context("listing folders")?;
    Ok(names.iter().map(|n| n.name().to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::{uid_set, uid_sets};

    #[test]
    fn a_uid_set_names_exactly_the_uids_given() {
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&(1..=200).collect::<Vec<_>>()), "1:200");
        assert_eq!(uid_set(&[1, 2, 3, 5, 8, 9, 11]), "1:3,5,8:9,11");
        assert_eq!(uid_set(&[4, 6]), "4,6");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), format!("{}:{}", u32::MAX - 1, u32::MAX));
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn a_long_uid_set_is_split_into_commands_that_name_each_uid_once() {
        // Every other UID: no ranges, 1,000 numbers of 5 to 6 digits.
        let uids: Vec<u32> = (0..1000).map(|n| 10_000 + 2 * n).collect();
        let sets = uid_sets(&uids);
        assert!(sets.len() > 1, "{} bytes in one command", sets[0].len());
        assert!(sets.iter().all(|set| set.len() <= 4000));
        let named: Vec<u32> = sets.iter().flat_map(|set| set.split(',')).map(|uid| uid.parse().unwrap()).collect();
        assert_eq!(named, uids);
        assert_eq!(uid_sets(&[1, 2, 3]), ["1:3"]);
    }
}
