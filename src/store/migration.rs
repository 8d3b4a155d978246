//! Moving a store of an earlier release into the database.
//!
//! Up to store version 1, each document was an age file of its own in the
//! data folder (`contacts.age`, `inbox/index.age`, `inbox/7.eml.age`, ...),
//! encrypted to the store key. At the first unlock by this release, every
//! such file is decrypted and written, under the same name, into a new
//! database (`store.db.migrating`) in one transaction. The new database is
//! then opened again and every document compared with its file (SHA-256);
//! only when all match are the indexes turned into rows (inbox, sent), the
//! messages put under their contacts' data keys, and the database renamed
//! to `store.db`. The old files are
//! removed after that, and `store.toml` says version 2.
//!
//! A crash at any point loses nothing: before the rename the old files are
//! the store (the half-made database is removed and made again); after it,
//! the database is, and the next open finishes the removal (`finish`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};

use super::database::{Database, Key, FILE};
use super::{StoreMeta, DATABASE_VERSION, KEYRING, META, RECOVERY};
use crate::home::{self, Home};

/// Where the new database is made before it is checked.
const MIGRATING: &str = "store.db.migrating";

/// Makes the database from the files of a version-1 store and returns it
/// open. Fails, changing nothing the store relies on, when a file cannot
/// be read or a document the store recorded is missing.
pub fn from_files(home: &Home, meta: &StoreMeta, store_key: &age::x25519::Identity, key: &Key) -> Result<Database> {
    let data = &home.data_dir;
    let names = old_documents(data)?;
    if let Some(recorded) = &meta.documents {
        if let Some(missing) = recorded.iter().find(|name| !names.contains(*name)) {
            bail!(
                "{} is missing: this store wrote it and it has been deleted or lost since, so sealpost will not \
                 carry on as if it were empty. Put the file back from a copy of this identity, or restore the \
                 store from a backup into an empty folder (`sealpost restore`)",
                data.join(missing).display()
            );
        }
    }
    let mut digests = BTreeMap::new();
    let tmp = data.join(MIGRATING);
    remove_database_files(&tmp)?;
    {
        let db = Database::create(&tmp, key)?;
        db.transaction(|| {
            for name in &names {
                let path = data.join(name);
                let sealed = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let plain = age::decrypt(store_key, &sealed)
                    .map_err(|e| anyhow!("{} cannot be decrypted ({e}); the store may be damaged", path.display()))?;
                digests.insert(name.clone(), Sha256::digest(&plain).to_vec());
                db.put(name, &plain)?;
            }
            Ok(())
        })?;
        db.checkpoint()?;
    }
    // Read back through a new connection: what is checked is what is on disk.
    let found: BTreeMap<String, Vec<u8>> = Database::open(&tmp, key)?
        .all()?
        .into_iter()
        .map(|(name, body)| (name, Sha256::digest(&body).to_vec()))
        .collect();
    if found != digests {
        remove_database_files(&tmp)?;
        bail!("moving the store into its database failed its check; the store is left as it was");
    }
    // The documents are checked; now the inbox index becomes rows.
    {
        let db = Database::open(&tmp, key)?;
        db.transaction(|| {
            if let Some(json) = db.get(crate::inbox::OLD_INDEX)? {
                crate::inbox::from_index(&db, &json)?;
            }
            crate::outbox::from_index(&db)
        })?;
        db.checkpoint()?;
    }
    let path = data.join(FILE);
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    home::sync_dir(data)?;
    finish(home, meta)?;
    Database::open(&path, key)
}

/// Finishes a migration whose database is in place: records the version,
/// then removes the old files.
pub fn finish(home: &Home, meta: &StoreMeta) -> Result<()> {
    let data = &home.data_dir;
    let meta = StoreMeta { version: DATABASE_VERSION, documents: None, ..meta.clone() };
    home::write_atomic(&data.join(META), toml::to_string(&meta)?.as_bytes())?;
    for name in old_documents(data)? {
        home::remove_durably(&data.join(name))?;
    }
    for folder in FOLDERS {
        // Gone already, or something else is in it: left alone.
        if std::fs::remove_dir(data.join(folder)).is_ok() {
            home::sync_dir(data)?;
        }
    }
    remove_database_files(&data.join(MIGRATING))
}

/// The folders of a version-1 store.
const FOLDERS: [&str; 3] = ["inbox", "sent", "outbox"];

/// The documents of a version-1 store: every age file at the top (but the
/// keyrings, which stay files) and in its folders, by name relative to
/// the data folder.
fn old_documents(data: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for name in list(data)? {
        if name.ends_with(".age") && name != KEYRING && name != RECOVERY && data.join(&name).is_file() {
            names.push(name);
        }
    }
    for folder in FOLDERS {
        for name in list(&data.join(folder))? {
            if name.ends_with(".age") {
                names.push(format!("{folder}/{name}"));
            }
        }
    }
    names.sort();
    Ok(names)
}

/// The files in `dir`, without the temp files of unfinished writes.
fn list(dir: &Path) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !home::is_unfinished_write(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// Removes a database and its log files, if there.
fn remove_database_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        home::remove_durably(&PathBuf::from(name))?;
    }
    Ok(())
}
