'use strict';
// POST /api/company/password (the console's password change) and
// GET /api/company/status (the console's home page): a change revokes every
// company token, hub connections included, and answers a fresh one; the
// current password is checked like a login, under the same limits.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const RATE = 3;

describe('company password change', () => {
  let srv;
  let fx;
  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_LOGIN_RATE_PER_MINUTE: String(RATE) } });
    fx = await hub.makeOrgFixture(srv, 'pwco', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const change = (token, body, opts = {}) => h.api(srv.base, 'POST', '/api/company/password', { token, body, ...opts });
  const orgs = (token) => h.api(srv.base, 'GET', '/api/company/organization', { token });

  test('malformed bodies and out-of-bounds new passwords: 400', async () => {
    h.assertError(await change(fx.token, undefined, { rawBody: '{', headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    h.assertError(await change(fx.token, [1]), 400, 1001);
    h.assertError(await change(fx.token, { newPassword: 'x' }), 400, 1002);
    h.assertError(await change(fx.token, { currentPassword: fx.password }), 400, 1002);
    h.assertError(await change(fx.token, { currentPassword: fx.password, newPassword: 5 }), 400, 1001);
    h.assertError(await change(fx.token, { currentPassword: fx.password, newPassword: '' }), 400, 1003);
    h.assertError(await change(fx.token, { currentPassword: fx.password, newPassword: 'x'.repeat(1025) }), 400, 1003);
    h.assertError(await change(fx.token, { currentPassword: fx.password, newPassword: 'a\u0000b' }), 400, 1001);
    h.assertOk(await orgs(fx.token), 200, 'nothing changed');
  });

  test('an API key, an operator, a visitor and no token cannot change it', async () => {
    const key = await h.api(srv.base, 'POST', '/api/company/api-keys', { token: fx.token, body: { name: 'k' } });
    h.assertOk(key, 201);
    const body = { currentPassword: fx.password, newPassword: 'never-set-1' };
    h.assertError(await change(key.json.key, body), 403, 2005, 'API key');
    h.assertError(await change(fx.ops[0].token, body), 403, 2005);
    const v = await hub.widgetSession(srv, fx.guid, {});
    h.assertError(await change(v.visitorToken, body), 403, 2005);
    h.assertError(await change(undefined, body), 401, 2001);
    h.assertOk(await orgs(fx.token), 200, 'nothing changed');
  });

  test('a change revokes the old tokens and their hub connections; the answer and the new password work', async () => {
    const other = await h.companyToken(srv.base, 'pwco', fx.password);
    const conn = await hub.connectHub(srv.base, other, { label: 'company (old token)' });
    assert.ok(Array.isArray((await conn.invoke('Sync', { chats: {} })).chats));
    const r = await change(fx.token, { currentPassword: fx.password, newPassword: 'the new one 1' });
    h.assertOk(r, 200);
    const fresh = r.text.trim();
    assert.match(fresh, h.JWT_RE);
    assert.equal(h.decodeJwt(fresh).payload.exp, undefined);
    await conn.waitClosed();
    h.assertError(await orgs(fx.token), 401, 2003);
    h.assertError(await orgs(other), 401, 2003);
    h.assertOk(await orgs(fresh), 200, 'the answered token works');
    h.assertError(await h.api(srv.base, 'POST', '/api/company/get-token',
      { body: { login: 'pwco', password: fx.password } }), 401, 2004);
    const again = await h.companyToken(srv.base, 'pwco', 'the new one 1');
    h.assertOk(await orgs(again), 200);
    const c2 = await hub.connectHub(srv.base, fresh, { label: 'company (new token)' });
    assert.ok(Array.isArray((await c2.invoke('Sync', { chats: {} })).chats));
    fx.token = fresh;
    fx.password = 'the new one 1';
  });

  test('a wrong current password: 401 2004, counted by the login limits (then 429 even with the right one)', async () => {
    // the same buckets as get-token: its failure with the old password above was the first
    for (let i = 0; i < RATE - 1; i++) {
      h.assertError(await change(fx.token, { currentPassword: 'wrong', newPassword: 'x1' }), 401, 2004,
        'current password');
    }
    const limited = await change(fx.token, { currentPassword: fx.password, newPassword: 'x1' });
    h.assertError(limited, 429, 4001);
    assert.match(limited.headers.get('retry-after') || '', /^\d+$/);
    h.assertError(await h.api(srv.base, 'POST', '/api/company/get-token',
      { body: { login: 'pwco', password: fx.password } }), 429, 4001);
    h.assertOk(await orgs(fx.token), 200, 'the token still works: nothing changed');
  });
});

describe('company status (SQLite: chathub backup)', { skip: h.SQLITE_ONLY }, () => {
  let srv;
  let co;
  const work = h.makeTempDir('chathub-status-');
  before(async () => {
    srv = await h.startServer({ single: true, sqlite: true });
    co = await h.makeCompany(srv, 'statusco');
  });
  after(async () => { if (srv) await srv.stop(); });

  const status = (token) => h.api(srv.base, 'GET', '/api/company/status', { token });

  test('lastBackupAt is null, then the time of `chathub backup`; an API key reads it too', async () => {
    const none = await status(co.token);
    h.assertOk(none, 200);
    assert.deepEqual(none.json, { lastBackupAt: null });
    const t0 = Date.now();
    const r = await h.cli(['backup', path.join(work, 'b.db')], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    const t1 = Date.now();
    const key = await h.api(srv.base, 'POST', '/api/company/api-keys', { token: co.token, body: { name: 'k' } });
    h.assertOk(key, 201);
    for (const t of [co.token, key.json.key]) {
      const s = await status(t);
      h.assertOk(s, 200);
      assert.match(s.json.lastBackupAt, hub.ISO_RE);
      const at = Date.parse(s.json.lastBackupAt);
      assert.ok(at >= t0 - 1000 && at <= t1 + 1000, `${s.json.lastBackupAt} within the backup run`);
    }
  });

  test('operators and visitors: 403; no token: 401', async () => {
    const fx = await hub.addOrg(srv, co, 'Second', { operators: 1 });
    h.assertError(await status(fx.ops[0].token), 403, 2005);
    const v = await hub.widgetSession(srv, fx.guid, {});
    h.assertError(await status(v.visitorToken), 403, 2005);
    h.assertError(await status(undefined), 401, 2001);
  });
});
