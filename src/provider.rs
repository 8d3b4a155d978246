//! Mail settings of the big providers, so that `init --email` is enough for
//! their users.
//!
//! A small built-in table, by the domain of the address: the IMAP and SMTP
//! servers, always with TLS (implicit TLS, or STARTTLS where the provider
//! offers only that on submission), the login name (the address for all of
//! them), and what the user must know first (an app password; a provider
//! whose basic logins are switched off). Nothing here is fetched from the
//! network; the user sees what was found and confirms it (see `init`).

use crate::config::Security;

/// What `init` fills in for an address at a known provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provider {
    pub name: &'static str,
    pub imap: (&'static str, u16, Security),
    pub smtp: (&'static str, u16, Security),
    /// The IMAP folder sent copies go to, when not `Sent`.
    pub sent_folder: Option<&'static str>,
    /// What the user must do or know before it works.
    pub note: &'static str,
}

const APP_PASSWORD: &str = "it needs an app password (made in the account's security settings), not your \
                            usual password; store it with `sealpost account set-password`";

const PROVIDERS: &[(&[&str], Provider)] = &[
    (
        &["gmail.com", "googlemail.com"],
        Provider {
            name: "Gmail",
            imap: ("imap.gmail.com", 993, Security::Tls),
            smtp: ("smtp.gmail.com", 465, Security::Tls),
            sent_folder: Some("[Gmail]/Sent Mail"),
            note: APP_PASSWORD,
        },
    ),
    (
        &["icloud.com", "me.com", "mac.com"],
        Provider {
            name: "iCloud Mail",
            imap: ("imap.mail.me.com", 993, Security::Tls),
            smtp: ("smtp.mail.me.com", 587, Security::Starttls),
            sent_folder: Some("Sent Messages"),
            note: APP_PASSWORD,
        },
    ),
    (
        &["outlook.com", "hotmail.com", "live.com", "msn.com"],
        Provider {
            name: "Outlook.com",
            imap: ("outlook.office365.com", 993, Security::Tls),
            smtp: ("smtp-mail.outlook.com", 587, Security::Starttls),
            sent_folder: Some("Sent Items"),
            note: "Microsoft switched off password logins (it wants OAuth2), which sealpost cannot do yet: the \
                   login will most likely be refused",
        },
    ),
    (
        &["fastmail.com", "fastmail.fm"],
        Provider {
            name: "Fastmail",
            imap: ("imap.fastmail.com", 993, Security::Tls),
            smtp: ("smtp.fastmail.com", 465, Security::Tls),
            sent_folder: None,
            note: APP_PASSWORD,
        },
    ),
    (
        &["yahoo.com", "ymail.com"],
        Provider {
            name: "Yahoo Mail",
            imap: ("imap.mail.yahoo.com", 993, Security::Tls),
            smtp: ("smtp.mail.yahoo.com", 465, Security::Tls),
            sent_folder: None,
            note: APP_PASSWORD,
        },
    ),
    (
        &["gmx.net", "gmx.de", "gmx.at", "gmx.ch"],
        Provider {
            name: "GMX",
            imap: ("imap.gmx.net", 993, Security::Tls),
            smtp: ("mail.gmx.net", 465, Security::Tls),
            sent_folder: Some("Gesendet"),
            note: "IMAP access must be switched on in the GMX web settings first",
        },
    ),
    (
        &["posteo.de", "posteo.net"],
        Provider {
            name: "Posteo",
            imap: ("posteo.de", 993, Security::Tls),
            smtp: ("posteo.de", 465, Security::Tls),
            sent_folder: None,
            note: "your usual Posteo password works",
        },
    ),
    (
        &["mailbox.org"],
        Provider {
            name: "mailbox.org",
            imap: ("imap.mailbox.org", 993, Security::Tls),
            smtp: ("smtp.mailbox.org", 465, Security::Tls),
            sent_folder: None,
            note: "your usual mailbox.org password works",
        },
    ),
];

/// The provider of `address`, when the table knows its domain.
pub fn for_address(address: &str) -> Option<Provider> {
    let domain = address.rsplit_once('@')?.1.to_ascii_lowercase();
    PROVIDERS.iter().find(|(domains, _)| domains.contains(&domain.as_str())).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_domains_get_tls_settings_and_others_none() {
        let gmail = for_address("Sam.Lee@GMAIL.com").unwrap();
        assert_eq!(gmail.imap, ("imap.gmail.com", 993, Security::Tls));
        assert_eq!(for_address("kim@me.com").unwrap().name, "iCloud Mail");
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
