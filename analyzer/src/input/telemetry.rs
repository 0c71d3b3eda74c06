//! The Collector's own telemetry: the span counters each receiver, processor and exporter
//! keeps, read from metric records in a dump (OTLP JSON, as the file exporter writes them
//! beside spans), from OTLP metrics files (JSON or protobuf), and from a Prometheus text scrape
//! of the Collector's metrics endpoint.
//!
//! The names differ across Collector versions and forms: `otelcol_receiver_accepted_spans`
//! (OTLP, and Prometheus before the `_total` suffix), `otelcol_receiver_accepted_spans_total`
//! (Prometheus now), dotted spellings (`otelcol.receiver.accepted_spans`), the processor
//! helper's `otelcol_processor_dropped_spans` (older) and the item counts
//! `otelcol_processor_incoming_items` / `_outgoing_items` with `otel.signal` (newer). Names
//! and attribute keys are compared with dots as underscores and without `_total`.

use serde::{Deserialize, Serialize};

/// A span counter the Collector keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    ReceiverAccepted,
    ReceiverRefused,
    ReceiverFailed,
    ProcessorDropped,
    ProcessorRefused,
    ProcessorIncoming,
    ProcessorOutgoing,
    ExporterSent,
    ExporterSendFailed,
    ExporterEnqueueFailed,
}

/// The kind of pipeline component a counter belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Receiver,
    Processor,
    Exporter,
}

impl Role {
    /// The attribute naming the component.
    pub fn key(self) -> &'static str {
        match self {
            Role::Receiver => "receiver",
            Role::Processor => "processor",
            Role::Exporter => "exporter",
        }
    }
}

impl Counter {
    /// The counter a metric name means, in any spelling; `None` for other metrics.
    pub fn of_name(name: &str) -> Option<Counter> {
        let n = normalize(name);
        let n = n.strip_suffix("_total").unwrap_or(&n);
        Some(match n {
            "otelcol_receiver_accepted_spans" => Counter::ReceiverAccepted,
            "otelcol_receiver_refused_spans" => Counter::ReceiverRefused,
            "otelcol_receiver_failed_spans" => Counter::ReceiverFailed,
            "otelcol_processor_dropped_spans" => Counter::ProcessorDropped,
            "otelcol_processor_refused_spans" => Counter::ProcessorRefused,
            "otelcol_processor_incoming_items" => Counter::ProcessorIncoming,
            "otelcol_processor_outgoing_items" => Counter::ProcessorOutgoing,
            "otelcol_exporter_sent_spans" => Counter::ExporterSent,
            "otelcol_exporter_send_failed_spans" => Counter::ExporterSendFailed,
            "otelcol_exporter_enqueue_failed_spans" => Counter::ExporterEnqueueFailed,
            _ => return None,
        })
    }

    pub fn role(self) -> Role {
        match self {
            Counter::ReceiverAccepted | Counter::ReceiverRefused | Counter::ReceiverFailed => Role::Receiver,
            Counter::ProcessorDropped
            | Counter::ProcessorRefused
            | Counter::ProcessorIncoming
            | Counter::ProcessorOutgoing => Role::Processor,
            Counter::ExporterSent | Counter::ExporterSendFailed | Counter::ExporterEnqueueFailed => Role::Exporter,
        }
    }

    /// Whether the counter counts items of every signal (told apart by `otel.signal`).
    fn all_signals(self) -> bool {
        matches!(self, Counter::ProcessorIncoming | Counter::ProcessorOutgoing)
    }
}

/// A name or attribute key as compared: lower case, dots as underscores.
fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('.', "_")
}

/// One time series of a counter: its identity and its latest value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// The Collector: `service.instance.id` (resource attribute or label), else
    /// `service.name`, else where it was read.
    pub instance: String,
    pub counter: Counter,
    /// The receiver, processor or exporter (`otlp`, `batch`, `file/spans`).
    pub component: String,
    /// The other attributes (`transport=grpc`), sorted, as text.
    pub attrs: String,
    /// When a cumulative series started (ns; 0 when unknown): a restarted Collector starts
    /// a new series.
    pub start: u64,
    /// Cumulative (each point the total so far) or delta (each point the increase).
    pub cumulative: bool,
    /// The latest point's time (ns; 0 when unknown).
    pub time: u64,
    pub value: u64,
}

impl Series {
    fn key(&self) -> (&str, Counter, &str, &str, u64, bool) {
        (&self.instance, self.counter, &self.component, &self.attrs, self.start, self.cumulative)
    }
}

/// Every counter series read, each once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telemetry {
    /// Sorted by identity.
    pub series: Vec<Series>,
}

impl Telemetry {
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Adds a point: a cumulative series keeps its latest value, a delta series sums them.
    pub fn add(&mut self, s: Series) {
        match self.series.binary_search_by(|x| x.key().cmp(&s.key())) {
            Ok(i) => {
                let x = &mut self.series[i];
                if s.cumulative {
                    if (s.time, s.value) > (x.time, x.value) {
                        (x.time, x.value) = (s.time, s.value);
                    }
                } else {
                    x.value = x.value.saturating_add(s.value);
                    x.time = x.time.max(s.time);
                }
            }
            Err(i) => self.series.insert(i, s),
        }
    }

    /// Adds every point of `other`.
    pub fn merge(&mut self, other: &Telemetry) {
        for s in &other.series {
            self.add(s.clone());
        }
    }

    /// Adds the Collector counters of an OTLP `MetricsData` (or export request) as JSON;
    /// `source` names the instance when the resource does not.
    pub fn add_otlp_json(&mut self, v: &serde_json::Value, source: &str) {
        let list = v.get("resourceMetrics").or_else(|| v.get("resource_metrics"));
        for rm in list.and_then(serde_json::Value::as_array).into_iter().flatten() {
            let res = attrs_of(rm.get("resource").and_then(|r| r.get("attributes")));
            let instance = res
                .iter()
                .find(|(k, _)| k == "service_instance_id")
                .or_else(|| res.iter().find(|(k, _)| k == "service_name"))
                .map_or_else(|| source.to_string(), |(_, v)| v.clone());
            let scopes = rm.get("scopeMetrics").or_else(|| rm.get("scope_metrics"));
            for sm in scopes.and_then(serde_json::Value::as_array).into_iter().flatten() {
                for m in sm.get("metrics").and_then(serde_json::Value::as_array).into_iter().flatten() {
                    let Some(counter) = m.get("name").and_then(serde_json::Value::as_str).and_then(Counter::of_name)
                    else {
                        continue;
                    };
                    let (data, cumulative) = match (m.get("sum"), m.get("gauge")) {
                        (Some(sum), _) => {
                            let t = sum.get("aggregationTemporality").or_else(|| sum.get("aggregation_temporality"));
                            // 1 is DELTA; 2 (CUMULATIVE) and anything unsaid are totals.
                            let delta = t.is_some_and(|t| {
                                t.as_u64() == Some(1) || t.as_str() == Some("AGGREGATION_TEMPORALITY_DELTA")
                            });
                            (sum, !delta)
                        }
                        (None, Some(gauge)) => (gauge, true),
                        (None, None) => continue,
                    };
                    let points = data.get("dataPoints").or_else(|| data.get("data_points"));
                    for p in points.and_then(serde_json::Value::as_array).into_iter().flatten() {
                        let value = number(p.get("asInt").or_else(|| p.get("as_int")))
                            .or_else(|| number(p.get("asDouble").or_else(|| p.get("as_double"))));
                        let Some(value) = value else { continue };
                        let time = |k: &str, s: &str| number(p.get(k).or_else(|| p.get(s))).unwrap_or(0);
                        self.point(
                            &instance,
                            counter,
                            attrs_of(p.get("attributes")),
                            (time("startTimeUnixNano", "start_time_unix_nano"), time("timeUnixNano", "time_unix_nano")),
                            cumulative,
                            value,
                        );
                    }
                }
            }
        }
    }

    /// Adds the Collector counters of a Prometheus text exposition (a scrape of the
    /// Collector's metrics endpoint); `source` names the instance when no
    /// `service_instance_id` label does. Returns the lines that could not be read (line
    /// number and why).
    pub fn add_prometheus(&mut self, text: &str, source: &str) -> Vec<(usize, String)> {
        let mut bad = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, rest) = match line.find(['{', ' ', '\t']) {
                Some(i) => line.split_at(i),
                None => {
                    bad.push((k + 1, "a sample needs a value".to_string()));
                    continue;
                }
            };
            let Some(counter) = Counter::of_name(name) else { continue };
            let (labels, rest) = match rest.strip_prefix('{') {
                Some(r) => match parse_labels(r) {
                    Some(x) => x,
                    None => {
                        bad.push((k + 1, "labels not closed or not quoted".to_string()));
                        continue;
                    }
                },
                None => (Vec::new(), rest),
            };
            let mut parts = rest.split_whitespace();
            let value = parts.next().and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite() && *v >= 0.0);
            let Some(value) = value else {
                bad.push((k + 1, format!("{name}: the value is not a count")));
                continue;
            };
            // An optional timestamp, in milliseconds.
            let time = parts.next().and_then(|t| t.parse::<u64>().ok()).map_or(0, |ms| ms.saturating_mul(1_000_000));
            let instance = labels
                .iter()
                .find(|(k, _)| k == "service_instance_id")
                .map_or_else(|| source.to_string(), |(_, v)| v.clone());
            self.point(&instance, counter, labels, (0, time), true, value.round() as u64);
        }
        bad
    }

    fn point(
        &mut self,
        instance: &str,
        counter: Counter,
        attrs: Vec<(String, String)>,
        (start, time): (u64, u64),
        cumulative: bool,
        value: u64,
    ) {
        if counter.all_signals()
            && attrs.iter().any(|(k, v)| k == "otel_signal" && !matches!(v.as_str(), "traces" | "spans"))
        {
            return;
        }
        let role = counter.role().key();
        let component = attrs.iter().find(|(k, _)| k == role).map_or_else(String::new, |(_, v)| v.clone());
        // What tells series of one component apart (transport); not what every series of a
        // Collector shares (its identity, the instrumentation scope).
        let mut rest: Vec<String> = attrs
            .iter()
            .filter(|(k, _)| {
                k != role
                    && !matches!(
                        k.as_str(),
                        "service_instance_id" | "service_name" | "service_version" | "job" | "instance"
                    )
                    && !k.starts_with("otel_scope_")
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        rest.sort();
        let s = Series {
            instance: instance.to_string(),
            counter,
            component,
            attrs: rest.join(","),
            start,
            cumulative,
            time,
            value,
        };
        self.add(s);
    }

    /// The total of `counter` per (instance, component): the latest value of each
    /// cumulative series, and every delta, summed over the series of the component.
    pub fn totals(&self, counter: Counter) -> std::collections::BTreeMap<(String, String), u64> {
        let mut out = std::collections::BTreeMap::new();
        for s in self.series.iter().filter(|s| s.counter == counter) {
            *out.entry((s.instance.clone(), s.component.clone())).or_insert(0u64) += s.value;
        }
        out
    }
}

/// `[{key, value: {stringValue…}}]` as (normalized key, value text) pairs.
fn attrs_of(v: Option<&serde_json::Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in v.and_then(serde_json::Value::as_array).into_iter().flatten() {
        let Some(key) = a.get("key").and_then(serde_json::Value::as_str) else { continue };
        let text = a.get("value").and_then(|v| v.as_object()).and_then(|o| o.values().next()).map(|x| match x {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        out.push((normalize(key), text.unwrap_or_default()));
    }
    out
}

/// A count written as a JSON number or a string (OTLP JSON writes 64-bit integers as text).
fn number(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::Number(n) => {
            n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f.round() as u64))
        }
        serde_json::Value::String(s) => {
            s.parse::<u64>().ok().or_else(|| s.parse::<f64>().ok().map(|f| f.round() as u64))
        }
        _ => None,
    }
}

/// `k="v",k2="v2"} rest` → the labels (keys normalized) and the rest; `None` when broken.
fn parse_labels(s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    let mut rest = s.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            return Some((labels, r));
        }
        let eq = rest.find('=')?;
        let key = normalize(rest[..eq].trim());
        let mut chars = rest[eq + 1..].trim_start().char_indices();
        let body_start = rest.len() - rest[eq + 1..].trim_start().len();
        if chars.next()?.1 != '"' {
            return None;
        }
        let mut value = String::new();
        let mut escaped = false;
        let mut end = None;
        for (i, c) in chars {
            match (escaped, c) {
                (true, 'n') => (value.push('\n'), escaped = false).1,
                (true, c) => (value.push(c), escaped = false).1,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = Some(body_start + i + 1);
                    break;
                }
                (false, c) => value.push(c),
            }
        }
        labels.push((key, value));
        rest = rest[end?..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
}

/// Reads a file of Collector metrics: a Prometheus text scrape, OTLP JSON (one document or
/// JSON lines) or OTLP protobuf (one `MetricsData` or length-prefixed records). `source`
/// names it in messages and as the instance when nothing else does.
pub fn read_file(bytes: &[u8], source: &str) -> Result<Telemetry, String> {
    let mut t = Telemetry::default();
    let text = std::str::from_utf8(bytes).ok().map(|s| s.trim_start_matches('\u{feff}'));
    match text {
        Some(s) if s.trim_start().starts_with('{') => {
            for (k, line) in s.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let v: serde_json::Value = match serde_json::from_str(line) {
                    Ok(v) => v,
                    // Not JSON lines: one pretty-printed document.
                    Err(_) if k == 0 => {
                        let v = serde_json::from_str(s).map_err(|e| format!("not OTLP JSON: {e}"))?;
                        t.add_otlp_json(&v, source);
                        return Ok(t);
                    }
                    Err(e) => return Err(format!("line {}: not JSON: {e}", k + 1)),
                };
                t.add_otlp_json(&v, source);
            }
        }
        // Text has no control characters but line ends and tabs; protobuf's tags and
        // lengths always give some.
        Some(s) if !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) => {
            let bad = t.add_prometheus(s, source);
            if let Some((line, why)) = bad.first() {
                return Err(format!("line {line}: {why} (and {} more)", bad.len() - 1));
            }
        }
        _ => {
            for record in proto_records(bytes) {
                t.add_otlp_json(&proto_metrics_json(record)?, source);
            }
        }
    }
    Ok(t)
}

/// Adds the Collector's counters of one protobuf `MetricsData` record of a dump to `batch`.
pub(super) fn add_proto_metrics(batch: &mut super::batch::Batch, record: &[u8]) -> Result<(), String> {
    let v = proto_metrics_json(record)?;
    batch.accounting.telemetry.add_otlp_json(&v, "the dump");
    Ok(())
}

/// One protobuf `MetricsData` as OTLP JSON.
fn proto_metrics_json(record: &[u8]) -> Result<serde_json::Value, String> {
    let json = super::otlp_transcode::to_json(super::otlp_transcode::Signal::Metrics, record)
        .map_err(|e| format!("is not OTLP protobuf metrics: {}", e.what))?;
    serde_json::from_str(&json.json).map_err(|e| format!("is not OTLP protobuf metrics: {e}"))
}

/// Length-prefixed records (4-byte big-endian lengths) when the bytes are exactly that,
/// else the bytes as one message.
fn proto_records(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 4 {
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if n == 0 || rest.len() - 4 < n {
            return vec![bytes];
        }
        out.push(&rest[4..4 + n]);
        rest = &rest[4 + n..];
    }
    if rest.is_empty() && !out.is_empty() { out } else { vec![bytes] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_names_the_same_counter() {
        for name in [
            "otelcol_receiver_accepted_spans",
            "otelcol_receiver_accepted_spans_total",
            "otelcol.receiver.accepted_spans",
            "OTELCOL_RECEIVER_ACCEPTED_SPANS",
        ] {
            assert_eq!(Counter::of_name(name), Some(Counter::ReceiverAccepted), "{name}");
        }
        assert_eq!(Counter::of_name("otelcol_processor_incoming_items_total"), Some(Counter::ProcessorIncoming));
        assert_eq!(Counter::of_name("otelcol_receiver_accepted_log_records"), None);
    }

    #[test]
    fn cumulative_series_keep_their_latest_point_and_deltas_add_up() {
        let mut t = Telemetry::default();
        let s = |time, value, cumulative| Series {
            instance: "c".into(),
            counter: Counter::ExporterSent,
            component: "file".into(),
            attrs: String::new(),
            start: 1,
            cumulative,
            time,
            value,
        };
        t.add(s(20, 50, true));
        t.add(s(10, 30, true));
        t.add(s(5, 7, false));
        t.add(s(6, 8, false));
        assert_eq!(t.series.iter().map(|x| x.value).collect::<Vec<_>>(), [15, 50], "delta series sort first");
        assert_eq!(t.totals(Counter::ExporterSent).get(&("c".into(), "file".into())), Some(&65));
    }

    #[test]
    fn prometheus_labels_and_values_are_read() {
        let mut t = Telemetry::default();
        let text = "# TYPE x counter\notelcol_exporter_send_failed_spans_total{exporter=\"otlp\",service_instance_id=\"a b\",otel_scope_name=\"s\"} 1.5e+01 1700000000000\nbroken{ 3\n";
        let bad = t.add_prometheus(text, "scrape.txt");
        assert_eq!(bad.len(), 0, "other metrics are not read: {bad:?}");
        assert_eq!(t.series.len(), 1);
        let s = &t.series[0];
        assert_eq!((s.instance.as_str(), s.component.as_str(), s.attrs.as_str(), s.value), ("a b", "otlp", "", 15));
        assert_eq!(s.time, 1_700_000_000_000_000_000);
        let bad = t.add_prometheus("otelcol_receiver_refused_spans{receiver=\"otlp 3\n", "x");
        assert_eq!(bad[0].0, 1);
    }
}
