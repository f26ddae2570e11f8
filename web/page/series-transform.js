// What the page makes of the bridge's numbers before it keeps them: each series calibrated
// (shown = raw × scale + offset, in a unit) and the derived series computed from the
// calibrated values by the user's expressions. Everything after it (the plot, measurements,
// spectrum, trigger, CSV) sees calibrated and derived values alike. Pure: the page keeps the
// samples, this says what they are. Kept in the address as `cal=` and `expr=` (repeated).

import { parseCalibrations, formatCalibrations, IDENTITY } from "../maths/calibration.js";
import { parseDefinition } from "../maths/expression.js";

export const MAX_DERIVED = 16;

/**
 * The derived series evaluated over an array of values: `slots` holds the named series'
 * values first (`names`), then the derived ones in order; `evaluate()` fills the latter from
 * the former. Each expression reads only the series before it (never a later derived one), so
 * one pass is enough and no value is left from another row.
 */
export class DerivedBinding {
  constructor(names, definitions) {
    this.names = names.slice();
    const slotOf = new Map(this.names.map((name, k) => [name, k]));
    this.evaluators = [];
    // (A derived series never shares a name with the series bound: prepare() and the page's
    // held series see to that.)
    for (const d of definitions) {
      const parsed = parseDefinition(d.name + " = " + d.expression, (name) => (slotOf.has(name) ? slotOf.get(name) : -1));
      slotOf.set(d.name, this.names.length + this.evaluators.length);
      this.evaluators.push(parsed.evaluate);
    }
    this.base = this.names.length;
    this.slots = new Float64Array(this.base + this.evaluators.length);
  }

  evaluate() {
    const slots = this.slots, base = this.base, evaluators = this.evaluators;
    for (let d = 0; d < evaluators.length; d++) slots[base + d] = evaluators[d](slots);
    return slots;
  }
}

export class SeriesTransform {
  constructor() {
    this.calibrations = new Map();   // name -> {scale, offset, unit}
    this.derived = [];               // [{name, expression, series}], each using only those before it
    this.errors = [];                // what the address held that could not be read
    this.sourceNames = [];           // the bridge's series, in column order
    this.prepare([]);
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
    return this.derived.some((d) => d.name === name) ? "" : this.calibrationOf(name).unit || "";
  }

  /// Sets (or, with null or the identity, clears) a series' calibration; the one before.
  setCalibration(name, cal) {
    const before = this.calibrationOf(name);
    if (!cal || (cal.scale === 1 && cal.offset === 0 && !cal.unit)) this.calibrations.delete(name);
    else {
      if (!Number.isFinite(cal.scale) || cal.scale === 0 || !Number.isFinite(cal.offset)) {
        throw new Error("the scale must be a number other than 0 and the offset a number");
      }
      // At most 16 characters, cut between characters (a cut pair of UTF-16 halves cannot be
      // put in an address).
      this.calibrations.set(name, { scale: cal.scale, offset: cal.offset, unit: Array.from(String(cal.unit || "")).slice(0, 16).join("") });
    }
    this.prepare(this.sourceNames);
    return before;
  }

  /// Every calibration cleared (those of series no longer sent too); the names that had one.
  clearCalibrations() {
    const names = Array.from(this.calibrations.keys());
    this.calibrations.clear();
    this.prepare(this.sourceNames);
    return names;
  }

  /**
   * Adds or replaces (same name) a derived series from `name = expression`: `{name}` or
   * `{error}` saying where and why (nothing changes then). `taken`: other names in use that
   * it must not take (series the page still holds from an earlier stream).
   */
  define(text, taken) {
    let parsed;
    try { parsed = parseDefinition(text); } catch (error) { return { error: error.message }; }
    const name = parsed.name;
    if (this.sourceNames.includes(name) || (taken && taken.includes(name) && !this.derived.some((d) => d.name === name))) {
      return { error: "'" + name + "' is already a series of the board" };
    }
    const at = this.derived.findIndex((d) => d.name === name);
    const position = at >= 0 ? at : this.derived.length;
    if (at < 0 && this.derived.length >= MAX_DERIVED) return { error: "at most " + MAX_DERIVED + " derived series" };
    // Only the board's series and derived series defined before it: no loop, no value from
    // the sample before.
    const before = new Set(this.derived.slice(0, position).map((d) => d.name));
    const after = this.derived.slice(position + 1).map((d) => d.name);
    const later = parsed.series.filter((n) => after.includes(n));
    if (later.length) return { error: "it uses " + later.map((n) => "'" + n + "'").join(", ") + ", defined after it (define that first)" };
    const user = this.derived.slice(0, position).find((d) => d.series.includes(name));
    if (at < 0 && user) return { error: "'" + user.name + "', defined before it, already uses '" + name + "' as a series of the board" };
    const unknown = parsed.series.filter((n) => !before.has(n) && !this.sourceNames.includes(n) && !(taken && taken.includes(n)));
    if (this.sourceNames.length && unknown.length) {
      return { error: "no series named " + unknown.map((n) => "'" + n + "'").join(", ") + " (there are " + this.sourceNames.concat([...before]).join(", ") + ")" };
    }
    const entry = { name: name, expression: parsed.expression, series: parsed.series };
    if (at >= 0) this.derived[at] = entry; else this.derived.push(entry);
    this.prepare(this.sourceNames);
    return { name: name };
  }

  /// Takes a derived series away, and those that use it (they would have no value).
  remove(name) {
    const gone = new Set([name]);
    for (const d of this.derived) if (d.series.some((n) => gone.has(n))) gone.add(d.name);
    this.derived = this.derived.filter((d) => !gone.has(d.name));
    this.prepare(this.sourceNames);
    return [...gone];
  }

  get derivedNames() { return this.derived.map((d) => d.name); }

  /// For a stream whose samples are [t, v1..vn] of `names`. A derived series named like one
  /// of them (the board started printing that name) gives way, and `errors` says so; the
  /// names that gave way.
  prepare(names) {
    this.sourceNames = names.slice();
    const taken = this.derived.filter((d) => names.includes(d.name)).map((d) => d.name);
    for (const name of taken) this.errors.push("'" + name + "' is now a series of the board: its expression was dropped");
    if (taken.length) this.derived = this.derived.filter((d) => !names.includes(d.name));
    const n = names.length;
    this.scale = new Float64Array(n).fill(1);
    this.offset = new Float64Array(n);
    names.forEach((name, k) => { const c = this.calibrationOf(name); this.scale[k] = c.scale; this.offset[k] = c.offset; });
    this.live = this.bind(names);
    this.scratch = new Array(1 + n + this.derived.length).fill(NaN);
    return taken;
  }

  /// The derived series over the values of `names` (the held series, for computing them anew).
  bind(names) { return new DerivedBinding(names, this.derived); }

  /// A wire sample [t, v1..vn] → [t, calibrated v1..vn, derived...] (the same array each
  /// call: store it before the next). Missing values are NaN, so is a derived series using one.
  row(sample) {
    const out = this.scratch, slots = this.live.slots, n = this.sourceNames.length;
    out[0] = sample[0];
    for (let k = 0; k < n; k++) {
      const v = sample[k + 1];
      slots[k] = typeof v === "number" ? v * this.scale[k] + this.offset[k] : NaN;
    }
    this.live.evaluate();
    for (let k = 0; k < slots.length; k++) out[k + 1] = slots[k];
    return out;
  }
}
