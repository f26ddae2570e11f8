// One draw of the page's plot in node, at the page benchmark's size: 10 minutes at 1 kHz of
// 6 series (600 000 samples each, as fillSynthetic makes them), a 1280 px canvas, shared
// auto scale. The canvas is a null context (drawing calls cost nothing), so this measures the
// plot's own JavaScript: the per-column scan, the scales, the layout. Prints medians and p95s.
//
//     node scripts/bench_plot.mjs [--web DIR] [--width 1280] [--draws 40]
//
// Cases: the store's per-column scan alone (every series once); a full redraw (a new view:
// paused zoom, or the first draw); and live (the view moves on by one pixel column and about
// half a second of new samples arrives between draws, the oldest dropped).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(option("--web", path.join(here, "..", "web")));
const require = createRequire(import.meta.url);
require(path.join(web, "store.js"));
require(path.join(web, "plot.js"));
const { SeriesStore, Plot } = globalThis;

const WIDTH = Number(option("--width", 1280)), HEIGHT = 560, DRAWS = Number(option("--draws", 40));
const CHANNELS = 6, RATE = 1000, SECONDS = 600;
const THEME = { panel: "#fff", text: "#111", muted: "#666", grid: "#eee", axis: "#ccc", marker: "#b5651d", gap: "#eee",
                overlayBg: "#000", overlayText: "#fff" };
const COLORS = ["#e15759", "#59a14f", "#4e79a7", "#f28e2b", "#b07aa1", "#76b7b2"];

function nullCanvas(width, height) {
  let calls = 0;
  const noop = () => { calls++; };
  const ctx = {
    font: "12px sans-serif", fillStyle: "#000", strokeStyle: "#000", lineWidth: 1, globalAlpha: 1, textAlign: "left",
    lineJoin: "miter", setTransform: noop, save: noop, restore: noop, clip: noop, beginPath: noop, moveTo: noop, lineTo: noop,
    rect: noop, arc: noop, setLineDash: noop, fill: noop, stroke: noop, strokeRect: noop, fillRect: noop, fillText: noop,
    measureText: (text) => ({ width: text.length * 7 }),
  };
  return { width: 0, height: 0, getContext: () => ctx, getBoundingClientRect: () => ({ width: width, height: height }),
           calls: () => calls };
}

// The page's synthetic fill (graph.js fillSynthetic), ending at `end`.
const store = new SeriesStore();
const names = Array.from({ length: CHANNELS }, (_, k) => "bench" + (k + 1));
const columns = names.map((name) => store.seriesIndex(name));
let end = Date.UTC(2026, 10, 24, 12, 0, 0);
const count = SECONDS * RATE, row = new Array(CHANNELS);
let n = 0;
function push(t) {
  for (let k = 0; k < CHANNELS; k++) row[k] = 512 + 300 * Math.sin(t / (300 + 90 * k)) + (n * 7919 % 97) - 48;
  store.push(t, row, columns);
  n++;
}
const filled = performance.now();
for (let i = 0; i < count; i++) push(end - (count - i) * 1000 / RATE);
const fillMs = performance.now() - filled;
const series = names.map((name, k) => ({ name: name, index: k, color: COLORS[k] }));

function stats(label, times) {
  const sorted = times.slice().sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log("  %s: median %s ms, p95 %s ms, max %s ms (%d)", label.padEnd(34), at(0.5).toFixed(2), at(0.95).toFixed(2),
              sorted[sorted.length - 1].toFixed(2), times.length);
}

const canvas = nullCanvas(WIDTH, HEIGHT);
const view = (plot, t0, t1) => ({ store: store, series: series, t0: t0, t1: t1, limit: Infinity, cursorT: null, mode: "shared",
                                  scale: "auto", theme: THEME, marks: [], gaps: [], history: [] });
console.log("plot.js from %s: %d series x %d samples, %d px canvas, node %s (store filled in %d ms)",
            web, CHANNELS, store.length, WIDTH, process.version, Math.round(fillMs));

// 1. The per-column scan alone, every series once, at the plot's column width.
{
  const plotW = WIDTH - 72, ms = SECONDS * 1000 / plotW, times = [];
  let sink = 0;
  for (let r = 0; r < 5 + DRAWS; r++) {
    const t = performance.now();
    for (let s = 0; s < CHANNELS; s++) store.columns(s, end - SECONDS * 1000, end, ms, (c, first, lo, hi) => { sink += hi - lo; }, Infinity);
    if (r >= 5) times.push(performance.now() - t);
  }
  stats("store.columns, 6 series once", times);
  // The plot's own scan (web/plot.js since the column cache), with nothing kept.
  if (Plot.prototype.columnsOf) {
    const plot = new Plot(canvas), k0 = Math.round((end - SECONDS * 1000) / ms), scan = [];
    plot.cacheColumns = false;
    for (let r = 0; r < 5 + DRAWS; r++) {
      const t = performance.now();
      for (let s = 0; s < CHANNELS; s++) plot.columnsOf(store, s, ms, k0, plotW, Infinity, store.length);
      if (r >= 5) scan.push(performance.now() - t);
    }
    stats("Plot columnsOf, 6 series, no cache", scan);
  }
}

// 2. Full redraws: each draw a different view (a fresh Plot each time, so nothing is reused).
{
  const times = [];
  for (let r = 0; r < 5 + DRAWS; r++) {
    const plot = new Plot(canvas);
    const shift = r * 37.3;
    const t = performance.now();
    plot.render(view(plot, end - SECONDS * 1000 - shift, end - shift));
    if (r >= 5) times.push(performance.now() - t);
  }
  stats("full redraw (new view)", times);
}

// 3. Live: one Plot; between draws the view moves on by one pixel column and the samples of
// that time arrive (the oldest are dropped as the store keeps 10 minutes).
{
  const plot = new Plot(canvas);
  const span = SECONDS * 1000;
  plot.render(view(plot, end - span, end));
  const ms = span / (plot.layout.right - plot.layout.left);
  const times = [];
  let summarised = 0;
  for (let r = 0; r < 5 + DRAWS * 4; r++) {
    const next = end + ms;
    for (let t = Math.floor(end) + 1; t <= next; t++) push(t);
    end = next;
    if (r === 5) summarised = plot.summarised;
    const t = performance.now();
    plot.render(view(plot, end - span, end));
    if (r >= 5) times.push(performance.now() - t);
  }
  stats("live, one column further per draw", times);
  if (plot.summarised !== undefined) {
    console.log("  columns summarised per live draw: %s (of %d series x %d columns)",
                ((plot.summarised - summarised) / times.length).toFixed(1), CHANNELS, plot.layout.right - plot.layout.left);
  }
}
