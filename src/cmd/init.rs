use anyhow::{anyhow, bail, Context, Result};
use sequoia_openpgp::crypto::Password;

use super::{Run, Session};
use crate::cli::Init;
use crate::config::{Account, Config, MaildirAccount, OAuth2, ReceiptPolicy, Security, Server};
use crate::keys;
use crate::provider::{self, Endpoint, Provider};
use crate::store::{Keyring, Store};
use crate::transport::maildir::Maildir;

impl Run for Init {
    fn run(&self, session: &Session) -> Result<()> {
        self.create(session, Purpose::Init).map(|_| ())
    }
}

/// Why an identity is created: by `init`, or by `join` on a machine that
/// has none yet (which then sends its request at once, so it needs a way to
/// send, and says what comes next itself).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Init,
    Join,
}

/// What an OAuth2 account that is not signed in yet does next.
const SIGN_IN_NEXT: &str = "next: sign in to your mail account with `sealpost account login` (OAuth2)";

/// A new identity, its store open, and the keyring sealed into it.
pub struct Created {
    pub store: Store,
    pub keyring: Keyring,
}

impl Init {
    /// Creates the identity, its store and its config (what `init` does).
    pub fn create(&self, session: &Session, purpose: Purpose) -> Result<Created> {
        let home = &session.home;
        // Never over an existing store, even one whose config is gone: a
        // new key would make every stored record unreadable for good.
        let found = home.store_parts();
        if home.data_dir.join(crate::store::RESTORING).exists() {
            bail!(
                "{} holds a restore that did not finish; init changes nothing there. Run `sealpost restore FILE` \
                 again with the same backup: it replaces the unfinished one",
                home.data_dir.display()
            );
        }
        if !found.is_empty() {
            let names: Vec<String> = found.iter().take(6).map(|p| p.display().to_string()).collect();
            bail!(
                "a sealpost store already exists here (found {}{}); init never overwrites one, and nothing was \
                 changed. If only its config is missing, restore `{}` from a backup or a copy of this \
                 identity; for another identity, set SEALPOST_HOME to an empty folder",
                names.join(", "),
                if found.len() > names.len() { ", ..." } else { "" },
                home.config_file().display()
            );
        }
        let email = self.email.as_deref().context("--email is required")?;
        keys::check_address(email)?;
        let address = keys::normalize_address(email);
        let provider = self.provider(&address)?;
        if purpose == Purpose::Join && self.maildir.is_none() && self.smtp_host.is_none() && provider.is_none() {
            bail!(
                "no mail settings are known for {address}: give your provider's --imap-host and --smtp-host \
                 (docs/clients.md says where to find them); nothing was created"
            );
        }
        let oauth2 = self.oauth2(provider.as_ref())?;
        let cert = match &self.import_key {
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                keys::adopt(&bytes, &address, || self.key_passphrase())?
            }
            None => {
                let name = self.name.as_deref().context("--name is required when creating a new key")?;
                keys::generate(name, &address)?
            }
        };
        let name = self.name.clone().or_else(|| keys::name_for(&cert, &address)).unwrap_or_else(|| address.clone());
        let passphrase = session.passphrase.new_passphrase()?;
        if let Some(n) = self.kdf_work_factor {
            crate::error::warn(&format!(
                "the passphrase work factor is lowered to {n} (2^{n} scrypt); this is meant for tests and \
                 demos, not for a store holding real records"
            ));
        }
        let maildir = match &self.maildir {
            Some(root) => {
                let root = std::path::absolute(root).context("resolving the Maildir root")?;
                let inbox = root.join(&address);
                Maildir::create(&inbox)?;
                Some(MaildirAccount { inbox, drop: root })
            }
            None => None,
        };
        let (store, keyring) = Store::create_with_keyring(home, &passphrase, &cert, self.kdf_work_factor)?;
        let config = Config {
            receipts: ReceiptPolicy::Send,
            request_receipts: true,
            retention: None,
            require_consent: false,
            agent_idle: None,
            account: Account { name, address: address.clone() },
            maildir,
            smtp: self.smtp().or_else(|| provider.as_ref().map(|p| self.known(&p.smtp, &p.smtp_username, None))),
            imap: self
                .imap()
                .or_else(|| provider.as_ref().map(|p| self.known(&p.imap, &p.imap_username, p.sent_folder.as_deref()))),
            oauth2,
        };
        config.save(home)?;
        // An OAuth2 account signs in now when someone is at the terminal
        // (one command for a client); else, or when it fails, later with
        // `account login`. The identity stands either way.
        let signed_in = match &config.oauth2 {
            Some(oauth2) if crate::passphrase::has_terminal() && !session.json => {
                eprintln!("this mail account signs in with OAuth2 instead of a password.");
                match super::account::sign_in(session, oauth2, &store) {
                    Ok(()) => {
                        eprintln!("signed in to the mail account");
                        true
                    }
                    Err(e) => {
                        crate::error::warn(&format!(
                            "not signed in to the mail account ({e:#}); run `sealpost account login` when ready"
                        ));
                        false
                    }
                }
            }
            Some(_) => false,
            None => true,
        };
        let fingerprint = store.secret_cert().fingerprint();
        if purpose == Purpose::Join {
            if !session.json {
                println!("created identity {address}, fingerprint {}", keys::grouped(&fingerprint));
                if !signed_in {
                    println!("{SIGN_IN_NEXT}");
                }
            }
            return Ok(Created { store, keyring });
        }
        if session.json {
            session.print_json(&serde_json::json!({
                "address": address,
                "fingerprint": fingerprint.to_hex(),
                "store": home.data_dir,
                "config": home.config_file(),
                "kdf_lowered": self.kdf_work_factor.is_some(),
            }))?;
            return Ok(Created { store, keyring });
        }
        println!("created identity {address}");
        println!("fingerprint: {}", keys::grouped(&fingerprint));
        println!("store: {}", home.data_dir.display());
        println!("config: {}", home.config_file().display());
        if !signed_in {
            println!("{SIGN_IN_NEXT}");
        }
        println!(
            "next: give your key to a contact (`sealpost key export`), or invite them in person (`sealpost invite`)"
        );
        println!(
            "then make a backup, and keep it off this machine: `sealpost backup FILE` (a recovery key for emergency \
             access: `sealpost key recovery`)"
        );
        Ok(Created { store, keyring })
    }

    /// The options given on the command line, by name (for `join`, which
    /// takes them only where there is no identity yet).
    pub fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        let mut note = |present: bool, name: &'static str| {
            if present {
                given.push(name);
            }
        };
        note(self.name.is_some(), "--name");
        note(self.email.is_some(), "--email");
        note(self.import_key.is_some(), "--import-key");
        note(self.key_passphrase_file.is_some(), "--key-passphrase-file");
        note(self.maildir.is_some(), "--maildir");
        note(self.smtp_host.is_some(), "--smtp-host");
        note(self.smtp_port.is_some(), "--smtp-port");
        note(self.smtp_security.is_some(), "--smtp-security");
        note(self.imap_host.is_some(), "--imap-host");
        note(self.imap_port.is_some(), "--imap-port");
        note(self.imap_security.is_some(), "--imap-security");
        note(self.username.is_some(), "--username");
        note(self.password_command.is_some(), "--password-command");
        note(self.ca_file.is_some(), "--ca-file");
        note(self.kdf_work_factor.is_some(), "--kdf-work-factor");
        note(self.yes, "--yes");
        note(self.oauth2_client_id.is_some(), "--oauth2-client-id");
        note(self.oauth2_device_url.is_some(), "--oauth2-device-url");
        note(self.oauth2_token_url.is_some(), "--oauth2-token-url");
        note(!self.oauth2_scopes.is_empty(), "--oauth2-scope");
        given
    }

    /// The settings of the address's provider (see `provider`), when no
    /// way of sending or receiving was given: shown, and confirmed on the
    /// terminal (or by `--yes`). Declined, nothing is created.
    fn provider(&self, address: &str) -> Result<Option<Provider>> {
        if self.maildir.is_some() || self.smtp_host.is_some() || self.imap_host.is_some() {
            return Ok(None);
        }
        // What the domain publishes in its autoconfig document first, then
        // the built-in table, then the domain's DNS SRV records.
        let found = crate::autoconfig::lookup(address, self.ca_file.as_deref())
            .map_err(|e| anyhow!("{e:#}; give --imap-host and --smtp-host instead. Nothing was created"))?;
        // The table knows more of its providers than their DNS says (the
        // sent folder, app passwords, the sign-in), so it comes before SRV.
        let found = match found.or_else(|| provider::for_address(address)) {
            Some(found) => Some(found),
            None => crate::dns_settings::lookup(address)
                .map_err(|e| anyhow!("{e:#}; give --imap-host and --smtp-host instead. Nothing was created"))?,
        };
        let Some(provider) = found else { return Ok(None) };
        let login = |username: &Option<String>| match (&self.username, username) {
            (Some(given), _) => format!(", login {given}"),
            (None, Some(published)) => format!(", login {published}"),
            (None, None) => String::new(),
        };
        let shown = format!(
            "{} for {address}:\n  IMAP {} port {} ({}{})\n  SMTP {} port {} ({}{}){}",
            provider.name,
            provider.imap.0,
            provider.imap.1,
            security_name(provider.imap.2),
            login(&provider.imap_username),
            provider.smtp.0,
            provider.smtp.1,
            security_name(provider.smtp.2),
            login(&provider.smtp_username),
            self.sign_in_note(&provider).map(|note| format!("\n  note: {note}")).unwrap_or_default()
        );
        let shown = match &provider.confirm_in_person {
            Some(reason) => format!("{shown}\n  CHECK: {reason}"),
            None => shown,
        };
        if self.yes && provider.confirm_in_person.is_some() {
            bail!(
                "{shown}\n--yes is not enough for these: confirm them on a terminal (without --yes), or give \
                 --imap-host and --smtp-host; nothing was created"
            );
        }
        if self.yes {
            eprintln!("{shown}");
            return Ok(Some(provider));
        }
        if !crate::passphrase::has_terminal() {
            bail!("{shown}\nthere is no terminal to confirm them on: add --yes to use them, or give --imap-host and --smtp-host; nothing was created");
        }
        eprint!("{shown}\nuse these settings? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !answer.trim().eq_ignore_ascii_case("y") && !answer.trim().eq_ignore_ascii_case("yes") {
            bail!("not confirmed: nothing was created (give --imap-host and --smtp-host for other settings)");
        }
        Ok(Some(provider))
    }

    /// What to tell about these settings: the provider's note, unless it
    /// asks for the OAuth2 sign-in that `--oauth2-client-id` already sets up.
    fn sign_in_note(&self, provider: &Provider) -> Option<String> {
        match (&self.oauth2_client_id, provider.oauth2) {
            (Some(id), Some(_)) => Some(format!("signs in with OAuth2 as the application {id}")),
            _ => provider.note.clone(),
        }
    }

    /// The `[oauth2]` section, with `--oauth2-client-id`: the endpoints and
    /// scopes given, else the provider's.
    fn oauth2(&self, provider: Option<&Provider>) -> Result<Option<OAuth2>> {
        let Some(client_id) = &self.oauth2_client_id else { return Ok(None) };
        let known = provider.and_then(|p| p.oauth2);
        let (Some(device_authorization_url), Some(token_url)) = (
            self.oauth2_device_url.clone().or_else(|| known.map(|k| k.device_authorization_url.to_string())),
            self.oauth2_token_url.clone().or_else(|| known.map(|k| k.token_url.to_string())),
        ) else {
            bail!(
                "the provider's OAuth2 endpoints are not known here: give --oauth2-device-url and \
                 --oauth2-token-url (and --oauth2-scope); nothing was created"
            );
        };
        let scopes = if self.oauth2_scopes.is_empty() {
            known.map(|k| k.scopes.iter().map(|s| s.to_string()).collect()).unwrap_or_default()
        } else {
            self.oauth2_scopes.clone()
        };
        let oauth2 = OAuth2 {
            client_id: client_id.clone(),
            device_authorization_url,
            token_url,
            scopes,
            ca_file: self.ca_file.as_deref().map(std::path::absolute).transpose()?,
        };
        oauth2.check().context("nothing was created")?;
        Ok(Some(oauth2))
    }

    /// A server the provider's settings name, with the login flags given
    /// (a login name given wins over the one published).
    fn known(&self, (host, port, security): &Endpoint, username: &Option<String>, sent_folder: Option<&str>) -> Server {
        let server = self.server(&Some(host.clone()), Some(*port), *security, (*port, *port));
        Server {
            sent_folder: sent_folder.map(str::to_string),
            username: self.username.clone().or_else(|| username.clone()),
            ..server.expect("a host is given")
        }
    }

    fn server(
        &self,
        host: &Option<String>,
        port: Option<u16>,
        security: Security,
        default_ports: (u16, u16),
    ) -> Option<Server> {
        let host = host.clone()?;
        let port = port.unwrap_or(match security {
            Security::Tls => default_ports.0,
            Security::Starttls => default_ports.1,
        });
        Some(Server {
            host,
            port,
            security,
            username: self.username.clone(),
            password_command: self.password_command.clone(),
            ca_file: self.ca_file.as_ref().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())),
            folder: None,
            sent_folder: None,
            password: None,
        })
    }

    fn smtp(&self) -> Option<Server> {
        self.server(&self.smtp_host, self.smtp_port, self.smtp_security.unwrap_or(Security::Starttls), (465, 587))
    }

    fn imap(&self) -> Option<Server> {
        self.server(&self.imap_host, self.imap_port, self.imap_security.unwrap_or(Security::Tls), (993, 143))
    }

    fn key_passphrase(&self) -> Result<Password> {
        if let Some(path) = &self.key_passphrase_file {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            return Ok(Password::from(text.lines().next().unwrap_or("")));
        }
        if !crate::passphrase::has_terminal() {
            bail!(
                "the imported key is protected by a passphrase and there is no terminal to ask for it; \
                 pass --key-passphrase-file FILE"
            );
        }
        let entered = rpassword::prompt_password("passphrase of the imported key: ")?;
        Ok(Password::from(entered))
    }
}

fn security_name(security: Security) -> &'static str {
    match security {
        Security::Tls => "TLS",
        Security::Starttls => "STARTTLS",
    }
}
