(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const r = data.report, x = data.extra;
  const app = document.getElementById("app");
  app.textContent = "";
  function section(title, id) { const h = el("h2", { id: id, text: title }); app.append(h); return h; }

  // Verdict, inputs, digests, counts.
  app.append(el("h1", { text: "tracecheck report" }));
  const v = r.verdict;
  app.append(el("div", { class: "verdict " + v.outcome, id: "verdict", text: v.outcome.toUpperCase() + " (exit " + v.exit_code + "): " + v.reason }));
  app.append(el("p", { class: "muted", text: r.tool.name + " " + r.tool.version + " · " + r.schema + " · fail on " + v.fail_on }));
  section("Inputs (" + r.inputs.length + " files)", "inputs");
  const inputs = el("table", {}, el("tr", {}, el("th", { text: "file" }), el("th", { text: "bytes" }), el("th", { text: "format" }), el("th", { text: "compression" })));
  for (const f of r.inputs) inputs.append(el("tr", {}, el("td", { class: "mono", text: f.path }), el("td", { text: f.bytes }), el("td", { text: f.format }), el("td", { text: f.compression })));
  app.append(r.inputs.length > 5 ? el("details", {}, el("summary", { text: "the files" }), inputs) : inputs);
  for (const e of r.input_errors) app.append(el("p", { class: "sev-error", text: "cannot read " + e.path + ": " + e.message }));
  const c = r.counts, s = r.structure;
  app.append(el("p", { text: c.spans + " spans in " + c.traces + " traces from " + c.records_read + " records (" + c.records_skipped + " skipped); " +
    s.roots + " roots, " + s.orphans + " orphans, " + s.traces_without_root + " traces without root, max depth " + s.max_depth }));
  app.append(el("p", { class: "mono", text: "spans digest " + r.digest.spans + (r.digest.rules ? " · rules digest " + r.digest.rules : "") }));
  if (r.missing_buckets) app.append(el("p", { class: "sev-error", text: r.missing_buckets.buckets + " trace buckets were not analysed" }));

  // Rules.
  if (r.rules.length) {
    section("Rules", "rules");
    const t = el("table", {}, el("tr", {}, ...["rule", "pack", "title", "outcome", "matched", "findings", "why"].map(h => el("th", { text: h }))));
    for (const ru of r.rules) t.append(el("tr", {}, el("td", { class: "mono", text: ru.id }), el("td", { text: ru.pack }), el("td", { text: ru.title }),
      el("td", { class: "out-" + ru.outcome, text: ru.outcome }), el("td", { text: ru.matched }), el("td", { text: ru.findings }), el("td", { text: ru.reason })));
    app.append(t);
  }

  // Findings, grouped by code or rule, with filters.
  section("Findings (" + r.summary.findings + ", " + r.summary.listed + " listed)", "findings");
  const drawn = new Set(x.waterfalls.map(w => w.trace_id));
  const filters = el("div", { class: "filters" });
  const fSev = el("select", { id: "f-severity" }, el("option", { value: "", text: "every severity" }), ...["error", "warning", "info"].map(s => el("option", { value: s, text: s })));
  const codes = [...new Set(r.findings.map(f => f.code))];
  const fCode = el("select", { id: "f-code" }, el("option", { value: "", text: "every code" }), ...codes.map(c => el("option", { value: c, text: c })));
  const services = [...new Set(x.finding_services.filter(s => s))].sort();
  const fSvc = el("select", { id: "f-service" }, el("option", { value: "", text: "every service" }), ...services.map(c => el("option", { value: c, text: c })));
  const fText = el("input", { id: "f-text", type: "search", placeholder: "text in the message, trace or file" });
  const shown = el("span", { class: "muted", id: "f-shown" });
  filters.append(fSev, fCode, fSvc, fText, shown);
  app.append(filters);
  const groups = [];
  const byCode = new Map();
  r.findings.forEach((f, i) => { if (!byCode.has(f.code)) byCode.set(f.code, []); byCode.get(f.code).push([f, i]); });
  for (const [code, list] of byCode) {
    const omitted = r.summary.omitted[code] || 0;
    const d = el("details", { class: "group", open: "" }, el("summary", {}, el("h3", { text: code + " " + list[0][0].name }),
      el("span", { class: "muted", text: " · " + r.summary.by_code[code] + " found" + (omitted ? ", " + omitted + " not listed" : "") })));
    const t = el("table", {}, el("tr", {}, ...["severity", "trace", "message", "where"].map(h => el("th", { text: h }))));
    const rows = [];
    for (const [f, i] of list) {
      // A drawn trace is a link to its waterfall; another one says how to draw it.
      const trace = !f.trace_id ? "–" : drawn.has(f.trace_id)
        ? el("a", { href: "#trace-" + f.trace_id, class: "mono", text: f.trace_id })
        : el("span", { class: "mono undrawn", title: "not drawn in this page: tracecheck show FILES --trace " + f.trace_id, text: f.trace_id });
      const msg = el("td", {}, el("div", { text: f.message }));
      if (f.expected) msg.append(el("div", { class: "muted", text: "expected " + f.expected + "; actual " + (f.actual || "") }));
      const row = el("tr", { class: "finding" }, el("td", { class: "sev-" + f.severity, text: f.severity }), el("td", {}, trace), msg,
        el("td", { class: "mono", text: (f.source || "") + (f.span_ids.length ? " span " + f.span_ids.join(", ") : "") }));
      row.dataset.severity = f.severity; row.dataset.code = f.code; row.dataset.service = x.finding_services[i] || "";
      row.dataset.text = (f.message + " " + (f.trace_id || "") + " " + (f.source || "") + " " + (f.expected || "") + " " + (f.actual || "")).toLowerCase();
      rows.push(row); t.append(row);
    }
    d.append(t); app.append(d); groups.push([d, rows]);
  }
  function applyFilters() {
    const sv = fSev.value, cd = fCode.value, sc = fSvc.value, tx = fText.value.toLowerCase();
    let n = 0;
    for (const [d, rows] of groups) {
      let any = false;
      for (const row of rows) {
        const ok = (!sv || row.dataset.severity === sv) && (!cd || row.dataset.code === cd) && (!sc || row.dataset.service === sc) && (!tx || row.dataset.text.includes(tx));
        row.classList.toggle("hidden", !ok); if (ok) { any = true; n++; }
      }
      d.classList.toggle("hidden", !any);
    }
    shown.textContent = n + " of " + r.findings.length + " listed findings shown";
  }
  for (const f of [fSev, fCode, fSvc]) f.addEventListener("change", applyFilters);
  fText.addEventListener("input", applyFilters);
  applyFilters();

  // Latency: a histogram per operation, log scale, percentiles marked.
  section("Latency per operation", "latency");
  app.append(el("p", { class: "muted", text: r.latency.method }));
  app.append(legend());
  const ops = el("div", { class: "ops" });
  x.histograms.forEach((bins, k) => {
    const op = r.latency.operations[k];
    const card = el("div", { class: "op" }, el("div", { class: "title", text: (op.service || "(no service)") + " / " + op.name }),
      el("div", { class: "muted", text: op.count + " spans · " + op.errors + " errors (" + (100 * op.errors / Math.max(op.count, 1)).toFixed(1) + " %) · p50 " + ns(op.p50_ns) + " · p90 " + ns(op.p90_ns) + " · p99 " + ns(op.p99_ns) + " · max " + ns(op.max_ns) }));
    const g = histogram(bins, op);
    card.append(g); ops.append(card);
  });
  app.append(ops);
  if (x.operations_left_out) app.append(el("p", { class: "muted", text: x.operations_left_out + " more operations are in the JSON report, not drawn here" }));

  // The worst traces as waterfalls.
  section("Worst traces", "traces");
  app.append(el("p", { class: "muted", text: "Most error findings of the per-trace checks and rules, then most other findings, then the slowest. Bars: amber on the critical path, red for status ERROR; click a span for its attributes, events and findings." }));
  if (x.waterfall_note) app.append(el("p", { class: "muted", text: x.waterfall_note }));
  for (const w of x.waterfalls) {
    const box = el("section", { class: "wf", id: "trace-" + w.trace_id }, el("header", {}, el("span", { class: "mono", text: w.trace_id }),
      el("span", { class: "muted", text: " · " + w.spans.length + " spans drawn" + (w.left_out ? " (" + w.left_out + " more not drawn)" : "") + " · " + w.errors + " errors, " + w.warnings + " other findings · " + ns(w.duration) })));
    const total = Math.max(w.duration, ...w.spans.map(s => s.start + s.duration), 1);
    for (const s of w.spans) {
      const label = el("div", { class: "label", style: "padding-left:" + (6 + Math.min(s.depth, 24) * 12) + "px" }, el("span", { text: s.name }), el("span", { class: "muted", text: " " + s.service }));
      if (s.findings.length) label.append(el("span", { class: "badge", title: s.findings.map(i => r.findings[i].code + ": " + r.findings[i].message).join("\n"), text: "⚑ " + s.findings.length }));
      const bar = el("div", { class: "span-bar" + (s.critical ? " critical" : "") + (s.error ? " error" : ""), title: s.name + " · " + ns(s.duration) + " at +" + ns(s.start),
        style: "left:" + (100 * s.start / total).toFixed(3) + "%;width:" + Math.max(100 * s.duration / total, 0.2).toFixed(3) + "%" });
      const row = el("div", { class: "row" }, label, el("div", { class: "track" }, bar));
      const detail = el("div", { class: "detail hidden" });
      detail.append(el("div", { class: "mono", text: "span " + s.span_id + " · +" + ns(s.start) + " · " + ns(s.duration) + (s.status_message ? " · " + s.status_message : "") }));
      if (s.attributes.length) { const t = el("table", {}); for (const [k, val] of s.attributes) t.append(el("tr", {}, el("td", { class: "mono", text: k }), el("td", { class: "mono", text: val }))); detail.append(t); }
      for (const [name, at] of s.events) detail.append(el("div", { text: "event " + name + " at +" + ns(at) }));
      for (const i of s.findings.slice(0, 10)) detail.append(el("div", { class: "sev-" + r.findings[i].severity, text: r.findings[i].code + ": " + r.findings[i].message }));
      if (s.findings.length > 10) detail.append(el("div", { class: "muted", text: "and " + (s.findings.length - 10) + " more findings listed above" }));
      row.addEventListener("click", () => detail.classList.toggle("hidden"));
      box.append(row, detail);
    }
    app.append(box);
  }
})();
