//! `--findings-out FILE`: every reported finding, written while the run goes, as JSON lines
//! or (for a name ending in `.parquet`) as Parquet row groups, so that a million findings
//! never sit in memory at once. In Parquet, `span_ids` is one comma-separated string.

use super::{CheckId, Finding};
use crate::model::{Dump, Format};
use polars_core::prelude::*;
use polars_io::parquet::write::{BatchedWriter, ParquetWriter};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Rows buffered before a Parquet row group is written.
const ROW_GROUP: usize = 64 * 1024;

/// One finding as a line of `--findings-out`.
#[derive(Debug, serde::Serialize)]
pub struct FindingLine<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub severity: &'static str,
    pub trace_id: Option<String>,
    pub span_ids: Vec<String>,
    pub message: &'a str,
    pub expected: Option<&'a str>,
    pub actual: Option<&'a str>,
    pub hint: Option<&'a str>,
    /// The input file the finding is about.
    pub file: Option<&'a str>,
    /// The line, for line-based formats (JSON lines, multi-line documents).
    pub line: Option<u64>,
    /// The record number, for length-delimited protobuf records.
    pub record: Option<u64>,
    /// The byte offset of the record in the file.
    pub offset: Option<u64>,
}

impl<'a> FindingLine<'a> {
    /// `f` as written, with `name` the check's name or the rule's title.
    pub fn of(f: &'a Finding, name: &'a str, dump: &'a Dump) -> FindingLine<'a> {
        let file = f.loc.and_then(|l| dump.files.get(l.file as usize));
        let numbered = f.loc.filter(|l| l.line > 0).map(|l| l.line);
        let records = file.is_some_and(|x| x.format == Format::Records);
        FindingLine {
            code: f.code.as_str(),
            name,
            severity: f.severity.as_str(),
            trace_id: f.trace_id.map(|t| t.to_string()),
            span_ids: f.span_ids.iter().map(|s| s.to_string()).collect(),
            message: &f.message,
            expected: f.detail.as_deref().map(|d| d.expected.as_str()),
            actual: f.detail.as_deref().map(|d| d.actual.as_str()),
            hint: f.detail.as_deref().and_then(|d| d.hint.as_deref()),
            file: file.map(|x| x.path.as_str()),
            line: numbered.filter(|_| !records),
            record: numbered.filter(|_| records),
            offset: f.loc.map(|l| l.offset),
        }
    }
}

/// Where `--findings-out` goes. Workers hand it findings as they find them; the first
/// write error is kept and reported by [`FindingsOut::finish`].
#[derive(Debug)]
pub struct FindingsOut {
    path: PathBuf,
    /// The check name or rule title of each code.
    names: HashMap<CheckId, String>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    sink: Sink,
    written: u64,
    error: Option<io::Error>,
}

enum Sink {
    Lines(BufWriter<File>),
    Parquet(Box<ParquetRows>),
    Closed,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Sink::Lines(_) => "Lines",
            Sink::Parquet(_) => "Parquet",
            Sink::Closed => "Closed",
        })
    }
}

impl FindingsOut {
    /// Creates `path` (Parquet when its name ends in `.parquet`, else JSON lines).
    /// `names` gives the check name or rule title of each code.
    pub fn create(path: &Path, names: HashMap<CheckId, String>) -> io::Result<FindingsOut> {
        let file = File::create(path)?;
        let parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        let sink =
            if parquet { Sink::Parquet(Box::new(ParquetRows::new(file)?)) } else { Sink::Lines(BufWriter::new(file)) };
        Ok(FindingsOut { path: path.to_path_buf(), names, state: Mutex::new(State { sink, written: 0, error: None }) })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `findings`, which are about spans of `dump`.
    pub fn write(&self, dump: &Dump, findings: &[Finding]) {
        if findings.is_empty() {
            return;
        }
        let lines: Vec<FindingLine<'_>> = findings
            .iter()
            .map(|f| FindingLine::of(f, self.names.get(&f.code).map_or("", String::as_str), dump))
            .collect();
        // Serialised outside the lock; only the copy into the writer is serialised.
        let mut text = Vec::new();
        if matches!(self.state.lock().map(|s| matches!(s.sink, Sink::Lines(_))), Ok(true)) {
            for l in &lines {
                // Serialising plain strings and numbers into memory cannot fail.
                let _ = serde_json::to_writer(&mut text, l);
                text.push(b'\n');
            }
        }
        let Ok(mut state) = self.state.lock() else { return };
        if state.error.is_some() {
            return;
        }
        let result = match &mut state.sink {
            Sink::Lines(w) => w.write_all(&text),
            Sink::Parquet(p) => p.push(&lines),
            Sink::Closed => Ok(()),
        };
        match result {
            Ok(()) => state.written += lines.len() as u64,
            Err(e) => state.error = Some(e),
        }
    }

    /// Flushes and closes the file; returns the number of findings written, or the first
    /// error met.
    pub fn finish(&self) -> io::Result<u64> {
        let mut state = self.state.lock().map_err(|_| io::Error::other("a worker panicked while writing findings"))?;
        if let Some(e) = state.error.take() {
            state.sink = Sink::Closed;
            return Err(e);
        }
        match std::mem::replace(&mut state.sink, Sink::Closed) {
            Sink::Lines(mut w) => w.flush()?,
            Sink::Parquet(p) => p.finish()?,
            Sink::Closed => {}
        }
        Ok(state.written)
    }
}

/// Parquet columns being filled, written as a row group every [`ROW_GROUP`] rows.
struct ParquetRows {
    writer: BatchedWriter<File>,
    code: Vec<String>,
    name: Vec<String>,
    severity: Vec<&'static str>,
    trace_id: Vec<Option<String>>,
    /// Comma-separated: polars writes lists of strings as `list<string_view>`, which
    /// pandas cannot convert yet.
    span_ids: Vec<String>,
    message: Vec<String>,
    expected: Vec<Option<String>>,
    actual: Vec<Option<String>>,
    hint: Vec<Option<String>>,
    file: Vec<Option<String>>,
    line: Vec<Option<u64>>,
    record: Vec<Option<u64>>,
    offset: Vec<Option<u64>>,
}

fn polars_err(e: PolarsError) -> io::Error {
    io::Error::other(e.to_string())
}

impl ParquetRows {
    fn new(file: File) -> io::Result<ParquetRows> {
        let schema = Schema::from_iter([
            Field::new("code".into(), DataType::String),
            Field::new("name".into(), DataType::String),
            Field::new("severity".into(), DataType::String),
            Field::new("trace_id".into(), DataType::String),
            Field::new("span_ids".into(), DataType::String),
            Field::new("message".into(), DataType::String),
            Field::new("expected".into(), DataType::String),
            Field::new("actual".into(), DataType::String),
            Field::new("hint".into(), DataType::String),
            Field::new("file".into(), DataType::String),
            Field::new("line".into(), DataType::UInt64),
            Field::new("record".into(), DataType::UInt64),
            Field::new("offset".into(), DataType::UInt64),
        ]);
        Ok(ParquetRows {
            writer: ParquetWriter::new(file).batched(&schema).map_err(polars_err)?,
            code: Vec::new(),
            name: Vec::new(),
            severity: Vec::new(),
            trace_id: Vec::new(),
            span_ids: Vec::new(),
            message: Vec::new(),
            expected: Vec::new(),
            actual: Vec::new(),
            hint: Vec::new(),
            file: Vec::new(),
            line: Vec::new(),
            record: Vec::new(),
            offset: Vec::new(),
        })
    }

    fn push(&mut self, lines: &[FindingLine<'_>]) -> io::Result<()> {
        for l in lines {
            self.code.push(l.code.to_string());
            self.name.push(l.name.to_string());
            self.severity.push(l.severity);
            self.trace_id.push(l.trace_id.clone());
            self.span_ids.push(l.span_ids.join(","));
            self.message.push(l.message.to_string());
            self.expected.push(l.expected.map(str::to_string));
            self.actual.push(l.actual.map(str::to_string));
            self.hint.push(l.hint.map(str::to_string));
            self.file.push(l.file.map(str::to_string));
            self.line.push(l.line);
            self.record.push(l.record);
            self.offset.push(l.offset);
        }
        if self.code.len() >= ROW_GROUP { self.flush() } else { Ok(()) }
    }

    /// The buffered rows as a frame, leaving the buffers empty.
    fn frame(&mut self) -> PolarsResult<DataFrame> {
        let n = self.code.len();
        DataFrame::new(
            n,
            vec![
                Column::new("code".into(), std::mem::take(&mut self.code)),
                Column::new("name".into(), std::mem::take(&mut self.name)),
                Column::new("severity".into(), std::mem::take(&mut self.severity)),
                Column::new("trace_id".into(), std::mem::take(&mut self.trace_id)),
                Column::new("span_ids".into(), std::mem::take(&mut self.span_ids)),
                Column::new("message".into(), std::mem::take(&mut self.message)),
                Column::new("expected".into(), std::mem::take(&mut self.expected)),
                Column::new("actual".into(), std::mem::take(&mut self.actual)),
                Column::new("hint".into(), std::mem::take(&mut self.hint)),
                Column::new("file".into(), std::mem::take(&mut self.file)),
                Column::new("line".into(), std::mem::take(&mut self.line)),
                Column::new("record".into(), std::mem::take(&mut self.record)),
                Column::new("offset".into(), std::mem::take(&mut self.offset)),
            ],
        )
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.code.is_empty() {
            return Ok(());
        }
        let df = self.frame().map_err(polars_err)?;
        self.writer.write_batch(&df).map_err(polars_err)
    }

    fn finish(mut self) -> io::Result<()> {
        self.flush()?;
        self.writer.finish().map_err(polars_err)?;
        Ok(())
    }
}
