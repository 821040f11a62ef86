'use strict';
// What the platform fakes (telegram.js, viber.js) share: reading a request
// body with a cap, multipart/form-data and urlencoded parsing, JSON with
// 64-bit integers (Viber's message tokens do not fit a double), and one
// HTTP POST that resolves with the answer or the failure (never rejects).
// Plain node:http; no dependencies.

const http = require('node:http');

const BODY_MAX = 64 << 20; // a fake reads at most this much of one request

// The whole body as a Buffer; null when it exceeds max (the rest is drained).
function readBody(req, max = BODY_MAX) {
  return new Promise((resolve) => {
    const chunks = [];
    let n = 0;
    let over = false;
    req.on('data', (d) => {
      n += d.length;
      if (n > max) over = true;
      else chunks.push(d);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
  });
}

// multipart/form-data → {fields: {name: string}, files: {name: {filename, contentType, bytes}}};
// null when the body is not well formed.
function parseMultipart(body, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType || '');
  if (!m) return null;
  const delim = Buffer.from(`--${m[1] || m[2]}`);
  const fields = {};
  const files = {};
  let pos = body.indexOf(delim);
  if (pos < 0) return null;
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === '--') return { fields, files };
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') return null;
    pos += 2;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) return null;
    const head = body.subarray(pos, headEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headEnd + 4);
    if (next < 0) return null;
    const data = body.subarray(headEnd + 4, next);
    const headers = {};
    for (const line of head.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const cd = headers['content-disposition'] || '';
    const name = (/\bname="([^"]*)"/i.exec(cd) || [])[1];
    const filename = (/\bfilename="([^"]*)"/i.exec(cd) || [])[1];
    if (name === undefined) return null;
    if (filename !== undefined) {
      files[name] = { filename, contentType: headers['content-type'] || '', bytes: Buffer.from(data) };
    } else {
      fields[name] = data.toString('utf8');
    }
    pos = next + 2;
  }
}

function parseUrlencoded(text) {
  const out = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

// JSON text of a value in which BigInt values are written as bare integers
// (the way the platforms write 64-bit ids).
function stringify(value) {
  const marks = [];
  const text = JSON.stringify(value, (k, v) => {
    if (typeof v !== 'bigint') return v;
    marks.push(v.toString());
    return `\u0000big${marks.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_, i) => marks[Number(i)]);
}

const BIG_MARK = '__fake_bigint__';

// JSON.parse that keeps integers beyond 2^53 exact, as BigInt (any other
// number stays a Number). Throws like JSON.parse on malformed text.
function parseBig(text) {
  // quote big integers outside strings, then revive them
  let out = '';
  let i = 0;
  const s = String(text);
  while (i < s.length) {
    const c = s[i];
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      out += s.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i, i + 400));
      const lit = m ? m[0] : c;
      if (m && !m[1] && !m[2] && !Number.isSafeInteger(Number(lit))) out += `"${BIG_MARK}${lit}"`;
      else out += lit;
      i += lit.length;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out, (k, v) => (typeof v === 'string' && v.startsWith(BIG_MARK) ? BigInt(v.slice(BIG_MARK.length)) : v));
}

// One POST (or any method) to url; resolves {status (0: no answer), headers,
// text, json, error}. body: Buffer or string.
function request(url, { method = 'POST', headers = {}, body, timeoutMs = 30000 } = {}) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const payload = body === undefined ? null : (Buffer.isBuffer(body) ? body : Buffer.from(body));
    const hs = { ...headers };
    if (payload) hs['Content-Length'] = String(payload.length);
    let done = false;
    const finish = (r) => { if (!done) { done = true; resolve(r); } };
    const req = http.request({
      host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method, headers: hs, timeout: timeoutMs,
    }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = parseBig(text); } catch { json = undefined; }
        finish({ status: res.statusCode, headers: res.headers, text, json, error: null });
      });
      res.on('error', (e) => finish({ status: res.statusCode, headers: res.headers, text: '', json: undefined, error: e.code || e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => finish({ status: 0, headers: {}, text: '', json: undefined, error: e.code || e.message }));
    if (payload) req.end(payload);
    else req.end();
  });
}

// Starts server on 127.0.0.1 on a free port; resolves with its base URL.
function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function close(server) {
  return new Promise((resolve) => {
    if (server.closeAllConnections) server.closeAllConnections();
    server.close(() => resolve());
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { BODY_MAX, readBody, parseMultipart, parseUrlencoded, stringify, parseBig, request, listen, close, sleep };
