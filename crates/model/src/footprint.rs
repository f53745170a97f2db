//! Approximate memory footprints, for the engine's memory cap.
//!
//! [`Footprint::footprint`] estimates the bytes a value holds: its own size plus what it owns on the
//! heap, with each allocation rounded up the way a size-class allocator does. Shared data behind an
//! `Arc` (host names, input names, event codes) is not counted: it is shared by many events. The
//! estimate errs high; the correlator compares the sum over its held records with its budget.

use crate::{
    ComServer, DnsQuery, Event, EventKind, FileWrite, ImageLoad, NetworkConnect, ProcessKey,
    ProcessStart, Provenance, Signature, WinPath,
};

/// Bytes a value holds, approximately (see the module docs).
pub trait Footprint {
    /// Own size plus owned heap bytes.
    fn footprint(&self) -> usize;
}

/// Heap bytes of one allocation of `n` bytes (allocators round up to a size class: 16-byte steps
/// here, which over-counts small strings a little).
pub fn heap(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 15) & !15
    }
}

fn heap_str(s: &str) -> usize {
    heap(s.len())
}

fn opt_str(s: &Option<Box<str>>) -> usize {
    s.as_deref().map_or(0, heap_str)
}

impl WinPath {
    /// Heap bytes of the two strings.
    pub fn heap_bytes(&self) -> usize {
        heap_str(self.original()) + heap_str(self.normalised())
    }
}

impl ProcessKey {
    /// Heap bytes of the key.
    pub fn heap_bytes(&self) -> usize {
        match self {
            ProcessKey::Guid(s) | ProcessKey::Entity(s) => heap_str(s),
            ProcessKey::Pid { image, .. } => heap_str(image),
            ProcessKey::Unknown => 0,
        }
    }
}

fn sig(s: &Signature) -> usize {
    opt_str(&s.subject)
}

impl Footprint for Box<str> {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>() + heap_str(self)
    }
}

impl Footprint for Provenance {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
    }
}

impl Footprint for ImageLoad {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.process.heap_bytes()
            + self.image.heap_bytes()
            + self.dll.heap_bytes()
            + sig(&self.signature)
            + opt_str(&self.sha256)
            + opt_str(&self.sha1)
            + opt_str(&self.original_file_name)
            + opt_str(&self.user)
    }
}

impl Footprint for ProcessStart {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.process.heap_bytes()
            + self.image.heap_bytes()
            + opt_str(&self.original_file_name)
            + opt_str(&self.command_line)
            + self.parent.as_ref().map_or(0, ProcessKey::heap_bytes)
            + self.parent_image.as_ref().map_or(0, WinPath::heap_bytes)
            + opt_str(&self.user)
    }
}

impl Footprint for FileWrite {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.process.heap_bytes()
            + self.image.heap_bytes()
            + self.target.heap_bytes()
            + opt_str(&self.sha256)
    }
}

impl Footprint for NetworkConnect {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.process.heap_bytes()
            + self.image.heap_bytes()
            + opt_str(&self.protocol)
            + opt_str(&self.destination_host)
    }
}

impl Footprint for DnsQuery {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.process.heap_bytes()
            + self.image.heap_bytes()
            + heap_str(&self.query)
            + opt_str(&self.results)
    }
}

impl Footprint for ComServer {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.process.heap_bytes()
            + self.image.heap_bytes()
            + heap_str(&self.clsid)
            + self.server.heap_bytes()
            + heap_str(&self.key)
    }
}

impl Footprint for Event {
    fn footprint(&self) -> usize {
        let kind = match &self.kind {
            EventKind::ProcessStart(e) => e.footprint(),
            EventKind::ImageLoad(e) => e.footprint(),
            EventKind::FileWrite(e) => e.footprint(),
            EventKind::Network(e) => e.footprint(),
            EventKind::Dns(e) => e.footprint(),
            EventKind::ComServer(e) => e.footprint(),
            EventKind::Certificate(c) => heap_str(&c.sha1) + sig(&c.signature),
        };
        // The kind's inline size is already inside `Event`'s.
        std::mem::size_of::<Self>() + kind - inline_size(&self.kind)
    }
}

fn inline_size(k: &EventKind) -> usize {
    match k {
        EventKind::ProcessStart(_) => std::mem::size_of::<ProcessStart>(),
        EventKind::ImageLoad(_) => std::mem::size_of::<ImageLoad>(),
        EventKind::FileWrite(_) => std::mem::size_of::<FileWrite>(),
        EventKind::Network(_) => std::mem::size_of::<NetworkConnect>(),
        EventKind::Dns(_) => std::mem::size_of::<DnsQuery>(),
        EventKind::ComServer(_) => std::mem::size_of::<ComServer>(),
        EventKind::Certificate(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_paths_cost_more_and_rounding_is_upward() {
        assert_eq!(heap(0), 0);
        assert_eq!(heap(1), 16);
        assert_eq!(heap(16), 16);
        assert_eq!(heap(17), 32);
        let short = WinPath::new(r"C:\a.dll");
        let long = WinPath::new(&format!(
            r"C:\Users\x\AppData\Local\Temp\{}.dll",
            "y".repeat(300)
        ));
        assert!(long.heap_bytes() > short.heap_bytes() + 2 * 300);
    }
}
