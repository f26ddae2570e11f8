// The page's side of the batched stream (`sensorbridge.batch.v1`, docs/protocol.md): one
// WebSocket to /graph, reopened with a growing delay when it drops, resuming after the last
// sample held (`?stream=ID&after=SEQ`), and the sequence numbers that say which samples are
// new, which are held already, and how many went missing. What a message means for the plot
// is the page's; this only keeps the connection and the order. Timers, the clock and the
// WebSocket are injected, so node tests drive it.

export const PROTOCOL = "sensorbridge.batch.v1";

const BREAK_TEXT = new Map([["finished", "replay finished"], ["stopped", "bridge stopped"],
                            ["disconnected", "board disconnected"], ["released", "released for upload"]]);

/// The mark where a source's state change (a `status` message) breaks the lines; a state the
/// page does not know is marked by its name.
export function stateBreakText(state) {
  return BREAK_TEXT.get(state) || String(state);
}

/// Which samples of a stream are new: each has a sequence number one above the one before;
/// a number not above the newest held is a duplicate (a reconnect's overlap), one further
/// above says how many are missing before it.
export class SequenceTracker {
  constructor() {
    this.stream = null;     // the stream's id (another one: a restarted bridge or another source)
    this.lastSeq = -1;      // the newest sequence number held
  }

  /// A `hello`: `{changed, restarted}`, changed when it names another stream than before
  /// (its numbers start anew), restarted when there was one before.
  hello(stream) {
    if (stream === this.stream) return { changed: false, restarted: false };
    const restarted = this.stream !== null;
    this.stream = stream;
    this.lastSeq = -1;
    return { changed: true, restarted };
  }

  /// Sample `seq`: -1 when it is held already (or not a sequence number at all), else how
  /// many are missing before it (0 when none, or when it is the stream's first).
  take(seq) {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq <= this.lastSeq) return -1;
    const missing = this.lastSeq >= 0 ? seq - this.lastSeq - 1 : 0;
    this.lastSeq = seq;
    return missing;
  }

  /// A `gap` message: the bridge skips to `seq`; what lies before it is not coming.
  skipTo(seq) {
    if (Number.isSafeInteger(seq) && seq > 0) this.lastSeq = Math.max(this.lastSeq, seq - 1);
  }
}

export class StreamClient {
  /**
   * @param {object} options
   *   base: "ws://host/graph"; query(): the page's own parameters (history, token) as
   *   URLSearchParams; WebSocket, setTimeout, now: injected; onOpen(), onMessage(object),
   *   onClose({code, opened}): what the page does then.
   */
  constructor(options) {
    this.base = options.base;
    this.query = options.query || (() => new URLSearchParams());
    this.WebSocket = options.WebSocket;
    this.setTimeout = options.setTimeout;
    this.now = options.now || (() => Date.now());
    this.onOpen = options.onOpen || (() => {});
    this.onMessage = options.onMessage || (() => {});
    this.onClose = options.onClose || (() => {});
    this.sequence = new SequenceTracker();
    this.socket = null;
    this.state = "connecting";   // connecting (until the bridge's hello), open, unreachable
    this.retryDelay = 500;       // ms: doubles each failure up to 5 s, back to 0.5 s once open
    this.retryAt = 0;
    this.reconnects = 0;
    this.openedAt = 0;
    this.lastMessageAt = 0;
    this.generation = 0;         // one more at each restart: a retry of an earlier one opens nothing
  }

  /// The address to open: resuming after the newest sample held, once there is one.
  url() {
    const query = this.query();
    if (this.sequence.stream !== null && this.sequence.lastSeq >= 0) {
      query.set("stream", this.sequence.stream);
      query.set("after", String(this.sequence.lastSeq));
    }
    const text = query.toString();
    return this.base + (text ? "?" + text : "");
  }

  get open() { return !!(this.socket && this.socket.readyState === 1); }

  connect() {
    this.state = "connecting";
    let socket;
    try { socket = new this.WebSocket(this.url(), [PROTOCOL]); } catch (e) { this.retry(); return; }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.retryDelay = 500;
      this.openedAt = this.now();
      this.onOpen();
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;   // a connection given up (restart) says nothing more
      this.lastMessageAt = this.now();
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (!message || typeof message !== "object" || Array.isArray(message)) return;
      // Open once the bridge said which stream this is (its first message).
      if (message.type === "hello") this.state = "open";
      this.onMessage(message);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onClose({ code: event.code, reason: event.reason, opened: opened });
      this.retry();
    };
  }

  /// Drops the connection as a network would; it reopens and resumes.
  drop() { if (this.socket) this.socket.close(); }

  /// Starts anew at once, as a fresh stream: nothing of the old one is resumed or counted
  /// (another source: its sequence numbers are its own). The old connection is closed
  /// without an onClose, and a retry already waiting opens nothing.
  restart() {
    const old = this.socket;
    this.socket = null;
    this.generation++;
    this.sequence = new SequenceTracker();
    this.retryDelay = 500;
    if (old) old.close();
    this.connect();
  }

  /// Sends a message on the open connection; false when there is none.
  send(message) {
    if (!this.open) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  retry() {
    this.state = "unreachable";
    this.retryAt = this.now() + this.retryDelay;
    const generation = this.generation;
    this.setTimeout(() => {
      if (generation !== this.generation) return;
      this.reconnects++;
      this.connect();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, 5000);
  }
}
