//! The alert schema and its writers.
//!
//! [`AlertRecord`] is the wire format: one JSON object per alert (NDJSON), ECS-style names nested as
//! in ECS (`{"dll":{"path":…}}`). It is documented field by field below, and tests read it back.
//! Writers: [`write_ndjson`], [`write_table`] (a terminal: control characters escaped, since log
//! fields are attacker-controlled), [`write_csv`] (one row per finding) and [`write_timeline_csv`]
//! (one row per evidence event; in both, cells that a spreadsheet would run as a formula are
//! defused).
//!
//! ```
//! use dllhound_report::escape_control;
//! assert_eq!(escape_control("evil\x1b[2Jname"), "evil\\x1b[2Jname");
//! ```

mod coverage_out;
mod csv_out;
mod escape;
mod explain;
mod html;
mod ndjson;
mod readiness_out;
mod schema;
mod table;
mod timeline_csv;

pub use coverage_out::{
    coverage_json, write_coverage_json, write_coverage_markdown, write_coverage_table,
};
pub use csv_out::write_csv;
pub use escape::{defuse_formula, escape_control};
pub use explain::write_explain_markdown;
pub use html::{escape_html, write_html, ReportContext};
pub use ndjson::{write_ndjson, write_ndjson_update};
pub use readiness_out::{readiness_json, write_readiness_markdown, write_readiness_table};
pub use schema::{records, AlertRecord};
pub use table::{write_table, Grouping, TableStyle};
pub use timeline_csv::write_timeline_csv;
