//! The byte stream every parser reads: buffered, counted against
//! [`crate::Limits::max_bytes`], without a leading UTF-8 byte order mark
//! (which Windows tools like to write and JSON parsers reject), and valid
//! UTF-8: each invalid sequence becomes U+FFFD, the same way every time, so a
//! report with a stray Latin-1 byte still imports and its findings keep their
//! identity from one import to the next.

use std::io::{self, BufReader, Chain, Cursor, Read};

/// How many bytes a parser asks the source for at a time.
const BUFFER: usize = 64 * 1024;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The text stream: limited, without a byte order mark, valid UTF-8.
type Text<R> = Lossy<Chain<Cursor<Vec<u8>>, Limited<R>>>;

/// The reader parsers consume.
pub(crate) type Input<R> = BufReader<Text<R>>;

/// Wraps `reader` for parsing: counted against `max_bytes`, buffered, with a
/// byte order mark removed.
pub(crate) fn open<R: Read>(reader: R, max_bytes: u64) -> io::Result<Input<R>> {
    Ok(BufReader::with_capacity(BUFFER, lossy(reader, max_bytes)?))
}

/// The unbuffered stream under [`open`] and [`open_json`].
fn lossy<R: Read>(reader: R, max_bytes: u64) -> io::Result<Text<R>> {
    let mut limited = Limited { inner: reader, read: 0, limit: max_bytes };

    let mut head = Vec::with_capacity(BOM.len());
    (&mut limited).take(BOM.len() as u64).read_to_end(&mut head)?;
    if head == BOM {
        head.clear();
    }
    Ok(Lossy { inner: Cursor::new(head).chain(limited), out: Vec::new(), at: 0, carry: Vec::new() })
}

/// A JSON report's reader: [`open`], and nesting deeper than `max_depth`
/// fails the read. The JSON parser bounds the depth of what it builds; this
/// bounds the depth of what parsers skip as well.
pub(crate) fn open_json<R: Read>(
    reader: R,
    limits: &crate::Limits,
) -> io::Result<BufReader<DepthGuard<Text<R>>>> {
    let guarded = DepthGuard::new(lossy(reader, limits.max_bytes)?, limits.max_depth);
    Ok(BufReader::with_capacity(BUFFER, guarded))
}

/// Reads a whole JSON report into memory, as text, within the limits.
pub(crate) fn read_json<R: Read>(reader: R, limits: &crate::Limits) -> io::Result<String> {
    let mut bytes = Vec::new();
    open_json(reader, limits)?.read_to_end(&mut bytes)?;
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

/// Whether an I/O error is the one [`DepthGuard`] raises, and where.
pub(crate) fn too_deep_at(error: &io::Error) -> Option<(usize, usize)> {
    error.get_ref()?.downcast_ref::<TooDeep>().map(|deep| (deep.line, deep.column))
}

/// Passes JSON through and fails once arrays and objects nest deeper than
/// the limit (brackets inside strings do not count).
pub(crate) struct DepthGuard<R> {
    inner: R,
    limit: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    line: usize,
    column: usize,
}

/// The error [`DepthGuard`] raises.
#[derive(Debug, thiserror::Error)]
#[error("nested deeper than the limit at line {line} column {column}")]
struct TooDeep {
    line: usize,
    column: usize,
}

impl<R> DepthGuard<R> {
    fn new(inner: R, limit: usize) -> DepthGuard<R> {
        DepthGuard { inner, limit, depth: 0, in_string: false, escaped: false, line: 1, column: 0 }
    }

    fn check(&mut self, bytes: &[u8]) -> io::Result<()> {
        for &byte in bytes {
            self.column += 1;
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    b'\n' => (self.line, self.column) = (self.line + 1, 0),
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > self.limit {
                        let (line, column) = (self.line, self.column);
                        return Err(io::Error::other(TooDeep { line, column }));
                    }
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                b'\n' => (self.line, self.column) = (self.line + 1, 0),
                _ => {}
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for DepthGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.check(buf.get(..n).unwrap_or(&[]))?;
        Ok(n)
    }
}

/// Reads a whole report into memory, as text.
pub(crate) fn read_all<R: Read>(reader: R, max_bytes: u64) -> io::Result<String> {
    let mut bytes = Vec::new();
    open(reader, max_bytes)?.read_to_end(&mut bytes)?;
    // `Lossy` only lets valid UTF-8 through.
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

/// A reader that passes valid UTF-8 through and turns every invalid
/// sequence into U+FFFD, as [`String::from_utf8_lossy`] would for the whole
/// stream, however the stream is cut into reads.
pub(crate) struct Lossy<R> {
    inner: R,
    /// Checked bytes not yet handed out, from `at` on.
    out: Vec<u8>,
    at: usize,
    /// The start of a sequence cut off by the end of the last read.
    carry: Vec<u8>,
}

const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

impl<R: Read> Lossy<R> {
    fn refill(&mut self) -> io::Result<()> {
        let mut raw = std::mem::take(&mut self.carry);
        let start = raw.len();
        raw.resize(start + BUFFER, 0);
        let n = match raw.get_mut(start..) {
            Some(window) => self.inner.read(window)?,
            None => 0,
        };
        raw.truncate(start + n);
        let at_end = n == 0;

        self.out.clear();
        self.at = 0;
        let mut rest: &[u8] = &raw;
        loop {
            match std::str::from_utf8(rest) {
                Ok(_) => {
                    self.out.extend_from_slice(rest);
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    self.out.extend_from_slice(valid);
                    match error.error_len() {
                        Some(len) => {
                            self.out.extend_from_slice(REPLACEMENT);
                            rest = after.get(len..).unwrap_or(&[]);
                        }
                        // A sequence cut off by the end of this read: finish
                        // it with the next one, unless the stream ended.
                        None if at_end => {
                            self.out.extend_from_slice(REPLACEMENT);
                            break;
                        }
                        None => {
                            self.carry = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Lossy<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.out.len() {
            let carried = self.carry.len();
            self.refill()?;
            if self.out.is_empty() && self.carry.len() <= carried {
                return Ok(0);
            }
        }
        let available = self.out.get(self.at..).unwrap_or(&[]);
        let n = available.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        Ok(n)
    }
}

/// Whether an I/O error is the one [`Limited`] raises at its limit.
pub(crate) fn is_too_large(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<LimitExceeded>())
}

/// A reader that fails once more than `limit` bytes came through it.
pub(crate) struct Limited<R> {
    inner: R,
    read: u64,
    limit: u64,
}

/// The error [`Limited`] raises.
#[derive(Debug, thiserror::Error)]
#[error("the report is larger than the limit of {0} bytes")]
struct LimitExceeded(u64);

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Asking for one byte past the limit tells a file of exactly
        // `limit` bytes apart from a larger one.
        let allowed = self.limit.saturating_add(1).saturating_sub(self.read);
        let wanted = usize::try_from(allowed).unwrap_or(usize::MAX).min(buf.len());
        let n = match buf.get_mut(..wanted) {
            Some(window) => self.inner.read(window)?,
            None => 0,
        };

        self.read = self.read.saturating_add(n as u64);
        if self.read > self.limit {
            return Err(io::Error::other(LimitExceeded(self.limit)));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], limit: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        open(bytes, limit)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_file_of_exactly_the_limit_passes() {
        assert_eq!(read_all(b"12345", 5).unwrap(), b"12345");
    }

    #[test]
    fn one_byte_over_the_limit_fails() {
        let err = read_all(b"123456", 5).unwrap_err();
        assert!(is_too_large(&err), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        assert_eq!(read_all(b"\xEF\xBB\xBF{}", 100).unwrap(), b"{}");
        // A cut-off mark is invalid UTF-8 like any other.
        assert_eq!(read_all(b"\xEF\xBB", 100).unwrap(), "\u{fffd}".as_bytes());
        assert_eq!(read_all(b"{}", 100).unwrap(), b"{}");
    }

    #[test]
    fn invalid_utf8_becomes_the_replacement_character_wherever_reads_cut() {
        let bytes = b"caf\xE9 \xF0\x9F\x98\x80 \xE2\x80\x9Cq\xE2\x80\x9D \xEF\xBF\xBD \xF0\x9F";
        let expected = String::from_utf8_lossy(bytes).into_owned();
        assert_eq!(String::from_utf8(read_all_lossy(bytes, usize::MAX)).unwrap(), expected);
        for step in 1..8 {
            let got = read_all_lossy(bytes, step);
            assert_eq!(String::from_utf8(got).unwrap(), expected, "reads of {step} bytes");
        }
    }

    /// Reads through [`Lossy`] from a source that yields `step` bytes a time.
    fn read_all_lossy(bytes: &[u8], step: usize) -> Vec<u8> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                let (head, tail) = self.0.split_at(n);
                buf[..n].copy_from_slice(head);
                self.0 = tail;
                Ok(n)
            }
        }
        let mut lossy =
            Lossy { inner: Trickle(bytes, step), out: Vec::new(), at: 0, carry: Vec::new() };
        let mut out = Vec::new();
        lossy.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn json_nested_past_the_limit_fails_wherever_reads_cut() {
        let limits = crate::Limits { max_bytes: 1 << 20, max_depth: 3 };
        let fine = br#"{"a": [{"b": "[[[[[\"{{{{"}]}"#;
        assert_eq!(read_json(&fine[..], &limits).unwrap().as_bytes(), fine);
        let deep = b"{\n \"a\": [[[1]]]}";
        let err = read_json(&deep[..], &limits).unwrap_err();
        assert_eq!(too_deep_at(&err), Some((2, 9)), "{err}");
        let mut guard = DepthGuard::new(&deep[..], 3);
        let mut one = [0u8; 1];
        let failed = (0..deep.len()).any(|_| guard.read(&mut one).is_err());
        assert!(failed, "read a byte at a time, the guard still trips");
    }

    #[test]
    fn other_errors_are_not_taken_for_the_limit() {
        assert!(!is_too_large(&io::Error::other("disk on fire")));
    }
}
