// The sample rate and its jitter, measured from the time stamps, and a uniform grid for the
// spectrum when the jitter would smear it.

/**
 * @param {ArrayLike<number>} times ms, ascending
 * @returns {{rate: number, period: number, jitter: number}} Hz, ms, and the standard
 *   deviation of the intervals in ms
 */
export function sampleTiming(times) {
  const n = times.length;
  if (n < 2) return { rate: NaN, period: NaN, jitter: NaN };
  const period = (times[n - 1] - times[0]) / (n - 1);
  let sum = 0;
  for (let i = 1; i < n; i++) {
    const d = times[i] - times[i - 1] - period;
    sum += d * d;
  }
  return { rate: period > 0 ? 1000 / period : NaN, period, jitter: n > 2 ? Math.sqrt(sum / (n - 2)) : 0 };
}

/**
 * Values at a uniform `period` (ms) from `times[0]`, by linear interpolation between the
 * samples around each point (NaN where either is missing).
 */
export function resampleUniform(times, values, period) {
  const n = times.length;
  if (n < 2 || !(period > 0)) return Float64Array.from(values);
  const count = Math.floor((times[n - 1] - times[0]) / period) + 1;
  const out = new Float64Array(count);
  let j = 0;
  for (let k = 0; k < count; k++) {
    const t = times[0] + k * period;
    while (j < n - 2 && times[j + 1] < t) j++;
    const t0 = times[j], t1 = times[j + 1];
    const f = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    out[k] = values[j] + (values[j + 1] - values[j]) * f;
  }
  return out;
}
