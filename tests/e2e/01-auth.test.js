'use strict';
// Login, token bodies (text / JSON), auth headers, token kinds, expiry, the
// login rate limit, and the company admin CLI.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

describe('auth', () => {
  let srv;
  let acme;
  let opId;

  before(async () => {
    srv = await h.startServer();
    acme = await h.makeCompany(srv, 'acme');
    const [op] = await h.syncOperators(srv, acme.token, [{ organizationId: acme.orgId, name: 'Alice' }]);
    opId = op.id;
  });
  after(async () => { if (srv) await srv.stop(); });

  const login = (body, headers) => h.api(srv.base, 'POST', '/api/company/get-token', { body, headers });

  test('company get-token: raw JWT as text/plain by default', async () => {
    const res = await login({ login: 'acme', password: acme.password });
    h.assertOk(res);
    assert.match(res.headers.get('content-type') || '', /^text\/plain\b/i);
    assert.match(res.text, h.JWT_RE, 'body is the bare token, no quotes, no whitespace');
    const { header, payload } = h.decodeJwt(res.text);
    assert.equal(header.alg, 'HS256');
    assert.equal(payload.exp, undefined, 'a company token lasts until revoked');
  });

  test('company get-token: Accept text/plain gives the raw token', async () => {
    const res = await login({ login: 'acme', password: acme.password }, { Accept: 'text/plain' });
    h.assertOk(res);
    assert.match(res.headers.get('content-type') || '', /^text\/plain\b/i);
    assert.match(res.text, h.JWT_RE);
  });

  test('company get-token: Accept application/json gives a JSON string', async () => {
    const res = await login({ login: 'acme', password: acme.password }, { Accept: 'application/json' });
    h.assertOk(res);
    assert.match(res.headers.get('content-type') || '', /^application\/json\b/i);
    assert.equal(typeof res.json, 'string', `body is a JSON string: ${res.text}`);
    assert.match(res.json, h.JWT_RE);
    assert.equal(res.text.trim(), JSON.stringify(res.json));
    const use = await h.api(srv.base, 'GET', '/api/company/organization', { token: res.json });
    h.assertOk(use);
  });

  test('company get-token: Accept listing both json and text/plain gives the raw token', async () => {
    const res = await login({ login: 'acme', password: acme.password },
      { Accept: 'application/json, text/plain, */*' });
    h.assertOk(res);
    assert.match(res.headers.get('content-type') || '', /^text\/plain\b/i);
    assert.match(res.text, h.JWT_RE);
  });

  test('company tokens last until revoked by default: no exp claim', async () => {
    const t = await h.companyToken(srv.base, 'acme', acme.password);
    const { payload } = h.decodeJwt(t);
    assert.equal(payload.exp, undefined, JSON.stringify(payload));
    h.assertOk(await h.api(srv.base, 'GET', '/api/company/organization', { token: t }));
  });

  test('bad password and unknown login: 401 2004 with the same message', async () => {
    const a = await login({ login: 'acme', password: 'wrong' });
    h.assertError(a, 401, 2004);
    const b = await login({ login: 'nobody', password: 'wrong' });
    h.assertError(b, 401, 2004);
    assert.equal(a.json.message, b.json.message, 'no login enumeration');
    const c = await login({ login: 'acme', password: '' });
    assert.ok(c.status === 401 || c.status === 400, h.describeRes(c));
  });

  test('get-token body validation', async () => {
    h.assertError(await login({ password: 'x' }), 400, 1002, 'login');
    h.assertError(await login({ login: 'acme' }), 400, 1002, 'password');
    h.assertError(await login({ login: 'acme', password: 5 }), 400, 1001, 'password');
    h.assertError(await login([]), 400, 1001);
    const textPlain = await h.api(srv.base, 'POST', '/api/company/get-token', {
      rawBody: JSON.stringify({ login: 'acme', password: acme.password }),
      headers: { 'Content-Type': 'text/plain' },
    });
    h.assertError(textPlain, 415, 1004);
  });

  test('Authorization: Bearer and X-Authorization-Key both work', async () => {
    const a = await h.api(srv.base, 'GET', '/api/company/organization', { token: acme.token });
    h.assertOk(a);
    const b = await h.api(srv.base, 'GET', '/api/company/organization',
      { headers: { 'X-Authorization-Key': acme.token } });
    h.assertOk(b);
    assert.deepEqual(b.json, a.json);
    const c = await h.api(srv.base, 'GET', `/api/operator?organizationId=${acme.orgId}`,
      { headers: { 'X-Authorization-Key': acme.token } });
    h.assertOk(c);
    const d = await h.api(srv.base, 'POST', '/api/operator/get-token',
      { headers: { 'X-Authorization-Key': acme.token }, body: { id: opId, expiresAt: h.isoIn(3600e3) } });
    h.assertOk(d);
    const e = await h.api(srv.base, 'POST', '/api/operator/validate-token',
      { headers: { 'X-Authorization-Key': acme.token }, body: { token: d.text } });
    h.assertOk(e);
    assert.equal(e.json.isValid, true);
    const f = await h.api(srv.base, 'POST', '/api/operator/synchronize',
      { headers: { 'X-Authorization-Key': acme.token }, body: [] });
    h.assertOk(f);
  });

  test('no token / malformed token: 401 2001', async () => {
    const p = '/api/company/organization';
    h.assertError(await h.api(srv.base, 'GET', p), 401, 2001);
    h.assertError(await h.api(srv.base, 'GET', p, { token: 'junk' }), 401, 2001);
    h.assertError(await h.api(srv.base, 'GET', p, { headers: { Authorization: 'Bearer junk' } }), 401, 2001);
    h.assertError(await h.api(srv.base, 'GET', p, { headers: { Authorization: 'Bearer ' } }), 401, 2001);
    h.assertError(await h.api(srv.base, 'GET', p, { headers: { 'X-Authorization-Key': 'junk' } }), 401, 2001);
    h.assertError(await h.api(srv.base, 'GET', p, { headers: { Authorization: `Basic ${acme.token}` } }), 401, 2001);
    h.assertError(await h.api(srv.base, 'POST', '/api/operator/synchronize', { body: [] }), 401, 2001);
    h.assertError(await h.api(srv.base, 'POST', '/api/operator/status', { body: { id: opId, status: 1 } }), 401, 2001);
  });

  test('tampered signature and alg none are rejected with 401', async () => {
    const [hd, pl, sig] = acme.token.split('.');
    const flipped = sig[0] === 'A' ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
    const tampered = `${hd}.${pl}.${flipped}`;
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: tampered }), 401, 2001);

    const payload = h.decodeJwt(acme.token).payload;
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const none = `${noneHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
    const r1 = await h.api(srv.base, 'GET', '/api/company/organization', { token: none });
    h.assertError(r1, 401);
    // Same header, payload edited (another company id / longer life): signature no longer matches.
    const edited = { ...payload, exp: payload.exp + 1000 };
    const forged = `${hd}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${sig}`;
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: forged }), 401);
  });

  test('operator token on company endpoints: 403 2005', async () => {
    const op = await h.operatorToken(srv, acme.token, opId);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: op }), 403, 2005);
    h.assertError(await h.api(srv.base, 'POST', '/api/company/organization', { token: op, body: { name: 'x' } }), 403, 2005);
    h.assertError(await h.api(srv.base, 'POST', '/api/operator/synchronize',
      { token: op, body: [{ organizationId: acme.orgId, name: 'Sneaky' }] }), 403, 2005);
    h.assertError(await h.api(srv.base, 'POST', '/api/operator/get-token',
      { headers: { 'X-Authorization-Key': op }, body: { id: opId, expiresAt: h.isoIn(3600e3) } }), 403, 2005);
    const list = await h.listOperators(srv, acme.token, acme.orgId);
    assert.ok(!list.some((o) => o.name === 'Sneaky'), 'nothing written by a wrong-kind token');
  });

  test('operator get-token follows the same text/JSON body rules', async () => {
    const body = { id: opId, expiresAt: h.isoIn(3600e3) };
    const a = await h.api(srv.base, 'POST', '/api/operator/get-token', { token: acme.token, body });
    h.assertOk(a);
    assert.match(a.headers.get('content-type') || '', /^text\/plain\b/i);
    assert.match(a.text, h.JWT_RE);
    const b = await h.api(srv.base, 'POST', '/api/operator/get-token',
      { token: acme.token, body, headers: { Accept: 'text/plain' } });
    assert.match(b.text, h.JWT_RE);
    const c = await h.api(srv.base, 'POST', '/api/operator/get-token',
      { token: acme.token, body, headers: { Accept: 'application/json' } });
    h.assertOk(c);
    assert.match(c.headers.get('content-type') || '', /^application\/json\b/i);
    assert.equal(typeof c.json, 'string', c.text);
    assert.match(c.json, h.JWT_RE);
    assert.equal(h.decodeJwt(c.json).header.alg, 'HS256');
    const v = await h.validate(srv, acme.token, c.json);
    assert.equal(v.isValid, true, JSON.stringify(v));
  });

  test('revoked operator token on a company endpoint: 401 2003 (authentication first)', async () => {
    const [op] = await h.syncOperators(srv, acme.token, [{ organizationId: acme.orgId, name: 'Revokee' }]);
    const t = await h.operatorToken(srv, acme.token, op.id);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: t }), 403, 2005);
    await h.setStatus(srv, acme.token, op.id, 1);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: t }), 401, 2003);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization',
      { headers: { 'X-Authorization-Key': t } }), 401, 2003);
  });

  test('expired operator token on a company endpoint: 401 2002', async () => {
    const t = await h.operatorToken(srv, acme.token, opId, h.isoIn(1500));
    const v = await h.validate(srv, acme.token, t);
    assert.equal(v.isValid, true);
    await h.sleepUntil(Date.parse(v.expiresAt) + 1200);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: t }), 401, 2002);
  });

  test('CLI company create: duplicate login exits 1, bad usage exits 2', async () => {
    const dup = await h.cli(['company', 'create', '--login', 'acme', '--password', 'x'], { dataDir: srv.dataDir });
    assert.equal(dup.code, 1, `duplicate login: ${dup.stdout}${dup.stderr}`);
    assert.ok(dup.stderr.trim().length > 0, 'duplicate login explained on stderr');
    const noPw = await h.cli(['company', 'create', '--login', 'zeta'], { dataDir: srv.dataDir });
    assert.equal(noPw.code, 2, `missing --password: ${noPw.stdout}${noPw.stderr}`);
    assert.ok(noPw.stderr.trim().length > 0, 'usage message on stderr');
    const unknownFlag = await h.cli(['company', 'create', '--login', 'zeta', '--password', 'x', '--bogus', '1'],
      { dataDir: srv.dataDir });
    assert.equal(unknownFlag.code, 2, `unknown flag: ${unknownFlag.stdout}${unknownFlag.stderr}`);
    const unknownCmd = await h.cli(['company', 'frobnicate'], { dataDir: srv.dataDir });
    assert.equal(unknownCmd.code, 2, `unknown subcommand: ${unknownCmd.stdout}${unknownCmd.stderr}`);
    assert.ok(unknownCmd.stderr.trim().length > 0);
    // none of the failed attempts created zeta
    h.assertError(await login({ login: 'zeta', password: 'x' }), 401, 2004);
  });

  test('CLI company create with --name, usable at once by the running server', async () => {
    const r = await h.cli(['company', 'create', '--login', 'beta', '--password', 'b pass', '--name', 'Beta Ltd'],
      { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    const id = h.parseId(r.stdout);
    assert.ok(Number.isInteger(id) && id > 0, r.stdout);
    assert.notEqual(id, acme.companyId);
    const t = await h.companyToken(srv.base, 'beta', 'b pass');
    const orgs = await h.api(srv.base, 'GET', '/api/company/organization', { token: t });
    h.assertOk(orgs);
    assert.deepEqual(orgs.json, []);
  });

  test('CLI company passwd changes the password', async () => {
    await h.createCompany(srv, 'gamma', 'old-pass');
    await h.companyToken(srv.base, 'gamma', 'old-pass');
    const r = await h.cli(['company', 'passwd', '--login', 'gamma', '--password', 'new-pass'], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    h.assertError(await login({ login: 'gamma', password: 'old-pass' }), 401, 2004);
    await h.companyToken(srv.base, 'gamma', 'new-pass');
    const missing = await h.cli(['company', 'passwd', '--login', 'nobody', '--password', 'x'], { dataDir: srv.dataDir });
    assert.equal(missing.code, 1, `passwd of an unknown login: ${missing.stdout}${missing.stderr}`);
    const usage = await h.cli(['company', 'passwd', '--login', 'gamma'], { dataDir: srv.dataDir });
    assert.equal(usage.code, 2, `passwd without --password: ${usage.stdout}${usage.stderr}`);
  });
});

describe('company token expiry', () => {
  let srv;
  // 2 s, not 1: exp is whole seconds after a floored iat, so a 1 s token can be
  // expired by the time a slow (ASan) server answers the request after its login.
  before(async () => { srv = await h.startServer({ env: { CHATHUB_COMPANY_TOKEN_TTL: '2' } }); });
  after(async () => { if (srv) await srv.stop(); });

  test('expired company token: 401 2002', async () => {
    await h.createCompany(srv, 'shortlived', 'pw');
    const t = await h.companyToken(srv.base, 'shortlived', 'pw');
    await h.sleep(3200);
    const res = await h.api(srv.base, 'GET', '/api/company/organization', { token: t });
    h.assertError(res, 401, 2002);
    const res2 = await h.api(srv.base, 'GET', '/api/company/organization', { headers: { 'X-Authorization-Key': t } });
    h.assertError(res2, 401, 2002);
    // a fresh token works
    const t2 = await h.companyToken(srv.base, 'shortlived', 'pw');
    h.assertOk(await h.api(srv.base, 'GET', '/api/company/organization', { token: t2 }));
  });
});

describe('login rate limit', () => {
  let srv;
  const RATE = 3;
  before(async () => {
    srv = await h.startServer({ env: { CHATHUB_LOGIN_RATE_PER_MINUTE: String(RATE) } });
    await h.createCompany(srv, 'limited', 'pw');
    await h.createCompany(srv, 'another', 'pw');
    await h.createCompany(srv, 'fresh', 'pw');
  });
  after(async () => { if (srv) await srv.stop(); });

  const loginFrom = (localAddress, login, password = 'pw') => h.rawHttp(srv.port,
    h.requestText('POST', '/api/company/get-token', { body: { login, password } }), { localAddress });

  function assert429(r) {
    assert.equal(r.status, 429, r.raw.slice(0, 600));
    assert.match(r.headers['content-type'] || '', /^application\/json\b/i);
    const body = JSON.parse(r.body);
    assert.equal(body.status, 429);
    assert.equal(body.error, 'Too Many Requests');
    assert.equal(body.code, 4001);
    const ra = r.headers['retry-after'];
    assert.ok(ra !== undefined, 'Retry-After header present');
    assert.match(ra, /^\d+$/, `Retry-After is integer seconds: ${ra}`);
    assert.ok(Number(ra) >= 1, `Retry-After >= 1: ${ra}`);
  }

  test('correct passwords are not login-limited (only by the general API rate limit)', async () => {
    for (let i = 0; i < RATE * 4; i++) {
      const r = await loginFrom('127.0.0.1', 'fresh');
      assert.equal(r.status, 200, r.raw.slice(0, 600));
    }
  });

  test('failures from one address: 429 4001 with Retry-After, even with the right password from there', async () => {
    for (let i = 0; i < RATE; i++) {
      const r = await loginFrom('127.0.0.1', 'limited', 'wrong');
      assert.equal(r.status, 401, r.raw.slice(0, 600));
    }
    assert429(await loginFrom('127.0.0.1', 'limited', 'wrong'));
    assert429(await loginFrom('127.0.0.1', 'limited'));
  });

  test('failing from another address does not lock the company out', async () => {
    const ok = await loginFrom('127.0.0.2', 'limited');
    assert.equal(ok.status, 200, ok.raw.slice(0, 600));
    assert.match(ok.body.trim(), h.JWT_RE);
  });

  test('one address failing on many logins is limited for every login', async () => {
    let limited = null;
    for (let i = 0; i < RATE * 3 + 2 && !limited; i++) {
      const r = await loginFrom('127.0.0.3', `nobody-${i}`, 'wrong');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 401, r.raw.slice(0, 600));
    }
    assert.ok(limited, `no 429 after ${RATE * 3 + 2} failures at ${RATE * 3}/min per address`);
    assert429(limited);
    assert429(await loginFrom('127.0.0.3', 'another'));
    assert.equal((await loginFrom('127.0.0.4', 'another')).status, 200, 'other addresses are not affected');
  });

  test('a login failing from many addresses hits a ceiling ten times higher', async () => {
    let limited = null;
    for (let i = 0; i < RATE * 10 + 2 && !limited; i++) {
      const r = await loginFrom(`127.0.1.${i + 1}`, 'another', 'wrong');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 401, r.raw.slice(0, 600));
    }
    assert.ok(limited, `no 429 after ${RATE * 10 + 2} failures from different addresses`);
    assert429(limited);
    assert429(await loginFrom('127.0.2.1', 'another'));
    assert.equal((await loginFrom('127.0.2.1', 'fresh')).status, 200, 'other logins are not affected');
  });
});
