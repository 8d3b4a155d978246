//! Quoting in a reply: only the text `read` showed for a verified message.
//!
//! The quote is the displayed body (the first plain-text part), cleaned as
//! for display, with every OpenPGP armored block left out: a reply never
//! carries ciphertext found in the original back to its sender, and nothing
//! inside the original is ever decrypted for a quote, so a reply cannot be
//! turned into a decryption oracle.

use crate::sanitize;

/// `body` as a quote: each line prefixed with `> `, armored blocks replaced
/// by a note.
///
/// A block is recognised wherever its header line appears, in any case,
/// also quoted (`> -----BEGIN PGP`), dash-escaped (`- -----BEGIN PGP`) or
/// after other text on the line: a client that decrypts inline blocks in
/// replies would find it in any of those forms. Erring this way only ever
/// quotes less.
pub fn quote(body: &str) -> String {
    let mut out = String::new();
    let mut in_armor = false;
    for line in sanitize::body(body).lines() {
        let upper = line.to_ascii_uppercase();
        if !in_armor && upper.contains("BEGIN PGP") {
            in_armor = !upper.contains("END PGP");
            out.push_str("> [an OpenPGP block is not quoted]\n");
            continue;
        }
        if in_armor {
            if upper.contains("END PGP") {
                in_armor = false;
            }
            continue;
        }
        out.push_str(if line.is_empty() { ">" } else { "> " });
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `Re: subject`, without stacking `Re: Re:`.
pub fn reply_subject(subject: Option<&str>) -> String {
    let subject = sanitize::line(subject.unwrap_or("")).trim().to_string();
    let bare =
        subject.get(..3).filter(|p| p.eq_ignore_ascii_case("re:")).map_or(subject.as_str(), |_| subject[3..].trim());
    format!("Re: {bare}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armored_blocks_and_escapes_are_left_out() {
        let body = "See below.\n\n-----BEGIN PGP MESSAGE-----\n\nhQEMA...\n-----END PGP MESSAGE-----\nBye\x1b[31m\n";
        assert_eq!(quote(body), "> See below.\n>\n> [an OpenPGP block is not quoted]\n> Bye\n");
        // An unterminated block hides everything after it.
        assert_eq!(quote("a\n-----BEGIN PGP MESSAGE-----\nsecret\n"), "> a\n> [an OpenPGP block is not quoted]\n");
    }

    #[test]
    fn armored_blocks_are_found_quoted_escaped_mid_line_and_in_any_case() {
        for header in [
            "> -----BEGIN PGP MESSAGE-----",
            "- -----BEGIN PGP MESSAGE-----",
            "see: -----BEGIN PGP MESSAGE-----",
            "-----begin pgp message-----",
        ] {
            let body = format!("Hi\n{header}\nhQEMA-CIPHERTEXT\n> -----END PGP MESSAGE-----\nBye\n");
            assert_eq!(quote(&body), "> Hi\n> [an OpenPGP block is not quoted]\n> Bye\n", "{header}");
        }
    }

    #[test]
    fn subjects_do_not_stack() {
        assert_eq!(reply_subject(Some("Plan")), "Re: Plan");
        assert_eq!(reply_subject(Some("RE: Plan")), "Re: Plan");
        assert_eq!(reply_subject(None), "Re: ");
    }
}
