# Baseline for the benches: per-span-name p50/p95/p99 (nearest rank) of a file-exporter dump
# with jq. Usage: jq -n -f benches/percentiles.jq < dump.jsonl
reduce (inputs | .resourceSpans[]?.scopeSpans[]?.spans[]?
        | select(.startTimeUnixNano != null and .endTimeUnixNano != null)
        | {name, d: ((.endTimeUnixNano | tonumber) - (.startTimeUnixNano | tonumber))}) as $s
  ({}; .[$s.name] += [$s.d])
| to_entries
| map(.value |= sort
      | .key as $k | .value as $v | ($v | length) as $n
      | {name: $k, n: $n,
         p50: $v[([((($n * 50) + 99) / 100 | floor), 1] | max) - 1],
         p95: $v[([((($n * 95) + 99) / 100 | floor), 1] | max) - 1],
         p99: $v[([((($n * 99) + 99) / 100 | floor), 1] | max) - 1]})
| length
