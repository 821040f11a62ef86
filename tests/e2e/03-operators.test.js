'use strict';
// Operators: list, synchronize (all-or-nothing, idempotent with externalId),
// status (and revocation), get-token, validate-token, CLI `operator create`.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function assertOperatorShape(o, org) {
  assert.deepEqual(Object.keys(o).sort(), ['externalId', 'id', 'name', 'organization', 'photo', 'status'],
    `operator keys: ${JSON.stringify(o)}`);
  assert.ok(Number.isInteger(o.id) && o.id > 0);
  assert.equal(typeof o.name, 'string');
  assert.ok([0, 1, 2].includes(o.status));
  assert.ok(o.externalId === null || typeof o.externalId === 'string');
  if (org) assert.deepEqual(o.organization, { id: org.id, name: org.name });
}

describe('operators', () => {
  let srv;
  let co;      // { token, orgId, orgName, companyId, ... }
  let org;     // { id, name }
  let other;   // a second company

  before(async () => {
    srv = await h.startServer();
    co = await h.makeCompany(srv, 'opsco', { orgName: 'Ops Support' });
    org = { id: co.orgId, name: co.orgName };
    other = await h.makeCompany(srv, 'otherco');
  });
  after(async () => { if (srv) await srv.stop(); });

  const call = (method, p, body, extra = {}) => h.api(srv.base, method, p, { token: co.token, body, ...extra });
  const sync = (rows) => call('POST', '/api/operator/synchronize', rows);
  const status = (body) => call('POST', '/api/operator/status', body);
  const getToken = (body, extra) => call('POST', '/api/operator/get-token', body, extra);

  async function freshOrg(name) {
    return h.createOrg(srv, co.token, name);
  }

  // ---- list + synchronize --------------------------------------------------

  test('a new organization has no operators', async () => {
    const o = await freshOrg('Empty');
    assert.deepEqual(await h.listOperators(srv, co.token, o.id), []);
  });

  test('synchronize creates operators in input order with the list shape', async () => {
    const res = await sync([
      { organizationId: org.id, name: 'Alice' },
      { organizationId: org.id, name: 'Bob' },
      { organizationId: org.id, name: 'Ćarol ✓' },
    ]);
    h.assertOk(res);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
    assert.equal(res.json.length, 3);
    assert.deepEqual(res.json.map((o) => o.name), ['Alice', 'Bob', 'Ćarol ✓']);
    for (const o of res.json) {
      assertOperatorShape(o, org);
      assert.equal(o.status, 0);
      assert.equal(o.externalId, null);
    }
    const list = await h.listOperators(srv, co.token, org.id);
    assert.deepEqual(list, res.json);
    for (const o of list) assertOperatorShape(o, org);
  });

  test('list is ascending by id; duplicate names are allowed', async () => {
    const o = await freshOrg('Dupes');
    const a = await h.syncOperators(srv, co.token, [
      { organizationId: o.id, name: 'Same' },
      { organizationId: o.id, name: 'Same' },
    ]);
    assert.equal(a.length, 2);
    assert.notEqual(a[0].id, a[1].id);
    const b = await h.syncOperators(srv, co.token, [{ organizationId: o.id, name: 'Same' }]);
    const list = await h.listOperators(srv, co.token, o.id);
    assert.equal(list.length, 3);
    const ids = list.map((x) => x.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
    assert.deepEqual(ids, [a[0].id, a[1].id, b[0].id].sort((x, y) => x - y));
  });

  test('synchronize with 0 rows answers 200 []', async () => {
    const res = await sync([]);
    h.assertOk(res);
    assert.deepEqual(res.json, []);
  });

  test('synchronize across two organizations keeps input order', async () => {
    const o2 = await freshOrg('Second');
    const res = await h.syncOperators(srv, co.token, [
      { organizationId: o2.id, name: 'In second' },
      { organizationId: org.id, name: 'In first' },
      { organizationId: o2.id, name: 'In second again' },
    ]);
    assert.deepEqual(res.map((x) => x.name), ['In second', 'In first', 'In second again']);
    assert.deepEqual(res.map((x) => x.organization.id), [o2.id, org.id, o2.id]);
    assert.deepEqual(res[0].organization, { id: o2.id, name: 'Second' });
    const l2 = await h.listOperators(srv, co.token, o2.id);
    assert.deepEqual(l2.map((x) => x.name), ['In second', 'In second again']);
  });

  test('externalId makes synchronize idempotent (update by externalId, same ids)', async () => {
    const o = await freshOrg('Idempotent');
    const rows = [
      { organizationId: o.id, name: 'Dana', externalId: 'crm-1' },
      { organizationId: o.id, name: 'Eve', externalId: 'crm-2' },
    ];
    const first = await h.syncOperators(srv, co.token, rows);
    assert.deepEqual(first.map((x) => x.externalId), ['crm-1', 'crm-2']);
    for (const x of first) assertOperatorShape(x, { id: o.id, name: 'Idempotent' });
    const second = await h.syncOperators(srv, co.token, rows);
    assert.deepEqual(second, first);
    assert.equal((await h.listOperators(srv, co.token, o.id)).length, 2);

    // rename through the externalId; order of the input is kept
    const third = await h.syncOperators(srv, co.token, [
      { organizationId: o.id, name: 'Eve Renamed', externalId: 'crm-2' },
      { organizationId: o.id, name: 'Dana', externalId: 'crm-1' },
      { organizationId: o.id, name: 'Frank', externalId: 'crm-3' },
    ]);
    assert.equal(third[0].id, first[1].id);
    assert.equal(third[0].name, 'Eve Renamed');
    assert.equal(third[1].id, first[0].id);
    assert.ok(!first.some((x) => x.id === third[2].id));
    const list = await h.listOperators(srv, co.token, o.id);
    assert.equal(list.length, 3);
    assert.equal(list.find((x) => x.id === first[1].id).name, 'Eve Renamed');

    // the same externalId in another organization is another operator
    const o2 = await freshOrg('Idempotent 2');
    const elsewhere = await h.syncOperators(srv, co.token, [{ organizationId: o2.id, name: 'Dana', externalId: 'crm-1' }]);
    assert.notEqual(elsewhere[0].id, first[0].id);
    assert.equal(elsewhere[0].organization.id, o2.id);
    assert.equal((await h.listOperators(srv, co.token, o.id)).length, 3);
  });

  test('synchronize by externalId brings a Deleted operator back to Active', async () => {
    const o = await freshOrg('Resurrect');
    const [x] = await h.syncOperators(srv, co.token, [{ organizationId: o.id, name: 'Gina', externalId: 'g' }]);
    await h.setStatus(srv, co.token, x.id, 2);
    assert.deepEqual(await h.listOperators(srv, co.token, o.id), []);
    const [y] = await h.syncOperators(srv, co.token, [{ organizationId: o.id, name: 'Gina B', externalId: 'g' }]);
    assert.equal(y.id, x.id);
    assert.equal(y.status, 0);
    assert.equal(y.name, 'Gina B');
    const list = await h.listOperators(srv, co.token, o.id);
    assert.deepEqual(list, [y]);
  });

  test('synchronize of exactly 1000 rows is accepted', async () => {
    const o = await freshOrg('Thousand');
    const rows = Array.from({ length: 1000 }, (_, i) => ({ organizationId: o.id, name: `Op ${i}` }));
    const res = await h.syncOperators(srv, co.token, rows);
    assert.equal(res.length, 1000);
    assert.deepEqual(res.map((x) => x.name), rows.map((r) => r.name));
    assert.equal((await h.listOperators(srv, co.token, o.id)).length, 1000);
  });

  test('synchronize is all or nothing: an invalid row writes nothing and the message names the row', async () => {
    const o = await freshOrg('Atomic');
    await h.syncOperators(srv, co.token, [{ organizationId: o.id, name: 'Existing', externalId: 'keep' }]);
    const before = await h.listOperators(srv, co.token, o.id, true);
    const beforeMain = await h.listOperators(srv, co.token, org.id, true);
    const good = (n) => ({ organizationId: o.id, name: `Good ${n}` });
    const cases = [
      [[good(0), { organizationId: o.id }], 400, 1002, '[1].name'],
      [[good(0), good(1), { name: 'No org' }], 400, 1002, '[2].organizationId'],
      [[good(0), { organizationId: o.id, name: 7 }], 400, 1001, '[1].name'],
      [[good(0), { organizationId: String(o.id), name: 'x' }], 400, 1001, '[1].organizationId'],
      [[good(0), { organizationId: o.id + 0.5, name: 'x' }], 400, 1001, '[1].organizationId'],
      [[good(0), good(1), { organizationId: o.id, name: '' }], 400, 1003, '[2].name'],
      [[good(0), { organizationId: o.id, name: 'y'.repeat(10000) }], 400, 1003, '[1].name'],
      [[good(0), { organizationId: o.id, name: 'z', externalId: 12 }], 400, 1001, '[1].externalId'],
      [[good(0), 'not an object'], 400, 1001, '[1]'],
      [[good(0), null], 400, 1001, '[1]'],
      // a rename of an existing externalId in the same batch must not stick either
      [[{ organizationId: o.id, name: 'Renamed', externalId: 'keep' }, { organizationId: o.id }], 400, 1002, '[1].name'],
      [[good(0), { organizationId: 99999999, name: 'Nowhere' }], 404, 3001],
      [[good(0), { organizationId: other.orgId, name: 'Other company' }], 404, 3001],
      [[{ organizationId: org.id, name: 'Main org' }, { organizationId: other.orgId, name: 'Other company' }], 404, 3001],
    ];
    for (const [rows, st, code, field] of cases) {
      const res = await sync(rows);
      h.assertError(res, st, code, field);
    }
    assert.deepEqual(await h.listOperators(srv, co.token, o.id, true), before);
    assert.deepEqual(await h.listOperators(srv, co.token, org.id, true), beforeMain);
    const otherList = await h.listOperators(srv, other.token, other.orgId, true);
    assert.ok(!otherList.some((x) => x.name === 'Other company'), JSON.stringify(otherList));
  });

  test('synchronize: non-array body 400 1001; more than 1000 rows 400, nothing written', async () => {
    h.assertError(await sync({ organizationId: org.id, name: 'x' }), 400, 1001);
    h.assertError(await sync('x'), 400, 1001);
    h.assertError(await sync(null), 400, 1001);
    h.assertError(await sync(5), 400, 1001);
    const o = await freshOrg('Too many');
    const rows = Array.from({ length: 1001 }, (_, i) => ({ organizationId: o.id, name: `N${i}` }));
    h.assertError(await sync(rows), 400, 1003);
    assert.deepEqual(await h.listOperators(srv, co.token, o.id, true), []);
  });

  // ---- list query ------------------------------------------------------------

  test('list: missing organizationId 400 1002, bad values 400, unknown or foreign org 404', async () => {
    h.assertError(await call('GET', '/api/operator'), 400, 1002, 'organizationId');
    h.assertError(await call('GET', '/api/operator?includeDeleted=true'), 400, 1002, 'organizationId');
    h.assertError(await call('GET', '/api/operator?organizationId=abc'), 400, 1001, 'organizationId');
    h.assertError(await call('GET', '/api/operator?organizationId=1abc'), 400, 1001, 'organizationId');
    h.assertError(await call('GET', '/api/operator?organizationId=99999999999999999999'), 400, 1001, 'organizationId');
    h.assertError(await call('GET', '/api/operator?organizationId=-1'), 400, 1003, 'organizationId');
    h.assertError(await call('GET', '/api/operator?organizationId=0'), 400, 1003, 'organizationId');
    h.assertError(await call('GET', '/api/operator?organizationId=99999999'), 404, 3001);
    h.assertError(await call('GET', `/api/operator?organizationId=${other.orgId}`), 404, 3001);
  });

  // ---- status ----------------------------------------------------------------

  test('status: Inactive listed with status 1; Deleted only with includeDeleted=true; empty 200 body', async () => {
    const o = await freshOrg('Statuses');
    const [a, b, c] = await h.syncOperators(srv, co.token, [
      { organizationId: o.id, name: 'A' }, { organizationId: o.id, name: 'B' }, { organizationId: o.id, name: 'C' },
    ]);
    const r = await status({ id: b.id, status: 1 });
    h.assertOk(r);
    assert.equal(r.text, '', 'empty body');
    await h.setStatus(srv, co.token, c.id, 2);
    const list = await h.listOperators(srv, co.token, o.id);
    assert.deepEqual(list.map((x) => [x.id, x.status]), [[a.id, 0], [b.id, 1]]);
    const all = await h.listOperators(srv, co.token, o.id, true);
    assert.deepEqual(all.map((x) => [x.id, x.status]), [[a.id, 0], [b.id, 1], [c.id, 2]]);
    const explicitFalse = await call('GET', `/api/operator?organizationId=${o.id}&includeDeleted=false`);
    h.assertOk(explicitFalse);
    assert.deepEqual(explicitFalse.json, list);
    // setting the same status again is fine
    await h.setStatus(srv, co.token, b.id, 1);
    await h.setStatus(srv, co.token, c.id, 2);
    await h.setStatus(srv, co.token, a.id, 0);
    // back to Active
    await h.setStatus(srv, co.token, c.id, 0);
    await h.setStatus(srv, co.token, b.id, 0);
    const again = await h.listOperators(srv, co.token, o.id);
    assert.deepEqual(again.map((x) => [x.id, x.status]), [[a.id, 0], [b.id, 0], [c.id, 0]]);
  });

  test('status validation: range 1003, type 1001, missing 1002, unknown/foreign id 404', async () => {
    const [x] = await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Status target' }]);
    h.assertError(await status({ id: x.id, status: 3 }), 400, 1003, 'status');
    h.assertError(await status({ id: x.id, status: -1 }), 400, 1003, 'status');
    h.assertError(await status({ id: x.id, status: '1' }), 400, 1001, 'status');
    h.assertError(await status({ id: x.id, status: 1.5 }), 400, 1001, 'status');
    h.assertError(await status({ id: x.id }), 400, 1002, 'status');
    h.assertError(await status({ status: 1 }), 400, 1002, 'id');
    h.assertError(await status({ id: String(x.id), status: 1 }), 400, 1001, 'id');
    h.assertError(await status({ id: 99999999, status: 1 }), 404, 3001);
    const [foreign] = await h.syncOperators(srv, other.token, [{ organizationId: other.orgId, name: 'Foreign' }]);
    h.assertError(await status({ id: foreign.id, status: 2 }), 404, 3001);
    const list = await h.listOperators(srv, other.token, other.orgId);
    assert.equal(list.find((o) => o.id === foreign.id).status, 0, 'foreign operator untouched');
    assert.equal((await h.listOperators(srv, co.token, org.id)).find((o) => o.id === x.id).status, 0);
  });

  // ---- get-token / validate-token -----------------------------------------

  test('validate-token of a fresh operator token: the full valid answer', async () => {
    const [x] = await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Validated' }]);
    const expiresAt = h.isoIn(3 * 3600e3);
    const t = await h.operatorToken(srv, co.token, x.id, expiresAt);
    assert.equal(h.decodeJwt(t).header.alg, 'HS256');
    const res = await call('POST', '/api/operator/validate-token', { token: t });
    h.assertOk(res);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
    const v = res.json;
    assert.deepEqual(Object.keys(v).sort(), ['clientId', 'error', 'expiresAt', 'isValid', 'operatorId', 'valid']);
    assert.equal(v.isValid, true);
    assert.equal(v.valid, true, 'valid mirrors isValid');
    assert.equal(v.operatorId, x.id);
    assert.equal(v.clientId, co.companyId);
    assert.equal(v.error, null);
    assert.match(v.expiresAt, ISO_MS_Z);
    assert.ok(Math.abs(Date.parse(v.expiresAt) - Date.parse(expiresAt)) < 1000, `${v.expiresAt} vs ${expiresAt}`);
  });

  test('get-token: any ISO-8601 with offset is accepted', async () => {
    const [x] = await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Offset' }]);
    const when = new Date(Date.now() + 2 * 3600e3);
    when.setUTCMilliseconds(0);
    const local = new Date(when.getTime() + 2 * 3600e3).toISOString().slice(0, 19) + '+02:00';
    const t = await h.operatorToken(srv, co.token, x.id, local);
    const v = await h.validate(srv, co.token, t);
    assert.equal(v.isValid, true);
    assert.ok(Math.abs(Date.parse(v.expiresAt) - when.getTime()) < 1000, `${v.expiresAt} vs ${when.toISOString()}`);
    const noMs = new Date(Date.now() + 3600e3).toISOString().slice(0, 19) + 'Z';
    await h.operatorToken(srv, co.token, x.id, noMs);
    const neg = new Date(Date.now() + 3600e3 - 5 * 3600e3).toISOString().slice(0, 19) + '-05:00';
    await h.operatorToken(srv, co.token, x.id, neg);
  });

  test('get-token: expiresAt rules (clamped to 24 h, future, ISO-8601) and id rules', async () => {
    const [x] = await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Expiry rules' }]);
    h.assertOk(await getToken({ id: x.id, expiresAt: h.isoIn(24 * 3600e3) }));
    // the public samples ask for 30 days: the token gets 24 h, and validate-token says so
    const month = await getToken({ id: x.id, expiresAt: h.isoIn(30 * 24 * 3600e3) });
    h.assertOk(month);
    const exp = h.decodeJwt(month.text).payload.exp * 1000;
    assert.ok(Math.abs(exp - (Date.now() + 24 * 3600e3)) < 120e3, `clamped to 24 h: ${new Date(exp).toISOString()}`);
    const v = await h.validate(srv, co.token, month.text);
    assert.equal(v.isValid, true);
    assert.equal(Date.parse(v.expiresAt), exp, 'validate-token reports the real expiry');
    // a date-time without a zone is UTC, as ASP.NET reads it
    const local = h.isoIn(3600e3).replace(/\.\d+Z$/, '');
    const lt = await getToken({ id: x.id, expiresAt: local });
    h.assertOk(lt);
    assert.equal(h.decodeJwt(lt.text).payload.exp, Date.parse(`${local}Z`) / 1000);
    h.assertError(await getToken({ id: x.id, expiresAt: h.isoIn(-3600e3) }), 400, 1003, 'expiresAt');
    h.assertError(await getToken({ id: x.id }), 400, 1002, 'expiresAt');
    h.assertError(await getToken({ id: x.id, expiresAt: 1767225600 }), 400, 1001, 'expiresAt');
    h.assertError(await getToken({ id: x.id, expiresAt: 'tomorrow' }), 400, 1001, 'expiresAt');
    h.assertError(await getToken({ id: x.id, expiresAt: '2026-13-45T99:99:99Z' }), 400, 1001, 'expiresAt');
    h.assertError(await getToken({ expiresAt: h.isoIn(3600e3) }), 400, 1002, 'id');
    h.assertError(await getToken({ id: String(x.id), expiresAt: h.isoIn(3600e3) }), 400, 1001, 'id');
    h.assertError(await getToken({ id: 99999999, expiresAt: h.isoIn(3600e3) }), 404, 3001);
  });

  test('get-token: Inactive 403 2006, Deleted 404 3001, other company 404 3001', async () => {
    const [a, b] = await h.syncOperators(srv, co.token, [
      { organizationId: org.id, name: 'Sleepy' }, { organizationId: org.id, name: 'Gone' },
    ]);
    await h.setStatus(srv, co.token, a.id, 1);
    await h.setStatus(srv, co.token, b.id, 2);
    h.assertError(await getToken({ id: a.id, expiresAt: h.isoIn(3600e3) }), 403, 2006);
    h.assertError(await getToken({ id: b.id, expiresAt: h.isoIn(3600e3) }), 404, 3001);
    const [foreign] = await h.syncOperators(srv, other.token, [{ organizationId: other.orgId, name: 'Theirs' }]);
    h.assertError(await getToken({ id: foreign.id, expiresAt: h.isoIn(3600e3) }), 404, 3001);
    await h.setStatus(srv, co.token, a.id, 0);
    h.assertOk(await getToken({ id: a.id, expiresAt: h.isoIn(3600e3) }));
  });

  test('validate-token: invalid tokens give isValid false with null fields', async () => {
    const invalid = (v) => assert.deepEqual(v,
      { isValid: false, valid: false, operatorId: null, clientId: null, expiresAt: null, error: 'Invalid token' });
    invalid(await h.validate(srv, co.token, 'garbage'));
    invalid(await h.validate(srv, co.token, ''));
    invalid(await h.validate(srv, co.token, 'a.b.c'));
    const [x] = await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Sig' }]);
    const t = await h.operatorToken(srv, co.token, x.id);
    const [hd, pl, sig] = t.split('.');
    invalid(await h.validate(srv, co.token, `${hd}.${pl}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`));
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    invalid(await h.validate(srv, co.token, `${none}.${pl}.`));
    // a company token is not an operator token
    invalid(await h.validate(srv, co.token, co.token));
    // another company's valid operator token
    const [foreign] = await h.syncOperators(srv, other.token, [{ organizationId: other.orgId, name: 'Theirs 2' }]);
    const ft = await h.operatorToken(srv, other.token, foreign.id);
    invalid(await h.validate(srv, co.token, ft));
    assert.equal((await h.validate(srv, other.token, ft)).isValid, true);
  });

  test('validate-token body rules', async () => {
    h.assertError(await call('POST', '/api/operator/validate-token', {}), 400, 1002, 'token');
    h.assertError(await call('POST', '/api/operator/validate-token', { token: 5 }), 400, 1001, 'token');
    h.assertError(await call('POST', '/api/operator/validate-token', ['x']), 400, 1001);
  });

  test('Inactive and Deleted revoke tokens at once; Active again does not revive them', async () => {
    const [a, b] = await h.syncOperators(srv, co.token, [
      { organizationId: org.id, name: 'Rev A' }, { organizationId: org.id, name: 'Rev B' },
    ]);
    const ta = await h.operatorToken(srv, co.token, a.id);
    const tb = await h.operatorToken(srv, co.token, b.id);
    assert.equal((await h.validate(srv, co.token, ta)).isValid, true);
    assert.equal((await h.validate(srv, co.token, tb)).isValid, true);

    await h.setStatus(srv, co.token, a.id, 1);
    await h.setStatus(srv, co.token, b.id, 2);
    const revoked = { isValid: false, valid: false, operatorId: null, clientId: null, expiresAt: null, error: 'Token revoked' };
    assert.deepEqual(await h.validate(srv, co.token, ta), revoked);
    assert.deepEqual(await h.validate(srv, co.token, tb), revoked);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: ta }), 401, 2003);
    h.assertError(await h.api(srv.base, 'POST', '/api/operator/synchronize', { token: tb, body: [] }), 401, 2003);

    await h.setStatus(srv, co.token, a.id, 0);
    await h.setStatus(srv, co.token, b.id, 0);
    assert.deepEqual(await h.validate(srv, co.token, ta), revoked);
    assert.deepEqual(await h.validate(srv, co.token, tb), revoked);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: ta }), 401, 2003);

    const ta2 = await h.operatorToken(srv, co.token, a.id);
    const v = await h.validate(srv, co.token, ta2);
    assert.equal(v.isValid, true, JSON.stringify(v));
    assert.equal(v.operatorId, a.id);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: ta2 }), 403, 2005);

    // re-activating through synchronize (externalId) does not revive old tokens either
    const [c] = await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Rev C', externalId: 'rev-c' }]);
    const tc = await h.operatorToken(srv, co.token, c.id);
    await h.setStatus(srv, co.token, c.id, 2);
    await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Rev C', externalId: 'rev-c' }]);
    assert.equal((await h.validate(srv, co.token, tc)).error, 'Token revoked');
  });

  test('validate-token: expired operator token says Token expired', async () => {
    const [x] = await h.syncOperators(srv, co.token, [{ organizationId: org.id, name: 'Short' }]);
    const t = await h.operatorToken(srv, co.token, x.id, h.isoIn(2000));
    const v = await h.validate(srv, co.token, t);
    assert.equal(v.isValid, true);
    // JWT exp has whole seconds: wait until a moment past the expiry the server reports
    await h.sleepUntil(Date.parse(v.expiresAt) + 1200);
    assert.deepEqual(await h.validate(srv, co.token, t),
      { isValid: false, valid: false, operatorId: null, clientId: null, expiresAt: null, error: 'Token expired' });
  });

  // ---- CLI -------------------------------------------------------------------

  test('CLI operator create: visible to the running server at once', async () => {
    const o = await freshOrg('Cli ops');
    const r = await h.cli(['operator', 'create', '--org', String(o.id), '--name', 'Cli Op'], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    const id = h.parseId(r.stdout);
    const list = await h.listOperators(srv, co.token, o.id);
    assert.equal(list.length, 1);
    assert.equal(list[0].id, id);
    assert.equal(list[0].name, 'Cli Op');
    assert.equal(list[0].status, 0);
    assertOperatorShape(list[0], o);
    const t = await h.operatorToken(srv, co.token, id);
    assert.equal((await h.validate(srv, co.token, t)).operatorId, id);
  });

  test('CLI operator create: unknown org exits 1, missing --name exits 2', async () => {
    const r = await h.cli(['operator', 'create', '--org', '99999999', '--name', 'X'], { dataDir: srv.dataDir });
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    const u = await h.cli(['operator', 'create', '--org', String(org.id)], { dataDir: srv.dataDir });
    assert.equal(u.code, 2, `${u.stdout}${u.stderr}`);
    assert.ok(u.stderr.trim().length > 0);
    const n = await h.cli(['operator', 'create', '--org', 'abc', '--name', 'X'], { dataDir: srv.dataDir });
    assert.equal(n.code, 2, `non-numeric --org: ${n.stdout}${n.stderr}`);
  });
});
