//! The byte stream every parser reads: buffered, counted against
//! [`crate::Limits::max_bytes`], and without a leading UTF-8 byte order mark,
//! which Windows tools like to write and JSON parsers reject.

use std::io::{self, BufReader, Chain, Cursor, Read};

/// How many bytes a parser asks the source for at a time.
const BUFFER: usize = 64 * 1024;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The reader parsers consume.
pub(crate) type Input<R> = BufReader<Chain<Cursor<Vec<u8>>, Limited<R>>>;

/// Wraps `reader` for parsing: counted against `max_bytes`, buffered, with a
/// byte order mark removed.
pub(crate) fn open<R: Read>(reader: R, max_bytes: u64) -> io::Result<Input<R>> {
    let mut limited = Limited { inner: reader, read: 0, limit: max_bytes };

    let mut head = Vec::with_capacity(BOM.len());
    (&mut limited).take(BOM.len() as u64).read_to_end(&mut head)?;
    if head == BOM {
        head.clear();
    }

    Ok(BufReader::with_capacity(BUFFER, Cursor::new(head).chain(limited)))
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
        assert_eq!(read_all(b"\xEF\xBB", 100).unwrap(), b"\xEF\xBB");
        assert_eq!(read_all(b"{}", 100).unwrap(), b"{}");
    }

    #[test]
    fn other_errors_are_not_taken_for_the_limit() {
        assert!(!is_too_large(&io::Error::other("disk on fire")));
    }
}
