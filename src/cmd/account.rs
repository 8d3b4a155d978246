use std::io::{IsTerminal, Read};

use anyhow::{bail, Context, Result};

use super::{Run, Session};
use crate::account::{self, Role};
use crate::cli::Account;
use crate::transport::{imap, smtp};

impl Run for Account {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        match self {
            Account::SetPassword { server } => {
                let password = if std::io::stdin().is_terminal() {
                    rpassword::prompt_password("mail password: ")?
                } else {
                    let mut text = String::new();
                    std::io::stdin().read_to_string(&mut text).context("reading the password from stdin")?;
                    text.lines().next().unwrap_or("").to_string()
                };
                if password.is_empty() {
                    bail!("empty password; nothing was stored");
                }
                let roles = match server {
                    Some(role) => vec![*role],
                    None => vec![Role::Smtp, Role::Imap],
                };
                for role in roles {
                    account::store_password(&store, role, &password)?;
                    println!("stored the {} password, encrypted", role.name());
                }
            }
            Account::Check => {
                if config.smtp.is_none() && config.imap.is_none() {
                    bail!("no SMTP or IMAP server is configured (see `sealpost init --smtp-host/--imap-host`)");
                }
                let mut failures = Vec::new();
                if let Some(server) = &config.smtp {
                    println!("smtp {}:{} ({:?})", server.host, server.port, server.security);
                    match smtp::probe(server) {
                        Ok(handshake) => {
                            println!("  tls:         {}", handshake.version);
                            println!("  certificate: verified, sha256 {}", handshake.certificate_sha256);
                        }
                        Err(e) => failures.push(format!("smtp: {e:#}")),
                    }
                    if failures.is_empty() {
                        let (user, _) = account::credentials(&store, &config, Role::Smtp, server)?;
                        println!("  login:       as {user} when sending (checked by submission)");
                    }
                }
                if let Some(server) = &config.imap {
                    println!("imap {}:{} ({:?})", server.host, server.port, server.security);
                    let checked = account::credentials(&store, &config, Role::Imap, server)
                        .and_then(|(user, pass)| Ok((imap::login(server, &user, &pass)?, user)));
                    match checked {
                        Ok(((mut imap_session, handshake), user)) => {
                            println!("  tls:         {}", handshake.version);
                            println!("  certificate: verified, sha256 {}", handshake.certificate_sha256);
                            println!("  login:       ok as {user}");
                            let folders = imap::folders(&mut imap_session)?;
                            println!("  folders:     {}", folders.join(", "));
                            let _ = imap_session.logout();
                        }
                        Err(e) => failures.push(format!("imap: {e:#}")),
                    }
                }
                if !failures.is_empty() {
                    bail!("account check failed:\n  {}", failures.join("\n  "));
                }
                println!("account ok");
            }
        }
        Ok(())
    }
}
