'use strict';
// CORS: preflights, per-organization allow-lists, token scope, no-token
// requests, and requests without Origin.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const A = 'https://a.example';
const A2 = 'https://a2.example';
const B = 'https://b.example';
const EVIL = 'https://evil.example';

function allowed(res, origin, what) {
  const acao = res.headers.get('access-control-allow-origin');
  assert.equal(acao, origin, `${what}: Access-Control-Allow-Origin for ${origin} (HTTP ${res.status})`);
  const vary = (res.headers.get('vary') || '').split(/\s*,\s*/).map((v) => v.toLowerCase());
  assert.ok(vary.includes('origin'), `${what}: Vary includes Origin, got "${res.headers.get('vary')}"`);
}

function refused(res, origin, what) {
  const acao = res.headers.get('access-control-allow-origin');
  assert.equal(acao, null, `${what}: no Access-Control-Allow-Origin for ${origin}, got "${acao}" (HTTP ${res.status})`);
}

function list(v) {
  return (v || '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
}

describe('CORS', () => {
  let srv;
  let a;
  let b;
  let a2Id;
  let opA1Token;

  before(async () => { srv = await h.startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  const login = (c, origin) => h.api(srv.base, 'POST', '/api/company/get-token',
    { body: { login: c.login, password: c.password }, headers: origin ? { Origin: origin } : {} });
  const preflight = (p, origin, method = 'POST', reqHeaders = 'authorization, content-type') =>
    h.api(srv.base, 'OPTIONS', p, {
      headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': reqHeaders },
    });
  const orgs = (token, origin) => h.api(srv.base, 'GET', '/api/company/organization', { token, headers: { Origin: origin } });

  test('a server with no organizations allows every origin', async () => {
    a = await h.createCompany(srv, 'corsa', 'pw-a');
    const res = await login(a, 'https://anything.example');
    h.assertOk(res);
    allowed(res, 'https://anything.example', 'login');
    const pf = await preflight('/api/company/get-token', 'https://anything.example');
    assert.equal(pf.status, 204, h.describeRes(pf));
    allowed(pf, 'https://anything.example', 'preflight');
  });

  test('an organization with an empty list allows every origin', async () => {
    a.token = await h.companyToken(srv.base, a.login, a.password);
    const o = await h.createOrg(srv, a.token, 'A1');
    a.orgId = o.id;
    const res = await orgs(a.token, 'https://whatever.example');
    h.assertOk(res);
    allowed(res, 'https://whatever.example', 'company token, empty list');
    allowed(await login(a, 'https://whatever.example'), 'https://whatever.example', 'login, empty list');
  });

  test('setup: every organization gets a non-empty allow-list', async () => {
    const put = async (token, id, allowedOrigins) => {
      const r = await h.api(srv.base, 'PUT', `/api/company/organization/${id}`, { token, body: { allowedOrigins } });
      h.assertOk(r);
      assert.deepEqual(r.json.allowedOrigins, allowedOrigins);
    };
    await put(a.token, a.orgId, [A]);
    a2Id = (await h.createOrg(srv, a.token, 'A2')).id;
    await put(a.token, a2Id, [A2]);
    b = await h.makeCompany(srv, 'corsb', { password: 'pw-b' });
    await put(b.token, b.orgId, [B]);
    const [opA1] = await h.syncOperators(srv, a.token, [{ organizationId: a.orgId, name: 'A1 op' }]);
    opA1Token = await h.operatorToken(srv, a.token, opA1.id);
  });

  test('company token: origins of any of its organizations are allowed, others are not', async () => {
    for (const o of [A, A2]) {
      const r = await orgs(a.token, o);
      h.assertOk(r);
      allowed(r, o, `company A, ${o}`);
    }
    refused(await orgs(a.token, B), B, 'company A, B origin');
    refused(await orgs(a.token, EVIL), EVIL, 'company A, evil origin');
    allowed(await orgs(b.token, B), B, 'company B, B origin');
    refused(await orgs(b.token, A), A, 'company B, A origin');
    // X-Authorization-Key counts as a token too
    const x = await h.api(srv.base, 'GET', '/api/company/organization',
      { headers: { 'X-Authorization-Key': b.token, Origin: A } });
    refused(x, A, 'company B via X-Authorization-Key, A origin');
  });

  test('origins are compared exactly', async () => {
    for (const o of ['http://a.example', 'https://a.example.evil.example', 'https://evil.example/https://a.example',
      'https://sub.a.example', 'null', 'https://a.exampl']) {
      refused(await orgs(a.token, o), o, `company A, look-alike ${o}`);
    }
  });

  test('operator token: only its own organization\'s origins', async () => {
    const r = await h.api(srv.base, 'POST', '/api/operator/validate-token',
      { headers: { Origin: A, Authorization: `Bearer ${opA1Token}` }, body: { token: opA1Token } });
    // the answer is 403 (wrong kind) — a browser must still be able to read it
    allowed(r, A, 'operator of A1, A origin');
    const r2 = await h.api(srv.base, 'GET', '/api/company/organization',
      { headers: { Origin: A2, Authorization: `Bearer ${opA1Token}` } });
    refused(r2, A2, 'operator of A1, A2 origin (another org of the same company)');
    const r3 = await h.api(srv.base, 'GET', '/api/company/organization',
      { headers: { Origin: B, 'X-Authorization-Key': opA1Token } });
    refused(r3, B, 'operator of A1, B origin');
  });

  test('no token (login): allowed if any organization on the server allows the origin', async () => {
    for (const o of [A, A2, B]) {
      const r = await login(a, o);
      h.assertOk(r);
      allowed(r, o, `login from ${o}`);
    }
    refused(await login(a, EVIL), EVIL, 'login from evil');
    const bad = await h.api(srv.base, 'POST', '/api/company/get-token',
      { body: { login: 'corsa', password: 'wrong' }, headers: { Origin: B } });
    h.assertError(bad, 401, 2004);
    allowed(bad, B, 'failed login from B (errors are readable too)');
  });

  test('preflights: 204 with methods and headers for allowed origins', async () => {
    for (const [p, method] of [['/api/operator/synchronize', 'POST'], ['/api/company/get-token', 'POST'],
      ['/api/company/organization', 'GET'], [`/api/company/organization/${a.orgId}`, 'PUT'],
      [`/api/operator?organizationId=${a.orgId}`, 'GET']]) {
      for (const o of [A, B]) {
        const r = await preflight(p, o, method, 'authorization, x-authorization-key, content-type');
        assert.equal(r.status, 204, `OPTIONS ${p} from ${o}: ${h.describeRes(r)}`);
        allowed(r, o, `preflight ${p} from ${o}`);
        const methods = list(r.headers.get('access-control-allow-methods')).map((m) => m.toUpperCase());
        assert.ok(methods.includes(method), `${p}: Allow-Methods "${r.headers.get('access-control-allow-methods')}" has ${method}`);
        const hdrs = list(r.headers.get('access-control-allow-headers'));
        for (const need of ['authorization', 'x-authorization-key', 'content-type']) {
          assert.ok(hdrs.includes(need), `${p}: Allow-Headers "${r.headers.get('access-control-allow-headers')}" has ${need}`);
        }
      }
    }
  });

  test('preflights from other origins: 204 without a grant', async () => {
    for (const p of ['/api/operator/synchronize', '/api/company/get-token', '/api/nope']) {
      const r = await preflight(p, EVIL);
      assert.equal(r.status, 204, `OPTIONS ${p}: ${h.describeRes(r)}`);
      refused(r, EVIL, `preflight ${p} from evil`);
    }
  });

  test('requests without Origin are unaffected', async () => {
    const r = await h.api(srv.base, 'GET', '/api/company/organization', { token: b.token });
    h.assertOk(r);
    assert.equal(r.json.length, 1);
    const t = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: 'corsb', password: 'pw-b' } });
    h.assertOk(t);
    const s = await h.api(srv.base, 'POST', '/api/operator/synchronize',
      { token: b.token, body: [{ organizationId: b.orgId, name: 'Server to server' }] });
    h.assertOk(s);
  });

  test('allow-list changes apply at once', async () => {
    const C = 'https://c.example';
    refused(await orgs(a.token, C), C, 'before the change');
    const r = await h.api(srv.base, 'PUT', `/api/company/organization/${a2Id}`, { token: a.token, body: { allowedOrigins: [C] } });
    h.assertOk(r);
    allowed(await orgs(a.token, C), C, 'after adding C');
    refused(await orgs(a.token, A2), A2, 'after removing A2');
    allowed(await login(a, C), C, 'login from C');
    refused(await login(a, A2), A2, 'login from the removed A2');
  });
});
