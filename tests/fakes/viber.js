'use strict';
// A fake Viber REST Bot API for the tests (plain node:http, no
// dependencies), following the public documentation
// (developers.viber.com/docs/api/rest-bot-api):
//
// - POST /set_webhook, /send_message, /get_account_info (also under /pa/…,
//   the real base path), JSON bodies, the bot token in X-Viber-Auth-Token.
//   Every answer that reaches the API is HTTP 200 with the outcome in the
//   body: {"status":0,"status_message":"ok",…} or a non-zero status with its
//   documented name (2 invalidAuthToken, 3 badData, 4 missingData,
//   5 receiverNotRegistered, 6 receiverNotSubscribed, 12 tooManyRequests, …).
// - set_webhook {url, event_types?, send_name?, send_photo?}: before it
//   answers, the fake POSTs the signed callback {"event":"webhook",
//   "timestamp","chat_hostname","message_token"} to the URL and refuses
//   (status 1, "Result[HttpResponse(N)] is not 200") unless the answer is
//   200; url "" removes the webhook.
// - send_message {receiver, sender: {name ≤ 28}, type: text (text ≤ 7,000)
//   | picture (media, text ≤ 768) | file (media, size, file_name) | video |
//   sticker | …}: answers message_token, a 64-bit integer written as a bare
//   JSON number (beyond 2^53: parse it exactly). For media messages the
//   fake GETs the media URL, as Viber does, and records what it got.
//   Receivers are the users the bot heard from (callbacks built here), else
//   status 6 receiverNotSubscribed.
// - Callbacks are signed as Viber signs them: X-Viber-Content-Signature =
//   hex HMAC-SHA256 of the raw body keyed with the bot token.
// - It also hosts media files at URLs of its own (addMedia), as Viber's media
//   servers do for the pictures and files users send.
//
// Test controls: state.calls (every API request), state.attempts (every
// send_message with its outcome and the caller's TCP source port),
// state.sends (what users got: receiver,
// type, text, media URL and the bytes fetched from it, message_token),
// state.downloads (media GETs), injected failures for the next sends
// (fail(): Viber statuses such as 12 or 6, HTTP 5xx, no answer), delay().
// As in telegram.js, a send whose caller hung up before the (delayed) answer
// is not delivered (outcome "aborted").
//
// Deviation on purpose: webhook URLs may be plain http (local test servers).

const crypto = require('node:crypto');
const http = require('node:http');
const lib = require('./lib');

const STATUS = {
  0: 'ok', 1: 'invalidUrl', 2: 'invalidAuthToken', 3: 'badData', 4: 'missingData', 5: 'receiverNotRegistered',
  6: 'receiverNotSubscribed', 7: 'publicAccountBlocked', 8: 'publicAccountNotFound', 9: 'publicAccountSuspended',
  10: 'webhookNotSet', 11: 'receiverNoSuitableDevice', 12: 'tooManyRequests', 13: 'apiVersionNotSupported',
  14: 'incompatibleWithVersion', 15: 'publicAccountNotAuthorized', 16: 'inchatReplyMessageNotAllowed',
  17: 'publicAccountIsNotInline', 18: 'noPublicChat', 19: 'cannotSendBroadcast',
};
const TYPES = new Set(['text', 'picture', 'video', 'file', 'location', 'contact', 'sticker', 'rich_media', 'url']);
const EVENT_TYPES = ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'];
const HOST = 'SN-CHAT-01_';

// A bot token as the Viber admin panel shows it.
function makeToken() {
  const h = crypto.randomBytes(24).toString('hex');
  return `${h.slice(0, 16)}-${h.slice(16, 32)}-${h.slice(32, 48)}`;
}

// A message token: a positive 64-bit integer above 2^53 (as BigInt).
// Viber's message tokens are Java longs (its examples are ~5e18): above
// 2^53, so they must be kept exact, and below 2^63.
function messageToken() {
  return 4000000000000000000n + BigInt(`0x${crypto.randomBytes(6).toString('hex')}`) * 311n;
}

function sign(body, token) {
  return crypto.createHmac('sha256', token).update(body).digest('hex');
}

const answer = (status, extra = {}) => ({ status, status_message: STATUS[status] || 'generalError', ...extra });

class FakeViber {
  constructor(opts = {}) {
    this.opts = { requireKnownReceiver: true, fetchMedia: true, ...opts };
    this.state = {
      bots: new Map(),    // token -> {id, name, uri, webhook, webhookHistory}
      calls: [],
      attempts: [],
      sends: [],
      downloads: [],
      media: new Map(),   // id -> {bytes, name, mime, chunked, declaredLength}
      failures: [],
      users: new Set(),   // user ids the bots heard from
      webhookChecks: [],  // the "webhook" callbacks set_webhook posted, with their answers
    };
    this.delayMs = opts.delayMs || 0;
    this.server = http.createServer((req, res) => { this._handle(req, res).catch((e) => {
      try { res.writeHead(500); res.end(String(e && e.stack)); } catch { /* gone */ }
    }); });
  }

  async start() {
    this.url = await lib.listen(this.server);
    return this;
  }

  close() { return lib.close(this.server); }

  // ---- test controls ------------------------------------------------------
  addBot(token = makeToken(), { name = 'Test bot', uri } = {}) {
    this.state.bots.set(token, {
      id: `pa:${BigInt(`0x${crypto.randomBytes(7).toString('hex')}`)}`, name, uri: uri || `testbot${this.state.bots.size}`,
      webhook: null, webhookHistory: [],
    });
    return token;
  }

  removeBot(token) { this.state.bots.delete(token); }
  webhook(token) { const b = this.state.bots.get(token); return b ? b.webhook : undefined; }

  // Injects `count` answers for the next send_message requests (FIFO;
  // receiver: only sends to that user use them). kind: 'rate' (status 12
  // tooManyRequests), 'notSubscribed' (status 6), 'status' (any status),
  // 'server' (HTTP status, default 500, no JSON), 'hang' (no answer: the
  // connection is closed after hangMs).
  fail(kind, { count = 1, status, receiver, hangMs = 0 } = {}) {
    for (let i = 0; i < count; i++) this.state.failures.push({ kind, status, receiver, hangMs });
  }

  delay(ms) { this.delayMs = ms; }

  // A file on the fake's media server; returns its URL. chunked: no
  // Content-Length; declaredLength: a Content-Length that lies.
  addMedia(bytes, { name = 'photo.jpg', mime = 'image/jpeg', chunked = false } = {}) {
    const id = crypto.randomBytes(12).toString('hex');
    this.state.media.set(id, { bytes: Buffer.from(bytes), name, mime, chunked });
    return `${this.url}/media/${id}/${encodeURIComponent(name)}`;
  }

  sendsTo(receiver) { return this.state.sends.filter((s) => s.receiver === receiver); }
  attemptsTo(receiver) { return this.state.attempts.filter((a) => a.receiver === receiver); }
  callsOf(endpoint) { return this.state.calls.filter((c) => c.endpoint === endpoint); }

  async waitFor(pred, { ms = 15000, what = 'condition' } = {}) {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred(this.state);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`fake Viber: ${what} not reached within ${ms} ms`);
      await lib.sleep(20);
    }
  }

  // ---- callbacks as Viber posts them -----------------------------------------
  // A user: {id, name, avatar, language, country, api_version}.
  static user(name = 'Test User', id = crypto.randomBytes(12).toString('base64')) {
    return { id, name, avatar: `https://media-direct.cdn.viber.com/download_photo?dlid=${crypto.randomBytes(6).toString('hex')}`,
      language: 'uk', country: 'UA', api_version: 10 };
  }

  _heard(userId) { this.state.users.add(userId); }

  messageCallback(user, message) {
    this._heard(user.id);
    return { event: 'message', timestamp: Date.now(), chat_hostname: HOST, message_token: messageToken(), sender: user, message, silent: false };
  }

  textCallback(user, text) { return this.messageCallback(user, { type: 'text', text }); }

  pictureCallback(user, mediaUrl, { text = '', size, fileName = 'photo.jpg', thumbnail } = {}) {
    const m = { type: 'picture', text, media: mediaUrl, thumbnail: thumbnail || mediaUrl, file_name: fileName };
    if (size !== undefined) m.size = size;
    return this.messageCallback(user, m);
  }

  fileCallback(user, mediaUrl, { size, fileName = 'file.pdf' } = {}) {
    return this.messageCallback(user, { type: 'file', media: mediaUrl, size, file_name: fileName });
  }

  contactCallback(user, { name, phone }) {
    return this.messageCallback(user, { type: 'contact', contact: { name, phone_number: phone } });
  }

  statusCallback(event, userId, token) {
    const b = { event, timestamp: Date.now(), chat_hostname: HOST, message_token: BigInt(token), user_id: userId };
    if (event === 'failed') b.desc = 'failure description';
    return b;
  }

  seenCallback(userId, token) { return this.statusCallback('seen', userId, token); }
  deliveredCallback(userId, token) { return this.statusCallback('delivered', userId, token); }
  failedCallback(userId, token) { return this.statusCallback('failed', userId, token); }

  subscribedCallback(user) {
    this._heard(user.id);
    return { event: 'subscribed', timestamp: Date.now(), chat_hostname: HOST, user, message_token: messageToken() };
  }

  unsubscribedCallback(userId) {
    return { event: 'unsubscribed', timestamp: Date.now(), chat_hostname: HOST, user_id: userId, message_token: messageToken() };
  }

  conversationStartedCallback(user, { context = '', subscribed = false } = {}) {
    this._heard(user.id);
    return { event: 'conversation_started', timestamp: Date.now(), chat_hostname: HOST, message_token: messageToken(),
      type: 'open', context, user, subscribed };
  }

  // POSTs a callback to our server as Viber does. body: an object (JSON, its
  // BigInts as bare integers) or raw bytes/text. signature: undefined signs
  // with token; a string is sent as it is; null/false sends no header.
  // Resolves {status, headers, text, json, error}.
  sendCallback(serverUrl, path, body, { token, signature, headers = {}, timeoutMs } = {}) {
    const raw = Buffer.isBuffer(body) || typeof body === 'string' ? Buffer.from(body) : Buffer.from(lib.stringify(body));
    const hs = { 'Content-Type': 'application/json', ...headers };
    if (signature === undefined) {
      if (!token) throw new Error('sendCallback: a token (or an explicit signature) is required');
      hs['X-Viber-Content-Signature'] = sign(raw, token);
    } else if (signature !== null && signature !== false) {
      hs['X-Viber-Content-Signature'] = signature;
    }
    return lib.request(serverUrl + path, { headers: hs, body: raw, timeoutMs });
  }

  // ---- the API -------------------------------------------------------------
  async _handle(req, res) {
    res.gone = false;
    res.on('close', () => { if (!res.writableFinished) res.gone = true; });
    const u = new URL(req.url, 'http://fake');
    const mm = /^\/media\/([0-9a-f]+)\//.exec(u.pathname);
    if (mm && (req.method === 'GET' || req.method === 'HEAD')) { this._media(req, res, mm[1]); return; }
    const m = /^(?:\/pa)?\/([a-z_]+)$/.exec(u.pathname);
    const raw = await lib.readBody(req);
    const token = req.headers['x-viber-auth-token'] || '';
    const call = { at: Date.now(), endpoint: m ? m[1] : u.pathname, token, body: undefined, status: null, answer: undefined,
      remotePort: req.socket.remotePort };
    this.state.calls.push(call);
    const reply = (o) => this._answer(res, call, o);
    if (!m || !['set_webhook', 'send_message', 'get_account_info', 'get_user_details', 'get_online'].includes(m[1])) {
      call.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    if (req.method !== 'POST') { call.status = 405; res.writeHead(405); res.end(); return; }
    const bot = this.state.bots.get(token);
    if (!bot) { reply(answer(2)); return; }
    let body = {};
    if (raw && raw.length) {
      try { body = lib.parseBig(raw.toString('utf8')); } catch { reply(answer(3)); return; }
    }
    if (raw === null || !body || typeof body !== 'object' || Array.isArray(body)) { reply(answer(3)); return; }
    call.body = body;
    switch (m[1]) {
      case 'set_webhook': reply(await this._setWebhook(token, bot, body)); return;
      case 'send_message': await this._send(res, call, bot, body); return;
      case 'get_account_info':
        reply(answer(0, { id: bot.id, name: bot.name, uri: bot.uri, icon: 'https://example.com/icon.jpg', background: 'https://example.com/bg.jpg',
          category: 'Test', subcategory: 'Test', location: { lon: 30.52, lat: 50.45 }, country: 'UA',
          webhook: bot.webhook ? bot.webhook.url : '', event_types: bot.webhook ? bot.webhook.event_types : [], subscribers_count: this.state.users.size,
          members: [{ id: '01234567890A=', name: 'Admin', avatar: 'https://example.com/a.jpg', role: 'admin' }] }));
        return;
      default: reply(answer(0));
    }
  }

  async _setWebhook(token, bot, body) {
    if (typeof body.url !== 'string') return answer(4);
    if (body.url === '') {
      bot.webhook = null;
      bot.webhookHistory.push({ at: Date.now(), url: '' });
      return answer(0);
    }
    let parsed;
    try { parsed = new URL(body.url); } catch { return answer(1); }
    if (!/^https?:$/.test(parsed.protocol)) return answer(1);
    const check = { event: 'webhook', timestamp: Date.now(), chat_hostname: HOST, message_token: messageToken() };
    const r = await this.sendCallback('', body.url, check, { token, timeoutMs: 10000 });
    this.state.webhookChecks.push({ at: Date.now(), url: body.url, body: check, status: r.status, text: r.text });
    if (r.status !== 200) return { status: 1, status_message: `Result[HttpResponse(${r.status || 'no answer'})] is not 200`, chat_hostname: HOST };
    const types = Array.isArray(body.event_types) && body.event_types.length ? body.event_types.filter((t) => EVENT_TYPES.includes(t)) : EVENT_TYPES;
    bot.webhook = { url: body.url, event_types: types, send_name: body.send_name, send_photo: body.send_photo, at: Date.now() };
    bot.webhookHistory.push({ ...bot.webhook });
    return answer(0, { chat_hostname: HOST, event_types: types });
  }

  // What is wrong with a send_message body (a status), or 0.
  static validate(b) {
    if (typeof b.receiver !== 'string' || !b.receiver) return 4;
    if (!b.sender || typeof b.sender !== 'object' || typeof b.sender.name !== 'string' || !b.sender.name) return 4;
    if ([...b.sender.name].length > 28) return 3;
    if (typeof b.type !== 'string' || !TYPES.has(b.type)) return 3;
    const len = (s) => [...String(s)].length;
    switch (b.type) {
      case 'text':
        if (typeof b.text !== 'string' || !b.text) return 4;
        if (len(b.text) > 7000) return 3;
        return 0;
      case 'picture':
        if (typeof b.media !== 'string' || !b.media) return 4;
        if (b.text !== undefined && (typeof b.text !== 'string' || len(b.text) > 768)) return 3;
        return 0;
      case 'video':
        if (typeof b.media !== 'string' || !b.media || b.size === undefined) return 4;
        return 0;
      case 'file':
        if (typeof b.media !== 'string' || !b.media || b.size === undefined || typeof b.file_name !== 'string' || !b.file_name) return 4;
        if (len(b.file_name) > 256) return 3;
        return 0;
      default:
        return 0;
    }
  }

  async _send(res, call, bot, b) {
    const receiver = typeof b.receiver === 'string' ? b.receiver : '';
    const attempt = { at: Date.now(), token: call.token, receiver, type: b.type, text: b.text, outcome: null, remotePort: call.remotePort };
    this.state.attempts.push(attempt);
    const bad = FakeViber.validate(b);
    if (bad) { attempt.outcome = STATUS[bad]; return this._answer(res, call, answer(bad)); }
    const fi = this.state.failures.findIndex((f) => f.receiver === undefined || f.receiver === receiver);
    if (fi >= 0) {
      const f = this.state.failures.splice(fi, 1)[0];
      attempt.injected = f.kind;
      if (this.delayMs) await lib.sleep(this.delayMs);
      if (f.kind === 'hang') {
        attempt.outcome = 'hang';
        await lib.sleep(f.hangMs);
        res.destroy();
        return false;
      }
      if (f.kind === 'server') {
        const status = f.status || 500;
        attempt.outcome = String(status);
        call.status = status;
        if (res.gone) return false;
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end('Internal Server Error');
        return true;
      }
      const st = f.kind === 'rate' ? 12 : f.kind === 'notSubscribed' ? 6 : (f.status || 1);
      attempt.outcome = STATUS[st] || String(st);
      return this._answer(res, call, answer(st, { chat_hostname: HOST }));
    }
    if (this.opts.requireKnownReceiver && !this.state.users.has(receiver)) {
      attempt.outcome = STATUS[6];
      return this._answer(res, call, answer(6, { chat_hostname: HOST }));
    }
    let fetched = null;
    if (this.opts.fetchMedia && typeof b.media === 'string' && b.media) {
      fetched = await rawGet(b.media);
    }
    const token = messageToken();
    if (this.delayMs) await lib.sleep(this.delayMs);
    if (res.gone) { attempt.outcome = 'aborted'; return false; }
    this.state.sends.push({ at: Date.now(), token: call.token, receiver, type: b.type, text: b.text, media: b.media,
      size: b.size, fileName: b.file_name, sender: b.sender, fetched, messageToken: token, body: b });
    attempt.outcome = 'sent';
    attempt.messageToken = token;
    return this._answer(res, call, answer(0, { message_token: token, chat_hostname: HOST, billing_status: 1 }));
  }

  _answer(res, call, o) {
    call.status = 200;
    call.answer = o;
    if (res.gone) return false;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(lib.stringify(o));
    return true;
  }

  _media(req, res, id) {
    const d = { at: Date.now(), id, status: 0, bytesSent: 0, aborted: false };
    this.state.downloads.push(d);
    const f = this.state.media.get(id);
    if (!f) { d.status = 404; res.writeHead(404); res.end(); return; }
    d.status = 200;
    const headers = { 'Content-Type': f.mime };
    if (!f.chunked) headers['Content-Length'] = String(f.bytes.length);
    res.writeHead(200, headers);
    if (req.method === 'HEAD') { res.end(); return; }
    res.on('close', () => { if (!res.writableFinished) d.aborted = true; });
    // in 64 KiB pieces, so that a reader that stops early is seen stopping
    let off = 0;
    const pump = () => {
      while (off < f.bytes.length) {
        const piece = f.bytes.subarray(off, off + 65536);
        off += piece.length;
        d.bytesSent = off;
        if (!res.write(piece)) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
  }
}

// GET url → {status (0: no answer), contentType, bytes (the body, null unless 200), error}.
function rawGet(url) {
  return new Promise((resolve) => {
    const fail = (e) => resolve({ status: 0, contentType: '', bytes: null, error: e.code || e.message });
    let req;
    try {
      req = http.get(url, { timeout: 10000 }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, contentType: res.headers['content-type'] || '',
          bytes: res.statusCode === 200 ? Buffer.concat(chunks) : null, error: null }));
        res.on('error', fail);
      });
    } catch (e) { fail(e); return; }
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
  });
}

async function start(opts = {}) {
  return new FakeViber(opts).start();
}

module.exports = { start, FakeViber, makeToken, messageToken, sign, user: FakeViber.user, STATUS, SIGNATURE_HEADER: 'X-Viber-Content-Signature' };
