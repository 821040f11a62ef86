'use strict';
// Acceptance 4: isolation. Two companies connected at once; traffic in one
// never reaches the other (nor another organization of the same company, nor
// another visitor), and nobody can read, send to or change a chat it may not
// see, over REST (404) or the hub ("not found").

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const { fetch } = h; // plain fetch, its responses checked against web/openapi.json like h.api's
const hub = require('./lib/hub');

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

// Calls a kind of principal may be refused whatever the chat (a visitor changing
// a chat's status, a company connection writing): "forbidden" reveals nothing.
// (a visitor's SetChatStatus is refused for every chat, before any lookup)
const NOT_FOUND_OR_FORBIDDEN = /not found|forbidden|not allowed|visitors cannot change a chat's status/i;
const kindMayBeRefused = (k, method) => (k.startsWith('v') && method === 'SetChatStatus')
  || (k.startsWith('comp') && ['SendMessage', 'SendMediaMessage', 'Typing', 'MarkRead'].includes(method));

describe('isolation', () => {
  let srv;
  let A; let A2; let B;           // fixtures: company A org 1, company A org 2, company B
  const c = {};                    // hub clients
  let chatA;                       // visitor vA1's chat in company A
  let chatA2v;                     // visitor vA2's chat (same org)
  let chatB;
  let mediaA;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    A = await hub.makeOrgFixture(srv, 'isoa', { operators: 1 });
    A2 = await hub.addOrg(srv, A.company, 'Isolated second org', { operators: 1 });
    B = await hub.makeOrgFixture(srv, 'isob', { operators: 1 });
    c.opA = await hub.connectHub(srv.base, A.ops[0].token, { label: 'operator A' });
    c.opA2 = await hub.connectHub(srv.base, A2.ops[0].token, { label: 'operator A org 2' });
    c.compA = await hub.connectHub(srv.base, A.token, { label: 'company A' });
    c.opB = await hub.connectHub(srv.base, B.ops[0].token, { label: 'operator B' });
    c.compB = await hub.connectHub(srv.base, B.token, { label: 'company B' });
    c.vA1 = await hub.visitor(srv, A.guid, { name: 'Visitor A1', label: 'visitor A1' });
    c.vA2 = await hub.visitor(srv, A.guid, { name: 'Visitor A2', label: 'visitor A2' });
    c.vB = await hub.visitor(srv, B.guid, { name: 'Visitor B', label: 'visitor B' });
    await h.sleep(500); // presence events of the connections above settle
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('traffic in company A reaches A\'s connections and none of B\'s, nor another org, nor another visitor', async () => {
    const marks = Object.fromEntries(Object.entries(c).map(([k, x]) => [k, x.mark()]));
    const m1 = await c.vA1.invoke('SendMessage', null, 'secret of A', crypto.randomUUID());
    chatA = m1.chatId;
    await c.opA.waitFor('ChatAssigned', (x) => x.id === chatA);
    const m2 = await c.opA.invoke('SendMessage', chatA, 'reply of A', crypto.randomUUID());
    await c.vA1.waitFor('ReceiveMessage', (x) => x.id === m2.id);
    await c.vA1.invoke('Typing', chatA);
    await c.opA.invoke('Typing', chatA);
    await c.vA1.invoke('MarkRead', chatA, 2);
    await c.opA.invoke('MarkRead', chatA, 1);
    const media = await hub.postMessage(srv, A.token, chatA,
      { textMessage: 'media of A', media: { name: 'a.png', format: 'png', dataBase64: PNG_B64, type: 1 } });
    mediaA = media.media;
    await c.opA.invoke('SetChatStatus', chatA, 3);
    await c.opA.invoke('SetChatStatus', chatA, 1);
    const m3 = await c.vA2.invoke('SendMessage', null, 'the other visitor of A', crypto.randomUUID());
    chatA2v = m3.chatId;
    await c.compA.waitFor('ReceiveMessage', (x) => x.id === m3.id);
    await hub.pollUntil(() => c.compA.find('ReceiveMessage', (x) => x.id === media.id)
      || c.compA.find('ReceiveMediaMessage', (x) => x.id === media.id), { ms: 8000, what: 'media message at company A' });
    await c.vA1.waitFor('ChatStatusChanged', (id, st) => id === chatA && st === 3);
    await c.opA.waitFor('MessageStatusChanged', (id) => id === m2.id);
    await h.sleep(700);

    // A's connections did see it
    for (const k of ['opA', 'compA']) {
      assert.ok(c[k].find('ChatCreated', (x) => x.id === chatA, marks[k]), `${k} got ChatCreated`);
      assert.ok(c[k].find('ReceiveMessage', (x) => x.id === m1.id, marks[k]), `${k} got the message`);
    }
    // B's connections saw nothing at all
    for (const k of ['opB', 'compB', 'vB']) {
      assert.equal(c[k].events.length - marks[k], 0, `${k} received events of company A:\n${c[k].describeEvents(marks[k])}`);
    }
    // the other organization of company A saw nothing of this chat
    const leakOrg = c.opA2.events.slice(marks.opA2).filter((e) => hub.eventChatId(e) !== undefined);
    assert.deepEqual(leakOrg.map((e) => e.name), [], `operator of org 2:\n${c.opA2.describeEvents(marks.opA2)}`);
    // the other visitor of the same org saw nothing of vA1's chat, and vA1 nothing of vA2's
    assert.ok(!c.vA2.events.some((e) => hub.eventChatId(e) === chatA), `visitor A2:\n${c.vA2.describeEvents()}`);
    assert.ok(!c.vA1.events.some((e) => hub.eventChatId(e) === chatA2v), `visitor A1:\n${c.vA1.describeEvents()}`);
    // no event anywhere carries another chat's messages
    for (const [k, x] of Object.entries(c)) {
      for (const e of x.events) {
        const id = hub.eventChatId(e);
        if (id === undefined) continue;
        if (k.endsWith('B')) assert.fail(`${k} got ${e.name} about chat ${id}`);
      }
    }
  });

  test('B cannot read, send to, change or delete A\'s chat over REST: 404', async () => {
    assert.ok(chatA, 'the previous test created A\'s chat');
    const before = await hub.allMessages(srv, A.token, chatA);
    for (const token of [B.token, B.ops[0].token]) {
      h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${chatA}/messages`, { token }), 404, 3001);
      h.assertError(await h.api(srv.base, 'GET', `/api/chat/${chatA}/messages`, { token }), 404, 3001);
      h.assertError(await h.api(srv.base, 'POST', `/api/chat/${chatA}/message`, { token, body: { textMessage: 'intrusion', author: 0 } }), 404, 3001);
      h.assertError(await hub.setChatStatus(srv, token, chatA, 4), 404, 3001);
      const r = await fetch(`${srv.base}/api/media/${mediaA.id}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(r.status, 404);
      await r.arrayBuffer();
      const l = await hub.listChats(srv, token, 'per_page=100');
      assert.ok(!l.items.some((x) => x.id === chatA || x.id === chatA2v), 'A\'s chats are not listed for B');
      const f = await hub.listChats(srv, token, `per_page=100&organizationId=${A.orgId}`).catch(() => ({ items: [] }));
      assert.ok(!f.items.some((x) => x.id === chatA), 'not even filtered by A\'s organization');
    }
    h.assertError(await h.api(srv.base, 'DELETE', `/api/chat/chats/${chatA}`, { token: B.token }), 404, 3001);
    // the operator of A's other organization cannot either
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${chatA}/messages`, { token: A2.ops[0].token }), 404, 3001);
    h.assertError(await h.api(srv.base, 'POST', `/api/chat/${chatA}/message`, { token: A2.ops[0].token, body: { textMessage: 'x', author: 0 } }), 404, 3001);
    const after = await hub.allMessages(srv, A.token, chatA);
    assert.deepEqual(after, before, 'A\'s transcript untouched');
    assert.equal((await hub.getChat(srv, A.token, chatA)).chatStatus, 1);
  });

  test('B cannot touch A\'s chat over the hub: "not found"', async () => {
    const before = await hub.allMessages(srv, A.token, chatA);
    const attempts = [
      ['SendMessage', chatA, 'intrusion'],
      ['SendMessage', chatA, 'intrusion', crypto.randomUUID()],
      ['SendMediaMessage', chatA, { Name: 'x.png', Format: 'png', DataBase64: PNG_B64, Type: 1 }],
      ['GetMessages', chatA, null, 10],
      ['MarkRead', chatA, 1],
      ['Typing', chatA],
      ['SetChatStatus', chatA, 4],
    ];
    for (const k of ['opB', 'compB', 'vB', 'opA2']) {
      const marksA = { opA: c.opA.mark(), vA1: c.vA1.mark() };
      for (const [method, ...args] of attempts) {
        if (k === 'compB' && method === 'Typing') continue;
        const e = await c[k].invokeError(method, ...args);
        assert.match(e, kindMayBeRefused(k, method) ? NOT_FOUND_OR_FORBIDDEN : /not found/i, `${k} ${method}: ${e}`);
      }
      if (k === 'opB' || k === 'opA2') {
        assert.match(await c[k].invokeError('TakeChat', chatA), /not found/i, `${k} TakeChat`);
        const target = k === 'opB' ? B.ops[0].id : A2.ops[0].id;
        assert.match(await c[k].invokeError('TransferChat', chatA, target), /not found/i, `${k} TransferChat`);
      }
      // Sync naming A's chat returns nothing of it
      let s = null;
      try { s = await c[k].invoke('Sync', { chats: { [chatA]: 0 } }); } catch (e) { assert.match(String(e.message), /not found/i); }
      if (s) {
        assert.ok(!s.chats.some((x) => x.id === chatA), `${k}: Sync leaks A's chat`);
        assert.ok(!s.messages.some((x) => x.chatId === chatA), `${k}: Sync leaks A's messages`);
      }
      await h.sleep(200);
      assert.equal(c.opA.all('Typing', () => true, marksA.opA).length, 0, `${k}'s Typing reached A`);
      assert.equal(c.vA1.events.length - marksA.vA1, 0, `${k}'s attempts reached visitor A1:\n${c.vA1.describeEvents(marksA.vA1)}`);
    }
    assert.deepEqual(await hub.allMessages(srv, A.token, chatA), before, 'A\'s transcript untouched');
    assert.equal((await hub.getChat(srv, A.token, chatA)).chatStatus, 1);
  });

  test('a visitor cannot touch another visitor\'s chat of the same organization', async () => {
    const before = await hub.allMessages(srv, A.token, chatA);
    for (const [method, ...args] of [['SendMessage', chatA, 'not mine', crypto.randomUUID()], ['GetMessages', chatA, null, 10],
      ['MarkRead', chatA, 2], ['Typing', chatA], ['SetChatStatus', chatA, 4]]) {
      assert.match(await c.vA2.invokeError(method, ...args), kindMayBeRefused('vA2', method) ? NOT_FOUND_OR_FORBIDDEN : /not found/i,
        `visitor A2 ${method}`);
    }
    const s = await c.vA2.invoke('Sync', { chats: { [chatA]: 0 } }).catch(() => ({ chats: [], messages: [] }));
    assert.ok(!s.chats.some((x) => x.id === chatA));
    assert.ok(!s.messages.some((x) => x.chatId === chatA));
    assert.deepEqual((await c.vA2.invoke('Sync', { chats: {} })).chats.map((x) => x.id), [chatA2v], 'a visitor syncs only its own chat');
    // its media neither
    const r = await fetch(`${srv.base}/api/media/${mediaA.id}`, { headers: { Authorization: `Bearer ${c.vA2.session.visitorToken}` } });
    assert.equal(r.status, 404);
    await r.arrayBuffer();
    assert.deepEqual(await hub.allMessages(srv, A.token, chatA), before);
    // A's visitor session is not valid in B's widget
    const cross = await h.api(srv.base, 'POST', `/api/widget/${B.guid}/session`, { body: { visitorToken: c.vA1.session.visitorToken } });
    if (cross.status === 200) {
      assert.notEqual(cross.json.clientId, c.vA1.session.clientId);
      assert.notEqual(cross.json.chatId, chatA);
    } else {
      h.assertError(cross, 401);
    }
  });

  test('and the other way round: B\'s traffic reaches none of A\'s connections', async () => {
    const marks = Object.fromEntries(Object.entries(c).map(([k, x]) => [k, x.mark()]));
    const m1 = await c.vB.invoke('SendMessage', null, 'hello from B', crypto.randomUUID());
    chatB = m1.chatId;
    await c.opB.waitFor('ChatAssigned', (x) => x.id === chatB);
    const m2 = await c.opB.invoke('SendMessage', chatB, 'B answers', crypto.randomUUID());
    await c.vB.waitFor('ReceiveMessage', (x) => x.id === m2.id);
    await c.vB.invoke('Typing', chatB);
    await c.compB.waitFor('Typing', (id) => id === chatB);
    await h.sleep(500);
    for (const k of ['opA', 'opA2', 'compA', 'vA1', 'vA2']) {
      const leaked = c[k].events.slice(marks[k]).filter((e) => hub.eventChatId(e) === chatB);
      assert.deepEqual(leaked.map((e) => e.name), [], `${k} got B's events`);
      assert.ok(!c[k].events.slice(marks[k]).some((e) => e.name === 'OperatorPresence' && e.args[0] === B.ops[0].id), `${k} got B's presence`);
    }
    for (const token of [A.token, A.ops[0].token]) {
      h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${chatB}/messages`, { token }), 404, 3001);
    }
    assert.match(await c.opA.invokeError('GetMessages', chatB, null, 10), /not found/i);
  });

  test('operator presence does not cross companies', async () => {
    const marks = { opA: c.opA.mark(), vA1: c.vA1.mark(), opB: c.opB.mark() };
    const [extra] = await h.syncOperators(srv, B.token, [{ organizationId: B.orgId, name: 'B extra' }]);
    const x = await hub.connectHub(srv.base, await h.operatorToken(srv, B.token, extra.id), { label: 'B extra' });
    await c.opB.waitFor('OperatorPresence', (id, st) => id === extra.id && st === 'online', { from: marks.opB });
    await x.stop();
    await c.opB.waitFor('OperatorPresence', (id, st) => id === extra.id && st === 'offline', { from: marks.opB });
    await h.sleep(300);
    assert.equal(c.opA.all('OperatorPresence', () => true, marks.opA).length, 0, c.opA.describeEvents(marks.opA));
    assert.equal(c.vA1.all('OperatorPresence', () => true, marks.vA1).length, 0, c.vA1.describeEvents(marks.vA1));
  });
});
