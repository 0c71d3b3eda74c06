//! `--findings-out FILE`: every reported finding, written while the run goes, as JSON lines
//! or (for a name ending in `.parquet`) as Parquet row groups, so that a million findings
//! never sit in memory at once. In Parquet, `span_ids` is one comma-separated string.

use super::{CheckId, Finding};
use crate::model::{Format, InputFile};
use polars_core::prelude::*;
use polars_io::parquet::write::ParquetWriter;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Rows buffered before a Parquet row group is written.
const ROW_GROUP: usize = 32 * 1024;

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
    pub fn of(f: &'a Finding, name: &'a str, files: &'a [InputFile]) -> FindingLine<'a> {
        let file = f.loc.and_then(|l| files.get(l.file as usize));
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
    /// Parquet rather than JSON lines.
    parquet: bool,
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
        Ok(FindingsOut {
            path: path.to_path_buf(),
            names,
            parquet,
            state: Mutex::new(State { sink, written: 0, error: None }),
        })
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `findings`, which are about records of `files`.
    pub fn write(&self, files: &[InputFile], findings: &[Finding]) {
        if findings.is_empty() {
            return;
        }
        let lines: Vec<FindingLine<'_>> = findings
            .iter()
            .map(|f| FindingLine::of(f, self.names.get(&f.code).map_or("", String::as_str), files))
            .collect();
        // Serialised outside the lock; only the copy into the writer is serialised.
        let mut text = Vec::new();
        if !self.parquet {
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

/// The columns of one Parquet row group being filled.
#[derive(Default)]
struct Columns {
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

impl Columns {
    fn schema() -> Schema {
        let text = |name: &str| Field::new(name.into(), DataType::String);
        let number = |name: &str| Field::new(name.into(), DataType::UInt64);
        Schema::from_iter([
            text("code"),
            text("name"),
            text("severity"),
            text("trace_id"),
            text("span_ids"),
            text("message"),
            text("expected"),
            text("actual"),
            text("hint"),
            text("file"),
            number("line"),
            number("record"),
            number("offset"),
        ])
    }

    fn push(&mut self, l: &FindingLine<'_>) {
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

    fn frame(self) -> PolarsResult<DataFrame> {
        DataFrame::new(
            self.code.len(),
            vec![
                Column::new("code".into(), self.code),
                Column::new("name".into(), self.name),
                Column::new("severity".into(), self.severity),
                Column::new("trace_id".into(), self.trace_id),
                Column::new("span_ids".into(), self.span_ids),
                Column::new("message".into(), self.message),
                Column::new("expected".into(), self.expected),
                Column::new("actual".into(), self.actual),
                Column::new("hint".into(), self.hint),
                Column::new("file".into(), self.file),
                Column::new("line".into(), self.line),
                Column::new("record".into(), self.record),
                Column::new("offset".into(), self.offset),
            ],
        )
    }
}

fn polars_err(e: PolarsError) -> io::Error {
    io::Error::other(e.to_string())
}

/// Findings on their way to a Parquet file. Row groups are encoded by a thread of their
/// own: polars encodes in parallel on its thread pool, and a rayon worker that waits for
/// another pool runs queued work of its own pool meanwhile, which here would be another
/// trace's findings waiting for the lock this worker holds.
struct ParquetRows {
    rows: Columns,
    to_writer: Option<SyncSender<Columns>>,
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl ParquetRows {
    fn new(file: File) -> io::Result<ParquetRows> {
        let (to_writer, row_groups) = sync_channel::<Columns>(1);
        let writer = std::thread::Builder::new().name("findings-parquet".into()).spawn(move || {
            let mut w = ParquetWriter::new(file).batched(&Columns::schema()).map_err(polars_err)?;
            for group in row_groups {
                w.write_batch(&group.frame().map_err(polars_err)?).map_err(polars_err)?;
            }
            w.finish().map_err(polars_err)?;
            Ok(())
        })?;
        Ok(ParquetRows { rows: Columns::default(), to_writer: Some(to_writer), writer: Some(writer) })
    }

    fn push(&mut self, lines: &[FindingLine<'_>]) -> io::Result<()> {
        for l in lines {
            self.rows.push(l);
        }
        if self.rows.code.len() >= ROW_GROUP { self.send() } else { Ok(()) }
    }

    fn send(&mut self) -> io::Result<()> {
        let group = std::mem::take(&mut self.rows);
        match &self.to_writer {
            Some(tx) if tx.send(group).is_ok() => Ok(()),
            // The writer stopped: its error says why.
            _ => self.join(),
        }
    }

    /// Closes the channel and waits for the writer.
    fn join(&mut self) -> io::Result<()> {
        self.to_writer = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the Parquet writer thread panicked")),
            None => Err(io::Error::other("the Parquet writer has stopped")),
        }
    }

    fn finish(mut self) -> io::Result<()> {
        if !self.rows.code.is_empty() {
            self.send()?;
        }
        self.join()
    }
}
