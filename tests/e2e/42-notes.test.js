'use strict';
// Private notes (ext): GET/POST /api/chat/{id}/notes, hub AddNote / GetNotes,
// events NoteAdded (the operator side) and Mentioned (each mentioned
// operator). A note reaches every operator connection of the organization and
// the company, live and after a reload; the client side never receives one in
// any form — not on the visitor's hub connection (a raw WebSocket records
// every frame), not in Sync or GetMessages, not in REST history, not in a
// channel's outbound delivery — and the visitor's seq stays 1, 2, 3… with
// notes in between. The widget reads only those (its hub connection, Sync and
// GetMessages), so nothing reaches it either. Isolation, bad input, the
// per-chat budget and mentions.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const h = require('./lib/harness');
const hub = require('./lib/hub');

// Waits long enough for an event that must not come to have come, were it sent.
const SETTLE_MS = h.TEST_CLUSTER ? 1500 : 500;

describe('private notes', () => {
  let srv;
  let o; // company, its org with 2 operators
  let sales; // another org of the same company, 1 operator
  let rival; // another company, 1 operator
  let receiver; // a channel bridge's outbound URL
  const got = []; // what the bridge received
  const SECRET = 'notes-channel-secret-0123456789';

  before(async () => {
    receiver = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        got.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    // the bridge listens on loopback: only outbound_allow_private lets deliveries reach it
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true' } });
    o = await hub.makeOrgFixture(srv, 'notesco', { operators: 2 });
    sales = await hub.addOrg(srv, o.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'notesrival', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
    if (receiver) receiver.close();
  });

  const notes = (token, chatId) => h.api(srv.base, 'GET', `/api/chat/${chatId}/notes`, { token });
  const addNote = (token, chatId, body) => h.api(srv.base, 'POST', `/api/chat/${chatId}/notes`, { token, body });
  const marker = () => `note-${crypto.randomUUID()}`;

  function assertNote(n, expect) {
    assert.ok(Number.isInteger(n.id) && n.id > 0, JSON.stringify(n));
    assert.match(n.createdAt, hub.ISO_RE);
    for (const [k, v] of Object.entries(expect)) assert.deepEqual(n[k], v, `note.${k}: ${JSON.stringify(n)}`);
  }

  test('the operator side sees a note live and after a reload; the client side never does', async () => {
    const [a, b] = o.ops;
    const v = await hub.visitorChat(srv, o.guid, 'I need help');
    const chatId = v.chatId;
    // every frame the visitor's connection gets, whatever its target
    const raw = await hub.rawHub(srv.port, v.session.visitorToken);
    const opA = await hub.connectHub(srv.base, a.token, { label: 'op A' });
    const opB = await hub.connectHub(srv.base, b.token, { label: 'op B' });
    const company = await hub.connectHub(srv.base, o.token, { label: 'company' });
    const salesOp = await hub.connectHub(srv.base, sales.ops[0].token, { label: 'sales op' });
    const marks = [opA, opB, company, salesOp].map((c) => c.mark());
    const texts = [marker(), marker(), marker()];

    // seq 1 is the visitor's; a hub note, an operator reply, a REST note, a visitor message, a note, a reply
    const n1 = await opA.invoke('AddNote', chatId, `${texts[0]} ask @${b.name}`);
    assertNote(n1, { chatId, organizationId: o.orgId, text: `${texts[0]} ask @${b.name}`, afterSeq: 1,
      operator: { id: a.id, name: a.name, photo: null }, mentions: [b.id] });
    await hub.postMessage(srv, a.token, chatId, { textMessage: 'reply one' });
    let r = await addNote(o.token, chatId, { text: texts[1] });
    h.assertOk(r, 201);
    const n2 = r.json;
    assertNote(n2, { chatId, organizationId: o.orgId, text: texts[1], afterSeq: 2, operator: null, mentions: [] });
    await v.invoke('SendMessage', chatId, 'thanks', crypto.randomUUID());
    const n3 = await opB.invoke('AddNote', chatId, texts[2]);
    assert.equal(n3.afterSeq, 3);
    const last = await hub.postMessage(srv, b.token, chatId, { textMessage: 'reply two' });
    assert.equal(last.seq, 4, 'the notes took no seq');

    // live: every operator connection of the organization and the company; the writer got its completion
    const ids = [n1.id, n2.id, n3.id];
    const seen = (c, from) => c.all('NoteAdded', () => true, from).map(([n]) => n.id);
    await opA.waitCount('NoteAdded', 2, () => true, { from: marks[0] });
    await opB.waitCount('NoteAdded', 2, () => true, { from: marks[1] });
    await company.waitCount('NoteAdded', 3, () => true, { from: marks[2] });
    assert.deepEqual(seen(company, marks[2]), ids, 'the company sees every note, in order');
    assert.deepEqual(seen(opA, marks[0]), [n2.id, n3.id], 'op A: not its own (it got the completion)');
    assert.deepEqual(seen(opB, marks[1]), [n1.id, n2.id]);
    assert.deepEqual(company.find('NoteAdded', (n) => n.id === n1.id)[0], n1, 'the event carries the note');
    // the visitor's own messages and the operators' replies arrive, gap-free
    await v.waitFor('ReceiveMessage', (m) => m.seq === 4);
    await raw.nextMessage((m) => m.type === 1 && m.target === 'ReceiveMessage' && m.arguments[0].seq === 4, 8000);
    await h.sleep(SETTLE_MS);
    assert.equal(salesOp.all('NoteAdded', () => true, marks[3]).length, 0, 'another organization hears nothing');

    // the client side: its hub connection (any frame), Sync, GetMessages, REST history
    const everything = raw.frames.map((f) => f.payload.toString('utf8')).join('\n');
    for (const t of texts) assert.ok(!everything.includes(t), 'no frame of the visitor connection holds a note');
    assert.ok(!/NoteAdded|Mentioned/.test(everything), 'no note event reached the visitor');
    assert.equal(v.all('NoteAdded').length + v.all('Mentioned').length, 0);
    const vSeqs = v.all('ReceiveMessage', (m) => m.chatId === chatId).map(([m]) => m.seq);
    assert.deepEqual(vSeqs, [2, 4], 'the visitor receives the operator replies at seq 2 and 4');
    const sync = await v.invoke('Sync', { chats: { [chatId]: 0 } });
    hub.assertContiguous(sync.messages.filter((m) => m.chatId === chatId), 1, 'visitor Sync');
    const history = await v.invoke('GetMessages', chatId, null, 50);
    hub.assertContiguous(history, 1, 'visitor GetMessages');
    const staffHistory = await hub.allMessages(srv, o.token, chatId);
    hub.assertContiguous(staffHistory, 1, 'REST history');
    r = await h.api(srv.base, 'GET', `/api/chat/${chatId}/messages`, { token: a.token });
    h.assertOk(r);
    hub.assertContiguous(r.json, 1, 'REST history (whole)');
    for (const t of texts) {
      for (const [what, j] of [['Sync', sync], ['GetMessages', history], ['REST history', r.json]]) {
        assert.ok(!JSON.stringify(j).includes(t), `${what} holds no note`);
      }
    }
    const chat = await hub.getChat(srv, o.token, chatId);
    assert.equal(chat.lastSeq, 4);
    assert.equal(chat.lastMessage, 'reply two', 'the preview is the last message, never a note');

    // a visitor cannot read or write notes, on the hub or over REST
    assert.match(await v.invokeError('AddNote', chatId, 'sneaky'), /visitors cannot use notes/);
    assert.match(await v.invokeError('GetNotes', chatId), /visitors cannot use notes/);
    h.assertError(await notes(v.session.visitorToken, chatId), 403, 2005);
    h.assertError(await addNote(v.session.visitorToken, chatId, { text: 'sneaky' }), 403, 2005);

    // after a reload: a new connection and REST list every note, oldest first
    await opB.stop();
    const opB2 = await hub.connectHub(srv.base, b.token, { label: 'op B again' });
    const again = await opB2.invoke('GetNotes', chatId);
    assert.deepEqual(again, [n1, n2, n3]);
    for (const token of [o.token, a.token, b.token]) {
      r = await notes(token, chatId);
      h.assertOk(r);
      assert.deepEqual(r.json, [n1, n2, n3]);
    }
    assert.deepEqual((await company.invoke('GetNotes', chatId)).map((n) => n.id), ids);
    raw.destroy();
  });

  test("a channel chat's outbound delivery carries the replies, never a note", async () => {
    const bridge = await hub.addOrg(srv, o.company, 'Bridge', { operators: 1 });
    const url = `http://127.0.0.1:${receiver.address().port}/hook`;
    await hub.putOrg(srv, o.token, bridge.orgId, { channelSecret: SECRET, outboundUrl: url });
    const body = Buffer.from(JSON.stringify({ externalUserId: 'tg-note', text: 'Hi', externalMessageId: 'n-1', source: 2 }));
    const sig = `sha256=${crypto.createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const r = await h.api(srv.base, 'POST', `/api/channel/${bridge.guid}/inbound`,
      { rawBody: body, headers: { 'Content-Type': 'application/json', 'X-ChatHub-Signature': sig } });
    h.assertOk(r);
    const chatId = r.json.chatId;
    const text = marker();
    const from = got.length;
    h.assertOk(await addNote(bridge.ops[0].token, chatId, { text }), 201);
    const op = await hub.connectHub(srv.base, bridge.ops[0].token, { label: 'bridge op' });
    await op.invoke('AddNote', chatId, `${text} again`);
    const reply = await hub.postMessage(srv, bridge.ops[0].token, chatId, { textMessage: 'a reply' });
    assert.equal(reply.seq, 2);
    await hub.pollUntil(() => got.length > from, { ms: 15000, what: 'the reply delivered' });
    await h.sleep(SETTLE_MS * 2);
    const sent = got.slice(from);
    assert.equal(sent.length, 1, `one delivery, the reply: ${sent.join('\n')}`);
    assert.equal(JSON.parse(sent[0]).message.id, reply.id);
    assert.ok(!sent.some((s) => s.includes(text)), 'no delivery carries a note');
  });

  test('another company or organization: 404, and no event', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'isolation');
    const chatId = v.chatId;
    const rivalOp = await hub.connectHub(srv.base, rival.ops[0].token, { label: 'rival op' });
    const rivalCo = await hub.connectHub(srv.base, rival.token, { label: 'rival company' });
    const salesOp = await hub.connectHub(srv.base, sales.ops[0].token, { label: 'sales op' });
    const company = await hub.connectHub(srv.base, o.token, { label: 'company' });
    const marks = [rivalOp, rivalCo, salesOp].map((c) => c.mark());
    const mark = company.mark();
    for (const token of [rival.token, rival.ops[0].token, sales.ops[0].token]) {
      h.assertError(await notes(token, chatId), 404, 3001);
      h.assertError(await addNote(token, chatId, { text: 'not yours' }), 404, 3001);
    }
    for (const c of [rivalOp, rivalCo, salesOp]) {
      assert.match(await c.invokeError('AddNote', chatId, 'not yours'), /chat not found/);
      assert.match(await c.invokeError('GetNotes', chatId), /chat not found/);
    }
    h.assertError(await notes(o.token, 987654321), 404, 3001);
    h.assertError(await addNote(o.token, 987654321, { text: 'no chat' }), 404, 3001);
    h.assertError(await notes(o.token, 'abc'), 404, 3001);
    const mine = await addNote(o.ops[0].token, chatId, { text: `@${sales.ops[0].name} @${rival.ops[0].name}` });
    h.assertOk(mine, 201);
    assert.deepEqual(mine.json.mentions, [], "another organization's operators are never mentioned");
    await company.waitFor('NoteAdded', (n) => n.id === mine.json.id, { from: mark });
    await h.sleep(SETTLE_MS);
    [rivalOp, rivalCo, salesOp].forEach((c, i) => {
      assert.equal(c.all('NoteAdded', () => true, marks[i]).length, 0, `${c.label}: no NoteAdded`);
      assert.equal(c.all('Mentioned', () => true, marks[i]).length, 0, `${c.label}: no Mentioned`);
    });
    const list = await notes(o.token, chatId);
    assert.deepEqual(list.json.map((n) => n.text), [mine.json.text], 'the refused notes left nothing');
  });

  test('bad input: types, empty, oversize, invalid UTF-8; the budget of 1000 notes', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'bad input');
    const chatId = v.chatId;
    const token = o.ops[0].token;
    h.assertError(await addNote(token, chatId, {}), 400, 1002);
    h.assertError(await addNote(token, chatId, { text: null }), 400, 1002);
    h.assertError(await addNote(token, chatId, { text: 5 }), 400, 1001);
    h.assertError(await addNote(token, chatId, { text: ['a'] }), 400, 1001);
    h.assertError(await addNote(token, chatId, ['text']), 400, 1001);
    h.assertError(await addNote(token, chatId, { text: '' }), 400, 1003);
    h.assertError(await addNote(token, chatId, { text: 'x'.repeat(16385) }), 400, 1003);
    h.assertError(await addNote(token, chatId, { text: 'é'.repeat(8193) }), 400, 1003, 'bytes');
    const invalid = Buffer.concat([Buffer.from('{"text": "bad '), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    h.assertError(await h.api(srv.base, 'POST', `/api/chat/${chatId}/notes`,
      { token, rawBody: invalid, headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    h.assertError(await h.api(srv.base, 'POST', `/api/chat/${chatId}/notes`,
      { token, rawBody: '{"text": "lone \\ud800 surrogate"}', headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    let r = await addNote(token, chatId, { text: 'é'.repeat(8192) });
    h.assertOk(r, 201);
    assert.equal(Buffer.byteLength(r.json.text), 16384, '16,384 bytes fit');
    const op = await hub.connectHub(srv.base, token, { label: 'op' });
    for (const args of [[chatId, 5], [chatId], ['x', 'text'], [0, 'text'], [-1, 'text'], [chatId, null]]) {
      assert.match(await op.invokeError('AddNote', ...args), /bad arguments: AddNote\(chatId, text\)/);
    }
    assert.match(await op.invokeError('AddNote', chatId, ''), /text must be 1 to 16384 bytes/);
    assert.match(await op.invokeError('AddNote', chatId, 'x'.repeat(16385)), /text must be 1 to 16384 bytes/);
    for (const args of [['x'], [chatId, 'x'], [chatId, 0], [chatId, null, 0], [chatId, null, 'x']]) {
      assert.match(await op.invokeError('GetNotes', ...args), /bad arguments: GetNotes\(chatId, beforeId \| null, limit\)/);
    }
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/${chatId}/notes?limit=201`, { token }), 400, 1003);
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/${chatId}/notes?before=x`, { token }), 400, 1001);
    assert.match(await op.invokeError('GetNotes', 987654321), /chat not found/);
    assert.equal((await notes(token, chatId)).json.length, 1, 'only the note that fit was stored');

    // the budget: 1000 notes per chat, then 409 3002
    for (let i = 1; i < 1000; i += 50) {
      const batch = [];
      for (let k = i; k < Math.min(i + 50, 1000); k++) batch.push(addNote(token, chatId, { text: `n${k}` }));
      for (const x of await Promise.all(batch)) h.assertOk(x, 201);
    }
    h.assertError(await addNote(token, chatId, { text: 'one more' }), 409, 3002);
    assert.match(await op.invokeError('AddNote', chatId, 'one more'), /conflict/);
    // read in pages of at most 200, newest first, each page oldest first
    const seen = [];
    let before = null;
    for (;;) {
      r = await h.api(srv.base, 'GET', `/api/chat/${chatId}/notes${before ? `?before=${before}` : ''}`, { token });
      h.assertOk(r);
      assert.ok(r.json.length <= 200);
      if (!r.json.length) break;
      for (let k = 1; k < r.json.length; k++) assert.ok(r.json[k - 1].id < r.json[k].id, 'a page is oldest first');
      seen.unshift(...r.json.map((n) => n.id));
      before = r.json[0].id;
    }
    assert.equal(seen.length, 1000);
    assert.equal(new Set(seen).size, 1000);
    const hubPage = await op.invoke('GetNotes', chatId, seen[100], 50);
    assert.deepEqual(hubPage.map((n) => n.id), seen.slice(50, 100));
    assert.deepEqual((await op.invoke('GetNotes', chatId)).map((n) => n.id), seen.slice(800), 'the newest 200');
    const msgs = await hub.allMessages(srv, token, chatId);
    hub.assertContiguous(msgs, 1, 'messages of a chat with 1000 notes');
    assert.equal(msgs.length, 1);
  });

  test('mentions: the longest Active name of the organization, any case; Mentioned to those only', async () => {
    const co = await hub.makeOrgFixture(srv, 'mentionco', { operators: 0 });
    const rows = ['Anna', 'Anna Maria', 'Борис', 'Olga'].map((name) => ({ organizationId: co.orgId, name }));
    const ops = await h.syncOperators(srv, co.token, rows);
    for (const op of ops) op.token = await h.operatorToken(srv, co.token, op.id);
    const [anna, annaMaria, boris, olga] = ops;
    await h.setStatus(srv, co.token, olga.id, 1); // Inactive: never mentioned
    const conns = {};
    for (const op of [anna, annaMaria, boris]) conns[op.id] = await hub.connectHub(srv.base, op.token, { label: op.name });
    const company = await hub.connectHub(srv.base, co.token, { label: 'company' });
    const v = await hub.visitorChat(srv, co.guid, 'mentions');
    const chatId = v.chatId;
    const marks = Object.fromEntries(Object.entries(conns).map(([id, c]) => [id, c.mark()]));
    const cmark = company.mark();

    const text = '@anna maria please check, cc @БОРИС and @Olga, @nobody, mail anna@example.com, @Anna Maria again';
    const r = await addNote(co.token, chatId, { text });
    h.assertOk(r, 201);
    const note = r.json;
    assert.deepEqual(note.mentions, [annaMaria.id, boris.id], 'longest name wins, any case, Inactive skipped, distinct');
    for (const op of [annaMaria, boris]) {
      const [m] = await conns[op.id].waitFor('Mentioned', (n) => n.id === note.id, { from: marks[op.id] });
      assert.deepEqual(m, note);
      await conns[op.id].waitFor('NoteAdded', (n) => n.id === note.id, { from: marks[op.id] });
    }
    await conns[anna.id].waitFor('NoteAdded', (n) => n.id === note.id, { from: marks[anna.id] });
    await company.waitFor('NoteAdded', (n) => n.id === note.id, { from: cmark });
    await h.sleep(SETTLE_MS);
    assert.equal(conns[anna.id].all('Mentioned', () => true, marks[anna.id]).length, 0, 'Anna is not mentioned');
    assert.equal(company.all('Mentioned', () => true, cmark).length, 0, 'the company gets no Mentioned');
    assert.equal(conns[annaMaria.id].all('Mentioned', () => true, marks[annaMaria.id]).length, 1, 'once per note');

    // an operator mentions a colleague over the hub; the mention survives a reload
    const n2 = await conns[anna.id].invoke('AddNote', chatId, 'over to you @Anna');
    assert.deepEqual(n2.mentions, [anna.id], 'an operator may mention itself');
    await conns[anna.id].waitFor('Mentioned', (n) => n.id === n2.id, { from: marks[anna.id] });
    const list = await notes(boris.token, chatId);
    assert.deepEqual(list.json.map((n) => n.mentions), [[annaMaria.id, boris.id], [anna.id]]);
  });
});
