//! Caps on decompression, so that a zip or gzip bomb costs a located error, not the machine.
//!
//! Two limits, both on bytes actually produced (headers that state sizes can lie):
//! * per stream (a zip member, a gzip stream): at most [`MAX_RATIO`] times its compressed size,
//!   once past [`FREE_BYTES`]. Real telemetry compresses 5–35× (the largest ratio among the shared
//!   recordings is 35×); DEFLATE bombs run at about 1000×.
//! * per top-level input: at most [`MAX_TOTAL`] bytes decompressed across all its members and
//!   nesting levels (nested bombs such as 42.zip stay small at every level).

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// How many times its compressed size a stream may grow to.
pub const MAX_RATIO: u64 = 200;
/// Bytes any stream may produce whatever its ratio (small, very regular files compress well).
pub const FREE_BYTES: u64 = 64 << 20;
/// Bytes one input may decompress to in all: [`MAX_RATIO`] times its size, at least 4 GiB; 64 GiB
/// when its size is not known (stdin).
pub const MAX_TOTAL: u64 = 64 << 30;
const MIN_TOTAL: u64 = 4 << 30;

/// The bytes an input may still decompress to, shared by its archive members and levels.
#[derive(Debug, Clone)]
pub struct Allowance(Rc<Cell<u64>>);

impl Default for Allowance {
    fn default() -> Self {
        Allowance(Rc::new(Cell::new(MAX_TOTAL)))
    }
}

impl Allowance {
    /// The allowance of an input of `size` bytes (see [`MAX_TOTAL`]).
    pub fn for_size(size: Option<u64>) -> Allowance {
        let total = size.map_or(MAX_TOTAL, |s| s.saturating_mul(MAX_RATIO).max(MIN_TOTAL));
        Allowance(Rc::new(Cell::new(total)))
    }
}

/// Counts the compressed bytes a decoder pulls from its source.
pub struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R> Counted<R> {
    pub fn new(inner: R) -> (Counted<R>, Rc<Cell<u64>>) {
        let count = Rc::new(Cell::new(0));
        (
            Counted {
                inner,
                count: count.clone(),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Where a stream's compressed size comes from.
pub enum Compressed {
    /// Known up front (a zip member's stored size).
    Known(u64),
    /// Counted as the decoder reads (a gzip stream).
    Counted(Rc<Cell<u64>>),
}

/// A decompressing reader that fails once it passes its limits.
pub struct Capped<R> {
    inner: R,
    produced: u64,
    compressed: Compressed,
    allowance: Allowance,
}

impl<R> Capped<R> {
    pub fn new(inner: R, compressed: Compressed, allowance: &Allowance) -> Capped<R> {
        Capped {
            inner,
            produced: 0,
            compressed,
            allowance: allowance.clone(),
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let left = self.allowance.0.get();
        if n as u64 > left {
            return Err(io::Error::other(format!(
                "decompression stopped: the input expanded past its allowance of {MAX_RATIO}× its size (at least {} GiB) in all (a decompression bomb?)",
                MIN_TOTAL >> 30
            )));
        }
        self.allowance.0.set(left - n as u64);
        let compressed = match &self.compressed {
            Compressed::Known(c) => *c,
            Compressed::Counted(c) => c.get(),
        };
        if self.produced > FREE_BYTES && self.produced > compressed.max(1) * MAX_RATIO {
            return Err(io::Error::other(format!(
                "decompression stopped after {} MB from {} bytes: more than {MAX_RATIO}× (a decompression bomb?)",
                self.produced / 1_000_000,
                compressed
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_past_the_ratio_fails_and_one_within_it_does_not() {
        let zeros = io::repeat(0).take(FREE_BYTES + (1 << 20));
        let mut bomb = Capped::new(zeros, Compressed::Known(1000), &Allowance::default());
        let err = io::copy(&mut bomb, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");

        let ok = io::repeat(0).take(FREE_BYTES + (1 << 20));
        let mut fine = Capped::new(ok, Compressed::Known(1 << 20), &Allowance::default());
        assert_eq!(
            io::copy(&mut fine, &mut io::sink()).unwrap(),
            FREE_BYTES + (1 << 20)
        );
    }

    #[test]
    fn the_allowance_is_shared_by_every_stream_of_an_input() {
        let allowance = Allowance(Rc::new(Cell::new(100)));
        let mut a = Capped::new(io::repeat(1).take(60), Compressed::Known(60), &allowance);
        io::copy(&mut a, &mut io::sink()).unwrap();
        let mut b = Capped::new(io::repeat(1).take(60), Compressed::Known(60), &allowance);
        assert!(io::copy(&mut b, &mut io::sink()).is_err());
    }
}
