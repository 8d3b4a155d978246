//! Mail settings of the big providers, so that `init --email` is enough for
//! their users.
//!
//! A small built-in table, by the domain of the address: the IMAP and SMTP
//! servers, always with TLS (implicit TLS, or STARTTLS where the provider
//! offers only that on submission), the login name (the address for all of
//! them), and what the user must know first (an app password; a provider
//! whose basic logins are switched off). The table is asked after what the
//! domain publishes itself (see `autoconfig`); the user sees what was found
//! and confirms it (see `init`).

use crate::config::Security;

/// A server: host, port, and how the connection is secured (TLS always).
pub type Endpoint = (String, u16, Security);

/// What `init` fills in for an address: from the table here, or published
/// by the address's domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    /// The provider's name, and where the settings come from.
    pub name: String,
    pub imap: Endpoint,
    pub smtp: Endpoint,
    /// The login names, when not the address.
    pub imap_username: Option<String>,
    pub smtp_username: Option<String>,
    /// The IMAP folder sent copies go to, when not `Sent`.
    pub sent_folder: Option<String>,
    /// What the user must do or know before it works.
    pub note: Option<String>,
    /// Where the provider signs in with OAuth2 (`init --oauth2-client-id`).
    pub oauth2: Option<SignIn>,
    /// Why `--yes` is not enough to take these settings: they must be
    /// confirmed by a person (DNS answers naming servers outside the
    /// address's domain).
    pub confirm_in_person: Option<String>,
}

/// A provider's OAuth2 endpoints and the scopes IMAP and SMTP need. The
/// client id is the practice's own: sealpost has no application registered
/// with any provider (README, "OAuth2").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignIn {
    pub device_authorization_url: &'static str,
    pub token_url: &'static str,
    pub scopes: &'static [&'static str],
}

/// Microsoft's identity platform, for Outlook.com and Microsoft 365 ("common"
/// takes work and personal accounts alike).
pub const MICROSOFT: SignIn = SignIn {
    device_authorization_url: "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
    token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    scopes: &[
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ],
};

/// An entry of the built-in table.
#[derive(Clone, Copy)]
struct Known {
    name: &'static str,
    imap: (&'static str, u16, Security),
    smtp: (&'static str, u16, Security),
    sent_folder: Option<&'static str>,
    note: &'static str,
    oauth2: Option<SignIn>,
}

impl From<&Known> for Provider {
    fn from(known: &Known) -> Provider {
        let endpoint = |(host, port, security): (&str, u16, Security)| (host.to_string(), port, security);
        Provider {
            name: format!("{} (built-in settings)", known.name),
            imap: endpoint(known.imap),
            smtp: endpoint(known.smtp),
            imap_username: None,
            smtp_username: None,
            sent_folder: known.sent_folder.map(str::to_string),
            note: Some(known.note.to_string()),
            oauth2: known.oauth2,
            confirm_in_person: None,
        }
    }
}

const APP_PASSWORD: &str = "it needs an app password (made in the account's security settings), not your \
                            usual password; store it with `sealpost account set-password`";

const PROVIDERS: &[(&[&str], Known)] = &[
    (
        &["gmail.com", "googlemail.com"],
        Known {
            name: "Gmail",
            imap: ("imap.gmail.com", 993, Security::Tls),
            smtp: ("smtp.gmail.com", 465, Security::Tls),
            sent_folder: Some("[Gmail]/Sent Mail"),
            note: APP_PASSWORD,
            oauth2: None,
        },
    ),
    (
        &["icloud.com", "me.com", "mac.com"],
        Known {
            name: "iCloud Mail",
            imap: ("imap.mail.me.com", 993, Security::Tls),
            smtp: ("smtp.mail.me.com", 587, Security::Starttls),
            sent_folder: Some("Sent Messages"),
            note: APP_PASSWORD,
            oauth2: None,
        },
    ),
    (
        &["outlook.com", "hotmail.com", "live.com", "msn.com"],
        Known {
            name: "Outlook.com",
            imap: ("outlook.office365.com", 993, Security::Tls),
            smtp: ("smtp-mail.outlook.com", 587, Security::Starttls),
            sent_folder: Some("Sent Items"),
            note: "Microsoft switched off password logins: sign in with OAuth2. Give --oauth2-client-id (an \
                   application registered for your practice, see the README), then run `sealpost account login`",
            oauth2: Some(MICROSOFT),
        },
    ),
    (
        &["fastmail.com", "fastmail.fm"],
        Known {
            name: "Fastmail",
            imap: ("imap.fastmail.com", 993, Security::Tls),
            smtp: ("smtp.fastmail.com", 465, Security::Tls),
            sent_folder: None,
            note: APP_PASSWORD,
            oauth2: None,
        },
    ),
    (
        &["yahoo.com", "ymail.com"],
        Known {
            name: "Yahoo Mail",
            imap: ("imap.mail.yahoo.com", 993, Security::Tls),
            smtp: ("smtp.mail.yahoo.com", 465, Security::Tls),
            sent_folder: None,
            note: APP_PASSWORD,
            oauth2: None,
        },
    ),
    (
        &["gmx.net", "gmx.de", "gmx.at", "gmx.ch"],
        Known {
            name: "GMX",
            imap: ("imap.gmx.net", 993, Security::Tls),
            smtp: ("mail.gmx.net", 465, Security::Tls),
            sent_folder: Some("Gesendet"),
            note: "IMAP access must be switched on in the GMX web settings first",
            oauth2: None,
        },
    ),
    (
        &["posteo.de", "posteo.net"],
        Known {
            name: "Posteo",
            imap: ("posteo.de", 993, Security::Tls),
            smtp: ("posteo.de", 465, Security::Tls),
            sent_folder: None,
            note: "your usual Posteo password works",
            oauth2: None,
        },
    ),
    (
        &["mailbox.org"],
        Known {
            name: "mailbox.org",
            imap: ("imap.mailbox.org", 993, Security::Tls),
            smtp: ("smtp.mailbox.org", 465, Security::Tls),
            sent_folder: None,
            note: "your usual mailbox.org password works",
            oauth2: None,
        },
    ),
];

/// The provider of `address`, when the table knows its domain.
pub fn for_address(address: &str) -> Option<Provider> {
    let domain = address.rsplit_once('@')?.1.to_ascii_lowercase();
    PROVIDERS.iter().find(|(domains, _)| domains.contains(&domain.as_str())).map(|(_, known)| known.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_domains_get_tls_settings_and_others_none() {
        let gmail = for_address("Sam.Lee@GMAIL.com").unwrap();
        assert_eq!(gmail.imap, ("imap.gmail.com".to_string(), 993, Security::Tls));
        assert_eq!(for_address("kim@me.com").unwrap().name, "iCloud Mail (built-in settings)");
        assert!(for_address("ada@practice.example").is_none());
        assert!(for_address("not an address").is_none());
        // Only TLS ever: the configuration has no plaintext setting at all,
        // and every entry's ports are the TLS ones.
        for (_, p) in PROVIDERS {
            for (_, port, security) in [p.imap, p.smtp] {
                match security {
                    Security::Tls => assert!(port == 993 || port == 465, "{}", p.name),
                    Security::Starttls => assert_eq!(port, 587, "{}", p.name),
                }
            }
        }
    }
}
