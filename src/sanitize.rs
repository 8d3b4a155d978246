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
    // Once a string sequence found no end, no later one can: it is not
    // looked for again (a text of many `ESC ]` would take quadratic time).
    let mut unended = false;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars, &mut unended),
            '\n' | '\t' if multiline => out.push(c),
            '\n' | '\t' => out.push(' '),
            // Line and paragraph separators end a line as a newline does.
            '\u{2028}' | '\u{2029}' if multiline => out.push('\n'),
            '\u{2028}' | '\u{2029}' => out.push(' '),
            '\r' => {}
            c if c.is_control() => {}
            // Direction marks and overrides (the Arabic letter mark too).
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}' => {}
            // Invisible characters that make one text look like another:
            // zero-width space, word joiner and invisible operators, the
            // byte order mark. (The zero-width joiner and non-joiner stay:
            // scripts and emoji need them; so does Mongolian its vowel
            // separator.)
            '\u{200b}' | '\u{2060}'..='\u{2064}' | '\u{feff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips the rest of an escape sequence after ESC: CSI (`[`, parameter
/// and intermediate bytes, a final byte), OSC, DCS, APC and PM (up to BEL
/// or ST) and two-character escapes. What does not continue the sequence
/// ends it and is kept: a CSI broken by other text, or a string sequence
/// never ended, hides nothing after it (the terminal never sees the ESC).
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, unended: &mut bool) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            while let Some(&c) = chars.peek() {
                match c {
                    '\u{20}'..='\u{3f}' => {
                        chars.next();
                    }
                    '\u{40}'..='\u{7e}' => {
                        chars.next();
                        break;
                    }
                    _ => break,
                }
            }
        }
        Some(']') | Some('P') | Some('_') | Some('^') => {
            chars.next();
            if *unended {
                return;
            }
            let mut ahead = chars.clone();
            while let Some(c) = ahead.next() {
                let ended = c == '\u{7}' || (c == '\u{1b}' && ahead.next_if_eq(&'\\').is_some());
                if ended {
                    *chars = ahead;
                    return;
                }
            }
            *unended = true;
        }
        Some(_) => {
            chars.next();
        }
        None => {}
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
    fn an_escape_never_ended_hides_nothing_after_it() {
        assert_eq!(body("link: \u{1b}]8;;http://x rest of body\nnext"), "link: 8;;http://x rest of body\nnext");
        assert_eq!(line("a\u{1b}[31;\u{e9}b"), "a\u{e9}b");
        assert_eq!(line("a\u{1b}[31\nb"), "a b");
        assert_eq!(line("end\u{1b}"), "end");
        assert_eq!(line("x\u{1b}]0;title\u{1b}\\y"), "xy");
        // Many unended ones: each kept, in linear time (seconds before).
        let many = "\u{1b}]".repeat(200_000);
        assert_eq!(body(&format!("{many}tail")), "tail");
        assert_eq!(line("a\u{1b}]b \u{1b}]c"), "ab c");
    }

    #[test]
    fn invisible_and_direction_characters_are_removed() {
        assert_eq!(line("s\u{200b}a\u{2060}m\u{feff}\u{061c}"), "sam");
        assert_eq!(line("a\u{2028}b\u{2029}c"), "a b c");
        assert_eq!(body("a\u{2028}b"), "a\nb");
        // Joiners stay: scripts and emoji need them.
        assert_eq!(line("\u{1f469}\u{200d}\u{1f4bb} \u{200c}"), "\u{1f469}\u{200d}\u{1f4bb} \u{200c}");
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
