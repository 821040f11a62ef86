'use strict';
// Two clusters (two databases) sharing one Redis server never hear each
// other: a cluster's Redis names carry the cluster id kept in its database.
// Both databases number their first company, organization and chat 1, so a
// leak would reach the other cluster's company as if it were its own.

const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');

describe('two clusters on one Redis', { skip: !(h.TEST_PG && h.TEST_REDIS) && 'needs CHATHUB_TEST_PG and CHATHUB_TEST_REDIS' }, () => {
  const srv = [];
  after(async () => {
    await hub.closeAllClients();
    for (const s of srv) await s.stop().catch(() => {});
  });

  test('events, and failed-login counts, stay inside their own cluster', async () => {
    const env = { ...hub.HUB_ENV, CHATHUB_LOGIN_RATE_PER_MINUTE: '10' };
    srv.push(await h.startServer({ env }), await h.startServer({ env }));
    const [a, b] = srv;
    assert.notEqual(a.storeUrl, b.storeUrl);
    const fa = await hub.makeOrgFixture(a, 'apart', { operators: 1 });
    const fb = await hub.makeOrgFixture(b, 'apart', { operators: 1 });
    assert.equal(fa.orgId, fb.orgId, 'the same ids in both databases');
    const ca = await hub.connectHub(a.base, fa.token, { label: 'company of cluster A' });
    const cb = await hub.connectHub(b.base, fb.token, { label: 'company of cluster B' });
    const v = await hub.visitor(b, fb.guid, { name: 'Only B' });
    const m = await v.invoke('SendMessage', null, 'for cluster B only', crypto.randomUUID());
    await cb.waitFor('ReceiveMessage', (x) => x.id === m.id);
    await h.sleep(1500); // well past a bus round trip and a heartbeat
    assert.equal(ca.all('ReceiveMessage').length + ca.all('ChatCreated').length, 0,
      `cluster A heard cluster B:\n${ca.describeEvents()}`);

    // failed logins: ten wrong passwords on B do not limit the same login on A
    for (let i = 0; i < 10; i++) {
      const r = await h.api(b.base, 'POST', '/api/company/get-token', { body: { login: fb.login, password: 'wrong' } });
      assert.equal(r.status, 401);
    }
    h.assertError(await h.api(b.base, 'POST', '/api/company/get-token', { body: { login: fb.login, password: 'wrong' } }),
      429, 4001);
    const ok = await h.api(a.base, 'POST', '/api/company/get-token', { body: { login: fa.login, password: fa.password } });
    assert.equal(ok.status, 200, h.describeRes ? h.describeRes(ok) : String(ok.status));
  });

  test('inside one cluster, failed logins count across its processes', async () => {
    const env = { ...hub.HUB_ENV, CHATHUB_LOGIN_RATE_PER_MINUTE: '10' };
    const a = await h.startServer({ env });
    const b = await h.startServer({ env, dataDir: a.dataDir }); // the same database: one cluster
    srv.push(a, b);
    const co = await h.makeCompany(a, 'guessed');
    for (let i = 0; i < 10; i++) { // five wrong passwords on each process
      const r = await h.api((i % 2 ? b : a).base, 'POST', '/api/company/get-token',
        { body: { login: co.login, password: 'wrong' } });
      assert.equal(r.status, 401);
    }
    for (const x of [a, b]) {
      h.assertError(await h.api(x.base, 'POST', '/api/company/get-token', { body: { login: co.login, password: 'wrong' } }),
        429, 4001);
    }
  });
});
