'use strict';
// The attacker's tools. Every attacker speaks from another loopback address
// (127.0.0.2 and up; the bystanders stay on 127.0.0.1) so that per-IP limits
// tell them apart. Bodies are built once as Buffers; sockets that the server
// resets or closes early are results, not errors.

const crypto = require('node:crypto');
const net = require('node:net');
const h = require('../../e2e/lib/harness');
const hub = require('../../e2e/lib/hub');

// The loopback address of attacker n (n ≥ 2).
const ip = (n) => `127.0.0.${n}`;

// `[{},{},…,{}]` of exactly `bytes` bytes (± 2): ~70 bytes of parser heap per
// byte on a server that parses it.
function arrayBomb(bytes) {
  const k = Math.max(0, Math.floor((bytes - 4) / 3));
  return Buffer.concat([Buffer.from('['), Buffer.alloc(k * 3, '{},'), Buffer.from('{}]')]);
}

// A JSON object with `fields` and a `pad` of `[{},…]`, `bytes` long in all.
function paddedObject(fields, bytes) {
  const head = JSON.stringify(fields).slice(0, -1) + (Object.keys(fields).length ? ',' : '') + '"pad":';
  const pad = arrayBomb(bytes - Buffer.byteLength(head) - 1);
  return Buffer.concat([Buffer.from(head), pad, Buffer.from('}')]);
}

function parseHead(raw) {
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep >= 0 ? raw.slice(0, sep) : raw;
  const status = Number((/^HTTP\/1\.[01] (\d{3})/.exec(head) || [])[1] || 0);
  const headers = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status, headers, body: sep >= 0 ? raw.slice(sep + 4) : '' };
}

// One HTTP/1.1 request over a fresh connection from `localAddress`. Resolves
// (never rejects) with {status (0: no answer), headers, body, json,
// sentAll (the whole body was written), error (socket error code), ms}.
function request(port, { method = 'POST', path, headers = {}, body, localAddress, timeoutMs = 60000 }) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const payload = body === undefined ? null : (Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    if (payload) {
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) lines.push('Content-Type: application/json');
      lines.push(`Content-Length: ${payload.length}`);
    }
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    const chunks = [];
    let sentAll = !payload;
    let error = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const r = parseHead(Buffer.concat(chunks).toString('latin1'));
      let json;
      try { json = JSON.parse(Buffer.from(r.body, 'latin1').toString('utf8')); } catch { json = undefined; }
      resolve({ ...r, json, sentAll, error, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => { error = error || 'timeout'; sock.destroy(); finish(); }, timeoutMs);
    sock.on('connect', () => {
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (payload) sock.write(payload, (err) => { if (!err) sentAll = true; });
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { error = e.code || e.message; });
    sock.on('close', finish);
  });
}

// A JSON API call from `localAddress`: request() plus a token.
function api(srv, method, path, { token, body, headers = {}, localAddress = ip(2), timeoutMs = 15000 } = {}) {
  const hs = { ...headers };
  if (token) hs.Authorization = `Bearer ${token}`;
  return request(srv.port, { method, path, body, headers: hs, localAddress, timeoutMs });
}

const describe = (r) => `HTTP ${r.status || '(none)'}${r.error ? ` [${r.error}]` : ''} ${String(r.body || '').slice(0, 160)}`;

// POST /api/widget/{guid}/session from `localAddress`: {visitorToken, clientId}.
async function widgetSession(srv, guid, localAddress, body = {}) {
  const r = await request(srv.port, { path: `/api/widget/${guid}/session`, body, localAddress, timeoutMs: 15000 });
  if (r.status !== 200 || !r.json || !r.json.visitorToken) throw new Error(`widget session from ${localAddress}: ${describe(r)}`);
  return r.json;
}

// A raw hub connection (handshake done) from `localAddress`.
function rawHubFrom(srv, token, localAddress, opts = {}) {
  return hub.rawHub(srv.port, token, { ...opts, localAddress });
}

// Invocation records, `count` of them, concatenated (one frame's payload).
function invocations(target, argsOf, count, firstId = 1) {
  let s = '';
  for (let i = 0; i < count; i++) {
    s += JSON.stringify({ type: 1, invocationId: String(firstId + i), target, arguments: argsOf(firstId + i) }) + hub.RS;
  }
  return s;
}

// n plain TCP connections from localAddress that send nothing. Each entry
// records when the server closed it. Resolves once every connect settled.
async function idleConnections(port, n, localAddress, { spacingMs = 0 } = {}) {
  const conns = [];
  const pending = [];
  for (let i = 0; i < n; i++) {
    const c = { sock: null, openedAt: 0, closedAt: 0, error: null, connected: false };
    pending.push(new Promise((resolve) => {
      const sock = net.connect({ port, host: '127.0.0.1', localAddress });
      c.sock = sock;
      sock.on('connect', () => { c.connected = true; c.openedAt = Date.now(); resolve(); });
      sock.on('data', () => {});
      sock.on('error', (e) => { c.error = e.code || e.message; resolve(); });
      sock.on('close', () => { c.closedAt = Date.now(); resolve(); });
    }));
    conns.push(c);
    if (spacingMs) await h.sleep(spacingMs);
  }
  await Promise.all(pending);
  conns.open = () => conns.filter((c) => c.connected && !c.closedAt).length;
  conns.closeAll = async () => {
    for (const c of conns) c.sock.destroy();
    await h.sleep(50);
  };
  return conns;
}

const uuid = () => crypto.randomUUID();

module.exports = { ip, arrayBomb, paddedObject, request, api, describe, widgetSession, rawHubFrom, invocations, idleConnections, uuid };
