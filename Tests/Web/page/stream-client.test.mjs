// The page's stream client (web/page/stream-client.js): resume after the newest sample held,
// duplicates and gaps from sequence numbers, a growing retry delay, open only after `hello`.
import test from "node:test";
import assert from "node:assert/strict";
import { StreamClient, SequenceTracker, PROTOCOL } from "../../../web/page/stream-client.js";

/// A WebSocket the test drives: it records what was opened and sent.
function fakeSockets() {
  const opened = [];
  class FakeSocket {
    constructor(url, protocols) { this.url = url; this.protocols = protocols; this.readyState = 0; this.sent = []; opened.push(this); }
    open() { this.readyState = 1; this.onopen(); }
    message(object) { this.onmessage({ data: typeof object === "string" ? object : JSON.stringify(object) }); }
    close(code = 1006) { this.readyState = 3; this.onclose({ code }); }
    send(text) { this.sent.push(text); }
  }
  return { opened, FakeSocket };
}

function timers() {
  const list = [];
  return { list, setTimeout: (f, ms) => list.push({ f, ms }), run() { const t = list.shift(); t.f(); return t.ms; } };
}

test("sequence numbers: new, duplicate, missing; a gap skips; another stream starts anew", () => {
  const s = new SequenceTracker();
  assert.deepEqual(s.hello("a"), { changed: true, restarted: false });
  assert.equal(s.take(7), 0, "the first of a stream: nothing missing");
  assert.equal(s.take(8), 0);
  assert.equal(s.take(8), -1, "held already");
  assert.equal(s.take(3), -1, "older");
  assert.equal(s.take(12), 3, "9, 10 and 11 are missing");
  s.skipTo(20);
  assert.equal(s.take(20), 0, "after a gap message, no second count of the same loss");
  for (const bad of [NaN, 1.5, -1, "21", 2 ** 60, Infinity]) assert.equal(s.take(bad), -1, String(bad));
  assert.equal(s.lastSeq, 20);
  assert.deepEqual(s.hello("a"), { changed: false, restarted: false });
  assert.deepEqual(s.hello("b"), { changed: true, restarted: true });
  assert.equal(s.lastSeq, -1);
});

test("it resumes after the newest sample held, is open only after hello, and retries 0.5, 1, 2, 4, 5, 5 s", () => {
  const { opened, FakeSocket } = fakeSockets();
  const t = timers();
  const messages = [], closes = [];
  let now = 1000;
  const client = new StreamClient({
    base: "ws://h/graph", query: () => new URLSearchParams("history=600"), WebSocket: FakeSocket, setTimeout: t.setTimeout,
    now: () => now, onMessage: (m) => messages.push(m), onClose: (e) => closes.push(e),
  });
  client.connect();
  assert.equal(opened[0].url, "ws://h/graph?history=600");
  assert.deepEqual(opened[0].protocols, [PROTOCOL]);
  opened[0].open();
  assert.equal(client.state, "connecting", "not open before the bridge's hello");
  opened[0].message({ type: "hello", stream: "s1" });
  assert.equal(client.state, "open");
  client.sequence.hello("s1");
  client.sequence.take(41);
  opened[0].message("not json");
  opened[0].message([1, 2]);
  assert.deepEqual(messages.map((m) => m.type), ["hello"], "what is not a JSON object is dropped");
  assert.equal(client.send({ type: "send", line: "x" }), true);
  assert.deepEqual(opened[0].sent, ['{"type":"send","line":"x"}']);
  opened[0].close(1001);
  assert.deepEqual(closes, [{ code: 1001, reason: undefined, opened: true }]);
  assert.equal(client.state, "unreachable");
  assert.equal(client.send({ type: "send" }), false);
  assert.equal(t.run(), 500);
  assert.equal(opened[1].url, "ws://h/graph?history=600&stream=s1&after=41");
  const delays = [];
  for (let k = 0; k < 5; k++) { opened.at(-1).close(); delays.push(t.list[0].ms); t.run(); }
  assert.deepEqual(delays, [1000, 2000, 4000, 5000, 5000]);
  assert.equal(client.reconnects, 6);
  assert.equal(closes.at(-1).opened, false, "a refusal: never opened");
  opened.at(-1).open();
  opened.at(-1).close();
  assert.equal(t.list[0].ms, 500, "back to 0.5 s once a connection opened");
});

test("a close of a socket already replaced changes nothing; drop closes as a network would", () => {
  const { opened, FakeSocket } = fakeSockets();
  const t = timers();
  const client = new StreamClient({ base: "ws://h/graph", WebSocket: FakeSocket, setTimeout: t.setTimeout });
  client.connect();
  opened[0].open();
  client.drop();
  assert.equal(t.list.length, 1);
  t.run();
  opened[0].onclose({ code: 1006 });   // a late second close of the old one
  assert.equal(t.list.length, 0, "no second retry");
});

test("restart: a fresh stream at once; the old connection and a waiting retry say and open nothing", () => {
  const { opened, FakeSocket } = fakeSockets();
  const t = timers();
  const messages = [], closes = [];
  let source = "a";
  const client = new StreamClient({
    base: "ws://h/graph", query: () => new URLSearchParams("source=" + source), WebSocket: FakeSocket, setTimeout: t.setTimeout,
    onMessage: (m) => messages.push(m.type), onClose: (e) => closes.push(e),
  });
  client.connect();
  opened[0].open();
  opened[0].message({ type: "hello", stream: "s1" });
  client.sequence.hello("s1");
  client.sequence.take(99);
  source = "b";
  client.restart();
  assert.equal(opened.length, 2);
  assert.equal(opened[1].url, "ws://h/graph?source=b", "nothing of the old stream resumed");
  assert.equal(opened[0].readyState, 3, "the old connection is closed");
  assert.deepEqual(closes, [], "its close is not the page's business");
  assert.equal(t.list.length, 0, "and no retry follows it");
  opened[0].message({ type: "samples", seq: 100 });
  assert.deepEqual(messages, ["hello"], "a late message of the old connection is dropped");
  assert.equal(client.sequence.stream, null);
  assert.equal(client.state, "connecting");

  // A restart while a retry waits: the retry opens nothing.
  opened[1].close();
  assert.equal(t.list.length, 1);
  client.restart();
  assert.equal(opened.length, 3);
  t.run();
  assert.equal(opened.length, 3, "the waiting retry of the connection before opened no second one");
  assert.equal(client.reconnects, 0);
  opened[2].open();
  opened[2].message({ type: "hello", stream: "s2" });
  assert.equal(client.state, "open");
});
