'use strict';
// A fake Telegram Bot API for the tests (plain node:http, no dependencies),
// following the public documentation (core.telegram.org/bots/api):
//
// - Methods at /bot<token>/<method> (method names case-insensitive), with
//   parameters in the query string, a JSON body, an urlencoded body or a
//   multipart/form-data body (files as parts). Answers are
//   {"ok":true,"result":…} or {"ok":false,"error_code":N,"description":"…",
//   "parameters":{…}} with the HTTP status equal to error_code. An unknown
//   token answers 401 "Unauthorized", an unknown method 404 "Not Found".
// - getMe, setWebhook (url, secret_token of 1–256 of A-Z a-z 0-9 _ -; an
//   empty url removes the webhook), deleteWebhook, getWebhookInfo,
//   sendMessage (text ≤ 4,096 characters), sendPhoto / sendDocument /
//   sendVoice / sendSticker / sendVideo / sendAudio (a file part, an
//   attach://name reference or a file_id / URL string; caption ≤ 1,024),
//   getFile (file_path; files over 20 MB answer "file is too big").
// - Files at /file/bot<token>/<file_path> (what the bot may download).
// - Sends go only to chats the bot has heard from (an update built here),
//   else 400 "Bad Request: chat not found" (the real API's answer for a chat
//   the bot cannot write to).
//
// Test controls: every API request is recorded (state.calls), every send
// attempt (state.attempts, with its outcome and the caller's TCP source
// port, which tells a cluster's processes apart) and every send the user got
// (state.sends: chat id, method, text/caption, the uploaded file's bytes and
// name); failures are injected for the next sends (fail()): 429 with
// parameters.retry_after, 5xx (JSON or an HTML gateway page), 403 "Forbidden:
// bot was blocked by the user", 400 "chat not found"; block() blocks a chat
// for good; delay() answers sends slowly. A send whose caller hung up before
// the (delayed) answer was written is not delivered (outcome "aborted"): the
// fake commits a send when it answers it, so "exactly once" is observable.
//
// Deviations from the real API, on purpose: webhook URLs may be plain http
// on any port (the tests' servers are local; requireHttps: true restores the
// rule), and nothing is ever delivered to the webhook by the fake itself:
// tests post updates with sendUpdate().

const crypto = require('node:crypto');
const http = require('node:http');
const lib = require('./lib');

const SEND_METHODS = {
  sendmessage: null, sendphoto: 'photo', senddocument: 'document', sendvoice: 'voice',
  sendsticker: 'sticker', sendvideo: 'video', sendaudio: 'audio',
};
const CANONICAL = {
  getme: 'getMe', setwebhook: 'setWebhook', deletewebhook: 'deleteWebhook', getwebhookinfo: 'getWebhookInfo',
  sendmessage: 'sendMessage', sendphoto: 'sendPhoto', senddocument: 'sendDocument', sendvoice: 'sendVoice',
  sendsticker: 'sendSticker', sendvideo: 'sendVideo', sendaudio: 'sendAudio', getfile: 'getFile',
};
const DOWNLOAD_MAX = 20 * 1024 * 1024; // getFile: the Bot API serves files up to 20 MB
const SECRET_RE = /^[A-Za-z0-9_-]{1,256}$/;

const BLOCKED = 'Forbidden: bot was blocked by the user';

// A token as BotFather gives them: "<bot id>:<35 characters>".
function makeToken(id = 100000000 + crypto.randomInt(800000000)) {
  return `${id}:AA${crypto.randomBytes(33).toString('base64url').slice(0, 33)}`;
}

function err(code, description, parameters) {
  const o = { ok: false, error_code: code, description };
  if (parameters) o.parameters = parameters;
  return { status: code, body: o };
}

class FakeTelegram {
  constructor(opts = {}) {
    this.opts = { requireHttps: false, requireKnownChat: true, ...opts };
    this.state = {
      bots: new Map(),      // token -> {id, username, first_name, webhook, webhookHistory}
      calls: [],            // every API request
      attempts: [],         // every send request with its outcome
      sends: [],            // sends delivered to the user
      files: new Map(),     // file_id -> {bytes, file_path, file_size, file_unique_id, token}
      downloads: [],        // every GET /file/bot…
      failures: [],         // injected answers for the next sends
      blocked: new Set(),   // chat ids (text) that blocked the bot
      chats: new Set(),     // chat ids (text) the bot has heard from
    };
    this.delayMs = opts.delayMs || 0;
    this.updateId = 100000 + crypto.randomInt(100000);
    this.messageId = new Map(); // chat id -> last message_id
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
  // A bot the API knows (its token is accepted); returns the token.
  addBot(token = makeToken(), { username, firstName } = {}) {
    const id = Number(token.split(':')[0]);
    this.state.bots.set(token, {
      id, username: username || `test_${id}_bot`, first_name: firstName || 'Test bot', webhook: null, webhookHistory: [],
    });
    return token;
  }

  removeBot(token) { this.state.bots.delete(token); }

  webhook(token) { const b = this.state.bots.get(token); return b ? b.webhook : undefined; }

  // Injects `count` answers for the next send requests (FIFO; chatId: only
  // sends to that chat use them). kind: 'rate' (429, retryAfter seconds),
  // 'server' (status, default 500; html: true for a gateway's HTML page),
  // 'blocked' (403), 'chat' (400 chat not found), 'unauthorized' (401),
  // 'hang' (no answer: the connection is closed after hangMs).
  fail(kind, { count = 1, retryAfter = 1, status, html = false, chatId, description, hangMs = 0 } = {}) {
    for (let i = 0; i < count; i++) {
      this.state.failures.push({ kind, retryAfter, status, html, chatId: chatId === undefined ? undefined : String(chatId), description, hangMs });
    }
  }

  block(chatId) { this.state.blocked.add(String(chatId)); }
  unblock(chatId) { this.state.blocked.delete(String(chatId)); }
  delay(ms) { this.delayMs = ms; }

  // A file the bot can fetch (getFile, then /file/bot<token>/<file_path>).
  // announcedSize: the file_size getFile and the update announce (default the
  // real size).
  addFile(token, bytes, { announcedSize, path, uniqueId } = {}) {
    const fileId = `AgAC${crypto.randomBytes(24).toString('base64url')}`;
    const f = {
      token, bytes: Buffer.from(bytes), file_id: fileId,
      file_unique_id: uniqueId || `AQAD${crypto.randomBytes(6).toString('base64url')}`,
      file_size: announcedSize === undefined ? bytes.length : announcedSize,
      file_path: path || `documents/file_${this.state.files.size}${crypto.randomBytes(3).toString('hex')}`,
    };
    this.state.files.set(fileId, f);
    return f;
  }

  sendsTo(chatId) { return this.state.sends.filter((s) => s.chatId === String(chatId)); }
  attemptsTo(chatId) { return this.state.attempts.filter((a) => a.chatId === String(chatId)); }
  callsOf(method) { return this.state.calls.filter((c) => c.method === method); }

  // Waits until pred(state) is truthy; resolves with its value.
  async waitFor(pred, { ms = 15000, what = 'condition' } = {}) {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred(this.state);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`fake Telegram: ${what} not reached within ${ms} ms`);
      await lib.sleep(20);
    }
  }

  // ---- updates as Telegram posts them -----------------------------------------
  // A user: {id, first_name, last_name?, username?, language_code?}.
  static user(id, firstName = 'Test', lastName) {
    const u = { id, is_bot: false, first_name: firstName };
    if (lastName) u.last_name = lastName;
    return u;
  }

  // One Update with a message from `from` carrying `fields` (text, photo, …).
  update(from, fields = {}) {
    const chatId = String(from.id);
    this.state.chats.add(chatId);
    const message_id = (this.messageId.get(chatId) || 0) + 1;
    this.messageId.set(chatId, message_id);
    const chat = { id: from.id, first_name: from.first_name, type: 'private' };
    if (from.last_name) chat.last_name = from.last_name;
    if (from.username) chat.username = from.username;
    return {
      update_id: ++this.updateId,
      message: { message_id, from, chat, date: Math.floor(Date.now() / 1000), ...fields },
    };
  }

  textUpdate(from, text) { return this.update(from, { text }); }

  // A photo: three PhotoSizes, the largest the given bytes (smaller ones are
  // other, smaller files), as the Bot API sends them.
  photoUpdate(token, from, bytes, { caption, announcedSize } = {}) {
    const small = this.addFile(token, Buffer.from(`thumb-s-${crypto.randomBytes(4).toString('hex')}`), { path: `photos/file_${this.state.files.size}.jpg` });
    const mid = this.addFile(token, Buffer.from(`thumb-m-${crypto.randomBytes(8).toString('hex')}`), { path: `photos/file_${this.state.files.size}.jpg` });
    const big = this.addFile(token, bytes, { announcedSize, path: `photos/file_${this.state.files.size}.jpg` });
    const size = (f, w, h) => ({ file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size, width: w, height: h });
    const fields = { photo: [size(small, 90, 60), size(mid, 320, 213), size(big, 1280, 853)] };
    if (caption !== undefined) fields.caption = caption;
    const u = this.update(from, fields);
    Object.defineProperty(u, 'files', { value: { small, mid, big }, enumerable: false });
    return u;
  }

  documentUpdate(token, from, bytes, { fileName = 'file.pdf', mime = 'application/pdf', caption, announcedSize } = {}) {
    const f = this.addFile(token, bytes, { announcedSize, path: `documents/file_${this.state.files.size}.${fileName.split('.').pop()}` });
    const fields = { document: { file_name: fileName, mime_type: mime, file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size } };
    if (caption !== undefined) fields.caption = caption;
    const u = this.update(from, fields);
    Object.defineProperty(u, 'file', { value: f, enumerable: false });
    return u;
  }

  voiceUpdate(token, from, bytes, { duration = 2, mime = 'audio/ogg' } = {}) {
    const f = this.addFile(token, bytes, { path: `voice/file_${this.state.files.size}.oga` });
    const u = this.update(from, { voice: { duration, mime_type: mime, file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size } });
    Object.defineProperty(u, 'file', { value: f, enumerable: false });
    return u;
  }

  stickerUpdate(token, from, bytes) {
    const f = this.addFile(token, bytes, { path: `stickers/file_${this.state.files.size}.webp` });
    const u = this.update(from, { sticker: { file_id: f.file_id, file_unique_id: f.file_unique_id, type: 'regular', width: 512, height: 512,
      is_animated: false, is_video: false, emoji: '👍', file_size: f.file_size } });
    Object.defineProperty(u, 'file', { value: f, enumerable: false });
    return u;
  }

  // POSTs an update to our server as Telegram does: JSON, with
  // X-Telegram-Bot-Api-Secret-Token when secret is given (null/undefined:
  // no header). body: raw bytes instead of the update's JSON. Resolves
  // {status, headers, text, json, error}.
  sendUpdate(serverUrl, path, update, { secret, headers = {}, body, timeoutMs } = {}) {
    const hs = { 'Content-Type': 'application/json', ...headers };
    if (secret !== undefined && secret !== null) hs['X-Telegram-Bot-Api-Secret-Token'] = secret;
    const payload = body !== undefined ? body : lib.stringify(update);
    return lib.request(serverUrl + path, { headers: hs, body: payload, timeoutMs });
  }

  // ---- the API -------------------------------------------------------------
  async _handle(req, res) {
    res.gone = false;
    res.on('close', () => { if (!res.writableFinished) res.gone = true; });
    const u = new URL(req.url, 'http://fake');
    let m = /^\/file\/bot([^/]+)\/(.+)$/.exec(u.pathname);
    if (m && (req.method === 'GET' || req.method === 'HEAD')) { this._download(req, res, decodeURIComponent(m[1]), decodeURIComponent(m[2])); return; }
    m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(u.pathname);
    const raw = await lib.readBody(req);
    const call = { at: Date.now(), httpMethod: req.method, path: u.pathname, token: m ? decodeURIComponent(m[1]) : null,
      method: m ? (CANONICAL[m[2].toLowerCase()] || m[2]) : null, contentType: req.headers['content-type'] || '', params: {}, files: {},
      remotePort: req.socket.remotePort };
    this.state.calls.push(call);
    const reply = (r) => this._answer(res, call, r);
    if (!m) { reply(err(404, 'Not Found')); return; }
    if (!this.state.bots.has(call.token)) { reply(err(401, 'Unauthorized')); return; }
    const parsed = this._params(u, call.contentType, raw);
    if (parsed.error) { reply(err(400, parsed.error)); return; }
    call.params = parsed.params;
    call.files = parsed.files;
    const bot = this.state.bots.get(call.token);
    const lower = m[2].toLowerCase();
    if (lower in SEND_METHODS) { await this._send(res, call, bot, lower); return; }
    switch (lower) {
      case 'getme':
        reply({ status: 200, body: { ok: true, result: { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username,
          can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } } });
        return;
      case 'setwebhook': reply(this._setWebhook(bot, call.params)); return;
      case 'deletewebhook': reply(this._setWebhook(bot, { url: '' })); return;
      case 'getwebhookinfo': {
        const w = bot.webhook;
        const info = { url: w ? w.url : '', has_custom_certificate: false, pending_update_count: 0 };
        if (w) info.max_connections = w.max_connections || 40;
        reply({ status: 200, body: { ok: true, result: info } });
        return;
      }
      case 'getfile': {
        const f = this.state.files.get(String(call.params.file_id || ''));
        if (!f || f.token !== call.token) { reply(err(400, 'Bad Request: invalid file_id')); return; }
        if (f.file_size > DOWNLOAD_MAX) { reply(err(400, 'Bad Request: file is too big')); return; }
        reply({ status: 200, body: { ok: true, result: { file_id: f.file_id, file_unique_id: f.file_unique_id, file_size: f.file_size, file_path: f.file_path } } });
        return;
      }
      default: reply(err(404, 'Not Found'));
    }
  }

  // Parameters from the query string and the body ({params, files} or {error}).
  _params(u, contentType, raw) {
    const params = {};
    for (const [k, v] of u.searchParams) params[k] = v;
    let files = {};
    if (raw === null) return { error: 'Request Entity Too Large' };
    if (raw.length) {
      if (/^application\/json/i.test(contentType)) {
        let j;
        try { j = lib.parseBig(raw.toString('utf8')); } catch { return { error: "Bad Request: can't parse JSON encoded request" }; }
        if (!j || typeof j !== 'object' || Array.isArray(j)) return { error: 'Bad Request: JSON object expected' };
        Object.assign(params, j);
      } else if (/^multipart\/form-data/i.test(contentType)) {
        const mp = lib.parseMultipart(raw, contentType);
        if (!mp) return { error: 'Bad Request: wrong multipart/form-data request' };
        Object.assign(params, mp.fields);
        files = mp.files;
      } else if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
        Object.assign(params, lib.parseUrlencoded(raw.toString('utf8')));
      } else {
        return { error: 'Bad Request: unsupported Content-Type' };
      }
    }
    return { params, files };
  }

  _setWebhook(bot, p) {
    const url = p.url === undefined || p.url === null ? '' : String(p.url);
    if (url === '') {
      const had = !!bot.webhook;
      bot.webhook = null;
      bot.webhookHistory.push({ at: Date.now(), url: '' });
      return { status: 200, body: { ok: true, result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' } };
    }
    let parsed;
    try { parsed = new URL(url); } catch { return err(400, 'Bad Request: bad webhook: invalid URL'); }
    if (!/^https?:$/.test(parsed.protocol) || (this.opts.requireHttps && parsed.protocol !== 'https:')) {
      return err(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
    }
    if (p.secret_token !== undefined && !SECRET_RE.test(String(p.secret_token))) {
      return err(400, 'Bad Request: secret token contains unallowed characters');
    }
    const same = bot.webhook && bot.webhook.url === url;
    let allowed = p.allowed_updates;
    if (typeof allowed === 'string') { try { allowed = JSON.parse(allowed); } catch { /* as given */ } }
    bot.webhook = {
      url, secret_token: p.secret_token === undefined ? null : String(p.secret_token), allowed_updates: allowed,
      max_connections: p.max_connections === undefined ? undefined : Number(p.max_connections),
      drop_pending_updates: p.drop_pending_updates, ip_address: p.ip_address, at: Date.now(),
    };
    bot.webhookHistory.push({ ...bot.webhook });
    return { status: 200, body: { ok: true, result: true, description: same ? 'Webhook is already set' : 'Webhook was set' } };
  }

  async _send(res, call, bot, lower) {
    const p = call.params;
    const chatId = p.chat_id === undefined || p.chat_id === null ? '' : String(p.chat_id);
    const field = SEND_METHODS[lower];
    const attempt = { at: Date.now(), token: call.token, method: call.method, chatId, outcome: null, remotePort: call.remotePort };
    this.state.attempts.push(attempt);
    const done = (r, outcome) => { attempt.outcome = outcome; return this._answer(res, call, r); };
    // validation first: a request that can never succeed
    if (chatId === '') return done(err(400, 'Bad Request: chat_id is empty'), 'invalid');
    const text = p.text === undefined ? undefined : String(p.text);
    const caption = p.caption === undefined ? undefined : String(p.caption);
    attempt.text = text !== undefined ? text : caption;
    let file = null;
    let ref = null;
    if (field === null) {
      if (!text) return done(err(400, 'Bad Request: message text is empty'), 'invalid');
      if ([...text].length > 4096) return done(err(400, 'Bad Request: message is too long'), 'invalid');
    } else {
      const v = p[field];
      const att = typeof v === 'string' && v.startsWith('attach://') ? v.slice(9) : null;
      const part = call.files[att || field];
      if (part) file = { field, name: part.filename, contentType: part.contentType, bytes: part.bytes };
      else if (typeof v === 'string' && v && !att) ref = v;
      else return done(err(400, `Bad Request: there is no ${field} in the request`), 'invalid');
      if (caption !== undefined && [...caption].length > 1024) return done(err(400, 'Bad Request: message caption is too long'), 'invalid');
    }
    // then the platform's state and the injected failures
    if (this.state.blocked.has(chatId)) return done(err(403, BLOCKED), 'blocked');
    const fi = this.state.failures.findIndex((f) => f.chatId === undefined || f.chatId === chatId);
    if (fi >= 0) {
      const f = this.state.failures.splice(fi, 1)[0];
      attempt.injected = f.kind;
      return this._failure(res, call, attempt, f);
    }
    if (this.opts.requireKnownChat && !this.state.chats.has(chatId)) return done(err(400, 'Bad Request: chat not found'), 'chat not found');
    const message_id = (this.messageId.get(chatId) || 0) + 1;
    this.messageId.set(chatId, message_id);
    const result = { message_id, from: { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username },
      chat: { id: /^-?\d+$/.test(chatId) ? Number(chatId) : chatId, type: 'private' }, date: Math.floor(Date.now() / 1000) };
    if (field === null) result.text = text;
    else {
      const bytes = file ? file.bytes : Buffer.alloc(0);
      const stored = file ? this.addFile(call.token, bytes) : null;
      const desc = stored ? { file_id: stored.file_id, file_unique_id: stored.file_unique_id, file_size: stored.file_size } : { file_id: ref };
      if (field === 'photo') result.photo = [{ ...desc, width: 800, height: 600 }];
      else result[field] = { ...desc, ...(file && file.name ? { file_name: file.name } : {}), ...(file && file.contentType ? { mime_type: file.contentType } : {}) };
      if (caption !== undefined) result.caption = caption;
    }
    if (this.delayMs) await lib.sleep(this.delayMs);
    if (res.gone) { attempt.outcome = 'aborted'; return false; }
    const send = { at: Date.now(), token: call.token, method: call.method, type: field === null ? 'text' : field, chatId, text,
      caption, file, ref, messageId: message_id, params: p };
    this.state.sends.push(send);
    attempt.outcome = 'sent';
    attempt.messageId = message_id;
    return this._answer(res, call, { status: 200, body: { ok: true, result } });
  }

  async _failure(res, call, attempt, f) {
    if (this.delayMs) await lib.sleep(this.delayMs);
    switch (f.kind) {
      case 'rate':
        attempt.outcome = '429';
        return this._answer(res, call, err(429, f.description || `Too Many Requests: retry after ${f.retryAfter}`, { retry_after: f.retryAfter }));
      case 'blocked':
        attempt.outcome = 'blocked';
        return this._answer(res, call, err(403, f.description || BLOCKED));
      case 'chat':
        attempt.outcome = 'chat not found';
        return this._answer(res, call, err(400, f.description || 'Bad Request: chat not found'));
      case 'unauthorized':
        attempt.outcome = '401';
        return this._answer(res, call, err(401, 'Unauthorized'));
      case 'hang':
        attempt.outcome = 'hang';
        await lib.sleep(f.hangMs);
        res.destroy();
        call.status = 0;
        return false;
      default: {
        const status = f.status || 500;
        attempt.outcome = String(status);
        if (f.html) {
          call.status = status;
          if (res.gone) return false;
          res.writeHead(status, { 'Content-Type': 'text/html' });
          res.end(`<html>\r\n<head><title>${status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>${status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`);
          return true;
        }
        return this._answer(res, call, err(status, f.description || 'Internal Server Error'));
      }
    }
  }

  _answer(res, call, r) {
    call.status = r.status;
    call.answer = r.body;
    if (res.gone) return false;
    res.writeHead(r.status, { 'Content-Type': 'application/json' });
    res.end(lib.stringify(r.body));
    return true;
  }

  _download(req, res, token, filePath) {
    const d = { at: Date.now(), token, path: filePath, status: 0, bytes: 0 };
    this.state.downloads.push(d);
    const f = [...this.state.files.values()].find((x) => x.file_path === filePath && x.token === token);
    if (!this.state.bots.has(token) || !f) {
      d.status = 404;
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"ok":false,"error_code":404,"description":"Not Found"}');
      return;
    }
    d.status = 200;
    d.bytes = f.bytes.length;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(f.bytes.length) });
    res.end(req.method === 'HEAD' ? undefined : f.bytes);
  }
}

async function start(opts = {}) {
  return new FakeTelegram(opts).start();
}

module.exports = { start, FakeTelegram, makeToken, user: FakeTelegram.user, BLOCKED, SECRET_HEADER: 'X-Telegram-Bot-Api-Secret-Token' };
