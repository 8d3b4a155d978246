//! Invite codes, and the invites and joins in progress.
//!
//! An invite code is what the inviter hands over in person (printed, as a QR
//! code, or read aloud). It holds the inviter's address and fingerprint, an
//! invite token, an auth secret and the expiry, with a checksum that catches
//! a mistyped character:
//!
//! ```text
//! SEALPOST1:ada@practice.example:ABCD-EFGH-...   (base32: fpr, token, secret, expiry, checksum)
//! ```
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

const PREFIX: &str = "SEALPOST1";
const TOKEN_BYTES: usize = 6;
const SECRET_BYTES: usize = 16;
const INVITES: &str = "invites.age";
const JOINS: &str = "joins.age";

/// A parsed invite code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteCode {
    pub address: String,
    pub fingerprint: Fingerprint,
    /// Hex.
    pub token: String,
    /// Hex.
    pub secret: String,
    pub expires_at: u64,
}

impl InviteCode {
    /// A fresh code for `address` and `fingerprint`, valid until `expires_at`.
    pub fn generate(address: &str, fingerprint: &Fingerprint, expires_at: u64) -> InviteCode {
        InviteCode {
            address: keys::normalize_address(address),
            fingerprint: fingerprint.clone(),
            token: random_hex(TOKEN_BYTES),
            secret: random_hex(SECRET_BYTES),
            expires_at,
        }
    }

    fn payload(&self) -> Vec<u8> {
        let mut bytes = self.fingerprint.as_bytes().to_vec();
        bytes.extend(hex_bytes(&self.token).expect("a generated token is hex"));
        bytes.extend(hex_bytes(&self.secret).expect("a generated secret is hex"));
        bytes.extend((self.expires_at.min(u32::MAX as u64) as u32).to_be_bytes());
        bytes
    }

    fn checksum(address: &str, payload: &[u8]) -> [u8; 2] {
        let digest = Sha256::new()
            .chain_update(PREFIX.as_bytes())
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
        if !prefix.eq_ignore_ascii_case(PREFIX) {
            bail!("this is not a sealpost invite code: it should start with {PREFIX}:");
        }
        keys::check_address(address).context("the invite code names no valid address")?;
        let address = keys::normalize_address(address);
        let blob: String = blob.chars().filter(|c| *c != '-').collect::<String>().to_uppercase();
        let expected = 20 + TOKEN_BYTES + SECRET_BYTES + 4 + 2;
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
        let (payload, checksum) = bytes.split_at(expected - 2);
        if Self::checksum(&address, payload) != checksum {
            bail!("the invite code does not check out (a mistyped character?); nothing was sent");
        }
        let fingerprint = Fingerprint::from_bytes(4, &payload[..20]).context("the fingerprint in the code")?;
        let token = hex(&payload[20..20 + TOKEN_BYTES]);
        let secret = hex(&payload[20 + TOKEN_BYTES..20 + TOKEN_BYTES + SECRET_BYTES]);
        let expires_at = u32::from_be_bytes(payload[expected - 6..expected - 2].try_into().expect("4 bytes")) as u64;
        Ok(InviteCode { address, fingerprint, token, secret, expires_at })
    }
}

impl fmt::Display for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let payload = self.payload();
        let mut bytes = payload.clone();
        bytes.extend(Self::checksum(&self.address, &payload));
        let encoded = BASE32_NOPAD.encode(&bytes);
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

fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    sequoia_openpgp::crypto::random(&mut bytes).expect("the system random source works");
    hex(&bytes)
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
        assert!(text.starts_with("SEALPOST1:ada@practice.example:"), "{text}");
        assert_eq!(InviteCode::parse(&text).unwrap(), code);
        assert_eq!(InviteCode::parse(&text.to_lowercase().replace("sealpost1", "SEALPOST1")).unwrap(), code);
        // Any one changed character is refused.
        let blob_start = text.rfind(':').unwrap() + 1;
        for i in (blob_start..text.len()).filter(|i| text.as_bytes()[*i] != b'-') {
            let mut typo = text.clone().into_bytes();
            typo[i] = if typo[i] == b'A' { b'B' } else { b'A' };
            assert!(InviteCode::parse(std::str::from_utf8(&typo).unwrap()).is_err(), "typo at {i} accepted");
        }
        assert!(InviteCode::parse(&text.replace("ada@", "eve@")).is_err());
        assert!(InviteCode::parse("SEALPOST1:ada@practice.example:ABCD").is_err());
        assert!(InviteCode::parse("hello").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap(), 604_800);
        assert_eq!(parse_duration("30m").unwrap(), 1_800);
        assert!(parse_duration("7 weeks").is_err());
        assert!(parse_duration("0d").is_err());
    }
}
