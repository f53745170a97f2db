//! The engine between the analytic (`dllhound-detect`) and the command line: it runs the analytic
//! over inputs (`dllhound-ingest`), and holds what every streaming source needs and no transport
//! should own. `detect` knows AN0052 and nothing of input formats; `ingest` knows formats and
//! nothing of AN0052; this crate puts them together.
//!
//! * the scan pipeline ([`scan`], [`scan_streaming`], [`learn_baseline`], [`coverage`]): inputs read
//!   in parallel by `dllhound-ingest`, routed by host identity to one correlator per worker, each
//!   host's events ordered by time (or streamed within the lateness above 2 GB);
//! * the [`OffsetTracker`]: the low-water mark a partitioned source (Kafka) commits, so that a
//!   member that restarts or takes a partition over re-reads exactly what rebuilding the window
//!   state needs (DESIGN §5). It knows offsets and event times only — no broker, no clock of its
//!   own — so it is tested by properties over any message sequence, including a simulated day of
//!   uptime.
//!
//! ```
//! use dllhound_engine::OffsetTracker;
//! let mut t = OffsetTracker::new(300_000, 300_000, 1_000_000);
//! let now = 1_700_000_000_000;
//! t.record(0, Some(now - 3_600_000), now); // an hour old
//! t.record(1, Some(now), now);
//! // The hour-old message is outside lateness + two windows: a restart may start at offset 1.
//! assert_eq!(t.low_water(None), 1);
//! ```

mod offsets;
mod pipeline;

pub use offsets::OffsetTracker;
pub use pipeline::{add_stats, coverage, learn_baseline, scan, scan_streaming, ScanOutput};
