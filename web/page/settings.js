// The page's settings: one schema says, for each, its key in the address, what it may be
// (anything else falls back to its default, so a hand-edited or old address never breaks the
// page), when it is written (a default is left out), and which control shows it. The views,
// the units and the derived series keep their own keys (views/, page/series-transform.js).

export const MIN_SPAN = 5;                          // ms: a few samples at 1 kHz
export const MAX_SPAN = 20 * 365 * 86400e3;         // ms: twenty years

/// A window in seconds, "all", or null when the text is neither.
export function windowSetting(text) {
  if (text === "all") return "all";
  if (text === null || text === undefined || String(text).trim() === "") return null;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds * 1000 >= MIN_SPAN && seconds * 1000 <= MAX_SPAN ? seconds : null;
}

const choice = (...choices) => (text) => (choices.includes(text) ? text : null);
const number = (text) => (text === null || String(text).trim() === "" || !Number.isFinite(Number(text)) ? null : Number(text));
const names = (text) => (text ? text.split(",").filter(Boolean) : null);

/**
 * field: the settings object's name; key: the address's; parse(text) → value or null;
 * format(value, settings) → text, "" to leave it out; control: the element showing it.
 */
export const SCHEMA = [
  { field: "window", key: "window", alias: "seconds", default: 10, parse: windowSetting, format: (v) => (v === 10 ? "" : String(v)), control: "window" },
  { field: "scale", key: "scale", default: "auto", parse: choice("auto", "channel", "fixed"), control: "scale" },
  // The fixed scale's bounds, kept only while the scale is fixed.
  { field: "min", key: "min", default: NaN, parse: number, format: (v, s) => (s.scale === "fixed" && Number.isFinite(v) ? String(v) : ""), control: "ymin" },
  { field: "max", key: "max", default: NaN, parse: number, format: (v, s) => (s.scale === "fixed" && Number.isFinite(v) ? String(v) : ""), control: "ymax" },
  { field: "mode", key: "mode", default: "shared", parse: choice("shared", "stacked", "xy"), control: "mode" },
  { field: "hidden", key: "hide", default: () => new Set(), parse: (t) => (names(t) ? new Set(names(t)) : null), format: (v) => Array.from(v).join(",") },
  { field: "xy", key: "xy", default: () => [], parse: names, format: (v, s) => (s.mode === "xy" ? v.join(",") : "") },
  { field: "view", key: "view", default: "time", parse: choice("time", "spectrum", "trigger"), control: "view" },
  // A bridge of several sources: the others in stacked panels under the plot (views/source-panels.js).
  { field: "stack", key: "stack", default: false, parse: (t) => (t === "1" ? true : t === "0" ? false : null), format: (v) => (v ? "1" : "") },
  // Read only: set by the person or the bridge's printed address, never written back.
  { field: "zero", key: "zero", default: 338, parse: (t) => (number(t) || null), readOnly: true },   // ADXL335 zero-g: 1.65 V of 5 V in 1024
  { field: "history", key: "history", default: 600, parse: (t) => (number(t) > 0 ? Math.min(3600, number(t)) : null), readOnly: true },
  { field: "token", key: "token", default: null, parse: (t) => t, readOnly: true },
  // The store's source to read history of; on a bridge of several sources, the one shown
  // (page/sources.js; the Source select writes it itself, since it starts the page over).
  { field: "source", key: "source", default: "", parse: (t) => t, readOnly: true },
];

const initial = (entry) => (typeof entry.default === "function" ? entry.default() : entry.default);

/// The settings an address gives: each read from its key (or its old alias), else its default.
export function readSettings(params) {
  const settings = {};
  for (const entry of SCHEMA) {
    let text = params.get(entry.key);
    if ((text === null || text === "") && entry.alias) text = params.get(entry.alias);
    const value = text === null ? null : entry.parse(text);
    settings[entry.field] = value === null ? initial(entry) : value;
  }
  return settings;
}

/// Writes the settings into `out` (a URLSearchParams): a default or an empty value is left
/// out, read-only ones are left as they are, an old alias goes.
export function writeSettings(settings, out) {
  for (const entry of SCHEMA) {
    if (entry.readOnly) continue;
    if (entry.alias) out.delete(entry.alias);
    const value = settings[entry.field];
    const text = entry.format ? entry.format(value, settings) : value === entry.default ? "" : String(value);
    if (text === "" || text === undefined) out.delete(entry.key); else out.set(entry.key, text);
  }
  return out;
}

/// Each control's value as the settings say (a fixed bound that is not set shows empty).
export function showInControls(settings, elementById) {
  for (const entry of SCHEMA) {
    if (!entry.control) continue;
    const element = elementById(entry.control), value = settings[entry.field];
    if (!element) continue;
    element.value = typeof value === "number" && !Number.isFinite(value) ? "" : String(value);
  }
}
