'use strict';
// Hub helpers for the end-to-end suite: the official SignalR client with an
// event recorder, visitor sessions, fixtures (company + org + operators),
// HS256 JWTs, and a raw WebSocket client on node:net for conformance tests.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');
const h = require('./harness');

const RS = '\x1e';
const EVENTS = ['ChatCreated', 'ChatAssigned', 'ReceiveMessage', 'ReceiveMediaMessage', 'ChatStatusChanged',
  'MessageStatusChanged', 'MessagesRead', 'Typing', 'OperatorPresence', 'ChatLabelsChanged', 'NoteAdded', 'Mentioned',
  'ClientUpdated', 'MessageRedacted', 'ChatRated', 'ClientErased'];

// Servers for hub tests: no rate limiting in the way of the test traffic.
const HUB_ENV = {
  CHATHUB_RATE_LIMIT_PER_SECOND: '1000000',
  CHATHUB_RATE_LIMIT_BURST: '1000000',
};

const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// The chat an event is about (undefined for presence events).
function eventChatId(ev) {
  const a = ev.args;
  switch (ev.name) {
    case 'ChatCreated': case 'ChatAssigned': return a[0] && a[0].id;
    case 'ReceiveMessage': case 'ReceiveMediaMessage': return a[0] && a[0].chatId;
    case 'ChatStatusChanged': case 'Typing': case 'MessagesRead': case 'ChatLabelsChanged': return a[0];
    default: return undefined;
  }
}

function brief(ev) {
  return `${ev.name}(${JSON.stringify(ev.args).slice(0, 160)})`;
}

// ---- the official client -----------------------------------------------------
const openClients = new Set();

// The transports a test may force the client onto (opts.transport), by name.
const TRANSPORTS = {
  WebSockets: signalR.HttpTransportType.WebSockets,
  ServerSentEvents: signalR.HttpTransportType.ServerSentEvents,
  LongPolling: signalR.HttpTransportType.LongPolling,
};

// opts: label, skipNegotiation, transport ('WebSockets' | 'ServerSentEvents' |
// 'LongPolling'), protocol ('json' | 'messagepack'), headers, reconnect,
// record, logLevel.
class HubClient {
  constructor(base, token, opts = {}) {
    this.base = base;
    this.token = token;
    this.label = opts.label || 'client';
    this.events = [];
    this.closedError = undefined;
    this.closed = false;
    this.transportName = opts.skipNegotiation ? 'WebSockets' : opts.transport;
    let b = new signalR.HubConnectionBuilder()
      .withUrl(`${base}/chathub`, {
        accessTokenFactory: () => this.token,
        ...(opts.skipNegotiation ? { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets } : {}),
        ...(!opts.skipNegotiation && opts.transport ? { transport: TRANSPORTS[opts.transport] } : {}),
        ...(opts.headers ? { headers: opts.headers } : {}),
      })
      .configureLogging(opts.logLevel !== undefined ? opts.logLevel : signalR.LogLevel.None);
    if (opts.protocol === 'messagepack') b = b.withHubProtocol(new MessagePackHubProtocol());
    if (opts.reconnect) b = b.withAutomaticReconnect(opts.reconnect === true ? undefined : opts.reconnect);
    this.conn = b.build();
    for (const name of EVENTS) {
      this.conn.on(name, (...args) => {
        if (opts.record !== false) this.events.push({ name, args, at: Date.now() });
        if (this.onEvent) this.onEvent(name, args);
      });
    }
    this._closeWaiters = [];
    this.conn.onclose((err) => {
      this.closed = true;
      this.closedError = err;
      for (const w of this._closeWaiters.splice(0)) w(err);
    });
  }

  get state() { return this.conn.state; }
  get connectionId() { return this.conn.connectionId; }

  async start() {
    openClients.add(this);
    this.closed = false;
    await this.conn.start();
    return this;
  }

  async stop() {
    openClients.delete(this);
    try { await this.conn.stop(); } catch { /* already stopped */ }
  }

  // The transport in use ('WebSockets', 'ServerSentEvents', 'LongPolling').
  get transport() {
    const t = this.conn.connection && this.conn.connection.transport;
    const name = t && t.constructor && t.constructor.name;
    return { WebSocketTransport: 'WebSockets', ServerSentEventsTransport: 'ServerSentEvents',
      LongPollingTransport: 'LongPolling' }[name] || name;
  }

  // Abruptly drops the underlying WebSocket (no close frame), as a network failure would.
  terminate() {
    try {
      const ws = this.conn.connection.transport._webSocket;
      if (ws && typeof ws.terminate === 'function') { ws.terminate(); return true; }
    } catch { /* not connected */ }
    return false;
  }

  invoke(method, ...args) { return this.conn.invoke(method, ...args); }

  // Invokes and returns the completion error message (fails when it succeeds).
  async invokeError(method, ...args) {
    try {
      const r = await this.conn.invoke(method, ...args);
      assert.fail(`${this.label}: ${method}(${JSON.stringify(args).slice(0, 200)}) should fail, returned ${JSON.stringify(r).slice(0, 300)}`);
    } catch (e) {
      if (e && e.code === 'ERR_ASSERTION') throw e;
      return String(e && e.message);
    }
    return '';
  }

  mark() { return this.events.length; }

  find(name, pred = () => true, from = 0) {
    for (let i = from; i < this.events.length; i++) {
      const e = this.events[i];
      if (e.name === name && pred(...e.args)) return e.args;
    }
    return undefined;
  }

  all(name, pred = () => true, from = 0) {
    return this.events.slice(from).filter((e) => e.name === name && pred(...e.args)).map((e) => e.args);
  }

  // Waits for an event `name` (args matching pred) recorded at index >= from.
  async waitFor(name, pred = () => true, { from = 0, ms = 8000, what } = {}) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.find(name, pred, from);
      if (found) return found;
      if (Date.now() > deadline) {
        assert.fail(`${this.label}: no ${what || name} within ${ms} ms; events since ${from}:\n`
          + this.events.slice(from).map(brief).join('\n').slice(-3000));
      }
      await h.sleep(10);
    }
  }

  // Waits until count(name, pred) >= n.
  async waitCount(name, n, pred = () => true, { from = 0, ms = 10000 } = {}) {
    const deadline = Date.now() + ms;
    for (;;) {
      const c = this.all(name, pred, from).length;
      if (c >= n) return this.all(name, pred, from);
      if (Date.now() > deadline) {
        assert.fail(`${this.label}: ${c}/${n} ${name} events within ${ms} ms; last events:\n`
          + this.events.slice(from).slice(-20).map(brief).join('\n'));
      }
      await h.sleep(10);
    }
  }

  waitClosed(ms = 10000) {
    if (this.closed) return Promise.resolve(this.closedError);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.label}: connection not closed within ${ms} ms`)), ms);
      this._closeWaiters.push((err) => { clearTimeout(t); resolve(err); });
    });
  }

  describeEvents(from = 0) { return this.events.slice(from).map(brief).join('\n'); }
}

async function connectHub(base, token, opts = {}) {
  const c = new HubClient(base, token, opts);
  await c.start();
  return c;
}

async function closeAllClients() {
  await Promise.all([...openClients].map((c) => c.stop()));
}

// ---- REST helpers ---------------------------------------------------------------
async function orgInfo(srv, token, orgId) {
  const r = await h.api(srv.base, 'GET', `/api/company/organization/${orgId}`, { token });
  h.assertOk(r);
  assert.equal(typeof r.json.guid, 'string', `organization has a guid: ${h.describeRes(r)}`);
  return r.json;
}

async function putOrg(srv, token, orgId, body) {
  const r = await h.api(srv.base, 'PUT', `/api/company/organization/${orgId}`, { token, body });
  h.assertOk(r);
  return r.json;
}

async function widgetSession(srv, guid, body = {}) {
  const r = await h.api(srv.base, 'POST', `/api/widget/${guid}/session`, { body });
  assert.equal(r.status, 200, `widget session: ${h.describeRes(r)}`);
  assert.equal(typeof r.json.visitorToken, 'string', h.describeRes(r));
  assert.match(r.json.visitorToken, h.JWT_RE);
  return r.json;
}

async function listChats(srv, token, query = '') {
  const r = await h.api(srv.base, 'GET', `/api/chat/chats${query ? `?${query}` : ''}`, { token });
  assert.equal(r.status, 200, `list chats ${query}: ${h.describeRes(r)}`);
  assert.equal(typeof r.json.total, 'number', h.describeRes(r));
  assert.ok(Array.isArray(r.json.items), h.describeRes(r));
  return r.json;
}

async function getChat(srv, token, chatId, extraQuery = '') {
  // no GET /api/chat/{id}: find it in the list
  for (let page = 1; page < 100; page++) {
    const l = await listChats(srv, token, `per_page=100&page=${page}${extraQuery}`);
    const c = l.items.find((x) => x.id === chatId);
    if (c) return c;
    if (l.items.length < 100) return undefined;
  }
  return undefined;
}

// Every message of a chat over REST, ascending (paged backwards from the
// newest with beforeSeq; afterSeq paging is tested on its own in 13).
async function allMessages(srv, token, chatId) {
  let out = [];
  let before = null;
  for (;;) {
    const q = before === null ? 'limit=200' : `beforeSeq=${before}&limit=200`;
    const r = await h.api(srv.base, 'GET', `/api/chat/chats/${chatId}/messages?${q}`, { token });
    assert.equal(r.status, 200, `messages of ${chatId}: ${h.describeRes(r)}`);
    assert.ok(Array.isArray(r.json));
    out = [...r.json, ...out];
    if (r.json.length < 200 || r.json[0].seq <= 1) return out;
    before = r.json[0].seq;
  }
}

async function postMessage(srv, token, chatId, body) {
  const r = await h.api(srv.base, 'POST', `/api/chat/${chatId}/message`, { token, body: { author: 0, ...body } });
  assert.equal(r.status, 200, `post message: ${h.describeRes(r)}`);
  return r.json;
}

async function setChatStatus(srv, token, id, status) {
  return h.api(srv.base, 'PUT', '/api/chat/status', { token, body: { id, status } });
}

// ---- fixtures ------------------------------------------------------------------
// A company with one organization and n operators (each with a token).
async function makeOrgFixture(srv, login, { operators = 1, maxChats, orgName } = {}) {
  const co = await h.makeCompany(srv, login, { orgName });
  const org = await addOrg(srv, co, null, { operators, maxChats, orgId: co.orgId });
  return { ...co, ...org, company: co };
}

// Adds an organization (or fills an existing one with orgId) with n operators.
async function addOrg(srv, co, name, { operators = 1, maxChats, orgId } = {}) {
  let id = orgId;
  if (!id) id = (await h.createOrg(srv, co.token, name)).id;
  if (maxChats) await putOrg(srv, co.token, id, { maxChatsPerOperator: maxChats });
  const info = await orgInfo(srv, co.token, id);
  const rows = Array.from({ length: operators }, (_, i) => ({ organizationId: id, name: `${info.name} op${i + 1}` }));
  const ops = operators ? await h.syncOperators(srv, co.token, rows) : [];
  for (const op of ops) op.token = await h.operatorToken(srv, co.token, op.id);
  return { orgId: id, guid: info.guid, org: info, ops, token: co.token };
}

// A visitor: a widget session plus a hub connection.
async function visitor(srv, guid, { name, label, body } = {}) {
  const s = await widgetSession(srv, guid, body || (name ? { name } : {}));
  const client = await connectHub(srv.base, s.visitorToken, { label: label || `visitor ${name || s.clientId}` });
  client.session = s;
  return client;
}

// A visitor that sends its first message (creating its chat) and keeps its connection.
async function visitorChat(srv, guid, text = 'Hello', opts = {}) {
  const v = await visitor(srv, guid, opts);
  const m = await v.invoke('SendMessage', null, text, crypto.randomUUID());
  assert.ok(m && Number.isInteger(m.chatId) && m.chatId > 0, `first visitor message has a chatId: ${JSON.stringify(m)}`);
  v.chatId = m.chatId;
  v.first = m;
  return v;
}

// ---- JWT -------------------------------------------------------------------------
function b64u(x) { return Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url'); }

function hs256(payload, secret, header = { alg: 'HS256', typ: 'JWT' }) {
  const head = `${b64u(header)}.${b64u(payload)}`;
  const sig = crypto.createHmac('sha256', secret).update(head).digest('base64url');
  return `${head}.${sig}`;
}

// ---- shape checks ----------------------------------------------------------------
const CHAT_KEYS = ['id', 'theme', 'operator', 'chatStatus', 'countUnread', 'organizationId', 'source', 'client',
  'createdAt', 'lastMessageAt', 'lastSeq', 'lastMessage', 'messSource'];
const MESSAGE_KEYS = ['id', 'chatId', 'seq', 'author', 'operator', 'textMessage', 'media', 'status', 'createdAt',
  'clientMessageId', 'message', 'phone'];

function assertChat(c, expect = {}) {
  const d = JSON.stringify(c);
  assert.ok(c && typeof c === 'object', `chat object: ${d}`);
  for (const k of CHAT_KEYS) assert.ok(k in c, `chat has ${k}: ${d}`);
  assert.ok(Number.isInteger(c.id) && c.id > 0, d);
  assert.equal(typeof c.theme, 'string', d);
  if (c.operator !== null) {
    assert.ok(Number.isInteger(c.operator.id), d);
    assert.equal(typeof c.operator.name, 'string', d);
    assert.ok('photo' in c.operator, `operator.photo: ${d}`);
  }
  assert.ok([0, 1, 2, 3, 4].includes(c.chatStatus), d);
  assert.ok(Number.isInteger(c.countUnread) && c.countUnread >= 0, d);
  assert.ok(Number.isInteger(c.organizationId), d);
  assert.ok([1, 2, 3, 4].includes(c.source), d);
  assert.equal(c.messSource, c.source, `messSource is source: ${d}`);
  assert.ok(c.client && Number.isInteger(c.client.id), `client: ${d}`);
  assert.ok('name' in c.client && 'phone' in c.client, `client name/phone: ${d}`);
  assert.match(c.createdAt, ISO_RE, d);
  if (c.lastMessageAt !== null) assert.match(c.lastMessageAt, ISO_RE, d);
  assert.ok(Number.isInteger(c.lastSeq) && c.lastSeq >= 0, d);
  for (const [k, v] of Object.entries(expect)) {
    if (k === 'operatorId') assert.equal(c.operator ? c.operator.id : null, v, `chat operator: ${d}`);
    else assert.deepEqual(c[k], v, `chat.${k}: ${d}`);
  }
}

function assertMessage(m, expect = {}) {
  const d = JSON.stringify(m);
  assert.ok(m && typeof m === 'object', `message object: ${d}`);
  for (const k of MESSAGE_KEYS) assert.ok(k in m, `message has ${k}: ${d}`);
  assert.ok(Number.isInteger(m.id) && m.id > 0, d);
  assert.ok(Number.isInteger(m.chatId) && m.chatId > 0, d);
  assert.ok(Number.isInteger(m.seq) && m.seq > 0, d);
  assert.ok([0, 1, 2].includes(m.author), d);
  if (m.operator !== null) {
    assert.ok(Number.isInteger(m.operator.id), d);
    assert.equal(typeof m.operator.name, 'string', d);
    assert.ok('photo' in m.operator, `operator.photo: ${d}`);
  }
  assert.equal(typeof m.textMessage, 'string', d);
  assert.equal(m.message, m.textMessage, `message is textMessage: ${d}`);
  assert.ok(m.phone === null || (typeof m.phone === 'string' && m.phone.length > 0), `phone: ${d}`);
  if (m.media !== null) {
    for (const k of ['id', 'name', 'format', 'type', 'url']) assert.ok(k in m.media, `media.${k}: ${d}`);
  }
  assert.ok([0, 1, 2, 3].includes(m.status), d);
  assert.match(m.createdAt, ISO_RE, d);
  for (const [k, v] of Object.entries(expect)) {
    if (k === 'operatorId') assert.equal(m.operator ? m.operator.id : null, v, `message operator: ${d}`);
    else if (k === 'text') assert.equal(m.textMessage, v, `message text: ${d}`);
    else assert.deepEqual(m[k], v, `message.${k}: ${d}`);
  }
}

// Asserts seqs are 1..n (or start..start+n-1), ascending, ids distinct.
function assertContiguous(msgs, start = 1, what = 'messages') {
  const seqs = msgs.map((m) => m.seq);
  assert.deepEqual(seqs, Array.from({ length: msgs.length }, (_, i) => start + i), `${what}: seqs ${seqs.join(',')}`);
  assert.equal(new Set(msgs.map((m) => m.id)).size, msgs.length, `${what}: distinct ids`);
}

async function pollUntil(fn, { ms = 10000, every = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) assert.fail(`${what} not reached within ${ms} ms`);
    await h.sleep(every);
  }
}

// ---- raw WebSocket over node:net ---------------------------------------------------
function wsAccept(key) {
  return crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

// One client frame. opts: fin (true), mask (true), rsv (0..7), maskKey.
function wsFrame(opcode, payload = Buffer.alloc(0), opts = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const fin = opts.fin === undefined ? true : opts.fin;
  const mask = opts.mask === undefined ? true : opts.mask;
  const b0 = (fin ? 0x80 : 0) | ((opts.rsv || 0) << 4) | (opcode & 0x0f);
  let head;
  const len = data.length;
  if (len < 126) {
    head = Buffer.from([b0, (mask ? 0x80 : 0) | len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = b0; head[1] = (mask ? 0x80 : 0) | 126; head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0; head[1] = (mask ? 0x80 : 0) | 127; head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!mask) return Buffer.concat([head, data]);
  const key = opts.maskKey || crypto.randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([head, key, masked]);
}

const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

function upgradeText(path, { key = crypto.randomBytes(16).toString('base64'), version = '13', headers = {}, omit = [] } = {}) {
  const hs = {
    Host: '127.0.0.1', Upgrade: 'websocket', Connection: 'Upgrade',
    'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': version, ...headers,
  };
  for (const k of omit) delete hs[k];
  const lines = [`GET ${path} HTTP/1.1`, ...Object.entries(hs).map(([k, v]) => `${k}: ${v}`)];
  return { text: `${lines.join('\r\n')}\r\n\r\n`, key };
}

class RawWs {
  constructor(sock, rest) {
    this.sock = sock;
    this.buf = rest || Buffer.alloc(0);
    this.frames = [];          // server frames not yet consumed: {fin, opcode, payload}
    this.control = [];         // pings/pongs/close seen (also kept here)
    this.messages = [];        // SignalR messages parsed from text data
    this.textPending = '';     // text across frames not yet terminated by RS
    this.dataFrag = [];        // fragments of the current data message
    this.closeFrame = null;    // {code, reason}
    this.ended = false;
    this.error = null;
    this._wakers = [];
    sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this._parse(); this._notify(); });
    sock.on('close', () => { this.ended = true; this._notify(); });
    sock.on('error', (e) => { this.error = e; this.ended = true; this._notify(); });
    this._parse();
  }

  _notify() { for (const w of this._wakers.splice(0)) w(); }

  _parse() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = !!(b[0] & 0x80);
      const opcode = b[0] & 0x0f;
      const masked = !!(b[1] & 0x80);
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
      let key = null;
      if (masked) { if (b.length < off + 4) return; key = b.subarray(off, off + 4); off += 4; }
      if (b.length < off + len) return;
      let payload = Buffer.from(b.subarray(off, off + len));
      if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      this.buf = b.subarray(off + len);
      const f = { fin, opcode, payload, masked };
      this.frames.push(f);
      if (opcode >= 8) {
        this.control.push(f);
        if (opcode === OP.CLOSE && !this.closeFrame) {
          this.closeFrame = {
            code: payload.length >= 2 ? payload.readUInt16BE(0) : null,
            reason: payload.length > 2 ? payload.subarray(2).toString('utf8') : '',
          };
          // echo the close as a well-behaved client
          try { this.sock.write(wsFrame(OP.CLOSE, payload.subarray(0, 2))); } catch { /* gone */ }
        }
      } else {
        this.dataFrag.push(payload);
        if (fin) {
          const whole = Buffer.concat(this.dataFrag);
          this.dataFrag = [];
          this.textPending += whole.toString('utf8');
          let i;
          while ((i = this.textPending.indexOf(RS)) >= 0) {
            const one = this.textPending.slice(0, i);
            this.textPending = this.textPending.slice(i + 1);
            let parsed;
            try { parsed = JSON.parse(one); } catch { parsed = { unparsable: one }; }
            this.messages.push(parsed);
          }
        }
      }
    }
  }

  async _waitChange(deadline) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => {
      const t = setTimeout(resolve, left);
      this._wakers.push(() => { clearTimeout(t); resolve(); });
    });
    return true;
  }

  write(buf) {
    return new Promise((resolve) => {
      if (this.sock.destroyed) { resolve(false); return; }
      this.sock.write(buf, (err) => resolve(!err));
    });
  }

  send(opcode, payload, opts) { return this.write(wsFrame(opcode, payload, opts)); }
  sendText(text, opts) { return this.send(OP.TEXT, text, opts); }
  sendMsg(obj) { return this.sendText(JSON.stringify(obj) + RS); }
  handshake() { return this.sendText(`{"protocol":"json","version":1}${RS}`); }

  // Next SignalR message matching pred (pings skipped unless pred wants them).
  async nextMessage(pred = (m) => m.type !== 6, ms = 5000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex((m) => pred(m));
      if (i >= 0) return this.messages.splice(i, 1)[0];
      if (this.ended || !(await this._waitChange(deadline))) {
        if (this.ended) {
          const j = this.messages.findIndex((m) => pred(m));
          if (j >= 0) return this.messages.splice(j, 1)[0];
        }
        throw new Error(`raw ws: no matching message within ${ms} ms (ended=${this.ended}, close=${JSON.stringify(this.closeFrame)}, `
          + `messages=${JSON.stringify(this.messages).slice(0, 500)})`);
      }
    }
  }

  async completion(invocationId, ms = 5000) {
    return this.nextMessage((m) => m.type === 3 && m.invocationId === String(invocationId), ms);
  }

  async invoke(invocationId, target, args, ms = 5000) {
    await this.sendMsg({ type: 1, invocationId: String(invocationId), target, arguments: args });
    return this.completion(invocationId, ms);
  }

  async controlFrame(opcode, ms = 5000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.control.findIndex((f) => f.opcode === opcode);
      if (i >= 0) return this.control.splice(i, 1)[0];
      if (this.ended || !(await this._waitChange(deadline))) {
        throw new Error(`raw ws: no control frame ${opcode} within ${ms} ms (ended=${this.ended})`);
      }
    }
  }

  // Resolves {code, reason, ended} once a close frame arrives or the socket ends.
  async waitClose(ms = 5000) {
    const deadline = Date.now() + ms;
    while (!this.closeFrame && !this.ended) {
      if (!(await this._waitChange(deadline))) break;
    }
    return { code: this.closeFrame ? this.closeFrame.code : null, reason: this.closeFrame ? this.closeFrame.reason : null,
      ended: this.ended, closeFrame: !!this.closeFrame };
  }

  // Waits for the TCP connection itself to end.
  async waitEnd(ms = 5000) {
    const deadline = Date.now() + ms;
    while (!this.ended) if (!(await this._waitChange(deadline))) break;
    return this.ended;
  }

  destroy() { this.sock.destroy(); }
}

// Opens a raw socket, sends the upgrade, and resolves with
// {status, head, ws: RawWs|null} (ws only when the answer is 101).
// opts.localAddress: the client's source address (e.g. 127.0.0.2).
function rawUpgrade(port, path, opts = {}) {
  return new Promise((resolve, reject) => {
    const { text, key } = upgradeText(path, opts);
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: opts.localAddress });
    if (opts.noDelay !== false) sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let done = false;
    let answered = false; // a non-101 head arrived: its body is read below
    const timer = setTimeout(() => { if (!done) { done = true; sock.destroy(); reject(new Error('raw upgrade timeout')); } }, opts.timeoutMs || 10000);
    const finish = (v) => { if (!done) { done = true; clearTimeout(timer); resolve(v); } };
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const sep = buf.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const head = buf.subarray(0, sep).toString('latin1');
      const status = Number((/^HTTP\/1\.[01] (\d{3})/.exec(head) || [])[1] || 0);
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      if (status !== 101) {
        // read the rest of the answer (body) until close or a short while
        answered = true;
        const body = [buf.subarray(sep + 4)];
        sock.removeListener('data', onData);
        sock.on('data', (x) => body.push(x));
        const end = () => finish({ status, head, headers, body: Buffer.concat(body).toString('utf8'), ws: null, key });
        sock.on('close', end);
        setTimeout(() => { end(); sock.destroy(); }, 1000);
        return;
      }
      sock.removeListener('data', onData);
      const ws = new RawWs(sock, buf.subarray(sep + 4));
      finish({ status, head, headers, ws, key });
    };
    sock.on('data', onData);
    sock.on('error', (e) => { if (!done) { done = true; clearTimeout(timer); reject(e); } });
    sock.on('close', () => {
      if (!done && !answered) {
        // closed before (or while) the answer was read: split what came
        const sep = buf.indexOf('\r\n\r\n');
        const head = (sep < 0 ? buf : buf.subarray(0, sep)).toString('latin1');
        const body = sep < 0 ? '' : buf.subarray(sep + 4).toString('utf8');
        const status = Number((/^HTTP\/1\.[01] (\d{3})/.exec(head) || [])[1] || 0);
        finish({ status, head, headers: {}, body, ws: null, key });
      }
    });
    sock.on('connect', () => sock.write(text));
  });
}

// A raw connection that completed the SignalR handshake. The token goes in an
// Authorization header, or with {query: true} in the access_token parameter.
async function rawHub(port, token, opts = {}) {
  const r = opts.query
    ? await rawUpgrade(port, `/chathub?access_token=${encodeURIComponent(token)}`, opts)
    : await rawUpgrade(port, '/chathub', { ...opts, headers: { Authorization: `Bearer ${token}`, ...(opts.headers || {}) } });
  assert.equal(r.status, 101, `upgrade: ${r.head}\n${r.body || ''}`);
  assert.equal(r.headers['sec-websocket-accept'], wsAccept(r.key), 'Sec-WebSocket-Accept');
  if (opts.handshake === false) return r.ws;
  await r.ws.handshake();
  const hs = await r.ws.nextMessage(() => true);
  assert.deepEqual(hs, {}, `handshake answer: ${JSON.stringify(hs)}`);
  return r.ws;
}

module.exports = {
  signalR, MessagePackHubProtocol, TRANSPORTS, RS, EVENTS, HUB_ENV, ISO_RE, OP, eventChatId,
  HubClient, connectHub, closeAllClients,
  orgInfo, putOrg, widgetSession, listChats, getChat, allMessages, postMessage, setChatStatus,
  makeOrgFixture, addOrg, visitor, visitorChat,
  hs256, assertChat, assertMessage, assertContiguous, pollUntil,
  wsAccept, wsFrame, upgradeText, RawWs, rawUpgrade, rawHub,
};
