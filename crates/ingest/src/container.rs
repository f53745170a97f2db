//! Opening an input: sniff its bytes, unpack archives, hand records to the right decoder.

use crate::csv_rows::decode_csv;
use crate::evtx_file::{decode_evtx, decode_evtx_file, decode_headerless_evtx, is_headerless_evtx};
use crate::expand::{Allowance, Capped, Compressed, Counted};
use crate::formats::FormatChoice;
use crate::json_lines::{decode_lines_stream, decode_text};
use crate::xml::decode_xml;
use crate::{IngestError, Input, InputStats};
use dllhound_model::Event;
use flate2::read::MultiGzDecoder;
use std::io::{Cursor, Read};
use std::sync::Arc;

/// How archives may nest (`a.zip` holding `b.gz` holding JSON is depth 2).
const MAX_ARCHIVE_DEPTH: u32 = 4;

/// Called with each input's statistics once it has been read (a progress display, say).
pub type InputDone = Arc<dyn Fn(&InputStats) + Send + Sync>;

/// How to read inputs.
#[derive(Clone)]
pub struct ReadOptions {
    pub format: FormatChoice,
    /// Threads the `evtx` crate may use inside one EVTX file.
    pub evtx_threads: usize,
    /// Told about every finished input.
    pub on_input_done: Option<InputDone>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: FormatChoice::Auto,
            evtx_threads: 1,
            on_input_done: None,
        }
    }
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("format", &self.format)
            .field("evtx_threads", &self.evtx_threads)
            .field("on_input_done", &self.on_input_done.is_some())
            .finish()
    }
}

/// Bytes read before deciding what an input is.
const HEAD: usize = 64 << 10;

/// What every level of one input's reading shares: the options, the expansion allowance (archives
/// and gzip inside it), its statistics and where events go.
struct Reading<'a> {
    opts: &'a ReadOptions,
    allowance: &'a Allowance,
    stats: &'a mut InputStats,
    sink: &'a mut dyn FnMut(Event),
}

/// Reads one input to the end, sending each decoded event to `sink` in input order. Plain files,
/// stdin and gzip streams are read in blocks (JSON lines and CSV never sit in memory whole); EVTX, zip,
/// XML and single JSON documents are read into memory first because their readers need it.
pub fn read_input(input: &Input, opts: &ReadOptions, sink: &mut dyn FnMut(Event)) -> InputStats {
    let name = input.name();
    let mut stats = InputStats::new(name.clone());
    let name: Arc<str> = name.into();
    match input {
        Input::Stdin => {
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            let head = match read_head(&mut lock, 8) {
                Ok(h) => h,
                Err(source) => {
                    stats.input_errors.push(IngestError::Io {
                        path: name.to_string(),
                        source,
                    });
                    return stats;
                }
            };
            let mut lock = Cursor::new(head.clone()).chain(lock);
            if head == b"ElfFile\0"
                && matches!(opts.format, FormatChoice::Auto | FormatChoice::Evtx)
            {
                // The evtx crate needs the whole log; spooled to a temporary file it reads it chunk
                // by chunk, as for a file, instead of holding it in memory outside --max-memory.
                if let Some(spool) = Spool::from(&mut lock, &name, &mut stats) {
                    decode_evtx_file(&spool.0, &name, opts.evtx_threads, &mut stats, sink);
                    if let Some(done) = &opts.on_input_done {
                        done(&stats);
                    }
                    return stats;
                }
                if !stats.input_errors.is_empty() {
                    return stats;
                }
            }
            let allowance = Allowance::for_size(None);
            let mut cx = Reading {
                opts,
                allowance: &allowance,
                stats: &mut stats,
                sink,
            };
            decode_reader(&mut lock, &name, 0, &mut cx);
        }
        Input::Path(p) => match std::fs::File::open(p) {
            Ok(mut f) => {
                if is_evtx_file(&mut f)
                    && matches!(opts.format, FormatChoice::Auto | FormatChoice::Evtx)
                {
                    // The evtx crate reads chunk by chunk from the file itself: no copy of the log.
                    decode_evtx_file(p, &name, opts.evtx_threads, &mut stats, sink)
                } else {
                    let allowance = Allowance::for_size(f.metadata().ok().map(|m| m.len()));
                    let mut cx = Reading {
                        opts,
                        allowance: &allowance,
                        stats: &mut stats,
                        sink,
                    };
                    decode_reader(&mut f, &name, 0, &mut cx)
                }
            }
            Err(source) => stats.input_errors.push(IngestError::Io {
                path: name.to_string(),
                source,
            }),
        },
    }
    if let Some(done) = &opts.on_input_done {
        done(&stats);
    }
    stats
}

/// A temporary copy of a stream, removed when dropped.
struct Spool(std::path::PathBuf);

impl Spool {
    /// Copies `r` into a new file in the temporary folder. `None` when no such file can be made
    /// (the caller then reads in memory); a read error is recorded in `stats` (also `None`).
    fn from(r: &mut dyn Read, name: &str, stats: &mut InputStats) -> Option<Spool> {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dllhound-stdin-{}-{n}.evtx", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .ok()?;
        let spool = Spool(path);
        match std::io::copy(r, &mut f) {
            Ok(_) => Some(spool),
            Err(source) => {
                stats.input_errors.push(IngestError::Io {
                    path: name.to_string(),
                    source,
                });
                None
            }
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads one input held in memory — a Kafka message, a fuzzer's bytes — sniffed and decoded exactly
/// as a file with these contents would be. `name` locates its records in errors and provenance.
pub fn read_bytes(
    name: &str,
    bytes: &[u8],
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event),
) -> InputStats {
    let mut stats = InputStats::new(name);
    let name: Arc<str> = name.into();
    let allowance = Allowance::for_size(Some(bytes.len() as u64));
    let mut cx = Reading {
        opts,
        allowance: &allowance,
        stats: &mut stats,
        sink,
    };
    decode_reader(&mut Cursor::new(bytes), &name, 0, &mut cx);
    stats
}

/// True unless the text's first line is not a JSON value of its own — a pretty-printed document
/// (an Elasticsearch `_search` response, an MDE API reply saved with indentation), which is read
/// whole instead of line by line. A first line longer than the head is taken to be a record.
fn first_line_is_a_record(head: &[u8]) -> bool {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut lines = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty());
    let Some(line) = lines.next() else {
        return true;
    };
    let complete = line.len() < body.len() || head.len() < HEAD;
    !complete || serde_json::from_slice::<serde::de::IgnoredAny>(line.trim_ascii()).is_ok()
}

/// True when the file starts with the EVTX magic; the position is rewound either way.
fn is_evtx_file(f: &mut std::fs::File) -> bool {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 8];
    let ok = f.read_exact(&mut magic).is_ok() && &magic == b"ElfFile\0";
    f.seek(SeekFrom::Start(0)).is_ok() && ok
}

/// Reads up to `n` bytes (fewer only at end of input).
fn read_head(r: &mut dyn Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn decode_reader(r: &mut dyn Read, name: &Arc<str>, depth: u32, cx: &mut Reading<'_>) {
    let Reading {
        opts,
        allowance,
        ref mut stats,
        ref mut sink,
    } = *cx;
    let io_err = |stats: &mut InputStats, source| {
        stats.input_errors.push(IngestError::Io {
            path: name.to_string(),
            source,
        })
    };
    let head = match read_head(r, HEAD) {
        Ok(h) => h,
        Err(e) => return io_err(stats, e),
    };
    if head.is_empty() && depth == 0 {
        return stats.input_errors.push(IngestError::Empty {
            path: name.to_string(),
        });
    }
    let kind = sniff(&head);
    let first = head
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
        .copied();
    match (&kind, opts.format) {
        (Container::Tar, _) if depth < MAX_ARCHIVE_DEPTH => {
            decode_tar(&mut Cursor::new(head).chain(r), name, depth, cx)
        }
        (Container::Gzip, _) if depth < MAX_ARCHIVE_DEPTH => {
            let (compressed, count) = Counted::new(Cursor::new(head).chain(r));
            let gz = MultiGzDecoder::new(compressed);
            let mut gz = Capped::new(gz, Compressed::Counted(count), allowance);
            decode_reader(&mut gz, name, depth + 1, cx)
        }
        (
            Container::Text,
            FormatChoice::Auto | FormatChoice::SysmonJson | FormatChoice::Ecs | FormatChoice::Mde,
        ) if first != Some(b'[') && first_line_is_a_record(&head) => {
            let mut rest = Cursor::new(head).chain(r);
            if let Err(e) = decode_lines_stream(&mut rest, name, opts.format.only(), stats, sink) {
                io_err(stats, e)
            }
        }
        (Container::Csv, FormatChoice::Auto | FormatChoice::Mde) => {
            let mut rest = Cursor::new(head).chain(r);
            decode_csv(&mut rest, name, opts.format.only(), stats, sink)
        }
        _ => {
            let mut buf = head;
            if let Err(e) = r.read_to_end(&mut buf) {
                return io_err(stats, e);
            }
            decode_bytes(buf, name, depth, cx)
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Container {
    Evtx,
    Gzip,
    Zip,
    /// POSIX tar (`ustar` at offset 257), read as a stream; `.tar.gz` / `.tgz` are gzip around it.
    Tar,
    Text,
    Xml,
    Csv,
    Unknown,
}

/// What an input no reader took is, and which `--input-format` would read it.
fn found(kind: &Container, forced: FormatChoice, buf: &[u8]) -> String {
    let what = match kind {
        Container::Evtx => Some(("an EVTX file", "evtx")),
        Container::Text => Some(("JSON text", "sysmon-json, ecs or mde")),
        Container::Xml => Some(("Windows event XML", "sysmon-xml")),
        Container::Csv => Some(("CSV", "mde")),
        Container::Gzip | Container::Zip | Container::Tar => {
            Some(("an archive nested too deep", "auto"))
        }
        Container::Unknown => None,
    };
    match what {
        Some((what, takes)) if forced != FormatChoice::Auto => format!(
            "this is {what}, which --input-format {} does not read (use --input-format {takes}, or leave it auto)",
            forced.name()
        ),
        Some((what, _)) => format!("{what} that could not be read"),
        None => {
            let head: String = buf
                .iter()
                .take(24)
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        (b as char).to_string()
                    } else {
                        format!("\\x{b:02x}")
                    }
                })
                .collect();
            format!(
                "unrecognised content (not EVTX, JSON lines, Windows event XML, CSV, zip, gzip or tar); it begins \"{head}\""
            )
        }
    }
}

fn sniff(buf: &[u8]) -> Container {
    if buf.starts_with(b"ElfFile\0") {
        Container::Evtx
    } else if buf.starts_with(&[0x1f, 0x8b]) {
        Container::Gzip
    } else if buf.starts_with(b"PK\x03\x04") || buf.starts_with(b"PK\x05\x06") {
        Container::Zip
    } else if buf.get(257..262) == Some(b"ustar") {
        Container::Tar
    } else {
        let body = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{' | b'[') => Container::Text,
            Some(b'<') => Container::Xml,
            None => Container::Text,
            _ if crate::csv_rows::looks_like_csv(body) => Container::Csv,
            // A text banner an exporter wrote above JSON lines: the banner is one bad line.
            _ if json_after_first_line(body) => Container::Text,
            _ => Container::Unknown,
        }
    }
}

/// True when the line after the first starts a JSON object (a one-line banner above JSON lines).
fn json_after_first_line(body: &[u8]) -> bool {
    let Some(nl) = body.iter().position(|&b| b == b'\n') else {
        return false;
    };
    body[nl + 1..]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Decodes an input held in memory: what `decode_reader` cannot stream (EVTX from an archive or stdin,
/// zip, XML, one JSON document), and anything unrecognised.
fn decode_bytes(buf: Vec<u8>, name: &Arc<str>, depth: u32, cx: &mut Reading<'_>) {
    let kind = sniff(&buf);
    if kind == Container::Zip && depth < MAX_ARCHIVE_DEPTH {
        return decode_zip(buf, name, depth, cx);
    }
    let Reading {
        opts, stats, sink, ..
    } = cx;
    match (kind, opts.format) {
        (Container::Evtx, FormatChoice::Auto | FormatChoice::Evtx) => {
            decode_evtx(buf, name, opts.evtx_threads, stats, sink)
        }
        (Container::Unknown, FormatChoice::Auto | FormatChoice::Evtx)
            if is_headerless_evtx(&buf) =>
        {
            decode_headerless_evtx(buf, name, opts.evtx_threads, stats, sink)
        }
        (
            Container::Text,
            FormatChoice::Auto | FormatChoice::SysmonJson | FormatChoice::Ecs | FormatChoice::Mde,
        ) => decode_text(&buf, name, opts.format.only(), stats, sink),
        (Container::Xml, FormatChoice::Auto | FormatChoice::SysmonXml) => {
            decode_xml(&buf, name, stats, sink)
        }
        (kind, forced) => stats.input_errors.push(IngestError::Unrecognised {
            path: name.to_string(),
            found: found(&kind, forced, &buf),
        }),
    }
}

/// Reads a tar stream member by member (each sniffed again, as zip members are). A damaged or cut
/// archive is an input error naming the member; the members before it, and the records of the
/// cut member read before the cut, are kept.
fn decode_tar(r: &mut dyn Read, name: &Arc<str>, depth: u32, cx: &mut Reading<'_>) {
    let mut ar = tar::Archive::new(r);
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            return cx.stats.input_errors.push(IngestError::Archive {
                path: name.to_string(),
                reason: e.to_string(),
            })
        }
    };
    let mut last: Option<Arc<str>> = None;
    for (i, entry) in entries.enumerate() {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // Past a broken header the stream has no reliable next member. A tar member cut
                // short reads as shorter, and the cut shows when the next header is sought: name
                // the member it most likely fell in.
                let (path, reason) = match &last {
                    Some(m) => (
                        m.to_string(),
                        format!(
                            "the archive is cut short or damaged in or after this member ({e})"
                        ),
                    ),
                    None => (name.to_string(), format!("member {i}: {e}")),
                };
                return cx
                    .stats
                    .input_errors
                    .push(IngestError::Archive { path, reason });
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| format!("member {i}"));
        // macOS AppleDouble companions (`._x.json`) hold resource forks, not telemetry.
        if path.rsplit('/').next().is_some_and(|f| f.starts_with("._")) {
            continue;
        }
        let member_name: Arc<str> = format!("{name}:{path}").into();
        decode_reader(&mut entry, &member_name, depth + 1, cx);
        last = Some(member_name);
    }
}

fn decode_zip(buf: Vec<u8>, name: &Arc<str>, depth: u32, cx: &mut Reading<'_>) {
    let mut zip = match zip::ZipArchive::new(Cursor::new(buf)) {
        Ok(z) => z,
        Err(e) => {
            cx.stats.input_errors.push(IngestError::Archive {
                path: name.to_string(),
                reason: e.to_string(),
            });
            return;
        }
    };
    for i in 0..zip.len() {
        let member = match zip.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                let reason = format!("member {i}: {e}");
                cx.stats.input_errors.push(IngestError::Archive {
                    path: name.to_string(),
                    reason,
                });
                continue;
            }
        };
        if member.is_dir() || member.name().starts_with("__MACOSX/") {
            continue;
        }
        let member_name: Arc<str> = format!("{name}:{}", member.name()).into();
        let compressed = Compressed::Known(member.compressed_size());
        let mut member = Capped::new(member, compressed, cx.allowance);
        decode_reader(&mut member, &member_name, depth + 1, cx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_pick_the_container() {
        assert_eq!(sniff(b"ElfFile\0rest"), Container::Evtx);
        assert_eq!(sniff(&[0x1f, 0x8b, 8]), Container::Gzip);
        assert_eq!(sniff(b"PK\x03\x04"), Container::Zip);
        assert_eq!(sniff(b"\xEF\xBB\xBF  {\"a\":1}"), Container::Text);
        assert_eq!(sniff(b"MZ\x90\x00"), Container::Unknown);
    }
}
