'use strict';
// Full-text search (ext): GET /api/chat/chats?search= over message text and the
// client's name, e-mail and phone, case- and diacritic-insensitive, Cyrillic
// and Latin; matching chats of any status, newest activity first, each with its
// `match`; combined with the list's other filters; the caller's scope only
// (another company's or, for an operator, another organization's chats never);
// the user's words are data, never query syntax, and bounded.

const crypto = require('node:crypto');
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const SECRET = 'search-channel-secret-0123456789';
const OPEN = '\u0002';
const CLOSE = '\u0003';

describe('search', () => {
  let srv;
  let a; // company A: org with 2 operators and a channel
  let sales; // A's second organization
  let rival; // company B, with the same words and people
  const chats = {};

  const sign = (body) => `sha256=${crypto.createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const inbound = (guid, payload) => {
    const body = Buffer.from(JSON.stringify(payload));
    return h.api(srv.base, 'POST', `/api/channel/${guid}/inbound`, {
      rawBody: body, headers: { 'Content-Type': 'application/json', 'X-ChatHub-Signature': sign(body) },
    });
  };
  const search = (token, words, extra = '') =>
    h.api(srv.base, 'GET', `/api/chat/chats?search=${encodeURIComponent(words)}${extra}`, { token });
  const found = async (token, words, extra = '') => {
    const r = await search(token, words, extra);
    h.assertOk(r);
    assert.equal(r.json.total, r.json.items.length, `${words}: one page`);
    return r.json.items;
  };
  const ids = (items) => items.map((c) => c.id);

  // A widget visitor with a name and an e-mail who says text; returns the chat id.
  async function widgetChat(o, name, email, text) {
    const v = await hub.visitorChat(srv, o.guid, text, { body: { name, email } });
    return v.chatId;
  }

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    a = await hub.makeOrgFixture(srv, 'searchco', { operators: 2 });
    sales = await hub.addOrg(srv, a.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'searchrival', { operators: 1 });
    for (const o of [a, rival]) await hub.putOrg(srv, o.token, o.orgId, { channelSecret: SECRET });

    chats.olga = await widgetChat(a, 'Ольга Иванова', 'olga.ivanova@example.com', 'Где мой ЗАКАЗ? Номер 4711');
    await hub.postMessage(srv, a.ops[0].token, chats.olga, { textMessage: 'Ваш заказ уже в пути' });
    const t = await inbound(a.guid, { externalUserId: 'tg-1', name: 'Taras', phone: '+380 (50) 111-22-33',
      text: 'Crème brûlée, please', externalMessageId: 'a-1', source: 2 });
    h.assertOk(t);
    chats.taras = t.json.chatId;
    chats.invoice = await widgetChat(sales, 'Sales Guy', 'guy@sales.example', 'I need an invoice');
    // company B: the same words, name, e-mail and phone
    chats.rivalOlga = await widgetChat(rival, 'Ольга Иванова', 'olga.ivanova@example.com', 'Где мой заказ? invoice');
    const rt = await inbound(rival.guid, { externalUserId: 'tg-1', name: 'Taras', phone: '+380 (50) 111-22-33',
      text: 'Creme brulee', externalMessageId: 'b-1', source: 2 });
    h.assertOk(rt);
    chats.rivalTaras = rt.json.chatId;
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  test('Cyrillic and Latin words in any case, without diacritics; each chat says where it matched', async () => {
    for (const q of ['заказ', 'ЗАКАЗ', 'Заказ в пути']) {
      const items = await found(a.token, q);
      assert.deepEqual(ids(items), [chats.olga], q);
      assert.equal(items[0].match.field, 'message', q);
      assert.equal(items[0].match.seq, 2, `${q}: the newest matching message`);
      assert.ok(items[0].match.snippet.includes(`${OPEN}заказ${CLOSE}`), `${q}: ${items[0].match.snippet}`);
    }
    let items = await found(a.token, 'где мой');
    assert.equal(items[0].match.seq, 1);
    assert.equal(items[0].match.snippet, `${OPEN}Где${CLOSE} ${OPEN}мой${CLOSE} ЗАКАЗ? Номер 4711`);
    for (const q of ['creme brulee', 'CRÈME', 'Brûlée']) {
      items = await found(a.token, q);
      assert.deepEqual(ids(items), [chats.taras], q);
      assert.equal(items[0].match.field, 'message');
    }
    items = await found(a.token, 'ОЛЬГА иван');
    assert.deepEqual(ids(items), [chats.olga]);
    assert.deepEqual(items[0].match, { field: 'name', seq: null, snippet: `${OPEN}Ольга${CLOSE} ${OPEN}Иванова${CLOSE}` });
    items = await found(a.token, 'inv');
    assert.deepEqual(ids(items), [chats.invoice], 'a word is a prefix');
  });

  test('an e-mail, and a phone however it is typed', async () => {
    let items = await found(a.token, 'olga.ivanova@example.com');
    assert.deepEqual(ids(items), [chats.olga]);
    assert.equal(items[0].match.field, 'email');
    assert.ok(items[0].match.snippet.includes(OPEN), items[0].match.snippet);
    for (const q of ['+380501112233', '380 50 111 22 33', '(050) 111-22-33', '050-111-2233', '111 22 33', '+380 (50) 111-22-33']) {
      items = await found(a.token, q);
      assert.deepEqual(ids(items), [chats.taras], q);
      assert.deepEqual(items[0].match, { field: 'phone', seq: null, snippet: `${OPEN}+380 (50) 111-22-33${CLOSE}` }, q);
    }
    assert.deepEqual(await found(a.token, '+7 501 112 233'), [], 'other digits');
    // the chat object is the list's, plus match
    const [c] = await found(a.token, '4711');
    assert.equal(c.client.name, 'Ольга Иванова');
    assert.equal(c.source, 3);
  });

  test("another company's chats never; an operator sees its organization's; the other filters combine", async () => {
    assert.deepEqual(ids(await found(rival.token, 'заказ')), [chats.rivalOlga]);
    assert.deepEqual(ids(await found(rival.token, '+380501112233')), [chats.rivalTaras]);
    assert.deepEqual(ids(await found(rival.token, '4711')), []);
    assert.deepEqual(ids(await found(rival.ops[0].token, 'ольга')), [chats.rivalOlga]);
    assert.deepEqual(ids(await found(a.token, 'invoice')), [chats.invoice], "B's invoice is not A's");
    // operators: their organization only, whatever organizationId says
    assert.deepEqual(ids(await found(a.ops[1].token, 'заказ')), [chats.olga]);
    assert.deepEqual(ids(await found(sales.ops[0].token, 'заказ')), []);
    assert.deepEqual(ids(await found(sales.ops[0].token, 'invoice')), [chats.invoice]);
    assert.deepEqual(ids(await found(sales.ops[0].token, 'invoice', `&organizationId=${a.orgId}`)), []);
    // company: optionally one organization
    assert.deepEqual(ids(await found(a.token, 'invoice', `&organizationId=${sales.orgId}`)), [chats.invoice]);
    assert.deepEqual(ids(await found(a.token, 'invoice', `&organizationId=${a.orgId}`)), []);
    assert.deepEqual(ids(await found(a.token, 'invoice', `&organizationId=${rival.orgId}`)), []);
    // status, source, operator: AND
    assert.deepEqual(ids(await found(a.token, 'заказ', '&source=3')), [chats.olga]);
    assert.deepEqual(ids(await found(a.token, 'заказ', '&source=2')), []);
    const status = (await found(a.token, 'заказ'))[0].chatStatus;
    assert.deepEqual(ids(await found(a.token, 'заказ', `&status=${status}`)), [chats.olga]);
    assert.deepEqual(ids(await found(a.token, 'заказ', `&status=${status === 1 ? 2 : 1}`)), []);
    assert.deepEqual(ids(await found(a.token, 'заказ', `&operatorId=${a.ops[1].id}`)), [], 'not assigned');
  });

  test('any status, newest activity first, paged like the list', async () => {
    h.assertOk(await hub.setChatStatus(srv, a.token, chats.taras, 4));
    let items = await found(a.token, 'brulee');
    assert.deepEqual(ids(items), [chats.taras]);
    assert.equal(items[0].chatStatus, 4, 'a Closed chat is found');
    assert.deepEqual(ids(await found(a.token, 'brulee', '&status=4')), [chats.taras]);
    assert.deepEqual(ids(await found(a.token, 'brulee', '&status=1')), []);
    // three chats that say the same word, newest activity first
    const more = [];
    for (let i = 0; i < 3; i++) more.push(await widgetChat(a, `Refund ${i}`, undefined, 'refund please'));
    await h.sleep(5); // activity times are milliseconds: the reply must come in a later one than the last chat
    await hub.postMessage(srv, a.ops[0].token, more[0], { textMessage: 'your refund is on its way' });
    items = await found(a.token, 'refund');
    assert.deepEqual(ids(items), [more[0], more[2], more[1]]);
    let r = await search(a.token, 'refund', '&per_page=2&page=2');
    h.assertOk(r);
    assert.equal(r.json.total, 3);
    assert.deepEqual(ids(r.json.items), [more[1]]);
    r = await search(a.token, 'refund', '&per_page=2&page=9');
    h.assertOk(r);
    assert.equal(r.json.total, 3, 'a page past the end still counts');
    assert.deepEqual(r.json.items, []);
    // without search, no match
    r = await h.api(srv.base, 'GET', '/api/chat/chats?per_page=1', { token: a.token });
    assert.equal(r.json.items[0].match, undefined);
    r = await h.api(srv.base, 'GET', '/api/chat/chats?per_page=1&search=%20%20', { token: a.token });
    assert.equal(r.json.items[0].match, undefined, 'white space alone is no search');
  });

  test('the words are data: query syntax, odd bytes and sizes answer 200 or a clear 400, never 5xx', async () => {
    const data = ['"', '""', '"заказ"', '*', 'зак*', 'OR', 'заказ OR invoice', 'NEAR(заказ мой)', 'NEAR', '(', ')',
      '(заказ', '-', '- заказ', 'заказ -invoice', 'NOT', 'AND', '^заказ', 'text:заказ', '{name}:olga', "'", "''",
      '\\', '&', '|', '!', '<->', ':*', 'заказ:*A', '\u0002', '«»', '—', '🙂', 'a'.repeat(256),
      'ǅ ﬀ ẞ İ', '%', '_', '\u202e', 'null', 'undefined', '1=1; DROP TABLE chats; --'];
    for (const q of data) {
      const r = await search(a.token, q).catch((e) => assert.fail(`${JSON.stringify(q)}: ${e.message} ${e.cause}`));
      assert.ok(r.status === 200 || r.status === 400, `${JSON.stringify(q)}: ${h.describeRes(r)}`);
      if (r.status === 400) assert.ok([1001, 1003].includes(r.json.code), `${JSON.stringify(q)}: ${h.describeRes(r)}`);
    }
    // %00 in a query string: the HTTP layer drops the connection (any parameter), the server lives on
    const nul = await search(a.token, 'a\u0000b').catch(() => null);
    assert.ok(nul === null || nul.status === 400, nul && h.describeRes(nul));
    assert.deepEqual(ids(await found(a.token, '"заказ"')), [chats.olga], 'quotes are punctuation');
    assert.deepEqual(ids(await found(a.token, 'заказ OR invoice')), [], 'OR is a word like any other');
    assert.deepEqual(ids(await found(a.token, '-')), [], 'no word: nothing found');
    h.assertError(await search(a.token, 'a'.repeat(257)), 400, 1003);
    h.assertError(await search(a.token, 'a '.repeat(17)), 400, 1003);
    h.assertOk(await search(a.token, 'a '.repeat(16)));
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats?search=%FF%FE', { token: a.token }), 400, 1001);
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats?search=caf%C3', { token: a.token }), 400, 1001);
    // 5 KB in the query string: the search's bound
    h.assertError(await search(a.token, 'a'.repeat(5000)), 400, 1003);
    h.assertError(await search(a.token, 'заказ'.repeat(500)), 400, 1003);
    // 10 KB of text: past the HTTP layer's bound on a request's headers (8 KiB), which drops the
    // connection before any handler runs; the server answers the next request
    const big = await search(a.token, 'заказ '.repeat(1000)).catch(() => null);
    assert.ok(big === null || (big.status >= 400 && big.status < 500), big && h.describeRes(big));
    assert.deepEqual(ids(await found(a.token, 'заказ')), [chats.olga]);
  });
});

describe('search: a Closed chat of last month', () => {
  const MONTH = 35 * 86400; // seconds

  test('is found by a word, its client and its phone', async () => {
    // one process whose clock is 35 days behind writes the chat, then runs on the right time
    const srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_CLOCK_OFFSET: String(-MONTH) }, single: true });
    try {
      const o = await hub.makeOrgFixture(srv, 'searchold', { operators: 1 });
      const v = await hub.visitorChat(srv, o.guid, 'Посылка пришла разбитой', { body: { name: 'Пётр Старый' } });
      await hub.postMessage(srv, o.ops[0].token, v.chatId, { textMessage: 'Sorry, a refund is on its way' });
      h.assertOk(await hub.setChatStatus(srv, o.token, v.chatId, 4));
      await hub.closeAllClients();
      await srv.stop();
      srv.env.CHATHUB_CLOCK_OFFSET = '0';
      await srv.start();
      const token = await h.companyToken(srv.base, o.company.login, o.company.password);
      for (const q of ['посылка', 'РАЗБИТОЙ', 'refund', 'пётр']) {
        const r = await h.api(srv.base, 'GET', `/api/chat/chats?search=${encodeURIComponent(q)}`, { token });
        h.assertOk(r);
        assert.deepEqual(r.json.items.map((c) => c.id), [v.chatId], q);
        const c = r.json.items[0];
        assert.equal(c.chatStatus, 4);
        const age = Date.now() - Date.parse(c.lastMessageAt);
        assert.ok(age > 30 * 86400e3 && age < 40 * 86400e3, `last activity ${c.lastMessageAt}`);
      }
    } finally {
      await hub.closeAllClients();
      await srv.stop();
    }
  });
});
