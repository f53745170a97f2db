//! How a table meets the terminal: `--color auto|always|never` (and `--no-color`, the `NO_COLOR`
//! convention, `TERM=dumb`) and the width to wrap at (the terminal's, else `COLUMNS`, else 120).

use clap::{Args, ValueEnum};
use dllhound_report::TableStyle;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless `NO_COLOR` is set or `TERM` is `dumb`.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct ColorArgs {
    /// Colour in the table: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// The same as --color never.
    #[arg(long)]
    pub no_color: bool,
}

impl ColorArgs {
    /// Whether to colour, given whether the output is a terminal.
    pub fn enabled(&self, to_terminal: bool) -> bool {
        if self.no_color {
            return false;
        }
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }

    /// The table's style for output that is (or is not) the terminal.
    pub fn table_style(&self, to_terminal: bool) -> TableStyle {
        TableStyle {
            width: width(to_terminal),
            color: self.enabled(to_terminal),
        }
    }
}

/// The terminal's width when writing to it; else `COLUMNS` when set; else 120.
fn width(to_terminal: bool) -> usize {
    if to_terminal {
        if let Some((_, cols)) = console::Term::stdout().size_checked() {
            return usize::from(cols);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(TableStyle::default().width)
}
