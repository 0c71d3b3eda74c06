//! Loading rule pack files: TOML with positions, validation, and compilation of every
//! rule and suppression. Every error names the file, line and column.

use super::compile::{Compiler, Context, Tables, Ty};
use super::lang::{self, SyntaxError};
use super::pack::*;
use crate::finding::{Code, Severity};
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;

/// Maps byte offsets of a file to lines and columns.
pub(super) struct Source<'a> {
    pub(super) path: &'a str,
    pub(super) text: &'a str,
    /// Whether regexes must match the whole value (schema 2, as TraceQL) or may match any
    /// part of it (schema 1).
    pub(super) anchored: bool,
}

impl Source<'_> {
    pub(super) fn at(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        RuleError { file: self.path.to_string(), line, column, message: message.into() }
    }

    pub(super) fn span<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> RuleError {
        self.at(s.span().start, message)
    }

    /// Maps an offset inside a string value back into the file. Exact when the raw text
    /// between the quotes is the value (literal strings, basic strings without escapes);
    /// otherwise the string's start.
    fn inner(&self, s: &Spanned<String>, e: SyntaxError) -> RuleError {
        let Range { start, end } = s.span();
        let raw = self.text.get(start..end).unwrap_or("");
        let value = s.get_ref();
        let open = ["'''", "\"\"\"", "'", "\""].into_iter().find(|q| raw.starts_with(q)).map_or(0, str::len);
        let mut body_start = start + open;
        if open == 3 && self.text[body_start..].starts_with('\n') {
            body_start += 1;
        } else if open == 3 && self.text[body_start..].starts_with("\r\n") {
            body_start += 2;
        }
        let exact = self.text.get(body_start..body_start + value.len()) == Some(value.as_str());
        let offset = if exact { body_start + e.pos.min(value.len()) } else { start };
        self.at(offset, e.message)
    }

    fn line_of(&self, offset: usize) -> String {
        let e = self.at(offset, "");
        format!("{}:{}", e.file, e.line)
    }
}

/// Everything loaded from rule files.
#[derive(Debug, Default)]
pub struct Loaded {
    pub tables: Tables,
    pub packs: Vec<Pack>,
    pub rules: Vec<Rule>,
    pub suppressions: Vec<Suppression>,
    /// Built-in codes whose severity a pack sets, with the pack's `file:line`.
    pub severity: std::collections::BTreeMap<Code, (Severity, String)>,
}

impl Loaded {
    /// Parses, validates and compiles one pack, adding it to the set. On error nothing is
    /// added.
    pub fn add(&mut self, path: &str, text: &str) -> Result<(), RuleError> {
        self.add_all(path, text).map_err(|mut e| e.remove(0))
    }

    /// As [`Loaded::add`], returning every error of the pack (in file order), as a compiler
    /// does: unknown keys (with the key meant, when one is near), and each rule's and
    /// suppression's first error. Only a TOML syntax error stops at once.
    pub fn add_all(&mut self, path: &str, text: &str) -> Result<(), Vec<RuleError>> {
        let mut src = Source { path, text, anchored: true };
        let (file, mut errors) = super::config::parse_toml::<PackFile>(
            &src,
            (TOP_KEYS, "the pack"),
            &[
                ("settings", SETTINGS_KEYS, "[settings]"),
                ("rule", RULE_KEYS, "a [[rule]]"),
                ("suppress", SUPPRESS_KEYS, "a [[suppress]]"),
            ],
        );
        let Some(file) = file else { return Err(sorted(errors)) };
        let schema = *file.schema.get_ref();
        if !matches!(schema, 1 | 2) {
            errors.push(src.span(
                &file.schema,
                format!(
                    "unsupported schema {schema}; this version of tracecheck reads schema = 2 (and schema = 1, whose regexes match any part of a value)"
                ),
            ));
        }
        src.anchored = schema >= 2;
        if file.name.get_ref().trim().is_empty() {
            errors.push(src.span(&file.name, "the pack needs a name"));
        }
        let settings = file.settings.unwrap_or_default();
        let tolerance = match &settings.clock_skew {
            Some(s) => crate::model::time::parse_duration(s.get_ref()).unwrap_or_else(|e| {
                errors.push(src.span(s, e));
                0
            }),
            None => 0,
        };
        let default_min_samples = match &settings.min_samples {
            Some(n) => positive(&src, n).unwrap_or_else(|e| {
                errors.push(e);
                1
            }),
            None => 1,
        };
        let mut severity = Vec::new();
        if let Some(table) = &settings.severity {
            for (code, level) in table.get_ref() {
                let Some(c) = Code::parse(code) else {
                    errors.push(src.span(
                        table,
                        format!("[settings] severity names {code:?}, which is not a built-in check code (rules have their own severity)"),
                    ));
                    continue;
                };
                let Some(sev) = Severity::parse(level.get_ref()) else {
                    errors
                        .push(src.span(level, format!("severity {:?} is not error, warning or info", level.get_ref())));
                    continue;
                };
                match self.severity.get(&c) {
                    Some((other, at)) if *other != sev => errors.push(src.span(
                        level,
                        format!("{c} is already {other} by {at}; packs must agree on a built-in check's severity"),
                    )),
                    _ => severity.push((c, sev, src.line_of(level.span().start))),
                }
            }
        }
        let pack_index = self.packs.len();
        let mut rules = Vec::new();
        for r in &file.rule {
            match compile_rule(&src, &mut self.tables, r, pack_index, tolerance, default_min_samples) {
                Ok(rule) => {
                    let taken = self.rules.iter().chain(&rules).find(|x: &&Rule| x.id == rule.id);
                    match taken {
                        Some(other) => {
                            errors.push(src.span(
                                &r.get_ref().id,
                                format!("rule id {} is already used ({})", rule.id, other.source),
                            ))
                        }
                        None => rules.push(rule),
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        // Suppressions may name rules whose compilation failed: they exist, only broken.
        let written: Vec<&str> = file.rule.iter().map(|r| r.get_ref().id.get_ref().as_str()).collect();
        let suppressions = self.compile_suppressions(&src, &file.suppress, &written, &mut errors);
        if !errors.is_empty() {
            return Err(sorted(errors));
        }

        self.packs.push(Pack {
            name: file.name.into_inner(),
            path: path.to_string(),
            description: file.description,
            rules: rules.len(),
            sha256: crate::digest::sha256_hex(text.as_bytes()),
            canonical: canonical_digest(text),
            text: text.to_string(),
            schema,
            kind: PackKind::Rules,
        });
        self.rules.extend(rules);
        self.suppressions.extend(suppressions);
        for (c, sev, at) in severity {
            self.severity.entry(c).or_insert((sev, at));
        }
        Ok(())
    }
}

impl Loaded {
    /// Compiles `list`, which may name built-in codes, the rules loaded so far and
    /// `written` (rules of the same file, compiled or not); errors go to `errors`.
    pub(super) fn compile_suppressions(
        &mut self,
        src: &Source<'_>,
        list: &[Spanned<SuppressFile>],
        written: &[&str],
        errors: &mut Vec<RuleError>,
    ) -> Vec<Suppression> {
        let mut out = Vec::new();
        for s in list {
            let exists = |id: &str| written.contains(&id) || self.rules.iter().any(|r| &*r.id == id);
            match compile_suppression(src, &mut self.tables, s, exists) {
                Ok(sup) => out.push(sup),
                Err(e) => errors.push(e),
            }
        }
        out
    }
}

/// Errors in file order.
pub(super) fn sorted(mut errors: Vec<RuleError>) -> Vec<RuleError> {
    errors.sort_by_key(|e| (e.line, e.column));
    errors
}

/// The keys each table of a pack may hold.
const TOP_KEYS: &[&str] = &["schema", "name", "description", "settings", "rule", "suppress"];
const SETTINGS_KEYS: &[&str] = &["clock_skew", "min_samples", "severity"];
const RULE_KEYS: &[&str] = &[
    "id",
    "title",
    "severity",
    "description",
    "hint",
    "each",
    "any",
    "none",
    "expect",
    "children_in_order",
    "within_parent",
    "aggregate",
    "group_by",
    "scope",
    "min_samples",
    "allow_inconclusive",
];
pub(super) const SUPPRESS_KEYS: &[&str] = &["rule", "reason", "trace_id", "span_id", "where", "expires"];

/// Reports and removes the keys of `top` not in `known.0` (the file, as `known.1` calls
/// it), and of each `nested` table or array of tables not in its list.
pub(super) fn strip_unknown(
    src: &Source<'_>,
    top: &mut toml::de::DeTable<'_>,
    known: (&[&str], &str),
    nested: &[(&str, &[&str], &str)],
) -> Vec<RuleError> {
    let mut errors = Vec::new();
    let mut check = |table: &mut toml::de::DeTable<'_>, known: &[&str], what: &str| {
        let unknown: Vec<(String, usize)> = table
            .iter()
            .filter(|(k, _)| !known.contains(&k.get_ref().as_ref()))
            .map(|(k, _)| (k.get_ref().to_string(), k.span().start))
            .collect();
        for (key, at) in unknown {
            let near = known.iter().find(|n| crate::rules::compile::edit_distance(n, &key) <= 2);
            let hint = near
                .map_or_else(|| format!(" (known keys: {})", known.join(", ")), |n| format!("; did you mean `{n}`?"));
            errors.push(src.at(at, format!("unknown key `{key}` in {what}{hint}")));
            table.remove(key.as_str());
        }
    };
    check(top, known.0, known.1);
    for &(key, known, what) in nested {
        match top.get_mut(key).map(|v| v.get_mut()) {
            Some(toml::de::DeValue::Table(t)) => check(t, known, what),
            Some(toml::de::DeValue::Array(items)) => {
                for item in items.iter_mut() {
                    if let toml::de::DeValue::Table(t) = item.get_mut() {
                        check(t, known, what);
                    }
                }
            }
            _ => {}
        }
    }
    errors
}

/// The sha256 of a pack's canonical form: its TOML as compact JSON, keys in name order,
/// with the `rule` and `suppress` arrays each sorted by their entries' canonical text. Two
/// packs that differ only in comments, layout, key order or the order of their rules and
/// suppressions have the same digest.
pub(super) fn canonical_digest(text: &str) -> String {
    // The text was parsed as a pack already, so it is valid TOML.
    let Ok(mut table) = toml::from_str::<toml::Table>(text) else { return crate::digest::sha256_hex(text.as_bytes()) };
    for key in ["rule", "suppress"] {
        if let Some(toml::Value::Array(entries)) = table.get_mut(key) {
            let mut keyed: Vec<(String, toml::Value)> =
                entries.drain(..).map(|v| (serde_json::to_string(&v).unwrap_or_default(), v)).collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            entries.extend(keyed.into_iter().map(|(_, v)| v));
        }
    }
    crate::digest::sha256_hex(serde_json::to_string(&table).unwrap_or_default().as_bytes())
}

pub(super) fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

pub(super) fn positive(src: &Source<'_>, n: &Spanned<i64>) -> Result<usize, RuleError> {
    usize::try_from(*n.get_ref()).ok().filter(|&v| v > 0).ok_or_else(|| src.span(n, "min_samples must be at least 1"))
}

pub(super) fn compile_rule(
    src: &Source<'_>,
    tables: &mut Tables,
    spanned: &Spanned<RuleFile>,
    pack: usize,
    tolerance: u64,
    default_min_samples: usize,
) -> Result<Rule, RuleError> {
    let r = spanned.get_ref();
    let id = r.id.get_ref();
    let valid_id = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_id {
        return Err(
            src.span(&r.id, format!("rule id {id:?} must start with a letter and use only letters, digits, - and _"))
        );
    }
    if Code::parse(id).is_some() {
        return Err(src.span(&r.id, format!("rule id {id} is the code of a built-in check; choose another")));
    }
    let severity = match &r.severity {
        None => Severity::Error,
        Some(s) => Severity::parse(s.get_ref())
            .ok_or_else(|| src.span(s, format!("unknown severity {:?} (use error, warning or info)", s.get_ref())))?,
    };
    let quantified: Vec<(Quantifier, &Spanned<String>)> =
        [(Quantifier::Each, &r.each), (Quantifier::Any, &r.any), (Quantifier::None, &r.none)]
            .into_iter()
            .filter_map(|(q, s)| s.as_ref().map(|s| (q, s)))
            .collect();
    let (quantifier, selector_text) = match quantified.as_slice() {
        [one] => *one,
        [] => return Err(src.span(spanned, format!("rule {id} needs exactly one of `each`, `any` or `none`"))),
        [_, second, ..] => {
            return Err(src.span(
                second.1,
                format!("rule {id} has more than one of `each`, `any` and `none`; split it into two rules"),
            ));
        }
    };
    let selector =
        compile_text(src, tables, Context::Trace, selector_text, |c, t| c.selector(&lang::parse_selector(t)?))?;
    let expect = r
        .expect
        .iter()
        .map(|s| compile_text(src, tables, Context::Trace, s, |c, t| c.expr(&lang::parse_expr(t)?)))
        .collect::<Result<Vec<_>, RuleError>>()?;
    let children_in_order = r
        .children_in_order
        .iter()
        .map(|s| {
            compile_text(src, tables, Context::Trace, s, |c, t| {
                let sel = lang::parse_selector(t)?;
                let Some(set) = sel.single() else {
                    return Err(SyntaxError {
                        pos: sel.expr.pos(),
                        message: "children_in_order takes single spansets".into(),
                    });
                };
                c.spanset(set)
            })
        })
        .collect::<Result<Vec<_>, RuleError>>()?;
    if children_in_order.len() == 1 {
        return Err(src.span(&r.children_in_order[0], "children_in_order needs at least two spansets"));
    }
    let aggregates = r
        .aggregate
        .iter()
        .map(|s| compile_text(src, tables, Context::Trace, s, |c, t| c.aggregate(&lang::parse_aggregate(t)?)))
        .collect::<Result<Vec<_>, RuleError>>()?;
    let group_by = r
        .group_by
        .iter()
        .map(|s| {
            let f = compile_text(src, tables, Context::Trace, s, |c, t| {
                let f = c.field(&lang::FieldName { text: t.to_string(), pos: 0 })?;
                if matches!(f.ty(), Ty::TraceId | Ty::SpanId) {
                    return Err(SyntaxError {
                        pos: 0,
                        message: format!("`{t}` makes a group per span or trace; group by a name or an attribute"),
                    });
                }
                Ok(f)
            })?;
            Ok(f.compiled)
        })
        .collect::<Result<Vec<_>, RuleError>>()?;
    let scope = match &r.scope {
        None => Scope::Dump,
        Some(s) => match s.get_ref().as_str() {
            "trace" => Scope::Trace,
            "dump" => Scope::Dump,
            other => return Err(src.span(s, format!("unknown scope {other:?} (use trace or dump)"))),
        },
    };
    // Keys that do not apply to the quantifier are errors, not silently ignored.
    let misplaced = |key: &str, present: bool| -> Result<(), RuleError> {
        if present {
            Err(src.span(spanned, format!("rule {id}: `{key}` does not apply to `{}` rules", quantifier.as_str())))
        } else {
            Ok(())
        }
    };
    match quantifier {
        Quantifier::None => {
            misplaced("expect", !r.expect.is_empty())?;
            misplaced("children_in_order", !r.children_in_order.is_empty())?;
            misplaced("within_parent", r.within_parent.is_some())?;
            misplaced("aggregate", !r.aggregate.is_empty())?;
            misplaced("scope", r.scope.is_some())?;
        }
        Quantifier::Any => {
            misplaced("children_in_order", !r.children_in_order.is_empty())?;
            misplaced("within_parent", r.within_parent.is_some())?;
        }
        Quantifier::Each => {}
    }
    if !r.group_by.is_empty() && r.aggregate.is_empty() {
        return Err(src.span(&r.group_by[0], format!("rule {id}: `group_by` needs `aggregate`")));
    }
    let min_samples = match &r.min_samples {
        Some(n) => positive(src, n)?,
        None => default_min_samples,
    };
    Ok(Rule {
        id: Arc::from(id.as_str()),
        pack,
        title: r.title.clone(),
        severity,
        description: r.description.clone(),
        hint: r.hint.clone(),
        quantifier,
        selector,
        expect,
        children_in_order,
        within_parent: r.within_parent.unwrap_or(false),
        aggregates,
        group_by,
        scope,
        min_samples,
        allow_inconclusive: r.allow_inconclusive,
        tolerance,
        source: src.line_of(spanned.span().start),
    })
}

/// Compiles the text of one string value, mapping errors to its place in the file.
pub(super) fn compile_text<T>(
    src: &Source<'_>,
    tables: &mut Tables,
    context: Context,
    s: &Spanned<String>,
    f: impl FnOnce(&mut Compiler<'_>, &str) -> Result<T, SyntaxError>,
) -> Result<Sourced<T>, RuleError> {
    let text = s.get_ref().as_str();
    let mut c = Compiler { tables, context, text, anchored: src.anchored };
    let compiled = f(&mut c, text).map_err(|e| src.inner(s, e))?;
    Ok(Sourced { compiled, text: text.to_string() })
}

pub(super) fn compile_suppression(
    src: &Source<'_>,
    tables: &mut Tables,
    spanned: &Spanned<SuppressFile>,
    rule_exists: impl Fn(&str) -> bool,
) -> Result<Suppression, RuleError> {
    let s = spanned.get_ref();
    let name = s.rule.get_ref();
    let target = match Code::parse(name) {
        Some(code) => Target::Builtin(code),
        None if rule_exists(name) => Target::Rule(Arc::from(name.as_str())),
        None => {
            return Err(src.span(
                &s.rule,
                format!("suppression names {name:?}, which is neither a built-in code nor a rule loaded before it"),
            ));
        }
    };
    if s.reason.get_ref().trim().is_empty() {
        return Err(src.span(&s.reason, "a suppression needs a reason that says why the finding is acceptable"));
    }
    let trace_id = match &s.trace_id {
        Some(t) => Some(
            crate::model::decode_id::<16>(t.get_ref())
                .ok()
                .map(crate::model::TraceId)
                .ok_or_else(|| src.span(t, "trace_id must be 32 hex digits"))?,
        ),
        None => None,
    };
    let span_id = match &s.span_id {
        Some(t) => Some(
            crate::model::decode_id::<8>(t.get_ref())
                .ok()
                .map(crate::model::SpanId)
                .ok_or_else(|| src.span(t, "span_id must be 16 hex digits"))?,
        ),
        None => None,
    };
    let where_ = match &s.where_ {
        Some(w) => Some(compile_text(src, tables, Context::SpanOnly, w, |c, t| {
            let sel = c.selector(&lang::parse_selector(t)?)?;
            Ok(sel.single().cloned().unwrap_or(super::compile::Pred::True))
        })?),
        None => None,
    };
    let expires = match &s.expires {
        Some(v) => Some(expiry_date(src, v)?),
        None => None,
    };
    Ok(Suppression {
        target,
        reason: s.reason.get_ref().clone(),
        trace_id,
        span_id,
        where_,
        source: src.line_of(spanned.span().start),
        expired: expires.as_ref().is_some_and(|(_, day)| crate::model::time::today() >= *day),
        expires: expires.map(|(text, _)| text),
    })
}

/// A suppression's `expires`: a TOML date (`2027-01-31`) or the same as a string; its text
/// and day number.
fn expiry_date(src: &Source<'_>, v: &Spanned<toml::Value>) -> Result<(String, i64), RuleError> {
    let text = match v.get_ref() {
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        toml::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    crate::model::time::parse_date(&text)
        .map(|day| (text, day))
        .ok_or_else(|| src.span(v, "expires must be a date, YYYY-MM-DD (e.g. expires = 2027-01-31)"))
}
