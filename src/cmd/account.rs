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
                        let login = session.credentials.get(&store, &config, Role::Smtp, server)?;
                        smtp::Smtp::new(server, &config.account.address, &login)?.check_login()?;
                        Ok((handshake, login))
                    });
                    match checked {
                        Ok((handshake, login)) => {
                            say(format!("  tls:         {}", handshake.version));
                            say(format!("  certificate: verified, sha256 {}", handshake.certificate_sha256));
                            say(format!("  login:       ok as {}{}", login.username, how(&login)));
                            report["smtp"] = serde_json::json!({
                                "host": server.host, "port": server.port, "tls": handshake.version,
                                "certificate_sha256": handshake.certificate_sha256, "username": login.username,
                                "login": login.method.name(),
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
                        .and_then(|login| Ok((imap::login(server, &login)?, login)));
                    match checked {
                        Ok(((mut imap_session, handshake), login)) => {
                            say(format!("  tls:         {}", handshake.version));
                            say(format!("  certificate: verified, sha256 {}", handshake.certificate_sha256));
                            say(format!("  login:       ok as {}{}", login.username, how(&login)));
                            let folders = imap::folders(&mut imap_session)?;
                            say(format!("  folders:     {}", folders.join(", ")));
                            let _ = imap_session.logout();
                            report["imap"] = serde_json::json!({
                                "host": server.host, "port": server.port, "tls": handshake.version,
                                "certificate_sha256": handshake.certificate_sha256, "username": login.username,
                                "login": login.method.name(), "folders": folders,
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
            Account::Login => {
                let Some(oauth2) = &config.oauth2 else {
                    bail!(
                        "this account logs in with passwords: `account login` is for an account with an [oauth2] \
                         section in the config (see README, \"OAuth2\"); for a password, use `account set-password`"
                    );
                };
                sign_in(session, oauth2, &store)?;
                if session.json {
                    return session.print_json(&serde_json::json!({ "signed_in": true }));
                }
                println!("signed in; the tokens are stored encrypted. Check with `sealpost account check`.");
            }
            Account::Logout => {
                let had = crate::sign_in::sign_out(&store)?;
                if session.json {
                    return session.print_json(&serde_json::json!({ "signed_out": had }));
                }
                println!(
                    "{}",
                    if had { "signed out: the OAuth2 tokens were removed from the store" } else { "not signed in" }
                );
            }
        }
        Ok(())
    }
}

/// Runs the OAuth2 device sign-in, showing the address and the code on
/// stderr (so `--json` keeps stdout to its one object; a person sees them
/// either way).
pub fn sign_in(session: &Session, oauth2: &crate::config::OAuth2, store: &crate::store::Store) -> Result<()> {
    crate::sign_in::sign_in(oauth2, store, |prompt| {
        eprintln!("To let sealpost use your mail account, open this address in any browser:");
        eprintln!();
        eprintln!("    {}", prompt.address);
        eprintln!();
        eprintln!("and enter the code   {}", prompt.code);
        if let Some(direct) = prompt.address_with_code {
            eprintln!("(or open {direct}, which has the code in it)");
        }
        eprintln!(
            "The code is good for {} minutes. Waiting for you to sign in…",
            prompt.expires_in.as_secs().div_ceil(60)
        );
        if session.json {
            let shown = serde_json::json!({
                "sign_in": { "address": prompt.address, "code": prompt.code, "expires_in": prompt.expires_in.as_secs() }
            });
            eprintln!("{shown}");
        }
    })
}

fn how(login: &account::Login) -> &'static str {
    match login.method {
        account::Method::Password => "",
        account::Method::OAuth2 => " (OAuth2)",
    }
}
