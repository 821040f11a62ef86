'use strict';
// M7: connections are capped per client IP (max_connections_per_ip) and hub
// connections per principal (hub_connections_per_principal; over → 429
// 4001 before the upgrade); at the process's fd limit the server refuses
// the excess cleanly (closes it) instead of spinning and flooding its log,
// and it raises its soft open-files limit to the hard one at start.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const proc = require('./lib/proc');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

describe('M7 connection caps', () => {
  // the per-address cap is each process's: on a cluster (the balancer names the client in a PROXY header)
  // one address holds at most 50 on each of the 3 nodes; per-principal caps and file descriptors stay single-process
  test('200 idle connections from one IP with max_connections_per_ip 50: at most 50 stay open (per process)', async (t) => {
    const { srv, by } = await stage(t, { env: { CHATHUB_MAX_CONNECTIONS_PER_IP: '50' } });
    const p = new Problems();
    const addr = atk.ip(2);
    by.start();
    const conns = await atk.idleConnections(srv.port, 200, addr);
    t.after(() => conns.closeAll());
    await h.sleep(1000);
    const open = conns.open();
    const closedByServer = conns.filter((c) => c.closedAt || c.error).length;
    const cap = 50 * (h.TEST_CLUSTER ? 3 : 1);
    p.check(open <= cap, `${open} of 200 idle connections from ${addr} are still open after 1 s (cap ${cap})`);
    // bystanders on 127.0.0.1 can open new hub connections meanwhile
    try {
      const fresh = await hub.connectHub(srv.base, by.a.ops[1].token, { label: 'new operator connection' });
      await fresh.invoke('Sync', { chats: {} });
      await fresh.stop();
    } catch (e) { p.add(`a new hub connection from 127.0.0.1 during the attack failed: ${e.message}`); }
    await conns.closeAll();
    // the attacker's IP may connect again once it closed its connections
    let again = null;
    for (let i = 0; i < 30 && !(again && again.status === 200); i++) {
      again = await atk.request(srv.port, { method: 'GET', path: '/healthz', localAddress: addr, timeoutMs: 5000 });
      if (again.status !== 200) await h.sleep(100);
    }
    p.check(again.status === 200, `${addr} cannot connect again after closing its connections: ${atk.describe(again)}`);
    await by.stop();
    t.diagnostic(`open after 1 s: ${open}/200 (closed by the server: ${closedByServer}); reconnect: ${again.status}`);
    await by.verify(t, p);
    p.assertNone('M7 expectations');
  });

  test('hub_connections_per_principal 5: the 6th hub upgrade with one visitor token is refused 429 (4001)', { skip: h.SINGLE_ONLY }, async (t) => {
    const { srv, by } = await stage(t, { env: { CHATHUB_HUB_CONNECTIONS_PER_PRINCIPAL: '5' } });
    const p = new Problems();
    const addr = atk.ip(2);
    const s = await atk.widgetSession(srv, by.a.guid, addr);
    const path = `/chathub?access_token=${encodeURIComponent(s.visitorToken)}`;
    by.start();
    const held = [];
    t.after(() => { for (const ws of held) ws.destroy(); });
    for (let i = 0; i < 5; i++) held.push(await atk.rawHubFrom(srv, s.visitorToken, addr));
    const sixth = await hub.rawUpgrade(srv.port, path, { localAddress: addr });
    if (sixth.ws) held.push(sixth.ws);
    let code;
    try { code = JSON.parse(sixth.body).code; } catch { code = undefined; }
    p.check(sixth.status === 429 && code === 4001, `6th hub upgrade with one visitor token: expected 429 (4001), got HTTP ${sixth.status} ${sixth.body || ''}`);
    held[0].destroy();
    let seventh = null;
    for (let i = 0; i < 30; i++) {
      seventh = await hub.rawUpgrade(srv.port, path, { localAddress: addr });
      if (seventh.ws) held.push(seventh.ws);
      if (seventh.status === 101) break;
      await h.sleep(100);
    }
    p.check(seventh.status === 101, `after one connection closed, a new upgrade: HTTP ${seventh.status} ${seventh.body || ''}`);
    await by.stop();
    t.diagnostic(`6th upgrade: HTTP ${sixth.status}; after a close: HTTP ${seventh.status}`);
    await by.verify(t, p);
    p.assertNone('M7 expectations');
  });

  test('fd exhaustion (hard limit 256): 400 idle connections are refused cleanly, the log stays quiet, /healthz recovers', async (t) => {
    const { srv, by } = await stage(t, {
      // a soft limit below the hard one: the server is expected to raise it
      serverOpts: { shell: 'ulimit -Sn 128 && ulimit -Hn 256 || exit 99', maxStderr: 256 * 1024 },
    });
    const p = new Problems();
    const addr = atk.ip(3);
    const limits = proc.fileLimits(srv.pid);
    p.check(limits && limits.soft === limits.hard, `open-files limit of the server: soft ${limits && limits.soft}, hard ${limits && limits.hard} (the soft limit should be raised to the hard one)`);
    by.start({ tolerateHealthz: true });
    const lines0 = srv.stderrLines;
    const conns = await atk.idleConnections(srv.port, 400, addr);
    t.after(() => conns.closeAll());
    await h.sleep(4000);
    const open = conns.open();
    const closed = conns.filter((c) => c.closedAt || c.error).length;
    const lines = srv.stderrLines - lines0;
    const fds = proc.openFds(srv.pid);
    p.check(open <= 256, `${open} of 400 connections still open (neither served nor refused) with a hard limit of 256 fds`);
    p.check(lines < 100, `the server wrote ${lines} lines to stderr during the attack`);
    await conns.closeAll();
    let hz = null;
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      try { hz = await h.api(srv.base, 'GET', '/healthz', { timeoutMs: 1000 }); if (hz.status === 200) break; } catch (e) { hz = { status: 0, error: e.message }; }
      await h.sleep(100);
    }
    const recovered = Date.now() - t0;
    p.check(hz && hz.status === 200, `GET /healthz right after the attacker closed: ${hz ? hz.status || hz.error : 'no answer'}`);
    await by.stop();
    t.diagnostic(`limits soft ${limits && limits.soft} / hard ${limits && limits.hard}; after 4 s: ${open} open, ${closed} closed by the server; server fds ${fds}; `
      + `stderr +${lines} lines; /healthz after ${recovered} ms: ${hz && hz.status}`);
    await by.verify(t, p);
    p.assertNone('M7 expectations');
  });
});
