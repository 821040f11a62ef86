'use strict';
// M10: half-sent PROXY headers cannot hold a server behind a balancer. With
// proxy_protocol_from 127.0.0.2, 600 connections from that address send half
// a header and then one byte every 300 ms (slowloris on the header): each is
// closed at the 2 s deadline whatever it dribbles, at most 256 wait at once
// (the oldest goes first), and the balancer's real clients (full header then
// a request, from the same address) and the usual bystanders keep being
// served. Nothing of it reaches lws or the per-address accounting.

const { describe, test } = require('node:test');
const net = require('node:net');
const h = require('../e2e/lib/harness');
const atk = require('./lib/attack');
const { stage, pct } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const BALANCER = atk.ip(2);
const ATTACKERS = 600;

function v1(client) { return `PROXY TCP4 ${client} 10.0.0.1 40000 443\r\n`; }

// A balancer client: a full header and GET /healthz on one connection; the status (0: none) and the time.
function proxied(port, client) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let got = '';
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: BALANCER });
    const done = (status) => { clearTimeout(to); sock.destroy(); resolve({ status, ms: Date.now() - t0 }); };
    const to = setTimeout(() => done(0), 5000);
    sock.on('connect', () => sock.write(`${v1(client)}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`));
    sock.on('data', (d) => { got += d; if (/\r\n\r\n/.test(got)) done(/^HTTP\/1\.1 (\d+)/.test(got) ? Number(RegExp.$1) : 0); });
    sock.on('error', () => done(0));
    sock.on('close', () => done(/^HTTP\/1\.1 (\d+)/.test(got) ? Number(RegExp.$1) : 0));
  });
}

describe('M10 PROXY header stall', () => {
  // about one process's own accept loop (on a cluster the balancer writes every header itself)
  test('600 dribbled half headers from the trusted balancer: all closed by the deadline; its real clients and the bystanders are served', { skip: h.SINGLE_ONLY }, async (t) => {
    const { srv, by } = await stage(t, { env: { CHATHUB_PROXY_PROTOCOL_FROM: BALANCER } });
    const p = new Problems();
    by.start();
    const attackers = [];
    const dribble = setInterval(() => { for (const a of attackers) if (!a.closedAt) a.sock.write('1'); }, 300);
    t.after(() => { clearInterval(dribble); for (const a of attackers) a.sock.destroy(); });
    for (let i = 0; i < ATTACKERS; i++) {
      const a = { sock: net.connect({ port: srv.port, host: '127.0.0.1', localAddress: BALANCER }), openedAt: Date.now(), closedAt: 0 };
      a.sock.on('connect', () => a.sock.write('PROXY TCP4 203.0.'));
      a.sock.on('error', () => {});
      a.sock.on('close', () => { a.closedAt = Date.now(); });
      attackers.push(a);
      if (i % 50 === 49) await h.sleep(20);
    }
    // the balancer's real clients meanwhile, each under its own address
    const real = [];
    for (let i = 0; i < 30; i++) {
      real.push(await proxied(srv.port, `198.51.100.${i + 1}`));
      await h.sleep(50);
    }
    await h.sleep(3000);
    clearInterval(dribble);
    const open = attackers.filter((a) => !a.closedAt).length;
    const held = attackers.filter((a) => a.closedAt).map((a) => a.closedAt - a.openedAt);
    p.check(open === 0, `${open} of ${ATTACKERS} half-header connections still open 3 s after the last`);
    p.check(held.every((ms) => ms < 4000), `a half header was held ${Math.max(...held)} ms (deadline 2 s)`);
    const failed = real.filter((r) => r.status !== 200);
    p.check(failed.length === 0, `balancer clients not served: ${failed.map((r) => r.status).join(',')}`);
    const ms = real.map((r) => r.ms).sort((a, b) => a - b);
    p.check(pct(ms, 95) < 1000, `balancer clients p95 ${pct(ms, 95)} ms`);
    await by.stop();
    t.diagnostic(`half headers closed after ${pct(held, 50)} ms (median), max ${Math.max(...held)} ms; balancer clients p50 ${pct(ms, 50)} ms, p95 ${pct(ms, 95)} ms`);
    await by.verify(t, p);
    p.assertNone('M10 expectations');
  });
});
