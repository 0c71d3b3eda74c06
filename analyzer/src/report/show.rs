//! `tracecheck show`: one trace as an indented tree with a waterfall: offset from the trace's
//! start, duration, service (and instance), status, the findings on each span, and the
//! critical path marked.

use crate::finding::Finding;
use crate::graph::{TraceGraph, children_by_start, critical_path, tops};
use crate::model::time::fmt_ns;
use crate::model::{Dump, StatusCode, Sym};
use petgraph::graph::NodeIndex;
use std::fmt::Write as _;

/// How to draw.
#[derive(Clone, Copy, Debug)]
pub struct ShowStyle {
    /// Total line width; the waterfall is left out below 100 columns.
    pub width: usize,
    /// ANSI colours (only on a terminal).
    pub color: bool,
    /// Each span's attributes, events and links under it (`--attributes`).
    pub details: bool,
}

impl Default for ShowStyle {
    fn default() -> Self {
        Self { width: 120, color: false, details: false }
    }
}

/// Deepest indentation drawn; deeper spans are drawn at this depth with their depth shown.
const MAX_INDENT: usize = 24;

struct Palette(bool);

impl Palette {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.0 { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
    }
}

/// Draws the trace of `g`; `findings` are those of this trace.
pub fn render(dump: &Dump, g: &TraceGraph, findings: &[&Finding], style: ShowStyle) -> String {
    let p = Palette(style.color);
    let critical = critical_path(dump, g);
    let spans: Vec<&crate::model::Span> = (0..g.len()).map(|k| &dump.spans[g.spans[k] as usize]).collect();
    let t0 = spans.iter().filter(|s| s.start > 0).map(|s| s.start).min().unwrap_or(0);
    let t1 = spans.iter().map(|s| s.end.max(s.start)).max().unwrap_or(t0);
    let total = t1.saturating_sub(t0).max(1);
    let mut out = String::new();
    // Who runs each span: the service, and the instance when there is one.
    let who = |s: &crate::model::Span| -> String {
        let r = dump.resource(s);
        let service = r.service_name.map_or("?", |x| dump.str(x));
        let instance = dump.attrs[r.attrs.range()].iter().find_map(|a| {
            (dump.str(a.key) == "service.instance.id").then(|| match a.value() {
                crate::model::Value::Str(v) => dump.str(v).to_owned(),
                _ => String::new(),
            })
        });
        match instance {
            Some(i) if !i.is_empty() => format!("{service}@{i}"),
            _ => service.to_owned(),
        }
    };
    let services: std::collections::BTreeSet<&str> =
        spans.iter().filter_map(|s| dump.resource(s).service_name.map(|x| dump.str(x))).collect();
    let runners: std::collections::BTreeSet<String> = spans.iter().map(|s| who(s)).collect();
    let _ = writeln!(
        out,
        "{} {} — {} spans, {} service(s) on {} instance(s), {}, {} finding(s); * marks the critical path",
        p.paint("1", "trace"),
        g.trace_id,
        g.len(),
        services.len(),
        runners.len(),
        fmt_ns(total),
        findings.len()
    );
    let who_width = spans.iter().map(|s| super::term::width(&super::term::escape(&who(s)))).max().unwrap_or(0).min(40);
    // Rows in tree order, iteratively (a chain may be millions of spans deep).
    let mut rows: Vec<(NodeIndex, usize, bool, String)> = Vec::with_capacity(g.len());
    let mut stack: Vec<(NodeIndex, usize, String, bool)> =
        tops(dump, g).into_iter().rev().map(|n| (n, 0, String::new(), true)).collect();
    let mut seen = vec![false; g.len()];
    // Spans reachable from no root or orphan (parent cycles) are drawn last, as their own trees.
    let mut unreached = (0..g.len()).map(NodeIndex::new);
    loop {
        let Some((n, depth, prefix, last)) = stack.pop() else {
            match unreached.find(|k| !seen[k.index()]) {
                Some(k) => {
                    stack.push((k, 0, String::new(), true));
                    continue;
                }
                None => break,
            }
        };
        if std::mem::replace(&mut seen[n.index()], true) {
            continue;
        }
        let branch =
            if depth == 0 { String::new() } else { format!("{prefix}{}", if last { "└─ " } else { "├─ " }) };
        rows.push((n, depth, last, branch));
        let kids = children_by_start(dump, g, n);
        let child_prefix = if depth == 0 {
            String::new()
        } else if depth >= MAX_INDENT {
            prefix.clone()
        } else {
            format!("{prefix}{}", if last { "   " } else { "│  " })
        };
        for (i, c) in kids.iter().enumerate().rev() {
            stack.push((*c, depth + 1, child_prefix.clone(), i + 1 == kids.len()));
        }
    }
    let labels: Vec<String> = rows
        .iter()
        .map(|(n, depth, _, branch)| {
            let s = spans[n.index()];
            let mark = if critical[n.index()] { "*" } else { " " };
            let deep = if *depth > MAX_INDENT { format!("[depth {depth}] ") } else { String::new() };
            let name = if s.name == Sym::EMPTY { "(no name)".into() } else { super::term::escape(dump.str(s.name)) };
            let missing = if g.orphans.contains(n) { " (parent missing)" } else { "" };
            format!("{branch}{mark} {deep}{name}{missing}")
        })
        .collect();
    let label_width = labels.iter().map(|l| super::term::width(l)).max().unwrap_or(0).min(70);
    let fixed = 9 + 1 + 9 + 2 + who_width + 2 + 6 + 2 + label_width + 2;
    let bar_width = if style.width >= fixed + 20 { style.width - fixed - 2 } else { 0 };
    let _ = writeln!(
        out,
        "{:>9} {:>9}  {}  {:<6}  span",
        "offset",
        "duration",
        super::term::fit("service", who_width),
        "status"
    );
    let mut by_span: std::collections::HashMap<crate::model::SpanId, Vec<&Finding>> = std::collections::HashMap::new();
    for f in findings {
        if let Some(id) = f.span_ids.first() {
            by_span.entry(*id).or_default().push(f);
        }
    }
    for ((n, _, _, branch), label) in rows.iter().zip(&labels) {
        let s = spans[n.index()];
        let offset = if s.start > 0 { fmt_ns(s.start.saturating_sub(t0)) } else { "?".into() };
        let duration = s.duration().map_or_else(|| "?".into(), fmt_ns);
        let status = match s.status {
            StatusCode::Ok => p.paint("32", "OK    "),
            StatusCode::Error => p.paint("31", "ERROR "),
            StatusCode::Unset => "-     ".to_owned(),
        };
        let who_text = super::term::fit(&who(s), who_width);
        let mut line = format!("{offset:>9} {duration:>9}  {who_text}  {status}  {label}");
        if bar_width > 0 {
            let pad = label_width.saturating_sub(super::term::width(label));
            let from = ((s.start.saturating_sub(t0)) as u128 * bar_width as u128 / total as u128) as usize;
            let to = ((s.end.max(s.start).saturating_sub(t0)) as u128 * bar_width as u128 / total as u128) as usize;
            let (from, to) = (from.min(bar_width), to.clamp(from, bar_width));
            let body = "█".repeat((to - from).max(1).min(bar_width - from.min(bar_width - 1)));
            let bar = format!("{}{}", " ".repeat(from.min(bar_width - 1)), body);
            let bar = if critical[n.index()] { p.paint("33", &bar) } else { bar };
            let _ = write!(line, "{} |{bar}", " ".repeat(pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if style.details {
            let indent = " ".repeat(9 + 1 + 9 + 2 + who_width + 2 + 6 + 2 + branch.chars().count() + 4);
            details(dump, s, &indent, &mut out);
        }
        for f in by_span.get(&s.span_id).into_iter().flatten() {
            let indent = 9 + 1 + 9 + 2 + who_width + 2 + 6 + 2 + branch.chars().count() + 2;
            let _ = writeln!(
                out,
                "{}{} {} {}",
                " ".repeat(indent),
                p.paint("31", "!"),
                f.code,
                super::term::escape(&f.message)
            );
        }
    }
    let unplaced: Vec<&&Finding> = findings.iter().filter(|f| f.span_ids.is_empty()).collect();
    for f in unplaced {
        let _ = writeln!(out, "  {} {} {}", p.paint("31", "!"), f.code, super::term::escape(&f.message));
    }
    out
}

/// A span's attributes, events (with their offset from the span's start) and links, one per
/// line under it, every value escaped.
fn details(dump: &Dump, s: &crate::model::Span, indent: &str, out: &mut String) {
    use super::term::escape;
    let attrs = |a: &[crate::model::Attr]| -> String {
        a.iter()
            .map(|x| format!("{}={}", escape(dump.str(x.key)), escape(&dump.value_text(&x.value()))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(out, "{indent}span {} kind {}", s.span_id, s.kind);
    let span_attrs = dump.span_attrs(s);
    if !span_attrs.is_empty() {
        let _ = writeln!(out, "{indent}attributes: {}", attrs(span_attrs));
    }
    if s.status_message != crate::model::Sym::EMPTY {
        let _ = writeln!(out, "{indent}status message: {}", escape(dump.str(s.status_message)));
    }
    for e in dump.span_events(s) {
        let at = if e.time >= s.start && s.start > 0 { format!("+{}", fmt_ns(e.time - s.start)) } else { "?".into() };
        let a = attrs(&dump.attrs[e.attrs.range()]);
        let _ =
            writeln!(out, "{indent}event {at} {}{}{a}", escape(dump.str(e.name)), if a.is_empty() { "" } else { " " });
    }
    for l in dump.span_links(s) {
        let a = attrs(&dump.attrs[l.attrs.range()]);
        let _ = writeln!(
            out,
            "{indent}link trace {} span {}{}{a}",
            l.trace_id,
            l.span_id,
            if a.is_empty() { "" } else { " " }
        );
    }
}

/// One line per trace for `show --list`: id, root (service and name), spans, duration,
/// errors and findings; traces in the order given.
pub fn list(dump: &Dump, traces: &[(TraceGraph, usize)], width: usize) -> String {
    use super::term::{clip, escape};
    let mut out = String::new();
    let _ =
        writeln!(out, "{:<32}  {:>6}  {:>10}  {:>6}  {:>8}  root", "trace", "spans", "duration", "errors", "findings");
    for (g, findings) in traces {
        let spans: Vec<&crate::model::Span> = g.spans.iter().map(|&i| &dump.spans[i as usize]).collect();
        let start = spans.iter().filter(|s| s.start > 0).map(|s| s.start).min();
        let end = spans.iter().filter(|s| s.end > 0).map(|s| s.end).max();
        let duration = match (start, end) {
            (Some(a), Some(b)) if b >= a => fmt_ns(b - a),
            _ => "?".into(),
        };
        let errors = spans.iter().filter(|s| s.status == StatusCode::Error).count();
        let root = tops(dump, g)
            .first()
            .map(|&n| {
                let s = &dump.spans[g.span_index(n)];
                let service = dump.resource(s).service_name.map_or("?", |x| dump.str(x));
                let missing = if g.roots.is_empty() { " (no root)" } else { "" };
                format!("{}: {}{missing}", escape(service), escape(dump.str(s.name)))
            })
            .unwrap_or_default();
        let line = format!("{:<32}  {:>6}  {:>10}  {:>6}  {:>8}  ", g.trace_id, g.len(), duration, errors, findings);
        let room = width.saturating_sub(super::term::width(&line)).max(20);
        let _ = writeln!(out, "{line}{}", clip(&root, room));
    }
    out
}
