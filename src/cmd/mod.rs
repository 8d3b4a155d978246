//! The commands: each file is one command, orchestrating the library core.
//! They parse nothing and touch no files themselves; they unlock, call the
//! core, and print.

mod account;
mod agent;
mod audit;
mod backup;
mod complete_contacts;
mod contact;
mod demo;
mod export;
mod forget;
mod generate_docs;
mod inbox;
mod init;
mod input;
mod invite;
mod join;
mod key;
mod outbox;
mod read;
mod reply;
mod restore;
mod retention;
mod send;
mod sent;
mod status;
mod sync;

use anyhow::Result;

use crate::account::{Credentials, Role};
use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::home::Home;
use crate::outbox::{Flushed, Retry};
use crate::passphrase::PassphraseSource;
use crate::store::Store;
use crate::transport::imap::Imap;
use crate::transport::maildir::{Drop, Maildir};
use crate::transport::smtp::Smtp;
use crate::transport::{SentCopy, Source, Submission, Transport};

/// The IMAP folder for copies of sent messages when the config names none.
const SENT_FOLDER: &str = "Sent";

/// What every command gets: where the identity lives and how to unlock it.
pub struct Session {
    pub home: Home,
    pub passphrase: PassphraseSource,
    /// `--json`: print one JSON document (docs/json.md) instead of text.
    pub json: bool,
    /// Server passwords obtained so far: each is asked for once per command.
    pub credentials: Credentials,
}

impl Session {
    /// Prints `value` as the command's JSON document.
    pub fn print_json(&self, value: &serde_json::Value) -> Result<()> {
        crate::error::print_whole(&serde_json::to_string_pretty(value)?);
        Ok(())
    }

    /// The unlocked store: from the unlock agent when one runs, else with
    /// the passphrase (prompted on a terminal, or from the passphrase file).
    pub fn unlock(&self) -> Result<Store> {
        // Nothing to unlock: say so before asking for a passphrase.
        Store::ensure_present(&self.home)?;
        let (store, how) = match self.agent_keyring() {
            Some(keyring) => (Store::from_keyring(&self.home, &keyring)?, "the unlock agent"),
            None => {
                let passphrase = self.passphrase.existing()?;
                (self.noting_failure(Store::unlock(&self.home, &passphrase))?, "the passphrase")
            }
        };
        record_unlock(&store, how, &self.home);
        Ok(store)
    }

    /// The store opened to read only, without waiting for a command that
    /// writes (see `Store::from_keyring_to_read`): for commands that show.
    /// The unlock is noted for the audit log (see `audit::note_pending`).
    pub fn unlock_to_read(&self) -> Result<Store> {
        Store::ensure_present(&self.home)?;
        let keyring = match self.agent_keyring() {
            Some(keyring) => keyring,
            None => self.noting_failure(Store::open_keyring(&self.home, &self.passphrase.existing()?))?,
        };
        let store = Store::from_keyring_to_read(&self.home, &keyring)?;
        crate::audit::note_pending(&self.home, crate::audit::Action::UnlockToRead);
        Ok(store)
    }

    /// A wrong passphrase is noted for the audit log.
    fn noting_failure<T>(&self, unlocked: Result<T>) -> Result<T> {
        if let Err(e) = &unlocked {
            if crate::error::exit_code_of(e) == crate::error::ExitCode::Locked {
                crate::audit::note_pending(&self.home, crate::audit::Action::UnlockFailed);
            }
        }
        unlocked
    }

    /// The keyring from the unlock agent, when one runs and has it; an agent
    /// that fails is a warning, and the passphrase is asked instead.
    fn agent_keyring(&self) -> Option<crate::store::Keyring> {
        match crate::agent::fetch(&self.home) {
            Ok(keyring) => keyring,
            Err(e) => {
                crate::error::warn(&format!("{e:#}; using the passphrase instead"));
                None
            }
        }
    }

    /// The unlocked store and its keyring, with the passphrase even when
    /// the agent runs: for what outlasts the session (a recovery key, a
    /// new passphrase), someone at an unlocked terminal is not enough.
    pub fn unlock_with_passphrase(&self) -> Result<(Store, crate::store::Keyring)> {
        Store::ensure_present(&self.home)?;
        let passphrase = self.passphrase.existing()?;
        let keyring = self.noting_failure(Store::open_keyring(&self.home, &passphrase))?;
        let store = Store::from_keyring(&self.home, &keyring)?;
        record_unlock(&store, "the passphrase", &self.home);
        Ok((store, keyring))
    }

    pub fn config(&self) -> Result<Config> {
        Config::load(&self.home)
    }

    /// The configured way out: SMTP when configured, else the local drop.
    pub fn transport(&self, config: &Config, store: &Store) -> Result<Box<dyn Transport>> {
        if let Some(server) = &config.smtp {
            let login = self.credentials.get(store, config, Role::Smtp, server)?;
            let smtp = Smtp::new(server, &config.account.address, &login)?;
            let sent_copy = match &config.imap {
                Some(imap) => {
                    let login = self.credentials.get(store, config, Role::Imap, imap)?;
                    let imap = imap.clone();
                    Some(SentCopy {
                        folder: imap.sent_folder.clone().unwrap_or_else(|| SENT_FOLDER.to_string()),
                        open: Box::new(move || Ok(crate::transport::imap::login(&imap, &login)?.0)),
                        session: None,
                    })
                }
                None => None,
            };
            return Ok(Box::new(Submission { smtp, sent_copy }));
        }
        match &config.maildir {
            Some(maildir) => Ok(Box::new(Drop::new(&maildir.drop))),
            None => anyhow::bail!("no way to send is configured; run `sealpost init` with --smtp-host or --maildir"),
        }
    }

    /// Tries to deliver the outbox; a message the server refused for good
    /// is an error (exit 1) naming the fix, and stays queued. A message
    /// delivered but not recorded as sent is a warning, except `own` (the
    /// caller's message), which the caller reports.
    pub fn deliver_outbox(&self, config: &Config, store: &Store, own: Option<&str>) -> Result<Flushed> {
        let flushed = self.try_deliver_outbox(config, store)?;
        if !flushed.refused.is_empty() {
            return Err(crate::outbox::refused_error(&flushed.refused));
        }
        for (queued, reason) in flushed.unrecorded.iter().filter(|(q, _)| Some(q.message_id.as_str()) != own) {
            crate::error::warn(&crate::outbox::unrecorded_notice(queued, reason));
        }
        Ok(flushed)
    }

    /// Tries to deliver the outbox, skipping messages the server refused for
    /// good unless the account changed since. When no transport can even be
    /// set up (no password, bad config), every message it would try counts
    /// as failed with that reason and stays queued.
    pub fn try_deliver_outbox(&self, config: &Config, store: &Store) -> Result<Flushed> {
        let retry = Retry::UnlessRefusedSince(crate::account::changed_at(&self.home, store));
        let mut held = Vec::new();
        let mut tried = Vec::new();
        for queued in crate::outbox::queued(store)? {
            if retry.skips(store, &queued)? {
                held.push(queued);
            } else {
                tried.push(queued);
            }
        }
        let sent_copies = config.smtp.is_some() && config.imap.is_some();
        if tried.is_empty() && !crate::outbox::unfinished(store, sent_copies)? {
            return Ok(Flushed { held, ..Default::default() });
        }
        match self.transport(config, store) {
            Ok(mut transport) => crate::outbox::flush(store, transport.as_mut(), retry),
            // Accepted messages are recorded all the same: that needs no server.
            Err(e) => Ok(Flushed {
                failed: tried.into_iter().map(|q| (q, format!("{e:#}"))).collect(),
                held,
                ..crate::outbox::record_accepted(store, sent_copies)?
            }),
        }
    }

    /// The configured way in: IMAP when configured, else the local Maildir.
    pub fn source(&self, config: &Config, store: &Store) -> Result<Box<dyn Source>> {
        if let Some(server) = &config.imap {
            let login = self.credentials.get(store, config, Role::Imap, server)?;
            let (session, _) = crate::transport::imap::login(server, &login)?;
            let folder = server.folder.as_deref().unwrap_or("INBOX");
            // The folder sent copies go to (see `transport`), unless it is
            // the one read as the inbox.
            let sent = Some(server.sent_folder.as_deref().unwrap_or(SENT_FOLDER)).filter(|sent| *sent != folder);
            return Ok(Box::new(Imap::new(session, folder, sent)));
        }
        match &config.maildir {
            Some(maildir) => Ok(Box::new(Maildir::create(&maildir.inbox)?)),
            None => anyhow::bail!("no mailbox is configured; run `sealpost init` with --imap-host or --maildir"),
        }
    }
}

pub trait Run {
    fn run(&self, session: &Session) -> Result<()>;
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let session = Session {
        home: Home::locate()?,
        passphrase: PassphraseSource { file: cli.passphrase_file },
        json: cli.json,
        credentials: Credentials::default(),
    };
    match &cli.command {
        Command::Init(c) => c.run(&session),
        Command::Key(c) => c.run(&session),
        Command::Contact(c) => c.run(&session),
        Command::Account(c) => c.run(&session),
        Command::Send(c) => c.run(&session),
        Command::Outbox(c) => c.run(&session),
        Command::Sync(c) => c.run(&session),
        Command::Inbox(c) => c.run(&session),
        Command::Read(c) => c.run(&session),
        Command::Reply(c) => c.run(&session),
        Command::Invite(c) => c.run(&session),
        Command::Join(c) => c.run(&session),
        Command::Sent(c) => c.run(&session),
        Command::Status(c) => c.run(&session),
        Command::Backup(c) => c.run(&session),
        Command::Restore(c) => c.run(&session),
        Command::Audit(c) => c.run(&session),
        Command::Retention(c) => c.run(&session),
        Command::Forget(c) => c.run(&session),
        Command::Export(c) => c.run(&session),
        Command::Unlock(c) => c.run(&session),
        Command::Lock(c) => c.run(&session),
        Command::AgentServe(c) => c.run(&session),
        Command::Demo(c) => c.run(&session),
        Command::GenerateDocs(c) => c.run(&session),
        Command::CompleteContacts(c) => c.run(&session),
    }
}

/// A Unix time as an RFC 3339 date in UTC: for `--json` and for what is
/// written into messages.
/// Writes the unlock, and those noted while the log could not be written,
/// into the audit log. An unlock is not itself an action on the records:
/// when the log cannot be written (a full disk), the command goes on with
/// a warning, and every action it takes is refused or recorded on its own.
fn record_unlock(store: &Store, how: &str, home: &Home) {
    use crate::audit::{self, Action, Event};
    let recorded = audit::take_pending(store)
        .and_then(|()| audit::record(store, Event::new(Action::Unlock).detail(format!("with {how}"))))
        .and_then(|()| record_practice_retention(store, home));
    if let Err(e) = recorded {
        crate::error::warn(&format!("the unlock could not be written into the audit log: {e:#}"));
    }
}

/// The practice's retention period is set in the config, which is edited
/// by hand: a change is written into the audit log at the first unlock
/// that sees it (with the period seen before), so the log shows when the
/// policy changed.
fn record_practice_retention(store: &Store, home: &Home) -> Result<()> {
    const SEEN: &str = "records/practice-retention";
    let Ok(config) = Config::load(home) else { return Ok(()) };
    let now = config.retention.unwrap_or_else(|| "none".to_string());
    let before: Option<String> = store.read(SEEN)?;
    if before.as_deref() == Some(now.as_str()) || (before.is_none() && now == "none") {
        return Ok(());
    }
    store.transaction(|| {
        let detail = format!("practice retention {} (was {})", now, before.as_deref().unwrap_or("none"));
        crate::audit::record(store, crate::audit::Event::new(crate::audit::Action::Retention).detail(detail))?;
        store.write(SEEN, &now)
    })
}

/// A day as the user writes it (`YYYY-MM-DD`), as the Unix time of its
/// start (UTC).
pub fn parse_day(text: &str) -> Result<i64> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let parsed = well_formed.then(|| mail_parser::DateTime::parse_rfc3339(&format!("{text}T00:00:00Z"))).flatten();
    match parsed.filter(|d| d.is_valid()) {
        Some(day) => Ok(day.to_timestamp()),
        None => anyhow::bail!("{text:?} is not a day like 2026-11-26"),
    }
}

pub fn format_time(timestamp: i64) -> String {
    mail_parser::DateTime::from_timestamp(timestamp).to_rfc3339()
}

/// A Unix time for people: the machine's local time with its offset from
/// UTC (`2026-11-26 13:05 +01:00`), as `TZ` says.
pub fn format_local(timestamp: i64) -> String {
    let t = timestamp as libc::time_t;
    // SAFETY: tm is plain data; localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return format_time(timestamp);
    }
    let offset = tm.tm_gmtoff / 60;
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {sign}{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        offset.abs() / 60,
        offset.abs() % 60
    )
}
