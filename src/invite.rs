//! Invite codes, and the invites and joins in progress.
//!
//! An invite code is what the inviter hands over in person (printed, as a QR
//! code, or read aloud). It holds the inviter's address, the first 128 bits
//! of its fingerprint, a 128-bit seed and the expiry, with a checksum that catches a mistyped character:
//!
//! ```text
//! SEALPOST2:ada@practice.example:ABCD-EFGH-...   (61 base32 characters)
//! ```
//!
//! Why this is as strong as the longer first form (`SEALPOST1`, the whole
//! fingerprint and separate token and secret, 77 characters), and still read:
//! - The fingerprint authenticates the inviter's key against someone who
//!   answers in the inviter's place. They must make a key whose fingerprint
//!   starts with the same 128 bits: a second preimage, 2^128 work, within
//!   the life of one invite. Collisions do not help, because the inviter's
//!   key exists before the code does.
//! - The token and the auth secret are derived from the seed with SHA-256
//!   under distinct labels, so the secret keeps the seed's 128 bits; what
//!   goes over the wire (the token, and the password derived from the
//!   secret) is the same as for the first form, so either side may be older.
//!
//! Both sides keep their half of the handshake in the encrypted store: the
//! inviter its invites (`invites.age`), the joiner its joins (`joins.age`).

use std::fmt;

use anyhow::{bail, Context, Result};
use data_encoding::BASE32_NOPAD;
use sequoia_openpgp::Fingerprint;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contacts::now;
use crate::keys;
use crate::store::Store;

/// The form handed out now.
const PREFIX: &str = "SEALPOST2";
/// The first form, still read: codes handed out by older versions.
const PREFIX_V1: &str = "SEALPOST1";
const TOKEN_BYTES: usize = 6;
const SECRET_BYTES: usize = 16;
const SEED_BYTES: usize = 16;
/// How much of the fingerprint a code carries (see the module comment).
const FINGERPRINT_PREFIX_BYTES: usize = 16;
/// Seconds since 1970, modulo 2^32 (136 years): an invite lives at most
/// 90 days, so the one value nearest the present is meant, also after 2106.
const EXPIRY_BYTES: usize = 4;
const EXPIRY_MODULUS: u64 = 1 << (8 * EXPIRY_BYTES);
const CHECKSUM_BYTES: usize = 2;
const V1_BYTES: usize = 20 + TOKEN_BYTES + SECRET_BYTES + 4 + CHECKSUM_BYTES;
const V2_BYTES: usize = FINGERPRINT_PREFIX_BYTES + SEED_BYTES + EXPIRY_BYTES + CHECKSUM_BYTES;
const INVITES: &str = "invites.age";
const JOINS: &str = "joins.age";

/// A parsed invite code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteCode {
    pub address: String,
    /// The inviter's fingerprint, or (in the current form) its first 128
    /// bits; upper-case hex. Compare keys with [`fingerprint_matches`].
    pub fingerprint: String,
    /// Hex.
    pub token: String,
    /// Hex.
    pub secret: String,
    pub expires_at: u64,
    /// The seed the token and secret come from (current form only).
    seed: Option<[u8; SEED_BYTES]>,
}

/// The time nearest `present` whose remainder modulo 2^32 is `field`. A code
/// that expired more than 68 years ago would read as valid here; the
/// inviter, who keeps the exact expiry, refuses it.
fn nearest_time(field: u64, present: u64) -> u64 {
    let ahead = (field + EXPIRY_MODULUS - present % EXPIRY_MODULUS) % EXPIRY_MODULUS;
    if ahead < EXPIRY_MODULUS / 2 {
        present + ahead
    } else {
        (present + ahead).saturating_sub(EXPIRY_MODULUS)
    }
}

/// Whether the key `fingerprint` (full, hex) is the one `named` (full, or
/// the 128-bit prefix an invite code carries).
pub fn fingerprint_matches(fingerprint: &str, named: &str) -> bool {
    named.len() >= FINGERPRINT_PREFIX_BYTES * 2
        && fingerprint.len() >= named.len()
        && fingerprint[..named.len()].eq_ignore_ascii_case(named)
}

impl InviteCode {
    /// A fresh code for `address` and `fingerprint`, valid until `expires_at`.
    pub fn generate(address: &str, fingerprint: &Fingerprint, expires_at: u64) -> InviteCode {
        let mut seed = [0u8; SEED_BYTES];
        sequoia_openpgp::crypto::random(&mut seed).expect("the system random source works");
        let fingerprint = fingerprint.to_hex()[..FINGERPRINT_PREFIX_BYTES * 2].to_string();
        Self::from_seed(keys::normalize_address(address), fingerprint, seed, expires_at)
    }

    fn from_seed(address: String, fingerprint: String, seed: [u8; SEED_BYTES], expires_at: u64) -> InviteCode {
        let derive = |label: &str, n: usize| {
            hex(&Sha256::new().chain_update(label.as_bytes()).chain_update(seed).finalize()[..n])
        };
        InviteCode {
            address,
            fingerprint,
            token: derive("sealpost invite token", TOKEN_BYTES),
            secret: derive("sealpost invite secret", SECRET_BYTES),
            expires_at,
            seed: Some(seed),
        }
    }

    fn checksum(prefix: &str, address: &str, payload: &[u8]) -> [u8; CHECKSUM_BYTES] {
        let digest = Sha256::new()
            .chain_update(prefix.as_bytes())
            .chain_update(address.as_bytes())
            .chain_update(payload)
            .finalize();
        [digest[0], digest[1]]
    }

    /// Checks the form of a code: prefix, address, length, checksum. Says
    /// what is wrong, never guesses.
    pub fn parse(text: &str) -> Result<InviteCode> {
        let text: String = text.split_whitespace().collect();
        let mut parts = text.splitn(3, ':');
        let (Some(prefix), Some(address), Some(blob)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("this is not a sealpost invite code: it should look like {PREFIX}:ADDRESS:XXXX-XXXX-...");
        };
        let (prefix, expected) = if prefix.eq_ignore_ascii_case(PREFIX) {
            (PREFIX, V2_BYTES)
        } else if prefix.eq_ignore_ascii_case(PREFIX_V1) {
            (PREFIX_V1, V1_BYTES)
        } else {
            bail!("this is not a sealpost invite code: it should start with {PREFIX}:");
        };
        keys::check_address(address).context("the invite code names no valid address")?;
        let address = keys::normalize_address(address);
        let blob: String = blob.chars().filter(|c| *c != '-').collect::<String>().to_uppercase();
        let length = BASE32_NOPAD.encode_len(expected);
        if blob.len() != length {
            bail!(
                "the invite code is {} characters too short or long; check it for typos",
                blob.len().abs_diff(length)
            );
        }
        let bytes = BASE32_NOPAD
            .decode(blob.as_bytes())
            .ok()
            .context("the invite code has characters that cannot be in it; check it for typos")?;
        let (payload, checksum) = bytes.split_at(expected - CHECKSUM_BYTES);
        if Self::checksum(prefix, &address, payload) != checksum {
            bail!("the invite code does not check out (a mistyped character?); nothing was sent");
        }
        if prefix == PREFIX {
            let (fingerprint, rest) = payload.split_at(FINGERPRINT_PREFIX_BYTES);
            let (seed, expiry) = rest.split_at(SEED_BYTES);
            let expiry = expiry.iter().fold(0u64, |n, b| n << 8 | *b as u64);
            let seed = seed.try_into().expect("16 bytes");
            let expires_at = nearest_time(expiry, now());
            return Ok(Self::from_seed(address, hex(fingerprint).to_uppercase(), seed, expires_at));
        }
        let fingerprint = hex(&payload[..20]).to_uppercase();
        let token = hex(&payload[20..20 + TOKEN_BYTES]);
        let secret = hex(&payload[20 + TOKEN_BYTES..20 + TOKEN_BYTES + SECRET_BYTES]);
        let expires_at = u32::from_be_bytes(payload[20 + TOKEN_BYTES + SECRET_BYTES..].try_into().expect("4 bytes"));
        Ok(InviteCode { address, fingerprint, token, secret, expires_at: expires_at as u64, seed: None })
    }
}

impl fmt::Display for InviteCode {
    /// The current form. Only generated codes are shown; a parsed first-form
    /// code has no seed, and is shown as its address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(seed) = self.seed else {
            return write!(f, "{PREFIX_V1}:{}:...", self.address);
        };
        let mut payload = hex_bytes(&self.fingerprint).expect("the fingerprint is hex");
        payload.extend(seed);
        payload.extend(&(self.expires_at % EXPIRY_MODULUS).to_be_bytes()[8 - EXPIRY_BYTES..]);
        let checksum = Self::checksum(PREFIX, &self.address, &payload);
        payload.extend(checksum);
        let encoded = BASE32_NOPAD.encode(&payload);
        let groups: Vec<&str> =
            encoded.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("base32 is ASCII")).collect();
        write!(f, "{PREFIX}:{}:{}", self.address, groups.join("-"))
    }
}

/// Where an invite stands, on the inviter's side.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum InviteState {
    /// Not used yet.
    Open,
    /// A join request came and was answered; waiting for the auth message.
    /// The request's key is kept here, not pinned: it is pinned (verified)
    /// only once the proof signed by it checks out, so a forged request
    /// leaves no trace among the contacts.
    Answered {
        address: String,
        fingerprint: String,
        at: u64,
        /// The key of the request, armored. Invites answered before keys
        /// were kept here pinned the key at the request instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// The nonce sent in the answer, encrypted to the request's key
        /// only; the proof must carry it back. Invites answered before
        /// nonces were used have none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// The joiner proved the code and is verified.
    Completed {
        address: String,
        fingerprint: String,
        at: u64,
    },
    /// The join failed; the invite is used up.
    Failed {
        address: String,
        reason: String,
        at: u64,
    },
    Revoked {
        at: u64,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Invite {
    pub token: String,
    pub secret: String,
    /// Only this address may join with it.
    pub for_address: Option<String>,
    pub created_at: u64,
    pub expires_at: u64,
    #[serde(flatten)]
    pub state: InviteState,
    /// SHA-256 of every join request handled for this invite: a request
    /// replayed (by a mail provider, say) is recognised and not answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
    /// Signed refusals sent for this invite; bounded, so that nobody can
    /// make the user's account mail others again and again.
    #[serde(default)]
    pub refusals: u32,
}

impl Invite {
    pub fn expired(&self) -> bool {
        now() >= self.expires_at
    }

    /// One phrase for listings: open, answered, completed, failed, revoked, expired.
    pub fn describe(&self) -> String {
        match &self.state {
            InviteState::Open if self.expired() => "expired, unused".to_string(),
            InviteState::Open => "open".to_string(),
            InviteState::Answered { address, .. } => format!("answered {address}; waiting for their auth message"),
            InviteState::Completed { address, .. } => format!("used: {address} joined and is verified"),
            InviteState::Failed { address, reason, .. } => format!("used: the join of {address} failed: {reason}"),
            InviteState::Revoked { .. } => "revoked".to_string(),
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
pub struct Invites {
    pub invites: Vec<Invite>,
}

impl Invites {
    pub fn load(store: &Store) -> Result<Invites> {
        Ok(store.read(INVITES)?.unwrap_or_default())
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        store.write(INVITES, self)
    }

    pub fn by_token(&self, token: &str) -> Option<&Invite> {
        self.invites.iter().find(|i| i.token == token)
    }

    pub fn by_token_mut(&mut self, token: &str) -> Option<&mut Invite> {
        self.invites.iter_mut().find(|i| i.token == token)
    }

    /// Removes every invite made for `address` or used by it (`forget`):
    /// its listing names them. Says how many.
    pub fn forget(&mut self, address: &str) -> usize {
        let before = self.invites.len();
        self.invites.retain(|i| {
            let used_by = match &i.state {
                InviteState::Answered { address: a, .. }
                | InviteState::Completed { address: a, .. }
                | InviteState::Failed { address: a, .. } => Some(a.as_str()),
                InviteState::Open | InviteState::Revoked { .. } => None,
            };
            ![i.for_address.as_deref(), used_by].into_iter().flatten().any(|a| keys::normalize_address(a) == address)
        });
        before - self.invites.len()
    }

    /// The invite whose join involves `address`, newest first.
    pub fn for_contact(&self, address: &str) -> Option<&Invite> {
        self.invites.iter().rev().find(|i| match &i.state {
            InviteState::Answered { address: a, .. }
            | InviteState::Completed { address: a, .. }
            | InviteState::Failed { address: a, .. } => a == address,
            _ => false,
        })
    }
}

/// Where a join stands, on the joiner's side.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "stage", rename_all = "kebab-case")]
pub enum JoinStage {
    /// Step 1 sent; waiting for the inviter's answer.
    RequestSent { at: u64 },
    /// The answer's key matched the code and is pinned; step 3 sent;
    /// waiting for the confirmation.
    AuthSent { at: u64 },
    /// Confirmed: both sides verified.
    Completed { at: u64 },
    /// Refused, by either side; nothing is verified.
    Refused { reason: String, at: u64 },
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Join {
    pub inviter_address: String,
    pub inviter_fingerprint: String,
    pub token: String,
    pub secret: String,
    pub expires_at: u64,
    pub started_at: u64,
    #[serde(flatten)]
    pub stage: JoinStage,
}

impl Join {
    pub fn describe(&self) -> String {
        match &self.stage {
            JoinStage::RequestSent { .. } | JoinStage::AuthSent { .. } if self.expires_at <= now() => {
                format!("expired before it was completed; ask {} for a new invite code", self.inviter_address)
            }
            JoinStage::RequestSent { .. } => {
                format!("join request sent to {}; waiting for their answer (run `sealpost sync`)", self.inviter_address)
            }
            JoinStage::AuthSent { .. } => format!(
                "their key matched the invite code; proof sent; waiting for {} to confirm (run `sealpost sync`)",
                self.inviter_address
            ),
            JoinStage::Completed { .. } => "completed: both sides verified".to_string(),
            JoinStage::Refused { reason, .. } => format!("refused: {reason}"),
        }
    }
}

#[derive(Serialize, Deserialize, Default)]
pub struct Joins {
    pub joins: Vec<Join>,
}

impl Joins {
    pub fn load(store: &Store) -> Result<Joins> {
        Ok(store.read(JOINS)?.unwrap_or_default())
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        store.write(JOINS, self)
    }

    pub fn by_token_mut(&mut self, token: &str) -> Option<&mut Join> {
        self.joins.iter_mut().find(|j| j.token == token)
    }

    /// Removes every join with `address` (`forget`). Says how many.
    pub fn forget(&mut self, address: &str) -> usize {
        let before = self.joins.len();
        self.joins.retain(|j| keys::normalize_address(&j.inviter_address) != address);
        before - self.joins.len()
    }

    /// The newest join with `address`.
    pub fn with(&self, address: &str) -> Option<&Join> {
        let address = keys::normalize_address(address);
        self.joins.iter().rev().find(|j| j.inviter_address == address)
    }
}

/// A duration like `7d`, `12h`, `30m` or `45s`, in seconds.
pub fn parse_duration(text: &str) -> Result<u64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().with_context(|| format!("{text:?} is not a duration like 7d, 12h or 30m"))?;
    let seconds = match unit {
        "d" => n * 86_400,
        "h" => n * 3_600,
        "m" => n * 60,
        "s" => n,
        _ => bail!("{text:?} is not a duration like 7d, 12h or 30m"),
    };
    if seconds == 0 || seconds > 90 * 86_400 {
        bail!("an invite lasts between 1 second and 90 days");
    }
    Ok(seconds)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_round_trips_and_a_typo_is_caught() {
        let cert = keys::generate("Ada", "ada@practice.example").unwrap();
        let code = InviteCode::generate("ada@practice.example", &cert.fingerprint(), 2_000_000_000);
        let text = code.to_string();
        assert!(text.starts_with("SEALPOST2:ada@practice.example:"), "{text}");
        // 61 base32 characters in groups of four; 107 in all for this address.
        let blob = &text["SEALPOST2:ada@practice.example:".len()..];
        assert_eq!(blob.chars().filter(|c| *c != '-').count(), 61, "{text}");
        assert_eq!(text.len(), 107, "{text}");
        let parsed = InviteCode::parse(&text).unwrap();
        assert_eq!(parsed, code);
        assert_eq!(code.expires_at, 2_000_000_000);
        assert!(fingerprint_matches(&cert.fingerprint().to_hex(), &parsed.fingerprint));
        assert_eq!(InviteCode::parse(&text.to_lowercase()).unwrap(), code);
        // Any one changed character is refused.
        let blob_start = text.rfind(':').unwrap() + 1;
        for i in (blob_start..text.len()).filter(|i| text.as_bytes()[*i] != b'-') {
            let mut typo = text.clone().into_bytes();
            typo[i] = if typo[i] == b'A' { b'B' } else { b'A' };
            assert!(InviteCode::parse(std::str::from_utf8(&typo).unwrap()).is_err(), "typo at {i} accepted");
        }
        assert!(InviteCode::parse(&text.replace("ada@", "eve@")).is_err());
        assert!(InviteCode::parse(&text.replace("SEALPOST2", "SEALPOST1")).is_err());
        assert!(InviteCode::parse("SEALPOST2:ada@practice.example:ABCD").is_err());
        assert!(InviteCode::parse("hello").is_err());
        // Two codes share nothing but the address and the key.
        let other = InviteCode::generate("ada@practice.example", &cert.fingerprint(), 2_000_000_000);
        assert_ne!(other.token, code.token);
        assert_ne!(other.secret, code.secret);
        assert_eq!(code.secret.len(), 32, "a 128-bit secret");
    }

    /// Codes handed out by older versions (the whole fingerprint, token and
    /// secret side by side) are still read, to the same values.
    #[test]
    fn a_first_form_code_is_still_read() {
        let cert = keys::generate("Ada", "ada@practice.example").unwrap();
        let fingerprint = cert.fingerprint();
        let token = [7u8; TOKEN_BYTES];
        let secret = [9u8; SECRET_BYTES];
        let mut payload = fingerprint.as_bytes().to_vec();
        payload.extend(token);
        payload.extend(secret);
        payload.extend(2_000_000_000u32.to_be_bytes());
        let checksum = InviteCode::checksum(PREFIX_V1, "ada@practice.example", &payload);
        payload.extend(checksum);
        let text = format!("SEALPOST1:ada@practice.example:{}", BASE32_NOPAD.encode(&payload));
        let code = InviteCode::parse(&text).unwrap();
        assert_eq!(code.fingerprint, fingerprint.to_hex());
        assert_eq!(code.token, hex(&token));
        assert_eq!(code.secret, hex(&secret));
        assert_eq!(code.expires_at, 2_000_000_000);
        assert!(fingerprint_matches(&fingerprint.to_hex(), &code.fingerprint));
    }

    #[test]
    fn the_expiry_is_the_nearest_time_with_its_remainder() {
        for now in [1_780_000_000, 4_294_000_000, 4_295_000_000] {
            for expiry in [now - 5, now, now + 1, now + 90 * 86_400, now + 1_000_000_000] {
                assert_eq!(nearest_time(expiry % EXPIRY_MODULUS, now), expiry, "{now} {expiry}");
            }
        }
        assert_eq!(nearest_time(5, 3), 5);
        assert_eq!(nearest_time(EXPIRY_MODULUS - 1, 3), 0, "never before 1970");
    }

    #[test]
    fn only_the_named_key_matches() {
        let full = "0123456789ABCDEF0123456789ABCDEF01234567";
        assert!(fingerprint_matches(full, full));
        assert!(fingerprint_matches(full, &full[..32]));
        assert!(fingerprint_matches(full, &full[..32].to_lowercase()));
        assert!(!fingerprint_matches(full, &full[..31]), "fewer than 128 bits name no key");
        assert!(!fingerprint_matches(full, ""));
        assert!(!fingerprint_matches(full, "1123456789ABCDEF0123456789ABCDEF"));
        assert!(!fingerprint_matches(&full[..32], full));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap(), 604_800);
        assert_eq!(parse_duration("30m").unwrap(), 1_800);
        assert!(parse_duration("7 weeks").is_err());
        assert!(parse_duration("0d").is_err());
    }
}
