// What the page makes of the bridge's numbers before it keeps them: each series calibrated
// (shown = raw × scale + offset, in a unit) and the derived series computed from the
// calibrated values by the user's expressions. Everything after it (the plot, measurements,
// spectrum, trigger, CSV) sees calibrated and derived values alike. Pure: the page keeps the
// samples, this says what they are. Kept in the address as `cal=` and `expr=` (repeated).

import { parseCalibrations, formatCalibrations, IDENTITY } from "../maths/calibration.js";
import { parseDefinition } from "../maths/expression.js";

export const MAX_DERIVED = 16;

export class SeriesTransform {
  constructor() {
    this.calibrations = new Map();   // name -> {scale, offset, unit}
    this.derived = [];               // [{name, expression, evaluate, series, text}]
    this.errors = [];                // what the address held that could not be read
    this.sourceNames = [];           // the bridge's series, in column order
    this.scale = new Float64Array(0);
    this.offset = new Float64Array(0);
    this.scratch = [];
    this.vars = Object.create(null);
  }

  /// From the address: `cal=` and every `expr=`.
  static fromQuery(params) {
    const t = new SeriesTransform();
    const cal = parseCalibrations(params.get("cal") || "");
    t.calibrations = cal.calibrations;
    t.errors.push(...cal.errors);
    for (const text of params.getAll("expr")) {
      const result = t.define(text);
      if (result.error) t.errors.push("expression '" + text + "': " + result.error);
    }
    return t;
  }

  /// Writes `cal=` and `expr=` into a URLSearchParams.
  toQuery(out) {
    const cal = formatCalibrations(this.calibrations);
    if (cal) out.set("cal", cal); else out.delete("cal");
    out.delete("expr");
    for (const d of this.derived) out.append("expr", d.name + " = " + d.expression);
  }

  calibrationOf(name) { return this.calibrations.get(name) || IDENTITY; }
  unitOf(name) {
    const d = this.derived.find((x) => x.name === name);
    return d ? "" : this.calibrationOf(name).unit || "";
  }

  /// Sets (or, with null or the identity, clears) a series' calibration; the one before.
  setCalibration(name, cal) {
    const before = this.calibrationOf(name);
    if (!cal || (cal.scale === 1 && cal.offset === 0 && !cal.unit)) this.calibrations.delete(name);
    else {
      if (!Number.isFinite(cal.scale) || cal.scale === 0 || !Number.isFinite(cal.offset)) {
        throw new Error("the scale must be a number other than 0 and the offset a number");
      }
      this.calibrations.set(name, { scale: cal.scale, offset: cal.offset, unit: String(cal.unit || "").slice(0, 16) });
    }
    this.prepare(this.sourceNames);
    return before;
  }

  /// Adds or replaces (same name) a derived series from `name = expression`: `{name}` or
  /// `{error}` saying where and why (nothing changes then).
  define(text) {
    let parsed;
    try { parsed = parseDefinition(text); } catch (error) { return { error: error.message }; }
    if (this.sourceNames.includes(parsed.name)) return { error: "'" + parsed.name + "' is already a series of the board" };
    const others = this.derived.filter((d) => d.name !== parsed.name);
    if (others.length >= MAX_DERIVED) return { error: "at most " + MAX_DERIVED + " derived series" };
    // A derived series may use the board's series and those defined before it.
    const before = new Set(others.map((d) => d.name));
    const unknown = parsed.series.filter((name) => !before.has(name) && !this.sourceNames.includes(name));
    if (this.sourceNames.length && unknown.length) {
      return { error: "no series named " + unknown.map((n) => "'" + n + "'").join(", ") + " (there are " + this.sourceNames.concat(others.map((d) => d.name)).join(", ") + ")" };
    }
    const at = this.derived.findIndex((d) => d.name === parsed.name);
    const entry = { name: parsed.name, expression: parsed.expression, evaluate: parsed.evaluate, series: parsed.series };
    if (at >= 0) this.derived[at] = entry; else this.derived.push(entry);
    this.prepare(this.sourceNames);
    return { name: parsed.name };
  }

  remove(name) {
    this.derived = this.derived.filter((d) => d.name !== name);
    this.prepare(this.sourceNames);
  }

  get derivedNames() { return this.derived.map((d) => d.name); }

  /// For a stream whose samples are [t, v1..vn] of `names`. A derived series named like one
  /// of them (the board started printing that name) gives way, and `errors` says so.
  prepare(names) {
    this.sourceNames = names.slice();
    const taken = this.derived.filter((d) => names.includes(d.name));
    for (const d of taken) this.errors.push("'" + d.name + "' is now a series of the board: its expression was dropped");
    if (taken.length) this.derived = this.derived.filter((d) => !names.includes(d.name));
    const n = names.length;
    this.scale = new Float64Array(n + 1).fill(1);
    this.offset = new Float64Array(n + 1);
    names.forEach((name, k) => { const c = this.calibrationOf(name); this.scale[k + 1] = c.scale; this.offset[k + 1] = c.offset; });
    this.scratch = new Array(1 + n + this.derived.length).fill(NaN);
  }

  /// A wire sample [t, v1..vn] → [t, calibrated v1..vn, derived...] (the same array each
  /// call: store it before the next). Missing values are NaN, so is a derived series using one.
  row(sample) {
    const out = this.scratch, n = this.sourceNames.length, vars = this.vars;
    out[0] = sample[0];
    for (let k = 1; k <= n; k++) {
      const v = sample[k];
      const c = typeof v === "number" ? v * this.scale[k] + this.offset[k] : NaN;
      out[k] = c;
      vars[this.sourceNames[k - 1]] = c;
    }
    for (let d = 0; d < this.derived.length; d++) {
      const v = this.derived[d].evaluate(vars);
      out[n + 1 + d] = v;
      vars[this.derived[d].name] = v;
    }
    return out;
  }

  /// The derived values of one held row, from its calibrated values by name (`valueOf(name)`).
  derive(valueOf, out) {
    const vars = this.vars;
    for (const name of this.sourceNames) vars[name] = valueOf(name);
    for (let d = 0; d < this.derived.length; d++) {
      const v = this.derived[d].evaluate(vars);
      vars[this.derived[d].name] = v;
      out[d] = v;
    }
    return out;
  }
}
