'use strict';
// Tenant isolation: every id of one company used with the other company's
// token answers 404 and changes nothing; both directions.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

describe('tenant isolation', () => {
  let srv;
  const co = {};

  async function setup(login) {
    const c = await h.makeCompany(srv, login, { orgName: `${login} main` });
    const org2 = await h.createOrg(srv, c.token, `${login} second`);
    const ops = await h.syncOperators(srv, c.token, [
      { organizationId: c.orgId, name: `${login} op one`, externalId: `${login}-1` },
      { organizationId: c.orgId, name: `${login} op two` },
      { organizationId: org2.id, name: `${login} op three` },
    ]);
    const inactive = ops[1];
    await h.setStatus(srv, c.token, inactive.id, 1);
    const token = await h.operatorToken(srv, c.token, ops[0].id);
    return { ...c, orgIds: [c.orgId, org2.id], ops, opToken: token };
  }

  // Everything a company can see: its orgs (with settings) and all operators.
  async function snapshot(c) {
    const orgs = await h.api(srv.base, 'GET', '/api/company/organization', { token: c.token });
    h.assertOk(orgs);
    const details = [];
    const operators = [];
    for (const o of orgs.json) {
      const d = await h.api(srv.base, 'GET', `/api/company/organization/${o.id}`, { token: c.token });
      h.assertOk(d);
      details.push(d.json);
      operators.push(...await h.listOperators(srv, c.token, o.id, true));
    }
    return { orgs: orgs.json, details, operators };
  }

  before(async () => {
    srv = await h.startServer();
    co.a = await setup('alpha');
    co.b = await setup('bravo');
  });
  after(async () => { if (srv) await srv.stop(); });

  for (const [me, them] of [['a', 'b'], ['b', 'a']]) {
    describe(`company ${me} using company ${them}'s ids`, () => {
      let snapThem;
      let snapMine;
      test('snapshot', async () => {
        snapThem = await snapshot(co[them]);
        snapMine = await snapshot(co[me]);
        assert.equal(snapThem.orgs.length, 2);
        assert.equal(snapThem.operators.length, 3);
      });

      test('organization list never contains the other company\'s orgs', async () => {
        const mine = await h.api(srv.base, 'GET', '/api/company/organization', { token: co[me].token });
        h.assertOk(mine);
        const ids = mine.json.map((o) => o.id);
        for (const id of co[them].orgIds) assert.ok(!ids.includes(id), `org ${id} leaked: ${mine.text}`);
        assert.deepEqual(ids.sort((x, y) => x - y), [...co[me].orgIds].sort((x, y) => x - y));
      });

      test('GET/PUT organization/{id}: 404 3001', async () => {
        for (const id of co[them].orgIds) {
          h.assertError(await h.api(srv.base, 'GET', `/api/company/organization/${id}`, { token: co[me].token }), 404, 3001);
          h.assertError(await h.api(srv.base, 'PUT', `/api/company/organization/${id}`,
            { token: co[me].token, body: { name: 'hijacked', maxChatsPerOperator: 9, allowedOrigins: ['https://evil.example'] } }),
          404, 3001);
        }
      });

      test('unknown and foreign ids answer identically', async () => {
        const unknown = await h.api(srv.base, 'GET', '/api/company/organization/987654321', { token: co[me].token });
        const foreign = await h.api(srv.base, 'GET', `/api/company/organization/${co[them].orgId}`, { token: co[me].token });
        h.assertError(unknown, 404, 3001);
        h.assertError(foreign, 404, 3001);
        assert.equal(foreign.json.message.replace(String(co[them].orgId), 'ID'),
          unknown.json.message.replace('987654321', 'ID'), 'same answer for foreign and unknown');
      });

      test('GET operator?organizationId: 404 3001', async () => {
        for (const id of co[them].orgIds) {
          h.assertError(await h.api(srv.base, 'GET', `/api/operator?organizationId=${id}`, { token: co[me].token }), 404, 3001);
          h.assertError(await h.api(srv.base, 'GET', `/api/operator?organizationId=${id}&includeDeleted=true`,
            { token: co[me].token }), 404, 3001);
        }
      });

      test('synchronize into the other company\'s org: 404, nothing written', async () => {
        for (const id of co[them].orgIds) {
          h.assertError(await h.api(srv.base, 'POST', '/api/operator/synchronize',
            { token: co[me].token, body: [{ organizationId: id, name: 'Intruder' }] }), 404, 3001);
          // with the other company's externalId: must not update their operator
          h.assertError(await h.api(srv.base, 'POST', '/api/operator/synchronize',
            { token: co[me].token, body: [{ organizationId: id, name: 'Renamed', externalId: `${co[them].login}-1` }] }), 404, 3001);
          // mixed with a valid row of my own: all or nothing
          h.assertError(await h.api(srv.base, 'POST', '/api/operator/synchronize', {
            token: co[me].token,
            body: [{ organizationId: co[me].orgId, name: 'Mine' }, { organizationId: id, name: 'Intruder' }],
          }), 404, 3001);
        }
      });

      test('operator status on the other company\'s operators: 404', async () => {
        for (const op of co[them].ops) {
          for (const status of [0, 1, 2]) {
            h.assertError(await h.api(srv.base, 'POST', '/api/operator/status',
              { token: co[me].token, body: { id: op.id, status } }), 404, 3001);
          }
        }
      });

      test('get-token for the other company\'s operators: 404', async () => {
        for (const op of co[them].ops) {
          h.assertError(await h.api(srv.base, 'POST', '/api/operator/get-token',
            { token: co[me].token, body: { id: op.id, expiresAt: h.isoIn(3600e3) } }), 404, 3001);
        }
      });

      test('validate-token of the other company\'s operator token: Invalid token', async () => {
        const v = await h.validate(srv, co[me].token, co[them].opToken);
        assert.deepEqual(v, { isValid: false, valid: false, operatorId: null, clientId: null, expiresAt: null, error: 'Invalid token' });
        const own = await h.validate(srv, co[them].token, co[them].opToken);
        assert.equal(own.isValid, true, 'still valid for its own company');
        assert.equal(own.clientId, co[them].companyId);
      });

      test('nothing of the other company changed; nothing leaked into mine', async () => {
        assert.deepEqual(await snapshot(co[them]), snapThem);
        assert.deepEqual(await snapshot(co[me]), snapMine);
      });
    });
  }

  test('company ids differ and validate-token reports each company as clientId', async () => {
    assert.notEqual(co.a.companyId, co.b.companyId);
    assert.equal((await h.validate(srv, co.a.token, co.a.opToken)).clientId, co.a.companyId);
    assert.equal((await h.validate(srv, co.b.token, co.b.opToken)).clientId, co.b.companyId);
  });
});
