//! `tracecheck.toml`: a repository's defaults (rule packs, fail-on, max-findings, the checks
//! selected or ignored, skew tolerance) and its suppressions, in a strict schema like a rule
//! pack's. Commands find it in the working directory or a parent, or are given its path.

use super::RuleSet;
use super::load::Loaded;
use super::load::{SUPPRESS_KEYS, Source, canonical_digest, one_line, sorted, strip_unknown};
use super::pack::{Pack, PackKind, RuleError, SuppressFile};
use crate::finding::Severity;
use serde::Deserialize;
use serde::de::IntoDeserializer;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name looked for.
pub const FILE_NAME: &str = "tracecheck.toml";

/// The config schema this version reads.
pub const SCHEMA: i64 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    schema: Spanned<i64>,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    #[serde(default)]
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    max_findings: Option<Spanned<i64>>,
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    skew_tolerance: Option<Spanned<String>>,
    #[serde(default)]
    min_export_success: Option<Spanned<String>>,
    #[serde(default)]
    suppress: Vec<Spanned<SuppressFile>>,
}

const TOP_KEYS: &[&str] = &[
    "schema",
    "rules",
    "fail_on",
    "max_findings",
    "select",
    "ignore",
    "skew_tolerance",
    "min_export_success",
    "suppress",
];

/// A parsed `tracecheck.toml`. Its suppressions are compiled with the rule packs
/// ([`RuleSet::load_with_config`]), since they may name the packs' rules.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file, as found or given.
    pub path: PathBuf,
    pub text: String,
    /// Rule packs (files or directories), relative to the config's directory.
    pub rules: Vec<PathBuf>,
    pub fail_on: Option<Severity>,
    pub max_findings: Option<usize>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Nanoseconds.
    pub skew_tolerance: Option<u64>,
    /// A fraction (C004).
    pub min_export_success: Option<f64>,
}

/// Parses the TOML of a config or pack with positions, reporting unknown keys (with the key
/// meant) and deserializing the rest; every error found, in file order.
pub(super) fn parse_toml<T: serde::de::DeserializeOwned>(
    src: &Source<'_>,
    top: (&[&str], &str),
    nested: &[(&str, &[&str], &str)],
) -> (Option<T>, Vec<RuleError>) {
    let toml_error = |e: &toml::de::Error| match e.span() {
        Some(s) => src.at(s.start, one_line(e.message())),
        None => RuleError { file: src.path.to_string(), line: 0, column: 0, message: one_line(e.message()) },
    };
    let mut table = match toml::de::DeTable::parse(src.text) {
        Ok(t) => t,
        Err(e) => return (None, vec![toml_error(&e)]),
    };
    let mut errors = strip_unknown(src, table.get_mut(), top, nested);
    match T::deserialize(table.into_deserializer()) {
        Ok(v) => (Some(v), errors),
        Err(e) => {
            errors.push(toml_error(&e));
            (None, errors)
        }
    }
}

fn parse_file(src: &Source<'_>) -> (Option<ConfigFile>, Vec<RuleError>) {
    parse_toml(src, (TOP_KEYS, FILE_NAME), &[("suppress", SUPPRESS_KEYS, "a [[suppress]]")])
}

impl Config {
    /// Parses the config at `path` (named so in messages) from `text`: every error, in file
    /// order. The suppressions are checked when compiled with the packs.
    pub fn parse(path: &Path, text: &str) -> Result<Config, Vec<RuleError>> {
        let shown = path.display().to_string();
        let src = Source { path: &shown, text, anchored: true };
        let (file, mut errors) = parse_file(&src);
        let Some(file) = file else { return Err(sorted(errors)) };
        if *file.schema.get_ref() != SCHEMA {
            errors.push(src.span(
                &file.schema,
                format!(
                    "unsupported schema {}; this version of tracecheck reads schema = {SCHEMA}",
                    file.schema.get_ref()
                ),
            ));
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut rules = Vec::new();
        for r in &file.rules {
            if r.get_ref().trim().is_empty() {
                errors.push(src.span(r, "a rule pack path is empty"));
            } else {
                rules.push(dir.join(r.get_ref()));
            }
        }
        let fail_on = file.fail_on.as_ref().and_then(|f| {
            Severity::parse(f.get_ref()).or_else(|| {
                errors.push(src.span(f, format!("fail_on {:?} is not error, warning or info", f.get_ref())));
                None
            })
        });
        let max_findings = file.max_findings.as_ref().and_then(|n| {
            usize::try_from(*n.get_ref()).ok().or_else(|| {
                errors.push(src.span(n, "max_findings must be 0 or more"));
                None
            })
        });
        let skew_tolerance = file.skew_tolerance.as_ref().and_then(|s| {
            crate::model::time::parse_duration(s.get_ref()).map_err(|e| errors.push(src.span(s, e))).ok()
        });
        let min_export_success = file.min_export_success.as_ref().and_then(|s| {
            let v = crate::model::parse_percent(s.get_ref()).ok().filter(|v| *v <= 1.0);
            if v.is_none() {
                errors.push(src.span(s, "min_export_success must be a percentage from 0% to 100% (e.g. \"99.5%\")"));
            }
            v
        });
        if !errors.is_empty() {
            return Err(sorted(errors));
        }
        Ok(Config {
            path: path.to_path_buf(),
            text: text.to_string(),
            rules,
            fail_on,
            max_findings,
            select: file.select,
            ignore: file.ignore,
            skew_tolerance,
            min_export_success,
        })
    }

    /// Reads and parses the config at `path`.
    pub fn read(path: &Path) -> Result<Config, Vec<RuleError>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![RuleError {
                file: path.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot read: {e}"),
            }]
        })?;
        Config::parse(path, text.strip_prefix('\u{feff}').unwrap_or(&text))
    }

    /// The `tracecheck.toml` in `dir` or the nearest parent holding one.
    pub fn discover(dir: &Path) -> Option<PathBuf> {
        dir.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file())
    }
}

impl Loaded {
    /// Compiles the suppressions of the config at `path` (after every pack, so they may name
    /// the packs' rules) and records the config as a pack of kind [`PackKind::Config`]
    /// without rules. On error nothing is added.
    pub fn add_config(&mut self, path: &str, text: &str) -> Result<(), Vec<RuleError>> {
        let src = Source { path, text, anchored: true };
        let (file, mut errors) = parse_file(&src);
        let Some(file) = file else { return Err(sorted(errors)) };
        let suppressions = self.compile_suppressions(&src, &file.suppress, &[], &mut errors);
        if !errors.is_empty() {
            return Err(sorted(errors));
        }
        self.packs.push(Pack {
            name: FILE_NAME.to_string(),
            path: path.to_string(),
            description: None,
            rules: 0,
            sha256: crate::digest::sha256_hex(text.as_bytes()),
            canonical: canonical_digest(text),
            text: text.to_string(),
            schema: *file.schema.get_ref(),
            kind: PackKind::Config,
        });
        self.suppressions.extend(suppressions);
        Ok(())
    }
}

impl RuleSet {
    /// Loads the packs of `config` and then `paths` (a pack named by both is read once),
    /// then the config's suppressions. Every error of every file.
    pub fn load_with_config(paths: &[PathBuf], config: Option<&Config>) -> Result<RuleSet, Vec<RuleError>> {
        let mut all: Vec<PathBuf> = config.map(|c| c.rules.clone()).unwrap_or_default();
        all.extend(paths.iter().cloned());
        let mut set = RuleSet::load(&all)?;
        if let Some(c) = config {
            set.loaded.add_config(&c.path.display().to_string(), &c.text)?;
        }
        Ok(set)
    }
}
