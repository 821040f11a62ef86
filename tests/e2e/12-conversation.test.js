'use strict';
// Acceptance 1: a whole conversation over the hub, as a visitor and an
// operator see it: first message → chat created and assigned → reply → typing
// → read receipts → status changes → close → reopen. Plus REST sends reaching
// the hub and clientMessageId idempotency over both.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const { fetch } = h; // plain fetch, its responses checked against web/openapi.json like h.api's
const hub = require('./lib/hub');

describe('conversation', () => {
  let srv;
  let fx;
  let op;        // operator A (fx.ops[0]) hub connection
  let comp;      // the company's hub connection
  let v;         // visitor tab 1
  let v2;        // visitor tab 2 (same visitor token)
  let chatId;
  const msgs = {}; // name → stored message

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'convoco', { operators: 1 });
    op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
    comp = await hub.connectHub(srv.base, fx.token, { label: 'company' });
    v = await hub.visitor(srv, fx.guid, { name: 'Vera Visitor', label: 'visitor tab 1' });
    v2 = await hub.connectHub(srv.base, v.session.visitorToken, { label: 'visitor tab 2' });
    assert.equal(v.session.chatId, null, 'a new visitor has no chat yet');
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('the visitor says hello: the chat is created (New, widget) and assigned to the online operator', async () => {
    const cmid = crypto.randomUUID();
    const m1 = await v.invoke('SendMessage', null, 'Hello, I need help with my order', cmid);
    hub.assertMessage(m1, { seq: 1, author: 1, operator: null, media: null, status: 1, clientMessageId: cmid,
      text: 'Hello, I need help with my order' });
    chatId = m1.chatId;
    msgs.m1 = m1;

    for (const c of [op, comp]) {
      const [created] = await c.waitFor('ChatCreated', (ch) => ch.id === chatId);
      hub.assertChat(created, { organizationId: fx.orgId, source: 3, chatStatus: 0, operator: null, theme: 'Vera Visitor' });
      assert.equal(created.client.id, v.session.clientId, `${c.label}: the chat's client is the visitor`);
      const [assigned] = await c.waitFor('ChatAssigned', (ch) => ch.id === chatId);
      hub.assertChat(assigned, { chatStatus: 1, operatorId: fx.ops[0].id, organizationId: fx.orgId, source: 3 });
      const [rm] = await c.waitFor('ReceiveMessage', (m) => m.chatId === chatId && m.seq === 1);
      assert.deepEqual(rm, m1, `${c.label}: ReceiveMessage is the stored message`);
    }
    // the other tab of the visitor gets it; the sending connection does not
    const [tab] = await v2.waitFor('ReceiveMessage', (m) => m.chatId === chatId && m.seq === 1);
    assert.deepEqual(tab, m1);
    await h.sleep(200);
    assert.equal(v.all('ReceiveMessage').length, 0, `no echo to the sending connection:\n${v.describeEvents()}`);

    // REST agrees: New → Open with operator A; the visitor's session now knows its chat
    const chat = await hub.getChat(srv, fx.token, chatId);
    hub.assertChat(chat, { chatStatus: 1, operatorId: fx.ops[0].id, source: 3, lastSeq: 1, countUnread: 1 });
    assert.equal(chat.client.name, 'Vera Visitor');
    const again = await hub.widgetSession(srv, fx.guid, { visitorToken: v.session.visitorToken });
    assert.equal(again.clientId, v.session.clientId);
    assert.equal(again.chatId, chatId);
  });

  test('the operator replies: the visitor receives it, the chat goes Open → Waiting', async () => {
    const vm = v.mark();
    const om = op.mark();
    const cmid = crypto.randomUUID();
    const m2 = await op.invoke('SendMessage', chatId, 'Hi Vera! Let me check that for you.', cmid);
    hub.assertMessage(m2, { chatId, seq: 2, author: 0, operatorId: fx.ops[0].id, status: 1, clientMessageId: cmid });
    assert.equal(m2.operator.name, fx.ops[0].name);
    msgs.m2 = m2;
    for (const c of [v, v2, comp]) {
      const [rm] = await c.waitFor('ReceiveMessage', (m) => m.id === m2.id, { from: c === v ? vm : 0 });
      assert.deepEqual(rm, m2, c.label);
      await c.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 2, { from: c === v ? vm : 0 });
    }
    await h.sleep(200);
    assert.equal(op.all('ReceiveMessage', (m) => m.id === m2.id, om).length, 0, 'no echo to the operator connection that sent it');
    const chat = await hub.getChat(srv, fx.token, chatId);
    assert.equal(chat.chatStatus, 2);
    assert.equal(chat.lastSeq, 2);
  });

  test('typing goes to the other side only, at most once per 2 s per connection', async () => {
    const om = op.mark();
    const vm = v.mark();
    assert.equal(await v.invoke('Typing', chatId), null);
    const [tc, ta] = await op.waitFor('Typing', (id) => id === chatId, { from: om });
    assert.deepEqual([tc, ta], [chatId, 1]);
    await comp.waitFor('Typing', (id, a) => id === chatId && a === 1);
    assert.equal(await op.invoke('Typing', chatId), null);
    const [vc, va] = await v.waitFor('Typing', (id) => id === chatId, { from: vm });
    assert.deepEqual([vc, va], [chatId, 0]);
    await v2.waitFor('Typing', (id, a) => id === chatId && a === 0);
    await h.sleep(300);
    assert.equal(v.all('Typing', (id, a) => a === 1, vm).length, 0, 'the visitor does not see its own typing');
    assert.equal(op.all('Typing', (id, a) => a === 0, om).length, 0, 'the operator does not see its own typing');

    // five Typing calls within a second from a fresh connection → one event
    const tab3 = await hub.connectHub(srv.base, v.session.visitorToken, { label: 'visitor tab 3' });
    const om2 = op.mark();
    for (let i = 0; i < 5; i++) {
      await tab3.invoke('Typing', chatId);
      await h.sleep(100);
    }
    await h.sleep(600);
    assert.equal(op.all('Typing', (id, a) => id === chatId && a === 1, om2).length, 1,
      `one Typing event for 5 calls within 1 s:\n${op.describeEvents(om2)}`);
    await tab3.stop();
  });

  test('read receipts: MessageStatusChanged(id, 3) to the author side, MessagesRead(chatId, seq, reader) to both', async () => {
    // the operator has not read the visitor's first message yet
    let chat = await hub.getChat(srv, fx.token, chatId);
    assert.equal(chat.countUnread, 1, JSON.stringify(chat));

    const om = op.mark();
    assert.equal(await v.invoke('MarkRead', chatId, 2), null);
    const ev = await op.waitFor('MessageStatusChanged', (id) => id === msgs.m2.id, { from: om });
    assert.deepEqual(ev, [msgs.m2.id, 3], 'exactly two arguments, as typed clients bind them');
    await comp.waitFor('MessageStatusChanged', (id, st) => id === msgs.m2.id && st === 3);
    assert.deepEqual(await op.waitFor('MessagesRead', (c, seq, who) => c === chatId && who === 'client', { from: om }), [chatId, 2, 'client']);
    await v2.waitFor('MessagesRead', (c, seq, who) => c === chatId && seq === 2 && who === 'client');

    const vm = v.mark();
    assert.equal(await op.invoke('MarkRead', chatId, 1), null);
    const ev2 = await v.waitFor('MessageStatusChanged', (id) => id === msgs.m1.id, { from: vm });
    assert.deepEqual(ev2, [msgs.m1.id, 3]);
    assert.deepEqual(await v.waitFor('MessagesRead', (c, seq, who) => c === chatId && who === 'operator', { from: vm }), [chatId, 1, 'operator']);
    // nothing new to read: no receipt
    const again = v.mark();
    assert.equal(await op.invoke('MarkRead', chatId, 1), null);
    await h.sleep(300);
    assert.equal(v.all('MessagesRead', (c, seq, who) => who === 'operator', again).length, 0);
    await v2.waitFor('MessageStatusChanged', (id, st) => id === msgs.m1.id && st === 3);

    const list = await hub.allMessages(srv, fx.token, chatId);
    assert.deepEqual(list.map((m) => [m.seq, m.status]), [[1, 3], [2, 3]]);
    chat = await hub.getChat(srv, fx.token, chatId);
    assert.equal(chat.countUnread, 0, JSON.stringify(chat));
  });

  test('a visitor message moves Waiting → Open; GetMessages and Sync agree with REST', async () => {
    const om = op.mark();
    const vm2 = v2.mark();
    const m3 = await v.invoke('SendMessage', chatId, 'It is order #1234', crypto.randomUUID());
    hub.assertMessage(m3, { chatId, seq: 3, author: 1, status: 1 });
    msgs.m3 = m3;
    await op.waitFor('ReceiveMessage', (m) => m.id === m3.id, { from: om });
    await op.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 1, { from: om });
    await v2.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 1, { from: vm2 });
    const chat = await hub.getChat(srv, fx.token, chatId);
    assert.equal(chat.countUnread, 1);

    const rest = await hub.allMessages(srv, fx.token, chatId);
    hub.assertContiguous(rest, 1);
    for (const c of [op, v, comp]) {
      const got = await c.invoke('GetMessages', chatId, null, 50);
      assert.deepEqual(got, rest, `${c.label}: GetMessages(null) = REST`);
      const older = await c.invoke('GetMessages', chatId, 3, 1);
      assert.deepEqual(older, [rest[1]], `${c.label}: GetMessages(beforeSeq 3, limit 1)`);
      const s = await c.invoke('Sync', { chats: { [chatId]: 1 } });
      assert.equal(s.truncated, false);
      const sc = s.chats.find((x) => x.id === chatId);
      assert.ok(sc, `${c.label}: Sync lists the open chat`);
      assert.equal(sc.lastSeq, 3);
      assert.deepEqual(s.messages.filter((m) => m.chatId === chatId), rest.slice(1), `${c.label}: Sync after seq 1`);
    }
  });

  test('the operator closes the chat; illegal transitions answer "conflict"', async () => {
    const vm = v.mark();
    const closed = await op.invoke('SetChatStatus', chatId, 4);
    hub.assertChat(closed, { id: chatId, chatStatus: 4 });
    await v.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 4, { from: vm });
    await comp.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 4);
    // a closed chat is no longer in Sync unless named
    const s = await v.invoke('Sync', { chats: {} });
    assert.ok(!s.chats.some((x) => x.id === chatId), `closed chat not listed: ${JSON.stringify(s.chats)}`);
    const s2 = await v.invoke('Sync', { chats: { [chatId]: 3 } });
    assert.equal(s2.chats.find((x) => x.id === chatId)?.chatStatus, 4, 'named closed chat is returned');
    const e = await op.invokeError('SetChatStatus', chatId, 2);
    assert.equal((await hub.getChat(srv, fx.token, chatId)).chatStatus, 4, 'Closed → Waiting refused');
    assert.match(e, /conflict/i, 'the documented error of an illegal transition');
  });

  test('a visitor message reopens the closed chat (New) and it is routed again', async () => {
    const om = op.mark();
    const vm2 = v2.mark();
    const m4 = await v.invoke('SendMessage', chatId, 'Sorry, one more question', crypto.randomUUID());
    hub.assertMessage(m4, { chatId, seq: 4, author: 1 });
    await op.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 0, { from: om, what: 'reopen (New)' });
    await v2.waitFor('ChatStatusChanged', (id, st) => id === chatId && st === 0, { from: vm2 });
    const [assigned] = await op.waitFor('ChatAssigned', (ch) => ch.id === chatId, { from: om });
    hub.assertChat(assigned, { chatStatus: 1, operatorId: fx.ops[0].id });
    const chat = await hub.getChat(srv, fx.token, chatId);
    hub.assertChat(chat, { chatStatus: 1, operatorId: fx.ops[0].id, lastSeq: 4 });
  });

  test('a REST send by the operator reaches the visitor and the operator connections over the hub', async () => {
    const vm = v.mark();
    const om = op.mark();
    const m = await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: 'Sent from the REST API' });
    hub.assertMessage(m, { chatId, seq: 5, author: 0, operatorId: fx.ops[0].id, status: 1, text: 'Sent from the REST API' });
    for (const [c, from] of [[v, vm], [v2, 0], [op, om], [comp, 0]]) {
      const [rm] = await c.waitFor('ReceiveMessage', (x) => x.id === m.id, { from });
      assert.deepEqual(rm, m, c.label);
    }
    // the company token sends too
    const mc = await hub.postMessage(srv, fx.token, chatId, { textMessage: 'From the company' });
    hub.assertMessage(mc, { chatId, seq: 6, author: 0 });
    await v.waitFor('ReceiveMessage', (x) => x.id === mc.id, { from: vm });
  });

  test('clientMessageId: a retried send returns the first message, never a duplicate (hub and REST)', async () => {
    const before = (await hub.allMessages(srv, fx.token, chatId)).length;
    const vm = v2.mark();
    const cmid = crypto.randomUUID();
    const a = await v.invoke('SendMessage', chatId, 'only once please', cmid);
    const b = await v.invoke('SendMessage', chatId, 'only once please', cmid);
    assert.deepEqual(b, a, 'same message for the same clientMessageId');
    // the visitor's "own chat" form (null) with the same id too
    const c = await v.invoke('SendMessage', null, 'only once please', cmid);
    assert.equal(c.id, a.id);
    assert.equal(c.seq, a.seq);
    await v2.waitFor('ReceiveMessage', (m) => m.id === a.id, { from: vm });

    const rcmid = crypto.randomUUID();
    const r1 = await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: 'rest once', clientMessageId: rcmid });
    const r2 = await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: 'rest once', clientMessageId: rcmid });
    assert.equal(r2.id, r1.id);
    assert.equal(r2.seq, r1.seq);

    // concurrent retries of the same id
    const ccmid = crypto.randomUUID();
    const many = await Promise.all([op, op, op].map((x) => x.invoke('SendMessage', chatId, 'racing', ccmid)));
    assert.equal(new Set(many.map((m) => m.id)).size, 1, `concurrent same-id sends store one message: ${JSON.stringify(many)}`);
    // the same id from the operator's hub connection and then over REST
    const hcmid = crypto.randomUUID();
    const hh = await op.invoke('SendMessage', chatId, 'hub then rest', hcmid);
    const hr = await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: 'hub then rest', clientMessageId: hcmid });
    assert.equal(hr.id, hh.id);

    const after = await hub.allMessages(srv, fx.token, chatId);
    assert.equal(after.length, before + 4, 'four distinct messages stored');
    hub.assertContiguous(after, 1);
    for (const id of [cmid, rcmid, ccmid, hcmid]) {
      assert.equal(after.filter((m) => m.clientMessageId === id).length, 1, `one message with clientMessageId ${id}`);
    }
  });

  test('media over the hub: SendMediaMessage (PascalCase and camelCase) reaches the other side as ReceiveMediaMessage', async () => {
    const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
    const om = op.mark();
    const vm = v.mark();
    const mv = await v.invoke('SendMediaMessage', chatId, { Name: 'photo.png', Format: 'image/png', DataBase64: PNG_B64, Type: 1 });
    hub.assertMessage(mv, { chatId, author: 1, status: 1 });
    assert.ok(mv.media, JSON.stringify(mv));
    assert.equal(mv.media.name, 'photo.png');
    assert.equal(mv.media.type, 1);
    const [rv] = await op.waitFor('ReceiveMediaMessage', (m) => m.id === mv.id, { from: om });
    assert.deepEqual(rv, mv);
    await v2.waitFor('ReceiveMediaMessage', (m) => m.id === mv.id);
    const bytes = Buffer.from(await (await fetch(new URL(mv.media.url, srv.base))).arrayBuffer());
    assert.deepEqual(bytes, Buffer.from(PNG_B64, 'base64'), 'the signed URL serves the uploaded bytes');

    const mo = await op.invoke('SendMediaMessage', chatId,
      { name: 'notes.txt', format: 'text/plain', dataBase64: Buffer.from('operator notes').toString('base64'), type: 4 }, crypto.randomUUID());
    hub.assertMessage(mo, { chatId, author: 0, operatorId: fx.ops[0].id, seq: mv.seq + 1 });
    assert.equal(mo.media.type, 4);
    const [ro] = await v.waitFor('ReceiveMediaMessage', (m) => m.id === mo.id, { from: vm });
    assert.deepEqual(ro, mo);
    // bad media over the hub: an error, nothing stored
    const n = (await hub.allMessages(srv, fx.token, chatId)).length;
    assert.ok((await v.invokeError('SendMediaMessage', chatId, { Name: 'x.png', Format: 'image/png', DataBase64: '!!!', Type: 1 })).length > 0);
    assert.ok((await v.invokeError('SendMediaMessage', chatId, { Name: 'x.png', Format: 'image/png', DataBase64: PNG_B64, Type: 42 })).length > 0);
    assert.ok((await v.invokeError('SendMediaMessage', chatId, 'not an object')).length > 0);
    assert.equal((await hub.allMessages(srv, fx.token, chatId)).length, n);
  });

  test('a second visitor gets its own chat; nobody else sees it', async () => {
    const w = await hub.visitorChat(srv, fx.guid, 'Second visitor here', { name: 'Walter' });
    assert.notEqual(w.chatId, chatId);
    const [wc] = await op.waitFor('ChatCreated', (ch) => ch.id === w.chatId);
    assert.equal(wc.theme, 'Walter', 'the theme is the client\'s name');
    const anon = await hub.visitorChat(srv, fx.guid, 'Where is my parcel? It was due yesterday, order 77');
    const [ac] = await op.waitFor('ChatCreated', (ch) => ch.id === anon.chatId);
    assert.ok(ac.theme.length > 0 && 'Where is my parcel? It was due yesterday, order 77'.startsWith(ac.theme),
      `an anonymous visitor's chat is named after the first words: ${JSON.stringify(ac.theme)}`);
    await anon.stop();
    await op.waitFor('ReceiveMessage', (m) => m.chatId === w.chatId);
    await h.sleep(300);
    for (const c of [v, v2]) {
      assert.ok(!c.events.some((e) => hub.eventChatId(e) === w.chatId), `${c.label} sees nothing of another visitor's chat`);
    }
    const s = await v.invoke('Sync', { chats: {} });
    assert.ok(!s.chats.some((x) => x.id === w.chatId));
    await w.stop();
  });
});
