'use strict';
// The official client forced onto each transport (WebSockets, Server-Sent
// Events, Long Polling) and each protocol (JSON, MessagePack; SSE carries
// text only) runs a whole conversation, visitor and operator both on it:
// the first message creates and assigns the chat, replies both ways, typing
// both ways, read receipts, status changes, and the reads (GetMessages,
// Sync) agree with REST. What each side receives is what the JSON client on
// WebSockets receives (12-conversation checks that one in detail).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const COMBOS = [
  ['WebSockets', 'json'], ['WebSockets', 'messagepack'],
  ['ServerSentEvents', 'json'],
  ['LongPolling', 'json'], ['LongPolling', 'messagepack'],
];

describe('hub transports: a conversation on each transport and protocol', () => {
  let srv;
  before(async () => { srv = await h.startServer({ env: hub.HUB_ENV }); });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  for (const [transport, protocol] of COMBOS) {
    test(`${transport} + ${protocol}`, async () => {
      const opts = { transport, protocol };
      const fx = await hub.makeOrgFixture(srv, `tr-${transport}-${protocol}`.toLowerCase(), { operators: 1 });
      const op = await hub.connectHub(srv.base, fx.ops[0].token, { ...opts, label: `operator (${transport}/${protocol})` });
      const comp = await hub.connectHub(srv.base, fx.token, { ...opts, label: 'company' });
      const s = await hub.widgetSession(srv, fx.guid, { name: 'Transport Visitor' });
      const v = await hub.connectHub(srv.base, s.visitorToken, { ...opts, label: 'visitor' });
      for (const c of [op, comp, v]) assert.equal(c.transport, transport, `${c.label} uses ${transport}`);

      // the first message: created, assigned, received by the operator side, not echoed
      const m1 = await v.invoke('SendMessage', null, 'Hello over ' + transport, crypto.randomUUID());
      hub.assertMessage(m1, { seq: 1, author: 1, status: 1 });
      const chatId = m1.chatId;
      for (const c of [op, comp]) {
        const [created] = await c.waitFor('ChatCreated', (ch) => ch.id === chatId);
        hub.assertChat(created, { organizationId: fx.orgId, chatStatus: 0 });
        const [assigned] = await c.waitFor('ChatAssigned', (ch) => ch.id === chatId);
        hub.assertChat(assigned, { chatStatus: 1, operatorId: fx.ops[0].id });
        const [rm] = await c.waitFor('ReceiveMessage', (m) => m.id === m1.id);
        assert.deepEqual(rm, m1, `${c.label}: the stored message`);
      }

      // the reply: the visitor receives it, the chat goes Waiting
      const vm = v.mark();
      const m2 = await op.invoke('SendMessage', chatId, 'Hi! How can I help? ✓ €', crypto.randomUUID());
      hub.assertMessage(m2, { chatId, seq: 2, author: 0, operatorId: fx.ops[0].id });
      assert.deepEqual((await v.waitFor('ReceiveMessage', (m) => m.id === m2.id, { from: vm }))[0], m2);
      await v.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 2, { from: vm });

      // typing, both ways
      const om = op.mark();
      assert.equal(await v.invoke('Typing', chatId), null);
      assert.deepEqual(await op.waitFor('Typing', (id) => id === chatId, { from: om }), [chatId, 1]);
      assert.equal(await op.invoke('Typing', chatId), null);
      assert.deepEqual(await v.waitFor('Typing', (id) => id === chatId, { from: vm }), [chatId, 0]);

      // read receipts, both ways
      assert.equal(await v.invoke('MarkRead', chatId, 2), null);
      assert.deepEqual(await op.waitFor('MessageStatusChanged', (id) => id === m2.id, { from: om }), [m2.id, 3]);
      assert.deepEqual(await op.waitFor('MessagesRead', (id, seq, who) => id === chatId && who === 'client', { from: om }), [chatId, 2, 'client']);
      assert.equal(await op.invoke('MarkRead', chatId, 1), null);
      assert.deepEqual(await v.waitFor('MessageStatusChanged', (id) => id === m1.id, { from: vm }), [m1.id, 3]);
      assert.deepEqual(await v.waitFor('MessagesRead', (id, seq, who) => id === chatId && who === 'operator', { from: vm }), [chatId, 1, 'operator']);

      // a visitor message (Waiting → Open), then the reads agree with REST
      const m3 = await v.invoke('SendMessage', chatId, 'Order #42', crypto.randomUUID());
      await op.waitFor('ReceiveMessage', (m) => m.id === m3.id, { from: om });
      await op.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 1, { from: om });
      const rest = await hub.allMessages(srv, fx.token, chatId);
      hub.assertContiguous(rest, 1);
      for (const c of [op, v, comp]) {
        assert.deepEqual(await c.invoke('GetMessages', chatId, null, 50), rest, `${c.label}: GetMessages = REST`);
        const sy = await c.invoke('Sync', { chats: { [chatId]: 1 } });
        assert.equal(sy.truncated, false);
        assert.equal(sy.chats.find((x) => x.id === chatId).lastSeq, 3);
        assert.deepEqual(sy.messages.filter((m) => m.chatId === chatId), rest.slice(1), `${c.label}: Sync after seq 1`);
      }

      // statuses: the operator closes the chat; an illegal change is refused; visitors may not
      const closed = await op.invoke('SetChatStatus', chatId, 4);
      hub.assertChat(closed, { id: chatId, chatStatus: 4 });
      await v.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 4, { from: vm });
      await comp.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 4);
      assert.match(await op.invokeError('SetChatStatus', chatId, 2), /conflict/i);
      assert.match(await v.invokeError('SetChatStatus', chatId, 1), /visitors cannot change/);

      // a REST send reaches both sides through this transport too
      const mr = await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: 'from REST' });
      await v.waitFor('ReceiveMessage', (m) => m.id === mr.id, { from: vm });
      await op.waitFor('ReceiveMessage', (m) => m.id === mr.id, { from: om });

      for (const c of [op, comp, v]) {
        await c.stop();
        assert.equal(c.state, hub.signalR.HubConnectionState.Disconnected);
      }
    });
  }

  test('the official client with default options negotiates and picks WebSockets', async () => {
    const fx = await hub.makeOrgFixture(srv, 'tr-default', { operators: 1 });
    const c = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'default' });
    assert.equal(c.transport, 'WebSockets');
    await c.stop();
  });
});
