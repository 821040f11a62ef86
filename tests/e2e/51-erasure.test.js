'use strict';
// Client erasure and export: DELETE /api/client/{id} (company token or API
// key) turns every message of the client's chats into a tombstone at its seq
// (both sides get MessageRedacted live), clears the client's profile, revokes
// its visitor tokens (its widget connection is closed) and answers a receipt;
// again, the receipt says zeros. The erased e-mail and words are gone from
// the SQLite database file (after the server's final checkpoint).
// GET /api/client/{id}/export: the profile and the chats with their
// messages. Isolation (another company 404, operators and visitors 403), bad
// ids. Retention: an organization's retentionDays erases its old Closed chats.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const RECEIPT_KEYS = ['chats', 'clientId', 'csatComments', 'erasedAt', 'fields', 'media', 'messages'];

const eraseOn = (srv, token, id) => h.api(srv.base, 'DELETE', `/api/client/${id}`, { token });

function fileHas(file, text) {
  return fs.existsSync(file) && fs.readFileSync(file).includes(Buffer.from(text));
}

describe('client erasure and export', () => {
  let srv;
  let o; // company, its org with 2 operators
  let rival; // another company

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'eraseco', { operators: 2 });
    rival = await hub.makeOrgFixture(srv, 'eraserival', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const erase = (token, id) => eraseOn(srv, token, id);
  const exportOf = (token, id, q = '') => h.api(srv.base, 'GET', `/api/client/${id}/export${q}`, { token });

  test('erasure: tombstones live on both sides at the same seqs, the receipt, tokens revoked', async () => {
    const [a, b] = o.ops;
    const tag = crypto.randomBytes(4).toString('hex');
    const word = `quokka${tag}`;
    const email = `anna.${tag}@example.org`;
    const v = await hub.visitorChat(srv, o.guid, `my secret ${word}`,
      { body: { name: `Anna ${tag}`, email, phone: '+380 44 555 1234', pageUrl: `https://shop.example/${tag}` } });
    const chatId = v.chatId;
    const clientId = v.session.clientId;
    const opB = await hub.connectHub(srv.base, b.token, { label: 'op B' });
    const pic = await hub.postMessage(srv, a.token, chatId, { textMessage: `you said ${word}`,
      media: { name: 'card.txt', format: 'text/plain', dataBase64: Buffer.from(`card ${word}`).toString('base64'), type: 4 } });
    await v.invoke('SendMessage', chatId, `and again ${word}`, crypto.randomUUID());
    let r = await h.api(srv.base, 'PUT', `/api/client/${clientId}`, { token: o.token,
      body: { attributes: { plan: `gold${tag}` } } });
    h.assertOk(r);
    const before = await hub.allMessages(srv, o.token, chatId);
    assert.equal(before.length, 3);

    const marks = [v.mark(), opB.mark()];
    r = await erase(o.token, clientId);
    h.assertOk(r);
    const receipt = r.json;
    assert.deepEqual(Object.keys(receipt).sort(), RECEIPT_KEYS);
    assert.equal(receipt.clientId, clientId);
    assert.match(receipt.erasedAt, hub.ISO_RE);
    assert.equal(receipt.chats, 1);
    assert.equal(receipt.messages, 3);
    assert.equal(receipt.media, 1);
    assert.equal(receipt.csatComments, 0);
    assert.deepEqual(receipt.fields.sort(), ['attributes', 'email', 'name', 'pageUrl', 'phone', 'userAgent']);

    // live: every message's tombstone reaches the widget and a second operator tab, in seq order
    for (const [who, conn, mark] of [['visitor', v, marks[0]], ['operator B', opB, marks[1]]]) {
      await conn.waitFor('MessageRedacted', (m) => m.seq === 3, { from: mark });
      const evs = conn.all('MessageRedacted', (m) => m.chatId === chatId, mark).map((args) => args[0]);
      assert.deepEqual(evs.map((m) => m.seq), [1, 2, 3], `${who}: one tombstone per message, in order`);
      for (const t of evs) {
        assert.equal(t.textMessage, '', who);
        assert.equal(t.media, null, who);
        assert.equal(t.redacted.by, null, `${who}: erased by the company`);
      }
    }
    // the visitor's connection is closed, and its token refused
    await v.waitClosed();
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/${chatId}/messages`, { token: v.session.visitorToken }), 401, 2003);
    await assert.rejects(hub.connectHub(srv.base, v.session.visitorToken, { label: 'erased visitor again' }),
      'the hub refuses the token');

    // history: the tombstones at the same ids and seqs
    const rest = await hub.allMessages(srv, o.token, chatId);
    hub.assertContiguous(rest, 1, 'REST history');
    const sync = await opB.invoke('Sync', { chats: { [chatId]: 0 } });
    const synced = sync.messages.filter((m) => m.chatId === chatId);
    for (const [what, list] of [['REST', rest], ['Sync', synced]]) {
      assert.deepEqual(list.map((m) => [m.id, m.seq, m.author]), before.map((m) => [m.id, m.seq, m.author]), what);
      for (const m of list) {
        assert.equal(m.textMessage, '', what);
        assert.match(m.redacted.at, hub.ISO_RE, what);
      }
      assert.ok(!JSON.stringify(list).includes(word), `${what} no longer holds the word`);
    }
    r = await fetch(new URL(pic.media.url, srv.base));
    assert.equal(r.status, 404, 'the media is gone');

    // the client: erased, its profile cleared; the chat's preview and theme cleared
    r = await h.api(srv.base, 'GET', `/api/client/${clientId}`, { token: o.token });
    h.assertOk(r);
    assert.equal(r.json.erased, true);
    assert.equal(r.json.erasedAt, receipt.erasedAt);
    for (const k of ['name', 'email', 'phone', 'pageUrl', 'referrer', 'userAgent']) assert.equal(r.json[k], '', k);
    assert.deepEqual(r.json.attributes, {});
    const chat = await hub.getChat(srv, o.token, chatId);
    assert.equal(chat.lastMessage, '');
    assert.equal(chat.theme, '');
    assert.ok(!JSON.stringify(chat).includes(tag), 'the chat object holds nothing of the client');
    r = await h.api(srv.base, 'GET', `/api/chat/chats?search=${word}`, { token: o.token });
    h.assertOk(r);
    assert.deepEqual(r.json.items, [], 'search no longer finds the word');
    r = await h.api(srv.base, 'GET', `/api/chat/chats?search=${encodeURIComponent(email)}`, { token: o.token });
    h.assertOk(r);
    assert.deepEqual(r.json.items, [], 'search no longer finds the e-mail');

    // the organization's events: client.erased with the counts; the message events read tombstones
    r = await h.api(srv.base, 'GET', `/api/events?organizationId=${o.orgId}&after=0&limit=1000`, { token: o.token });
    h.assertOk(r);
    const erasedEvs = r.json.events.filter((e) => e.type === 'client.erased' && e.client && e.client.id === clientId);
    assert.equal(erasedEvs.length, 1, JSON.stringify(r.json.events.map((e) => e.type)));
    assert.deepEqual(erasedEvs[0].data, { chats: 1, messages: 3, media: 1, csatComments: 0 });
    assert.equal(erasedEvs[0].client.erased, true);
    assert.ok(!JSON.stringify(r.json).includes(word) && !JSON.stringify(r.json).includes(tag), 'no event holds the erased data');
    const lastSeq = r.json.events[r.json.events.length - 1].eventSeq;

    // again: the receipt with zeros
    r = await erase(o.token, clientId);
    h.assertOk(r);
    assert.deepEqual(r.json, { ...receipt, chats: 0, messages: 0, media: 0, csatComments: 0, fields: [] });
    await h.sleep(300);
    assert.equal(opB.all('MessageRedacted', (m) => m.chatId === chatId, marks[1]).length, 3, 'no second event');
    r = await h.api(srv.base, 'GET', `/api/events?organizationId=${o.orgId}&after=${lastSeq}`, { token: o.token });
    h.assertOk(r);
    assert.deepEqual(r.json.events.filter((e) => e.type === 'client.erased'), [], 'no second client.erased');

    // the same widget (its old token) starts over as a new client
    const s2 = await hub.widgetSession(srv, o.guid, { visitorToken: v.session.visitorToken });
    assert.notEqual(s2.clientId, clientId);
  });

  test('more than 1,000 tombstones: one ClientErased to the operator side instead of one event each', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'a long story', { body: { name: 'Talkative' } });
    const clientId = v.session.clientId;
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) =>
        h.api(srv.base, 'POST', `/api/chat/${v.chatId}/message`, { token: o.ops[0].token, body: { textMessage: `line ${i + k}` } })
          .then((r) => h.assertOk(r))));
    }
    const opB = await hub.connectHub(srv.base, o.ops[1].token, { label: 'op B (many)' });
    const mark = opB.mark();
    const t0 = Date.now();
    const r = await erase(o.token, clientId);
    h.assertOk(r);
    const took = Date.now() - t0;
    assert.equal(r.json.messages, 1001);
    assert.equal(r.json.chats, 1);
    const [ev] = await opB.waitFor('ClientErased', (x) => x.clientId === clientId, { from: mark });
    assert.deepEqual(ev, { clientId, chatIds: [v.chatId] });
    const [cl] = await opB.waitFor('ClientUpdated', (x) => x.id === clientId, { from: mark });
    assert.equal(cl.erased, true);
    assert.equal(opB.all('MessageRedacted', () => true, mark).length, 0, 'no event per message');
    const rest = await hub.allMessages(srv, o.token, v.chatId);
    assert.equal(rest.length, 1001);
    assert.ok(rest.every((m) => m.textMessage === '' && m.redacted), 'every message is a tombstone');
    await v.waitClosed();
    console.log(`# erasing 1,001 messages took ${took} ms (request to receipt)`);
  });

  test('erasure and export: who may, isolation, bad ids', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'keep me', { body: { name: 'Keeper' } });
    const clientId = v.session.clientId;
    for (const call of [erase, exportOf]) {
      h.assertError(await call(o.ops[0].token, clientId), 403, 2005);
      h.assertError(await call(v.session.visitorToken, clientId), 403, 2005);
      h.assertError(await call(rival.token, clientId), 404, 3001);
      for (const bad of ['abc', '0', '-1', '99999999999999999999999', String(clientId + 100000)]) {
        h.assertError(await call(o.token, bad), 404, 3001);
      }
    }
    const list = await hub.allMessages(srv, o.token, v.chatId);
    assert.equal(list[0].textMessage, 'keep me', 'nothing was erased');
  });

  test('export: the profile and every chat with its messages; an API key may', async () => {
    const tag = crypto.randomBytes(4).toString('hex');
    const v = await hub.visitorChat(srv, o.guid, `first ${tag}`, { body: { name: `Bo ${tag}`, email: `bo.${tag}@example.org` } });
    const clientId = v.session.clientId;
    await hub.postMessage(srv, o.ops[0].token, v.chatId, { textMessage: `reply ${tag}` });
    let r = await h.api(srv.base, 'PUT', '/api/chat/status', { token: o.token, body: { id: v.chatId, status: 4 } });
    h.assertOk(r);
    await v.invoke('SendMessage', null, `second chat ${tag}`, crypto.randomUUID());
    r = await h.api(srv.base, 'POST', '/api/company/api-keys', { token: o.token, body: { name: 'privacy desk' } });
    assert.equal(r.status, 201, h.describeRes(r));
    const key = r.json.key;
    // on a cluster, the other processes learn a new key within a second
    await hub.pollUntil(async () => (r = await exportOf(key, clientId)).status !== 401, { what: 'the key is known' });
    h.assertOk(r);
    const x = r.json;
    assert.match(x.exportedAt, hub.ISO_RE);
    assert.equal(x.client.id, clientId);
    assert.equal(x.client.email, `bo.${tag}@example.org`);
    assert.equal(x.client.erased, false);
    assert.equal(x.page, 1);
    assert.equal(x.perPage, 10);
    assert.equal(x.total, 2);
    assert.equal(x.chats.length, x.total);
    const texts = x.chats.flatMap((c) => c.messages.map((m) => m.textMessage));
    assert.ok(texts.includes(`first ${tag}`) && texts.includes(`reply ${tag}`), JSON.stringify(texts));
    for (const c of x.chats) {
      assert.equal(c.messagesTruncated, false);
      hub.assertContiguous(c.messages, 1, 'export messages');
    }
    r = await exportOf(o.token, clientId, '?page=2&per_page=1');
    h.assertOk(r);
    assert.equal(r.json.chats.length, 1);
    assert.equal(r.json.chats[0].id, x.chats[1].id, 'newest activity first, paged');
    h.assertError(await exportOf(o.token, clientId, '?per_page=51'), 400);
  });
});

// Its own SQLite server: stopped to read its database file (the server's
// last connection checkpoints the WAL into it and removes the WAL).
describe('erased data is gone from the SQLite database file', () => {
  test('the e-mail and a word of the messages: in the file before, absent after', async () => {
    const srv = await h.startServer({ env: hub.HUB_ENV, sqlite: true });
    try {
      const o = await hub.makeOrgFixture(srv, 'erasefile', { operators: 1 });
      const tag = crypto.randomBytes(6).toString('hex');
      const word = `wombat${tag}`;
      const email = `zed.${tag}@example.org`;
      const v = await hub.visitorChat(srv, o.guid, `my card is ${word}`, { body: { name: `Zed ${tag}`, email } });
      await hub.postMessage(srv, o.ops[0].token, v.chatId, { textMessage: `noted ${word}`,
        media: { name: 'scan.txt', format: 'text/plain', dataBase64: Buffer.from(`scan ${word}`).toString('base64'), type: 4 } });
      // a CSAT comment in the client's words (the chat closed, then rated)
      h.assertOk(await hub.setChatStatus(srv, o.token, v.chatId, 4));
      const comment = `slow but kind ${tag}`;
      let r = await h.api(srv.base, 'POST', `/api/widget/${o.guid}/csat`,
        { token: v.session.visitorToken, body: { chatId: v.chatId, rating: 4, comment } });
      h.assertOk(r);
      // the search index holds the words too (it catches up within a second)
      await hub.pollUntil(async () => {
        const r = await h.api(srv.base, 'GET', `/api/chat/chats?search=${word}`, { token: o.token });
        return r.status === 200 && r.json.items.length === 1;
      }, { what: 'the message is indexed' });
      await hub.closeAllClients();
      await srv.stop();
      assert.ok(fileHas(srv.dbPath, email), 'the e-mail is in the file before');
      assert.ok(fileHas(srv.dbPath, word), 'the word is in the file before');
      assert.ok(fileHas(srv.dbPath, comment), 'the CSAT comment is in the file before');
      await srv.start();
      r = await eraseOn(srv, o.token, v.session.clientId);
      h.assertOk(r);
      assert.equal(r.json.messages, 2);
      assert.equal(r.json.media, 1);
      assert.equal(r.json.csatComments, 1);
      r = await h.api(srv.base, 'GET', `/api/client/${v.session.clientId}/export`, { token: o.token });
      h.assertOk(r);
      assert.deepEqual(r.json.chats[0].csat, { rating: 4, comment: null, at: r.json.chats[0].csat.at },
        'the rating stays, the comment is gone');
      await srv.stop();
      for (const f of [srv.dbPath, `${srv.dbPath}-wal`]) {
        assert.ok(!fileHas(f, email), `the e-mail is gone from ${f}`);
        assert.ok(!fileHas(f, word), `the word is gone from ${f}`);
        assert.ok(!fileHas(f, tag), `nothing with the tag is left in ${f}`);
      }
    } finally {
      await hub.closeAllClients();
      if (srv.child) await srv.stop();
    }
  });
});

// One process whose clock is 40 days behind writes the chats, then runs on
// the right time with a sweep every second.
describe('retention', () => {
  const DAYS40 = 40 * 86400; // seconds

  test("retentionDays erases only the organization's old Closed chats", async () => {
    const srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_CLOCK_OFFSET: String(-DAYS40),
      CHATHUB_RETENTION_INTERVAL_SECONDS: '0' }, single: true });
    try {
      const o = await hub.makeOrgFixture(srv, 'retainco', { operators: 1 });
      const sales = await hub.addOrg(srv, o.company, 'Sales', { operators: 1 });
      const tag = crypto.randomBytes(4).toString('hex');
      const old = await hub.visitorChat(srv, o.guid, `old closed ${tag}`, { body: { name: `Old ${tag}` } });
      await hub.postMessage(srv, o.ops[0].token, old.chatId, {
        textMessage: 'a file', media: { name: 'a.txt', format: 'text/plain', dataBase64: Buffer.from('x').toString('base64'), type: 4 } });
      h.assertOk(await hub.setChatStatus(srv, o.token, old.chatId, 4));
      const open = await hub.visitorChat(srv, o.guid, `old but open ${tag}`);
      const other = await hub.visitorChat(srv, sales.guid, `other org ${tag}`);
      h.assertOk(await hub.setChatStatus(srv, o.token, other.chatId, 4));
      // the setting: bounds, and GET shows it
      const org = `/api/company/organization/${o.orgId}`;
      h.assertError(await h.api(srv.base, 'PUT', org, { token: o.token, body: { retentionDays: 3651 } }), 400, 1003);
      h.assertError(await h.api(srv.base, 'PUT', org, { token: o.token, body: { retentionDays: -1 } }), 400, 1003);
      h.assertError(await h.api(srv.base, 'PUT', org, { token: o.token, body: { retentionDays: 'x' } }), 400, 1001);
      let r = await h.api(srv.base, 'PUT', org, { token: o.token, body: { retentionDays: 30 } });
      h.assertOk(r);
      assert.equal(r.json.retentionDays, 30);
      r = await h.api(srv.base, 'PUT', org, { token: o.token, body: { name: 'Support' } });
      assert.equal(r.json.retentionDays, 30, 'unchanged when absent');
      r = await h.api(srv.base, 'GET', `/api/company/organization/${sales.orgId}`, { token: o.token });
      h.assertOk(r);
      assert.equal(r.json.retentionDays, 0, 'the default keeps forever');
      await hub.closeAllClients();
      await srv.stop();

      srv.env.CHATHUB_CLOCK_OFFSET = '0';
      srv.env.CHATHUB_RETENTION_INTERVAL_SECONDS = '1';
      await srv.start();
      const token = await h.companyToken(srv.base, o.company.login, o.company.password);
      const fresh = await hub.visitorChat(srv, o.guid, `new closed ${tag}`);
      h.assertOk(await hub.setChatStatus(srv, token, fresh.chatId, 4));
      await hub.pollUntil(async () => {
        const list = await hub.allMessages(srv, token, old.chatId);
        return list.every((m) => m.redacted);
      }, { what: 'the old Closed chat is erased', ms: 15000 });
      const list = await hub.allMessages(srv, token, old.chatId);
      assert.equal(list.length, 2);
      assert.ok(list.every((m) => m.textMessage === '' && m.media === null && m.redacted.by === null));
      await h.sleep(1500); // another sweep or two
      for (const [what, chatId, text] of [['open', open.chatId, `old but open ${tag}`],
        ['other organization', other.chatId, `other org ${tag}`], ['recent', fresh.chatId, `new closed ${tag}`]]) {
        const msgs = await hub.allMessages(srv, token, chatId);
        assert.equal(msgs[0].textMessage, text, `${what}: kept`);
        assert.equal(msgs[0].redacted, undefined, what);
      }
      r = await h.api(srv.base, 'GET', `/api/client/${old.session.clientId}`, { token });
      h.assertOk(r);
      assert.equal(r.json.name, `Old ${tag}`, "the client's profile stays");
      assert.equal(r.json.erased, false);
    } finally {
      await hub.closeAllClients();
      if (srv.child) await srv.stop();
    }
  });
});
