// The bridge's sources on the page (web/page/sources.js): what the list means, which source
// is shown for an address, what the Source select says, and that a refresh leaves it alone.
import test from "node:test";
import assert from "node:assert/strict";
import { readSources, offersChoice, isListed, currentSource, sourceLabel, sourceOptions, fillSourceSelect, SOURCES_REFRESH_MS }
  from "../../../web/page/sources.js";

const bench = { name: "bench", kind: "serial", location: "/dev/ttyACM0", state: "connected", detail: "reading /dev/ttyACM0 at 115200 baud", rate: 49.9, canRelease: true };
const esp32 = { name: "esp32", kind: "tcp", location: "tcp://10.0.0.7:23", state: "disconnected", detail: "connection refused", rate: 0, canRelease: false };

test("the bridge's list is read in its order; what is not a named source is left out", () => {
  assert.deepEqual(readSources({ sources: [bench, esp32] }), [bench, esp32]);
  const odd = readSources({ sources: [null, 3, { kind: "serial" }, { name: "" }, { name: "a", rate: "fast", canRelease: "yes" }, { name: "a" }, { name: 7 }] });
  assert.deepEqual(odd, [{ name: "a", kind: "", location: "", state: "", detail: "", rate: null, canRelease: false }],
                   "only named entries, each name once, odd fields as empty");
  for (const body of [null, {}, { sources: "bench" }, [], "text"]) assert.deepEqual(readSources(body), [], JSON.stringify(body));
});

test("a choice is offered only by a bridge of several sources", () => {
  assert.equal(offersChoice([]), false);
  assert.equal(offersChoice([bench]), false);
  assert.equal(offersChoice([bench, esp32]), true);
});

test("the source shown: the address's when the bridge has it, else the bridge's first", () => {
  const list = [bench, esp32];
  assert.equal(currentSource(list, "esp32"), "esp32");
  assert.equal(currentSource(list, "bench"), "bench");
  assert.equal(currentSource(list, ""), "bench", "none named: the first, the bridge's default");
  assert.equal(currentSource(list, null), "bench");
  assert.equal(currentSource(list, "ttyUSB9"), "bench", "a name the bridge does not have (a store's source): the first is streamed");
  assert.equal(currentSource([], "esp32"), "", "no list (an older bridge): nothing to name");
  assert.equal(isListed(list, "esp32"), true);
  assert.equal(isListed(list, "ESP32"), false, "names are exact");
  assert.equal(isListed(list, ""), false);
});

test("the select names each source, with its state unless connected", () => {
  assert.equal(sourceLabel(bench), "bench");
  assert.equal(sourceLabel(esp32), "esp32 — disconnected");
  assert.equal(sourceLabel({ name: "log", state: "finished" }), "log — finished");
  assert.equal(sourceLabel({ name: "x", state: "" }), "x", "no state said: the name alone");
  assert.deepEqual(sourceOptions([bench, esp32]), [
    { value: "bench", label: "bench", title: "/dev/ttyACM0: reading /dev/ttyACM0 at 115200 baud" },
    { value: "esp32", label: "esp32 — disconnected", title: "tcp://10.0.0.7:23: connection refused" },
  ]);
  assert.equal(SOURCES_REFRESH_MS, 10000);
});

/// Just enough of a <select> for fillSourceSelect: options, remove, appendChild, value.
function fakeSelect() {
  const select = {
    options: [],
    writes: 0,
    ownerDocument: { createElement: () => ({ value: "", title: "", _text: "", get textContent() { return this._text; }, set textContent(t) { this._text = t; select.writes++; } }) },
    remove(k) { this.options.splice(k, 1); },
    appendChild(option) { this.options.push(option); },
    _value: "",
    get value() { return this._value; },
    set value(v) { this._value = this.options.some((o) => o.value === v) ? v : ""; },
  };
  return select;
}

test("the select is filled once and then only changed where a state changed", () => {
  const select = fakeSelect();
  fillSourceSelect(select, [bench, esp32], "bench");
  assert.deepEqual(select.options.map((o) => [o.value, o.textContent]), [["bench", "bench"], ["esp32", "esp32 — disconnected"]]);
  assert.equal(select.value, "bench");
  const first = select.options[1], writes = select.writes;
  fillSourceSelect(select, [bench, esp32], "bench");
  assert.equal(select.writes, writes, "the same list writes nothing");
  fillSourceSelect(select, [bench, Object.assign({}, esp32, { state: "connected" })], "esp32");
  assert.equal(select.options[1], first, "the same options, kept");
  assert.equal(select.options[1].textContent, "esp32");
  assert.equal(select.value, "esp32");
  fillSourceSelect(select, [esp32, bench], "esp32");
  assert.deepEqual(select.options.map((o) => o.value), ["esp32", "bench"], "another order: made anew");
});
