//! The store's database: one SQLCipher file, `store.db`.
//!
//! SQLCipher encrypts every page (AES-256, and an HMAC per page: SHA-256
//! in a database this release makes, SHA-512 in one of an earlier release,
//! see `Pages`), so the file, its write-ahead log and any block the disk
//! keeps after a write hold no readable byte. It is opened with a raw
//! 256-bit key (no second KDF: the passphrase was already stretched to
//! open the keyring), derived from the keyring's random store key under a
//! label of its own, so the keyring, the unlock agent, backups and the
//! recovery key carry it as they carry the store key, with no change to
//! their form.
//!
//! Write-ahead logging lets a reader work while a writer commits;
//! `synchronous = FULL` makes a commit durable before it returns (the outbox
//! rule: a message is on disk before any network I/O); `secure_delete`
//! overwrites what a delete frees, so a removed row is not left in a free
//! page; foreign keys are enforced.
//!
//! Every write happens inside a transaction: a statement outside one is its
//! own; `Database::transaction` makes a whole action one (see
//! `Store::transaction`).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The database's file name in the data folder.
pub const FILE: &str = "store.db";

/// The schema this release writes (SQLite's `user_version`): `SCHEMA`
/// with every step of `UPGRADES` applied.
const SCHEMA_VERSION: i64 = 1 + UPGRADES.len() as i64;

/// What each later schema adds to the one before, in order: a database of
/// an earlier release is brought up to date when it is opened.
///
/// 2: bodies larger than `CHUNK` are kept as numbered chunks of that size
/// (`body_chunks`; `bodies.chunks` counts them, and `bodies.body` is then
/// empty), so a message of any size is written and read a chunk at a time
/// instead of as one value in memory.
///
/// 3: the audit log (see `audit`): one row per entry, in order (`seq`),
/// the entry as written (JSON) and its hash, with its time and contact tag
/// beside it to look entries up by.
const UPGRADES: [&str; 2] = [
    "
ALTER TABLE bodies ADD COLUMN chunks INTEGER NOT NULL DEFAULT 0;
CREATE TABLE body_chunks (
    body_id INTEGER NOT NULL REFERENCES bodies(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (body_id, seq)
);
",
    "
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    contact TEXT,
    entry TEXT NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_by_contact ON audit(contact, seq) WHERE contact IS NOT NULL;
CREATE INDEX audit_by_time ON audit(at);
",
];

/// The size of a body's chunks. A body up to this size is one value.
pub const CHUNK: usize = 1 << 20;

/// The tables. `data_keys` holds a random key per contact (the other
/// party's address): the bodies of that contact's messages, received and
/// sent (`documents.contact` names it), are encrypted once more under it
/// (`seal`), so destroying one key makes every copy of that client's
/// messages unreadable, also in backups made before and in blocks the disk
/// kept (what disposal of one client's records builds on). `inbox` holds
/// one row per received message: the entry
/// the inbox lists (JSON, see `inbox::Entry`) beside the columns commands
/// look it up by; the message itself is the document `inbox/ID.eml.age`.
/// `sent` holds one row per message that left (`outbox::Sent`, JSON) in
/// the order they left, with the number `sent` shows (user-written
/// messages only). `seen_sources` holds the source ids (IMAP UIDVALIDITY and UID, Maildir
/// names) already fetched. `documents` names every document of the store (the
/// contact list, invites, joins, passwords, rotated keys, device state,
/// the indexes, messages as received and as sent, the outbox) by the name
/// the store gives it; `folder` is the part before the last `/`, indexed,
/// so listing a folder reads that folder's rows only. The bodies are rows
/// of their own: renaming a document (an outbox entry the server accepted)
/// changes a few small pages, never the message, so it needs almost no
/// room in the log (see `configure`).
const SCHEMA: &str = "
CREATE TABLE bodies (
    id INTEGER PRIMARY KEY,
    body BLOB NOT NULL
);
CREATE TABLE data_keys (
    contact TEXT PRIMARY KEY NOT NULL,
    key BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE documents (
    name TEXT PRIMARY KEY NOT NULL,
    folder TEXT NOT NULL,
    written_ns INTEGER NOT NULL,
    body_id INTEGER NOT NULL UNIQUE REFERENCES bodies(id),
    contact TEXT REFERENCES data_keys(contact)
);
CREATE INDEX documents_by_contact ON documents(contact) WHERE contact IS NOT NULL;
CREATE INDEX documents_by_folder ON documents(folder, name);
CREATE TRIGGER documents_remove_body AFTER DELETE ON documents
BEGIN
    DELETE FROM bodies WHERE id = old.body_id;
END;
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    opened INTEGER NOT NULL,
    raw_sha256 TEXT,
    message_id TEXT,
    signer TEXT,
    receipt_for TEXT,
    entry BLOB NOT NULL
);
CREATE INDEX inbox_by_kind ON inbox(kind, id);
CREATE INDEX inbox_unread ON inbox(kind, id) WHERE opened = 0;
CREATE TABLE inbox_counts (
    kind TEXT PRIMARY KEY NOT NULL,
    total INTEGER NOT NULL,
    unread INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER inbox_counts_insert AFTER INSERT ON inbox
BEGIN
    INSERT INTO inbox_counts (kind, total, unread) VALUES (new.kind, 1, new.opened = 0)
    ON CONFLICT(kind) DO UPDATE SET total = total + 1, unread = unread + (new.opened = 0);
END;
CREATE TRIGGER inbox_counts_delete AFTER DELETE ON inbox
BEGIN
    UPDATE inbox_counts SET total = total - 1, unread = unread - (old.opened = 0) WHERE kind = old.kind;
END;
CREATE TRIGGER inbox_counts_update AFTER UPDATE OF kind, opened ON inbox
BEGIN
    UPDATE inbox_counts SET total = total - 1, unread = unread - (old.opened = 0) WHERE kind = old.kind;
    INSERT INTO inbox_counts (kind, total, unread) VALUES (new.kind, 1, new.opened = 0)
    ON CONFLICT(kind) DO UPDATE SET total = total + 1, unread = unread + (new.opened = 0);
END;
CREATE INDEX inbox_by_digest ON inbox(raw_sha256);
CREATE INDEX inbox_by_message_id ON inbox(message_id, signer);
CREATE INDEX inbox_by_receipt_for ON inbox(receipt_for) WHERE receipt_for IS NOT NULL;
CREATE TABLE sent (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    number INTEGER UNIQUE,
    outer_message_id TEXT,
    copy_pending INTEGER NOT NULL,
    entry BLOB NOT NULL
);
CREATE INDEX sent_by_outer ON sent(outer_message_id) WHERE outer_message_id IS NOT NULL;
CREATE INDEX sent_pending ON sent(seq) WHERE copy_pending = 1;
CREATE TABLE seen_sources (
    source_id TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
";

/// The raw key of the database, wiped when dropped.
pub struct Key(Zeroizing<[u8; 32]>);

impl Key {
    /// Derived from the keyring's store key (an age X25519 secret, 256
    /// random bits) under a label of its own: a key for this one purpose.
    pub fn from_store_key(store_key: &str) -> Key {
        let mut hasher = Sha256::new();
        hasher.update(b"sealpost store database key v1\0");
        hasher.update(store_key.as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&hasher.finalize());
        Key(key)
    }

    /// `PRAGMA key` with the raw key, in a buffer wiped when dropped.
    fn pragma(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(96));
        text.push_str("PRAGMA key = \"x'");
        for b in self.0.iter() {
            text.push(char::from_digit((b >> 4) as u32, 16).expect("a hex digit"));
            text.push(char::from_digit((b & 15) as u32, 16).expect("a hex digit"));
        }
        text.push_str("'\";");
        text
    }
}

pub struct Database {
    conn: Connection,
}

/// A document's body row (its id, its value, its number of chunks), the
/// contact whose data key it is under, and that key (gone once destroyed).
type StoredBody = (i64, Vec<u8>, u64, Option<String>, Option<Vec<u8>>);

/// The data key a body is kept under, and whose it is.
struct Sealing {
    contact: String,
    key: Zeroizing<Vec<u8>>,
}

/// A document being written (see `Database::writer`): what is written is
/// kept in memory up to `CHUNK`, then stored a chunk at a time inside the
/// writer's transaction; `finish` names it and commits.
pub struct BodyWriter<'d> {
    db: &'d Database,
    name: String,
    sealing: Option<Sealing>,
    /// `None` once ended (committed or rolled back).
    begun: Option<Begun>,
    /// The body's row, once its first chunk is stored.
    body_id: Option<i64>,
    /// The number of the next chunk.
    seq: u64,
    buffer: Vec<u8>,
}

impl BodyWriter<'_> {
    /// Stores the first `CHUNK` bytes of the buffer as a chunk that is not
    /// the last.
    fn store_chunk(&mut self) -> Result<()> {
        let db = self.db;
        let body_id = match self.body_id {
            Some(id) => id,
            None => {
                db.conn.prepare_cached("INSERT INTO bodies (body) VALUES (x'')")?.execute([])?;
                *self.body_id.insert(db.conn.last_insert_rowid())
            }
        };
        let rest = self.buffer.split_off(CHUNK);
        let chunk = std::mem::replace(&mut self.buffer, rest);
        db.put_chunk(body_id, self.seq, false, &chunk, self.sealing.as_ref())?;
        self.seq += 1;
        Ok(())
    }

    /// Stores what is left, names the document (replacing one of its name)
    /// and commits.
    pub fn finish(mut self) -> Result<()> {
        let begun = self.begun.take().expect("a writer is finished once");
        let db = self.db;
        let result = (|| {
            let body_id = match self.body_id {
                Some(body_id) => {
                    db.put_chunk(body_id, self.seq, true, &self.buffer, self.sealing.as_ref())?;
                    db.conn
                        .prepare_cached("UPDATE bodies SET chunks = ?2 WHERE id = ?1")?
                        .execute(params![body_id, self.seq as i64 + 1])?;
                    body_id
                }
                None => {
                    let sealed;
                    let body = match &self.sealing {
                        Some(s) => {
                            sealed = seal(&s.key, &s.contact, &self.buffer)?;
                            &sealed[..]
                        }
                        None => &self.buffer[..],
                    };
                    db.conn.prepare_cached("INSERT INTO bodies (body) VALUES (?1)")?.execute([body])?;
                    db.conn.last_insert_rowid()
                }
            };
            db.conn.prepare_cached("DELETE FROM documents WHERE name = ?1")?.execute([&self.name])?;
            db.conn
                .prepare_cached(
                    "INSERT INTO documents (name, folder, written_ns, body_id, contact) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    self.name,
                    folder_of(&self.name),
                    now_ns(),
                    body_id,
                    self.sealing.as_ref().map(|s| &s.contact)
                ])?;
            Ok(())
        })();
        db.end(begun, result).map_err(|e| db.fault_any(e, format!("writing {} to the store", self.name)))
    }
}

impl std::io::Write for BodyWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        // Strictly more than a chunk: the last chunk is stored by `finish`,
        // marked as the last.
        while self.buffer.len() > CHUNK {
            self.store_chunk().map_err(|e| {
                let e = self.db.fault_any(e, format!("writing {} to the store", self.name));
                std::io::Error::other(format!("{e:#}"))
            })?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for BodyWriter<'_> {
    /// A writer never finished leaves nothing: its transaction is rolled
    /// back, or, inside a longer one, its chunks are removed.
    fn drop(&mut self) {
        if let Some(begun) = self.begun.take() {
            if let Some(body_id) = self.body_id {
                let _ = self.db.conn.execute("DELETE FROM bodies WHERE id = ?1", [body_id]);
            }
            let _ = self.db.end::<()>(begun, Err(anyhow!("not finished")));
        }
    }
}

/// A document being read a chunk at a time (see `Database::reader`).
pub struct BodyReader<'d> {
    db: &'d Database,
    name: String,
    body_id: i64,
    /// How many chunks it has; none when it is one value (`current`).
    chunks: u64,
    /// The number of the next chunk to read.
    next: u64,
    sealing: Option<Sealing>,
    current: Vec<u8>,
    /// How much of `current` was read.
    at: usize,
}

impl BodyReader<'_> {
    /// Its size, or close to it: for reserving room.
    pub fn size_hint(&self) -> usize {
        if self.chunks == 0 {
            self.current.len()
        } else {
            self.chunks as usize * CHUNK
        }
    }

    fn load_next(&mut self) -> Result<()> {
        let seq = self.next;
        let stored = self.db.chunk(self.body_id, seq)?;
        self.current = match &self.sealing {
            None => stored,
            Some(s) => open_chunk(&s.key, &s.contact, seq, seq + 1 == self.chunks, &stored).with_context(|| {
                format!("{} cannot be opened with the data key of {}; the store is damaged", self.name, s.contact)
            })?,
        };
        self.at = 0;
        self.next += 1;
        Ok(())
    }
}

impl std::io::Read for BodyReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            if self.next >= self.chunks {
                return Ok(0);
            }
            self.load_next().map_err(|e| std::io::Error::other(format!("reading {}: {e:#}", self.name)))?;
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// One row of the `inbox` table (see `SCHEMA`).
pub struct InboxRow<'a> {
    pub id: u64,
    /// "message", "receipt" or "handshake".
    pub kind: &'a str,
    pub opened: bool,
    pub raw_sha256: Option<&'a str>,
    pub message_id: Option<&'a str>,
    pub signer: Option<&'a str>,
    pub receipt_for: Option<&'a str>,
    pub entry: &'a [u8],
}

/// Which inbox rows to read.
pub enum InboxQuery<'a> {
    Id(u64),
    /// The messages, oldest first: the newest `newest` of them (all when
    /// `None`), only the unread ones if asked.
    Messages {
        unread_only: bool,
        newest: Option<usize>,
    },
    /// Up to `count` messages older than `id`, newest first.
    MessagesBefore {
        id: u64,
        count: usize,
    },
    /// The read receipts naming this Message-ID.
    ReceiptsFor(&'a str),
    /// Every row, of every kind, in order.
    All,
}

/// One row of the `sent` table (see `SCHEMA`).
pub struct SentRow<'a> {
    pub message_id: &'a str,
    pub number: Option<u64>,
    pub outer_message_id: Option<&'a str>,
    pub copy_pending: bool,
    pub entry: &'a [u8],
}

/// Which sent rows to read.
pub enum SentQuery<'a> {
    MessageId(&'a str),
    Number(u64),
    /// The numbered ones: what the user wrote.
    Numbered,
    All,
    /// Those whose copy for the IMAP sent folder is not stored yet.
    CopyPending,
}

/// Whether `Database::begin` began a transaction (or joined one).
#[must_use]
pub struct Begun(bool);

impl Database {
    /// Creates a new, empty database at `path` (which must not exist),
    /// private to the user from its first byte.
    pub fn create(path: &Path, key: &Key) -> Result<Database> {
        crate::home::create_durable(path, b"").with_context(|| format!("creating {}", path.display()))?;
        let conn = connect(path).with_context(|| format!("creating {}", path.display()))?;
        unlock(&conn, key, Pages::CURRENT).map_err(|e| unopened(path, e))?;
        configure(&conn, path)?;
        make_tables(&conn).with_context(|| format!("creating the tables of {}", path.display()))?;
        Ok(Database { conn })
    }

    /// Opens the database at `path`. A file that is not this store's
    /// database under this key (damaged, truncated, replaced) is called
    /// damaged and named; one of a newer release is refused.
    pub fn open(path: &Path, key: &Key) -> Result<Database> {
        let conn = connect_keyed(path, key)?;
        configure(&conn, path)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| unopened(path, e))?;
        if version > SCHEMA_VERSION {
            bail!(
                "{} was written by a newer release of sealpost (schema {version}; this one knows {SCHEMA_VERSION}); \
                 install that release to open it",
                path.display()
            );
        }
        if version < 1 {
            return Err(damaged(path, "it has no tables"));
        }
        let db = Database { conn };
        db.upgrade(version).with_context(|| format!("bringing {} up to this release's schema", path.display()))?;
        Ok(db)
    }

    /// Applies the schema steps after `version`, in one transaction that
    /// checks the version again (another command may have done it first).
    fn upgrade(&self, version: i64) -> Result<()> {
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        self.transaction(|| {
            let now: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            for step in UPGRADES.iter().skip((now - 1).max(0) as usize) {
                self.conn.execute_batch(step)?;
            }
            self.conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))?;
            Ok(())
        })
    }

    /// Opens the database to read only (`query_only`): a write through it
    /// fails instead of racing the writer that holds the store's lock.
    pub fn open_to_read(path: &Path, key: &Key) -> Result<Database> {
        let db = Database::open(path, key)?;
        db.conn.execute_batch("PRAGMA query_only = ON;").with_context(|| format!("opening {}", path.display()))?;
        Ok(db)
    }

    /// A document's body; `None` when there is none by that name. One
    /// kept under a contact's data key is opened with it.
    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let Some(mut reader) = self.reader(name)? else { return Ok(None) };
        let mut body = Vec::with_capacity(reader.size_hint());
        std::io::Read::read_to_end(&mut reader, &mut body).map_err(|e| anyhow!("{e}"))?;
        Ok(Some(body))
    }

    /// A document's body to read a chunk at a time (see `CHUNK`); `None`
    /// when there is none by that name.
    pub fn reader(&self, name: &str) -> Result<Option<BodyReader<'_>>> {
        let row: Option<StoredBody> = self
            .conn
            .prepare_cached(
                "SELECT bodies.id, body, chunks, documents.contact, key FROM documents
                 JOIN bodies ON bodies.id = body_id
                 LEFT JOIN data_keys ON data_keys.contact = documents.contact WHERE name = ?1",
            )?
            .query_row([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .optional()
            .map_err(|e| self.fault(e, format!("reading {name} from the store")))?;
        let Some((body_id, body, chunks, contact, key)) = row else { return Ok(None) };
        let sealing = match (contact, key) {
            (None, _) => None,
            (Some(contact), None) => bail!("{name} was kept under the data key of {contact}, which is gone"),
            (Some(contact), Some(key)) => Some(Sealing { contact, key: Zeroizing::new(key) }),
        };
        let current = match (&sealing, chunks) {
            (_, 1..) => Vec::new(),
            (None, 0) => body,
            (Some(sealing), 0) => open_sealed(&sealing.key, &sealing.contact, &body).with_context(|| {
                format!("{name} cannot be opened with the data key of {}; the store is damaged", sealing.contact)
            })?,
        };
        Ok(Some(BodyReader { db: self, name: name.to_string(), body_id, chunks, next: 0, sealing, current, at: 0 }))
    }

    /// Writes a document under the data key of `contact` (made at its
    /// first use), replacing one of the same name.
    pub fn put_for(&self, name: &str, contact: &str, body: &[u8]) -> Result<()> {
        self.write_whole(name, Some(contact), body)
    }

    /// Writes a document, replacing one of the same name.
    pub fn put(&self, name: &str, body: &[u8]) -> Result<()> {
        self.write_whole(name, None, body)
    }

    fn write_whole(&self, name: &str, contact: Option<&str>, body: &[u8]) -> Result<()> {
        let mut writer = self.writer(name, contact)?;
        std::io::Write::write_all(&mut writer, body).map_err(|e| anyhow!("{e}"))?;
        writer.finish()
    }

    /// Writes a document a chunk at a time (see `CHUNK`), under the data
    /// key of `contact` when given; it replaces one of the same name when
    /// `BodyWriter::finish` commits it, and is gone if never finished.
    pub fn writer(&self, name: &str, contact: Option<&str>) -> Result<BodyWriter<'_>> {
        let begun = self.begin().map_err(|e| self.fault_any(e, format!("writing {name} to the store")))?;
        let sealing = match contact.map(|c| self.data_key(c).map(|key| Sealing { contact: c.to_string(), key })) {
            Some(Err(e)) => return self.end(begun, Err(e)).map_err(|e| self.fault_any(e, format!("writing {name}"))),
            Some(Ok(sealing)) => Some(sealing),
            None => None,
        };
        Ok(BodyWriter {
            db: self,
            name: name.to_string(),
            sealing,
            begun: Some(begun),
            body_id: None,
            seq: 0,
            buffer: Vec::new(),
        })
    }

    /// The data key of `contact`, made now if it has none.
    fn data_key(&self, contact: &str) -> Result<Zeroizing<Vec<u8>>> {
        if let Some(key) = self.stored_data_key(contact)? {
            return Ok(key);
        }
        let mut key = Zeroizing::new(vec![0u8; 32]);
        sequoia_openpgp::crypto::random(&mut key[..])?;
        self.conn
            .prepare_cached("INSERT INTO data_keys (contact, key) VALUES (?1, ?2)")?
            .execute(params![contact, &key[..]])?;
        Ok(key)
    }

    /// The data key of `contact`, if it has one.
    fn stored_data_key(&self, contact: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let found: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT key FROM data_keys WHERE contact = ?1")?
            .query_row([contact], |r| r.get(0))
            .optional()?;
        Ok(found.map(Zeroizing::new))
    }

    /// A tag that names `contact` in the audit log: a digest keyed with
    /// the contact's data key (made at its first use), so once that key is
    /// destroyed (`forget`) nothing links the contact's entries to them.
    pub fn contact_tag(&self, contact: &str) -> Result<String> {
        Ok(tag_of_key(&self.data_key(contact)?))
    }

    /// The tag of `contact` if it has a data key, without making one.
    pub fn existing_contact_tag(&self, contact: &str) -> Result<Option<String>> {
        Ok(self.stored_data_key(contact)?.map(|key| tag_of_key(&key)))
    }

    /// The last entry of the audit log: its number and hash.
    pub fn audit_head(&self) -> Result<Option<(u64, Vec<u8>)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .optional()?)
    }

    /// Appends an entry to the audit log (see `audit`).
    pub fn audit_insert(&self, seq: u64, at: i64, contact: Option<&str>, entry: &str, hash: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO audit (seq, at, contact, entry, hash) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![seq as i64, at, contact, entry, hash])
            .map_err(|e| self.fault(e, "writing the audit log".into()))?;
        Ok(())
    }

    /// Every audit entry in order (or only those for `contact`, or since
    /// `since`): its number, time, contact tag, entry and hash, handed to
    /// `each` one at a time.
    pub fn audit_each(
        &self,
        contact: Option<&str>,
        since: Option<i64>,
        mut each: impl FnMut(u64, i64, Option<String>, String, Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let mut statement = self.conn.prepare_cached(
            "SELECT seq, at, contact, entry, hash FROM audit
             WHERE (?1 IS NULL OR contact = ?1) AND (?2 IS NULL OR at >= ?2) ORDER BY seq",
        )?;
        let mut rows = statement.query(params![contact, since])?;
        while let Some(row) = rows.next()? {
            each(row.get::<_, i64>(0)? as u64, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)?;
        }
        Ok(())
    }

    #[cfg(test)]
    pub fn execute_for_tests(&self, statements: &str) {
        self.conn.execute_batch(statements).unwrap();
    }

    #[cfg(test)]
    pub fn audit_entry_for_tests(&self, seq: u64) -> String {
        self.conn.query_row("SELECT entry FROM audit WHERE seq = ?1", [seq as i64], |r| r.get(0)).unwrap()
    }

    #[cfg(test)]
    pub fn audit_replace_for_tests(&self, seq: u64, entry: &str, hash: &[u8]) {
        self.conn
            .execute("UPDATE audit SET entry = ?2, hash = ?3 WHERE seq = ?1", params![seq as i64, entry, hash])
            .unwrap();
    }

    /// Stores one chunk of body `body_id` (sealed when `sealing`).
    fn put_chunk(&self, body_id: i64, seq: u64, last: bool, data: &[u8], sealing: Option<&Sealing>) -> Result<()> {
        let sealed;
        let data = match sealing {
            Some(s) => {
                sealed = seal_chunk(&s.key, &s.contact, seq, last, data)?;
                &sealed[..]
            }
            None => data,
        };
        self.conn
            .prepare_cached("INSERT INTO body_chunks (body_id, seq, data) VALUES (?1, ?2, ?3)")?
            .execute(params![body_id, seq as i64, data])?;
        Ok(())
    }

    fn chunk(&self, body_id: i64, seq: u64) -> Result<Vec<u8>> {
        self.conn
            .prepare_cached("SELECT data FROM body_chunks WHERE body_id = ?1 AND seq = ?2")?
            .query_row(params![body_id, seq as i64], |r| r.get(0))
            .optional()?
            .with_context(|| format!("chunk {seq} is missing"))
    }

    /// Gives a document another name (replacing one there). The body
    /// stays where it is: only the name's row changes.
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.transaction(|| {
            self.conn.prepare_cached("DELETE FROM documents WHERE name = ?1")?.execute([to])?;
            let moved = self
                .conn
                .prepare_cached("UPDATE documents SET name = ?2, folder = ?3 WHERE name = ?1")?
                .execute(params![from, to, folder_of(to)])?;
            if moved == 0 {
                bail!("{from} is not in the store");
            }
            Ok(())
        })
        .map_err(|e| self.fault_any(e, format!("renaming {from} to {to}")))
    }

    pub fn remove(&self, name: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM documents WHERE name = ?1")?
            .execute([name])
            .map_err(|e| self.fault(e, format!("removing {name} from the store")))?;
        Ok(())
    }

    /// The names in `folder` (without the folder), sorted.
    pub fn list(&self, folder: &str) -> Result<Vec<String>> {
        let mut statement = self.conn.prepare_cached("SELECT name FROM documents WHERE folder = ?1 ORDER BY name")?;
        let names = statement.query_map([folder], |r| r.get::<_, String>(0))?;
        let prefix = format!("{folder}/");
        names
            .map(|name| Ok(name?.strip_prefix(&prefix).map(str::to_string).unwrap_or_default()))
            .collect::<Result<Vec<String>>>()
            .with_context(|| format!("listing {folder} in the store"))
    }

    /// When a document was last written.
    pub fn modified(&self, name: &str) -> Result<Option<SystemTime>> {
        let ns: Option<i64> = self
            .conn
            .prepare_cached("SELECT written_ns FROM documents WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        Ok(ns.map(|ns| UNIX_EPOCH + Duration::from_nanos(ns.max(0) as u64)))
    }

    /// Writes an inbox row, replacing the one with its id.
    pub fn inbox_put(&self, row: &InboxRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO inbox (id, kind, opened, raw_sha256, message_id, signer, receipt_for, entry)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, opened = excluded.opened,
                     raw_sha256 = excluded.raw_sha256, message_id = excluded.message_id, signer = excluded.signer,
                     receipt_for = excluded.receipt_for, entry = excluded.entry",
            )?
            .execute(params![
                row.id as i64,
                row.kind,
                row.opened,
                row.raw_sha256,
                row.message_id,
                row.signer,
                row.receipt_for,
                row.entry
            ])
            .map_err(|e| self.fault(e, format!("writing message {} to the store", row.id)))?;
        Ok(())
    }

    /// The entries of the inbox rows `query` selects, in its order.
    pub fn inbox_entries(&self, query: InboxQuery) -> Result<Vec<Vec<u8>>> {
        let (sql, args): (&str, Vec<rusqlite::types::Value>) = match query {
            InboxQuery::Id(id) => ("SELECT entry FROM inbox WHERE id = ?1", vec![(id as i64).into()]),
            InboxQuery::Messages { unread_only, newest } => (
                if unread_only {
                    "SELECT entry FROM (SELECT id, entry FROM inbox WHERE kind = 'message' AND opened = 0
                     ORDER BY id DESC LIMIT ?1) ORDER BY id"
                } else {
                    "SELECT entry FROM (SELECT id, entry FROM inbox WHERE kind = 'message'
                     ORDER BY id DESC LIMIT ?1) ORDER BY id"
                },
                vec![newest.map_or(-1, |n| n as i64).into()],
            ),
            InboxQuery::MessagesBefore { id, count } => (
                "SELECT entry FROM inbox WHERE kind = 'message' AND id < ?1 ORDER BY id DESC LIMIT ?2",
                vec![(id as i64).into(), (count as i64).into()],
            ),
            InboxQuery::ReceiptsFor(message_id) => {
                ("SELECT entry FROM inbox WHERE receipt_for = ?1 ORDER BY id", vec![message_id.to_string().into()])
            }
            InboxQuery::All => ("SELECT entry FROM inbox ORDER BY id", Vec::new()),
        };
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, Vec<u8>>(0))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.fault(e, "reading the inbox".into()))
    }

    /// How many messages (not receipts or handshake steps) the inbox holds.
    pub fn inbox_count(&self) -> Result<(u64, u64)> {
        // Kept by triggers: counting reads one row, not the inbox.
        self.conn
            .prepare_cached(
                "SELECT coalesce(sum(total), 0), coalesce(sum(unread), 0) FROM inbox_counts WHERE kind = 'message'",
            )?
            .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)))
            .map_err(|e| self.fault(e, "counting the inbox".into()))
    }

    /// The highest id of an inbox row.
    pub fn inbox_max_id(&self) -> Result<u64> {
        let max: Option<i64> = self.conn.prepare_cached("SELECT max(id) FROM inbox")?.query_row([], |r| r.get(0))?;
        Ok(max.unwrap_or(0) as u64)
    }

    /// Whether a row has these exact bytes (`raw_sha256`), or this
    /// protected Message-ID signed by this key.
    pub fn inbox_knows(&self, raw_sha256: &str, signed_id: Option<(&str, &str)>) -> Result<bool> {
        let (signer, message_id) = signed_id.unzip();
        self.conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM inbox WHERE raw_sha256 = ?1)
                     OR EXISTS (SELECT 1 FROM inbox WHERE message_id = ?2 AND signer = ?3)",
            )?
            .query_row(params![raw_sha256, message_id, signer], |r| r.get(0))
            .map_err(|e| self.fault(e, "reading the inbox".into()))
    }

    pub fn has_seen(&self, source_id: &str) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM seen_sources WHERE source_id = ?1)")?
            .query_row([source_id], |r| r.get(0))
            .map_err(|e| self.fault(e, "reading the inbox".into()))
    }

    pub fn mark_seen(&self, source_id: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO seen_sources (source_id) VALUES (?1)")?
            .execute([source_id])
            .map_err(|e| self.fault(e, "writing the inbox".into()))?;
        Ok(())
    }

    /// Removes an inbox row.
    pub fn inbox_delete(&self, id: u64) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM inbox WHERE id = ?1")?.execute([id as i64])?;
        Ok(())
    }

    /// Removes a sent row.
    pub fn sent_delete(&self, message_id: &str) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM sent WHERE message_id = ?1")?.execute([message_id])?;
        Ok(())
    }

    /// Removes every document kept under the data key of `contact`, then
    /// the key itself: what is left anywhere of those documents (in the log,
    /// in freed pages, in blocks the disk kept) cannot be opened any more.
    /// Returns how many documents were removed.
    pub fn destroy_data_key(&self, contact: &str) -> Result<usize> {
        let removed = self.conn.prepare_cached("DELETE FROM documents WHERE contact = ?1")?.execute([contact])?;
        self.conn.prepare_cached("DELETE FROM data_keys WHERE contact = ?1")?.execute([contact])?;
        Ok(removed)
    }

    /// Writes a sent row, replacing the one with its Message-ID (which
    /// keeps its place in the order).
    pub fn sent_put(&self, row: &SentRow) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sent (message_id, number, outer_message_id, copy_pending, entry)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(message_id) DO UPDATE SET number = excluded.number,
                     outer_message_id = excluded.outer_message_id, copy_pending = excluded.copy_pending,
                     entry = excluded.entry",
            )?
            .execute(params![
                row.message_id,
                row.number.map(|n| n as i64),
                row.outer_message_id,
                row.copy_pending,
                row.entry
            ])
            .map_err(|e| self.fault(e, format!("writing {} to the sent list", row.message_id)))?;
        Ok(())
    }

    /// The entries of the sent rows `query` selects, in the order they left.
    pub fn sent_entries(&self, query: SentQuery) -> Result<Vec<Vec<u8>>> {
        let (sql, arg): (&str, rusqlite::types::Value) = match query {
            SentQuery::MessageId(id) => ("SELECT entry FROM sent WHERE message_id = ?1", id.to_string().into()),
            SentQuery::Number(n) => ("SELECT entry FROM sent WHERE number = ?1", (n as i64).into()),
            SentQuery::Numbered => ("SELECT entry FROM sent WHERE number IS NOT NULL AND ?1 ORDER BY seq", 1.into()),
            SentQuery::All => ("SELECT entry FROM sent WHERE ?1 ORDER BY seq", 1.into()),
            SentQuery::CopyPending => ("SELECT entry FROM sent WHERE copy_pending = ?1 ORDER BY seq", 1.into()),
        };
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map([arg], |r| r.get::<_, Vec<u8>>(0))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.fault(e, "reading the sent list".into()))
    }

    /// The highest number of a sent message (read from its index).
    pub fn sent_max_number(&self) -> Result<u64> {
        self.conn
            .prepare_cached("SELECT coalesce(max(number), 0) FROM sent")?
            .query_row([], |r| Ok(r.get::<_, i64>(0)? as u64))
            .map_err(|e| self.fault(e, "reading the sent list".into()))
    }

    /// How many sent messages are numbered (what the user wrote).
    pub fn sent_count(&self) -> Result<u64> {
        self.conn
            .prepare_cached("SELECT count(number) FROM sent")?
            .query_row([], |r| Ok(r.get::<_, i64>(0)? as u64))
            .map_err(|e| self.fault(e, "reading the sent list".into()))
    }

    /// Whether a sent row has this outer (wire) Message-ID.
    pub fn sent_has_outer(&self, outer_message_id: &str) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM sent WHERE outer_message_id = ?1)")?
            .query_row([outer_message_id], |r| r.get(0))
            .map_err(|e| self.fault(e, "reading the sent list".into()))
    }

    /// Every document, for a check of a migration: name and body.
    pub fn all(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let names: Vec<String> = {
            let mut statement = self.conn.prepare("SELECT name FROM documents ORDER BY name")?;
            let rows = statement.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        names
            .into_iter()
            .map(|name| {
                let body = self.get(&name)?.context("a document vanished")?;
                Ok((name, body))
            })
            .collect()
    }

    /// Runs `f` as one transaction: all of its writes are committed
    /// together, or none when it fails. Inside a transaction already, `f`
    /// becomes part of that one.
    pub fn transaction<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let begun = self.begin()?;
        self.end(begun, f())
    }

    /// Begins a transaction unless one is open (see `transaction`).
    pub fn begin(&self) -> Result<Begun> {
        if !self.conn.is_autocommit() {
            return Ok(Begun(false));
        }
        self.conn.execute_batch("BEGIN IMMEDIATE").context("starting a store transaction")?;
        Ok(Begun(true))
    }

    /// Ends what `begin` began: commits when `result` is a success, else
    /// rolls back. A transaction begun further out is left to its end.
    pub fn end<T>(&self, begun: Begun, result: Result<T>) -> Result<T> {
        if !begun.0 {
            return result;
        }
        match result {
            Ok(value) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    Err(e).context("committing to the store")
                }
            },
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Moves everything in the write-ahead log into the database file and
    /// empties the log, so the file alone is the whole store (a backup).
    pub fn checkpoint(&self) -> Result<()> {
        let (busy, _, _): (i64, i64, i64) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .context("writing the store's log into its database")?;
        if busy != 0 {
            bail!("the store's log could not be written into its database: a reader is still busy");
        }
        Ok(())
    }
}

impl Drop for Database {
    /// Moves the log into the database file and empties it, so the next
    /// command opens a database with an empty log (reading a long one
    /// again costs every command time). The log file itself is kept (see
    /// `persist_log`). Best effort: a log left as it is is read by the next
    /// command all the same.
    fn drop(&mut self) {
        let reader = self.conn.query_row("PRAGMA query_only", [], |r| r.get::<_, bool>(0)).unwrap_or(true);
        if !reader {
            let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

impl Database {
    /// An error of the database in words: damage is called damaged and
    /// names the file; a full disk says so as the system does.
    fn fault(&self, e: rusqlite::Error, what: String) -> anyhow::Error {
        let path = self.conn.path().unwrap_or("store.db").to_string();
        explain(e, what, Path::new(&path))
    }

    fn fault_any(&self, e: anyhow::Error, what: String) -> anyhow::Error {
        match e.downcast::<rusqlite::Error>() {
            Ok(e) => self.fault(e, what),
            Err(e) => e.context(what),
        }
    }
}

fn explain(e: rusqlite::Error, what: String, path: &Path) -> anyhow::Error {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => damaged(path, e).context(what),
        Some(ErrorCode::DiskFull) => anyhow!("{what}: No space left on device"),
        _ => anyhow::Error::new(e).context(what),
    }
}

/// How a database's pages are authenticated: the HMAC SQLCipher keeps in
/// every page. A database made by this release uses HMAC-SHA256, which
/// costs less than half of HMAC-SHA512 here (SHA-256 has its own
/// instructions in today's x86 and ARM processors), about 8% of the CPU
/// time of a first sync; one made by an earlier release keeps the
/// HMAC-SHA512 SQLCipher chose by default, and opens as it is. Both are
/// keyed with the database key; neither tag can be made without it.
#[derive(Clone, Copy)]
enum Pages {
    HmacSha256,
    HmacSha512,
}

impl Pages {
    /// The forms a database is opened in, tried in this order: the one a
    /// new database is made in first.
    const ALL: [Pages; 2] = [Pages::HmacSha256, Pages::HmacSha512];
    /// The form a new database is made in.
    const CURRENT: Pages = Pages::ALL[0];

    fn pragma(self) -> &'static str {
        match self {
            Pages::HmacSha256 => "PRAGMA cipher_hmac_algorithm = HMAC_SHA256;",
            Pages::HmacSha512 => "PRAGMA cipher_hmac_algorithm = HMAC_SHA512;",
        }
    }
}

/// A connection to the database file at `path`, not keyed yet. It keeps
/// the log files when closed (see `persist_log`), and closing it writes
/// nothing back into the database (no checkpoint), so one that turns out
/// to have been keyed for pages in the other form leaves the files as
/// they were; `configure` turns the checkpoint on close back on for the
/// connection that is used.
fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    // Set before the first read: another sealpost that is closing holds
    // the file for as long as it writes its log back.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    persist_log(&conn)?;
    Ok(conn)
}

/// Keys the connection for pages in the form `pages` and reads the
/// schema: the first read tells a wrong key, damage, or pages in another
/// form (all three: not a database).
fn unlock(conn: &Connection, key: &Key, pages: Pages) -> rusqlite::Result<()> {
    conn.execute_batch(&key.pragma())?;
    // SQLCipher logs a failed page check to stderr itself; the error
    // returned says it, once and in words the user can act on. Set after
    // the key: the first key of a process sets SQLCipher's log to warnings
    // on stderr, over a level set before it.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(pages.pragma())?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    Ok(())
}

/// A connection to the database at `path`, keyed for the form its pages
/// are in (`Pages::ALL`, tried in order). Keyed for another form, the
/// first read finds not a database, as it does with a wrong key or
/// damage; when no form reads, the first form's error is reported. A
/// connection that did not read stays open until one did: the log's index
/// (`store.db-shm`), which the first connection to the log builds anew,
/// is then built once, not once per form.
fn connect_keyed(path: &Path, key: &Key) -> Result<Connection> {
    let mut tried = Vec::new();
    let mut failed = None;
    for pages in Pages::ALL {
        let conn = connect(path).map_err(|e| unopened(path, e))?;
        match unlock(&conn, key, pages) {
            Ok(()) => return Ok(conn),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
                failed = failed.or(Some(e.to_string()));
                tried.push(conn);
            }
            Err(e) => return Err(unopened(path, e)),
        }
    }
    Err(damaged(path, failed.unwrap_or_default()))
}

/// The tables of this release's schema, with its version, in one
/// transaction.
fn make_tables(conn: &Connection) -> rusqlite::Result<()> {
    let schema = std::iter::once(SCHEMA).chain(UPGRADES).collect::<String>();
    conn.execute_batch(&format!("BEGIN; {schema} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"))
}

/// Sets what every connection needs, once it is keyed (`unlock`); the
/// wait for a lock is set by `connect`, before the first read.
fn configure(conn: &Connection, path: &Path) -> Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)
        .with_context(|| format!("configuring {}", path.display()))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(|e| unopened(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("{} cannot use a write-ahead log (journal mode {mode})", path.display());
    }
    // A page cache of 8 MiB, not 2: a sync's batch (200 messages and their
    // index entries) then fits, and no page is written to the log twice in
    // one transaction because the cache spilled it.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA cache_size = -8192;",
    )
    .with_context(|| format!("configuring {}", path.display()))?;
    Ok(())
}

/// Keeps the log files (`store.db-wal`, `-shm`) when the database is
/// closed, at the size they grew to, instead of deleting them. A later
/// command then writes into room the log already has: on a disk that
/// filled up meanwhile, a small transaction (marking an outbox entry as
/// accepted by the server, so it is never sent twice) still commits, and
/// the database still opens (a deleted shared-memory file would have to be
/// made again, which a full disk refuses).
fn persist_log(conn: &Connection) -> Result<()> {
    let mut on: std::ffi::c_int = 1;
    // SAFETY: the handle is this open connection's; "main" is a valid
    // C string; SQLITE_FCNTL_PERSIST_WAL takes a pointer to an int, which
    // lives across the call.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&mut on as *mut std::ffi::c_int).cast(),
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        bail!("keeping the database's log files failed (SQLite code {rc})");
    }
    Ok(())
}

/// How long a command waits for the database while another program holds
/// it, before it says so.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the database at `path` could not be opened: damaged when what is
/// there is not this store's database under this key; in use when another
/// program held it longer than `BUSY_TIMEOUT` (the store is whole then,
/// and restoring a backup would only lose what came after it).
fn unopened(path: &Path, e: impl Into<anyhow::Error>) -> anyhow::Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    let e = e.into();
    match e.downcast_ref::<rusqlite::Error>().and_then(rusqlite::Error::sqlite_error_code) {
        Some(DatabaseBusy | DatabaseLocked) => anyhow!(
            "the store's database {} is in use by another program ({e}); try again when it has finished",
            path.display()
        ),
        _ => damaged(path, e),
    }
}

fn damaged(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    anyhow!(
        "the store's database {} is damaged ({what}); sealpost will not use it. Restore the store from a backup \
         into an empty folder (`sealpost restore`)",
        path.display()
    )
}

/// The form of a body under a data key: this byte, a random 24-byte
/// nonce, then XChaCha20-Poly1305 of the body with the contact as
/// associated data (a body moved under another contact's row does not
/// open).
const SEALED_V1: u8 = 1;

fn seal(key: &[u8], contact: &str, body: &[u8]) -> Result<Vec<u8>> {
    seal_with(key, contact.as_bytes(), body)
}

fn open_sealed(key: &[u8], contact: &str, sealed: &[u8]) -> Result<Vec<u8>> {
    match sealed.split_first() {
        Some((&SEALED_V1, rest)) => open_with(key, contact.as_bytes(), rest),
        _ => bail!("not a body sealed by this release"),
    }
}

/// `SEALED_V1`, a random nonce, and the body sealed with `aad`.
fn seal_with(key: &[u8], aad: &[u8], body: &[u8]) -> Result<Vec<u8>> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let cipher = chacha20poly1305::XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| anyhow!("a data key of the wrong size"))?;
    let mut nonce = [0u8; 24];
    sequoia_openpgp::crypto::random(&mut nonce)?;
    let sealed = cipher
        .encrypt(&nonce.into(), Payload { msg: body, aad })
        .map_err(|_| anyhow!("encrypting under a data key failed"))?;
    let mut out = Vec::with_capacity(1 + nonce.len() + sealed.len());
    out.push(SEALED_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens what follows the version byte of `seal_with`.
fn open_with(key: &[u8], aad: &[u8], rest: &[u8]) -> Result<Vec<u8>> {
    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    let cipher = chacha20poly1305::XChaCha20Poly1305::new_from_slice(key)
        .map_err(|_| anyhow!("a data key of the wrong size"))?;
    if rest.len() < 24 {
        bail!("a sealed body too short to be one");
    }
    let (nonce, ciphertext) = rest.split_at(24);
    cipher.decrypt(nonce.into(), Payload { msg: ciphertext, aad }).map_err(|_| anyhow!("it does not authenticate"))
}

/// The audit tag of a contact with this data key (see `contact_tag`).
fn tag_of_key(key: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"sealpost audit contact tag v1\0");
    hasher.update(key);
    data_encoding::HEXLOWER.encode(&hasher.finalize()[..16])
}

/// The form of a chunk under a data key: this byte, a random 24-byte
/// nonce, then XChaCha20-Poly1305 of the chunk with the contact, the
/// chunk's number and whether it is the last as associated data (chunks
/// do not open reordered, cut short or under another contact).
const SEALED_CHUNK_V1: u8 = 2;

fn chunk_aad(contact: &str, seq: u64, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(contact.len() + 10);
    aad.extend_from_slice(contact.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&seq.to_be_bytes());
    aad.push(last as u8);
    aad
}

fn seal_chunk(key: &[u8], contact: &str, seq: u64, last: bool, chunk: &[u8]) -> Result<Vec<u8>> {
    let mut sealed = seal_with(key, &chunk_aad(contact, seq, last), chunk)?;
    sealed[0] = SEALED_CHUNK_V1;
    Ok(sealed)
}

fn open_chunk(key: &[u8], contact: &str, seq: u64, last: bool, sealed: &[u8]) -> Result<Vec<u8>> {
    match sealed.split_first() {
        Some((&SEALED_CHUNK_V1, rest)) => open_with(key, &chunk_aad(contact, seq, last), rest),
        _ => bail!("not a chunk sealed by this release"),
    }
}

fn folder_of(name: &str) -> &str {
    name.rsplit_once('/').map_or("", |(folder, _)| folder)
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key::from_store_key("AGE-SECRET-KEY-1TEST")
    }

    #[test]
    fn documents_round_trip_list_by_folder_and_leave_no_plaintext_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let db = Database::create(&path, &key()).unwrap();
        db.put("contacts.age", b"the contact list of a practice").unwrap();
        db.put("inbox/2.eml.age", b"two").unwrap();
        db.put("inbox/1.eml.age", b"one").unwrap();
        db.put("inbox/index.age", b"index").unwrap();
        db.put("inboxes/x", b"not in inbox").unwrap();
        assert_eq!(db.list("inbox").unwrap(), ["1.eml.age", "2.eml.age", "index.age"]);
        db.rename("inbox/1.eml.age", "inbox/3.eml.age").unwrap();
        assert_eq!(db.get("inbox/3.eml.age").unwrap().unwrap(), b"one");
        assert!(db.get("inbox/1.eml.age").unwrap().is_none());
        db.remove("inbox/3.eml.age").unwrap();
        assert_eq!(db.list("inbox").unwrap(), ["2.eml.age", "index.age"]);
        db.checkpoint().unwrap();
        drop(db);
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(8).any(|w| w == b"practice"), "the file is encrypted");
        assert!(!bytes.starts_with(b"SQLite format 3"), "not even the header is readable");
        let db = Database::open(&path, &key()).unwrap();
        assert_eq!(db.get("contacts.age").unwrap().unwrap(), b"the contact list of a practice");
    }

    #[test]
    fn a_body_under_a_data_key_opens_until_the_key_is_destroyed() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(&dir.path().join(FILE), &key()).unwrap();
        db.put_for("inbox/1.eml.age", "sam@client.example", b"a note from Sam").unwrap();
        db.put_for("inbox/2.eml.age", "kim@client.example", b"a note from Kim").unwrap();
        assert_eq!(db.get("inbox/1.eml.age").unwrap().unwrap(), b"a note from Sam");
        let stored: Vec<u8> = db
            .conn
            .query_row(
                "SELECT body FROM bodies JOIN documents ON body_id = bodies.id WHERE name = 'inbox/1.eml.age'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!stored.windows(4).any(|w| w == b"note"), "sealed under the key");
        // Without the key, the body is not readable: only Sam's are lost.
        db.conn
            .execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM data_keys WHERE contact = 'sam@client.example';")
            .unwrap();
        let err = db.get("inbox/1.eml.age").unwrap_err().to_string();
        assert!(err.contains("data key of sam@client.example, which is gone"), "{err}");
        assert_eq!(db.get("inbox/2.eml.age").unwrap().unwrap(), b"a note from Kim");
    }

    #[test]
    fn the_inbox_counts_follow_inserts_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(&dir.path().join(FILE), &key()).unwrap();
        let row = |id, kind, opened| InboxRow {
            id,
            kind,
            opened,
            raw_sha256: None,
            message_id: None,
            signer: None,
            receipt_for: None,
            entry: b"{}",
        };
        db.inbox_put(&row(1, "message", false)).unwrap();
        db.inbox_put(&row(2, "message", false)).unwrap();
        db.inbox_put(&row(3, "receipt", false)).unwrap();
        assert_eq!(db.inbox_count().unwrap(), (2, 2));
        db.inbox_put(&row(1, "message", true)).unwrap();
        db.inbox_put(&row(1, "message", true)).unwrap();
        assert_eq!(db.inbox_count().unwrap(), (2, 1));
        db.conn.execute("DELETE FROM inbox WHERE id = 2", []).unwrap();
        assert_eq!(db.inbox_count().unwrap(), (1, 0));
    }

    #[test]
    fn a_database_opened_to_read_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        Database::create(&path, &key()).unwrap().put("contacts.age", b"[]").unwrap();
        let reader = Database::open_to_read(&path, &key()).unwrap();
        assert_eq!(reader.get("contacts.age").unwrap().unwrap(), b"[]");
        assert!(reader.put("contacts.age", b"changed").is_err());
        assert_eq!(reader.get("contacts.age").unwrap().unwrap(), b"[]");
    }

    #[test]
    fn a_failed_transaction_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(&dir.path().join(FILE), &key()).unwrap();
        let failed: Result<()> = db.transaction(|| {
            db.put("a", b"1")?;
            db.transaction(|| db.put("b", b"2"))?;
            bail!("the action failed")
        });
        assert!(failed.is_err());
        assert!(db.get("a").unwrap().is_none() && db.get("b").unwrap().is_none());
        db.transaction(|| db.put("a", b"1")).unwrap();
        assert_eq!(db.get("a").unwrap().unwrap(), b"1");
    }

    #[test]
    fn another_key_or_damage_is_called_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        drop(Database::create(&path, &key()).unwrap());
        let err = Database::open(&path, &Key::from_store_key("another")).err().unwrap().to_string();
        assert!(err.contains("is damaged") && err.contains("store.db"), "{err}");
        std::fs::write(&path, b"garbage").unwrap();
        let err = Database::open(&path, &key()).err().unwrap().to_string();
        assert!(err.contains("is damaged"), "{err}");
    }

    /// Bytes that differ all along, so a chunk out of place shows.
    fn counting(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i / 7 % 251) as u8).collect()
    }

    #[test]
    fn a_large_body_is_kept_in_chunks_under_its_data_key_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(&dir.path().join(FILE), &key()).unwrap();
        let body = counting(3 * CHUNK + 12_345);
        let mut writer = db.writer("inbox/1.eml.age", Some("sam@client.example")).unwrap();
        // Written in pieces of odd sizes, as an encoder writes.
        for piece in body.chunks(65_521) {
            std::io::Write::write_all(&mut writer, piece).unwrap();
        }
        writer.finish().unwrap();
        db.put("inbox/2.eml.age", &counting(CHUNK)).unwrap();
        let chunks = |name: &str| -> i64 {
            db.conn
                .query_row(
                    "SELECT count(*) FROM body_chunks JOIN documents USING (body_id) WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .unwrap()
        };
        assert_eq!(chunks("inbox/1.eml.age"), 4);
        assert_eq!(chunks("inbox/2.eml.age"), 0, "a body of one chunk's size is one value");
        assert!(db.get("inbox/1.eml.age").unwrap().unwrap() == body);
        assert!(db.get("inbox/2.eml.age").unwrap().unwrap() == counting(CHUNK));
        // Replaced by a small one: the chunks go with the old body.
        db.put_for("inbox/1.eml.age", "sam@client.example", b"short").unwrap();
        assert_eq!(db.get("inbox/1.eml.age").unwrap().unwrap(), b"short");
        let left: i64 = db.conn.query_row("SELECT count(*) FROM body_chunks", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn chunks_reordered_or_cut_short_do_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(&dir.path().join(FILE), &key()).unwrap();
        db.put_for("sent/1.eml.age", "sam@client.example", &counting(3 * CHUNK)).unwrap();
        db.conn
            .execute_batch(
                "UPDATE body_chunks SET seq = seq + 100 WHERE seq < 2;
                 UPDATE body_chunks SET seq = 1 WHERE seq = 100;
                 UPDATE body_chunks SET seq = 0 WHERE seq = 101;",
            )
            .unwrap();
        let err = format!("{:#}", db.get("sent/1.eml.age").unwrap_err());
        assert!(err.contains("cannot be opened with the data key of sam@client.example"), "{err}");
        db.put_for("sent/2.eml.age", "sam@client.example", &counting(3 * CHUNK)).unwrap();
        db.conn
            .execute_batch(
                "DELETE FROM body_chunks WHERE seq = 2 AND body_id = (SELECT body_id FROM documents WHERE name = \
                 'sent/2.eml.age'); UPDATE bodies SET chunks = 2 WHERE id = (SELECT body_id FROM documents WHERE \
                 name = 'sent/2.eml.age')",
            )
            .unwrap();
        assert!(db.get("sent/2.eml.age").is_err(), "the chunk before the cut is not the last");
    }

    #[test]
    fn a_writer_never_finished_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(&dir.path().join(FILE), &key()).unwrap();
        db.transaction(|| {
            let mut writer = db.writer("outbox/1.eml", None)?;
            std::io::Write::write_all(&mut writer, &counting(2 * CHUNK + 1))?;
            drop(writer);
            db.put("contacts.age", b"[]")
        })
        .unwrap();
        assert!(db.get("outbox/1.eml").unwrap().is_none());
        let left: i64 = db.conn.query_row("SELECT count(*) FROM bodies", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 1, "only the contact list's body");
    }

    fn hmac_of(db: &Database) -> String {
        db.conn.query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_new_database_authenticates_its_pages_with_hmac_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let db = Database::create(&path, &key()).unwrap();
        db.put("contacts.age", b"[]").unwrap();
        assert_eq!(hmac_of(&db), "HMAC_SHA256");
        drop(db);
        let db = Database::open(&path, &key()).unwrap();
        assert_eq!(hmac_of(&db), "HMAC_SHA256");
        assert_eq!(db.get("contacts.age").unwrap().unwrap(), b"[]");
    }

    #[test]
    fn a_database_an_earlier_release_made_opens_in_its_own_form() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        {
            // As the earlier release made it: keyed, nothing else said of
            // the pages (SQLCipher's default, HMAC-SHA512), its last
            // transaction still in the log, not yet in the file.
            crate::home::create_durable(&path, b"").unwrap();
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&key().pragma()).unwrap();
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap();
            assert_eq!(mode, "wal");
            make_tables(&conn).unwrap();
            conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).unwrap();
            let db = Database { conn };
            db.put("contacts.age", b"kept by the earlier release").unwrap();
            assert_eq!(hmac_of(&db), "HMAC_SHA512");
            // Closed without a checkpoint (query_only keeps `Drop` from
            // making one, the setting above keeps the close from it).
            db.conn.execute_batch("PRAGMA query_only = ON;").unwrap();
        }
        assert!(std::fs::metadata(dir.path().join("store.db-wal")).unwrap().len() > 0, "the log holds the last write");
        let reader = Database::open_to_read(&path, &key()).unwrap();
        assert_eq!(reader.get("contacts.age").unwrap().unwrap(), b"kept by the earlier release");
        drop(reader);
        let db = Database::open(&path, &key()).unwrap();
        assert_eq!(hmac_of(&db), "HMAC_SHA512", "it stays in its form");
        db.put("inbox/1.eml.age", &counting(2 * CHUNK)).unwrap();
        drop(db);
        let db = Database::open(&path, &key()).unwrap();
        assert_eq!(db.get("contacts.age").unwrap().unwrap(), b"kept by the earlier release");
        assert!(db.get("inbox/1.eml.age").unwrap().unwrap() == counting(2 * CHUNK));
        drop(db);
        let other = Key::from_store_key("AGE-SECRET-KEY-1OTHER");
        let refused = Database::open(&path, &other).err().expect("another key does not open it");
        assert!(format!("{refused:#}").contains("is damaged (file is not a database)"), "{refused:#}");
    }

    #[test]
    fn a_database_of_the_first_schema_is_brought_up_to_date_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        {
            crate::home::create_durable(&path, b"").unwrap();
            let conn = connect(&path).unwrap();
            unlock(&conn, &key(), Pages::CURRENT).unwrap();
            configure(&conn, &path).unwrap();
            conn.execute_batch(&format!("BEGIN; {SCHEMA} PRAGMA user_version = 1; COMMIT;")).unwrap();
            let db = Database { conn };
            db.conn.execute("INSERT INTO bodies (body) VALUES (x'6f6c64')", []).unwrap();
            db.conn
                .execute("INSERT INTO documents (name, folder, written_ns, body_id) VALUES ('a', '', 0, 1)", [])
                .unwrap();
        }
        let db = Database::open(&path, &key()).unwrap();
        let version: i64 = db.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(db.get("a").unwrap().unwrap(), b"old");
        db.put("b", &counting(2 * CHUNK)).unwrap();
        assert!(db.get("b").unwrap().unwrap() == counting(2 * CHUNK));
    }
}
