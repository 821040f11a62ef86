'use strict';
// Acceptance 3: routing. Capacity, fewest open chats then longest idle, the
// queue drained oldest first when an operator comes online or frees
// capacity, open chats requeued after the offline grace period, TakeChat and
// TransferChat, Inactive operators, and concurrent arrivals never assigning a
// chat twice. Each test uses its own organization.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('routing', () => {
  let srv;
  let co;
  let n = 0;

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_OFFLINE_GRACE_SECONDS: '1' } });
    co = await h.makeCompany(srv, 'routeco');
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const newOrg = (opts) => hub.addOrg(srv, co, `Routing org ${++n}`, opts);
  const op = (o, i, label) => hub.connectHub(srv.base, o.ops[i].token, { label: label || `op${i + 1}` });
  const chatOf = (o, id) => hub.getChat(srv, co.token, id, `&organizationId=${o.orgId}`);
  const orgChats = async (o) => (await hub.listChats(srv, co.token, `per_page=100&organizationId=${o.orgId}`)).items;

  // Waits until the chat (REST) satisfies pred.
  const waitChat = (o, id, pred, what) => hub.pollUntil(async () => {
    const c = await chatOf(o, id);
    return c && pred(c) ? c : null;
  }, { ms: 10000, what: what || `chat ${id} condition` });

  test('capacity is respected; closing a chat frees capacity and the queued chat follows', async () => {
    const o = await newOrg({ operators: 1, maxChats: 2 });
    const a = await op(o, 0);
    const v1 = await hub.visitorChat(srv, o.guid, 'one');
    await a.waitFor('ChatAssigned', (c) => c.id === v1.chatId);
    const v2 = await hub.visitorChat(srv, o.guid, 'two');
    await a.waitFor('ChatAssigned', (c) => c.id === v2.chatId);
    const v3 = await hub.visitorChat(srv, o.guid, 'three');
    await a.waitFor('ChatCreated', (c) => c.id === v3.chatId);
    await h.sleep(500);
    assert.equal(a.all('ChatAssigned', (c) => c.id === v3.chatId).length, 0, 'over capacity: not assigned');
    hub.assertChat(await chatOf(o, v3.chatId), { chatStatus: 0, operator: null });
    // a Waiting chat still counts as open
    await a.invoke('SendMessage', v1.chatId, 'answer', crypto.randomUUID());
    await h.sleep(300);
    assert.equal((await chatOf(o, v3.chatId)).chatStatus, 0, 'a Waiting chat still uses capacity');
    // closing one frees a seat
    const m = a.mark();
    h.assertOk(await hub.setChatStatus(srv, co.token, v1.chatId, 4));
    const [as] = await a.waitFor('ChatAssigned', (c) => c.id === v3.chatId, { from: m });
    hub.assertChat(as, { chatStatus: 1, operatorId: o.ops[0].id });
    await waitChat(o, v3.chatId, (c) => c.chatStatus === 1 && c.operator && c.operator.id === o.ops[0].id);
    // so does parking one: an OnPause chat uses no seat (46-auto-close tests it further)
    const v4 = await hub.visitorChat(srv, o.guid, 'four');
    await a.waitFor('ChatCreated', (c) => c.id === v4.chatId);
    await h.sleep(300);
    assert.equal((await chatOf(o, v4.chatId)).chatStatus, 0, 'full again');
    const m2 = a.mark();
    h.assertOk(await hub.setChatStatus(srv, co.token, v2.chatId, 3));
    await a.waitFor('ChatAssigned', (c) => c.id === v4.chatId && c.operator.id === o.ops[0].id, { from: m2 });
  });

  test('the operator with the fewest open chats gets the next one, then the longest idle', async () => {
    const o = await newOrg({ operators: 2, maxChats: 5 });
    const [A, B] = o.ops;
    const a = await op(o, 0, 'A');
    const c1 = await hub.visitorChat(srv, o.guid, 'c1');
    await a.waitFor('ChatAssigned', (c) => c.id === c1.chatId && c.operator.id === A.id);
    const c2 = await hub.visitorChat(srv, o.guid, 'c2');
    await a.waitFor('ChatAssigned', (c) => c.id === c2.chatId && c.operator.id === A.id);
    const b = await op(o, 1, 'B'); // A has 2 open, B has 0
    const who = async (v) => (await a.waitFor('ChatAssigned', (c) => c.id === v.chatId))[0].operator.id;
    const c3 = await hub.visitorChat(srv, o.guid, 'c3');
    assert.equal(await who(c3), B.id, 'fewest open chats (B: 0 < A: 2)');
    const c4 = await hub.visitorChat(srv, o.guid, 'c4');
    assert.equal(await who(c4), B.id, 'fewest open chats (B: 1 < A: 2)');
    const c5 = await hub.visitorChat(srv, o.guid, 'c5');
    assert.equal(await who(c5), A.id, 'tie 2–2: A has been idle longer');
    const c6 = await hub.visitorChat(srv, o.guid, 'c6');
    assert.equal(await who(c6), B.id, 'B: 2 < A: 3');
    // B (connected since c3) saw the same assignments
    for (const v of [c3, c4, c5, c6]) {
      const [x] = await b.waitFor('ChatAssigned', (c) => c.id === v.chatId);
      assert.equal(x.operator.id, await who(v));
    }
    const counts = {};
    for (const c of await orgChats(o)) counts[c.operator.id] = (counts[c.operator.id] || 0) + 1;
    assert.deepEqual(counts, { [A.id]: 3, [B.id]: 3 });
  });

  test('queued chats are drained oldest first when operators come online or come back from away', async () => {
    const o = await newOrg({ operators: 2, maxChats: 2 });
    const [A, B] = o.ops;
    const q = [];
    for (let i = 0; i < 3; i++) q.push(await hub.visitorChat(srv, o.guid, `queued ${i}`));
    for (const v of q) hub.assertChat(await chatOf(o, v.chatId), { chatStatus: 0, operator: null });
    const a = await op(o, 0, 'A');
    await a.waitFor('ChatAssigned', (c) => c.id === q[0].chatId && c.operator.id === A.id, { what: 'oldest chat to A' });
    await a.waitFor('ChatAssigned', (c) => c.id === q[1].chatId && c.operator.id === A.id, { what: 'second oldest to A' });
    const order = a.all('ChatAssigned').map(([c]) => c.id);
    assert.ok(order.indexOf(q[0].chatId) < order.indexOf(q[1].chatId), `oldest first: ${order}`);
    await h.sleep(300);
    hub.assertChat(await chatOf(o, q[2].chatId), { chatStatus: 0, operator: null });
    const b = await op(o, 1, 'B');
    await a.waitFor('ChatAssigned', (c) => c.id === q[2].chatId && c.operator.id === B.id, { what: 'third to B' });

    // away: not a candidate; back online: gets the queue
    await b.invoke('SetPresence', 'away');
    await a.invoke('SetPresence', 'away');
    const q4 = await hub.visitorChat(srv, o.guid, 'while away');
    const q5 = await hub.visitorChat(srv, o.guid, 'while away 2');
    await h.sleep(400);
    assert.equal(a.all('ChatAssigned', (c) => c.id === q4.chatId || c.id === q5.chatId).length, 0, 'nobody online: queued');
    const m = a.mark();
    await b.invoke('SetPresence', 'online'); // B has 1 open, capacity 2: takes the oldest (q4)
    const [x] = await a.waitFor('ChatAssigned', (c) => c.id === q4.chatId, { from: m });
    assert.equal(x.operator.id, B.id);
    await h.sleep(300);
    assert.equal((await chatOf(o, q5.chatId)).chatStatus, 0, 'B is full now; q5 waits');
    // A frees capacity while away: nothing moves; A back online: q5 goes to A
    h.assertOk(await hub.setChatStatus(srv, co.token, q[0].chatId, 4));
    await h.sleep(300);
    assert.equal((await chatOf(o, q5.chatId)).chatStatus, 0, 'an away operator gets nothing');
    await a.invoke('SetPresence', 'online');
    const [y] = await a.waitFor('ChatAssigned', (c) => c.id === q5.chatId, { from: m });
    assert.equal(y.operator.id, A.id);
  });

  test('an operator offline past the grace period has its open chats requeued and routed to others', async () => {
    const o = await newOrg({ operators: 2, maxChats: 5 });
    const [A, B] = o.ops;
    const b = await op(o, 1, 'B');
    await b.invoke('SetPresence', 'away');
    const a = await op(o, 0, 'A');
    const v1 = await hub.visitorChat(srv, o.guid, 'r1');
    const v2 = await hub.visitorChat(srv, o.guid, 'r2');
    for (const v of [v1, v2]) await b.waitFor('ChatAssigned', (c) => c.id === v.chatId && c.operator.id === A.id);
    await a.invoke('SendMessage', v2.chatId, 'answered', crypto.randomUUID()); // Waiting also returns to the queue
    await a.stop();
    // grace is 1 s: both go back to the queue (New, no operator) while B is away
    for (const v of [v1, v2]) {
      await waitChat(o, v.chatId, (c) => c.chatStatus === 0 && c.operator === null, `chat ${v.chatId} requeued`);
    }
    const m = b.mark();
    await b.invoke('SetPresence', 'online');
    for (const v of [v1, v2]) {
      const [x] = await b.waitFor('ChatAssigned', (c) => c.id === v.chatId, { from: m });
      assert.equal(x.operator.id, B.id);
    }
    // reconnecting within the grace period keeps the chats
    const v3 = await hub.visitorChat(srv, o.guid, 'r3');
    await b.waitFor('ChatAssigned', (c) => c.id === v3.chatId && c.operator.id === B.id);
    await b.stop();
    const b2 = await op(o, 1, 'B again');
    await h.sleep(2000);
    const c3 = await chatOf(o, v3.chatId);
    assert.equal(c3.operator && c3.operator.id, B.id, 'back within the grace period: still B\'s');
    await b2.stop();
  });

  test('TakeChat and TransferChat', async () => {
    const o = await newOrg({ operators: 3, maxChats: 5 });
    const [A, B] = o.ops;
    const other = await newOrg({ operators: 1 });
    const a = await op(o, 0, 'A');
    const b = await op(o, 1, 'B');
    await a.invoke('SetPresence', 'away');
    await b.invoke('SetPresence', 'away');
    const v = await hub.visitorChat(srv, o.guid, 'take me');
    await a.waitFor('ChatCreated', (c) => c.id === v.chatId);
    await h.sleep(300);
    hub.assertChat(await chatOf(o, v.chatId), { chatStatus: 0, operator: null });
    const m = b.mark();
    const taken = await a.invoke('TakeChat', v.chatId);
    hub.assertChat(taken, { id: v.chatId, operatorId: A.id });
    const [ev] = await b.waitFor('ChatAssigned', (c) => c.id === v.chatId, { from: m });
    assert.equal(ev.operator.id, A.id);
    assert.equal((await chatOf(o, v.chatId)).operator.id, A.id);

    const t = await a.invoke('TransferChat', v.chatId, B.id);
    hub.assertChat(t, { id: v.chatId, operatorId: B.id });
    await b.waitFor('ChatAssigned', (c) => c.id === v.chatId && c.operator.id === B.id, { from: m });
    assert.equal((await chatOf(o, v.chatId)).operator.id, B.id);
    // to another org's operator, an unknown one, an Inactive one: refused, nothing changes
    assert.ok((await a.invokeError('TransferChat', v.chatId, other.ops[0].id)).length > 0);
    assert.ok((await a.invokeError('TransferChat', v.chatId, 99999999)).length > 0);
    await h.setStatus(srv, co.token, o.ops[2].id, 1);
    assert.ok((await a.invokeError('TransferChat', v.chatId, o.ops[2].id)).length > 0);
    assert.equal((await chatOf(o, v.chatId)).operator.id, B.id);
    // unknown chat, a visitor, another org's operator: refused
    assert.match(await a.invokeError('TakeChat', 99999999), /not found/i);
    assert.ok((await v.invokeError('TakeChat', v.chatId)).length > 0, 'visitors cannot take chats');
    const oc = await op(other, 0, 'other org op');
    assert.match(await oc.invokeError('TakeChat', v.chatId), /not found/i);
    assert.match(await oc.invokeError('TransferChat', v.chatId, other.ops[0].id), /not found/i);
    await oc.stop();
  });

  test('an Inactive operator gets nothing; its chats go back to the queue and to the others', async () => {
    const o = await newOrg({ operators: 2, maxChats: 5 });
    const [A, B] = o.ops;
    const b = await op(o, 1, 'B');
    await b.invoke('SetPresence', 'away');
    const a = await op(o, 0, 'A');
    const v1 = await hub.visitorChat(srv, o.guid, 'i1');
    await b.waitFor('ChatAssigned', (c) => c.id === v1.chatId && c.operator.id === A.id);
    await b.invoke('SetPresence', 'online');
    const m = b.mark();
    await h.setStatus(srv, co.token, A.id, 1);
    const err = await a.waitClosed(5000);
    assert.match(String(err && err.message), /token revoked/);
    // (a ChatAssigned with operator null for the requeue is fine; then B gets it)
    await b.waitFor('ChatAssigned', (c) => c.id === v1.chatId && c.operator && c.operator.id === B.id,
      { from: m, what: 'A\'s chat rerouted to B' });
    assert.ok(!b.all('ChatAssigned', (c) => c.id === v1.chatId && c.operator && c.operator.id === A.id, m).length);
    for (let i = 0; i < 3; i++) {
      const v = await hub.visitorChat(srv, o.guid, `after ${i}`);
      const [y] = await b.waitFor('ChatAssigned', (c) => c.id === v.chatId, { from: m });
      assert.equal(y.operator.id, B.id, 'only B gets chats');
    }
    // Active again, with a new token, A is a candidate again
    await h.setStatus(srv, co.token, A.id, 0);
    await b.invoke('SetPresence', 'away');
    const a2 = await hub.connectHub(srv.base, await h.operatorToken(srv, co.token, A.id), { label: 'A again' });
    const v = await hub.visitorChat(srv, o.guid, 'for A');
    const [z] = await a2.waitFor('ChatAssigned', (c) => c.id === v.chatId);
    assert.equal(z.operator.id, A.id);
  });

  test('30 visitors at once, 3 operators with capacity 10: every chat assigned exactly once', async () => {
    const o = await newOrg({ operators: 3, maxChats: 10 });
    const ops = await Promise.all([0, 1, 2].map((i) => op(o, i)));
    const comp = await hub.connectHub(srv.base, co.token, { label: 'company' });
    const visitors = await Promise.all(Array.from({ length: 30 }, (_, i) => hub.visitor(srv, o.guid, { name: `Crowd ${i}` })));
    const firsts = await Promise.all(visitors.map((v, i) => v.invoke('SendMessage', null, `crowd ${i}`, crypto.randomUUID())));
    const chatIds = firsts.map((m) => m.chatId);
    assert.equal(new Set(chatIds).size, 30, 'one chat per visitor');
    for (const c of [...ops, comp]) await c.waitCount('ChatAssigned', 30, (x) => chatIds.includes(x.id), { ms: 15000 });
    await h.sleep(500);
    const byChat = new Map();
    for (const c of [...ops, comp]) {
      for (const id of chatIds) {
        const evs = c.all('ChatAssigned', (x) => x.id === id);
        assert.equal(evs.length, 1, `${c.label}: one ChatAssigned for chat ${id}: ${JSON.stringify(evs)}`);
        const who = evs[0][0].operator.id;
        if (byChat.has(id)) assert.equal(who, byChat.get(id), `chat ${id}: everyone saw the same operator`);
        byChat.set(id, who);
      }
    }
    const list = await orgChats(o);
    assert.equal(list.length, 30);
    const per = {};
    for (const c of list) {
      assert.equal(c.chatStatus, 1, JSON.stringify(c));
      assert.ok(c.operator, JSON.stringify(c));
      assert.equal(c.operator.id, byChat.get(c.id), `REST and the event agree for chat ${c.id}`);
      per[c.operator.id] = (per[c.operator.id] || 0) + 1;
    }
    for (const [id, k] of Object.entries(per)) assert.ok(k <= 10, `operator ${id} has ${k} > 10 chats`);
    assert.equal(Object.values(per).reduce((x, y) => x + y, 0), 30);
    assert.deepEqual(Object.keys(per).map(Number).sort(), o.ops.map((x) => x.id).sort(), 'all three operators used');
    // a 31st chat finds everyone full
    const extra = await hub.visitorChat(srv, o.guid, 'one too many');
    await h.sleep(500);
    hub.assertChat(await chatOf(o, extra.chatId), { chatStatus: 0, operator: null });
    for (const v of visitors) await v.stop();
  });
});
