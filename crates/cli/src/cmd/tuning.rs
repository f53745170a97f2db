//! `dllhound tuning show`: the default tuning compiled into the binary.

use anyhow::Result;
use dllhound_detect::tuning::DEFAULT_TUNING_YAML;
use std::io::Write;
use std::process::ExitCode;

pub fn show() -> Result<ExitCode> {
    std::io::stdout()
        .lock()
        .write_all(DEFAULT_TUNING_YAML.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
