//! The one receive path: a fetched message becomes state here.
//!
//! For each message: open it (decrypt, check, judge), skip it when it is a
//! duplicate by what cannot be forged, run a join handshake step, note what
//! it says about its sender's keys, check a read receipt, and store it.
//! Nothing about one message may stop the messages behind it: opening never
//! panics (see `message::open`), and a message whose handling fails is
//! stored with the reason instead of failing the sync.
//!
//! Work is stored batch by batch (`Sink::take`): the sent list, joins and
//! contacts first, then the inbox with the fetch cursor. Batches are
//! committed together, up to 1,000 messages or a second's worth at a time
//! (`store_opened`). A sync killed half way keeps every batch it committed;
//! one it did not commit is fetched again, and the inbox's duplicate check
//! keeps it from being stored twice. A batch that cannot be stored is
//! never passed: the batches behind it are dropped unstored.
//! The work overlaps: while one batch is stored, the next one or two are
//! opened on other threads and the one after them is fetched
//! (`Receiver::finish` stores the last). Two are opened ahead only when
//! the first of them and the one stored before it are within `BATCH_BYTES`
//! together, so memory holds at most three batches' worth, as with one.
//!
//! The IMAP sent folder is read here too (`SentFolder`), for what the user
//! sent from another device of theirs (a second device restored from a
//! backup holds the same key). Every message sealpost sends is encrypted to
//! the sender as well, so such a note opens with the user's own key; it is
//! taken into the sent list only when it decrypts, is signed by one of the
//! user's own keys, and its protected From is the user's address. Anyone
//! can put a message claiming that From into the folder (anyone with the
//! account's password, or a server rule); without the user's signature it
//! is skipped and counted, never listed. A receipt for such a note is then
//! accepted like any other: one rejected before the note was known (it
//! came before the note's copy reached the folder) is checked again when
//! the note is taken.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Result;
use sequoia_openpgp::Cert;

use crate::audit::{self, Action, Event};
use crate::config::Config;
use crate::contacts::Contacts;
use crate::inbox::{Inbox, Kind};
use crate::join::Handshaker;
use crate::key_change::{self, Noticed};
use crate::message::compose::sha256_hex;
use crate::message::decryption_key::HeldKeys;
use crate::message::{judge, open, open_with, Opened, Seal, Status};
use crate::outbox::{Outgoing, ReadReceipt, Sent, SentCopy, SentList};
use crate::receipt::{self, Verdict};
use crate::sanitize;
use crate::store::{Begun, Store};
use crate::transport::imap::Cursor;
use crate::transport::{Incoming, Sink, BATCH_BYTES};

/// What a sync found, for the command to print.
#[derive(Default)]
pub struct Report {
    pub verified: usize,
    pub unverified: usize,
    pub plain: usize,
    pub duplicates: usize,
    /// Receipts accepted: the Message-ID they confirm, and the receipt.
    pub accepted: Vec<(String, ReadReceipt)>,
    /// Receipts rejected: who sent them (as claimed) and why.
    pub rejected: Vec<(Option<String>, String)>,
    /// What messages said about contacts' keys.
    pub noticed: Noticed,
    /// One line per join handshake step handled.
    pub handshakes: Vec<String>,
    /// One line per note from the user's other device.
    pub devices: Vec<String>,
    /// Messages the user sent from another device, read from the sent
    /// folder and added to the sent list (read receipts and other steps
    /// sent on the user's behalf are added but not counted).
    pub sent_elsewhere: usize,
    /// Messages in the sent folder that are not notes signed by the user's
    /// own key (mail from another program, anything put there by someone
    /// else): left alone, never listed.
    pub sent_folder_skipped: usize,
}

/// Receives messages into the store.
pub struct Receiver<'a> {
    store: &'a Store,
    pub contacts: Contacts,
    inbox: Inbox<'a>,
    sent: SentList<'a>,
    pub handshaker: Handshaker<'a>,
    pub report: Report,
    /// The user's address (normalized): the protected From of their notes.
    address: String,
    sent_changed: bool,
    contacts_changed: bool,
    /// Counts the changes to the contacts this sync made: a message opened
    /// before one is opened again (see `take`).
    contacts_generation: u64,
    /// Whether a message was handled since the last commit.
    inbox_changed: bool,
    /// The user's keys and the contacts as of `contacts_generation`, for
    /// threads opening messages.
    keys: Arc<Vec<Cert>>,
    snapshot: Option<(u64, Arc<Contacts>)>,
    /// How many threads open a batch: one per core, at most 4.
    threads: usize,
    /// Those threads, once the first batch came.
    openers: Option<Openers>,
    /// The batches being opened, not yet stored, in order.
    opening: std::collections::VecDeque<Opening>,
    /// Messages announced by the source and handled so far, for progress.
    progress: Option<(usize, usize)>,
    /// The transaction batches are stored in, while open (see
    /// `store_opened`).
    storing: Option<Storing>,
    /// Messages the source announced (`expect`) that it has not handed
    /// over yet; `Some(0)` once the last batch was taken.
    to_take: Option<usize>,
}

/// An open transaction of stored batches.
struct Storing {
    begun: Begun,
    /// When it began.
    since: std::time::Instant,
    /// How many messages it holds.
    held: usize,
}

impl<'a> Receiver<'a> {
    pub fn load(store: &'a Store, config: &'a Config) -> Result<Receiver<'a>> {
        Ok(Receiver {
            store,
            contacts: Contacts::load(store)?,
            inbox: Inbox::load(store)?,
            sent: SentList::load(store)?,
            handshaker: Handshaker::load(store, config)?,
            report: Report::default(),
            address: crate::keys::normalize_address(&config.account.address),
            sent_changed: false,
            contacts_changed: false,
            contacts_generation: 0,
            inbox_changed: false,
            keys: Arc::new(store.my_keys().to_vec()),
            snapshot: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()).min(4),
            openers: None,
            opening: std::collections::VecDeque::new(),
            progress: None,
            storing: None,
            to_take: None,
        })
    }

    /// The subject of a message the user sent, by its Message-ID.
    pub fn sent_subject(&self, message_id: &str) -> Option<String> {
        self.sent.find(message_id).ok().flatten().map(|sent| sent.subject)
    }

    /// Where fetching stands, as last committed.
    pub fn cursor(&self) -> Cursor {
        self.inbox.cursor.clone()
    }

    /// Judges and stores one message. Errors are only those of the store
    /// itself (a full disk); the message's own faults are recorded with it.
    pub fn accept(&mut self, message: &Incoming) -> Result<()> {
        self.accept_opened(message, None)
    }

    /// `accept`, with the message already opened (see `take`), with the
    /// SHA-256 of its raw bytes, unless `None`.
    fn accept_opened(&mut self, message: &Incoming, opened: Option<(Opened, String)>) -> Result<()> {
        self.inbox_changed = true;
        let (mut opened, raw_sha256) = match opened {
            // Judged again: a sighting noted since it was opened counts.
            Some((mut opened, raw_sha256)) => {
                opened.status = judge(&opened.seal, opened.sender(), &self.contacts);
                (opened, raw_sha256)
            }
            None => (open(&message.raw, self.store.my_keys(), &self.contacts), sha256_hex(&message.raw)),
        };
        if self.inbox.knows(&raw_sha256, &opened)? {
            self.inbox.mark_seen(&message.source_id)?;
            self.report.duplicates += 1;
            return Ok(());
        }
        // This device's own note to the others comes back to its inbox too.
        let own_note = opened.content.as_ref().is_some_and(|c| {
            c.device_note.is_some() && c.message_id.as_ref().is_some_and(|id| matches!(self.sent.get(id), Ok(Some(_))))
        });
        if own_note {
            let kind = Kind::Handshake("your own note to your other devices".to_string());
            self.inbox.add(&message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
            return Ok(());
        }
        if let Some(outcome) = crate::devices::receive(self.store, &mut self.contacts, &message.raw, &opened)? {
            self.contacts_changed();
            let kind = Kind::Handshake(outcome.clone());
            self.inbox.add(&message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
            self.audit(Action::JoinStep, &opened, format!("from your other device: {outcome}"))?;
            self.report.devices.push(sanitize::line(&outcome));
            return Ok(());
        }
        let handled = self.handshaker.handle(&mut self.contacts, &message.raw, &opened);
        let handshake = match handled {
            Ok(outcome) => outcome,
            // A step that cannot be handled (an address that cannot be
            // written to, say) is recorded as such, never retried forever.
            Err(e) => Some(format!("a join message could not be handled: {e:#}")),
        };
        if let Some(outcome) = handshake {
            self.contacts_changed();
            let kind = Kind::Handshake(outcome.clone());
            self.inbox.add(&message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
            self.audit(Action::JoinStep, &opened, outcome.clone())?;
            self.report.handshakes.push(sanitize::line(&outcome));
            return Ok(());
        }
        let noticed = key_change::notice(&mut self.contacts, &opened);
        if !noticed.is_empty() {
            self.contacts_changed();
            // A revocation just seen changes what this message is.
            opened.status = judge(&opened.seal, opened.sender(), &self.contacts);
            for (action, contacts) in [
                (Action::KeySighted, &noticed.sighted),
                (Action::KeyAnnounced, &noticed.announced),
                (Action::KeyRevoked, &noticed.revoked),
            ] {
                for contact in contacts {
                    let event = Event::new(action).contact(&contact.address);
                    audit::record(self.store, event.detail(format!("pinned key {}", contact.fingerprint)))?;
                }
            }
            self.report.noticed.extend(noticed);
        }
        let find = |id: &str| self.sent.find(id);
        let verdict = match receipt::is_receipt(&opened) {
            true => Some(receipt::check(&opened, &self.contacts, &find)?),
            false => None,
        };
        let kind = verdict.as_ref().map_or(Kind::Message, |v| Kind::Receipt(v.record()));
        self.inbox.add(&message.source_id, &message.raw, &raw_sha256, &opened, kind)?;
        let status = opened.status.name();
        match &verdict {
            Some(Verdict::Accepted { original, .. }) => {
                let event = Event::new(Action::ReceiptAccepted).message(original).detail("read receipt accepted");
                audit::record(self.store, with_sender(event, &opened))?;
            }
            Some(Verdict::Rejected { reason, .. }) => {
                let event = Event::new(Action::ReceiptRejected).detail(format!("read receipt rejected: {reason}"));
                audit::record(self.store, with_sender(event, &opened))?;
            }
            None => self.audit(Action::Received, &opened, status.to_string())?,
        }
        match verdict {
            Some(Verdict::Accepted { original, receipt }) => {
                if self.sent.mark_read(&original, receipt.clone())? {
                    self.sent_changed = true;
                    self.report.accepted.push((original, receipt));
                }
            }
            Some(Verdict::Rejected { reason, .. }) => {
                self.report.rejected.push((opened.sender().map(str::to_string), reason))
            }
            None if opened.seal == Seal::NotEncrypted => self.report.plain += 1,
            None if opened.status == Status::Verified => self.report.verified += 1,
            None => self.report.unverified += 1,
        }
        Ok(())
    }

    /// Writes an entry about a received message: its sender, protected
    /// Message-ID and content digest.
    fn audit(&self, action: Action, opened: &Opened, detail: String) -> Result<()> {
        let alias = opened.sender().and_then(|s| self.contacts.by_address(s)).map(|c| c.alias.as_str());
        let mut event = with_sender(Event::new(action), opened)
            .sha256(opened.content_sha256.as_deref())
            .detail_naming(&detail, alias.as_slice());
        if let Some(id) = opened.content.as_ref().and_then(|c| c.message_id.as_deref()) {
            event = event.message(id);
        }
        audit::record(self.store, event)
    }

    fn contacts_changed(&mut self) {
        self.contacts_changed = true;
        self.contacts_generation += 1;
    }

    /// Where reading the sent folder stands, as last committed.
    pub fn sent_folder_cursor(&self) -> Cursor {
        self.sent.folder_cursor.clone()
    }

    /// This receiver as the sink for the sent folder.
    pub fn sent_folder(&mut self) -> SentFolder<'_, 'a> {
        // Signatures are checked against the user's own keys too: `open`
        // checks them against the contacts' keys only.
        let own = crate::keys::public(self.store.my_keys());
        SentFolder { receiver: self, own }
    }

    /// Takes one message from the sent folder into the sent list when it is
    /// a note the user sent (see the module's doc), from another device
    /// (this device's own are listed already). Errors are only those of the
    /// store itself.
    fn accept_sent(&mut self, message: &Incoming, own: &[Cert]) -> Result<()> {
        let me = self.store.my_keys();
        let (opened, _) = open_with(&message.raw, me, &self.contacts, own.to_vec(), &[]);
        let Some(note) = own_note(&opened, me, &self.address) else {
            self.report.sent_folder_skipped += 1;
            return Ok(());
        };
        // A note to the user's devices reaches them through the inbox, and
        // is no record of a client.
        if note.kind == Outgoing::DeviceNote {
            return Ok(());
        }
        // One listed already is not listed twice; its copy here is known
        // from now on without being fetched (it may be from before copies
        // were known by their outer Message-ID).
        if let Some(mut listed) = self.sent.get(&note.message_id)? {
            if listed.outer_message_id.is_none() && note.outer_message_id.is_some() {
                listed.outer_message_id = note.outer_message_id;
                self.sent.update(&listed)?;
                self.sent_changed = true;
            }
            return Ok(());
        }
        let (message_id, counted) = (note.message_id.clone(), note.kind == Outgoing::Message);
        self.sent.add_from_folder(note, &message.raw)?;
        self.sent_changed = true;
        if counted {
            self.report.sent_elsewhere += 1;
            self.check_receipts_again(&message_id)?;
        }
        Ok(())
    }

    /// Accepts the receipts rejected earlier for `message_id` because it was
    /// not known then, now that it is (they are checked in full again).
    fn check_receipts_again(&mut self, message_id: &str) -> Result<()> {
        let rejected: Vec<u64> = self
            .inbox
            .receipts_for(message_id)?
            .iter()
            .filter(|e| e.receipt.as_ref().is_some_and(|r| !r.accepted))
            .map(|e| e.id)
            .collect();
        for id in rejected {
            // A copy that cannot be read stays as it was recorded.
            let Ok(raw) = self.inbox.raw(id) else { continue };
            let opened = open(&raw, self.store.my_keys(), &self.contacts);
            let verdict = receipt::check(&opened, &self.contacts, &|id: &str| self.sent.find(id))?;
            if let Verdict::Accepted { original, receipt } = &verdict {
                self.inbox.set_receipt(id, verdict.record())?;
                self.inbox_changed = true;
                if self.sent.mark_read(original, receipt.clone())? {
                    self.report.accepted.push((original.clone(), receipt.clone()));
                }
            }
        }
        Ok(())
    }

    /// Makes what was read from the sent folder durable, with its cursor:
    /// the sent list and the cursor in one write, then the inbox whose
    /// receipts were checked again (a crash between the two leaves the
    /// notes read, as they are, and only the inbox's record of the receipt
    /// as it was).
    fn commit_sent_folder(&mut self, cursor: &Cursor) -> Result<()> {
        if self.sent_changed || self.sent.folder_cursor != *cursor {
            self.sent.folder_cursor = cursor.clone();
            self.sent.save()?;
            self.sent_changed = false;
        }
        if self.inbox_changed {
            self.inbox.save()?;
            self.inbox_changed = false;
        }
        Ok(())
    }

    /// Makes everything received so far durable, with the fetch cursor.
    /// The sent list first: a crash before the inbox is saved fetches the
    /// receipts again, and marking a message read twice changes nothing.
    fn commit(&mut self, cursor: &Cursor) -> Result<()> {
        if self.sent_changed {
            self.sent.save()?;
            self.sent_changed = false;
        }
        if self.handshaker.changed {
            self.handshaker.save()?;
        }
        if self.contacts_changed || self.handshaker.changed {
            self.contacts.save(self.store)?;
            self.contacts_changed = false;
        }
        self.handshaker.changed = false;
        // A sync that found nothing new writes nothing (so it also works on
        // a full disk).
        if !self.inbox_changed && self.inbox.cursor == *cursor {
            return Ok(());
        }
        self.inbox.cursor = cursor.clone();
        self.inbox.save()?;
        self.inbox_changed = false;
        Ok(())
    }

    fn show_progress(&mut self, handled: usize) {
        if let Some((done, total)) = &mut self.progress {
            *done += handled;
            eprint!("\rsync: {}/{} messages", (*done).min(*total), total);
        }
    }

    /// Ends the progress line, if one was shown.
    pub fn end_progress(&mut self) {
        if self.progress.take().is_some() {
            eprintln!();
        }
    }
}

impl Sink for Receiver<'_> {
    fn is_known(&self, source_id: &str) -> bool {
        // Not known when the store cannot say: the message is fetched
        // again, and its duplicate check decides.
        self.inbox.has_seen(source_id).unwrap_or(false)
    }

    fn known(&self, source_ids: &[String]) -> Vec<bool> {
        // In one transaction: each query on its own would take and drop
        // the store's read lock (a system call or two each), and a first
        // sync lists every message on the server.
        let check = || source_ids.iter().map(|id| self.is_known(id)).collect();
        self.store.transaction(|| Ok(check())).unwrap_or_else(|_| check())
    }

    fn expect(&mut self, count: usize) {
        self.to_take = Some(count);
        if std::io::stderr().is_terminal() && count >= 20 {
            self.progress = Some((0, count));
        }
    }

    fn take(&mut self, batch: Vec<Incoming>, cursor: &Cursor) -> Result<()> {
        // This batch is opened on other threads while the ones before it
        // are stored here, and the transport meanwhile fetches the next.
        // Two batches are opened ahead of the one stored when it and the
        // first of them are small together (see the module's doc), so the
        // threads opening them still have work while it is stored. A
        // failure to store drops the batches behind unstored: a cursor
        // never passes a batch that was not stored.
        let large = crate::transport::is_large(&batch);
        if let Some(to_take) = &mut self.to_take {
            *to_take = to_take.saturating_sub(batch.len());
        }
        let next = self.start_opening(batch, cursor);
        self.opening.push_back(next);
        while too_many_ahead(&self.opening.iter().map(|o| o.bytes).collect::<Vec<_>>()) {
            let previous = self.opening.pop_front().expect("more than one");
            self.store_opened(previous)?;
        }
        // A message larger than a batch is stored before the next one is
        // fetched: memory then holds one such message, not three.
        if large {
            return self.finish_opening();
        }
        Ok(())
    }
}

/// A batch whose messages are being opened on other threads.
struct Opening {
    batch: Arc<Vec<Incoming>>,
    /// Its size as fetched (`batch_bytes`).
    bytes: u64,
    /// Where fetching stands once the batch is stored.
    cursor: Cursor,
    /// The contacts the messages are opened against (see `contacts_generation`).
    generation: u64,
    /// The opened chunks of the batch, each with where it starts, in the
    /// order they were done.
    opened: Arc<OpenedChunks>,
    /// Said once every chunk of the batch is opened; ends unsaid when a
    /// thread opening one panicked.
    done: mpsc::Receiver<()>,
}

impl Opening {
    /// Whether a chunk of the batch is still being opened.
    fn still_opening(&self) -> bool {
        self.opened.left.load(Ordering::Acquire) > 0
    }
}

/// A chunk's messages as opened, each with the SHA-256 of its raw bytes,
/// and where the chunk starts in its batch.
type OpenedChunk = (usize, Vec<(Opened, String)>);

/// The chunks of a batch opened so far, and how many are left. The thread
/// that opens the last one says so (`Opening::done`): the thread storing
/// wakes once per batch, not once per chunk, and each of its wakings
/// takes a core from a thread opening messages.
struct OpenedChunks {
    chunks: Mutex<Vec<OpenedChunk>>,
    left: AtomicUsize,
}

/// A transaction of stored batches is committed once it holds this many
/// messages, or has been open `COMMIT_AFTER`, or the last batch was
/// fetched, and when the fetch is done (see `store_opened`).
const COMMIT_MESSAGES: usize = 1000;
const COMMIT_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How many consecutive messages a thread opens at once. Small enough
/// that the threads end a batch together (a thread takes the next chunk
/// when it is done with one), large enough that taking one costs nothing.
const CHUNK: usize = 10;

/// Whether the first of the batches being opened (their sizes, in order)
/// must be stored before `take` returns: when three are, or two that are
/// larger than `BATCH_BYTES` together. The first is stored while the others
/// are opened and the next is fetched, so memory holds at most three
/// batches' worth (see the module's doc).
fn too_many_ahead(opening: &[u64]) -> bool {
    opening.len() > 2 || (opening.len() > 1 && opening.iter().sum::<u64>() > BATCH_BYTES)
}

/// Lowers the calling thread's priority a little, and makes it throughput
/// work (`without_preempting`) (Linux; elsewhere nothing). The thread
/// storing opened batches is the one a sync waits on; with the threads
/// opening messages at a lower priority, it keeps a whole core while they
/// take what is left, instead of a share of one.
fn yield_to_storing() {
    crate::transport::without_preempting();
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with this thread's own id only changes the nice
    // value of this thread (on Linux the value is per thread); raising it
    // needs no privilege, and a failure changes nothing.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}

/// The threads that open messages, one per core (at most 4), made at a
/// sync's first batch and kept to its end. They share one queue of chunks
/// of batches, taken in the order given. Each holds the user's secret
/// keys in the form it decrypts with (`HeldKeys`) until it ends: dropping
/// `Openers` ends and joins them, so that form is gone when it returns.
struct Openers {
    queue: Option<mpsc::Sender<Chunk>>,
    threads: Vec<JoinHandle<()>>,
}

/// A chunk of a batch to open, against `contacts`; what was opened goes
/// back through `opened`, each message with the SHA-256 of its raw bytes
/// (its duplicate check), so the thread storing it need not hash it.
struct Chunk {
    batch: Arc<Vec<Incoming>>,
    range: std::ops::Range<usize>,
    contacts: Arc<Contacts>,
    opened: Arc<OpenedChunks>,
    done: mpsc::Sender<()>,
}

impl Openers {
    fn start(threads: usize, keys: &Arc<Vec<Cert>>) -> Openers {
        let (queue, taken) = mpsc::channel::<Chunk>();
        let taken = Arc::new(Mutex::new(taken));
        let threads = (0..threads)
            .map(|_| {
                let (taken, keys) = (taken.clone(), keys.clone());
                std::thread::spawn(move || {
                    yield_to_storing();
                    let _held = HeldKeys::hold();
                    loop {
                        // The lock is held only while a chunk is taken.
                        let next = match taken.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(chunk) = next else { return };
                        let part = &chunk.batch[chunk.range.clone()];
                        let opened =
                            part.iter().map(|m| (open(&m.raw, &keys, &chunk.contacts), sha256_hex(&m.raw))).collect();
                        let Ok(mut chunks) = chunk.opened.chunks.lock() else { return };
                        chunks.push((chunk.range.start, opened));
                        drop(chunks);
                        if chunk.opened.left.fetch_sub(1, Ordering::AcqRel) == 1 {
                            let _ = chunk.done.send(());
                        }
                    }
                })
            })
            .collect();
        Openers { queue: Some(queue), threads }
    }
}

impl Drop for Openers {
    fn drop(&mut self) {
        self.queue = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Receiver<'_> {
    /// Stores the batches still being opened, if any, and then records
    /// `cursor` (where the transport's fetch ended; `None` when it failed:
    /// its cursor may then point past what was never handed over). A sync
    /// calls this once the transport is done, also when it failed: what
    /// was fetched before the failure is kept. The only way to record a
    /// cursor from outside, so none can pass a batch still being opened.
    pub fn finish(&mut self, cursor: Option<&Cursor>) -> Result<()> {
        self.finish_opening()?;
        match cursor {
            // Nothing new still records where fetching stands.
            Some(cursor) => self.commit(cursor),
            None => Ok(()),
        }
    }

    /// Stores the batches being opened, in order, and commits them.
    fn finish_opening(&mut self) -> Result<()> {
        while let Some(opening) = self.opening.pop_front() {
            self.store_opened(opening)?;
        }
        self.commit_stored()
    }

    /// Commits the transaction of stored batches, if one is open.
    fn commit_stored(&mut self) -> Result<()> {
        match self.storing.take() {
            Some(storing) => self.store.end(storing.begun, Ok(())),
            None => Ok(()),
        }
    }

    /// Starts opening `batch` on as many threads as there are cores (at
    /// most 4), against the contacts as they stand now.
    fn start_opening(&mut self, batch: Vec<Incoming>, cursor: &Cursor) -> Opening {
        let generation = self.contacts_generation;
        let contacts = match &self.snapshot {
            Some((at, contacts)) if *at == generation => contacts.clone(),
            _ => {
                let contacts = Arc::new(self.contacts.frozen());
                self.snapshot = Some((generation, contacts.clone()));
                contacts
            }
        };
        let bytes = crate::transport::batch_bytes(&batch);
        let batch = Arc::new(batch);
        let (threads, keys) = (self.threads, &self.keys);
        let openers = self.openers.get_or_insert_with(|| Openers::start(threads, keys));
        let (say_done, done) = mpsc::channel();
        let chunks = batch.len().div_ceil(CHUNK);
        let opened =
            Arc::new(OpenedChunks { chunks: Mutex::new(Vec::with_capacity(chunks)), left: AtomicUsize::new(chunks) });
        if chunks == 0 {
            let _ = say_done.send(());
        }
        for start in (0..batch.len()).step_by(CHUNK) {
            let range = start..(start + CHUNK).min(batch.len());
            let (contacts, opened, done) = (contacts.clone(), opened.clone(), say_done.clone());
            let chunk = Chunk { batch: batch.clone(), range, contacts, opened, done };
            // With every thread gone (they panicked), `store_opened` says so.
            if let Some(queue) = &openers.queue {
                let _ = queue.send(chunk);
            }
        }
        Opening { batch, bytes, cursor: cursor.clone(), generation, opened, done }
    }

    /// Judges and stores an opened batch in order, with what it changed
    /// and its cursor. A message opened before an earlier one changed the
    /// contacts (a join step, a device's note, a key seen) is opened again
    /// with the contacts as they are then.
    ///
    /// Batches are stored in one transaction until it holds
    /// `COMMIT_MESSAGES` or has been open `COMMIT_AFTER`, then committed
    /// (and at the end, by `finish_opening`): each commit rewrites the
    /// pages of the indexes it touched and syncs the log, so committing
    /// every batch of 200 wrote a first sync's index pages several times
    /// over. Each batch still records its cursor with it, so a sync
    /// stopped between commits keeps every batch committed and fetches
    /// the rest again; a failure to store rolls back the uncommitted
    /// batches with the one that failed.
    fn store_opened(&mut self, opening: Opening) -> Result<()> {
        let stored = self.store_batch(opening);
        // The batches behind one that could not be stored are dropped
        // unstored: their cursors pass it, and storing one would keep the
        // next sync from ever fetching it again (a full disk that refused
        // one large message can still take small ones).
        if stored.is_err() {
            self.opening.clear();
        }
        stored
    }

    /// `store_opened`, leaving the batches behind a failure as they are.
    fn store_batch(&mut self, opening: Opening) -> Result<()> {
        let Opening { batch, cursor, generation, opened, done, .. } = opening;
        // `open` catches a parser's panic itself; a thread that still
        // panicked is a defect, and stops the sync (its chunk is never
        // done, and the channel ends once the others are).
        done.recv().expect("a thread opening messages panicked");
        let mut parts = std::mem::take(&mut *opened.chunks.lock().expect("a thread opening messages panicked"));
        parts.sort_unstable_by_key(|(start, _)| *start);
        let opened: Vec<(Opened, String)> = parts.into_iter().flat_map(|(_, part)| part).collect();
        let store = self.store;
        let Storing { begun, since, held } = match self.storing.take() {
            Some(storing) => storing,
            None => Storing { begun: store.begin()?, since: std::time::Instant::now(), held: 0 },
        };
        let stored = (|| {
            for (message, opened) in batch.iter().zip(opened) {
                let opened = (self.contacts_generation == generation).then_some(opened);
                self.accept_opened(message, opened)?;
            }
            self.commit(&cursor)
        })();
        if let Err(e) = stored {
            return store.end(begun, Err(e));
        }
        let held = held + batch.len();
        // Once the last batch was taken, what is stored so far is
        // committed while the threads open the last ones: the commit at
        // the end, which nothing else overlaps, then holds only those. Once
        // they are opened, a commit would overlap nothing: the rest is
        // stored in this transaction, and committed once at the end.
        let overlapped = self.to_take == Some(0) && self.opening.iter().any(Opening::still_opening);
        if held >= COMMIT_MESSAGES || since.elapsed() >= COMMIT_AFTER || overlapped {
            store.end(begun, Ok(()))?;
        } else {
            self.storing = Some(Storing { begun, since, held });
        }
        self.show_progress(batch.len());
        Ok(())
    }
}

/// A receiver let go before `finish` (a failure on the way out) rolls back
/// the batches it had not committed: their cursor was not committed
/// either, so the next sync fetches them again.
impl Drop for Receiver<'_> {
    fn drop(&mut self) {
        if let Some(storing) = self.storing.take() {
            let _ = self.store.end(storing.begun, Err::<(), _>(anyhow::anyhow!("the sync did not finish")));
        }
    }
}

/// `event` naming the sender of `opened`, when it names one.
fn with_sender<'e>(event: Event<'e>, opened: &'e Opened) -> Event<'e> {
    match opened.sender() {
        Some(sender) => event.contact(sender),
        None => event,
    }
}

/// The sent list entry for `opened`, a message from the sent folder, when
/// it is a note the user sent: decrypted, signed by one of the user's own
/// keys (`me`), from the user's `address` in the protected From, with a
/// protected Message-ID and one recipient.
fn own_note(opened: &Opened, me: &[Cert], address: &str) -> Option<Sent> {
    let content = opened.content.as_ref()?;
    if !opened.seal.signed_by_one_of(me) {
        return None;
    }
    if content.from_address.as_deref() != Some(address) {
        return None;
    }
    let message_id = content.message_id.clone()?;
    let [to] = &content.to[..] else { return None };
    let receipt_for = content.report.as_ref().map(|r| r.original_message_id.clone().unwrap_or_default());
    let kind = if receipt_for.is_some() {
        Outgoing::Receipt
    } else if content.handshake.is_some() {
        Outgoing::Handshake
    } else if content.key_update.is_some() {
        Outgoing::Announcement
    } else if content.device_note.is_some() {
        Outgoing::DeviceNote
    } else {
        Outgoing::Message
    };
    let subject = match &receipt_for {
        Some(original) => format!("read receipt for {original}"),
        None => content.subject.clone().unwrap_or_default(),
    };
    // The protected Date and the signature's time are the sender's own,
    // signed: the closest there is to when it was written and sent.
    let written = content.date.or(opened.signed_at).unwrap_or(0).max(0) as u64;
    let signed = opened.signed_at.map_or(written, |at| at.max(0) as u64);
    Some(Sent {
        id: 0,
        message_id,
        to: to.clone(),
        subject,
        created_at: written,
        sent_at: signed,
        content_sha256: opened.content_sha256.clone(),
        receipt_requested: content.receipt_requested,
        receipt_for,
        kind,
        read: None,
        sent_copy: Some(SentCopy::Stored),
        outer_message_id: opened.outer.message_id.clone(),
    })
}

/// The receiver taking the sent folder (see the module's doc).
pub struct SentFolder<'r, 'a> {
    receiver: &'r mut Receiver<'a>,
    /// The user's own public keys, to check signatures against.
    own: Vec<Cert>,
}

impl Sink for SentFolder<'_, '_> {
    fn is_known(&self, _source_id: &str) -> bool {
        // Known by what the messages are, not where they are: after a
        // changed UIDVALIDITY, what was taken is known by its Message-ID.
        false
    }

    fn has_copy(&self, outer_message_id: &str) -> bool {
        // Not known when the store cannot say: the copy is fetched and
        // its Message-ID decides.
        self.receiver.sent.has_outer(outer_message_id).unwrap_or(false)
    }

    fn take(&mut self, batch: Vec<Incoming>, cursor: &Cursor) -> Result<()> {
        let store = self.receiver.store;
        store.transaction(|| {
            for message in &batch {
                self.receiver.accept_sent(message, &self.own)?;
            }
            self.receiver.commit_sent_folder(cursor)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::Verification;
    use crate::home::Home;
    use crate::keys;
    use crate::message::{compose, Draft};

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_opening_messages_yields_to_the_one_storing_them() {
        let (policy, nice) = std::thread::spawn(|| {
            yield_to_storing();
            // SAFETY: both only read the calling thread's own settings.
            unsafe {
                (libc::sched_getscheduler(0), libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t))
            }
        })
        .join()
        .unwrap();
        assert_eq!(policy, libc::SCHED_BATCH);
        assert!(nice >= 10, "nice {nice}");
    }

    #[test]
    fn two_batches_are_opened_ahead_only_within_three_batches_of_memory() {
        let (small, medium, full) = (BATCH_BYTES / 100, BATCH_BYTES / 2, BATCH_BYTES);
        // One batch is always opened ahead.
        assert!(!too_many_ahead(&[full]));
        // Two small ones, or two that fill one batch together, are kept.
        assert!(!too_many_ahead(&[small, small]));
        assert!(!too_many_ahead(&[medium, medium]));
        // Two larger together are not, nor three of any size.
        assert!(too_many_ahead(&[medium, medium + 1]));
        assert!(too_many_ahead(&[full, small]));
        assert!(too_many_ahead(&[small, small, small]));
        // What is in memory while the first is stored: it, the one or two
        // behind it, and the next being fetched (at most `full`).
        for sizes in [[small, small, full], [medium, medium, full], [full, full, full], [1, medium, full]] {
            let mut opening = Vec::new();
            let mut most = 0;
            for size in sizes {
                opening.push(size);
                while too_many_ahead(&opening) {
                    most = most.max(opening.iter().sum::<u64>() + full);
                    opening.remove(0);
                }
            }
            assert!(most <= 3 * full, "{sizes:?}: {most}");
        }
    }

    #[test]
    fn a_batch_that_cannot_be_stored_is_never_passed_by_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let store = Store::create(&Home::at(dir.path()), &"passphrase".to_string().into(), &ada, Some(10)).unwrap();
        let config: Config = toml::from_str("[account]\nname = \"Ada\"\naddress = \"ada@practice.example\"\n").unwrap();
        // The store refuses one message and takes the others, as a full
        // disk refuses a large message and then takes small ones.
        store.db().execute_for_tests(
            "CREATE TRIGGER refuse BEFORE INSERT ON inbox WHEN new.entry LIKE '%Refused%'
             BEGIN SELECT RAISE(ABORT, 'no room for it'); END;",
        );
        let mail = |uid: u32| {
            let subject = if uid == 15 { "Refused" } else { "Taken" };
            let raw = format!(
                "From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: {subject}\r\n\
                 Message-ID: <{uid}@client.example>\r\n\r\nhi\r\n"
            );
            Incoming { source_id: format!("imap:7:{uid}"), raw: raw.into_bytes() }
        };
        // Four batches of ten, the second holding the refused message,
        // handed over as a fetch does: the last stored by `finish`.
        let mut receiver = Receiver::load(&store, &config).unwrap();
        let mut taken = Ok(());
        for first in [1u32, 11, 21, 31] {
            let batch = (first..first + 10).map(mail).collect();
            taken = receiver.take(batch, &Cursor { uid_validity: Some(7), last_uid: first + 9 });
            if taken.is_err() {
                break;
            }
        }
        let finished = receiver.finish(taken.is_ok().then_some(&Cursor { uid_validity: Some(7), last_uid: 40 }));
        assert!(taken.is_err() || finished.is_err(), "the failure is reported");
        drop(receiver);

        // The next sync fetches the refused batch again: the cursor stops
        // before it, and nothing after it was stored.
        let inbox = Inbox::load(&store).unwrap();
        assert!(inbox.cursor.last_uid <= 10, "the cursor passed the refused batch: {:?}", inbox.cursor);
        let stored: Vec<String> = inbox.messages().unwrap().into_iter().map(|e| e.source_id).collect();
        assert!(stored.iter().all(|id| id.rsplit(':').next().unwrap().parse::<u32>().unwrap() <= 10), "{stored:?}");
    }

    /// A small deterministic PRNG (xorshift64*), so a failure is repeatable.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// A hostile variation of `genuine`, or a plain mail reusing its
    /// protected Message-ID.
    fn variant(genuine: &[u8], message_id: &str, rng: &mut Rng) -> Vec<u8> {
        let mut raw = genuine.to_vec();
        match rng.below(7) {
            0 => {
                for _ in 0..=rng.below(4) {
                    let at = rng.below(raw.len());
                    raw[at] ^= 1 << rng.below(8);
                }
            }
            1 => raw.truncate(rng.below(raw.len())),
            2 => {
                let at = rng.below(raw.len());
                let junk: Vec<u8> = (0..=rng.below(64)).map(|_| rng.next() as u8).collect();
                raw.splice(at..at, junk);
            }
            3 => {
                // A header line repeated (two From, two Content-Type, ...).
                let text = String::from_utf8_lossy(&raw).into_owned();
                let lines: Vec<&str> = text.split("\r\n").take_while(|l| !l.is_empty()).collect();
                let line = lines[rng.below(lines.len())].to_string();
                raw = format!("{line}\r\n{text}").into_bytes();
            }
            4 => {
                let text = String::from_utf8_lossy(&raw).into_owned();
                raw = text.replacen("From: sam@client.example", "From: eve@elsewhere.example", 1).into_bytes();
            }
            5 => {
                raw = format!(
                    "From: sam@client.example\r\nTo: ada@practice.example\r\nSubject: Thursday\r\n\
                     Message-ID: {message_id}\r\n\r\nignore the other one\r\n"
                )
                .into_bytes()
            }
            _ => {
                // The two MIME parts swapped.
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some(boundary) = text.split("boundary=\"").nth(1).and_then(|b| b.split('"').next()) {
                    let marker = format!("--{boundary}\r\n");
                    let parts: Vec<&str> = text.split(&marker).collect();
                    if parts.len() == 3 {
                        raw = [parts[0], &marker, parts[2], &marker, parts[1]].concat().into_bytes();
                    }
                }
            }
        }
        raw
    }

    #[test]
    fn only_the_users_own_signed_messages_from_the_sent_folder_are_listed_and_each_once() {
        use crate::message::device_sync::{self, DeviceNote};
        use crate::message::receipt::{self as wire, ReceiptDraft, Sending};
        let dir = tempfile::tempdir().unwrap();
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        // Someone else's key with Ada's address on it.
        let mallory = keys::generate("Ada", "ada@practice.example").unwrap();
        let store = Store::create(&Home::at(dir.path()), &"passphrase".to_string().into(), &ada, Some(10)).unwrap();
        let config: Config = toml::from_str("[account]\nname = \"Ada\"\naddress = \"ada@practice.example\"\n").unwrap();
        let draft = |subject: &str| Draft {
            from_name: "Ada".into(),
            from_address: "ada@practice.example".into(),
            to_name: None,
            to_address: "sam@client.example".into(),
            subject: subject.into(),
            body: "Notes.\n".into(),
            attachments: Vec::new(),
            message_id: crate::message::new_message_id("ada@practice.example"),
            date: std::time::SystemTime::now(),
            request_receipt: true,
            in_reply_to: None,
            references: Vec::new(),
        };
        let note = compose(&draft("From the laptop"), &ada, &sam).unwrap();
        let forged = compose(&draft("Forged"), &mallory, &ada).unwrap().raw;
        let receipt = ReceiptDraft {
            from_name: "Ada".into(),
            from_address: "ada@practice.example".into(),
            to_address: "sam@client.example".into(),
            original_message_id: "<from-sam@client.example>".into(),
            original_subject: Some("Thursday".into()),
            original_sha256: "00".repeat(32),
            sending: Sending::Automatically,
            message_id: crate::message::new_message_id("ada@practice.example"),
            date: std::time::SystemTime::now(),
        };
        let receipt = wire::compose(&receipt, &ada, &sam).unwrap().raw;
        let device_note = DeviceNote {
            name: "Ada".into(),
            address: "ada@practice.example".into(),
            json: "{\"contacts\":[]}",
            message_id: crate::message::new_message_id("ada@practice.example"),
            date: std::time::SystemTime::now(),
        };
        let device_note = device_sync::compose(&device_note, &ada).unwrap().raw;
        let plain = b"From: ada@practice.example\r\nTo: sam@client.example\r\nSubject: Plain\r\n\r\nhi\r\n".to_vec();

        let mut receiver = Receiver::load(&store, &config).unwrap();
        let batch = [note.raw.clone(), forged, receipt, device_note, plain, note.raw.clone()];
        let batch = batch.into_iter().enumerate().map(|(i, raw)| Incoming { source_id: format!("sent:{i}"), raw });
        let cursor = Cursor { uid_validity: Some(7), last_uid: 6 };
        receiver.sent_folder().take(batch.collect(), &cursor).unwrap();
        assert_eq!((receiver.report.sent_elsewhere, receiver.report.sent_folder_skipped), (1, 2));

        let list = SentList::load(&store).unwrap();
        assert_eq!(list.folder_cursor, cursor);
        let messages: Vec<Sent> = list.messages().unwrap();
        assert_eq!(messages.len(), 1, "listed once: {:?}", list.all().unwrap());
        let listed = &messages[0];
        assert_eq!(
            (listed.id, listed.subject.as_str(), listed.to.as_str()),
            (1, "From the laptop", "sam@client.example")
        );
        assert_eq!(listed.content_sha256.as_deref(), Some(note.content_sha256.as_str()), "what a receipt names");
        assert!(listed.receipt_requested);
        assert_eq!(listed.sent_copy, Some(SentCopy::Stored));
        // The read receipt is kept, not listed; the note to the devices is neither.
        let all = list.all().unwrap();
        let kinds: Vec<Outgoing> = all.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [Outgoing::Message, Outgoing::Receipt]);
        assert_eq!(all[1].receipt_for.as_deref(), Some("<from-sam@client.example>"));
        // Known by its outer Message-ID from now on: not fetched again.
        let outer = listed.outer_message_id.clone().unwrap();
        assert!(receiver.sent_folder().has_copy(&outer));
        // A receipt for it is accepted.
        assert!(receiver.sent_subject(&listed.message_id).is_some());
    }

    #[test]
    fn hostile_variants_never_fail_the_receive_path_nor_hide_the_genuine_message() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let ada = keys::generate("Ada", "ada@practice.example").unwrap();
        let sam = keys::generate("Sam", "sam@client.example").unwrap();
        let store = Store::create(&home, &"passphrase".to_string().into(), &ada, Some(10)).unwrap();
        let config: Config = toml::from_str("[account]\nname = \"Ada\"\naddress = \"ada@practice.example\"\n").unwrap();
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::Fingerprint).unwrap();
        contacts.save(&store).unwrap();
        let draft = Draft {
            from_name: "Sam".into(),
            from_address: "sam@client.example".into(),
            to_name: None,
            to_address: "ada@practice.example".into(),
            subject: "Thursday".into(),
            body: "GENUINE\n".into(),
            attachments: Vec::new(),
            message_id: "<genuine@client.example>".into(),
            date: std::time::SystemTime::now(),
            request_receipt: true,
            in_reply_to: None,
            references: Vec::new(),
        };
        let genuine = compose(&draft, &sam, &ada).unwrap().raw;

        let mut receiver = Receiver::load(&store, &config).unwrap();
        let mut rng = Rng(0x5EA1_9057);
        for case in 0..1500 {
            let raw = variant(&genuine, &draft.message_id, &mut rng);
            let incoming = Incoming { source_id: format!("test:{case}"), raw };
            receiver.accept(&incoming).unwrap_or_else(|e| panic!("case {case} failed the receive path: {e:#}"));
            if case % 100 == 99 {
                receiver.commit(&Cursor::default()).unwrap();
            }
        }
        receiver.accept(&Incoming { source_id: "test:genuine".into(), raw: genuine.clone() }).unwrap();
        receiver.commit(&Cursor::default()).unwrap();

        // Exactly one verified copy of the note is stored (the genuine one,
        // or a variant changed only outside what the signature covers), and
        // it reads as the genuine note.
        let inbox = Inbox::load(&store).unwrap();
        let verified: Vec<_> = inbox
            .messages()
            .unwrap()
            .into_iter()
            .filter(|e| e.status(&receiver.contacts) == Status::Verified)
            .collect();
        assert_eq!(verified.len(), 1, "{} verified copies", verified.len());
        let opened = open(&inbox.raw(verified[0].id).unwrap(), store.my_keys(), &receiver.contacts);
        assert_eq!(opened.content.unwrap().body.trim_end(), "GENUINE");
        // No variant made the contact anything but verified.
        assert_eq!(receiver.contacts.get("sam").unwrap().state, crate::contacts::PinState::Verified);
    }
}
