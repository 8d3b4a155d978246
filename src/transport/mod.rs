//! How messages leave and arrive.
//!
//! Commands talk to a `Transport` (sending) and a `Source` (receiving) and do
//! not care whether a Maildir or a mail server is behind them.

pub mod maildir;

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
    /// Messages whose identifier `is_known` does not recognize.
    fn fetch_new(&mut self, is_known: &dyn Fn(&str) -> bool) -> Result<Vec<Incoming>>;
}
