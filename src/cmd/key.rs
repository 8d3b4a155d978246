use anyhow::{Context, Result};
use sequoia_openpgp::serialize::SerializeInto;

use super::{Run, Session};
use crate::cli::Key;
use crate::keys;
use crate::store::Store;

impl Run for Key {
    fn run(&self, session: &Session) -> Result<()> {
        let cert = Store::public_cert(&session.home)?;
        match self {
            Key::Show => {
                let config = session.config()?;
                println!("{} <{}>", config.account.name, config.account.address);
                println!("fingerprint: {}", keys::grouped(&cert.fingerprint()));
                let meta = Store::meta(&session.home)?;
                if meta.kdf_lowered {
                    println!("warning: this store's passphrase work factor was lowered to {}", meta.kdf_work_factor);
                }
            }
            Key::Export => {
                let armored = cert.armored().to_vec().context("armoring the certificate")?;
                print!("{}", String::from_utf8(armored)?);
            }
        }
        Ok(())
    }
}
