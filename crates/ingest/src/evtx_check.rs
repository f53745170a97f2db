//! A structural check of an EVTX image before it is parsed: the `evtx` crate reads what it can and
//! skips what it cannot, so a truncated or tampered log would otherwise look merely short.
//!
//! Reported (each located by chunk number and byte offset): a file-header checksum mismatch, a
//! last chunk cut short, a chunk without its `ElfChnk` signature, and chunk header or record-data
//! checksum mismatches (CRC32, as Windows writes them). The records are still read: an analyst wants
//! what survives, and to know that something did not.
//!
//! A log may legitimately store no checksums: the `NO_CRC32` flag (0x4) in the file header's flags
//! (offset 120) exempts every chunk, in a chunk header's flags (offset 120) that chunk. Such a log
//! is not damaged, and its checksum fields are not compared.

use std::io::{self, Read};

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;
/// `NO_CRC32` in the file header's and the chunk header's flags.
const NO_CRC32: u32 = 0x4;

/// The problems found in the image read from `r` (empty when it is intact).
pub fn check(r: &mut dyn Read) -> io::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut header = vec![0u8; FILE_HEADER];
    let got = read_full(r, &mut header)?;
    if got < FILE_HEADER {
        problems.push(format!(
            "file header cut short: {got} of {FILE_HEADER} bytes"
        ));
        return Ok(problems);
    }
    let stored = u32::from_le_bytes([header[124], header[125], header[126], header[127]]);
    let file_flags = u32::from_le_bytes([header[120], header[121], header[122], header[123]]);
    let no_crc = file_flags & NO_CRC32 != 0;
    if !no_crc && crc32fast::hash(&header[..120]) != stored {
        problems.push("file header checksum mismatch (offset 0)".into());
    }
    let mut chunk = vec![0u8; CHUNK];
    for n in 0u64.. {
        let offset = FILE_HEADER as u64 + n * CHUNK as u64;
        let got = read_full(r, &mut chunk)?;
        if got == 0 {
            break;
        }
        if got < CHUNK {
            problems.push(format!(
                "chunk {n} (offset {offset}) cut short: {got} of {CHUNK} bytes; the file is truncated"
            ));
            break;
        }
        // Unused chunks are all zeros; OR-folding 64-byte blocks lets the compiler vectorise it.
        if chunk
            .chunks_exact(64)
            .all(|w| w.iter().fold(0u8, |a, &b| a | b) == 0)
        {
            continue; // an unused chunk
        }
        if &chunk[..8] != b"ElfChnk\0" {
            problems.push(format!(
                "chunk {n} (offset {offset}) has no chunk signature"
            ));
            continue;
        }
        let word = |at: usize| {
            u32::from_le_bytes([chunk[at], chunk[at + 1], chunk[at + 2], chunk[at + 3]])
        };
        if no_crc || word(120) & NO_CRC32 != 0 {
            continue;
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&chunk[..120]);
        h.update(&chunk[128..512]);
        if h.finalize() != word(124) {
            problems.push(format!(
                "chunk {n} (offset {offset}) header checksum mismatch"
            ));
        }
        let free = (word(48) as usize).clamp(512, CHUNK);
        if crc32fast::hash(&chunk[512..free]) != word(52) {
            problems.push(format!(
                "chunk {n} (offset {offset}) record data checksum mismatch; its records were read anyway"
            ));
        }
    }
    Ok(problems)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(chunks: usize) -> Vec<u8> {
        let mut v = vec![0u8; FILE_HEADER];
        v[..8].copy_from_slice(b"ElfFile\0");
        let crc = crc32fast::hash(&v[..120]);
        v[124..128].copy_from_slice(&crc.to_le_bytes());
        for _ in 0..chunks {
            let mut c = vec![0u8; CHUNK];
            c[..8].copy_from_slice(b"ElfChnk\0");
            c[48..52].copy_from_slice(&600u32.to_le_bytes());
            c[512..600].fill(7);
            let d = crc32fast::hash(&c[512..600]);
            c[52..56].copy_from_slice(&d.to_le_bytes());
            let mut h = crc32fast::Hasher::new();
            h.update(&c[..120]);
            h.update(&c[128..512]);
            let h = h.finalize();
            c[124..128].copy_from_slice(&h.to_le_bytes());
            v.extend(c);
        }
        v
    }

    #[test]
    fn an_intact_image_has_no_problems_and_each_kind_of_damage_is_named() {
        let good = image(2);
        assert!(check(&mut &good[..]).unwrap().is_empty());

        let cut = &good[..good.len() - 1000];
        let p = check(&mut &cut[..]).unwrap();
        assert!(p[0].contains("chunk 1 (offset 69632) cut short"), "{p:?}");

        let mut flipped = good.clone();
        flipped[FILE_HEADER + 550] ^= 1;
        let p = check(&mut &flipped[..]).unwrap();
        assert!(
            p[0].contains("chunk 0 (offset 4096) record data checksum"),
            "{p:?}"
        );

        let mut header = good.clone();
        header[40] ^= 1;
        let p = check(&mut &header[..]).unwrap();
        assert!(p[0].contains("file header checksum"), "{p:?}");
    }

    /// Sets `flags` in the file header (and refreshes its checksum) or in chunk `n`'s header.
    fn flag(v: &mut [u8], chunk: Option<usize>, flags: u32) {
        match chunk {
            None => {
                v[120..124].copy_from_slice(&flags.to_le_bytes());
                let crc = crc32fast::hash(&v[..120]);
                v[124..128].copy_from_slice(&crc.to_le_bytes());
            }
            Some(n) => {
                let at = FILE_HEADER + n * CHUNK + 120;
                v[at..at + 4].copy_from_slice(&flags.to_le_bytes());
            }
        }
    }

    #[test]
    fn a_log_that_stores_no_checksums_is_not_damaged() {
        // Every checksum field zero, as a log written without CRC32s has them.
        let mut bare = image(2);
        for n in 0..2 {
            let c = FILE_HEADER + n * CHUNK;
            bare[c + 52..c + 56].fill(0);
            bare[c + 124..c + 128].fill(0);
        }
        assert_eq!(
            check(&mut &bare[..]).unwrap().len(),
            4,
            "without the flag: damage"
        );

        let mut by_file = bare.clone();
        flag(&mut by_file, None, NO_CRC32);
        assert!(check(&mut &by_file[..]).unwrap().is_empty());
        // The flag exempts the file header's own checksum too.
        by_file[124..128].fill(0);
        assert!(check(&mut &by_file[..]).unwrap().is_empty());

        // The chunk flag exempts its chunk only; the other is still checked.
        let mut by_chunk = bare.clone();
        flag(&mut by_chunk, Some(0), NO_CRC32);
        let p = check(&mut &by_chunk[..]).unwrap();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p.iter().all(|m| m.starts_with("chunk 1 ")), "{p:?}");
    }
}
