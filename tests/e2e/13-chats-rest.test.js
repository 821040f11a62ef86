'use strict';
// The chat REST API: list (filters, paging, scoping), status transitions,
// delete, messages (both paths, paging), sending (validation, idempotency,
// media), media download (token, signed URL), widget sessions and userJWT.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const h = require('./lib/harness');
const { fetch } = h; // plain fetch, its responses checked against web/openapi.json like h.api's
const hub = require('./lib/hub');

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

async function fetchBytes(url, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const r = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(30000) });
  return { status: r.status, ct: r.headers.get('content-type') || '', disposition: r.headers.get('content-disposition'),
    body: Buffer.from(await r.arrayBuffer()) };
}

// A POST of a large body that tolerates the server answering (and closing)
// before the whole body is written.
function bigPost(port, p, token, body) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      const s = buf.toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(s);
      if (!m) { done = true; reject(new Error(`no HTTP answer: ${s.slice(0, 200)}`)); return; }
      const sep = s.indexOf('\r\n\r\n');
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(s.slice(0, sep));
      const text = sep >= 0 ? s.slice(sep + 4) : '';
      if (cl && Buffer.byteLength(text) < Number(cl[1]) && !sock.destroyed) return;
      done = true;
      let json;
      try { json = JSON.parse(text); } catch { json = undefined; }
      sock.destroy();
      resolve({ status: Number(m[1]), text, json, headers: { get: (k) => (new RegExp(`\\r\\n${k}:\\s*([^\\r]*)`, 'i').exec(s.slice(0, sep)) || [])[1] } });
    };
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.indexOf('\r\n\r\n') >= 0) finish(); });
    sock.on('error', () => { if (buf.length) finish(); else if (!done) { done = true; reject(new Error('connection failed before an answer')); } });
    sock.on('close', () => { if (buf.length) finish(); else if (!done) { done = true; reject(new Error('closed without an answer')); } });
    setTimeout(() => { if (!done) { done = true; sock.destroy(); reject(new Error('bigPost timeout')); } }, 60000);
    sock.on('connect', () => {
      sock.write(`POST ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n`
        + `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      sock.write(body, () => {});
    });
  });
}

const today = () => new Date().toISOString().slice(0, 10);
const activity = (c) => c.lastMessageAt || c.createdAt;

describe('chats REST', () => {
  let srv;
  let A;       // company A, org1 with operators o1a, o1b
  let org2;    // company A, second org with one operator
  let B;       // company B
  const ch = {}; // name → visitor client with chatId

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    A = await hub.makeOrgFixture(srv, 'chatsco', { operators: 2, maxChats: 1 });
    org2 = await hub.addOrg(srv, A.company, 'Second org', { operators: 1 });
    B = await hub.makeOrgFixture(srv, 'otherchatco', { operators: 1 });
    ch.alice = await hub.visitorChat(srv, A.guid, 'Hello from Alice about zebra42', { name: 'Alice Visitor' });
    ch.bob = await hub.visitorChat(srv, A.guid, 'Bob here', { name: 'Bob Visitor' });
    ch.carol = await hub.visitorChat(srv, A.guid, 'Hi', { name: 'Carol' });
    ch.dave = await hub.visitorChat(srv, org2.guid, 'Dave in the second org', { name: 'Dave' });
    ch.eve = await hub.visitorChat(srv, B.guid, 'Eve of company B', { name: 'Eve' });
    // o1a comes online with capacity 1: it gets the oldest queued chat (Alice's), then leaves
    const o1a = await hub.connectHub(srv.base, A.ops[0].token, { label: 'o1a' });
    await o1a.waitFor('ChatAssigned', (c) => c.id === ch.alice.chatId && c.operator && c.operator.id === A.ops[0].id);
    await o1a.stop();
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const ids = (items) => items.map((c) => c.id);

  test('list: the company sees every chat of the company, newest activity first, in the documented shape', async () => {
    const full = await hub.listChats(srv, A.token, 'per_page=100');
    assert.equal(full.total, 4);
    assert.deepEqual(new Set(ids(full.items)), new Set([ch.alice, ch.bob, ch.carol, ch.dave].map((v) => v.chatId)));
    for (const c of full.items) hub.assertChat(c, { source: 3 });
    const alice = full.items.find((c) => c.id === ch.alice.chatId);
    hub.assertChat(alice, { chatStatus: 1, operatorId: A.ops[0].id, organizationId: A.orgId, lastSeq: 1, countUnread: 1 });
    assert.equal(alice.client.id, ch.alice.session.clientId);
    assert.equal(alice.client.name, 'Alice Visitor');
    const bob = full.items.find((c) => c.id === ch.bob.chatId);
    hub.assertChat(bob, { chatStatus: 0, operator: null, organizationId: A.orgId });
    assert.equal(full.items.find((c) => c.id === ch.dave.chatId).organizationId, org2.orgId);
    for (let i = 1; i < full.items.length; i++) {
      assert.ok(activity(full.items[i - 1]) >= activity(full.items[i]), `newest activity first: ${JSON.stringify(full.items.map((c) => [c.id, activity(c)]))}`);
    }
    // defaults: page 1, 20 per page
    const def = await hub.listChats(srv, A.token);
    assert.deepEqual(ids(def.items), ids(full.items));
    // a message in an older chat brings it to the top
    await hub.postMessage(srv, A.token, ch.bob.chatId, { textMessage: 'bump' });
    const after = await hub.listChats(srv, A.token, 'per_page=100');
    assert.equal(after.items[0].id, ch.bob.chatId);
    assert.equal(after.items[0].lastSeq, 2);
    // company B sees only its own chat
    const b = await hub.listChats(srv, B.token, 'per_page=100');
    assert.equal(b.total, 1);
    assert.deepEqual(ids(b.items), [ch.eve.chatId]);
  });

  test('list filters: organizationId, status, operatorId, source, search, phone, date', async () => {
    const full = (await hub.listChats(srv, A.token, 'per_page=100')).items;
    const expect = async (query, want, what) => {
      const r = await hub.listChats(srv, A.token, `per_page=100&${query}`);
      assert.deepEqual(new Set(ids(r.items)), new Set(want), `${what || query}: ${JSON.stringify(ids(r.items))}`);
      assert.equal(r.total, want.length, `${what || query}: total`);
      // same order as the unfiltered list
      assert.deepEqual(ids(r.items), ids(full).filter((id) => want.includes(id)), `${query}: order`);
    };
    await expect(`organizationId=${A.orgId}`, [ch.alice, ch.bob, ch.carol].map((v) => v.chatId));
    await expect(`organizationId=${org2.orgId}`, [ch.dave.chatId]);
    for (let s = 0; s <= 4; s++) await expect(`status=${s}`, ids(full.filter((c) => c.chatStatus === s)));
    assert.ok(full.some((c) => c.chatStatus === 0) && full.some((c) => c.chatStatus !== 0), 'statuses differ');
    await expect(`operatorId=${A.ops[0].id}`, [ch.alice.chatId]);
    await expect(`operatorId=${A.ops[1].id}`, []);
    await expect('source=3', ids(full));
    await expect('source=4', []);
    await expect(`search=${encodeURIComponent('Bob Visitor')}`, [ch.bob.chatId]);
    await expect('search=zebra42', [ch.alice.chatId], 'search by message text');
    await expect(`search=${encodeURIComponent('Eve')}`, [], 'another company\'s client is never found');
    await expect('phone=%2B15550001234', []);
    await expect(`date=${today()}`, ids(full));
    await expect('date=2001-01-01', []);
    await expect(`date=2001-01-01&date=${today()}`, ids(full));
    await expect('date=2001-01-01&date=2001-01-02', []);
    await expect(`organizationId=${A.orgId}&status=0`, ids(full.filter((c) => c.organizationId === A.orgId && c.chatStatus === 0)));
  });

  test('list paging and bad query parameters', async () => {
    const full = await hub.listChats(srv, A.token, 'per_page=100');
    const seen = [];
    for (let p = 1; p <= 4; p++) {
      const r = await hub.listChats(srv, A.token, `per_page=1&page=${p}`);
      assert.equal(r.total, 4);
      assert.equal(r.items.length, 1);
      seen.push(r.items[0].id);
    }
    assert.deepEqual(seen, ids(full.items));
    const beyond = await hub.listChats(srv, A.token, 'per_page=1&page=5');
    assert.deepEqual(beyond.items, []);
    assert.equal(beyond.total, 4);
    const p2 = await hub.listChats(srv, A.token, 'per_page=3&page=2');
    assert.deepEqual(ids(p2.items), ids(full.items).slice(3));
    for (const q of ['page=0', 'page=-1', 'per_page=0', 'per_page=abc', 'page=x', 'status=9', 'status=open', 'source=abc',
      'organizationId=abc', 'operatorId=abc', 'date=notadate', 'date=2020-01-01&date=2020-01-02&date=2020-01-03']) {
      const r = await h.api(srv.base, 'GET', `/api/chat/chats?${q}`, { token: A.token });
      h.assertError(r, 400, undefined);
    }
    const big = await h.api(srv.base, 'GET', '/api/chat/chats?per_page=101', { token: A.token });
    assert.ok(big.status === 400 || (big.status === 200 && big.json.items.length <= 100), h.describeRes(big));
  });

  test('list: an operator token sees its organization only; visitor tokens and no token are refused', async () => {
    const o1b = await hub.listChats(srv, A.ops[1].token, 'per_page=100');
    assert.deepEqual(new Set(ids(o1b.items)), new Set([ch.alice, ch.bob, ch.carol].map((v) => v.chatId)));
    assert.equal(o1b.total, 3);
    for (const c of o1b.items) assert.equal(c.organizationId, A.orgId);
    const o2 = await hub.listChats(srv, org2.ops[0].token, 'per_page=100');
    assert.deepEqual(ids(o2.items), [ch.dave.chatId]);
    const cross = await h.api(srv.base, 'GET', `/api/chat/chats?organizationId=${A.orgId}`, { token: org2.ops[0].token });
    if (cross.status === 200) assert.deepEqual(cross.json.items, [], 'another org filter yields nothing for an operator');
    else assert.ok([403, 404].includes(cross.status), h.describeRes(cross));
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats', { token: ch.alice.session.visitorToken }), 403, 2005);
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats'), 401, 2001);
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats', { token: 'x.y.z' }), 401, 2001);
  });

  test('PUT /api/chat/status: allowed transitions answer the chat, illegal ones 409 3002', async () => {
    const o3 = await hub.addOrg(srv, A.company, 'Status org', { operators: 1 });
    const v = await hub.visitorChat(srv, o3.guid, 'status please');
    const id = v.chatId;
    const tokens = [A.token, o3.ops[0].token];
    const steps = [[1, true], [0, false], [1, true], [2, true], [3, true], [1, true], [3, true], [4, true],
      [2, false], [3, false], [4, true], [0, true], [4, true], [1, true], [0, false], [2, true], [0, false], [4, true]];
    let cur = 0;
    let i = 0;
    for (const [to, ok] of steps) {
      const token = tokens[i++ % 2];
      const r = await hub.setChatStatus(srv, token, id, to);
      if (ok) {
        assert.equal(r.status, 200, `${cur} → ${to}: ${h.describeRes(r)}`);
        hub.assertChat(r.json, { id, chatStatus: to });
        cur = to;
      } else {
        h.assertError(r, 409, 3002);
        const c = await hub.getChat(srv, A.token, id);
        assert.equal(c.chatStatus, cur, `${cur} → ${to} refused, status unchanged`);
      }
    }
    // bad bodies
    const put = (body, token = A.token, headers) => h.api(srv.base, 'PUT', '/api/chat/status', { token, body, headers });
    h.assertError(await put({ id, status: 'open' }), 400, 1001);
    h.assertError(await put({ id: String(id), status: 1 }), 400, 1001);
    h.assertError(await put({ id }), 400, 1002);
    h.assertError(await put({ status: 1 }), 400, 1002);
    const out = await put({ id, status: 7 });
    assert.ok([400, 409].includes(out.status), h.describeRes(out));
    h.assertError(await put({ id: 0, status: 1 }), 400, 1003);
    h.assertError(await put({ id: 99999999, status: 1 }), 404, 3001);
    h.assertError(await h.api(srv.base, 'PUT', '/api/chat/status', { token: A.token, rawBody: JSON.stringify({ id, status: 1 }), headers: { 'Content-Type': 'text/plain' } }), 415, 1004);
    // other company, other organization's operator, visitor: not theirs
    h.assertError(await put({ id, status: 1 }, B.token), 404, 3001);
    h.assertError(await put({ id, status: 1 }, B.ops[0].token), 404, 3001);
    h.assertError(await put({ id, status: 1 }, org2.ops[0].token), 404, 3001);
    h.assertError(await put({ id, status: 1 }, v.session.visitorToken), 403, 2005);
    assert.equal((await hub.getChat(srv, A.token, id)).chatStatus, cur);
  });

  test('messages: both paths, afterSeq / beforeSeq / limit paging', async () => {
    const v = await hub.visitorChat(srv, org2.guid, 'message 1', { name: 'Pager' });
    const id = v.chatId;
    for (let i = 2; i <= 60; i++) await hub.postMessage(srv, A.token, id, { textMessage: `message ${i}` });
    const get = async (q, token = A.token, alias = false) => {
      const r = await h.api(srv.base, 'GET', alias ? `/api/chat/${id}/messages${q}` : `/api/chat/chats/${id}/messages${q}`, { token });
      assert.equal(r.status, 200, `${q}: ${h.describeRes(r)}`);
      assert.ok(Array.isArray(r.json));
      return r.json;
    };
    const all = await get('?afterSeq=0&limit=200');
    assert.equal(all.length, 60);
    hub.assertContiguous(all, 1);
    assert.deepEqual(all.map((m) => m.textMessage), Array.from({ length: 60 }, (_, i) => `message ${i + 1}`));
    for (const m of all) hub.assertMessage(m, { chatId: id, status: 1 });
    assert.equal(all[0].author, 1);
    assert.equal(all[1].author, 0);
    assert.deepEqual(await get(''), all, 'no paging parameters: the whole history');
    const def = await get('?beforeSeq=61');
    assert.equal(def.length, 50, 'default limit 50');
    hub.assertContiguous(def, def[0].seq);
    const seqs = (l) => l.map((m) => m.seq);
    assert.deepEqual(seqs(await get('?afterSeq=10&limit=5')), [11, 12, 13, 14, 15]);
    assert.deepEqual(seqs(await get('?beforeSeq=10&limit=5')), [5, 6, 7, 8, 9]);
    assert.deepEqual(seqs(await get('?beforeSeq=3')), [1, 2]);
    assert.deepEqual(seqs(await get('?afterSeq=58')), [59, 60]);
    assert.deepEqual(await get('?afterSeq=60'), []);
    assert.deepEqual(seqs(await get('?beforeSeq=61&limit=3')), [58, 59, 60]);
    assert.deepEqual(seqs(await get('?limit=200')), seqs(all));
    // the alias path answers the same
    for (const q of ['', '?afterSeq=10&limit=5', '?beforeSeq=10&limit=5', '?afterSeq=0&limit=200']) {
      assert.deepEqual(await get(q, A.token, true), await get(q), `alias ${q}`);
    }
    // the org's operator may read; the other org's operator, company B and visitors may not
    assert.deepEqual(await get('?afterSeq=0&limit=200', org2.ops[0].token), all);
    for (const token of [A.ops[0].token, B.token, B.ops[0].token]) {
      h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${id}/messages`, { token }), 404, 3001);
      h.assertError(await h.api(srv.base, 'GET', `/api/chat/${id}/messages`, { token }), 404, 3001);
    }
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${id}/messages`, { token: v.session.visitorToken }), 403, 2005);
    for (const q of ['afterSeq=abc', 'beforeSeq=x', 'limit=abc', 'limit=-1', 'afterSeq=-1']) {
      h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${id}/messages?${q}`, { token: A.token }), 400);
    }
    const big = await h.api(srv.base, 'GET', `/api/chat/chats/${id}/messages?limit=201`, { token: A.token });
    assert.ok(big.status === 400 || (big.status === 200 && big.json.length <= 200), h.describeRes(big));
    // afterSeq=0 means "after nothing": the oldest messages, like Sync's lastSeq 0
    assert.deepEqual(seqs(await get('?afterSeq=0&limit=5')), [1, 2, 3, 4, 5], 'afterSeq=0&limit=5 pages from the start');
    assert.deepEqual(seqs(await get('?afterSeq=0')), Array.from({ length: 50 }, (_, i) => i + 1), 'afterSeq=0 (default limit 50)');
  });

  test('POST message: stored message, idempotency, text limits and bad bodies', async () => {
    const id = ch.carol.chatId;
    const post = (body, token = A.token) => h.api(srv.base, 'POST', `/api/chat/${id}/message`, { token, body });
    const m = await hub.postMessage(srv, A.ops[1].token, id, { textMessage: 'From operator o1b', clientMessageId: 'cm-1' });
    hub.assertMessage(m, { chatId: id, author: 0, operatorId: A.ops[1].id, status: 1, media: null, clientMessageId: 'cm-1', text: 'From operator o1b' });
    const again = await hub.postMessage(srv, A.ops[1].token, id, { textMessage: 'From operator o1b', clientMessageId: 'cm-1' });
    assert.deepEqual(again, m, 'same clientMessageId → the first message');
    // the same clientMessageId in another chat is another message
    const other = await hub.postMessage(srv, A.ops[1].token, ch.bob.chatId, { textMessage: 'x', clientMessageId: 'cm-1' });
    assert.notEqual(other.id, m.id);
    assert.equal(other.chatId, ch.bob.chatId);

    const max = 'é'.repeat(4096);
    const okMax = await post({ textMessage: max, author: 0 });
    assert.equal(okMax.status, 200, h.describeRes(okMax));
    assert.equal(okMax.json.textMessage, max);
    const emoji = await post({ textMessage: 'Zürich 東京 🎉', author: 0 });
    assert.equal(emoji.json.textMessage, 'Zürich 東京 🎉');
    h.assertError(await post({ textMessage: 'a'.repeat(4097), author: 0 }), 400, 1003);
    h.assertError(await post({ textMessage: 5, author: 0 }), 400, 1001);
    h.assertError(await post({ textMessage: 'x', author: 'zero' }), 400, 1001);
    h.assertError(await post({ textMessage: 'x', author: 0, clientMessageId: 12 }), 400, 1001);
    h.assertError(await post({ textMessage: 'x', author: 0, media: 'nope' }), 400, 1001);
    const badUtf8 = Buffer.concat([Buffer.from('{"textMessage":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('","author":0}')]);
    h.assertError(await h.api(srv.base, 'POST', `/api/chat/${id}/message`,
      { token: A.token, rawBody: badUtf8, headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    h.assertError(await h.api(srv.base, 'POST', `/api/chat/${id}/message`,
      { token: A.token, rawBody: '{"textMessage":"x","author":0', headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    h.assertError(await h.api(srv.base, 'POST', `/api/chat/${id}/message`,
      { token: A.token, rawBody: '{"textMessage":"x","author":0}', headers: { 'Content-Type': 'text/plain' } }), 415, 1004);
    // not theirs
    for (const token of [B.token, B.ops[0].token, org2.ops[0].token]) h.assertError(await post({ textMessage: 'x', author: 0 }, token), 404, 3001);
    h.assertError(await post({ textMessage: 'x', author: 0 }, ch.carol.session.visitorToken), 403, 2005);
    // nothing of the refused requests was stored
    const list = await hub.allMessages(srv, A.token, id);
    hub.assertContiguous(list, 1);
    assert.deepEqual(list.map((x) => x.textMessage), ['Hi', 'From operator o1b', max, 'Zürich 東京 🎉']);
  });

  test('media: upload, download with a token or the signed URL, bad media', async () => {
    const id = ch.alice.chatId;
    const m = await hub.postMessage(srv, A.token, id,
      { textMessage: 'a picture', media: { name: 'dot.png', format: 'image/png', dataBase64: PNG_B64, type: 1 } });
    hub.assertMessage(m, { chatId: id, author: 0, status: 1 });
    assert.ok(m.media, JSON.stringify(m));
    assert.equal(m.media.name, 'dot.png');
    assert.equal(m.media.format, 'image/png');
    assert.equal(m.media.type, 1);
    assert.equal(typeof m.media.url, 'string');
    const bytes = Buffer.from(PNG_B64, 'base64');
    // with tokens that may see the chat (company, the org's operator, the chat's visitor)
    const badTypes = []; // checked at the end so the rest of the test runs
    for (const token of [A.token, A.ops[1].token, ch.alice.session.visitorToken]) {
      const r = await fetchBytes(`${srv.base}/api/media/${m.media.id}`, token);
      assert.equal(r.status, 200);
      if (!/^image\/png/.test(r.ct)) badTypes.push(`GET /api/media/${m.media.id} (format image/png): Content-Type ${r.ct}`);
      assert.deepEqual(r.body, bytes);
    }
    // the signed URL works without a token
    const signed = new URL(m.media.url, srv.base).toString();
    const s = await fetchBytes(signed);
    assert.equal(s.status, 200, `signed URL ${signed}`);
    assert.deepEqual(s.body, bytes);
    if (!/^image\/png/.test(s.ct)) badTypes.push(`signed URL (format image/png): Content-Type ${s.ct}`);
    // a tampered signature does not
    const u = new URL(signed);
    const tampered = [];
    for (const k of u.searchParams.keys()) {
      const t = new URL(signed);
      const val = t.searchParams.get(k);
      t.searchParams.set(k, (val[0] === 'A' ? 'B' : 'A') + val.slice(1));
      tampered.push(t.toString());
    }
    if (!tampered.length) { // signature in the path
      const t = new URL(signed);
      t.pathname = t.pathname.slice(0, -1) + (t.pathname.endsWith('A') ? 'B' : 'A');
      tampered.push(t.toString());
    }
    for (const t of tampered) {
      const r = await fetchBytes(t);
      assert.ok(r.status >= 400 && r.status < 500, `tampered signed URL ${t}: ${r.status}`);
    }
    // no token, other company, other org's operator, another visitor: no bytes
    assert.equal((await fetchBytes(`${srv.base}/api/media/${m.media.id}`)).status, 401);
    for (const token of [B.token, B.ops[0].token, org2.ops[0].token, ch.bob.session.visitorToken]) {
      const r = await fetchBytes(`${srv.base}/api/media/${m.media.id}`, token);
      assert.equal(r.status, 404, `media of another scope: ${r.status}`);
    }
    // the message as listed carries the same media
    const listed = (await hub.allMessages(srv, A.token, id)).find((x) => x.id === m.id);
    assert.deepEqual(listed.media && listed.media.id, m.media.id);
    // the visitor receives it over the hub as ReceiveMediaMessage (or ReceiveMessage)
    await hub.pollUntil(() => ch.alice.find('ReceiveMediaMessage', (x) => x.id === m.id) || ch.alice.find('ReceiveMessage', (x) => x.id === m.id),
      { ms: 5000, what: 'media message over the hub' });

    // a file
    const txt = await hub.postMessage(srv, A.token, id,
      { textMessage: 'notes', media: { name: 'notes.txt', format: 'text/plain', dataBase64: Buffer.from('hello notes').toString('base64'), type: 4 } });
    const tr = await fetchBytes(`${srv.base}/api/media/${txt.media.id}`, A.token);
    assert.equal(tr.status, 200);
    assert.equal(tr.body.toString(), 'hello notes');
    // not an image, audio, video or PDF: a download (26-media tests the whole table)
    if (!/^application\/octet-stream/.test(tr.ct)) badTypes.push(`GET /api/media/${txt.media.id} (format text/plain): Content-Type ${tr.ct}`);
    assert.equal(tr.disposition, "attachment; filename*=UTF-8''notes.txt");

    const post = (media) => h.api(srv.base, 'POST', `/api/chat/${id}/message`, { token: A.token, body: { textMessage: 'x', author: 0, media } });
    h.assertError(await post({ name: 'a.png', format: 'png', dataBase64: '!!!not base64!!!', type: 1 }), 400);
    h.assertError(await post({ name: 'a.png', format: 'png', dataBase64: PNG_B64, type: 9 }), 400);
    h.assertError(await post({ name: 'a.png', format: 'png', dataBase64: PNG_B64, type: 'photo' }), 400, 1001);
    h.assertError(await post({ name: 'a.png', format: 'png', type: 1 }), 400);
    h.assertError(await post({ name: 'a.png', format: 'png', dataBase64: 12, type: 1 }), 400, 1001);
    const before = (await hub.allMessages(srv, A.token, id)).length;
    // over the media limit (10 MiB by default)
    const huge = Buffer.alloc(10 * 1024 * 1024 + 1, 7).toString('base64');
    const body = Buffer.from(JSON.stringify({ textMessage: 'too big', author: 0, media: { name: 'big.bin', format: 'bin', dataBase64: huge, type: 4 } }));
    const r = await bigPost(srv.port, `/api/chat/${id}/message`, A.token, body);
    assert.equal(r.status, 413, `oversize media: ${r.status} ${r.text.slice(0, 300)}`);
    assert.equal(r.json && r.json.status, 413);
    assert.equal((await hub.allMessages(srv, A.token, id)).length, before, 'nothing stored by refused media');
    assert.equal((await h.api(srv.base, 'GET', '/healthz')).status, 200);
    assert.deepEqual(badTypes, [], `media is served with its (safe) content type:\n${badTypes.join('\n')}`);
  });

  test('DELETE /api/chat/chats/{id}: company only; afterwards the chat, its messages and media are gone', async () => {
    const id = ch.carol.chatId;
    const pic = await hub.postMessage(srv, A.token, id,
      { textMessage: 'pic', media: { name: 'dot.png', format: 'png', dataBase64: PNG_B64, type: 1 } });
    const signed = new URL(pic.media.url, srv.base).toString();
    assert.equal((await fetchBytes(signed)).status, 200);
    h.assertError(await h.api(srv.base, 'DELETE', `/api/chat/chats/${id}`, { token: A.ops[1].token }), 403, 2005);
    h.assertError(await h.api(srv.base, 'DELETE', `/api/chat/chats/${id}`, { token: ch.carol.session.visitorToken }), 403, 2005);
    h.assertError(await h.api(srv.base, 'DELETE', `/api/chat/chats/${id}`, { token: B.token }), 404, 3001);
    h.assertOk(await h.api(srv.base, 'GET', `/api/chat/chats/${id}/messages`, { token: A.token }));
    const del = await h.api(srv.base, 'DELETE', `/api/chat/chats/${id}`, { token: A.token });
    assert.equal(del.status, 200, h.describeRes(del));
    assert.equal(del.text, 'OK');
    assert.match(del.headers.get('content-type') || '', /^text\/plain/i);
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${id}/messages`, { token: A.token }), 404, 3001);
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/${id}/messages`, { token: A.token }), 404, 3001);
    h.assertError(await h.api(srv.base, 'POST', `/api/chat/${id}/message`, { token: A.token, body: { textMessage: 'x', author: 0 } }), 404, 3001);
    h.assertError(await hub.setChatStatus(srv, A.token, id, 4), 404, 3001);
    h.assertError(await h.api(srv.base, 'DELETE', `/api/chat/chats/${id}`, { token: A.token }), 404, 3001);
    assert.ok(!(await hub.listChats(srv, A.token, 'per_page=100')).items.some((c) => c.id === id));
    assert.equal((await fetchBytes(`${srv.base}/api/media/${pic.media.id}`, A.token)).status, 404);
    assert.notEqual((await fetchBytes(signed)).status, 200, 'the signed URL of deleted media is dead');
    // over the hub too
    const err = await ch.carol.invokeError('GetMessages', id, null, 10);
    assert.match(err, /not found/i);
  });

  test('bad and unknown ids in paths: 400 or 404, never a success', async () => {
    const t = { token: A.token };
    const badOr404 = (r, what) => {
      assert.ok(r.status === 400 || r.status === 404, `${what}: ${h.describeRes(r)}`);
      h.assertError(r, r.status, r.status === 404 ? 3001 : [1001, 1003]);
    };
    for (const id of ['abc', '0', '-1', '99999999999999999999', '1.0', `${ch.alice.chatId}abc`]) {
      badOr404(await h.api(srv.base, 'GET', `/api/chat/chats/${id}/messages`, t), `GET chats/${id}/messages`);
      badOr404(await h.api(srv.base, 'GET', `/api/chat/${id}/messages`, t), `GET ${id}/messages`);
      badOr404(await h.api(srv.base, 'POST', `/api/chat/${id}/message`, { ...t, body: { textMessage: 'x', author: 0 } }), `POST ${id}/message`);
      badOr404(await h.api(srv.base, 'DELETE', `/api/chat/chats/${id}`, t), `DELETE chats/${id}`);
      badOr404(await h.api(srv.base, 'GET', `/api/media/${id}`, t), `GET media/${id}`);
    }
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats/99999999/messages', t), 404, 3001);
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/99999999/messages', t), 404, 3001);
    h.assertError(await h.api(srv.base, 'POST', '/api/chat/99999999/message', { ...t, body: { textMessage: 'x', author: 0 } }), 404, 3001);
    h.assertError(await h.api(srv.base, 'DELETE', '/api/chat/chats/99999999', t), 404, 3001);
    h.assertError(await h.api(srv.base, 'GET', '/api/media/99999999', t), 404, 3001);
    // Alice's chat is untouched by all of that
    assert.ok((await hub.allMessages(srv, A.token, ch.alice.chatId)).length >= 1);
  });

  test('widget sessions: new visitor, reuse by visitorToken, unknown guid, bad bodies', async () => {
    const s = await hub.widgetSession(srv, A.guid, {});
    assert.ok(Number.isInteger(s.clientId) && s.clientId > 0, JSON.stringify(s));
    assert.equal(s.chatId, null);
    const named = await hub.widgetSession(srv, A.guid, { name: 'Nina', email: 'nina@example.com' });
    assert.notEqual(named.clientId, s.clientId);
    const reuse = await hub.widgetSession(srv, A.guid, { visitorToken: s.visitorToken });
    assert.equal(reuse.clientId, s.clientId);
    assert.equal(reuse.chatId, null);
    // once it has a chat, reusing the token returns it
    const reuseAlice = await hub.widgetSession(srv, A.guid, { visitorToken: ch.alice.session.visitorToken });
    assert.equal(reuseAlice.clientId, ch.alice.session.clientId);
    assert.equal(reuseAlice.chatId, ch.alice.chatId);
    // a token of another organization's visitor is not reused there
    const cross = await h.api(srv.base, 'POST', `/api/widget/${B.guid}/session`, { body: { visitorToken: ch.alice.session.visitorToken } });
    if (cross.status === 200) {
      assert.notEqual(cross.json.clientId, ch.alice.session.clientId);
      assert.notEqual(cross.json.chatId, ch.alice.chatId);
    } else {
      h.assertError(cross, 401);
    }
    h.assertError(await h.api(srv.base, 'POST', '/api/widget/00000000-0000-0000-0000-000000000000/session', { body: {} }), 404, 3001);
    const badGuid = await h.api(srv.base, 'POST', '/api/widget/not-a-guid/session', { body: {} });
    h.assertError(badGuid, badGuid.status === 400 ? 400 : 404);
    h.assertError(await h.api(srv.base, 'POST', `/api/widget/${A.guid}/session`, { body: { name: 5 } }), 400, 1001);
    h.assertError(await h.api(srv.base, 'POST', `/api/widget/${A.guid}/session`, { rawBody: '{"name":', headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    // a visitor token is not a company or operator token
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: s.visitorToken }), 403, 2005);
    const v = await h.api(srv.base, 'POST', '/api/operator/validate-token', { token: A.token, body: { token: s.visitorToken } });
    h.assertOk(v);
    assert.equal(v.json.isValid, false);
  });

  test('userJWT: the same sub is the same client from any device; bad or expired userJWT → 401', async () => {
    const o = await hub.addOrg(srv, A.company, 'Identity org', { operators: 0 });
    const put = (identitySecret) => h.api(srv.base, 'PUT', `/api/company/organization/${o.orgId}`, { token: A.token, body: { identitySecret } });
    h.assertError(await put('x'.repeat(15)), 400);
    h.assertError(await put('x'.repeat(65)), 400);
    h.assertError(await put(12345678901234567890), 400);
    const secret = crypto.randomBytes(24).toString('hex').slice(0, 40);
    const unset = await h.api(srv.base, 'GET', `/api/company/organization/${o.orgId}`, { token: A.token });
    assert.equal(unset.json.identitySecretSet, false);
    const set = await put(secret);
    h.assertOk(set);
    // no answer carries the secret, only whether one is set
    const got = await h.api(srv.base, 'GET', `/api/company/organization/${o.orgId}`, { token: A.token });
    for (const r of [set, got]) {
      assert.equal(r.json.identitySecretSet, true);
      assert.equal(r.json.channelSecretSet, false);
      assert.ok(!r.text.includes(secret) && !('identitySecret' in r.json), r.text);
    }
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jwt = hub.hs256({ sub: 'user-42', name: 'Logged In User', exp }, secret);
    const s1 = await hub.widgetSession(srv, o.guid, { userJWT: jwt });
    const s2 = await hub.widgetSession(srv, o.guid, { userJWT: jwt });
    assert.equal(s2.clientId, s1.clientId, 'same sub, same client');
    const anon = await hub.widgetSession(srv, o.guid, {});
    const s3 = await hub.widgetSession(srv, o.guid, { visitorToken: anon.visitorToken, userJWT: hub.hs256({ sub: 'user-42', name: 'Logged In User', exp }, secret) });
    assert.equal(s3.clientId, s1.clientId, 'the userJWT decides the client');
    const other = await hub.widgetSession(srv, o.guid, { userJWT: hub.hs256({ sub: 'user-43', name: 'Someone Else', exp }, secret) });
    assert.notEqual(other.clientId, s1.clientId);
    // the chat started on one device is there on the other
    const dev1 = await hub.connectHub(srv.base, s1.visitorToken, { label: 'device 1' });
    const m = await dev1.invoke('SendMessage', null, 'from my laptop', crypto.randomUUID());
    const s4 = await hub.widgetSession(srv, o.guid, { userJWT: jwt });
    assert.equal(s4.clientId, s1.clientId);
    assert.equal(s4.chatId, m.chatId);
    const dev2 = await hub.connectHub(srv.base, s4.visitorToken, { label: 'device 2' });
    const sync = await dev2.invoke('Sync', { chats: { [m.chatId]: 0 } });
    assert.ok(sync.chats.some((c) => c.id === m.chatId));
    assert.deepEqual(sync.messages.map((x) => x.id), [m.id]);
    const chat = await hub.getChat(srv, A.token, m.chatId);
    assert.equal(chat.client.name, 'Logged In User');
    await dev1.stop();
    await dev2.stop();

    const refuse = async (body, what) => {
      const r = await h.api(srv.base, 'POST', `/api/widget/${o.guid}/session`, { body });
      assert.equal(r.status, 401, `${what}: ${h.describeRes(r)}`);
      h.assertError(r, 401);
    };
    await refuse({ userJWT: hub.hs256({ sub: 'user-42', name: 'x', exp }, 'another-secret-of-enough-length') }, 'bad signature');
    await refuse({ userJWT: hub.hs256({ sub: 'user-42', name: 'x', exp: Math.floor(Date.now() / 1000) - 120 }, secret) }, 'expired');
    await refuse({ userJWT: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'user-42', exp })).toString('base64url')}.` }, 'alg none');
    await refuse({ userJWT: 'garbage' }, 'garbage');
    await refuse({ userJWT: hub.hs256({ name: 'no sub', exp }, secret) }, 'no sub');
    await refuse({ visitorToken: anon.visitorToken, userJWT: jwt.slice(0, -3) + 'AAA' }, 'bad signature with a visitorToken');
    // an organization without an identity secret cannot accept a userJWT
    const r = await h.api(srv.base, 'POST', `/api/widget/${A.guid}/session`, { body: { userJWT: jwt } });
    h.assertError(r, 401);
  });
});
