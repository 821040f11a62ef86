'use strict';
// listen_reuse_port: several processes listen on one address (SO_REUSEPORT)
// and the kernel spreads new connections over them; a process that stops
// leaves the port to the others (docs/configuration.md, docs/deploy.md).
// Each process here has its own SQLite data directory and its own company,
// so a login tells which process answered.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const h = require('./lib/harness');

const REUSE = ['--listen-reuse-port', 'true'];

async function whoAnswers(port, n) {
  const seen = { a: 0, b: 0, other: 0 };
  for (let i = 0; i < n; i++) {
    const res = await h.rawHttp(port, h.requestText('POST', '/api/company/get-token',
      { body: { login: 'reuse-a', password: 'pw-reuse-a' } }));
    if (res.status === 200) seen.a++;
    else if (res.status === 401) seen.b++;
    else seen.other++;
  }
  return seen;
}

describe('listen_reuse_port', () => {
  let a;
  let b;

  before(async () => {
    a = await h.startServer({ args: REUSE, sqlite: true });
    await h.createCompany(a, 'reuse-a');
    // /healthz on the shared port may be answered by a: wait for b's own banner
    b = await h.startServer({ args: REUSE, sqlite: true, port: a.port });
    await b.waitStdout('is running on');
  });
  after(async () => {
    if (a && a.running()) await a.stop();
    if (b && b.running()) await b.stop();
  });

  test('a process without the option cannot take the shared port', async () => {
    let c;
    try {
      c = await h.startServer({ sqlite: true, port: a.port }); // the others may answer its /healthz
    } catch (e) {
      assert.match(e.message, /exited early[\s\S]*cannot listen on/);
      return;
    }
    const r = await h.waitExit(c.child, 10000);
    assert.equal(r.code, 1, c.stderr());
    assert.match(c.stderr(), /cannot listen on/);
  });

  test('new connections reach both processes', async () => {
    const seen = await whoAnswers(a.port, 60);
    assert.equal(seen.other, 0, JSON.stringify(seen));
    assert.ok(seen.a > 0 && seen.b > 0, `both processes answer: ${JSON.stringify(seen)}`);
  });

  test('the per-address connection cap applies to what the shared socket accepts', async () => {
    const srv = await h.startServer({ args: REUSE, sqlite: true, env: { CHATHUB_MAX_CONNECTIONS_PER_IP: '3' } });
    const socks = [];
    try {
      const closed = [];
      for (let i = 0; i < 6; i++) {
        const s = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: '127.0.0.9' });
        s.on('error', () => {});
        s.on('close', () => closed.push(i));
        socks.push(s);
        await new Promise((r) => { s.once('connect', r); s.once('close', r); });
      }
      await h.sleep(500);
      assert.equal(socks.length - closed.length, 3, `open of 6 with a cap of 3 (closed: ${closed})`);
      const ok = await h.rawHttp(srv.port, h.requestText('GET', '/healthz')); // another address still gets in
      assert.equal(ok.status, 200);
    } finally {
      for (const s of socks) s.destroy();
      await srv.stop();
    }
  });

  test('a stopping process closes its listener: the other takes every new connection', async () => {
    await a.stop();
    const seen = await whoAnswers(b.port, 10);
    assert.deepEqual(seen, { a: 0, b: 10, other: 0 });
  });
});
