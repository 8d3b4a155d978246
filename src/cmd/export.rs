use std::io::{BufReader, BufWriter, Read, Write};
use std::str::FromStr;

use age::secrecy::SecretString;
use anyhow::{anyhow, bail, Context, Result};

use super::{Run, Session};
use crate::audit::{self, Action, Event};
use crate::cli::Export;
use crate::error::Refusal;
use crate::export::{self, Digesting};
use crate::home::Staged;
use crate::passphrase::PassphraseSource;
use crate::store::Store;

impl Run for Export {
    fn run(&self, session: &Session) -> Result<()> {
        if let Some(file) = &self.verify {
            return self.verify(session, file);
        }
        let (Some(who), Some(out)) = (&self.contact, &self.out) else {
            bail!("export needs --contact WHO and --out FILE (or --verify FILE)");
        };
        if !self.to_passphrase && self.to.is_empty() && !self.plaintext {
            bail!(
                "say how to protect the export: --to-passphrase, --to age1... (the receiving clinician's age key), \
                 or --plaintext to write a client's record unencrypted; nothing was written"
            );
        }
        let recipients: Vec<age::x25519::Recipient> = self
            .to
            .iter()
            .map(|r| {
                age::x25519::Recipient::from_str(r.trim()).map_err(|e| anyhow!("--to {r}: not an age recipient: {e}"))
            })
            .collect::<Result<_>>()?;
        let passphrase = match self.to_passphrase {
            true => Some(PassphraseSource { file: self.export_passphrase_file.clone() }.new_for_export()?),
            false => None,
        };
        if out.exists() {
            bail!("{} exists; nothing was written (choose another name)", out.display());
        }
        let store = session.unlock()?;
        // Written under a temporary name beside `out`, a message at a time
        // (see `export`), and given its name once complete.
        let mut staged = Staged::create(out)?;
        let mut sink = Digesting::new(BufWriter::with_capacity(1 << 16, staged.file()));
        let archive = match (&passphrase, recipients.is_empty()) {
            (Some(passphrase), _) => {
                sealed(age::Encryptor::with_user_passphrase(passphrase.clone()), &store, who, &mut sink)?
            }
            (None, false) => sealed(
                age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|e| anyhow!("encrypting the export: {e}"))?,
                &store,
                who,
                &mut sink,
            )?,
            (None, true) => export::write(&store, who, &mut sink)?,
        };
        let (digest, buffered) = sink.finish();
        buffered.into_inner().map_err(|e| e.into_error()).with_context(|| format!("writing {}", out.display()))?;
        let contact = &archive.contact;
        let how = if passphrase.is_some() {
            "a passphrase"
        } else if recipients.is_empty() {
            // Said once the record was written (an unknown contact is
            // refused first), before the file has its name.
            crate::error::warn(&format!(
                "{} is written UNENCRYPTED: anyone who gets the file reads this client's record",
                out.display()
            ));
            "plaintext"
        } else {
            "age recipients"
        };
        // The entry first, then the file's name: an export is never made
        // without it.
        let event = Event::new(Action::Export).contact(&contact.address).sha256(Some(&digest));
        // Not the file's path: its name often names the client, and the
        // entry must not once they are forgotten (its SHA-256 is there).
        let written = match how {
            "plaintext" => "written unencrypted".to_string(),
            _ => format!("written encrypted to {how}"),
        };
        audit::record(&store, event.detail(written))?;
        staged.publish()?;
        if session.json {
            return session.print_json(&serde_json::json!({
                "file": out,
                "contact": contact.alias,
                "received": archive.received,
                "sent": archive.sent,
                "files": archive.files,
                "sha256": digest,
                "encrypted": how != "plaintext",
            }));
        }
        println!(
            "exported the record of {} <{}> to {}: {} received and {} sent message(s), {} files, signed",
            contact.alias,
            contact.address,
            out.display(),
            archive.received,
            archive.sent,
            archive.files
        );
        println!(
            "check it with `sealpost export --verify {}` (or gpg and sha256sum: see README.txt inside)",
            out.display()
        );
        Ok(())
    }
}

impl Export {
    fn verify(&self, session: &Session, file: &std::path::Path) -> Result<()> {
        let mut opened = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
        // Its start, read whole also from a pipe, says whether it is encrypted.
        const AGE: &[u8] = b"age-encryption.org/v1";
        let mut start = Vec::with_capacity(AGE.len());
        (&mut opened)
            .take(AGE.len() as u64)
            .read_to_end(&mut start)
            .with_context(|| format!("reading {}", file.display()))?;
        let encrypted = start == AGE;
        let bytes = BufReader::with_capacity(1 << 16, std::io::Cursor::new(start).chain(opened));
        let tar: Box<dyn Read> = if encrypted {
            let decryptor = age::Decryptor::new_buffered(bytes).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let mut identities: Vec<Box<dyn age::Identity>> = Vec::new();
            if let Some(path) = &self.identity {
                let parsed = age::IdentityFile::from_file(path.to_string_lossy().into_owned())
                    .with_context(|| format!("reading {}", path.display()))?;
                identities.extend(parsed.into_identities().map_err(|e| anyhow!("{}: {e}", path.display()))?);
            } else {
                let passphrase: SecretString =
                    PassphraseSource { file: self.export_passphrase_file.clone() }.of_export()?;
                identities.push(Box::new(age::scrypt::Identity::new(passphrase)));
            }
            let reader = decryptor
                .decrypt(identities.iter().map(|i| i.as_ref()))
                .map_err(|e| Refusal::locked(format!("{} does not open with that: {e}", file.display())))?;
            Box::new(reader)
        } else {
            Box::new(bytes)
        };
        let checked = export::check(tar).map_err(|e| Refusal::verification(format!("{}: {e:#}", file.display())))?;
        if session.json {
            return session.print_json(&serde_json::json!({
                "file": file,
                "files": checked.files,
                "signed_by": checked.signer,
            }));
        }
        println!(
            "{}: every one of its {} files matches the manifest, signed by the key {}",
            file.display(),
            checked.files,
            crate::contacts::group_hex(&checked.signer)
        );
        Ok(())
    }
}

/// The record of `who` written into `out` encrypted by `encryptor`.
fn sealed(encryptor: age::Encryptor, store: &Store, who: &str, out: &mut dyn Write) -> Result<export::Exported> {
    let mut writer = encryptor.wrap_output(out).context("encrypting the export")?;
    let exported = export::write(store, who, &mut writer)?;
    writer.finish().context("encrypting the export")?;
    Ok(exported)
}
