//! Rule packs: declarative expectations about traces, in TOML files with a TraceQL-style
//! selector language. Parsed and compiled once ([`RuleSet::load`]); evaluated per trace in
//! parallel ([`RuleSet::eval_trace`]), then settled over the whole dump
//! ([`RuleSet::finish`]). The language is documented in `rules/README.md`.
//!
//! - [`lang`] (and `lex`): tokens and syntax tree;
//! - [`compile`] (and `compiled`): type checking into predicates;
//! - [`pack`] (and `load`): the TOML schema, validation and loading;
//! - [`eval`] (and `values`): field values and predicates on a trace graph;
//! - `trace_eval`: per-trace quantifiers, expectations, order and containment;
//! - `partial`: what the traces seen so far found, merged across workers and partitions;
//! - `aggregate`, `settle`: dump-wide aggregates and each rule's outcome;
//! - `suppress`: suppressions; `outcome`: the results reports show;
//! - [`config`]: a repository's `tracecheck.toml`.

mod aggregate;
pub mod compile;
mod compiled;
pub mod config;
pub mod eval;
pub mod lang;
mod lex;
mod load;
mod outcome;
pub mod pack;
mod partial;
mod settle;
mod suppress;
mod trace_eval;
mod values;

pub use config::Config;
pub use outcome::{AggregateResult, RuleOutcome, RuleResult, SuppressionResult};
pub use pack::{Pack, PackKind, Quantifier, Rule, RuleError, Scope, Suppression, Target};
pub use partial::{GroupAcc, GroupRec, KeyPart, KeyVal, RuleTotals, Tally, TracePartial};

use crate::model::{Dump, Sym};
use std::path::{Path, PathBuf};

/// Compiled rule packs.
#[derive(Debug, Default)]
pub struct RuleSet {
    loaded: load::Loaded,
}

impl RuleSet {
    /// Loads rule packs from files and directories (every `*.toml` in a directory, in name
    /// order). Returns every error found, not only the first.
    pub fn load(paths: &[PathBuf]) -> Result<RuleSet, Vec<RuleError>> {
        let mut set = RuleSet::default();
        let mut errors = Vec::new();
        for path in expand(paths, &mut errors) {
            let shown = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    if let Err(e) = set.loaded.add_all(&shown, &text) {
                        errors.extend(e);
                    }
                }
                Err(e) => {
                    errors.push(RuleError { file: shown, line: 0, column: 0, message: format!("cannot read: {e}") })
                }
            }
        }
        if errors.is_empty() { Ok(set) } else { Err(errors) }
    }

    /// Adds one pack from its text; `path` names it in messages.
    pub fn add(&mut self, path: &str, text: &str) -> Result<(), RuleError> {
        self.loaded.add(path, text)
    }

    /// Adds a `tracecheck.toml`'s suppressions from its text (after every pack).
    pub fn add_config(&mut self, path: &str, text: &str) -> Result<(), Vec<RuleError>> {
        self.loaded.add_config(path, text)
    }

    /// A set from one pack's text.
    pub fn parse(path: &str, text: &str) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        set.add(path, text)?;
        Ok(set)
    }

    pub fn packs(&self) -> &[Pack] {
        &self.loaded.packs
    }

    pub fn rules(&self) -> &[Rule] {
        &self.loaded.rules
    }

    pub fn suppressions(&self) -> &[Suppression] {
        &self.loaded.suppressions
    }

    /// The severity a pack gives built-in check `code`, if one does.
    pub fn severity_of(&self, code: crate::finding::Code) -> Option<crate::finding::Severity> {
        self.loaded.severity.get(&code).map(|(s, _)| *s)
    }

    /// Whether any pack sets a built-in check's severity.
    pub fn has_severity_overrides(&self) -> bool {
        !self.loaded.severity.is_empty()
    }

    /// Every built-in check severity the packs set, with where.
    pub fn severity_overrides(&self) -> impl Iterator<Item = (crate::finding::Code, crate::finding::Severity, &str)> {
        self.loaded.severity.iter().map(|(c, (s, at))| (*c, *s, at.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.loaded.rules.is_empty() && self.loaded.suppressions.is_empty()
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.loaded.rules.iter().find(|r| &*r.id == id)
    }

    /// Binds the string slots of the compiled rules to the symbols of `dump` (once per run).
    pub fn bind(&self, dump: &Dump) -> Vec<Option<Sym>> {
        self.loaded.tables.strings.iter().map(|s| dump.strings.get(s)).collect()
    }

    pub(crate) fn tables(&self) -> &compile::Tables {
        &self.loaded.tables
    }
}

fn expand(paths: &[PathBuf], errors: &mut Vec<RuleError>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(entries) => {
                    let mut files: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| f.extension().is_some_and(|x| x == "toml") && !is_hidden(f))
                        .collect();
                    files.sort();
                    if files.is_empty() {
                        errors.push(RuleError {
                            file: p.display().to_string(),
                            line: 0,
                            column: 0,
                            message: "the directory holds no *.toml rule packs".into(),
                        });
                    }
                    out.extend(files);
                }
                Err(e) => errors.push(RuleError {
                    file: p.display().to_string(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read the directory: {e}"),
                }),
            }
        } else {
            out.push(p.clone());
        }
    }
    // A pack named twice (a directory and a file in it, or by the config and the command
    // line) is read once, where it first appears.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    out
}

fn is_hidden(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// A selector of the rule language used as a span filter (`--where`), compiled once.
#[derive(Debug)]
pub struct SpanFilter {
    tables: compile::Tables,
    selector: compile::Selector,
}

impl SpanFilter {
    /// Compiles `text`; errors name `--where` and the column.
    pub fn parse(text: &str) -> Result<SpanFilter, RuleError> {
        let err = |pos: usize, message: String| RuleError {
            file: "--where".into(),
            line: 1,
            column: text[..pos.min(text.len())].chars().count() + 1,
            message,
        };
        let parsed = lang::parse_selector(text).map_err(|e| err(e.pos, e.message))?;
        let mut tables = compile::Tables::default();
        let selector =
            compile::Compiler { tables: &mut tables, context: compile::Context::Trace, text, anchored: true }
                .selector(&parsed)
                .map_err(|e| err(e.pos, e.message))?;
        Ok(SpanFilter { tables, selector })
    }

    /// The spans of `dump` the selector matches, as a mask indexed like `dump.spans`.
    pub fn mask(&self, dump: &Dump, traces: &crate::graph::Traces) -> Vec<bool> {
        let syms: Vec<Option<Sym>> = self.tables.strings.iter().map(|s| dump.strings.get(s)).collect();
        let hits: Vec<Vec<u32>> = traces.map_graphs(dump, |g| {
            let cx = eval::Cx::trace(dump, &self.tables, &syms, g);
            let selected = cx.select(&self.selector);
            selected.into_iter().zip(&g.spans).filter(|(m, _)| *m).map(|(_, &s)| s).collect()
        });
        let mut mask = vec![false; dump.spans.len()];
        for i in hits.into_iter().flatten() {
            mask[i as usize] = true;
        }
        mask
    }
}

/// A field of the rule language read on single spans (`span.http.route`,
/// `resource.service.instance.id`, `status`, `instrumentation:name`): what `stats --by`
/// groups by. Fields that need the trace (`parent.name`, `trace:duration`) are refused.
#[derive(Debug)]
pub struct FieldReader {
    tables: compile::Tables,
    field: compile::Field,
    /// The field as written.
    pub text: String,
}

impl FieldReader {
    pub fn parse(text: &str) -> Result<FieldReader, String> {
        let mut tables = compile::Tables::default();
        let mut c =
            compile::Compiler { tables: &mut tables, context: compile::Context::SpanOnly, text, anchored: true };
        let field = c.field(&lang::FieldName { text: text.to_string(), pos: 0 }).map_err(|e| e.message)?;
        if field.is_multi() {
            return Err(format!("`{text}` has one value per event or link; group by a span or resource field"));
        }
        Ok(FieldReader { tables, field, text: text.to_string() })
    }
}

impl crate::stats::frame::SpanField for FieldReader {
    fn column(&self) -> &str {
        &self.text
    }

    fn values(&self, dump: &Dump, spans: &[usize]) -> Vec<Option<String>> {
        let syms: Vec<Option<Sym>> = self.tables.strings.iter().map(|s| dump.strings.get(s)).collect();
        let cx = eval::Cx::span_only(dump, &self.tables, &syms);
        spans
            .iter()
            .map(|&i| match cx.field(&self.field, &dump.spans[i], None) {
                eval::Rv::Nil => None,
                eval::Rv::Str(s) => Some(dump.str(s).to_string()),
                v => Some(cx.show(v)),
            })
            .collect()
    }
}
