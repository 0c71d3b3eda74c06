//! The JSON report (schema [`super::SCHEMA`]).

use super::Report;
use std::io::{self, Write};

/// Writes `report` as pretty JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
