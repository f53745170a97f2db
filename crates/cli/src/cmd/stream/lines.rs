//! Line sources for `stream`: stdin, and a growing file followed like `tail -F`.
//!
//! Each runs on its own thread and sends batches of `(line number, bytes)` down a bounded channel,
//! so the stream loop can check for shutdown while the source waits for input. A batch is sent as
//! soon as no more input is ready, so a quiet stream's lines are not held back.
//!
//! Following polls (every 200 ms) rather than using file-system notifications: it works the same on
//! every file system, network mounts included. Rotation (the path now names another file) is seen by
//! comparing device and inode; the old file is read to its end first. Truncation (the file shorter
//! than what was read) restarts at its beginning. Line numbers count from 1 in each file.

use std::io::{BufRead, BufReader, Read as _};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::Duration;

/// A batch of lines, or the end of the source (with the error that ended it, if one did).
pub enum Lines {
    Batch(Vec<(u64, Vec<u8>)>),
    /// Line N was longer than [`MAX_LINE`] (its length given): skipped without being held.
    TooLong(u64, u64),
    /// The file was rotated or truncated: line numbers restart.
    Restarted(String),
    End(Option<std::io::Error>),
}

const BATCH: usize = 1024;

/// The longest line kept, as for files (`scan`); a longer one is skipped as it is read.
pub use dllhound_ingest::MAX_LINE;

/// What a stream that is not lines of records is, by its first bytes: `stream` reads JSON or XML
/// records one per line; a whole binary log or archive belongs to `scan`.
pub fn not_lines(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"ElfFile\0") {
        Some("an EVTX file")
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip data")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive")
    } else {
        None
    }
}

/// Reads stdin to its end (a last line without a newline counts).
pub fn stdin(tx: SyncSender<Lines>) {
    let mut r = BufReader::with_capacity(1 << 20, std::io::stdin());
    if let Some(what) = r.fill_buf().ok().and_then(not_lines) {
        let _ = tx.send(Lines::End(Some(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "this is {what}, not lines of JSON or XML records: `dllhound stream` reads a live feed; scan a saved log with `dllhound scan FILE` (or `dllhound scan -` from a pipe)"
            ),
        ))));
        return;
    }
    let mut line_no = 0u64;
    let mut skipping = None;
    let end = pump(
        &mut r,
        &mut line_no,
        &mut skipping,
        &tx,
        &AtomicBool::new(false),
        false,
    );
    let _ = tx.send(Lines::End(end.err()));
}

/// What [`read_capped`] read.
enum Got {
    Eof,
    /// A whole line, newline included.
    Line,
    /// Bytes without a newline before the end of what is there now.
    Partial,
    /// The end of a line longer than [`MAX_LINE`], of this many bytes (none of them kept).
    TooLong(u64),
}

/// `read_until(b'\n')` that never holds more than [`MAX_LINE`] bytes: past it the line's bytes are
/// counted in `skipping` and dropped until its newline (which may come in a later call).
fn read_capped<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    skipping: &mut Option<u64>,
) -> std::io::Result<Got> {
    let mut any = false;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(if any { Got::Partial } else { Got::Eof });
        }
        any = true;
        let (take, newline) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        match skipping {
            Some(n) => *n += take as u64,
            None if buf.len() + take > MAX_LINE => {
                *skipping = Some((buf.len() + take) as u64);
                *buf = Vec::new();
            }
            None => buf.extend_from_slice(&avail[..take]),
        }
        r.consume(take);
        if newline {
            return Ok(match skipping.take() {
                Some(n) => Got::TooLong(n),
                None => Got::Line,
            });
        }
    }
}

/// Reads lines from `r` until it has no more for now (EOF) or `stop`, and sends them in batches.
/// With `hold_partial`, a last line without its newline (a writer mid-line) is returned instead of
/// sent, to be completed later.
fn pump<R: std::io::Read>(
    r: &mut BufReader<R>,
    line_no: &mut u64,
    skipping: &mut Option<u64>,
    tx: &SyncSender<Lines>,
    stop: &AtomicBool,
    hold_partial: bool,
) -> std::io::Result<Vec<u8>> {
    let mut batch = Vec::new();
    let mut partial = Vec::new();
    loop {
        let mut buf = Vec::new();
        let too_long = match read_capped(r, &mut buf, skipping)? {
            Got::Eof => break,
            Got::Partial if hold_partial => {
                partial = buf;
                break;
            }
            // The last line of a source that ends without a newline.
            Got::Partial => skipping.take(),
            Got::Line => None,
            Got::TooLong(n) => Some(n),
        };
        *line_no += 1;
        if let Some(n) = too_long {
            // In order: the lines before it first.
            if !batch.is_empty() {
                let _ = tx.send(Lines::Batch(std::mem::take(&mut batch)));
            }
            if tx.send(Lines::TooLong(*line_no, n)).is_err() {
                return Ok(partial);
            }
            continue;
        }
        batch.push((*line_no, buf));
        if (batch.len() >= BATCH || r.buffer().is_empty())
            && (tx.send(Lines::Batch(std::mem::take(&mut batch))).is_err()
                || stop.load(Ordering::Relaxed))
        {
            return Ok(partial);
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Lines::Batch(batch));
    }
    Ok(partial)
}

/// Identity of the file a path names, to notice rotation: device and inode on Unix, volume serial
/// and file index on Windows (the `same-file` crate).
fn identity(path: &Path) -> Option<same_file::Handle> {
    same_file::Handle::from_path(path).ok()
}

/// Follows `path` until `stop`: reads what is there, then what is appended, across rotation and
/// truncation. Waits for the file if it does not exist yet.
pub fn follow(path: PathBuf, tx: SyncSender<Lines>, stop: Arc<AtomicBool>) {
    let poll = Duration::from_millis(200);
    'files: while !stop.load(Ordering::Relaxed) {
        let Ok(file) = std::fs::File::open(&path) else {
            std::thread::sleep(poll);
            continue;
        };
        let id = identity(&path);
        let mut head = file_head(&path);
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut line_no = 0u64;
        let mut pos = 0u64;
        let mut partial: Vec<u8> = Vec::new();
        let mut skipping = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                break 'files;
            }
            let mut counting = Counting {
                inner: &mut r,
                n: 0,
            };
            let held = std::io::Cursor::new(std::mem::take(&mut partial));
            let mut chained = BufReader::new(held.chain(&mut counting));
            match pump(&mut chained, &mut line_no, &mut skipping, &tx, &stop, true) {
                Ok(p) => partial = p,
                Err(e) => {
                    let _ = tx.send(Lines::End(Some(e)));
                    return;
                }
            }
            drop(chained);
            pos += counting.n;
            std::thread::sleep(poll);
            let len = std::fs::metadata(&path).map(|m| m.len()).ok();
            if identity(&path) != id {
                // Rotated: finish the old file, then open the new one.
                let mut rest = Vec::new();
                let _ = r.read_to_end(&mut rest);
                partial.extend(rest);
                if !partial.is_empty() {
                    let mut c = BufReader::new(std::io::Cursor::new(std::mem::take(&mut partial)));
                    let _ = pump(&mut c, &mut line_no, &mut skipping, &tx, &stop, false);
                }
                let _ = tx.send(Lines::Restarted(format!("{} was rotated", path.display())));
                continue 'files;
            }
            // Shorter than what was read, or rewritten from the start since (a truncate and a
            // longer write between two polls leaves the size larger): read it from the start.
            let now = file_head(&path);
            let rewritten = !now.starts_with(&head);
            head = now;
            if len.is_some_and(|l| l < pos) || rewritten {
                let _ = tx.send(Lines::Restarted(format!(
                    "{} was truncated",
                    path.display()
                )));
                continue 'files;
            }
        }
    }
    let _ = tx.send(Lines::End(None));
}

/// Bytes of a file's start compared between polls to notice it being rewritten.
const FINGERPRINT: usize = 256;

/// Up to [`FINGERPRINT`] bytes from the start of the file at `path` (empty if unreadable).
fn file_head(path: &Path) -> Vec<u8> {
    let mut buf = Vec::with_capacity(FINGERPRINT);
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(FINGERPRINT as u64).read_to_end(&mut buf);
    }
    buf
}

/// Counts bytes read through it.
struct Counting<'a, R> {
    inner: &'a mut R,
    n: u64,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}
