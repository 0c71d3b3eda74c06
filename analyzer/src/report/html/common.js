"use strict";
// Shared by every tracecheck page. Every string from the dump goes in as text: el() never
// parses markup.
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
function ns(v) {
  if (v === null || v === undefined) return "–";
  const units = [[1e9 * 3600, "h"], [1e9 * 60, "min"], [1e9, "s"], [1e6, "ms"], [1e3, "µs"]];
  for (const [f, u] of units) if (v >= f) return (v / f).toFixed(v / f >= 100 ? 0 : 2) + " " + u;
  return v + " ns";
}

// A histogram of (bin, count) pairs, bin i holding durations in [10^(i/8), 10^((i+1)/8)) ns,
// on a log axis from bin `lo` to `hi` (computed from the bins when not given), with the
// percentiles of `marks` ({p50_ns, p90_ns, p99_ns}) drawn as lines.
function histogram(bins, marks, lo, hi) {
  const W = 360, H = 110, B = 8;
  const g = svg("svg", { viewBox: "0 0 " + W + " " + (H + 14), preserveAspectRatio: "none", class: "hist" });
  if (!bins.length) return g;
  if (lo === undefined) [lo, hi] = histogramRange(bins);
  const span = Math.max(hi - lo, 1), top = Math.max(...bins.map(b => b[1]));
  const xOf = b => (b - lo) / span * W;
  for (const [b, n] of bins) {
    const h = Math.max(1, n / top * H);
    g.append(svg("rect", { class: "bar", x: xOf(b), y: H - h, width: Math.max(W / span - 1, 1), height: h }));
  }
  for (const p of ["p50", "p90", "p99"]) {
    const at = marks[p + "_ns"];
    if (at === null || at === undefined) continue;
    const pos = at > 0 ? Math.log10(at) * B : lo;
    const px = Math.min(Math.max(xOf(pos), 0), W);
    g.append(svg("line", { class: "pmark " + p, x1: px, x2: px, y1: 0, y2: H }));
  }
  for (const b of [lo, hi]) {
    const t = svg("text", { class: "axis", x: xOf(b), y: H + 12, "text-anchor": b === lo ? "start" : "end" });
    t.textContent = ns(Math.round(Math.pow(10, b / B)));
    g.append(t);
  }
  return g;
}

// The bins a histogram of `bins` spans: at least two decades, with room on both sides, so a
// narrow distribution looks narrow.
function histogramRange(bins) {
  let lo = bins[0][0] - 2, hi = bins[bins.length - 1][0] + 3;
  if (hi - lo < 16) { const pad = Math.ceil((16 - (hi - lo)) / 2); lo -= pad; hi += pad; }
  return [lo, hi];
}

function legend() {
  return el("p", { class: "legend" }, el("span", {}, el("i", { class: "sw", style: "background:var(--ok)" }), "p50"),
    el("span", {}, el("i", { class: "sw", style: "background:var(--warn)" }), "p90"), el("span", {}, el("i", { class: "sw", style: "background:var(--err)" }), "p99"),
    el("span", { text: "x: duration, log scale (8 bins a decade); y: spans" }));
}
