'use strict';
// Organizations: list, create (ext), get one (ext), update (ext), CLI `org create`.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

describe('organizations', () => {
  let srv;
  let co;

  before(async () => {
    srv = await h.startServer();
    const c = await h.createCompany(srv, 'orgco', 'pw');
    co = { ...c, token: await h.companyToken(srv.base, 'orgco', 'pw') };
  });
  after(async () => { if (srv) await srv.stop(); });

  const get = (p) => h.api(srv.base, 'GET', p, { token: co.token });
  const post = (p, body) => h.api(srv.base, 'POST', p, { token: co.token, body });
  const put = (p, body) => h.api(srv.base, 'PUT', p, { token: co.token, body });

  test('a new company has no organizations', async () => {
    const res = await get('/api/company/organization');
    h.assertOk(res);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
    assert.deepEqual(res.json, []);
  });

  test('create returns 201 {id, name}; the list is ascending by id', async () => {
    const a = await post('/api/company/organization', { name: 'Support' });
    h.assertOk(a, 201);
    assert.match(a.headers.get('content-type') || '', /^application\/json\b/i);
    assert.deepEqual(Object.keys(a.json).sort(), ['id', 'name']);
    assert.ok(Number.isInteger(a.json.id) && a.json.id > 0);
    assert.equal(a.json.name, 'Support');
    const b = await post('/api/company/organization', { name: 'Sales' });
    h.assertOk(b, 201);
    const c = await post('/api/company/organization', { name: 'Billing — Ünïcode ✓' });
    h.assertOk(c, 201);
    assert.equal(c.json.name, 'Billing — Ünïcode ✓');
    assert.ok(a.json.id < b.json.id && b.json.id < c.json.id);

    const list = await get('/api/company/organization');
    h.assertOk(list);
    assert.deepEqual(list.json, [a.json, b.json, c.json]);
    for (const o of list.json) assert.deepEqual(Object.keys(o).sort(), ['id', 'name']);
  });

  test('GET one: id, name, guid, allowedOrigins [], maxChatsPerOperator 5', async () => {
    const created = await post('/api/company/organization', { name: 'Details' });
    h.assertOk(created, 201);
    const res = await get(`/api/company/organization/${created.json.id}`);
    h.assertOk(res);
    assert.equal(res.json.id, created.json.id);
    assert.equal(res.json.name, 'Details');
    assert.equal(typeof res.json.guid, 'string');
    assert.ok(res.json.guid.length >= 16, `guid: ${res.json.guid}`);
    assert.deepEqual(res.json.allowedOrigins, []);
    assert.equal(res.json.maxChatsPerOperator, 5);
    // guid is stable and unique per organization
    const again = await get(`/api/company/organization/${created.json.id}`);
    assert.equal(again.json.guid, res.json.guid);
    const other = await post('/api/company/organization', { name: 'Other' });
    const otherRes = await get(`/api/company/organization/${other.json.id}`);
    assert.notEqual(otherRes.json.guid, res.json.guid);
  });

  test('PUT updates name, allowedOrigins, maxChatsPerOperator and answers like GET', async () => {
    const created = await post('/api/company/organization', { name: 'To update' });
    const id = created.json.id;
    const before = await get(`/api/company/organization/${id}`);

    const r1 = await put(`/api/company/organization/${id}`, { name: 'Renamed' });
    h.assertOk(r1);
    assert.deepEqual(r1.json, { ...before.json, name: 'Renamed' });

    const r2 = await put(`/api/company/organization/${id}`,
      { allowedOrigins: ['https://shop.example', 'http://localhost:3000'] });
    h.assertOk(r2);
    assert.deepEqual(r2.json.allowedOrigins, ['https://shop.example', 'http://localhost:3000']);
    assert.equal(r2.json.name, 'Renamed');

    const r3 = await put(`/api/company/organization/${id}`, { maxChatsPerOperator: 1000 });
    h.assertOk(r3);
    assert.equal(r3.json.maxChatsPerOperator, 1000);
    const r4 = await put(`/api/company/organization/${id}`, { maxChatsPerOperator: 1 });
    h.assertOk(r4);
    assert.equal(r4.json.maxChatsPerOperator, 1);

    const r5 = await put(`/api/company/organization/${id}`,
      { name: 'All three', allowedOrigins: [], maxChatsPerOperator: 7 });
    h.assertOk(r5);
    // (fields beyond the documented ones, e.g. createdAt, are tolerated)
    assert.deepEqual(r5.json, { ...before.json, id, name: 'All three', guid: before.json.guid, allowedOrigins: [], maxChatsPerOperator: 7 });

    const after = await get(`/api/company/organization/${id}`);
    assert.deepEqual(after.json, r5.json);
    const list = await get('/api/company/organization');
    assert.deepEqual(list.json.find((o) => o.id === id), { id, name: 'All three' });
  });

  test('PUT validation: 400 with the right code and nothing changed', async () => {
    const created = await post('/api/company/organization', { name: 'Strict' });
    const id = created.json.id;
    const before = await get(`/api/company/organization/${id}`);
    const p = `/api/company/organization/${id}`;
    h.assertError(await put(p, { maxChatsPerOperator: 0 }), 400, 1003, 'maxChatsPerOperator');
    h.assertError(await put(p, { maxChatsPerOperator: 1001 }), 400, 1003, 'maxChatsPerOperator');
    h.assertError(await put(p, { maxChatsPerOperator: -5 }), 400, 1003, 'maxChatsPerOperator');
    h.assertError(await put(p, { maxChatsPerOperator: '5' }), 400, 1001, 'maxChatsPerOperator');
    h.assertError(await put(p, { maxChatsPerOperator: 2.5 }), 400, 1001, 'maxChatsPerOperator');
    h.assertError(await put(p, { name: '' }), 400, 1003, 'name');
    h.assertError(await put(p, { name: 'x'.repeat(257) }), 400, 1003, 'name');
    h.assertError(await put(p, { name: 42 }), 400, 1001, 'name');
    h.assertError(await put(p, { allowedOrigins: 'https://shop.example' }), 400, 1001, 'allowedOrigins');
    h.assertError(await put(p, { allowedOrigins: [42] }), 400, 1001, 'allowedOrigins');
    const bad = await put(p, { allowedOrigins: ['not an origin'] });
    h.assertError(bad, 400, [1001, 1003], 'allowedOrigins');
    // a bad field in the same request as a good one: nothing is applied
    h.assertError(await put(p, { name: 'Should not stick', maxChatsPerOperator: 0 }), 400, 1003);
    h.assertError(await put(p, [1, 2]), 400, 1001);
    const after = await get(p);
    assert.deepEqual(after.json, before.json);
  });

  test('names: up to 256 bytes accepted, 257 bytes rejected (bytes, not characters)', async () => {
    const ok = await post('/api/company/organization', { name: 'n'.repeat(256) });
    h.assertOk(ok, 201);
    assert.equal(ok.json.name, 'n'.repeat(256));
    const okMb = await post('/api/company/organization', { name: 'é'.repeat(128) }); // 256 bytes
    h.assertOk(okMb, 201);
    h.assertError(await post('/api/company/organization', { name: 'n'.repeat(257) }), 400, 1003, 'name');
    h.assertError(await post('/api/company/organization', { name: 'é'.repeat(129) }), 400, 1003, 'name'); // 258 bytes
    h.assertError(await post('/api/company/organization', { name: '' }), 400, 1003, 'name');
    h.assertError(await post('/api/company/organization', {}), 400, 1002, 'name');
    h.assertError(await post('/api/company/organization', { name: null }), 400, [1001, 1002], 'name');
    h.assertError(await post('/api/company/organization', { name: ['a'] }), 400, 1001, 'name');
    h.assertError(await post('/api/company/organization', 'Support'), 400, 1001);
  });

  test('unknown organization id: 404 3001 for GET and PUT', async () => {
    h.assertError(await get('/api/company/organization/999999'), 404, 3001);
    h.assertError(await put('/api/company/organization/999999', { name: 'x' }), 404, 3001);
  });

  test('CLI org create: visible to the running server at once', async () => {
    const r = await h.cli(['org', 'create', '--company', 'orgco', '--name', 'From CLI'], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    const id = h.parseId(r.stdout);
    const list = await get('/api/company/organization');
    assert.ok(list.json.some((o) => o.id === id && o.name === 'From CLI'), JSON.stringify(list.json));
    const one = await get(`/api/company/organization/${id}`);
    h.assertOk(one);
    assert.equal(one.json.name, 'From CLI');
  });

  test('CLI org create: unknown company exits 1, missing --name exits 2', async () => {
    const r = await h.cli(['org', 'create', '--company', 'nosuchco', '--name', 'X'], { dataDir: srv.dataDir });
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    const u = await h.cli(['org', 'create', '--company', 'orgco'], { dataDir: srv.dataDir });
    assert.equal(u.code, 2, `${u.stdout}${u.stderr}`);
    assert.ok(u.stderr.trim().length > 0);
  });
});
