// The page's spectrum maths in node: an FFT of 65 536 points, the spectrum (Hann) and its 5 peaks.
// node scripts/bench_maths.mjs (figures in docs/benchmarks.md); the spectrum view at the end.
import { fft, spectrum, peaks } from "../web/maths/fft.js";
const n = 65536, values = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * Math.PI * 50 * i / 1000) + 0.1 * Math.random());
function time(label, f) {
  for (let w = 0; w < 5; w++) f();
  const t = [];
  for (let r = 0; r < 40; r++) { const s = performance.now(); f(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log(label, "median", t[20].toFixed(2), "ms p95", t[38].toFixed(2));
}
const re = new Float64Array(n), im = new Float64Array(n);
time("fft 65536", () => { re.set(values); im.fill(0); fft(re, im); });
const s = spectrum(values, 1000, { size: n, window: "hann" });
time("spectrum", () => spectrum(values, 1000, { size: n, window: "hann" }));
time("peaks(5)", () => peaks(s, 5));

// The spectrum view's cost per update (web/views/spectrum-view.js's analyseSpectrum): 6 series
// of 65 536 samples at 1 kHz, time stamps jittered (so resampled first) or clean, Hann, the
// 65 536-point FFT of each, its peaks; and with Welch over 10 minutes (600 000 samples).
import { analyseSpectrum } from "../web/views/spectrum-view.js";
function host(count, jitter) {
  const times = Float64Array.from({ length: count }, (_, i) => 1.7e12 + i + jitter * (Math.random() - 0.5));
  const values = new Map();
  for (let s = 0; s < 6; s++) values.set("s" + s, Float64Array.from({ length: count }, (_, i) => Math.sin(2 * Math.PI * (50 + 10 * s) * i / 1000) + 0.1 * Math.random()));
  return { times, values };
}
const names = ["s0", "s1", "s2", "s3", "s4", "s5"];
const clean = host(65536, 0), jittered = host(65536, 0.2), tenMinutes = host(600000, 0.2);
time("spectrum view, 6 × 65 536, clean stamps", () => analyseSpectrum(clean, names, { size: 65536 }));
time("spectrum view, 6 × 65 536, resampled", () => analyseSpectrum(jittered, names, { size: 65536 }));
time("spectrum view, 6 × 600 000, Welch auto (65 536)", () => analyseSpectrum(tenMinutes, names, { welch: true }));
