'use strict';
// The integration guide's server-side backend, as published: it keeps one
// company token in process.env.CHATHUB_COMPANY_TOKEN and mints a 24-hour
// operator token per request. It must keep working the day after — and the
// month after — the token was issued. Both clocks are moved 25 hours (the
// server's with clock_offset, the backend's with a Date preload); nothing
// sleeps.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const { startGuideBackend } = require('./lib/compat');

const DAY_AND_AN_HOUR_S = 25 * 3600;

describe("the guide's backend keeps one company token in the environment", () => {
  let srv;
  let co;
  let backend;
  let firstToken;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    co = await hub.makeOrgFixture(srv, 'guideco', { operators: 2 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (backend) await backend.stop();
    if (srv) await srv.stop();
  });

  const ask = (user) => fetch(`${backend.base}/api/chathub/token`, { headers: user ? { 'X-Test-User': user } : {} });

  test('the backend as written mints operator tokens the panel accepts', async () => {
    backend = await startGuideBackend(srv.base, {
      companyToken: co.token, operators: { alice: co.ops[0].id, bob: co.ops[1].id },
    });
    const anon = await ask(null);
    assert.equal(anon.status, 401, "the snippet's own check of its user");
    const r = await ask('alice');
    assert.equal(r.status, 200, await r.clone().text());
    const { token } = await r.json();
    assert.match(token, h.JWT_RE, 'response.text() of get-token is the bare token');
    const v = await h.validate(srv, co.token, token);
    assert.equal(v.isValid, true, JSON.stringify(v));
    assert.equal(v.operatorId, co.ops[0].id);
    firstToken = token;
  });

  test('25 hours later the same company token still mints tokens (both clocks moved)', async () => {
    await backend.stop();
    await srv.stop();
    srv.env.CHATHUB_CLOCK_OFFSET = String(DAY_AND_AN_HOUR_S);
    await srv.start();
    backend = await startGuideBackend(srv.base, {
      companyToken: co.token, operators: { alice: co.ops[0].id, bob: co.ops[1].id },
      clockOffsetMs: DAY_AND_AN_HOUR_S * 1000,
    });
    // the clock really moved: yesterday's operator token has expired
    const old = await h.validate(srv, co.token, firstToken);
    assert.equal(old.isValid, false);
    assert.equal(old.error, 'Token expired');
    // the company token from yesterday, unchanged in the backend's environment, still works
    const r = await ask('bob');
    assert.equal(r.status, 200, `${await r.clone().text()}\n${backend.output()}`);
    const { token } = await r.json();
    const v = await h.validate(srv, co.token, token);
    assert.equal(v.isValid, true, JSON.stringify(v));
    assert.equal(v.operatorId, co.ops[1].id);
    assert.ok(Date.parse(v.expiresAt) > Date.now() + 48 * 3600e3, `expires on the moved clock: ${v.expiresAt}`);
    // and the token works where the panel uses it
    const c = await hub.connectHub(srv.base, token, { label: 'bob, a day later' });
    const s = await c.invoke('Sync', { chats: {} });
    assert.equal(s.operatorId, co.ops[1].id);
    await c.stop();
  });

  test('a revoked company token stops the backend, with a 401 that says so', async () => {
    const r = await h.cli(['company', 'revoke-tokens', '--login', 'guideco'], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    await hub.pollUntil(async () => (await h.api(srv.base, 'GET', '/api/company/organization', { token: co.token })).status === 401,
      { what: 'the revocation to reach the server' });
    const res = await ask('alice');
    assert.equal(res.status, 200, "the snippet forwards get-token's body whatever its status");
    const { token } = await res.json();
    assert.doesNotMatch(token, h.JWT_RE, 'no token was minted');
    assert.match(token, /revoked/);
  });
});
