'use strict';
// The public integration flow, written the way the public documentation shows
// it (plain fetch, Accept: text/plain, response.text() for tokens).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const { fetch } = h; // plain fetch, its responses checked against web/openapi.json like h.api's

describe('public flow', () => {
  let srv;
  let baseUrl;
  const login = 'publicco';
  const password = 'S3cret pass!';

  before(async () => {
    srv = await h.startServer();
    baseUrl = srv.base;
    await h.createCompany(srv, login, password);
    const t = await h.companyToken(srv.base, login, password);
    const org = await h.createOrg(srv, t, 'test_costs');
    await h.syncOperators(srv, t, [{ organizationId: org.id, name: 'First operator' }]);
  });
  after(async () => { if (srv) await srv.stop(); });

  // --- the documented helpers, as a customer would write them --------------
  async function getCompanyToken(login, password) {
    const response = await fetch(`${baseUrl}/api/company/get-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/plain' },
      body: JSON.stringify({ login, password }),
    });
    assert.equal(response.status, 200);
    return response.text();
  }

  async function getOrganizations(companyToken) {
    const response = await fetch(`${baseUrl}/api/company/organization`, {
      headers: { Authorization: `Bearer ${companyToken}`, Accept: 'text/plain' },
    });
    assert.equal(response.status, 200);
    return response.json();
  }

  async function getOperators(companyToken, orgId) {
    const response = await fetch(`${baseUrl}/api/operator?organizationId=${orgId}`, {
      headers: { 'X-Authorization-Key': companyToken, Accept: 'text/plain' },
    });
    assert.equal(response.status, 200);
    return response.json();
  }

  async function getOperatorToken(companyToken, operatorId) {
    const expiresAt = new Date(Date.now() + 24 * 60 * 60 * 1000); // 24 hours
    const response = await fetch(`${baseUrl}/api/operator/get-token`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${companyToken}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ id: operatorId, expiresAt: expiresAt.toISOString() }),
    });
    assert.equal(response.status, 200);
    return response.text();
  }

  async function validateToken(companyToken, token) {
    const response = await fetch(`${baseUrl}/api/operator/validate-token`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${companyToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    assert.equal(response.status, 200);
    return response.json();
  }

  test('company token → organizations → operators → operator token → validate', async () => {
    const companyToken = await getCompanyToken(login, password);
    assert.match(companyToken, h.JWT_RE, 'response.text() is the bare token');

    const organizations = await getOrganizations(companyToken);
    assert.ok(Array.isArray(organizations));
    assert.deepEqual(organizations.map((o) => o.name), ['test_costs']);
    const orgId = organizations[0].id;

    const operators = await getOperators(companyToken, orgId);
    assert.equal(operators.length, 1);
    assert.deepEqual(operators[0].organization, { id: orgId, name: 'test_costs' });
    assert.equal(operators[0].status, 0);
    const operatorId = operators[0].id;

    const operatorToken = await getOperatorToken(companyToken, operatorId);
    assert.match(operatorToken, h.JWT_RE, 'response.text() is the bare operator token');

    const result = await validateToken(companyToken, operatorToken);
    assert.equal(result.isValid, true, JSON.stringify(result));
    assert.equal(result.operatorId, operatorId);
    assert.equal(result.error, null);
    const hoursLeft = (Date.parse(result.expiresAt) - Date.now()) / 3600e3;
    assert.ok(hoursLeft > 23.9 && hoursLeft <= 24.02, `expires about 24 h from now: ${result.expiresAt}`);

    // the token string exactly as response.text() returned it authenticates
    // (an operator token on a company endpoint is a 403, not a 401)
    const use = await fetch(`${baseUrl}/api/company/organization`, {
      headers: { Authorization: `Bearer ${operatorToken}`, Accept: 'text/plain' },
    });
    assert.equal(use.status, 403);
    assert.equal((await use.json()).code, 2005);
    const use2 = await fetch(`${baseUrl}/api/company/organization`, {
      headers: { 'X-Authorization-Key': operatorToken },
    });
    assert.equal(use2.status, 403);
    await use2.arrayBuffer();
  });

  test('the sync step of the public flow: add operators, then list them', async () => {
    const companyToken = await getCompanyToken(login, password);
    const [org] = await getOrganizations(companyToken);
    const response = await fetch(`${baseUrl}/api/operator/synchronize`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${companyToken}`, 'Content-Type': 'application/json', Accept: 'text/plain' },
      body: JSON.stringify([{ organizationId: org.id, name: 'Second operator' }]),
    });
    assert.equal(response.status, 200);
    const created = await response.json();
    assert.equal(created.length, 1);
    assert.equal(created[0].name, 'Second operator');
    assert.equal(created[0].status, 0);
    const operators = await getOperators(companyToken, org.id);
    assert.deepEqual(operators.map((o) => o.name), ['First operator', 'Second operator']);

    const statusRes = await fetch(`${baseUrl}/api/operator/status`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${companyToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: created[0].id, status: 2 }),
    });
    assert.equal(statusRes.status, 200);
    assert.equal(await statusRes.text(), '');
    assert.deepEqual((await getOperators(companyToken, org.id)).map((o) => o.name), ['First operator']);
  });

  test('clients that read a JSON string get the same usable token', async () => {
    const response = await fetch(`${baseUrl}/api/company/get-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ login, password }),
    });
    assert.equal(response.status, 200);
    const companyToken = await response.json();
    assert.match(companyToken, h.JWT_RE);
    const organizations = await getOrganizations(companyToken);
    assert.equal(organizations.length, 1);
  });
});
