'use strict';
// proxy_protocol_from: a connection from a trusted balancer starts with a
// PROXY header (v1 text or v2 binary) and is limited under the client address
// it names; one without a valid header is closed; anyone else's PROXY header
// changes nothing (docs/configuration.md, docs/deploy.md, docs/security.md).
// The balancer here is 127.0.0.2; the harness itself talks from 127.0.0.1.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const h = require('./lib/harness');

const BALANCER = '127.0.0.2';
const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

const v1 = (client) => Buffer.from(`PROXY TCP4 ${client} 10.0.0.1 40000 443\r\n`);
function v2(client) {
  const b = Buffer.alloc(28);
  SIG.copy(b);
  b[12] = 0x21; b[13] = 0x11; b.writeUInt16BE(12, 14);
  client.split('.').forEach((x, i) => { b[16 + i] = Number(x); });
  [10, 0, 0, 1].forEach((x, i) => { b[20 + i] = x; });
  b.writeUInt16BE(40000, 24); b.writeUInt16BE(443, 26);
  return b;
}
const v2local = () => { const b = Buffer.alloc(16); SIG.copy(b); b[12] = 0x20; return b; };
const HEALTHZ = Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');

// A connection from `from` that first writes `first` (a header, or nothing).
// Resolves {sock, closed(), data()} once connected.
function open(port, from, first) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: from });
    const st = { sock, isClosed: false, got: '', closedAt: 0 };
    sock.on('data', (d) => { st.got += d.toString('latin1'); });
    sock.on('error', () => {});
    sock.on('close', () => { st.isClosed = true; st.closedAt = Date.now(); resolve(st); });
    sock.on('connect', () => { if (first && first.length) sock.write(first); resolve(st); });
  });
}

// Sends GET /healthz on an open connection: the status, or 0 when closed first.
function healthz(st, timeoutMs = 5000) {
  return new Promise((resolve) => {
    if (st.isClosed) return resolve(0);
    const done = () => { clearInterval(iv); clearTimeout(to); resolve(/^HTTP\/1\.1 (\d+)/.test(st.got) ? Number(RegExp.$1) : 0); };
    const iv = setInterval(() => { if (st.isClosed || /\r\n\r\n/.test(st.got)) done(); }, 10);
    const to = setTimeout(done, timeoutMs);
    st.sock.write(HEALTHZ);
  });
}

const closedWithin = async (st, ms) => {
  const t0 = Date.now();
  while (!st.isClosed && Date.now() - t0 < ms) await h.sleep(20);
  return st.isClosed;
};

describe('proxy_protocol_from', () => {
  let srv;
  const socks = [];
  before(async () => {
    srv = await h.startServer({ sqlite: true, args: ['--proxy-protocol-from', `${BALANCER}/32`],
      env: { CHATHUB_MAX_CONNECTIONS_PER_IP: '3' } });
  });
  after(async () => {
    for (const s of socks) s.sock.destroy();
    if (srv && srv.running()) await srv.stop();
  });
  const track = async (p) => { const s = await p; socks.push(s); return s; };

  test('v1 and v2 headers: the per-address connection cap counts the named client, not the balancer', async () => {
    const a = [];
    a.push(await track(open(srv.port, BALANCER, v1('203.0.113.5'))));
    a.push(await track(open(srv.port, BALANCER, v2('203.0.113.5'))));
    a.push(await track(open(srv.port, BALANCER, v1('203.0.113.5'))));
    for (const s of a) assert.equal(await healthz(s), 200, s.got);
    const fourth = await track(open(srv.port, BALANCER, v2('203.0.113.5')));
    assert.equal(await healthz(fourth), 0, `a 4th connection of 203.0.113.5 (cap 3): ${fourth.got}`);
    assert.ok(await closedWithin(fourth, 2000), 'the 4th is closed');
    // other clients through the same balancer are not affected
    for (const c of ['203.0.113.6', '203.0.113.7', '203.0.113.8', '203.0.113.9']) {
      const s = await track(open(srv.port, BALANCER, v2(c)));
      assert.equal(await healthz(s), 200, `${c}: ${s.got}`);
    }
    const local = await track(open(srv.port, BALANCER, v2local())); // a health check: the balancer's own address
    assert.equal(await healthz(local), 200, local.got);
    for (const s of socks) s.sock.destroy();
    socks.length = 0;
  });

  test('a request after the header on the same segment, keep-alive: both answered', async () => {
    const s = await track(open(srv.port, BALANCER, Buffer.concat([v1('198.51.100.4'), HEALTHZ])));
    const t0 = Date.now();
    while (!/\r\n\r\n/.test(s.got) && Date.now() - t0 < 5000) await h.sleep(10);
    assert.match(s.got, /^HTTP\/1\.1 200/);
    s.got = '';
    assert.equal(await healthz(s), 200);
    s.sock.destroy();
  });

  test('from the balancer, no header or a malformed one: closed without an answer', async () => {
    const plain = await track(open(srv.port, BALANCER, null));
    assert.equal(await healthz(plain), 0, `HTTP without a header: ${plain.got}`);
    const bad = await track(open(srv.port, BALANCER, Buffer.from('PROXY TCP4 203.0.113.5 10.0.0.1 1\r\n')));
    assert.ok(await closedWithin(bad, 2000), 'a malformed v1 line');
    assert.equal(bad.got, '');
    const long = await track(open(srv.port, BALANCER, Buffer.from(`PROXY TCP4 ${'1'.repeat(200)}`)));
    assert.ok(await closedWithin(long, 2000), 'an oversized v1 line');
    const silent = await track(open(srv.port, BALANCER, null));
    const t0 = Date.now();
    assert.ok(await closedWithin(silent, 5000), 'a silent connection is closed');
    const waited = Date.now() - t0;
    assert.ok(waited >= 1500 && waited < 4000, `closed after ${waited} ms (deadline 2 s)`);
    const half = await track(open(srv.port, BALANCER, Buffer.from('PROXY TCP4 203.0.')));
    assert.ok(await closedWithin(half, 5000), 'half a header is closed at the deadline');
  });

  test('from anyone else a PROXY header changes nothing: the connection counts under its own address', async () => {
    const from = '127.0.0.3';
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await track(open(srv.port, from, null)));
    await h.sleep(200);
    for (const s of held) assert.equal(s.isClosed, false);
    const claim = await track(open(srv.port, from, v1('203.0.113.50')));
    assert.ok(await closedWithin(claim, 2000), `a 4th connection from ${from} claiming another address is refused`);
    for (const s of held) s.sock.destroy();
    await h.sleep(200);
    // the header is not read as one (lws sees a line it does not know); nothing breaks
    const lone = await track(open(srv.port, from, Buffer.concat([v1('203.0.113.50'), HEALTHZ])));
    await closedWithin(lone, 2000);
    assert.doesNotMatch(lone.got, /^HTTP\/1\.1 5/);
    const ok = await h.rawHttp(srv.port, h.requestText('GET', '/healthz'));
    assert.equal(ok.status, 200);
  });

  test('a bad list is refused at start', async () => {
    const bad = await h.startServer({ sqlite: true, args: ['--proxy-protocol-from', '10.0.0.0/99'] }).catch((e) => e);
    if (bad instanceof Error) assert.match(bad.message, /proxy_protocol_from: "10\.0\.0\.0\/99"/);
    else { const r = await h.waitExit(bad.child, 10000); assert.equal(r.code, 2); await bad.stop(); }
  });
});
