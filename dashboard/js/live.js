// The websocket client of a floor's live feed: a snapshot, then deltas with
// consecutive versions. Any gap, bad message, close or silence means the client
// is out of sync, so it reconnects with bounded exponential backoff and takes a
// fresh snapshot; it never patches over a gap.

/**
 * Connection status reported to onStatus:
 *   "connecting"   first connection, no snapshot yet;
 *   "live"         socket open and in sync (snapshot taken, no gap since);
 *   "reconnecting" out of sync, waiting to reconnect or waiting for the snapshot;
 *   "offline"      like reconnecting, and the browser says it has no network;
 *   "stopped"      stop() was called.
 */
export class LiveFeed {
  #url;
  #floorId;
  #handlers;
  #options;
  #ws = null;
  #inSync = false;
  #everSynced = false;
  #attempt = 0;
  #retryTimer = 0;
  #staleTimer = 0;
  #stopped = true;
  #status = "stopped";
  #onOnline = () => this.#reconnectNow();
  // A half-open socket would otherwise keep saying "live" until the stale timer fires.
  #onOffline = () => this.resync("browser went offline");

  /**
   * @param {string} url websocket URL of the floor's feed
   * @param {object} options floorId (messages for other floors are ignored);
   *   onSnapshot(msg), onDelta(msg), onStatus(status, detail);
   *   minDelayMs / maxDelayMs (backoff bounds, default 500 / 10000);
   *   staleAfterMs (resync when nothing, not even a ping, arrived for this long; 0 disables);
   *   WebSocketImpl (for tests).
   */
  constructor(url, options) {
    this.#url = url;
    this.#floorId = options.floorId ?? null;
    this.#handlers = options;
    this.#options = {
      minDelayMs: options.minDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 10_000,
      staleAfterMs: options.staleAfterMs ?? 75_000,
      WebSocketImpl: options.WebSocketImpl ?? globalThis.WebSocket,
    };
    /** Version of the last applied snapshot or delta, or null before the first snapshot. */
    this.version = null;
    /** How many times the client resynced, and why the last time; for diagnostics. */
    this.resyncCount = 0;
    this.lastResyncReason = "";
  }

  get status() {
    return this.#status;
  }

  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    globalThis.addEventListener?.("online", this.#onOnline);
    globalThis.addEventListener?.("offline", this.#onOffline);
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    globalThis.removeEventListener?.("online", this.#onOnline);
    globalThis.removeEventListener?.("offline", this.#onOffline);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#staleTimer);
    this.#dropSocket(1000, "client stopped");
    this.#setStatus("stopped");
  }

  /** Drop the connection and take a fresh snapshot after the backoff delay. */
  resync(reason) {
    if (this.#stopped) return;
    this.resyncCount += 1;
    this.lastResyncReason = reason;
    this.#dropSocket(1000, "resync");
    this.#scheduleReconnect(reason);
  }

  #connect() {
    clearTimeout(this.#retryTimer);
    this.#setStatus(this.#everSynced || this.#attempt > 0 ? this.#troubleStatus() : "connecting");
    let ws;
    try {
      ws = new this.#options.WebSocketImpl(this.#url);
    } catch (err) {
      this.#scheduleReconnect(`cannot open websocket: ${err.message}`);
      return;
    }
    this.#ws = ws;
    // Handlers check identity so a late event from a dropped socket changes nothing.
    ws.onmessage = (event) => {
      if (this.#ws === ws) this.#onMessage(event.data);
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#inSync = false;
      this.resyncCount += 1;
      this.lastResyncReason = `closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`;
      this.#scheduleReconnect(this.lastResyncReason);
    };
    ws.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    this.#armStaleTimer();
  }

  #onMessage(data) {
    this.#armStaleTimer();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      this.resync("message is not JSON");
      return;
    }
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "ping") return;
    if (msg.type !== "snapshot" && msg.type !== "delta") return;
    if (this.#floorId && msg.floor && msg.floor !== this.#floorId) return;
    const version = Number(msg.version);
    if (!Number.isFinite(version)) {
      this.resync(`${msg.type} without a version`);
      return;
    }
    if (msg.type === "snapshot") {
      this.version = version;
      if (!this.#deliver(this.#handlers.onSnapshot, msg)) return;
      this.#inSync = true;
      this.#everSynced = true;
      this.#attempt = 0;
      this.#setStatus("live");
      return;
    }
    if (!this.#inSync) {
      this.resync("delta before snapshot");
      return;
    }
    if (version !== this.version + 1) {
      this.resync(`version gap: expected ${this.version + 1}, got ${version}`);
      return;
    }
    this.version = version;
    this.#deliver(this.#handlers.onDelta, msg);
  }

  #deliver(handler, msg) {
    try {
      handler?.(msg);
      return true;
    } catch (err) {
      // The view may now disagree with the server; a fresh snapshot puts it right.
      console.error("freeseat live feed: handler failed", err);
      this.resync(`handler failed: ${err.message}`);
      return false;
    }
  }

  #scheduleReconnect(reason) {
    if (this.#stopped) return;
    this.#inSync = false;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#staleTimer);
    const { minDelayMs, maxDelayMs } = this.#options;
    const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** this.#attempt);
    this.#attempt += 1;
    // Jitter downwards only: spreads a herd of clients and keeps the bound.
    const delay = ceiling * (0.75 + Math.random() * 0.25);
    this.#setStatus(this.#troubleStatus(), { reason, delayMs: Math.round(delay) });
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #reconnectNow() {
    if (this.#stopped || this.#ws) return;
    this.#connect();
  }

  #armStaleTimer() {
    clearTimeout(this.#staleTimer);
    const { staleAfterMs } = this.#options;
    if (staleAfterMs > 0) {
      this.#staleTimer = setTimeout(() => this.resync(`no message for ${staleAfterMs} ms`), staleAfterMs);
    }
  }

  #dropSocket(code, reason) {
    const ws = this.#ws;
    this.#ws = null;
    this.#inSync = false;
    if (!ws) return;
    ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closing; nothing to do.
    }
  }

  #troubleStatus() {
    return globalThis.navigator?.onLine === false ? "offline" : "reconnecting";
  }

  #setStatus(status, detail = {}) {
    if (status === this.#status && status !== "reconnecting") return;
    this.#status = status;
    this.#handlers.onStatus?.(status, detail);
  }
}
