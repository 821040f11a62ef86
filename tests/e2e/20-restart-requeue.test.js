'use strict';
// Offline grace across a restart: grace timers live in memory, so a grace
// period after start the server returns to the queue the chats of operators
// that never reconnected, and routes them to those who are online.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('requeue after a restart', () => {
  let srv;
  let co;

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_OFFLINE_GRACE_SECONDS: '2' } });
    co = await h.makeCompany(srv, 'restartco');
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('a chat of an operator who does not come back after kill -9 goes to one who does', async () => {
    const o = await hub.addOrg(srv, co, 'Restart org', { operators: 2 });
    const a = await hub.connectHub(srv.base, o.ops[0].token, { label: 'A' });
    const v = await hub.visitorChat(srv, o.guid, 'help after restart');
    const assigned = await hub.pollUntil(async () => {
      const c = await hub.getChat(srv, co.token, v.chatId);
      return c && c.operator ? c : null;
    }, { ms: 10000, what: 'assignment to A' });
    assert.equal(assigned.operator.id, o.ops[0].id);
    await a.stop();
    await v.stop();
    await srv.kill9();
    await srv.restart();
    const b = await hub.connectHub(srv.base, o.ops[1].token, { label: 'B' });
    const moved = await hub.pollUntil(async () => {
      const c = await hub.getChat(srv, co.token, v.chatId);
      return c && c.operator && c.operator.id === o.ops[1].id ? c : null;
    }, { ms: 15000, what: 'the chat moving to B after the grace period' });
    assert.equal(moved.chatStatus, 1);
    await b.stop();
  });
});
