//! The command-line shape of sealpost: every clap definition lives here, so
//! the man pages and completions are generated from one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::account::Role;
use crate::config::Security;

const EXIT_CODES: &str = "\
EXIT CODES:
  0  success
  1  other error
  2  usage error
  3  recipient not verified (nothing was sent)
  4  verification failure (a message or a key did not verify)
  5  store locked: wrong passphrase, or no passphrase or password available
  6  queued, try again later: a message waits in the outbox, or a server could not be reached";

/// End-to-end encrypted, signed messages over ordinary email.
#[derive(Parser, Debug)]
#[command(name = "sealpost", version, about, after_long_help = EXIT_CODES)]
pub struct Cli {
    /// Read the store passphrase from this file instead of prompting
    #[arg(long, global = true, env = "SEALPOST_PASSPHRASE_FILE", value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,

    /// Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an identity, an encrypted store and a config
    Init(Init),
    /// Show or export your own key
    #[command(subcommand)]
    Key(Key),
    /// Pin, list and verify contacts' keys
    #[command(subcommand)]
    Contact(Contact),
    /// Check and configure the mail account
    #[command(subcommand)]
    Account(Account),
    /// Encrypt, sign and send a message to a verified contact
    Send(Send),
    /// List queued messages, or retry them with --flush
    Outbox(Outbox),
    /// Deliver the outbox and fetch, decrypt and verify new mail
    Sync(Sync),
    /// List received messages with their status
    Inbox(Inbox),
    /// Show one received message with its status
    Read(Read),
    /// Reply to a verified message: always to the signer's pinned address
    Reply(Reply),
    /// Make an invite code that lets someone join and verify keys in one step
    Invite(Invite),
    /// Join with an invite code: exchange and verify keys over mail
    ///
    /// On a machine without a sealpost identity, `join` first creates one, as
    /// `init` does with the same options (on a terminal it asks for your name
    /// and address when they are not given): a client's first command can be
    /// `sealpost join CODE`.
    Join(Join),
    /// List sent messages: queued, sent, or read (with a signed receipt);
    /// `sent show N` shows one as it was sent
    Sent(Sent),
    /// Show one sent message with its delivery and read-receipt state
    Status(Status),
    /// Write the whole store as one encrypted file, or check one with --verify
    Backup(Backup),
    /// Restore a backup into an empty home
    Restore(Restore),
    /// List the audit log (who did what, when; never content), or check
    /// its hash chain with --verify
    Audit(Audit),
    /// List each contact's retention: the period, when it ends, holds
    Retention(Retention),
    /// Write one contact's whole record as one signed file, or check one
    /// with --verify
    Export(Export),
    /// Dispose of one contact's records: crypto-erase every local copy,
    /// optionally delete their messages on the server; leaves a tombstone
    Forget(Forget),
    /// Unlock once: an agent keeps the keys in memory until idle, then locks itself
    Unlock(Unlock),
    /// Lock now: end the unlock agent, wiping the keys from memory
    Lock(Lock),
    /// Run the whole flow, offline, between two local identities
    Demo(Demo),
    /// The unlock agent itself (started by `sealpost unlock`)
    #[command(hide = true)]
    AgentServe(AgentServe),
    /// Write the man pages and shell completions
    #[command(hide = true)]
    GenerateDocs(GenerateDocs),
    /// Contact aliases for the shell completions, one a line (never prompts)
    #[command(hide = true)]
    CompleteContacts(CompleteContacts),
}

#[derive(Args, Debug, Clone)]
pub struct Init {
    /// Your name, as contacts will see it (required unless --import-key gives a key with one)
    #[arg(long, required_unless_present = "import_key")]
    pub name: Option<String>,
    /// Your email address
    #[arg(long, required = true)]
    pub email: Option<String>,
    /// Adopt an existing OpenPGP secret key (armored or binary) instead of creating one
    #[arg(long, value_name = "FILE")]
    pub import_key: Option<PathBuf>,
    /// File holding the passphrase of the imported key, if it has one
    #[arg(long, value_name = "FILE", requires = "import_key")]
    pub key_passphrase_file: Option<PathBuf>,
    /// Deliver and read mail locally: read ROOT/<your address>, deliver into ROOT/<recipient>
    #[arg(long, value_name = "ROOT")]
    pub maildir: Option<PathBuf>,
    /// SMTP submission server host
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default 587 for starttls, 465 for tls)
    #[arg(long, value_name = "PORT", requires = "smtp_host")]
    pub smtp_port: Option<u16>,
    /// How the SMTP connection is secured [default: starttls]
    #[arg(long, value_enum)]
    pub smtp_security: Option<Security>,
    /// IMAP server host
    #[arg(long, value_name = "HOST")]
    pub imap_host: Option<String>,
    /// IMAP port (default 993 for tls, 143 for starttls)
    #[arg(long, value_name = "PORT", requires = "imap_host")]
    pub imap_port: Option<u16>,
    /// How the IMAP connection is secured [default: tls]
    #[arg(long, value_enum)]
    pub imap_security: Option<Security>,
    /// Login name for both servers (default: your address)
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// Command printing the mail password, e.g. "pass show mail"
    #[arg(long, value_name = "COMMAND")]
    pub password_command: Option<String>,
    /// A private CA (PEM) to trust for both servers instead of the system roots
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Lower the passphrase work factor (log2 of scrypt's cost) for tests and demos; the default takes about a second
    #[arg(long, value_name = "N")]
    pub kdf_work_factor: Option<u8>,
    /// Use the mail settings found for a known provider without asking
    /// (for scripts; without a terminal they are otherwise refused)
    #[arg(long)]
    pub yes: bool,
    /// Sign in to both servers with OAuth2 as this application (client) id,
    /// registered by your practice with the provider, instead of passwords;
    /// then run `sealpost account login`
    #[arg(long, value_name = "ID")]
    pub oauth2_client_id: Option<String>,
    /// The provider's OAuth2 device authorization endpoint (known for Microsoft)
    #[arg(long, value_name = "URL", requires = "oauth2_client_id")]
    pub oauth2_device_url: Option<String>,
    /// The provider's OAuth2 token endpoint (known for Microsoft)
    #[arg(long, value_name = "URL", requires = "oauth2_client_id")]
    pub oauth2_token_url: Option<String>,
    /// A scope to ask for (repeat for several; known for Microsoft)
    #[arg(long = "oauth2-scope", value_name = "SCOPE", requires = "oauth2_client_id")]
    pub oauth2_scopes: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum Key {
    /// Show your address and fingerprint
    Show,
    /// Print your public certificate, armored, for your contacts
    Export,
    /// Make a recovery key for emergency access without the passphrase (printed once)
    Recovery {
        /// Replace the recovery key: the old one stops opening the store and new backups
        #[arg(long)]
        rotate: bool,
    },
    /// Choose a new passphrase; with --recovery-key, without knowing the old one
    Passphrase {
        /// A file holding the recovery key (AGE-SECRET-KEY-1...), or - for stdin
        #[arg(long, value_name = "FILE")]
        recovery_key: Option<PathBuf>,
        /// Read the new passphrase from this file instead of prompting twice
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Make a new key, announce it to verified contacts signed by the old one, keep the old one for reading
    Rotate {
        /// Also revoke the old key (signed by it) and send the revocation with the announcement, so
        /// contacts, gpg and Thunderbird stop trusting it: use it when the old key may be in
        /// someone else's hands
        #[arg(long)]
        revoke_old: bool,
        /// Why the old key is revoked
        #[arg(long, value_enum, requires = "revoke_old", default_value = "superseded")]
        reason: RevocationReason,
    },
}

/// The reason written into a revocation of the old key.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RevocationReason {
    /// The old key may be known to someone else (a lost or stolen device)
    Compromised,
    /// The old key is simply replaced
    Superseded,
}

#[derive(Subcommand, Debug)]
pub enum Contact {
    /// Pin a contact's certificate for an address (state: unverified)
    Add {
        /// A short name to use instead of the address
        alias: String,
        /// The contact's email address
        address: String,
        /// The certificate file, armored or binary; - for stdin
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// List contacts with their state
    List,
    /// Show one contact, its fingerprint and the safety code
    Show {
        /// Alias or address
        who: String,
    },
    /// Record the client's consent to electronic messaging
    Consent {
        /// Alias or address
        who: String,
        /// The day they consented (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        date: String,
        /// The terms, or where the signed form is kept
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Put a contact's records on legal hold: `forget` refuses them
    Hold {
        /// Alias or address
        who: String,
    },
    /// End a legal hold
    Release {
        /// Alias or address
        who: String,
    },
    /// Set how long this contact's records are kept (7y, 18m, 90d, none),
    /// or `practice` for the practice's period
    Retention {
        /// Alias or address
        who: String,
        /// The period
        period: String,
    },
    /// Verify a contact's key: compare the safety code, or check the fingerprint
    Verify {
        /// Alias or address
        who: String,
        /// The fingerprint the contact read out to you
        #[arg(long, value_name = "FPR", conflicts_with = "code")]
        fingerprint: Option<String>,
        /// The safety code the contact read out from their screen
        #[arg(long, value_name = "CODE")]
        code: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum Account {
    /// Connect to both servers and report TLS, certificate, login and folders
    Check,
    /// Store a server password in the encrypted store (read from stdin, or prompted)
    SetPassword {
        /// Which server the password is for (both when absent)
        #[arg(long, value_enum)]
        server: Option<Role>,
    },
    /// Sign in to the mail account with OAuth2 (the config's [oauth2]
    /// section): shows a web address and a code to enter on any browser
    ///
    /// For providers that switched off passwords (Microsoft 365,
    /// Outlook.com). The tokens are kept encrypted in the store and renewed
    /// by every command that connects; run this again when the provider
    /// ends the sign-in.
    Login,
    /// Forget the OAuth2 sign-in kept in the store
    Logout,
}

#[derive(Args, Debug)]
pub struct Outbox {
    /// Try to deliver every queued message now
    #[arg(long, conflicts_with = "cancel")]
    pub flush: bool,
    /// Withdraw a queued message (its Message-ID, as `outbox` lists it):
    /// it is never sent. One the server accepted cannot be withdrawn
    #[arg(long, value_name = "MESSAGE-ID")]
    pub cancel: Option<String>,
}

#[derive(Args, Debug)]
pub struct Send {
    /// Recipient: a verified contact's alias or address
    #[arg(long, value_name = "WHO")]
    pub to: String,
    /// Subject (encrypted; the outside shows "...")
    #[arg(long, short, default_value = "")]
    pub subject: String,
    /// Attach a file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Do not ask the recipient for a signed read receipt
    #[arg(long)]
    pub no_receipt: bool,
}

#[derive(Args, Debug)]
pub struct Sync {}

#[derive(Args, Debug)]
pub struct Inbox {
    /// Only messages not yet shown by `read`
    #[arg(long)]
    pub unread: bool,
    /// List the newest N messages [default: 50; with --json, all]
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub limit: Option<usize>,
    /// List every message, however many
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct Read {
    /// Message number, as `sealpost inbox` lists it
    #[arg(required_unless_present = "last", conflicts_with = "last")]
    pub id: Option<u64>,
    /// The newest message
    #[arg(long)]
    pub last: bool,
    /// Save the attachments into this folder (never overwriting)
    #[arg(long, value_name = "DIR")]
    pub save_attachments: Option<PathBuf>,
    /// Send no read receipt for this reading, even if the sender asked for one
    #[arg(long)]
    pub no_receipt: bool,
    /// Show the content of a message that is not verified, under a warning,
    /// with the sender as "claims to be" (it was decrypted intact, but
    /// nothing shows who wrote it)
    #[arg(long)]
    pub unverified: bool,
}

#[derive(Args, Debug)]
pub struct Reply {
    /// Message number, as `sealpost inbox` lists it
    #[arg(required_unless_present = "last", conflicts_with = "last")]
    pub id: Option<u64>,
    /// The message `read` showed last, if verified (not the newest: that may be another client's)
    #[arg(long)]
    pub last: bool,
    /// With --last: the message read last if it is a verified one from this contact, else their newest verified one
    #[arg(long, value_name = "WHO", requires = "last")]
    pub from: Option<String>,
    /// Quote the text `read` showed as verified (never other parts, never ciphertext)
    #[arg(long)]
    pub quote: bool,
    /// Attach a file (repeatable)
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// Do not ask for a signed read receipt
    #[arg(long)]
    pub no_receipt: bool,
}

#[derive(Args, Debug)]
pub struct Invite {
    /// Only this address may join with the code
    #[arg(long = "for", value_name = "ADDR", conflicts_with_all = ["list", "revoke"])]
    pub for_address: Option<String>,
    /// How long the code works: 7d, 12h, 30m (at most 90d)
    #[arg(long, value_name = "DURATION", default_value = "7d", conflicts_with_all = ["list", "revoke"])]
    pub expires: String,
    /// List invites and where each stands
    #[arg(long)]
    pub list: bool,
    /// Revoke an open or answered invite (its token, as --list shows it)
    #[arg(long, value_name = "TOKEN", conflicts_with = "list")]
    pub revoke: Option<String>,
    /// Also draw the code as a QR code, for a phone's camera
    #[arg(long, conflicts_with_all = ["list", "revoke"])]
    pub qr: bool,
}

#[derive(Args, Debug)]
// With no identity here yet, `join` first creates one, as `init` does with
// init's options (on a terminal it asks for the name and address not given).
#[command(
    mut_arg("email", |a| a.required(false)),
    mut_arg("name", |a| a.required_unless_present(clap::builder::Resettable::Reset))
)]
pub struct Join {
    /// The invite code, as `sealpost invite` printed it
    pub code: String,
    /// Keep syncing until the join completes, for at most SECONDS (1 to 3600)
    /// [default: 300]: in a session together, the inviter's sync answers while you
    /// wait, and the next `sync` brings their first note
    #[arg(
        long,
        value_name = "SECONDS",
        num_args = 0..=1,
        default_missing_value = "300",
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub wait: Option<u64>,
    #[command(flatten)]
    pub init: Init,
}

#[derive(Args, Debug)]
pub struct Sent {
    #[command(subcommand)]
    pub action: Option<SentAction>,
}

#[derive(Subcommand, Debug)]
pub enum SentAction {
    /// Show a note as it was sent: recipient, the key it was encrypted to,
    /// receipt state, body and attachments
    Show {
        /// The number `sealpost sent` shows
        id: u64,
        /// Save the attachments into this folder (never overwriting a file)
        #[arg(long, value_name = "DIR")]
        save_attachments: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct Audit {
    /// Only the entries about this contact (alias or address)
    #[arg(long, value_name = "WHO")]
    pub contact: Option<String>,
    /// Only the entries from this day on (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Recompute the hash chain and name the first entry that breaks it (exit 4)
    #[arg(long, conflicts_with_all = ["contact", "since"])]
    pub verify: bool,
}

#[derive(Args, Debug)]
pub struct Export {
    /// The contact (alias or address) whose record is exported
    #[arg(long, value_name = "WHO", required_unless_present = "verify")]
    pub contact: Option<String>,
    /// The file to write (never overwritten)
    #[arg(long, value_name = "FILE", required_unless_present = "verify")]
    pub out: Option<PathBuf>,
    /// Encrypt it with a passphrase (asked twice on the terminal, or read
    /// from --export-passphrase-file)
    #[arg(long, conflicts_with_all = ["to", "plaintext"])]
    pub to_passphrase: bool,
    /// Encrypt it to this age recipient (age1...); repeat for more
    #[arg(long, value_name = "RECIPIENT", conflicts_with = "plaintext")]
    pub to: Vec<String>,
    /// Write it unencrypted (a client's health record in the clear: only
    /// onto media you control)
    #[arg(long)]
    pub plaintext: bool,
    /// The file holding the export's passphrase (for --to-passphrase and
    /// --verify)
    #[arg(long, value_name = "PATH")]
    pub export_passphrase_file: Option<PathBuf>,
    /// An age identity file to open an export encrypted to a recipient (--verify)
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Check an export: every file against the signed manifest
    #[arg(long, value_name = "FILE", conflicts_with_all = ["contact", "out"])]
    pub verify: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct Retention {
    /// Only the contacts whose records are past their retention period
    #[arg(long)]
    pub due: bool,
}

#[derive(Args, Debug)]
pub struct Forget {
    /// The contact (alias or address) whose records are disposed of
    #[arg(long, value_name = "WHO")]
    pub contact: String,
    /// Also delete their messages from the IMAP inbox and sent folder (or
    /// the local Maildir)
    #[arg(long)]
    pub server: bool,
    /// Do not ask: for scripts (without a terminal, nothing is disposed of
    /// unless this is given)
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct Status {
    /// The number `sealpost sent` shows, or the Message-ID
    pub id: String,
}

#[derive(Args, Debug)]
pub struct Backup {
    /// The backup file to write (or to check, with --verify)
    pub file: PathBuf,
    /// Check that FILE opens and holds every file its manifest lists; write nothing
    #[arg(long)]
    pub verify: bool,
    /// Also encrypt to this age recipient (age1...), e.g. the practice's safe (repeatable)
    #[arg(long, value_name = "RECIPIENT", conflicts_with = "verify")]
    pub to: Vec<String>,
    /// Replace FILE if it exists
    #[arg(long, conflicts_with = "verify")]
    pub force: bool,
    /// With --verify: open with this age identity file (a --to recipient's key, or the recovery key)
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub identity: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct Restore {
    /// The backup file, as `sealpost backup` wrote it
    pub file: PathBuf,
    /// Open with this age identity file (a --to recipient's key, or the recovery key) instead of the passphrase
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct Unlock {
    /// Lock again after this long without use: 15m, 2h, 30s (default: `agent_idle` in the config, else 15m)
    #[arg(long = "for", value_name = "DURATION")]
    pub idle: Option<String>,
    /// Only say whether the store is unlocked, and until when without use
    #[arg(long, conflicts_with = "idle")]
    pub status: bool,
}

#[derive(Args, Debug)]
pub struct Lock {}

#[derive(Args, Debug)]
pub struct AgentServe {
    #[arg(long)]
    pub socket: PathBuf,
    #[arg(long)]
    pub idle_seconds: u64,
}

#[derive(Args, Debug)]
pub struct Demo {
    /// Keep the demo folder instead of deleting it
    #[arg(long)]
    pub keep: bool,
}

#[derive(Args, Debug)]
pub struct GenerateDocs {
    /// Folder to write man/ and completions/ into
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct CompleteContacts {
    /// What the user typed so far
    #[arg(default_value = "", allow_hyphen_values = true)]
    pub prefix: String,
}
