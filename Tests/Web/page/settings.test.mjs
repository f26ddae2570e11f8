// The page's settings schema (web/page/settings.js): what an address gives, what is written
// back, and that nothing a person or an old address puts there breaks the page.
import test from "node:test";
import assert from "node:assert/strict";
import { readSettings, writeSettings, showInControls, windowSetting, SCHEMA } from "../../../web/page/settings.js";

const read = (query) => readSettings(new URLSearchParams(query));
const write = (settings, query = "") => writeSettings(settings, new URLSearchParams(query)).toString();

test("an empty address gives the defaults, and writes nothing back", () => {
  const s = read("");
  assert.equal(s.window, 10);
  assert.equal(s.scale, "auto");
  assert.ok(Number.isNaN(s.min) && Number.isNaN(s.max));
  assert.equal(s.mode, "shared");
  assert.deepEqual([...s.hidden], []);
  assert.deepEqual(s.xy, []);
  assert.equal(s.view, "time");
  assert.equal(s.zero, 338);
  assert.equal(s.history, 600);
  assert.equal(s.token, null);
  assert.equal(write(s), "");
});

test("settings round-trip through the address; read-only ones are left as they were", () => {
  const query = "window=60&scale=fixed&min=-2&max=2.5&mode=xy&hide=a%2Cb&xy=x%2Cz&view=spectrum&token=t0k&history=120&zero=512";
  const s = read(query);
  assert.deepEqual([s.window, s.scale, s.min, s.max, s.mode, [...s.hidden], s.xy, s.view, s.token, s.history, s.zero],
                   [60, "fixed", -2, 2.5, "xy", ["a", "b"], ["x", "z"], "spectrum", "t0k", 120, 512]);
  assert.deepEqual(read(write(s, query)), s);
  assert.match(write(s, "token=t0k"), /token=t0k/);
});

test("what is not a setting's value falls back to its default; the old seconds= still works", () => {
  const s = read("window=-3&scale=huge&min=&max=abc&mode=3d&view=eval()&history=-1&zero=x");
  assert.deepEqual([s.window, s.scale, s.mode, s.view, s.history, s.zero], [10, "auto", "shared", "time", 600, 338]);
  assert.ok(Number.isNaN(s.min) && Number.isNaN(s.max));
  assert.equal(read("history=99999").history, 3600, "at most an hour");
  assert.equal(read("seconds=30").window, 30);
  assert.equal(read("window=all").window, "all");
  assert.equal(write(read("seconds=30"), "seconds=30"), "window=30", "the alias is replaced");
  assert.equal(windowSetting(""), null);
  assert.equal(windowSetting("0.001"), null, "shorter than 5 ms");
});

test("the fixed bounds are kept only while the scale is fixed; xy only in the XY layout", () => {
  const s = read("scale=fixed&min=1&max=2&mode=xy&xy=a%2Cb");
  s.scale = "auto";
  s.mode = "shared";
  assert.equal(write(s, "min=1&max=2&xy=a%2Cb"), "");
});

test("each control shows its setting; an unset bound shows empty", () => {
  const controls = {};
  for (const entry of SCHEMA) if (entry.control) controls[entry.control] = { value: "?" };
  showInControls(read("scale=channel&mode=stacked&view=trigger&min=3"), (id) => controls[id]);
  assert.deepEqual(Object.fromEntries(Object.entries(controls).map(([k, v]) => [k, v.value])),
                   { window: "10", scale: "channel", ymin: "3", ymax: "", mode: "stacked", view: "trigger" });
});
