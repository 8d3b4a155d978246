//! The safety code two people compare to verify each other's keys.
//!
//! Derived from both fingerprints, sorted, so both sides compute the same
//! code whichever of them looks. Thirty digits in six groups of five (as in
//! Signal): easy to read aloud in a session, about 100 bits, far beyond what
//! an attacker could match by generating keys.

use sequoia_openpgp::Fingerprint;
use sha2::{Digest, Sha512};

const GROUPS: usize = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetyCode(Vec<u32>);

impl SafetyCode {
    pub fn between(a: &Fingerprint, b: &Fingerprint) -> SafetyCode {
        let (first, second) = if a.as_bytes() <= b.as_bytes() { (a, b) } else { (b, a) };
        let mut hasher = Sha512::new();
        hasher.update(b"sealpost safety code v1\0");
        hasher.update(first.as_bytes());
        hasher.update(second.as_bytes());
        let digest = hasher.finalize();
        let groups = digest
            .chunks(5)
            .take(GROUPS)
            .map(|chunk| {
                let n = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
                (n % 100_000) as u32
            })
            .collect();
        SafetyCode(groups)
    }

    /// Parses a code as typed: digits in any grouping; other characters
    /// (spaces, dashes) are ignored.
    pub fn parse(text: &str) -> Option<SafetyCode> {
        let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != GROUPS * 5 || text.chars().any(|c| c.is_alphabetic()) {
            return None;
        }
        Some(SafetyCode(digits.chunks(5).map(|g| g.iter().fold(0, |acc, d| acc * 10 + d)).collect()))
    }
}

impl std::fmt::Display for SafetyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<String> = self.0.iter().map(|g| format!("{g:05}")).collect();
        f.write_str(&text.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fpr(byte: u8) -> Fingerprint {
        Fingerprint::from_bytes(4, &[byte; 20]).unwrap()
    }

    #[test]
    fn same_code_from_both_sides() {
        let code = SafetyCode::between(&fpr(1), &fpr(2));
        assert_eq!(code, SafetyCode::between(&fpr(2), &fpr(1)));
        assert_ne!(code, SafetyCode::between(&fpr(1), &fpr(3)));
        let text = code.to_string();
        assert_eq!(text.len(), 6 * 5 + 5);
        assert_eq!(SafetyCode::parse(&text), Some(code.clone()));
        assert_eq!(SafetyCode::parse(&text.replace(' ', "-")), Some(code));
        assert_eq!(SafetyCode::parse("12345"), None);
    }
}
