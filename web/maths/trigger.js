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

/**
 * The trigger of a live stream: a state machine fed the new samples as they arrive (any
 * number at a time), which finds each crossing of `level` on `edge` by `source` once, even
 * when its two samples came in different feeds, and captures the sweep around it once the
 * samples up to its end have arrived.
 *
 * Options: `source` (the series to trigger on), `level`, `edge` (rising, falling, either),
 * `mode` (auto, normal, single), `span` (the sweep's length, ms), `pre` (ms of it before the
 * trigger), `holdoff` (ms after a trigger in which no other triggers), `autoAfter` (auto: ms of
 * samples without a trigger before it free-runs; default max(1000, 2 × span)), `keep` (how
 * many of the last sweeps are kept for persistence, default 4).
 *
 * A crossing is between two successive values of the source that are numbers (a NaN, no
 * value, is stepped over: it never triggers, and series sent on different lines still
 * trigger); its time is interpolated between theirs. The next trigger is looked for after
 * the sweep's end and at least `holdoff` after the trigger (as a scope re-arms). Times are
 * the samples' own (ms), not the clock's: a feed that comes late or bunched changes nothing.
 *
 * `state`: `armed` (waiting: no capture yet, or re-armed), `triggered` (the sweep is the last
 * capture), `auto` (auto mode and no trigger for `autoAfter`: the sweep is the latest `span`
 * of samples, free-running), `stopped` (single: one capture taken; `rearm()` for another).
 */
export class TriggerCapture {
  constructor(options) {
    const o = { edge: "rising", mode: "auto", span: 1000, pre: 250, holdoff: 0, keep: 4, ...options };
    o.span = Math.max(1e-3, o.span);
    o.pre = Math.min(Math.max(0, o.pre), o.span);
    o.holdoff = Math.max(0, o.holdoff || 0);
    if (!(o.autoAfter > 0)) o.autoAfter = Math.max(1000, 2 * o.span);
    this.options = o;
    this.names = [];            // the series held, in order
    this.times = [];            // the samples held: enough for a sweep, before the next crossing
    this.columns = new Map();   // name → values, beside times
    this.newest = -Infinity;    // the newest sample's time fed
    this.previous = null;       // the source's last value that was a number: {t, v}
    this.pending = null;        // a trigger waiting for its post-trigger samples: {t0}
    this.nextAllowed = -Infinity;  // no trigger before this time (the last sweep's end, holdoff)
    this.since = null;          // the time the trigger was armed or last triggered
    this.state = "armed";
    this.triggers = 0;
    this.lastTriggerTime = null;
    this.triggerTimes = [];     // the last few trigger times
    this.sweep = null;          // {t0, times, values: Map, free, triggered}
    this.recent = [];           // the sweeps before it, newest last (persistence)
  }

  /** The time after `post`: the sweep extends from t0 - pre to t0 + post. */
  get post() { return this.options.span - this.options.pre; }

  /**
   * New samples: `times` ascending (ms), `values` a Map or object of name → values beside
   * them. Samples not newer than those fed before are ignored. Returns whether the sweep
   * shown changed.
   */
  feed(times, values) {
    const get = (name) => (values instanceof Map ? values.get(name) : values[name]);
    if (!this.names.length) {
      this.names = values instanceof Map ? [...values.keys()] : Object.keys(values);
      for (const name of this.names) this.columns.set(name, []);
    }
    let first = 0;
    while (first < times.length && !(times[first] > this.newest)) first++;
    if (first >= times.length) return false;
    const start = this.times.length;
    for (let k = first; k < times.length; k++) this.times.push(times[k]);
    for (const name of this.names) {
      const source = get(name), column = this.columns.get(name);
      for (let k = first; k < times.length; k++) column.push(source ? source[k] : NaN);
    }
    this.newest = times[times.length - 1];
    if (this.since === null) this.since = times[first];
    let changed = this.scan(start);
    changed = this.freeRun() || changed;
    this.trim();
    return changed;
  }

  /** Looks for crossings among the samples from index `start` on. */
  scan(start) {
    const { source, level, edge } = this.options;
    const values = this.columns.get(source);
    if (!values || !Number.isFinite(level)) return false;
    let changed = false;
    for (let i = start; i < this.times.length; i++) {
      const t = this.times[i], b = values[i];
      // A trigger waiting for its end first: the next one may come from this sample on.
      if (this.pending && t >= this.pending.t0 + this.post) changed = this.complete() || changed;
      if (!Number.isFinite(b)) continue;
      const previous = this.previous;
      this.previous = { t: t, v: b };
      if (!previous || this.state === "stopped") continue;
      const a = previous.v;
      const rising = a < level && b >= level, falling = a > level && b <= level;
      const hit = edge === "falling" ? falling : edge === "either" ? rising || falling : rising;
      if (!hit) continue;
      const t0 = previous.t + (t - previous.t) * (b !== a ? (level - a) / (b - a) : 1);
      // Not while a sweep is being captured, nor within the holdoff.
      if (t0 < this.nextAllowed) continue;
      this.pending = { t0: t0 };
      this.nextAllowed = t0 + Math.max(this.post, this.options.holdoff);
    }
    if (this.pending && this.newest >= this.pending.t0 + this.post) changed = this.complete() || changed;
    return changed;
  }

  /** Captures the pending trigger's sweep once the samples to its end have arrived. */
  complete() {
    const p = this.pending;
    if (!p || this.newest < p.t0 + this.post) return false;
    this.pending = null;
    this.triggers++;
    this.lastTriggerTime = p.t0;
    this.triggerTimes.push(p.t0);
    if (this.triggerTimes.length > 16) this.triggerTimes.shift();
    this.since = p.t0;
    this.show(this.extract(p.t0, false));
    this.state = this.options.mode === "single" ? "stopped" : "triggered";
    return true;
  }

  /** Auto: the latest span of samples when no trigger came for a while. */
  freeRun() {
    const o = this.options;
    if (o.mode !== "auto" || this.state === "stopped" || this.since === null) return false;
    if (this.newest - this.since < o.autoAfter) return false;
    this.state = "auto";
    const sweep = this.extract(this.newest - this.post, true);
    if (this.sweep && this.sweep.free) this.sweep = sweep; else this.show(sweep);
    return true;
  }

  show(sweep) {
    if (this.sweep && !this.sweep.free) {
      this.recent.push(this.sweep);
      while (this.recent.length > Math.max(0, this.options.keep - 1)) this.recent.shift();
    }
    this.sweep = sweep;
  }

  /** The held samples in [t0 - pre, t0 + post], times relative to t0. */
  extract(t0, free) {
    const from = t0 - this.options.pre, to = t0 + this.post, times = this.times;
    let i = lowerBound(times, from), j = i;
    while (j < times.length && times[j] <= to) j++;
    const out = { t0: t0, free: free, times: new Float64Array(j - i), values: new Map() };
    for (let k = i; k < j; k++) out.times[k - i] = times[k] - t0;
    for (const name of this.names) out.values.set(name, Float64Array.from(this.columns.get(name).slice(i, j)));
    return out;
  }

  /** Drops samples no sweep can need any more (a pending trigger's, or the latest span). */
  trim() {
    // A source that went quiet (only other series go on) would otherwise hold everything fed
    // since its last value: past a sweep and the auto wait, a crossing from it is forgotten.
    if (this.previous && this.previous.t < this.newest - this.options.span - this.options.autoAfter) this.previous = null;
    let from = this.newest;
    if (this.pending) from = Math.min(from, this.pending.t0);
    if (this.previous) from = Math.min(from, this.previous.t);   // a crossing after it may need samples from there
    from -= this.options.span;
    const drop = lowerBound(this.times, from);
    if (drop < 4096 && drop < this.times.length / 2) return;
    this.times.splice(0, drop);
    for (const column of this.columns.values()) column.splice(0, drop);
  }

  /** Single: takes the next trigger (from the samples fed after now); others: nothing to do. */
  rearm() {
    this.pending = null;
    this.nextAllowed = this.newest;
    this.since = Number.isFinite(this.newest) ? this.newest : null;
    this.state = "armed";
  }

  /**
   * Another mode, keeping what was captured: single takes the next trigger (re-armed); leaving
   * single re-arms a stopped capture; leaving auto drops a free-running sweep.
   */
  setMode(mode) {
    const was = this.options.mode;
    this.options.mode = mode;
    if (mode === "single" || this.state === "stopped") this.rearm();
    if (mode !== "auto" && this.sweep && this.sweep.free) this.sweep = this.recent.pop() || null;
    if (mode !== "auto" && this.state === "auto") this.state = this.sweep ? "triggered" : "armed";
    if (mode === "auto" && was !== "auto") this.freeRun();
  }

  /** What the view reports: plain JSON (NaN is null). */
  report() {
    const o = this.options, s = this.sweep;
    const list = (a) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
    const n = this.triggerTimes.length;
    return {
      source: o.source, level: o.level, edge: o.edge, mode: o.mode, state: this.state,
      triggers: this.triggers, lastTriggerTime: this.lastTriggerTime, triggerTimes: this.triggerTimes.slice(),
      interval: n > 1 ? this.triggerTimes[n - 1] - this.triggerTimes[n - 2] : null,
      pre: o.pre, span: o.span, holdoff: o.holdoff,
      sweep: s ? { t0: s.t0, free: s.free, times: Array.from(s.times), values: Object.fromEntries([...s.values].map(([k, v]) => [k, list(v)])) } : null,
    };
  }
}

function lowerBound(times, t) {
  let lo = 0, hi = times.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (times[mid] < t) lo = mid + 1; else hi = mid; }
  return lo;
}

/**
 * The pre-trigger position from the address: `25%` of the sweep or `120` ms (clamped to the
 * sweep); `fallback` when it does not read.
 */
export function preTriggerMs(text, span, fallback = 0.25 * span) {
  const s = String(text ?? "").trim();
  const m = /^(-?\d+(?:\.\d+)?)\s*(%|ms)?$/.exec(s);
  if (!m) return Math.min(Math.max(0, fallback), span);
  const v = m[2] === "%" ? Number(m[1]) / 100 * span : Number(m[1]);
  return Math.min(Math.max(0, v), span);
}

/** The sweep as CSV: time relative to the trigger (ms) and one column a series; empty for no value. */
export function sweepCSV(sweep) {
  const names = [...sweep.values.keys()];
  const quote = (s) => (/[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
  const lines = ["t_ms," + names.map(quote).join(",")];
  for (let k = 0; k < sweep.times.length; k++) {
    let line = String(Math.round(sweep.times[k] * 1000) / 1000);
    for (const name of names) {
      const v = sweep.values.get(name)[k];
      line += "," + (Number.isFinite(v) ? String(v) : "");
    }
    lines.push(line);
  }
  return lines.join("\n") + "\n";
}
