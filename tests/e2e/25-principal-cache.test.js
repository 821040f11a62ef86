'use strict';
// validate-token and token authentication are answered from a cache of
// principals (and validate-token on the network thread). A revocation must
// still be seen by every request that starts after it was acknowledged.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

describe('principal cache', () => {
  let srv;
  let co;

  before(async () => {
    // the hammer below sends as fast as the server answers: no rate limit may cut it short
    srv = await h.startServer({ env: { CHATHUB_RATE_LIMIT_PER_SECOND: '1000000', CHATHUB_RATE_LIMIT_BURST: '1000000' } });
    co = await h.makeCompany(srv, 'pcacheco');
  });
  after(async () => { if (srv) await srv.stop(); });

  const validate = (opToken, headers) => h.api(srv.base, 'POST', '/api/operator/validate-token',
    { token: co.token, body: { token: opToken }, headers });

  test('revocation is seen by the very next request, under concurrent validation', async () => {
    const [op] = await h.syncOperators(srv, co.token, [{ organizationId: co.orgId, name: 'Cached' }]);
    const tok = await h.operatorToken(srv, co.token, op.id);
    for (let i = 0; i < 5; i++) assert.equal((await validate(tok)).json.isValid, true);
    // hammer validate while revoking; every request that starts after the 200 says revoked
    let stop = false;
    const late = [];
    let acked = false;
    const hammer = (async () => {
      while (!stop) {
        const startedAfterAck = acked;
        const r = await validate(tok);
        if (startedAfterAck) late.push(r.json);
      }
    })();
    await h.sleep(50);
    await h.setStatus(srv, co.token, op.id, 1);
    acked = true;
    const right = await validate(tok);
    assert.deepEqual([right.json.isValid, right.json.error], [false, 'Token revoked']);
    const auth = await h.api(srv.base, 'GET', '/api/chat/chats', { token: tok });
    h.assertError(auth, 401, 2003);
    await h.sleep(100);
    stop = true;
    await hammer;
    assert.ok(late.length > 0);
    assert.ok(late.every((j) => j.isValid === false && j.error === 'Token revoked'), JSON.stringify(late.slice(0, 3)));

    // back to Active: the old token stays revoked (its epoch is gone), a new one is valid
    await h.setStatus(srv, co.token, op.id, 0);
    assert.equal((await validate(tok)).json.error, 'Token revoked');
    const fresh = await h.operatorToken(srv, co.token, op.id);
    assert.equal((await validate(fresh)).json.isValid, true);
    h.assertOk(await h.api(srv.base, 'GET', '/api/chat/chats', { token: fresh }));

    // Deleted: revoked
    await h.setStatus(srv, co.token, op.id, 2);
    assert.equal((await validate(fresh)).json.error, 'Token revoked');
  });

  test('an operator created by the CLI while the server runs is seen at once', async () => {
    const r = await h.cli(['operator', 'create', '--org', co.orgId, '--name', 'From CLI'], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    const id = h.parseId(r.stdout);
    const tok = await h.operatorToken(srv, co.token, id);
    assert.equal((await validate(tok)).json.isValid, true);
  });

  test('with an Origin the answer carries CORS headers exactly as before', async () => {
    const [op] = await h.syncOperators(srv, co.token, [{ organizationId: co.orgId, name: 'Cors' }]);
    const tok = await h.operatorToken(srv, co.token, op.id);
    await validate(tok); // cached
    const r = await validate(tok, { Origin: 'https://crm.example.com' });
    assert.equal(r.json.isValid, true);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://crm.example.com');
  });

  test('another company\'s token and a forged one: invalid, also when cached', async () => {
    const other = await h.makeCompany(srv, 'pcacheother');
    const [op] = await h.syncOperators(srv, other.token, [{ organizationId: other.orgId, name: 'Theirs' }]);
    const theirs = await h.operatorToken(srv, other.token, op.id);
    const rt = await h.api(srv.base, 'POST', '/api/operator/validate-token',
      { token: other.token, body: { token: theirs } });
    assert.equal(rt.json.isValid, true, 'valid for its own company (and now cached)');
    assert.equal((await validate(theirs)).json.error, 'Invalid token');
    const forged = theirs.slice(0, -2) + (theirs.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await validate(forged)).json.error, 'Invalid token');
  });
});
