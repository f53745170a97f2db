//! A configuration file's bytes as text, and back: Sysmon configurations saved on Windows are
//! often UTF-16 (with a byte-order mark), sometimes UTF-8 with one.

/// How the file was encoded, so a changed configuration is written the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

/// The file is neither UTF-8 nor UTF-16.
#[derive(Debug, thiserror::Error)]
#[error("not UTF-8 or UTF-16 text (byte {offset} is not valid UTF-8; Sysmon configurations are one or the other)")]
pub struct NotText {
    pub offset: usize,
}

fn utf16(body: &[u8], le: bool) -> Option<String> {
    let pairs = body.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    let units: Vec<u16> = pairs
        .map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .collect();
    String::from_utf16(&units).ok()
}

/// Decodes a configuration: UTF-16 by its byte-order mark (or by `<` followed by a zero byte),
/// else UTF-8 (a mark is dropped).
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), NotText> {
    if let Some(b) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        if let Some(s) = utf16(b, true) {
            return Ok((s, Encoding::Utf16Le));
        }
    }
    if let Some(b) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        if let Some(s) = utf16(b, false) {
            return Ok((s, Encoding::Utf16Be));
        }
    }
    if bytes.starts_with(b"<\0") {
        if let Some(s) = utf16(bytes, true) {
            return Ok((s, Encoding::Utf16Le));
        }
    }
    if bytes.starts_with(b"\0<") {
        if let Some(s) = utf16(bytes, false) {
            return Ok((s, Encoding::Utf16Be));
        }
    }
    let (body, enc) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(b) => (b, Encoding::Utf8Bom),
        None => (bytes, Encoding::Utf8),
    };
    match std::str::from_utf8(body) {
        Ok(s) => Ok((s.to_string(), enc)),
        Err(e) => Err(NotText {
            offset: e.valid_up_to() + (bytes.len() - body.len()),
        }),
    }
}

/// Encodes text as the original file was (a UTF-16 file gets its byte-order mark back).
pub fn encode(text: &str, enc: Encoding) -> Vec<u8> {
    match enc {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Encoding::Utf16Le => std::iter::once(0xFEFFu16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect(),
        Encoding::Utf16Be => std::iter::once(0xFEFFu16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_be_bytes)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_round_trips() {
        let t = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Sysmon schemaversion=\"4.90\">é</Sysmon>";
        for enc in [
            Encoding::Utf8,
            Encoding::Utf8Bom,
            Encoding::Utf16Le,
            Encoding::Utf16Be,
        ] {
            let bytes = encode(t, enc);
            assert_eq!(decode(&bytes).unwrap(), (t.to_string(), enc), "{enc:?}");
        }
        // UTF-16 without a mark, as some tools save it.
        let bare: Vec<u8> = t.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&bare).unwrap().1, Encoding::Utf16Le);
        assert_eq!(decode(b"<a>\xff</a>").unwrap_err().offset, 3);
    }
}
