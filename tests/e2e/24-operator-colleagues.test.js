'use strict';
// GET /api/operator/colleagues: an operator token lists the operators of its
// own organization with their live presence (the panel's transfer list).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('operator colleagues', () => {
  let srv;
  let o;
  let other;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'colleaguesco', { operators: 3 });
    other = await hub.addOrg(srv, o.company, 'Other org', { operators: 1 });
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  const list = (token) => h.api(srv.base, 'GET', '/api/operator/colleagues', { token });
  const byId = (rows) => Object.fromEntries(rows.map((r) => [r.id, r]));

  test('own organization only, with status and live presence', async () => {
    const [a, bop, c] = o.ops;
    let r = await list(a.token);
    h.assertOk(r);
    assert.deepEqual(r.json.map((x) => x.id).sort((x, y) => x - y), [a.id, bop.id, c.id].sort((x, y) => x - y));
    assert.ok(r.json.every((x) => x.presence === 'offline' && x.status === 0 && typeof x.name === 'string'));

    const hb = await hub.connectHub(srv.base, bop.token, { label: 'b' });
    const hc = await hub.connectHub(srv.base, c.token, { label: 'c' });
    await hc.invoke('SetPresence', 'away');
    await hub.pollUntil(async () => {
      const m = byId((await list(a.token)).json);
      return m[bop.id].presence === 'online' && m[c.id].presence === 'away';
    }, { what: 'presence online/away' });
    await hb.stop();
    await hub.pollUntil(async () => byId((await list(a.token)).json)[bop.id].presence === 'offline',
      { what: 'presence offline after disconnect' });

    await h.setStatus(srv, o.token, c.id, 1);
    const m = byId((await list(a.token)).json);
    assert.equal(m[c.id].status, 1, 'an Inactive colleague is listed with its status');

    const theirs = await list(other.ops[0].token);
    assert.deepEqual(theirs.json.map((x) => x.id), [other.ops[0].id], 'another organization sees only its own');
  });

  test('company and visitor tokens, no token: refused', async () => {
    assert.equal((await list(o.token)).status, 403);
    const s = await hub.widgetSession(srv, o.guid);
    assert.equal((await list(s.visitorToken)).status, 403);
    assert.equal((await list(undefined)).status, 401);
  });
});
