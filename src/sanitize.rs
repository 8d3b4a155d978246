//! Untrusted text made safe for a terminal.
//!
//! Subjects, names, bodies, file names and user IDs come from other people.
//! Before display they lose every control character and escape sequence (so
//! a message cannot move the cursor, retitle the window or hide text) and the
//! Unicode bidirectional overrides that can make one address look like
//! another. Bodies keep newlines and tabs; single-line fields keep neither.

/// Text for a single line (subject, name, address, file name).
pub fn line(text: &str) -> String {
    clean(text, false)
}

/// Text of a message body: newlines and tabs kept.
pub fn body(text: &str) -> String {
    clean(text, true)
}

fn clean(text: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\n' | '\t' if multiline => out.push(c),
            '\n' | '\t' => out.push(' '),
            '\r' => {}
            c if c.is_control() => {}
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips the rest of an escape sequence after ESC: CSI (`[` ... final byte),
/// OSC (`]` ... BEL or ST) and two-character escapes.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => {
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
        Some(']') | Some('P') | Some('_') | Some('^') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                    chars.next();
                    break;
                }
            }
        }
        _ => {}
    }
}

/// A file name safe to create in a folder of the user's choosing: no path,
/// no leading dot, no control characters; never empty.
pub fn file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        line(base).chars().filter(|c| !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|')).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "attachment".to_string()
    } else {
        fit(trimmed)
    }
}

/// File names are limited in bytes (255 on most file systems), not in
/// characters: a name is cut to `MAX_NAME_BYTES` at a character boundary,
/// keeping a short extension, with room left for a " (N)" suffix.
const MAX_NAME_BYTES: usize = 200;

fn fit(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 16 => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    let mut end = MAX_NAME_BYTES - ext.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", &stem[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        assert_eq!(line("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(line("x\u{1b}]0;title\u{7}y"), "xy");
        assert_eq!(line("x\u{1b}]8;;http://e\u{1b}\\y"), "xy");
        assert_eq!(line("a\nb\tc\r\u{7}"), "a b c");
        assert_eq!(body("a\nb\tc\r\n"), "a\nb\tc\n");
        assert_eq!(line("evil\u{202e}moc.elpmaxe"), "evilmoc.elpmaxe");
        assert_eq!(line("\u{9b}31m"), "31m");
    }

    #[test]
    fn file_names_lose_paths_and_leading_dots() {
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("..\\x\\.bashrc"), "bashrc");
        assert_eq!(file_name("../.."), "attachment");
        assert_eq!(file_name("notes\u{1b}[2J.txt"), "notes.txt");
        assert_eq!(file_name(""), "attachment");
    }

    #[test]
    fn long_names_are_cut_in_bytes_keeping_the_extension() {
        let long = format!("{}.pdf", "é".repeat(300));
        let fitted = file_name(&long);
        assert!(fitted.len() <= MAX_NAME_BYTES, "{} bytes", fitted.len());
        assert!(fitted.ends_with(".pdf") && fitted.starts_with("éé"), "{fitted}");
        assert_eq!(file_name(&"a".repeat(300)).len(), MAX_NAME_BYTES);
    }
}
