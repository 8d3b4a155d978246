/*
 * SPDX-FileCopyrightText: 2020 Stalwart Labs LLC <hello@stalw.art>
 *
 * SPDX-License-Identifier: Apache-2.0 OR MIT
 */

use std::borrow::Cow;

use super::MessageStream;

impl<'x> MessageStream<'x> {
    pub fn seek_next_part(&mut self, boundary: &[u8]) -> bool {
        if !boundary.is_empty() {
            let mut last_ch = 0;

            self.checkpoint();

            while let Some(&ch) = self.next() {
                if ch == b'-' && last_ch == b'-' && self.try_skip(boundary) {
                    return true;
                }

                last_ch = ch;
            }

            self.restore();
        }

        false
    }

    pub fn seek_next_part_offset(&mut self, boundary: &[u8]) -> Option<usize> {
        let mut last_ch = b'\n';
        let mut offset_pos = self.offset();
        self.checkpoint();

        while let Some(&ch) = self.next() {
            if ch == b'\n' {
                offset_pos = if last_ch == b'\r' {
                    self.offset() - 2
                } else {
                    self.offset() - 1
                };
            } else if ch == b'-' && last_ch == b'-' && self.try_skip(boundary) {
                return offset_pos.into();
            }

            last_ch = ch;
        }

        self.restore();

        None
    }

    pub fn mime_part(&mut self, boundary: &[u8]) -> (usize, Cow<'x, [u8]>) {
        let mut last_ch = b'\n';
        let mut before_last_ch = 0;
        let start_pos = self.offset();
        let mut end_pos = self.offset();

        self.checkpoint();

        loop {
            // sealpost: a run of bytes that the loop below would only pass
            // over (none of LF and `-`) is passed at once, with the last two
            // bytes the loop keeps.
            let rest = self.rest();
            let run = memchr::memchr2(b'\n', b'-', rest).unwrap_or(rest.len());
            if run > 0 {
                before_last_ch = if run > 1 { rest[run - 2] } else { last_ch };
                last_ch = rest[run - 1];
                self.skip_bytes(run);
            }
            let Some(&ch) = self.next() else { break };
            if ch == b'\n' {
                end_pos = if last_ch == b'\r' {
                    self.offset() - 2
                } else {
                    self.offset() - 1
                };
            } else if ch == b'-'
                && !boundary.is_empty()
                && last_ch == b'-'
                && self.try_skip(boundary)
            {
                if before_last_ch != b'\n' {
                    end_pos = self.offset() - boundary.len() - 2;
                }
                return (end_pos, self.bytes(start_pos..end_pos).into());
            }

            before_last_ch = last_ch;
            last_ch = ch;
        }

        (
            if boundary.is_empty() {
                self.offset()
            } else {
                self.restore();
                usize::MAX
            },
            self.bytes(start_pos..self.len()).into(),
        )
    }

    pub fn seek_part_end(&mut self, boundary: Option<&[u8]>) -> (usize, bool) {
        let mut last_ch = b'\n';
        let mut before_last_ch = 0;
        let mut end_pos = self.offset();

        if let Some(boundary) = boundary {
            while let Some(&ch) = self.next() {
                if ch == b'\n' {
                    end_pos = if last_ch == b'\r' {
                        self.offset() - 2
                    } else {
                        self.offset() - 1
                    };
                } else if ch == b'-' && last_ch == b'-' && self.try_skip(boundary) {
                    if before_last_ch != b'\n' {
                        end_pos = self.offset() - boundary.len() - 2;
                    }
                    return (end_pos, true);
                }

                before_last_ch = last_ch;
                last_ch = ch;
            }

            (self.offset(), false)
        } else {
            self.seek_end();
            (self.offset(), true)
        }
    }

    pub fn is_multipart_end(&mut self) -> bool {
        self.checkpoint();

        match (self.next(), self.peek()) {
            (Some(b'\r'), Some(b'\n')) => {
                self.next();
                false
            }
            (Some(b'-'), Some(b'-')) => {
                self.next();
                true
            }
            (Some(b'\n'), _) => false,
            (Some(&a), _) if a.is_ascii_whitespace() => {
                self.skip_crlf();
                false
            }
            _ => {
                self.restore();
                false
            }
        }
    }

    #[inline(always)]
    pub fn skip_crlf(&mut self) {
        while let Some(ch) = self.peek() {
            match ch {
                b'\r' | b' ' | b'\t' => {
                    self.next();
                }
                b'\n' => {
                    self.next();
                    break;
                }
                _ => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::MessageStream;

    /// `mime_part` as mail-parser 0.11.9 publishes it.
    fn published<'x>(stream: &mut MessageStream<'x>, boundary: &[u8]) -> (usize, Cow<'x, [u8]>) {
        let mut last_ch = b'\n';
        let mut before_last_ch = 0;
        let start_pos = stream.offset();
        let mut end_pos = stream.offset();

        stream.checkpoint();

        while let Some(&ch) = stream.next() {
            if ch == b'\n' {
                end_pos = if last_ch == b'\r' {
                    stream.offset() - 2
                } else {
                    stream.offset() - 1
                };
            } else if ch == b'-'
                && !boundary.is_empty()
                && last_ch == b'-'
                && stream.try_skip(boundary)
            {
                if before_last_ch != b'\n' {
                    end_pos = stream.offset() - boundary.len() - 2;
                }
                return (end_pos, stream.bytes(start_pos..end_pos).into());
            }

            before_last_ch = last_ch;
            last_ch = ch;
        }

        (
            if boundary.is_empty() {
                stream.offset()
            } else {
                stream.restore();
                usize::MAX
            },
            stream.bytes(start_pos..stream.len()).into(),
        )
    }

    /// sealpost: the patched `mime_part` returns what the published one
    /// does, and leaves the stream where it does, on generated inputs made
    /// of the bytes that matter to it (line ends, dashes, boundaries and
    /// closing boundaries, bytes above 0x7f), from random start positions,
    /// with and without a boundary.
    #[test]
    fn mime_part_matches_the_published_one() {
        let alphabet: &[&[u8]] = &[
            b"a", b"Z", b" ", b"=", b"\r\n", b"\n", b"\r", b"-", b"--", b"---", b"--bnd", b"\n--bnd", b"\r\n--bnd--",
            b"-bnd", b"--bn", b"\xc3", b"\xff", b"armored+base64/line", b"\n\n",
        ];
        crate::parsers::for_generated_inputs(alphabet, 200_000, |input, start, boundary| {
            let (mut a, mut b) = (MessageStream::new(input), MessageStream::new(input));
            a.skip_bytes(start);
            b.skip_bytes(start);
            let fast = a.mime_part(boundary);
            let slow = published(&mut b, boundary);
            assert_eq!(fast, slow, "input {:?} from {start}, boundary {:?}", String::from_utf8_lossy(input), boundary);
            assert_eq!(a.offset(), b.offset(), "input {:?}", String::from_utf8_lossy(input));
            assert_eq!(a.next(), b.next(), "input {:?}", String::from_utf8_lossy(input));
        });
    }
}
