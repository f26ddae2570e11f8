// Unit tests of the page's history logic (web/store.js), run with `node --test Tests/Web`.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
require("../../web/store.js");
const H = globalThis.SensorHistory;

const NOW = Date.UTC(2025, 10, 21, 12, 0, 0);

test("times as a person types them: now, relative, ms since the epoch, ISO, local date and time", () => {
  assert.strictEqual(H.parseTime("now", NOW), NOW);
  assert.strictEqual(H.parseTime("-15m", NOW), NOW - 15 * 60000);
  assert.strictEqual(H.parseTime("-1h30m", NOW), NOW - 90 * 60000);
  assert.strictEqual(H.parseTime("- 2d", NOW), NOW - 2 * 86400000);
  assert.strictEqual(H.parseTime("+10s", NOW), NOW + 10000);
  assert.strictEqual(H.parseTime("-250ms", NOW), NOW - 250);
  assert.strictEqual(H.parseTime("1763683200123", NOW), 1763683200123);
  assert.strictEqual(H.parseTime(1763683200123, NOW), 1763683200123);
  assert.strictEqual(H.parseTime("2025-11-21T00:00:00Z", NOW), Date.UTC(2025, 10, 21));
  assert.strictEqual(H.parseTime("2025-11-21 00:00:01.5Z", NOW), Date.UTC(2025, 10, 21, 0, 0, 1, 500));
  assert.strictEqual(H.parseTime("2025-11-21 9:05", NOW), new Date(2025, 10, 21, 9, 5).getTime(), "local time");
  for (const bad of ["", "   ", "yesterday-ish", "-15", "12", "-1x", null, undefined, NaN]) {
    assert.ok(Number.isNaN(H.parseTime(bad, NOW)), JSON.stringify(bad));
  }
});

function answer(buckets, extra) {
  // buckets: [t0, t1, n, [x, y]] with x, y the mean; min/max = mean -/+ 1.
  return Object.assign({
    from: buckets.length ? buckets[0][0] : 0, to: buckets.length ? buckets[buckets.length - 1][1] : 0,
    channels: ["x", "y"],
    t0: buckets.map((b) => b[0]), t1: buckets.map((b) => b[1]), n: buckets.map((b) => b[2]),
    min: [buckets.map((b) => b[3][0] === null ? null : b[3][0] - 1), buckets.map((b) => b[3][1] === null ? null : b[3][1] - 1)],
    max: [buckets.map((b) => b[3][0] === null ? null : b[3][0] + 1), buckets.map((b) => b[3][1] === null ? null : b[3][1] + 1)],
    mean: [buckets.map((b) => b[3][0]), buckets.map((b) => b[3][1])],
    events: [], exact: false,
  }, extra || {});
}

test("a result holds its buckets in typed arrays, null as NaN, and reads ranges and values", () => {
  const r = new H.HistoryResult(answer([[0, 90, 10, [5, null]], [100, 190, 10, [7, 2]], [200, 290, 10, [6, 3]]]),
    { from: 0, to: 300, points: 3 });
  assert.strictEqual(r.count, 3);
  assert.deepStrictEqual(r.present, ["x", "y"]);
  assert.deepStrictEqual(new H.HistoryResult(answer([[0, 90, 10, [5, null]]])).present, ["x"], "y has no value here");
  assert.ok(Number.isNaN(r.mean[1][0]));
  assert.deepStrictEqual(r.range(0, 0, 300), [4, 8]);
  assert.deepStrictEqual(r.range(1, 0, 150), [1, 3], "null is no value, not 0");
  assert.deepStrictEqual(r.range(0, 195, 199), [Infinity, -Infinity], "between buckets: nothing");
  assert.deepStrictEqual(r.valueAt(0, 150, 1000), { t: 145, v: 7, min: 6, max: 8, n: 10 });
  assert.strictEqual(r.valueAt(0, 195, 1000).v, 7, "the bucket before, within the age");
  assert.strictEqual(r.valueAt(0, 195, 2), null, "too old");
  assert.strictEqual(r.valueAt(1, 50, 1000), null, "no value for y in the first bucket");
  assert.strictEqual(r.resolution(), 100);
  assert.strictEqual(new H.HistoryResult(answer([], { exact: true })).resolution(), 0);
});

test("lines break where the data stopped for much longer than its spacing, and at a state change", () => {
  // 10 samples 10 ms apart per bucket; buckets back to back, then 5 s missing, then a
  // disconnection between two adjacent buckets.
  const buckets = [[0, 90, 10, [1, 1]], [100, 190, 10, [1, 1]], [200, 290, 10, [1, 1]],
                   [5300, 5390, 10, [1, 1]], [5400, 5490, 10, [1, 1]], [5500, 5590, 10, [1, 1]]];
  const r = new H.HistoryResult(answer(buckets, { events: [{ t: 5495, state: "disconnected", detail: "unplugged" }] }),
    { from: 0, to: 6000, points: 60 });
  assert.deepStrictEqual(Array.from(r.breakBefore), [1, 0, 0, 1, 0, 1]);
  // Single samples: the spacing is the samples' own.
  const singles = [0, 20, 40, 60, 80, 300, 320].map((t) => [t, t, 1, [t, t]]);
  const s = new H.HistoryResult(answer(singles, { exact: true }), { from: 0, to: 400, points: 1000 });
  assert.deepStrictEqual(Array.from(s.breakBefore), [1, 0, 0, 0, 0, 1, 0]);
  // A 4 kHz board as the store keeps it (to the ms): four samples a ms, steps of 0 and 1 ms,
  // zoomed to a pixel under a ms: one line; 3 ms missing breaks it.
  const fast = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 8, 8].map((t) => [t, t, 1, [t, t]]);
  const f = new H.HistoryResult(answer(fast, { exact: true }), { from: 0, to: 10, points: 1280 });
  assert.deepStrictEqual(Array.from(f.breakBefore), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
});

test("finer layers draw where layers overlap; what the page holds is finest", () => {
  const t0 = 1000, t1 = 2000;
  const out = H.assignIntervals([
    { from: 0, to: 5000, resolution: 100 },     // coarse, everything
    { from: 1200, to: 1500, resolution: 1 },    // fine, a piece
    { from: 1800, to: 9000, resolution: -1 },   // held by the page
    { from: 3000, to: 4000, resolution: 0 },    // outside the view
  ], t0, t1);
  assert.deepStrictEqual(out, [[[1000, 1200], [1500, 1800]], [[1200, 1500]], [[1800, 2000]], []]);
  // Equal resolutions: the first given wins; nothing is drawn twice.
  const tie = H.assignIntervals([{ from: 0, to: 1600, resolution: 5 }, { from: 1400, to: 3000, resolution: 5 }], t0, t1);
  assert.deepStrictEqual(tie, [[[1000, 1600]], [[1600, 2000]]]);
});

test("the bridge is asked only for what the page neither holds nor has fine enough", () => {
  const view = { t0: NOW - 3600e3, t1: NOW, width: 1000 };
  // The page holds the last 10 minutes: history is needed before that.
  const plan = H.planFetch(Object.assign({ heldFrom: NOW - 600e3, have: [] }, view));
  assert.deepStrictEqual(plan, { from: NOW - 5400e3, to: NOW + 1800e3, points: 2000 }, "the view and half a view either side, a bucket per pixel");
  // Within the stored data only, when its ends are known.
  const clamped = H.planFetch(Object.assign({ heldFrom: NOW - 600e3, have: [], earliest: NOW - 4000e3, latest: NOW }, view));
  assert.deepStrictEqual(clamped, { from: NOW - 4000e3, to: NOW + 1, points: 1111 }, "to is exclusive: 1 ms past the newest");
  // That answer covers the view, so nothing more is asked; nor while it is on its way.
  assert.strictEqual(H.planFetch(Object.assign({ heldFrom: NOW - 600e3, have: [plan] }, view)), null);
  // Panning by a quarter of the view: still covered.
  assert.strictEqual(H.planFetch({ t0: view.t0 - 900e3, t1: view.t1 - 900e3, width: 1000, have: [plan] }), null);
  // Zooming in 4x: the buckets are too wide now.
  const zoomed = H.planFetch({ t0: NOW - 1800e3, t1: NOW - 900e3, width: 1000, have: [plan] });
  assert.deepStrictEqual(zoomed, { from: NOW - 2250e3, to: NOW - 450e3, points: 2000 });
  // An exact answer (single samples) is fine at any zoom.
  assert.strictEqual(H.planFetch({ t0: NOW - 1000, t1: NOW - 999, width: 1000, have: [{ from: NOW - 2000, to: NOW, points: 10, exact: true }] }), null);
  // A view inside what the page holds needs nothing.
  assert.strictEqual(H.planFetch({ t0: NOW - 60e3, t1: NOW, width: 1000, heldFrom: NOW - 600e3, have: [] }), null);
  // Live, the edge moves: an answer that ends a few pixels before it is still enough.
  assert.strictEqual(H.planFetch({ t0: NOW - 3600e3 + 5000, t1: NOW + 5000, width: 1000, latest: NOW + 5000,
                                   have: [{ from: NOW - 5400e3, to: NOW, points: 2000 }] }), null);
});

test("gaps between sessions", () => {
  const sessions = [{ start: 0, end: 100 }, { start: 50, end: 200 }, { start: 500, end: 700 }, { start: 900, end: 1000 }];
  assert.deepStrictEqual(H.sessionGaps(sessions, 0, 2000), [[200, 500], [700, 900]]);
  assert.deepStrictEqual(H.sessionGaps(sessions, 600, 800), [[700, 800]]);
  assert.deepStrictEqual(H.sessionGaps([], 0, 10), []);
});

/// A fake network and clock for the loader: requests wait until the test answers them.
function fakeWorld() {
  const world = { time: 0, timers: [], requests: [] };
  world.setTimeout = (fn, ms) => { const timer = { at: world.time + ms, fn: fn }; world.timers.push(timer); return timer; };
  world.clearTimeout = (timer) => { world.timers = world.timers.filter((t) => t !== timer); };
  world.advance = (ms) => {
    world.time += ms;
    for (;;) {
      const due = world.timers.filter((t) => t.at <= world.time).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      world.clearTimeout(due);
      due.fn();
    }
  };
  world.fetch = (url, init) => new Promise((resolve, reject) => {
    const request = { url: url, aborted: false, respond: (status, body) => resolve({
      ok: status < 300, status: status, text: () => Promise.resolve(typeof body === "string" ? body : JSON.stringify(body)) }) };
    init.signal.addEventListener("abort", () => { request.aborted = true; const e = new Error("aborted"); e.name = "AbortError"; reject(e); });
    world.requests.push(request);
  });
  return world;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("the loader asks at once after a quiet moment, then waits out a burst, aborts what a newer view made stale, keeps results", async () => {
  const world = fakeWorld();
  let changes = 0;
  const loader = new H.HistoryLoader({ fetch: world.fetch, setTimeout: world.setTimeout, clearTimeout: world.clearTimeout,
    now: () => world.time, delay: 60, maxWait: 250, url: (p) => "api/history?from=" + p.from + "&to=" + p.to + "&points=" + p.points,
    onChange: () => changes++ });
  loader.want({ from: 0, to: 1000, points: 100 });
  assert.ok(loader.loading(), "loading from the wish on");
  world.advance(0);
  await settle();
  assert.deepStrictEqual(world.requests.map((r) => r.url), ["api/history?from=0&to=1000&points=100"], "a single step goes out at once");
  // A wish the request on its way already covers asks nothing more.
  loader.want({ from: 10, to: 995, points: 100 });
  world.advance(100);
  await settle();
  assert.strictEqual(world.requests.length, 1);
  // Zooming on while it is on its way: the page waits for the zoom to rest.
  loader.want({ from: 0, to: 500, points: 100 });
  world.advance(30);
  loader.want({ from: 5000, to: 6000, points: 100 });
  world.advance(59);
  await settle();
  assert.strictEqual(world.requests.length, 1, "still quiet-waiting");
  world.advance(1);
  await settle();
  assert.deepStrictEqual(world.requests.map((r) => r.url).slice(1), ["api/history?from=5000&to=6000&points=100"]);
  assert.strictEqual(world.requests[0].aborted, true, "the stale request is aborted when the new one starts");
  assert.strictEqual(loader.aborted, 1);
  world.requests[1].respond(200, answer([[5000, 5009, 10, [1, 2]]], { from: 5000, to: 6000 }));
  await settle(); await settle();
  assert.strictEqual(loader.loading(), false);
  assert.strictEqual(loader.error, null, "an abort is no error");
  assert.strictEqual(loader.results.length, 1);
  assert.strictEqual(loader.last.count, 1);
  assert.strictEqual(loader.lastURL, "api/history?from=5000&to=6000&points=100");
  assert.ok(changes >= 3);
  // The layers to draw for a view: the result, over the part not claimed by what is held.
  const layers = loader.layers(4000, 7000, [[5500, Infinity]]);
  assert.strictEqual(layers.length, 1);
  assert.deepStrictEqual(layers[0].intervals, [[5000, 5500]]);
});

test("a continuous zoom still asks every maxWait ms; errors are the bridge's sentence; 404 turns history off", async () => {
  const world = fakeWorld();
  const loader = new H.HistoryLoader({ fetch: world.fetch, setTimeout: world.setTimeout, clearTimeout: world.clearTimeout,
    now: () => world.time, delay: 60, maxWait: 250, url: (p) => String(p.to) });
  // 600 ms of wheel steps 40 ms apart, each a new view: the first goes at once, then one
  // at most every 250 ms, not one per step and not none until the zoom stops.
  for (let k = 0; k < 15; k++) { loader.want({ from: 0, to: 10000 - k * 600, points: 100 }); world.advance(40); await settle(); }
  assert.ok(world.requests.length >= 3 && world.requests.length <= 4, String(world.requests.length));
  assert.strictEqual(world.requests.filter((r) => !r.aborted).length, 1, "each stale one aborted");
  world.requests[world.requests.length - 1].respond(400, { error: "from is after to" });
  await settle(); await settle();
  assert.strictEqual(loader.error, "from is after to");
  loader.want({ from: 0, to: 200, points: 100 });
  world.advance(1000);
  await settle();
  world.requests[world.requests.length - 1].respond(404, { error: "no source called x; the sources are a, b" });
  await settle(); await settle();
  assert.strictEqual(loader.off, false, "a 404 for a source is that request's, not history off");
  loader.want({ from: 0, to: 300, points: 100 });
  world.advance(1000);
  await settle();
  const last = world.requests[world.requests.length - 1];
  last.respond(404, { error: "history is off (--no-store)" });
  await settle(); await settle();
  assert.strictEqual(loader.off, true);
  assert.strictEqual(loader.error, "history is off (--no-store)");
  const before = world.requests.length;
  loader.want({ from: 0, to: 1, points: 1 });
  world.advance(1000);
  await settle();
  assert.strictEqual(world.requests.length, before, "no more requests once history is off");
});
