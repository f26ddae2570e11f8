// Trigger detection (oscilloscope mode): where a series crosses a level on the chosen edge,
// honouring a holdoff, and the sweeps aligned on those points.

/**
 * Indices i at which values cross `level`: rising when values[i-1] < level <= values[i],
 * falling when values[i-1] > level >= values[i], either for both. A trigger within
 * `holdoff` ms of the one before is ignored. NaN (no value) never triggers and re-arms.
 * @returns {number[]}
 */
export function findTriggers(times, values, { level, edge = "rising", holdoff = 0 }) {
  const out = [];
  let lastTime = -Infinity;
  for (let i = 1; i < values.length; i++) {
    const a = values[i - 1], b = values[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const rising = a < level && b >= level, falling = a > level && b <= level;
    const hit = edge === "rising" ? rising : edge === "falling" ? falling : rising || falling;
    if (hit && times[i] - lastTime >= holdoff) {
      out.push(i);
      lastTime = times[i];
    }
  }
  return out;
}

/** The exact crossing time between samples i-1 and i, by linear interpolation. */
export function crossingTime(times, values, i, level) {
  const a = values[i - 1], b = values[i];
  const f = b !== a ? (level - a) / (b - a) : 1;
  return times[i - 1] + (times[i] - times[i - 1]) * f;
}

/**
 * The sweep around trigger i: the samples from `pre` ms before its crossing time to `post`
 * ms after, with times relative to the crossing.
 */
export function sweep(times, values, i, level, pre, post) {
  const t0 = crossingTime(times, values, i, level);
  const out = { times: [], values: [], t0 };
  let j = i;
  while (j > 0 && times[j - 1] >= t0 - pre) j--;
  for (; j < times.length && times[j] <= t0 + post; j++) {
    out.times.push(times[j] - t0);
    out.values.push(values[j]);
  }
  return out;
}

/**
 * The trigger's modes as a small state machine: `auto` shows a free-running sweep when no
 * trigger came for `autoAfter` ms, `normal` waits for one, `single` stops after one.
 */
export function nextTriggerState(state, { mode, triggered, now, autoAfter = 200 }) {
  if (state.stopped) return state;
  if (triggered) return { armed: mode !== "single", stopped: mode === "single", last: now, free: false };
  if (mode === "auto" && now - (state.last ?? -Infinity) >= autoAfter) return { ...state, free: true };
  return { ...state, free: false };
}
