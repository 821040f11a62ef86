// hub-client.js — a small client for ChatHub's /chathub hub (SignalR JSON
// protocol v1 over WebSocket), shared by the operator panel and the visitor
// widget. It keeps one connection alive: reconnects with exponential backoff
// and full jitter, keeps the server's idle timer fed, and resends reliable
// invocations (sends that carry a clientMessageId) until the server has
// acknowledged them, so a message typed while offline arrives exactly once.
// After every reconnect `onReconnected` runs, where the caller calls Sync.
//
// No dependencies: plain ES module, works in browsers and in Node (pass the
// `ws` package as WebSocket).

const RS = '\x1e';
const PING_MS = 15000;
const SERVER_TIMEOUT_MS = 30000;

/** Errors the server closes with that no reconnect can cure. */
const FATAL = [
  [/token expired/i, 'token_expired'],
  [/token revoked/i, 'token_revoked'],
  [/invalid token|unauthorized|401/i, 'invalid_token'],
];

export function fatalCode(message) {
  for (const [re, code] of FATAL) if (re.test(message || '')) return code;
  return null;
}

export class HubClient {
  /**
   * @param {object} o
   * @param {string} o.url          the hub URL, http(s)://host/chathub
   * @param {() => string} o.token  returns the current token
   * @param {(name: string, args: any[]) => void} [o.onEvent]   server → client invocations
   * @param {(state: string, info?: object) => void} [o.onState] connecting | connected | reconnecting | closed | error
   * @param {() => void} [o.onReconnected]  after each successful reconnect (call Sync here)
   * @param {typeof WebSocket} [o.WebSocket]
   */
  constructor(o) {
    this.o = { minDelay: 500, maxDelay: 15000, ...o };
    this.WS = o.WebSocket || globalThis.WebSocket;
    this.state = 'idle';
    this.nextId = 1;
    this.pending = new Map(); // invocationId → {resolve, reject, target, args, reliable}
    this.outbox = [];         // reliable calls waiting for a connection
    this.attempt = 0;
    this.timers = new Set();
    this.buffer = '';
    this.latestCalls = new Map(); // key → {busy, next, last, timer}: see latest()
  }

  start() {
    if (this.state !== 'idle' && this.state !== 'closed') return this.ready;
    this.stopped = false;
    this.ready = new Promise((res, rej) => { this.readyRes = res; this.readyRej = rej; });
    this.ready.catch(() => {});
    this.connect(false);
    return this.ready;
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.latestCalls.clear();
    clearInterval(this.pinger);
    if (this.ws) { this.ws.onclose = null; try { this.ws.close(1000); } catch { /* already closed */ } }
    this.ws = null;
    for (const p of this.pending.values()) p.reject(new Error('stopped'));
    this.pending.clear();
    for (const p of this.outbox) p.reject(new Error('stopped'));
    this.outbox = [];
    this.setState('closed');
  }

  /** An invocation; rejects if the connection drops before its completion. */
  invoke(target, ...args) {
    return this.call(target, args, false);
  }

  /** An invocation that survives disconnects: resent until completed. Only for
   *  idempotent calls (SendMessage with a clientMessageId, MarkRead, Sync…). */
  invokeReliable(target, ...args) {
    return this.call(target, args, true);
  }

  /** A call where only the newest arguments matter (MarkRead up to a seq): per
   *  key at most one in flight and one start every `every` ms; a newer call
   *  replaces one still waiting. Reliable. Keeps a burst of incoming messages
   *  from becoming a burst of invocations (the server budgets them). */
  latest(key, every, target, ...args) {
    let s = this.latestCalls.get(key);
    if (!s) this.latestCalls.set(key, (s = { busy: false, next: null, last: 0, timer: null }));
    s.next = { target, args };
    this.pumpLatest(s, every);
  }

  pumpLatest(s, every) {
    if (s.busy || !s.next || s.timer || this.stopped) return;
    const wait = s.last + every - Date.now();
    if (wait > 0) {
      s.timer = this.later(() => { s.timer = null; this.pumpLatest(s, every); }, wait);
      return;
    }
    const { target, args } = s.next;
    s.next = null;
    s.busy = true;
    s.last = Date.now();
    const done = () => { s.busy = false; this.pumpLatest(s, every); };
    this.invokeReliable(target, ...args).then(done, done);
  }

  call(target, args, reliable) {
    return new Promise((resolve, reject) => {
      const entry = { target, args, reliable, resolve, reject };
      if (this.state === 'connected') this.transmit(entry);
      else if (reliable) this.outbox.push(entry);
      else reject(new Error('not connected'));
    });
  }

  transmit(entry) {
    const id = String(this.nextId++);
    this.pending.set(id, entry);
    this.sendRecord({ type: 1, invocationId: id, target: entry.target, arguments: entry.args });
  }

  sendRecord(obj) {
    try { this.ws.send(JSON.stringify(obj) + RS); } catch { /* the close handler recovers */ }
  }

  setState(state, info) {
    this.state = state;
    if (this.o.onState) this.o.onState(state, info);
  }

  later(fn, ms) {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
    return t;
  }

  url() {
    const u = new URL(this.o.url);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('access_token', this.o.token());
    return u.toString();
  }

  connect(isRetry) {
    if (this.stopped) return;
    this.setState(isRetry ? 'reconnecting' : 'connecting');
    let ws;
    try { ws = new this.WS(this.url()); } catch (e) { this.retry(e.message); return; }
    this.ws = ws;
    this.buffer = '';
    this.handshaken = false;
    ws.onopen = () => ws.send(JSON.stringify({ protocol: 'json', version: 1 }) + RS);
    ws.onmessage = (ev) => this.receive(typeof ev.data === 'string' ? ev.data : String(ev.data));
    // A socket refused before it opened (a CSP connect-src block, say) may fire
    // `error` and never `close`: treat it as closed, or nothing would retry.
    ws.onerror = () => {
      if (this.ws !== ws || ws.readyState === 1) return;
      ws.onclose = null;
      try { ws.close(); } catch { /* never opened */ }
      this.closed('connection failed');
    };
    ws.onclose = (ev) => this.closed(ev && ev.reason, isRetry);
  }

  receive(text) {
    this.lastSeen = Date.now();
    this.buffer += text;
    let i;
    while ((i = this.buffer.indexOf(RS)) >= 0) {
      const rec = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 1);
      let msg;
      try { msg = JSON.parse(rec); } catch { this.ws.close(4000); return; }
      if (!this.handshaken) this.handshake(msg);
      else this.dispatch(msg);
    }
  }

  handshake(msg) {
    if (msg.error) { this.fail(msg.error); return; }
    this.handshaken = true;
    const wasRetry = this.attempt > 0 || this.everConnected;
    this.attempt = 0;
    this.everConnected = true;
    this.setState('connected');
    this.lastSeen = Date.now();
    clearInterval(this.pinger);
    this.pinger = setInterval(() => this.keepAlive(), PING_MS / 3);
    const queued = this.outbox;
    this.outbox = [];
    for (const e of queued) this.transmit(e);
    if (this.readyRes) { this.readyRes(); this.readyRes = null; }
    if (wasRetry && this.o.onReconnected) this.o.onReconnected();
  }

  keepAlive() {
    if (this.state !== 'connected') return;
    if (Date.now() - this.lastSeen > SERVER_TIMEOUT_MS) { try { this.ws.close(4001); } catch { /* gone */ } return; }
    this.sendRecord({ type: 6 });
  }

  dispatch(msg) {
    if (msg.type === 1 && this.o.onEvent) this.o.onEvent(msg.target, msg.arguments || []);
    else if (msg.type === 3) {
      const p = this.pending.get(msg.invocationId);
      if (!p) return;
      this.pending.delete(msg.invocationId);
      if (msg.error) p.reject(Object.assign(new Error(msg.error), { hub: true }));
      else p.resolve(msg.result === undefined ? null : msg.result);
    } else if (msg.type === 7) {
      if (msg.error && (msg.allowReconnect === false || fatalCode(msg.error))) this.fail(msg.error);
      else this.ws.close(1000);
    }
  }

  /** The server refused us for good (expired/revoked/invalid token). */
  fail(message) {
    const code = fatalCode(message) || 'server';
    this.stopped = true;
    if (this.ws) { this.ws.onclose = null; try { this.ws.close(1000); } catch { /* gone */ } }
    clearInterval(this.pinger);
    const err = Object.assign(new Error(message), { code });
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const p of this.outbox) p.reject(err);
    this.outbox = [];
    this.setState('error', { code, message });
    if (this.readyRej) { this.readyRej(err); this.readyRej = null; }
  }

  closed(reason) {
    clearInterval(this.pinger);
    if (this.stopped) return;
    if (!this.handshaken && fatalCode(reason)) { this.fail(reason); return; }
    if (!this.handshaken) { this.probe(reason); return; }
    // calls in flight: reliable ones go back to the outbox, the others fail
    for (const p of this.pending.values()) {
      if (p.reliable) this.outbox.push(p);
      else p.reject(new Error('disconnected'));
    }
    this.pending.clear();
    this.retry(reason);
  }

  /** A refused upgrade tells a browser nothing (close 1006): ask negotiate,
   *  which answers 401 with the reason when the token is the problem. */
  async probe(reason) {
    const f = this.o.fetch || globalThis.fetch;
    if (f) {
      try {
        const u = new URL(this.o.url);
        u.pathname = u.pathname.replace(/\/$/, '') + '/negotiate';
        u.searchParams.set('negotiateVersion', '1');
        const r = await f(u.toString(), { method: 'POST', headers: { Authorization: `Bearer ${this.o.token()}` } });
        if (r.status === 401 || r.status === 403) {
          const body = await r.json().catch(() => ({}));
          const code = body.code === 2002 ? 'token expired' : body.code === 2003 ? 'token revoked' : 'invalid token';
          this.fail(body.message ? `${code}: ${body.message}` : code);
          return;
        }
      } catch { /* the server is unreachable: retry below */ }
    }
    if (!this.stopped) this.retryAfterClose(reason);
  }

  retryAfterClose(reason) {
    for (const p of this.pending.values()) {
      if (p.reliable) this.outbox.push(p);
      else p.reject(new Error('disconnected'));
    }
    this.pending.clear();
    this.retry(reason);
  }

  retry() {
    this.attempt++;
    const cap = Math.min(this.o.maxDelay, this.o.minDelay * 2 ** Math.min(this.attempt, 10));
    const delay = Math.floor(Math.random() * cap); // full jitter
    this.setState('reconnecting', { attempt: this.attempt, delay });
    this.later(() => this.connect(true), delay);
  }
}
