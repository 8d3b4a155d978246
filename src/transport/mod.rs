//! How messages leave and arrive.
//!
//! Commands talk to a `Transport` (sending) and a `Source` (receiving) and do
//! not care whether a Maildir or a mail server is behind them.

pub mod imap;
pub mod maildir;
pub mod smtp;
pub mod tls;

use anyhow::Result;

/// Hands a finished message to the next hop. Returning `Ok` means the other
/// side has accepted responsibility for it.
pub trait Transport {
    fn deliver(&mut self, recipient: &str, raw: &[u8]) -> Result<()>;
}

/// A message waiting at the source, named by an identifier that is stable
/// across runs.
pub struct Incoming {
    pub source_id: String,
    pub raw: Vec<u8>,
}

/// Where new mail is read from. Nothing is ever deleted at the source.
pub trait Source {
    /// Messages past `cursor` whose identifier `is_known` does not
    /// recognize; advances `cursor` (sources that need none ignore it).
    fn fetch_new(&mut self, cursor: &mut imap::Cursor, is_known: &dyn Fn(&str) -> bool) -> Result<Vec<Incoming>>;
}

/// SMTP submission, then a copy in the IMAP sent folder when an IMAP server
/// is configured. The copy is best effort: once the submission server has
/// accepted a message it is sent, and is never sent again because the copy
/// could not be stored (the store keeps its own copy either way).
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
        self.smtp.deliver(recipient, raw)?;
        if let Some(copy) = &mut self.sent_copy {
            let stored = (|| -> Result<()> {
                if copy.session.is_none() {
                    copy.session = Some((copy.open)()?);
                }
                imap::append_sent(copy.session.as_mut().expect("just opened"), &copy.folder, raw)
            })();
            if let Err(e) = stored {
                copy.session = None;
                crate::error::warn(&format!("sent, but the copy was not stored in the {} folder: {e:#}", copy.folder));
            }
        }
        Ok(())
    }
}
