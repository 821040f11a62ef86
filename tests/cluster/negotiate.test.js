'use strict';
// A balancer without sticky sessions may send the negotiation and the
// WebSocket upgrade of one client to different processes: the upgrade naming
// an id another process issued opens a connection of its own there (on one
// process an unknown id stays a 404: tests/e2e/38). The official client,
// through haproxy, connects every time.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const { startCluster } = require('./lib/cluster');

describe('cluster negotiation', () => {
  let cl;
  let fx;
  before(async () => {
    cl = await startCluster({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(cl, 'negco', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (cl) await cl.stop();
  });

  test('negotiated on node 1, upgraded on node 2: 101 and a working hub connection', async () => {
    const tok = fx.ops[0].token;
    const neg = await h.api(cl.nodeBase(1), 'POST', '/chathub/negotiate?negotiateVersion=1', { token: tok });
    h.assertOk(neg);
    const up = await hub.rawUpgrade(cl.nodePort(2), `/chathub?id=${encodeURIComponent(neg.json.connectionToken)}`,
      { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(up.status, 101, `upgrade on node 2 with node 1's id: ${up.head}\n${up.body || ''}`);
    await up.ws.handshake();
    assert.deepEqual(await up.ws.nextMessage(() => true), {});
    const r = await up.ws.invoke('1', 'Sync', [{ chats: {} }]);
    assert.equal(r.error, undefined, JSON.stringify(r));
    assert.equal(r.result.operatorId, fx.ops[0].id);
    up.ws.destroy();
    // an id this process issued is still its own: another principal's is a 404
    const other = await hub.rawUpgrade(cl.nodePort(1), `/chathub?id=${encodeURIComponent(neg.json.connectionToken)}`,
      { headers: { Authorization: `Bearer ${fx.token}` } });
    assert.equal(other.status, 404, other.head);
  });

  test('the official client with negotiation through haproxy connects 30 times out of 30', async () => {
    for (let i = 0; i < 30; i++) {
      const c = await hub.connectHub(cl.base, fx.ops[0].token, { label: `negotiated ${i}` });
      const s = await c.invoke('Sync', { chats: {} });
      assert.equal(s.operatorId, fx.ops[0].id);
      await c.stop();
    }
  });
});
