//! The baseline a careful engineer would write without tracecheck: read a file-exporter dump
//! line by line with typed serde structs and print p50/p95/p99 per span name (nearest rank).
//! Usage: serde-baseline FILE

use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TracesData {
    #[serde(default)]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<Span>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Span {
    name: String,
    #[serde(default)]
    start_time_unix_nano: String,
    #[serde(default)]
    end_time_unix_nano: String,
}

fn rank(sorted: &[u64], p: u128) -> u64 {
    let n = sorted.len() as u128;
    let r = (p * n).div_ceil(100).clamp(1, n) as usize;
    sorted[r - 1]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: serde-baseline FILE")?;
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let data: TracesData = serde_json::from_str(&line)?;
        for rs in data.resource_spans {
            for ss in rs.scope_spans {
                for s in ss.spans {
                    let (a, b) = (s.start_time_unix_nano.parse::<u64>(), s.end_time_unix_nano.parse::<u64>());
                    if let (Ok(a), Ok(b)) = (a, b)
                        && a > 0
                        && b >= a
                    {
                        by_name.entry(s.name).or_default().push(b - a);
                    }
                }
            }
        }
    }
    let mut names: Vec<_> = by_name.into_iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, mut d) in names {
        d.sort_unstable();
        println!("{name}\t{}\t{}\t{}\t{}", d.len(), rank(&d, 50), rank(&d, 95), rank(&d, 99));
    }
    Ok(())
}
