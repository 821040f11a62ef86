'use strict';
// A userJWT `name` longer than the 256 bytes a client name holds is cut on a
// UTF-8 character boundary: the chat stays visible everywhere (list, Sync,
// ChatCreated/ChatAssigned, status changes) with a valid name.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('client names cut inside a UTF-8 character', () => {
  let srv;
  let A;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    A = await hub.makeOrgFixture(srv, 'utf8nameco', { operators: 1 });
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  test('a 401-byte userJWT name: the chat is listed, synced and announced with a valid prefix of it', async () => {
    const secret = crypto.randomBytes(20).toString('hex');
    await hub.putOrg(srv, A.token, A.orgId, { identitySecret: secret });
    const company = await hub.connectHub(srv.base, A.token, { label: 'company' });
    const op = await hub.connectHub(srv.base, A.ops[0].token, { label: 'operator' });
    const given = `a${'é'.repeat(200)}`;
    assert.equal(Buffer.byteLength(given), 401);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const s = await hub.widgetSession(srv, A.guid, { userJWT: hub.hs256({ sub: 'long-name', name: given, exp }, secret) });
    const v = await hub.connectHub(srv.base, s.visitorToken, { label: 'visitor' });
    const m = await v.invoke('SendMessage', null, 'Hello with a long name', crypto.randomUUID());
    const chatId = m.chatId;
    assert.ok(Number.isInteger(chatId) && chatId > 0, JSON.stringify(m));

    const checkName = (c, where) => {
      assert.ok(c && c.client, `${where}: chat with a client: ${JSON.stringify(c)}`);
      const n = c.client.name;
      assert.equal(typeof n, 'string', where);
      assert.ok(n.length > 0, `${where}: a name`);
      assert.ok(Buffer.byteLength(n) <= 256, `${where}: ${Buffer.byteLength(n)} bytes`);
      assert.ok(!n.includes('\uFFFD'), `${where}: no replacement character`);
      assert.equal(Buffer.from(n, 'utf8').toString('utf8'), n, `${where}: valid UTF-8`);
      assert.ok(given.startsWith(n), `${where}: a prefix of the given name`);
      assert.equal(Buffer.byteLength(n), 255, `${where}: a + 127 × é`);
    };

    // announced to the company with the chat, never with empty arguments
    const created = await company.waitFor('ChatCreated', (c) => c && c.id === chatId, { what: 'ChatCreated' });
    checkName(created[0], 'ChatCreated');
    const assigned = await company.waitFor('ChatAssigned', (c) => c && c.id === chatId, { what: 'ChatAssigned' });
    checkName(assigned[0], 'ChatAssigned');
    assert.deepEqual(company.all('ChatCreated', (...args) => args.length === 0 || !args[0]), [], 'no empty ChatCreated');
    assert.deepEqual(company.all('ChatAssigned', (...args) => args.length === 0 || !args[0]), [], 'no empty ChatAssigned');

    // listed: items and total agree
    const list = await hub.listChats(srv, A.token, 'per_page=100');
    assert.equal(list.items.length, list.total, JSON.stringify(list));
    checkName(list.items.find((c) => c.id === chatId), 'GET /api/chat/chats');
    // the company's Sync (and the operator's)
    for (const [who, c] of [['company', company], ['operator', op]]) {
      const sync = await c.invoke('Sync', { chats: {} });
      checkName(sync.chats.find((x) => x.id === chatId), `${who} Sync`);
    }
    // a status change answers the chat, not null
    const st = await hub.setChatStatus(srv, A.token, chatId, 2);
    assert.equal(st.status, 200, h.describeRes(st));
    assert.ok(st.json && st.json.id === chatId, h.describeRes(st));
    checkName(st.json, 'PUT /api/chat/status');
  });
});
