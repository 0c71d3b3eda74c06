//! The Collector pass, shared by C001 to C005: the Collector's own span counters against
//! each other and against the dump.

use super::spans_missing_from_dump;
use super::{Finding, export_success_rate, exporter_failed_spans, processor_dropped_spans, receiver_refused_spans};
use crate::input::telemetry::{Counter, Telemetry};

/// The findings the counters of `t` give, for a dump of `spans` spans; the export success
/// rate is judged against `min_success` (a fraction).
pub fn run(t: &Telemetry, spans: u64, min_success: f64, out: &mut Vec<Finding>) {
    if t.is_empty() {
        return;
    }
    let total = |c: Counter| t.totals(c);
    let get =
        |m: &std::collections::BTreeMap<(String, String), u64>, k: &(String, String)| m.get(k).copied().unwrap_or(0);
    let say = |code, text: String| Finding::new(code, format!("collector metrics: {text}"));

    let (accepted, refused, failed) =
        (total(Counter::ReceiverAccepted), total(Counter::ReceiverRefused), total(Counter::ReceiverFailed));
    for k in refused.keys().chain(failed.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (r, f) = (get(&refused, k), get(&failed, k));
        if r + f > 0 {
            let failed = if f > 0 { format!(" and failed to take in {f}") } else { String::new() };
            let text = format!(
                "Collector {:?} receiver {:?} refused {r} span(s){failed} (accepted {})",
                k.0,
                k.1,
                get(&accepted, k)
            );
            out.push(say(receiver_refused_spans::INFO.code, text));
        }
    }

    let (dropped, prefused) = (total(Counter::ProcessorDropped), total(Counter::ProcessorRefused));
    let (incoming, outgoing) = (total(Counter::ProcessorIncoming), total(Counter::ProcessorOutgoing));
    let keys: std::collections::BTreeSet<_> =
        dropped.keys().chain(prefused.keys()).chain(incoming.keys()).chain(outgoing.keys()).collect();
    for k in keys {
        let mut parts = Vec::new();
        if get(&dropped, k) > 0 {
            parts.push(format!("dropped {} span(s)", get(&dropped, k)));
        }
        if get(&prefused, k) > 0 {
            parts.push(format!("refused {} span(s)", get(&prefused, k)));
        }
        let (i, o) = (get(&incoming, k), get(&outgoing, k));
        if incoming.contains_key(k) && i > o {
            parts.push(format!("passed on {o} of {i} span(s): {} not passed on", i - o));
        }
        if !parts.is_empty() {
            let text = format!("Collector {:?} processor {:?} {}", k.0, k.1, parts.join(", "));
            out.push(say(processor_dropped_spans::INFO.code, text));
        }
    }

    let (sent, send_failed, enqueue_failed) =
        (total(Counter::ExporterSent), total(Counter::ExporterSendFailed), total(Counter::ExporterEnqueueFailed));
    for k in send_failed.keys().chain(enqueue_failed.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (f, q) = (get(&send_failed, k), get(&enqueue_failed, k));
        if f + q > 0 {
            let text = format!(
                "Collector {:?} exporter {:?} failed to send {f} span(s) and to queue {q} (sent {})",
                k.0,
                k.1,
                get(&sent, k)
            );
            out.push(say(exporter_failed_spans::INFO.code, text));
        }
    }

    // Per instance: the export success rate, and accepted spans against the dump.
    let per_instance = |m: &std::collections::BTreeMap<(String, String), u64>| {
        let mut by: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
        for ((instance, _), v) in m {
            *by.entry(instance.clone()).or_default() += v;
        }
        by
    };
    let (sent_i, failed_i, queue_i) = (per_instance(&sent), per_instance(&send_failed), per_instance(&enqueue_failed));
    let instances: std::collections::BTreeSet<&String> =
        sent_i.keys().chain(failed_i.keys()).chain(queue_i.keys()).collect();
    for inst in instances {
        let n = |m: &std::collections::BTreeMap<String, u64>| m.get(inst).copied().unwrap_or(0);
        let (s, f) = (n(&sent_i), n(&failed_i) + n(&queue_i));
        if s + f == 0 {
            continue;
        }
        let rate = s as f64 / (s + f) as f64;
        if rate < min_success {
            let text = format!(
                "Collector {inst:?} exported {:.2} % of its spans ({s} sent, {f} failed); at least {:.2} % expected",
                rate * 100.0,
                min_success * 100.0
            );
            out.push(say(export_success_rate::INFO.code, text));
        }
    }
    for (inst, a) in per_instance(&accepted) {
        if a > spans {
            let text =
                format!("Collector {inst:?} accepted {a} span(s); the dump holds {spans}: {} missing", a - spans);
            out.push(say(spans_missing_from_dump::INFO.code, text));
        }
    }
}
