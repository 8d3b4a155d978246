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
                for role in &roles {
                    account::store_password(&store, *role, &password)?;
                    if !session.json {
                        println!("stored the {} password, encrypted", role.name());
                    }
                }
                if session.json {
                    let stored: Vec<&str> = roles.iter().map(|r| r.name()).collect();
                    return session.print_json(&serde_json::json!({ "stored": stored }));
                }
            }
            Account::Check => {
                if config.smtp.is_none() && config.imap.is_none() {
                    bail!("no SMTP or IMAP server is configured (see `sealpost init --smtp-host/--imap-host`)");
                }
                let mut failures = Vec::new();
                let mut report = serde_json::json!({ "smtp": null, "imap": null });
                let say = |line: String| {
                    if !session.json {
                        println!("{line}");
                    }
                };
                if let Some(server) = &config.smtp {
                    say(format!("smtp {}:{} ({})", server.host, server.port, server.security.name()));
                    let checked = smtp::probe(server).and_then(|handshake| {
                        let (user, pass) = session.credentials.get(&store, &config, Role::Smtp, server)?;
                        smtp::Smtp::new(server, &config.account.address, user.clone(), pass.to_string())?
                            .check_login()?;
                        Ok((handshake, user))
                    });
                    match checked {
                        Ok((handshake, user)) => {
                            say(format!("  tls:         {}", handshake.version));
                            say(format!("  certificate: verified, sha256 {}", handshake.certificate_sha256));
                            say(format!("  login:       ok as {user}"));
                            report["smtp"] = serde_json::json!({
                                "host": server.host, "port": server.port, "tls": handshake.version,
                                "certificate_sha256": handshake.certificate_sha256, "username": user,
                            });
                        }
                        Err(e) => failures.push(format!("smtp: {e:#}")),
                    }
                }
                if let Some(server) = &config.imap {
                    say(format!("imap {}:{} ({})", server.host, server.port, server.security.name()));
                    let checked = session
                        .credentials
                        .get(&store, &config, Role::Imap, server)
                        .and_then(|(user, pass)| Ok((imap::login(server, &user, &pass)?, user)));
                    match checked {
                        Ok(((mut imap_session, handshake), user)) => {
                            say(format!("  tls:         {}", handshake.version));
                            say(format!("  certificate: verified, sha256 {}", handshake.certificate_sha256));
                            say(format!("  login:       ok as {user}"));
                            let folders = imap::folders(&mut imap_session)?;
                            say(format!("  folders:     {}", folders.join(", ")));
                            let _ = imap_session.logout();
                            report["imap"] = serde_json::json!({
                                "host": server.host, "port": server.port, "tls": handshake.version,
                                "certificate_sha256": handshake.certificate_sha256, "username": user,
                                "folders": folders,
                            });
                        }
                        Err(e) => failures.push(format!("imap: {e:#}")),
                    }
                }
                if !failures.is_empty() {
                    bail!("account check failed:\n  {}", failures.join("\n  "));
                }
                if session.json {
                    return session.print_json(&report);
                }
                println!("account ok");
            }
        }
        Ok(())
    }
}
