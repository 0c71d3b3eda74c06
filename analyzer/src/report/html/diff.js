(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const r = data.report;
  const app = document.getElementById("app");
  app.textContent = "";
  app.append(el("h1", { text: "tracecheck diff" }));
  const v = r.verdict;
  app.append(el("div", { class: "verdict " + v.outcome, id: "verdict", text: v.outcome.toUpperCase() + " (exit " + v.exit_code + "): " +
    r.summary.regressed + " regressed, " + r.summary.improved + " improved, " + r.summary.new + " new, " + r.summary.vanished + " vanished operation(s); " +
    r.summary.structure_regressed + " structural regression(s)" }));
  const t = r.tolerance;
  app.append(el("p", { class: "muted", text: "base " + r.base.path + " (" + r.base.spans + " spans) → candidate " + r.candidate.path + " (" + r.candidate.spans +
    " spans); latency regresses beyond +" + (100 * t.max_regression).toFixed(0) + " % and " + ns(t.min_delta_ns) + ", error rate beyond " + (100 * t.max_error_rate_increase).toFixed(1) + " points" }));
  if (r.structure.changes.length) {
    app.append(el("h2", { text: "Structure" }));
    const st = el("table", {}, el("tr", {}, ...["metric", "base", "candidate", "regression"].map(h => el("th", { text: h }))));
    for (const c of r.structure.changes) st.append(el("tr", {}, el("td", { text: c.metric }), el("td", { text: c.base }), el("td", { text: c.candidate }),
      el("td", { class: c.regression ? "sev-error" : "", text: c.regression ? "yes" : "no" })));
    app.append(st);
  }
  app.append(el("h2", { id: "operations", text: "Operations (" + r.operations.length + ")" }));
  app.append(legend());
  r.operations.forEach((o, k) => {
    const [hb, hc] = data.histograms[k];
    const all = hb.concat(hc).sort((a, b) => a[0] - b[0]);
    const range = all.length ? histogramRange(all) : [0, 1];
    const side = (title, fig, bins) => el("div", { class: "op" }, el("div", { class: "title", text: title }),
      el("div", { class: "muted", text: fig ? fig.count + " spans · " + (100 * fig.error_rate).toFixed(1) + " % errors · p50 " + ns(fig.p50_ns) + " · p90 " + ns(fig.p90_ns) + " · p99 " + ns(fig.p99_ns) : "absent" }),
      fig ? histogram(bins, fig, range[0], range[1]) : el("div"));
    const head = el("div", {}, el("h3", { class: o.status === "regressed" ? "sev-error" : "", text: o.status + ": " + (o.service || "(no service)") + " / " + o.name }));
    const lead = { root: [], missing_parent: ["(missing parent)"], truncated: ["…"] }[o.path_start] || [];
    const path = lead.concat(o.path);
    if (path.length) head.append(el("div", { class: "muted mono", text: "under " + path.join(" > ") }));
    const changes = el("table", {}, el("tr", {}, ...["metric", "base", "candidate", "change", "regression"].map(h => el("th", { text: h }))));
    const shown = (m, val) => (m === "error_rate" ? (100 * val).toFixed(2) + " %" : m === "count" ? String(val) : ns(Math.round(val)));
    for (const c of o.changes) changes.append(el("tr", {}, el("td", { text: c.metric }), el("td", { text: shown(c.metric, c.base) }), el("td", { text: shown(c.metric, c.candidate) }),
      el("td", { text: (c.relative === null || c.relative === undefined) ? String(c.delta) : (100 * c.relative).toFixed(1) + " %" }),
      el("td", { class: c.regression ? "sev-error" : "", text: c.regression ? "yes" : "no" })));
    app.append(el("section", { class: "pair" }, head, el("div", { class: "ops" }, side("base", o.base, hb), side("candidate", o.candidate, hc)), changes));
  });
})();
