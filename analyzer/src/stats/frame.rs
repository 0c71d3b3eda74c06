//! `tracecheck stats`: spans as a polars `DataFrame`, grouped by service, name and/or kind,
//! with count, errors, error rate, min, mean, exact percentiles, max and self time per group;
//! written as a table, CSV, JSON or Parquet.

use super::{OpAcc, PERCENTILE_METHOD};
use crate::model::{Dump, SpanKind, StatusCode};
use polars_core::prelude::*;

/// A column spans can be grouped by: service, name, kind, or any field of the rule language
/// read on one span (`span.http.route`, `resource.service.instance.id`, `status`), as
/// TraceQL's `by()` does.
#[derive(Clone, Debug)]
pub enum By {
    Service,
    Name,
    Kind,
    Field(std::sync::Arc<dyn SpanField>),
}

/// A value read on each span, by its name (the rule language's `FieldReader` is one).
pub trait SpanField: Send + Sync + std::fmt::Debug {
    /// The column's name: the field as written.
    fn column(&self) -> &str;
    /// The value on each of `spans` (indices into `dump.spans`); `None` when a span has none.
    fn values(&self, dump: &Dump, spans: &[usize]) -> Vec<Option<String>>;
}

impl PartialEq for By {
    fn eq(&self, other: &By) -> bool {
        self.column() == other.column()
    }
}

impl By {
    pub fn column(&self) -> &str {
        match self {
            By::Service => "service",
            By::Name => "name",
            By::Kind => "kind",
            By::Field(f) => f.column(),
        }
    }

    /// `service`, `name` (or `operation`) or `kind`; other fields are made by the caller.
    pub fn parse(s: &str) -> Option<By> {
        match s.trim() {
            "service" => Some(By::Service),
            "name" | "operation" => Some(By::Name),
            "kind" => Some(By::Kind),
            _ => None,
        }
    }
}

/// A field's value in a group column when the span has none (TraceQL's `nil`).
pub const NIL: &str = "nil";

fn kind_name(k: SpanKind) -> &'static str {
    match k {
        SpanKind::Unspecified => "unspecified",
        SpanKind::Internal => "internal",
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
    }
}

/// One row per selected span: service, name, kind, duration and self time (ns, null when
/// unusable) and whether its status is ERROR.
pub fn spans_frame(
    dump: &Dump,
    selected: Option<&[bool]>,
    self_ns: &[Option<u64>],
    by: &[By],
) -> PolarsResult<DataFrame> {
    let keep: Vec<usize> = (0..dump.spans.len()).filter(|&i| selected.is_none_or(|m| m[i])).collect();
    let service: Vec<&str> =
        keep.iter().map(|&i| dump.resource(&dump.spans[i]).service_name.map_or("", |s| dump.str(s))).collect();
    let name: Vec<&str> = keep.iter().map(|&i| dump.str(dump.spans[i].name)).collect();
    let kind: Vec<&str> = keep.iter().map(|&i| kind_name(dump.spans[i].kind)).collect();
    let duration: Vec<Option<u64>> = keep.iter().map(|&i| dump.spans[i].duration()).collect();
    let self_time: Vec<Option<u64>> = keep.iter().map(|&i| self_ns[i]).collect();
    let error: Vec<bool> = keep.iter().map(|&i| dump.spans[i].status == StatusCode::Error).collect();
    let mut columns = vec![
        Column::new("service".into(), service),
        Column::new("name".into(), name),
        Column::new("kind".into(), kind),
        Column::new("duration_ns".into(), duration),
        Column::new("self_ns".into(), self_time),
        Column::new("error".into(), error),
    ];
    for b in by {
        if let By::Field(f) = b {
            let values: Vec<String> =
                f.values(dump, &keep).into_iter().map(|v| v.unwrap_or_else(|| NIL.to_string())).collect();
            columns.push(Column::new(f.column().into(), values));
        }
    }
    DataFrame::new(keep.len(), columns)
}

/// Per group of `by`: count, errors, error_rate, min, mean, p50, p90, p95, p99, max, total and
/// mean self time (ns), and the percentile method; rows sorted by the group columns.
pub fn group_stats(spans: &DataFrame, by: &[By]) -> PolarsResult<DataFrame> {
    let keys: Vec<&str> = by.iter().map(By::column).collect();
    let duration: Vec<Option<u64>> = spans.column("duration_ns")?.u64()?.iter().collect();
    let self_ns: Vec<Option<u64>> = spans.column("self_ns")?.u64()?.iter().collect();
    let error: Vec<Option<bool>> = spans.column("error")?.bool()?.iter().collect();
    let grouped = spans.group_by(keys.iter().copied())?;
    let key_columns = grouped.keys();
    let key_values: Vec<Vec<String>> = key_columns
        .iter()
        .map(|c| c.str().map(|ca| ca.iter().map(|v| v.unwrap_or("").to_owned()).collect()))
        .collect::<PolarsResult<_>>()?;
    let groups: Vec<Vec<usize>> = grouped
        .get_groups()
        .iter()
        .map(|g| match g {
            GroupsIndicator::Idx((_, idx)) => idx.iter().map(|&i| i as usize).collect(),
            GroupsIndicator::Slice([first, len]) => (first as usize..(first + len) as usize).collect(),
        })
        .collect();
    // Deterministic order: by the group's key values.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        let ka = key_values.iter().map(|col| &col[a]);
        let kb = key_values.iter().map(|col| &col[b]);
        ka.cmp(kb)
    });
    let n = order.len();
    let mut cols: Vec<Column> = keys
        .iter()
        .zip(&key_values)
        .map(|(name, values)| {
            Column::new((*name).into(), order.iter().map(|&g| values[g].as_str()).collect::<Vec<_>>())
        })
        .collect();
    let (mut count, mut errors, mut rate) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut min, mut mean, mut max) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let mut pct: [Vec<Option<u64>>; 4] = Default::default();
    let (mut self_total, mut self_mean) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for &g in &order {
        let rows = &groups[g];
        let mut acc = OpAcc::default();
        for &i in rows {
            acc.add(duration[i], error[i] == Some(true));
        }
        let f = acc.finish();
        count.push(f.count);
        errors.push(f.errors);
        rate.push(f.error_rate());
        min.push(f.min());
        max.push(f.max());
        mean.push(f.mean());
        for (slot, p) in pct.iter_mut().zip([50.0, 90.0, 95.0, 99.0]) {
            slot.push(f.percentile(p));
        }
        let s: Vec<u64> = rows.iter().filter_map(|&i| self_ns[i]).collect();
        self_total.push(s.iter().sum::<u64>());
        self_mean.push((!s.is_empty()).then(|| s.iter().sum::<u64>() as f64 / s.len() as f64));
    }
    let [p50, p90, p95, p99] = pct;
    cols.extend([
        Column::new("count".into(), count),
        Column::new("errors".into(), errors),
        Column::new("error_rate".into(), rate),
        Column::new("min_ns".into(), min),
        Column::new("mean_ns".into(), mean),
        Column::new("p50_ns".into(), p50),
        Column::new("p90_ns".into(), p90),
        Column::new("p95_ns".into(), p95),
        Column::new("p99_ns".into(), p99),
        Column::new("max_ns".into(), max),
        Column::new("self_total_ns".into(), self_total),
        Column::new("self_mean_ns".into(), self_mean),
        Column::new("percentile_method".into(), vec!["nearest-rank"; n]),
    ]);
    DataFrame::new(n, cols)
}

/// The method, for outputs that have room for a sentence.
pub const METHOD: &str = PERCENTILE_METHOD;
