//! The HTML triage report: one self-contained file (inline CSS and JS, nothing fetched).
//!
//! The alerts (the NDJSON records, [`crate::AlertRecord`]), the run summary and coverage verdicts
//! are embedded as one JSON document in a `<script type="application/json">` element, with `<`,
//! `>` and `&` written as `\u003c`, `\u003e`, `\u0026` so no telemetry string can close the element.
//! The page's script (`assets/report.js`) builds everything from it with `textContent` and SVG text
//! nodes, never `innerHTML`, so telemetry is always shown as text. The list is rendered in pages of
//! rows and each alert's chain on demand, so a report of 10,000 alerts opens and filters at once.

use serde_json::Value;
use std::io::{self, Write};

const CSS: &str = include_str!("../assets/report.css");
const JS: &str = include_str!("../assets/report.js");

/// What a report shows besides the alerts.
#[derive(Debug, Default)]
pub struct ReportContext {
    /// Page title.
    pub title: String,
    /// The run's accounting (the `--stats-json` document), when the report comes from a run.
    pub run: Option<Value>,
    /// Coverage verdicts (`dllhound coverage --output-format json`), when given.
    pub coverage: Option<Value>,
    /// When the report was made (RFC 3339).
    pub generated: String,
    /// The filters that chose what is in it, when a scan wrote it with some (`--min-level`,
    /// `--host`, `--from`/`--to`): `{"filters", "written", "found"}`. The page says so above the
    /// overview, so a filtered report is never read as the whole input.
    pub filters: Option<Value>,
}

/// JSON text made safe to sit inside a `<script>` element.
pub fn script_safe_json(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the report for `alerts` (NDJSON alert records as JSON values).
pub fn write_html(out: &mut dyn Write, alerts: &[Value], ctx: &ReportContext) -> io::Result<()> {
    let data = serde_json::json!({
        "alerts": alerts,
        "run": ctx.run,
        "coverage": ctx.coverage,
        "generated": ctx.generated,
        "filters": ctx.filters,
        // The branch registry: the legend, filters and chain lanes come from it.
        "branches": dllhound_detect::BRANCHES,
        "version": env!("CARGO_PKG_VERSION"),
    });
    let title = escape_html(&ctx.title);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
<header><h1>{title}</h1><p id=\"meta\"></p></header>\n\
<noscript><p class=\"warn\">This report draws itself with JavaScript; the data is in the page's source as JSON.</p></noscript>\n\
<main>\n<section id=\"overview\"></section>\n<section id=\"alerts\"></section>\n</main>\n\
<script type=\"application/json\" id=\"dllhound-data\">{}</script>\n\
<script>\n{JS}</script>\n</body>\n</html>\n",
        script_safe_json(&data)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telemetry_cannot_close_the_data_element() {
        let v = serde_json::json!({"dll": "</script><script>alert(1)</script>&"});
        let s = script_safe_json(&v);
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
        let mut page = Vec::new();
        write_html(
            &mut page,
            &[v],
            &ReportContext {
                title: "<b>x</b>".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let page = String::from_utf8(page).unwrap();
        assert_eq!(
            page.matches("</script>").count(),
            2,
            "only the page's own two script elements close"
        );
        assert!(page.contains("<title>&lt;b&gt;x&lt;/b&gt;</title>"));
    }
}
