//! How messages leave and arrive.
//!
//! Commands talk to a `Transport` (sending) and a `Source` (receiving) and do
//! not care whether a Maildir or a mail server is behind them.

pub mod imap;
pub mod maildir;
pub mod smtp;
pub mod tls;

use anyhow::{Context, Result};

/// Hands a finished message to the next hop. Returning `Ok` means the other
/// side has accepted responsibility for it.
pub trait Transport {
    fn deliver(&mut self, recipient: &str, raw: &[u8]) -> Result<()>;

    /// Whether sent messages get a copy in a sent folder on a server.
    fn keeps_sent_copies(&self) -> bool {
        false
    }

    /// Stores the copy of a sent message in the sent folder, unless one with
    /// the Message-ID `outer_id` (of the wire headers) is there already.
    fn store_sent_copy(&mut self, _outer_id: &str, _raw: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// A permanent refusal by the submission server (an SMTP 5xx reply): the
/// same message sent the same way would be refused again, so it is not
/// retried until something changes. Transient failures (4xx, no
/// connection) are plain errors and are retried.
#[derive(Debug, Clone)]
pub struct Refused {
    /// `host:port` of the server.
    pub server: String,
    /// The reply code, e.g. 535 or 552.
    pub code: u16,
    /// The server's reply text.
    pub reply: String,
    /// The login was with an OAuth2 token, not a password.
    pub oauth2: bool,
}

impl Refused {
    /// What the refusal means and what fixes it, for the user.
    pub fn advice(&self) -> String {
        let (code, reply, server) = (self.code, self.reply.trim(), &self.server);
        match code {
            530 | 534 | 535 | 538 if self.oauth2 => format!(
                "the SMTP server {server} refused the OAuth2 sign-in ({code} {reply}); run `sealpost account login` \
                 to sign in again"
            ),
            530 | 534 | 535 | 538 => format!(
                "the SMTP server {server} refused the login ({code} {reply}); set the right password with \
                 `sealpost account set-password --server smtp` (or fix `password_command` in the config)"
            ),
            552 => format!("the server refuses messages this large ({code} {reply} from {server})"),
            _ => format!("the SMTP server {server} refused the message ({code} {reply})"),
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.advice())
    }
}

impl std::error::Error for Refused {}

/// A message waiting at the source, named by an identifier that is stable
/// across runs.
pub struct Incoming {
    pub source_id: String,
    pub raw: Vec<u8>,
}

/// Where new mail is read from. Nothing is ever deleted at the source,
/// except by `delete` (`forget --server`).
pub trait Source {
    /// Hands every message past `cursor` that `sink` does not know to
    /// `sink`, in batches bounded by `BATCH_MESSAGES` and `BATCH_BYTES` (or
    /// one message, when it alone is larger), advancing `cursor` past each
    /// batch before handing it over (sources that need no cursor ignore it).
    /// Memory is bounded by a few batches (see `Sink::take`), never by the
    /// backlog.
    fn fetch_new(&mut self, cursor: &mut imap::Cursor, sink: &mut dyn Sink) -> Result<()>;

    /// Like `fetch_new`, for the folder where sent messages are kept (the
    /// IMAP sent folder), with its own cursor. A message whose outer
    /// Message-ID `sink.has_copy` is not fetched. Sources without such a
    /// folder (a Maildir), and a sent folder that does not exist yet, hand
    /// over nothing.
    fn fetch_sent(&mut self, _cursor: &mut imap::Cursor, _sink: &mut dyn Sink) -> Result<()> {
        Ok(())
    }

    /// Deletes the messages with these source ids (as `fetch_new` named
    /// them) and, in the sent folder, those with these outer Message-IDs,
    /// for good; returns how many were deleted. One whose id is not of
    /// this source (another server, an older UIDVALIDITY) is left alone.
    fn delete(&mut self, source_ids: &[String], sent_outer_ids: &[String]) -> Result<u64>;
}

/// Takes fetched messages, batch by batch.
pub trait Sink {
    /// Whether the message with this source id was handled before.
    fn is_known(&self, source_id: &str) -> bool;
    /// `is_known` of each of `source_ids`, in order: a listing asks for
    /// every message at once.
    fn known(&self, source_ids: &[String]) -> Vec<bool> {
        source_ids.iter().map(|id| self.is_known(id)).collect()
    }
    /// Whether the message with this outer Message-ID is known without
    /// fetching it (asked for the sent folder only: there, a copy this
    /// device appended itself).
    fn has_copy(&self, _outer_message_id: &str) -> bool {
        false
    }
    /// How many messages are about to come (for progress).
    fn expect(&mut self, _count: usize) {}
    /// Handles a batch and makes it durable together with `cursor`, which
    /// already points past it: at once, or (the sync's `Receiver`) while the
    /// next batch is fetched, committed with the batches after it, its
    /// owner then storing the last ones itself (`Receiver::finish`). A
    /// batch not yet durable is fetched again.
    fn take(&mut self, batch: Vec<Incoming>, cursor: &imap::Cursor) -> Result<()>;
}

/// At most this many messages make a batch (fetched in one command, and
/// opened while the one before is stored; the sync's receiver commits
/// several together, see `receive::Receiver::store_opened`)…
pub const BATCH_MESSAGES: usize = 200;
/// …and at most this many bytes of them, unless one message alone is larger.
pub const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// Whether a fetched batch is larger than `BATCH_BYTES` (one message alone
/// can be): such a batch is stored before the next is fetched, so memory
/// holds one of them, not two.
pub fn is_large(batch: &[Incoming]) -> bool {
    batch_bytes(batch) > BATCH_BYTES
}

/// The size of a fetched batch: its messages as fetched.
pub fn batch_bytes(batch: &[Incoming]) -> u64 {
    batch.iter().map(|m| m.raw.len() as u64).sum()
}

/// Fetches batch after batch with `fetch` (until it has none left) on a
/// thread of its own while `take` handles the one before, so the network
/// and the store's writes overlap.
/// The channel between them holds nothing: a fetched batch waits until
/// `take` is ready for it. After a large batch (`is_large`) the fetcher
/// waits until `take` has returned, so memory holds one such batch, not
/// two. The first error, of either side, ends both.
pub fn fetch_ahead<B: Send>(
    mut fetch: impl FnMut() -> Option<Result<(B, Vec<Incoming>)>> + Send,
    mut take: impl FnMut(B, Vec<Incoming>) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|scope| {
        type Fetched<B> = (Result<(B, Vec<Incoming>)>, bool);
        let (hand_over, fetched) = std::sync::mpsc::sync_channel::<Fetched<B>>(0);
        let (taken, wait) = std::sync::mpsc::channel::<()>();
        scope.spawn(move || {
            without_preempting();
            while let Some(result) = fetch() {
                let (failed, large) = (result.is_err(), result.as_ref().is_ok_and(|(_, found)| is_large(found)));
                // A `take` that failed no longer listens.
                if hand_over.send((result, large)).is_err() || failed {
                    return;
                }
                if large && wait.recv().is_err() {
                    return;
                }
            }
        });
        for (result, large) in fetched {
            let (batch, found) = result?;
            take(batch, found)?;
            // Said only for a large batch, the only one waited for: a word
            // for any other would end the wait after the next large one
            // before that one was taken.
            if large {
                let _ = taken.send(());
            }
        }
        Ok(())
    })
}

/// Marks the calling thread as throughput work (Linux `SCHED_BATCH`;
/// elsewhere nothing): when it wakes it waits for its turn instead of
/// preempting the thread running. A sync's fetching thread wakes for every
/// few kilobytes the server sends, and its opening threads whenever work
/// comes; preempting each other for that cost a first sync thousands of
/// context switches and about 2% of its time (`benches/sync.rs`, side by
/// side). Its share of the processor is unchanged. A thread under another
/// policy than the usual one (`chrt`, a service's settings) keeps it.
pub fn without_preempting() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_getscheduler(0) reads this thread's policy;
    // sched_setscheduler with this thread's own id changes only this
    // thread's (on Linux it is per thread). Moving from SCHED_OTHER to
    // SCHED_BATCH needs no privilege, and a failure changes nothing.
    unsafe {
        if libc::sched_getscheduler(0) == libc::SCHED_OTHER {
            let param = libc::sched_param { sched_priority: 0 };
            libc::sched_setscheduler(libc::gettid(), libc::SCHED_BATCH, &param);
        }
    }
}

/// Splits `(id, size)` pairs into consecutive batches within the bounds.
pub fn batches<T>(items: Vec<(T, u64)>) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut bytes = 0u64;
    for (item, size) in items {
        match out.last_mut() {
            Some(batch) if batch.len() < BATCH_MESSAGES && bytes.saturating_add(size) <= BATCH_BYTES => {
                bytes += size;
                batch.push(item);
            }
            _ => {
                bytes = size;
                out.push(vec![item]);
            }
        }
    }
    out
}

/// SMTP submission, and a copy in the IMAP sent folder when an IMAP
/// server is configured. The copy is a step of its own (see `outbox`):
/// once the submission server has accepted a message it is sent, and is
/// never sent again because the copy could not be stored (the store keeps
/// its own copy either way).
pub struct Submission {
    pub smtp: smtp::Smtp,
    pub sent_copy: Option<SentCopy>,
}

pub struct SentCopy {
    pub open: Box<dyn FnMut() -> Result<imap::Session>>,
    pub folder: String,
    pub session: Option<imap::Session>,
}

impl Transport for Submission {
    fn deliver(&mut self, recipient: &str, raw: &[u8]) -> Result<()> {
        self.smtp.deliver(recipient, raw)
    }

    fn keeps_sent_copies(&self) -> bool {
        self.sent_copy.is_some()
    }

    fn store_sent_copy(&mut self, outer_id: &str, raw: &[u8]) -> Result<()> {
        let Some(copy) = &mut self.sent_copy else { return Ok(()) };
        let stored = (|| -> Result<()> {
            if copy.session.is_none() {
                copy.session = Some((copy.open)()?);
            }
            imap::store_sent_copy(copy.session.as_mut().expect("just opened"), &copy.folder, outer_id, raw)
        })();
        if stored.is_err() {
            copy.session = None;
        }
        stored.with_context(|| format!("the {} folder", copy.folder))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use anyhow::bail;
    use std::time::Duration;

    use super::*;

    /// `fetch` of each of `batches` in turn, as `fetch_ahead` asks for them.
    fn each<B: Send>(
        batches: Vec<B>,
        mut fetch: impl FnMut(&B) -> Result<Vec<Incoming>> + Send,
    ) -> impl FnMut() -> Option<Result<(B, Vec<Incoming>)>> + Send {
        let mut batches = batches.into_iter();
        move || {
            let batch = batches.next()?;
            Some(fetch(&batch).map(|found| (batch, found)))
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_fetching_thread_does_not_preempt_and_the_taking_one_stays_as_it_was() {
        // SAFETY: sched_getscheduler(0) only reads the calling thread's policy.
        let policy = || unsafe { libc::sched_getscheduler(0) };
        let (mut fetched_as, mut taken_as, before) = (None, None, policy());
        fetch_ahead(
            each(vec![()], |_| {
                fetched_as = Some(policy());
                Ok(Vec::new())
            }),
            |_, _| {
                taken_as = Some(policy());
                Ok(())
            },
        )
        .unwrap();
        let expected = if before == libc::SCHED_OTHER { libc::SCHED_BATCH } else { before };
        assert_eq!(fetched_as, Some(expected));
        assert_eq!(taken_as, Some(before));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_the_user_runs_under_another_policy_keeps_it() {
        let policy = std::thread::spawn(|| {
            // SAFETY: both only change or read the calling thread's policy.
            unsafe {
                let param = libc::sched_param { sched_priority: 0 };
                assert_eq!(libc::sched_setscheduler(0, libc::SCHED_IDLE, &param), 0);
                without_preempting();
                libc::sched_getscheduler(0)
            }
        })
        .join()
        .unwrap();
        assert_eq!(policy, libc::SCHED_IDLE);
    }

    #[test]
    fn a_large_batch_is_taken_before_the_next_is_fetched_also_after_a_small_one() {
        // Sizes of one-message batches: a small one before each pair of
        // large ones. `take` holds a large batch a while, so a fetcher let
        // go too early would fetch the next large one meanwhile.
        let large = BATCH_BYTES as usize + 1;
        let batches: Vec<usize> = (0..3).flat_map(|_| [10, large, large]).collect();
        let (held, most_held) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let mut order = Vec::new();
        fetch_ahead(
            each(batches.clone(), |&size| {
                if size == large {
                    let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                    most_held.fetch_max(now, Ordering::SeqCst);
                }
                Ok(vec![Incoming { source_id: format!("{size}"), raw: vec![0; size] }])
            }),
            |size, found| {
                assert_eq!(found[0].raw.len(), size);
                order.push(size);
                if size == large {
                    std::thread::sleep(Duration::from_millis(50));
                    held.fetch_sub(1, Ordering::SeqCst);
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(order, batches, "every batch is taken, in order");
        assert_eq!(most_held.load(Ordering::SeqCst), 1, "large batches in memory at once");
    }

    #[test]
    fn the_first_error_of_either_side_ends_both() {
        let fetched = AtomicUsize::new(0);
        let fetch = |_: &u32| {
            fetched.fetch_add(1, Ordering::SeqCst);
            Ok(Vec::new())
        };
        let failed =
            fetch_ahead(each((0..100).collect(), fetch), |n, _| if n == 3 { bail!("disk full") } else { Ok(()) });
        assert_eq!(failed.unwrap_err().to_string(), "disk full");
        // At most the batch being handed over and the one after it.
        assert!(fetched.load(Ordering::SeqCst) <= 6, "{}", fetched.load(Ordering::SeqCst));

        let mut taken = Vec::new();
        let failed = fetch_ahead(
            each((0..100).collect(), |&n: &u32| if n == 5 { bail!("connection reset") } else { Ok(Vec::new()) }),
            |n, _| {
                taken.push(n);
                Ok(())
            },
        );
        assert_eq!(failed.unwrap_err().to_string(), "connection reset");
        assert_eq!(taken, vec![0, 1, 2, 3, 4], "what came before the failure is taken");
    }
}
