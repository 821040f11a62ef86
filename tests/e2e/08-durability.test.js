'use strict';
// Durability: an acknowledged write survives kill -9; tokens survive restarts
// (the generated secret is kept in the data directory).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

describe('durability', () => {
  let srv;
  let co;

  before(async () => {
    srv = await h.startServer();
    co = await h.makeCompany(srv, 'durableco');
  });
  after(async () => { if (srv) await srv.stop(); });

  test('synchronize 50 operators, kill -9 the moment the 200 arrives, restart: all 50 listed', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ organizationId: co.orgId, name: `Durable ${i}`, externalId: `d-${i}` }));
    const res = await h.api(srv.base, 'POST', '/api/operator/synchronize', { token: co.token, body: rows });
    await srv.kill9();
    h.assertOk(res);
    assert.equal(res.json.length, 50);

    await srv.restart();
    const list = await h.listOperators(srv, co.token, co.orgId);
    assert.equal(list.length, 50);
    assert.deepEqual(list.map((o) => o.id).sort((a, b) => a - b), res.json.map((o) => o.id).sort((a, b) => a - b));
    assert.deepEqual(list.map((o) => o.name).sort(), rows.map((r) => r.name).sort());
  });

  test('concurrent synchronize requests, kill -9 after the last 200: every acknowledged row is there', async () => {
    const o = await h.createOrg(srv, co.token, 'Concurrent');
    const N = 30;
    const results = await Promise.all(Array.from({ length: N }, (_, i) => h.api(srv.base, 'POST', '/api/operator/synchronize',
      { token: co.token, body: [{ organizationId: o.id, name: `Parallel ${i}` }, { organizationId: o.id, name: `Parallel ${i}b` }] })));
    await srv.kill9();
    for (const r of results) h.assertOk(r);
    const ids = results.flatMap((r) => r.json.map((x) => x.id));
    assert.equal(new Set(ids).size, 2 * N, 'distinct ids');
    await srv.restart();
    const list = await h.listOperators(srv, co.token, o.id);
    assert.deepEqual(list.map((x) => x.id), [...ids].sort((a, b) => a - b));
  });

  test('status change and organization update survive kill -9', async () => {
    const ops = await h.listOperators(srv, co.token, co.orgId);
    await h.setStatus(srv, co.token, ops[0].id, 2);
    const put = await h.api(srv.base, 'PUT', `/api/company/organization/${co.orgId}`,
      { token: co.token, body: { name: 'Durable renamed', maxChatsPerOperator: 12 } });
    await srv.kill9();
    h.assertOk(put);

    await srv.restart();
    const list = await h.listOperators(srv, co.token, co.orgId);
    assert.equal(list.length, 49);
    assert.ok(!list.some((o) => o.id === ops[0].id));
    const org = await h.api(srv.base, 'GET', `/api/company/organization/${co.orgId}`, { token: co.token });
    h.assertOk(org);
    assert.equal(org.json.name, 'Durable renamed');
    assert.equal(org.json.maxChatsPerOperator, 12);
  });

  test('tokens issued before a restart stay valid; revocations stay revoked', async () => {
    const ops = await h.listOperators(srv, co.token, co.orgId);
    const live = await h.operatorToken(srv, co.token, ops[0].id);
    const dead = await h.operatorToken(srv, co.token, ops[1].id);
    await h.setStatus(srv, co.token, ops[1].id, 1);
    await h.setStatus(srv, co.token, ops[1].id, 0);
    await srv.restart(); // SIGTERM, exit 0, start again

    h.assertOk(await h.api(srv.base, 'GET', '/api/company/organization', { token: co.token }));
    const v1 = await h.validate(srv, co.token, live);
    assert.equal(v1.isValid, true, JSON.stringify(v1));
    assert.equal(v1.operatorId, ops[0].id);
    const v2 = await h.validate(srv, co.token, dead);
    assert.equal(v2.error, 'Token revoked', JSON.stringify(v2));
  });

  test('the idempotent re-sync after a crash creates no duplicates', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ organizationId: co.orgId, name: `Durable ${i}`, externalId: `d-${i}` }));
    const again = await h.syncOperators(srv, co.token, rows);
    assert.equal(again.length, 50);
    const list = await h.listOperators(srv, co.token, co.orgId, true);
    assert.equal(list.length, 50, 'same 50 operators (the deleted one is Active again)');
    assert.ok(list.every((o) => o.status === 0));
  });
});
