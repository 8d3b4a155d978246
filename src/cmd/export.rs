use std::io::Read;
use std::str::FromStr;

use age::secrecy::SecretString;
use anyhow::{anyhow, bail, Context, Result};

use super::{Run, Session};
use crate::audit::{self, Action, Event};
use crate::cli::Export;
use crate::error::Refusal;
use crate::export;
use crate::passphrase::PassphraseSource;

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
        let archive = export::build(&store, who)?;
        let mut tar = Vec::new();
        export::write_tar(&archive, &mut tar)?;
        let bytes = match (&passphrase, recipients.is_empty()) {
            (Some(passphrase), _) => seal(age::Encryptor::with_user_passphrase(passphrase.clone()), &tar)?,
            (None, false) => seal(
                age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|e| anyhow!("encrypting the export: {e}"))?,
                &tar,
            )?,
            (None, true) => {
                crate::error::warn(&format!(
                    "{} is written UNENCRYPTED: anyone who gets the file reads this client's record",
                    out.display()
                ));
                tar
            }
        };
        let digest = crate::message::compose::sha256_hex(&bytes);
        let contact = &archive.contact;
        // The entry first, then the file: an export is never made without it.
        let how = if passphrase.is_some() {
            "a passphrase"
        } else if recipients.is_empty() {
            "plaintext"
        } else {
            "age recipients"
        };
        let event = Event::new(Action::Export).contact(&contact.address).sha256(Some(&digest));
        // Not the file's path: its name often names the client, and the
        // entry must not once they are forgotten (its SHA-256 is there).
        let written = match how {
            "plaintext" => "written unencrypted".to_string(),
            _ => format!("written encrypted to {how}"),
        };
        audit::record(&store, event.detail(written))?;
        export::write_new(out, &bytes)?;
        if session.json {
            return session.print_json(&serde_json::json!({
                "file": out,
                "contact": contact.alias,
                "received": archive.received,
                "sent": archive.sent,
                "files": archive.files.len(),
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
            archive.files.len()
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
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let tar = if bytes.starts_with(b"age-encryption.org/v1") {
            let decryptor = age::Decryptor::new_buffered(&bytes[..]).map_err(|e| anyhow!("{}: {e}", file.display()))?;
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
            let mut reader = decryptor
                .decrypt(identities.iter().map(|i| i.as_ref()))
                .map_err(|e| Refusal::locked(format!("{} does not open with that: {e}", file.display())))?;
            let mut tar = Vec::new();
            reader.read_to_end(&mut tar).with_context(|| format!("{} is damaged", file.display()))?;
            tar
        } else {
            bytes
        };
        let checked = export::check(&tar).map_err(|e| Refusal::verification(format!("{}: {e:#}", file.display())))?;
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

fn seal(encryptor: age::Encryptor, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out)?;
    std::io::Write::write_all(&mut writer, bytes)?;
    writer.finish()?;
    Ok(out)
}
