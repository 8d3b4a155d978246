//! Mail settings the address's domain publishes itself, looked up as mail
//! clients do: the Mozilla (Thunderbird) autoconfig document, first at
//! `https://autoconfig.DOMAIN/mail/config-v1.1.xml`, then at
//! `https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml`.
//!
//! Over HTTPS only, with the one TLS policy (`transport::tls`: verified
//! against the system roots, or the private CA given to `init`), no
//! redirects followed, at most 256 KiB read. Of what a document offers,
//! only IMAP and SMTP servers with TLS (implicit or STARTTLS) are ever
//! taken; a document that offers them only without TLS is refused, not
//! worked around. Nothing found (no such host, no document, not a config)
//! is `None`, and the built-in table is asked next (see `provider`).
//!
//! `SEALPOST_AUTOCONFIG_HOSTS="host=ADDR:PORT ..."` sends the lookups for
//! those hosts to the given addresses instead of port 443 of what DNS says
//! (a local test server); certificates are verified all the same.

use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use crate::config::Security;
use crate::provider::{Endpoint, Provider};

/// The most of a document read.
const MAX_BYTES: u64 = 256 * 1024;

/// The settings published for `address`'s domain: `Ok(None)` when none
/// were found, an error when a document was found but offers no server
/// sealpost may use.
pub fn lookup(address: &str, ca_file: Option<&Path>) -> Result<Option<Provider>> {
    let (local, domain) = address.rsplit_once('@').context("not an email address")?;
    let domain = domain.to_ascii_lowercase();
    let agent = agent(ca_file)?;
    let urls = [
        format!("https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={}", query_value(address)),
        format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
    ];
    for url in urls {
        let Some(document) = fetch(&agent, &url) else { continue };
        let Ok(offered) = Offered::parse(&document) else { continue };
        let provider = offered
            .choose(local, &domain, address)
            .with_context(|| format!("the mail settings published at {}", without_query(&url)))?;
        return Ok(Some(Provider {
            name: format!("{} (found at {})", provider.name, without_query(&url)),
            ..provider
        }));
    }
    Ok(None)
}

/// `value` percent-encoded for a URL's query.
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn without_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(path, _)| path)
}

fn agent(ca_file: Option<&Path>) -> Result<ureq::Agent> {
    let overrides = std::env::var("SEALPOST_AUTOCONFIG_HOSTS").unwrap_or_default();
    let overrides: Vec<(String, SocketAddr)> = overrides
        .split_whitespace()
        .map(|pair| {
            let (host, addr) = pair.split_once('=').context("expected host=ADDR:PORT")?;
            Ok((host.to_ascii_lowercase(), addr.parse().context("expected host=ADDR:PORT")?))
        })
        .collect::<Result<_>>()
        .context("reading SEALPOST_AUTOCONFIG_HOSTS")?;
    Ok(crate::transport::tls::https_agent(ca_file)?
        .resolver(move |netloc: &str| -> std::io::Result<Vec<SocketAddr>> {
            let host = netloc.rsplit_once(':').map_or(netloc, |(host, _)| host).to_ascii_lowercase();
            match overrides.iter().find(|(h, _)| *h == host) {
                Some((_, addr)) => Ok(vec![*addr]),
                None => netloc.to_socket_addrs().map(Iterator::collect),
            }
        })
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build())
}

/// The document at `url`, when it was served (status 200).
fn fetch(agent: &ureq::Agent, url: &str) -> Option<String> {
    let response = agent.get(url).call().ok()?;
    if response.status() != 200 {
        return None;
    }
    let mut body = String::new();
    response.into_reader().take(MAX_BYTES).read_to_string(&mut body).ok()?;
    Some(body)
}

/// One server a document offers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offer {
    kind: String,
    hostname: String,
    port: u16,
    socket: String,
    username: Option<String>,
    authentication: Vec<String>,
}

/// What an autoconfig document offers.
#[derive(Debug)]
struct Offered {
    name: String,
    incoming: Vec<Offer>,
    outgoing: Vec<Offer>,
}

impl Offered {
    fn parse(text: &str) -> Result<Offered> {
        let document = roxmltree::Document::parse(text).context("not XML")?;
        let root = document.root_element();
        if root.tag_name().name() != "clientConfig" {
            bail!("not an autoconfig document");
        }
        let provider =
            root.children().find(|n| n.has_tag_name("emailProvider")).ok_or_else(|| anyhow!("no emailProvider"))?;
        let text_of = |node: roxmltree::Node, tag: &str| {
            node.children().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).map(|t| t.trim().to_string())
        };
        let offers = |tag: &str| -> Vec<Offer> {
            provider
                .children()
                .filter(|n| n.has_tag_name(tag))
                .filter_map(|n| {
                    Some(Offer {
                        kind: n.attribute("type")?.to_ascii_lowercase(),
                        hostname: text_of(n, "hostname")?,
                        port: text_of(n, "port")?.parse().ok()?,
                        socket: text_of(n, "socketType").unwrap_or_default().to_ascii_uppercase(),
                        username: text_of(n, "username"),
                        authentication: n
                            .children()
                            .filter(|a| a.has_tag_name("authentication"))
                            .filter_map(|a| a.text())
                            .map(|a| a.trim().to_ascii_lowercase())
                            .collect(),
                    })
                })
                .collect()
        };
        // Shown on the terminal: one line, no control or direction
        // characters, not long (a document must not draw other settings).
        let name = text_of(provider, "displayName")
            .or_else(|| provider.attribute("id").map(str::to_string))
            .map(|name| crate::sanitize::line(&name).chars().take(60).collect::<String>())
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| "your provider".to_string());
        Ok(Offered { name, incoming: offers("incomingServer"), outgoing: offers("outgoingServer") })
    }

    /// The first IMAP and the first SMTP server offered with TLS, their
    /// placeholders filled in. Refused when either has none with TLS.
    fn choose(&self, local: &str, domain: &str, address: &str) -> Result<Provider> {
        let fill = |text: &str| {
            text.replace("%EMAILADDRESS%", address).replace("%EMAILLOCALPART%", local).replace("%EMAILDOMAIN%", domain)
        };
        let pick = |offers: &[Offer], kind: &str, role: &str| -> Result<(Endpoint, Option<String>, bool)> {
            let of_kind: Vec<&Offer> = offers.iter().filter(|o| o.kind == kind).collect();
            if of_kind.is_empty() {
                bail!("no {role} server is offered");
            }
            let offer = of_kind
                .iter()
                .find_map(|o| security(&o.socket).map(|s| (o, s)))
                .ok_or_else(|| anyhow!("the {role} server is offered only without TLS, which sealpost never uses"))?;
            let (offer, security) = offer;
            let host = fill(&offer.hostname);
            if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
                bail!("the {role} server's name {host:?} is not a host name");
            }
            if offer.port == 0 {
                bail!("the {role} server's port is 0");
            }
            let username = offer.username.as_deref().map(fill).filter(|u| !u.is_empty() && u != address);
            // A login name is shown and kept in the config: printable, no
            // spaces, not long.
            if let Some(name) = &username {
                if name.len() > 254 || !name.chars().all(|c| c.is_ascii_graphic()) {
                    bail!("the {role} login name offered is not one sealpost uses");
                }
            }
            let oauth_only = !offer.authentication.is_empty()
                && offer.authentication.iter().all(|a| a == "oauth2" || a == "oauthbearer" || a == "xoauth2");
            Ok(((host, offer.port, security), username, oauth_only))
        };
        let (imap, imap_username, imap_oauth) = pick(&self.incoming, "imap", "IMAP")?;
        let (smtp, smtp_username, smtp_oauth) = pick(&self.outgoing, "smtp", "SMTP")?;
        let note = (imap_oauth || smtp_oauth).then(|| {
            "the provider allows only OAuth2 logins: give --oauth2-client-id (and, unless the provider is \
             Microsoft, its --oauth2-device-url and --oauth2-token-url; see the README), then run \
             `sealpost account login`"
                .to_string()
        });
        // Microsoft 365 domains publish Microsoft's servers; its sign-in
        // endpoints are known.
        // Both: a token for the mailbox goes to every server named.
        let microsoft = [&imap.0, &smtp.0].iter().all(|host| {
            let host = host.to_ascii_lowercase();
            host.ends_with(".office365.com") || host.ends_with(".outlook.com")
        });
        Ok(Provider {
            name: self.name.clone(),
            imap,
            smtp,
            imap_username,
            smtp_username,
            sent_folder: None,
            note,
            oauth2: microsoft.then_some(crate::provider::MICROSOFT),
            confirm_in_person: None,
        })
    }
}

/// How a `socketType` secures the connection; `None` for plain.
fn security(socket: &str) -> Option<Security> {
    match socket {
        "SSL" | "TLS" => Some(Security::Tls),
        "STARTTLS" => Some(Security::Starttls),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(incoming: &str, outgoing: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="client.example">
    <domain>client.example</domain>
    <displayName>Client Mail</displayName>
    {incoming}
    {outgoing}
  </emailProvider>
</clientConfig>"#
        )
    }

    fn server(tag: &str, kind: &str, host: &str, port: u16, socket: &str, user: &str) -> String {
        format!(
            "<{tag} type=\"{kind}\"><hostname>{host}</hostname><port>{port}</port><socketType>{socket}</socketType>\
             <username>{user}</username><authentication>password-cleartext</authentication></{tag}>"
        )
    }

    #[test]
    fn the_first_tls_servers_are_taken_with_their_placeholders_filled_in() {
        let text = document(
            &(server("incomingServer", "pop3", "pop.client.example", 995, "SSL", "%EMAILADDRESS%")
                + &server("incomingServer", "imap", "imap.%EMAILDOMAIN%", 143, "plain", "%EMAILADDRESS%")
                + &server("incomingServer", "imap", "imap.%EMAILDOMAIN%", 993, "SSL", "%EMAILLOCALPART%")),
            &server("outgoingServer", "smtp", "smtp.client.example", 587, "STARTTLS", "%EMAILADDRESS%"),
        );
        let provider = Offered::parse(&text).unwrap().choose("sam", "client.example", "sam@client.example").unwrap();
        assert_eq!(provider.name, "Client Mail");
        assert_eq!(provider.imap, ("imap.client.example".to_string(), 993, Security::Tls));
        assert_eq!(provider.smtp, ("smtp.client.example".to_string(), 587, Security::Starttls));
        assert_eq!(provider.imap_username.as_deref(), Some("sam"));
        assert_eq!(provider.smtp_username, None, "the address is the default login");
        assert_eq!(provider.note, None);
    }

    #[test]
    fn plaintext_only_missing_servers_and_odd_names_are_refused() {
        let plain = document(
            &server("incomingServer", "imap", "imap.client.example", 143, "plain", "%EMAILADDRESS%"),
            &server("outgoingServer", "smtp", "smtp.client.example", 465, "SSL", "%EMAILADDRESS%"),
        );
        let err = Offered::parse(&plain).unwrap().choose("sam", "client.example", "sam@client.example").unwrap_err();
        assert!(err.to_string().contains("IMAP server is offered only without TLS"), "{err}");
        let no_smtp = document(&server("incomingServer", "imap", "imap.client.example", 993, "SSL", "x"), "");
        let err = Offered::parse(&no_smtp).unwrap().choose("sam", "client.example", "sam@client.example").unwrap_err();
        assert!(err.to_string().contains("no SMTP server"), "{err}");
        let odd = document(
            &server("incomingServer", "imap", "imap.client.example/evil", 993, "SSL", "x"),
            &server("outgoingServer", "smtp", "smtp.client.example", 465, "SSL", "x"),
        );
        assert!(Offered::parse(&odd).unwrap().choose("sam", "client.example", "sam@client.example").is_err());
        assert!(Offered::parse("<html><body>Not found</body></html>").is_err());
        assert!(Offered::parse("not xml at all").is_err());
    }

    #[test]
    fn what_a_document_says_is_shown_on_one_line_and_odd_login_names_are_refused() {
        let drawn = document(
            &server("incomingServer", "imap", "imap.client.example", 993, "SSL", "%EMAILADDRESS%"),
            &server("outgoingServer", "smtp", "smtp.client.example", 465, "SSL", "%EMAILADDRESS%"),
        )
        .replace("Client Mail", "Client Mail&#10;  IMAP evil.example port 993 (TLS)\u{202e}");
        let provider = Offered::parse(&drawn).unwrap().choose("sam", "client.example", "sam@client.example").unwrap();
        assert!(!provider.name.contains('\n') && !provider.name.contains('\u{202e}'), "{:?}", provider.name);
        let spaced = document(
            &server("incomingServer", "imap", "imap.client.example", 993, "SSL", "sam&#10;IMAP evil"),
            &server("outgoingServer", "smtp", "smtp.client.example", 465, "SSL", "%EMAILADDRESS%"),
        );
        let err = Offered::parse(&spaced).unwrap().choose("sam", "client.example", "sam@client.example").unwrap_err();
        assert!(err.to_string().contains("login name"), "{err}");
    }

    #[test]
    fn oauth_only_servers_come_with_a_warning() {
        let text = document(
            &server("incomingServer", "imap", "imap.client.example", 993, "SSL", "%EMAILADDRESS%")
                .replace("password-cleartext", "OAuth2"),
            &server("outgoingServer", "smtp", "smtp.client.example", 465, "SSL", "%EMAILADDRESS%"),
        );
        let provider = Offered::parse(&text).unwrap().choose("sam", "client.example", "sam@client.example").unwrap();
        assert!(provider.note.unwrap().contains("OAuth2"));
    }
}
