// The page's spectrum maths in node: an FFT of 65 536 points, the spectrum (Hann) and its 5 peaks.
// node scripts/bench_maths.mjs (figures in docs/benchmarks.md)
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
