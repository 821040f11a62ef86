'use strict';
// The guide's Quick Start, as published, run the way integrations run it: a
// backend that logs in for every page it serves. With the default limits, 30
// logins in a minute from one address all succeed (only failures are
// limited), while guessing passwords is still locked out.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const vm = require('node:vm');
const h = require('../e2e/lib/harness');
const { snippet } = require('./lib/compat');

// The helpers the Quick Start calls, written from the documented requests
// (what an integrator writes next to it).
function helpers(base) {
  const post = (p, token, body) => fetch(`${base}${p}`, {
    method: 'POST',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const get = (p, token) => fetch(`${base}${p}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/plain' } });
  return {
    async getCompanyToken(login, password) {
      const r = await post('/api/company/get-token', null, { login, password });
      if (!r.ok) throw new Error(`get-token: ${r.status} ${await r.text()}`);
      return r.text();
    },
    async getOrganizations(token) { return (await get('/api/company/organization', token)).json(); },
    async getOperators(token, orgId) { return (await get(`/api/operator?organizationId=${orgId}`, token)).json(); },
    async getOperatorToken(token, id, expiresAt) {
      return (await post('/api/operator/get-token', token, { id, expiresAt })).text();
    },
    async validateToken(token, operatorToken) {
      return (await (await post('/api/operator/validate-token', token, { token: operatorToken })).json()).isValid;
    },
  };
}

describe('logging in for every request', () => {
  let srv;
  let co;
  before(async () => {
    // the default login limit (10 failed logins a minute), not the e2e suite's relaxed one
    srv = await h.startServer({ env: { CHATHUB_LOGIN_RATE_PER_MINUTE: '10' } });
    co = await h.makeCompany(srv, 'quickco');
    await h.syncOperators(srv, co.token, [{ organizationId: co.orgId, name: 'Quick' }]);
  });
  after(async () => { if (srv) await srv.stop(); });

  test("the Quick Start, as published, 30 times in a minute", async () => {
    const code = `(async () => {\n${snippet('guide-quick-start.js', srv.base)}\nreturn { operatorToken, isValid };\n})()`;
    const script = new vm.Script(code, { filename: 'guide-quick-start.js' });
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const ctx = vm.createContext({ ...helpers(srv.base), login: 'quickco', password: co.password,
        expiresAt: new Date(Date.now() + 24 * 3600e3).toISOString() });
      const { operatorToken, isValid } = await script.runInContext(ctx);
      assert.match(operatorToken, h.JWT_RE, `run ${i + 1}`);
      assert.equal(isValid, true, `run ${i + 1}`);
    }
    assert.ok(Date.now() - started < 60e3, 'all within one minute');
  });

  test('failed logins are still limited: the 11th wrong password in a minute is a 429', async () => {
    const login = (password) => h.api(srv.base, 'POST', '/api/company/get-token',
      { body: { login: 'quickco', password }});
    for (let i = 0; i < 10; i++) h.assertError(await login('wrong'), 401, 2004);
    const locked = await login('wrong');
    h.assertError(locked, 429, 4001);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    // a lockout holds for the right password too (else guessing would go on)
    h.assertError(await login(co.password), 429, 4001);
  });
});
