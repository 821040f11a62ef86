'use strict';
// Organization events (ext): every change of an organization's chats,
// messages and clients is an event numbered 1, 2, 3… per organization, in
// commit order, read back with GET /api/events?organizationId=&after=&limit=
// (company token or API key). The objects are read when the event is: a
// redacted message reads as its tombstone. Private notes are never events.
// Another company's organization is 404; a cursor past the last event is 400;
// one older than the retention kept is 410 with the oldest eventSeq kept.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const events = (srv, token, q) => h.api(srv.base, 'GET', `/api/events?${q}`, { token });

async function allEvents(srv, token, orgId, limit = 1000) {
  const out = [];
  let after = 0;
  for (;;) {
    const r = await events(srv, token, `organizationId=${orgId}&after=${after}&limit=${limit}`);
    h.assertOk(r);
    out.push(...r.json.events);
    if (!r.json.hasMore) return { events: out, last: r.json.lastEventSeq };
    after = r.json.next;
  }
}

function assertGapFree(list, from = 1) {
  list.forEach((e, i) => assert.equal(e.eventSeq, from + i, `eventSeq ${from + i}: ${JSON.stringify(e)}`));
}

describe('organization events', () => {
  let srv;
  let o; // company, its org with 2 operators
  let sales; // another org of the same company
  let rival; // another company

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'eventsco', { operators: 2 });
    sales = await hub.addOrg(srv, o.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'eventsrival', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('a conversation is recorded in order, gap-free, with its objects as they are now', async () => {
    const [a] = o.ops;
    const secret = `note-${crypto.randomBytes(6).toString('hex')}`;
    await hub.connectHub(srv.base, a.token, { label: 'op A' }); // online: the new chat is assigned to A
    const v = await hub.visitorChat(srv, o.guid, 'Hello, my order is late');
    const chatId = v.chatId;
    const reply = await hub.postMessage(srv, a.token, chatId, { textMessage: 'Looking into it' });
    h.assertOk(await h.api(srv.base, 'POST', `/api/chat/${chatId}/notes`, { token: a.token, body: { text: secret } }), 201);
    await v.invoke('MarkRead', chatId, reply.seq);
    h.assertOk(await h.api(srv.base, 'DELETE', `/api/chat/${chatId}/messages/${v.first.id}`, { token: o.token }));
    h.assertOk(await hub.setChatStatus(srv, o.token, chatId, 4));

    const { events: list, last } = await allEvents(srv, o.token, o.orgId);
    assertGapFree(list);
    assert.equal(last, list.length);
    const mine = list.filter((e) => e.chat && e.chat.id === chatId || (e.data && e.data.chatId === chatId));
    const types = mine.map((e) => e.type);
    assert.deepEqual(types.slice(0, 2), ['chat.created', 'message.created'], types.join(' '));
    for (const t of ['chat.assigned', 'message.status_changed', 'message.redacted', 'chat.closed']) {
      assert.ok(types.includes(t), `${t} in ${types.join(' ')}`);
    }
    assert.ok(types.indexOf('message.redacted') < types.indexOf('chat.closed'), 'commit order');
    assert.equal(types.filter((t) => t === 'message.created').length, 2, 'two messages, no note');
    const text = JSON.stringify(list);
    assert.ok(!text.includes(secret), 'a private note never appears in events');
    assert.ok(!text.includes('my order is late'), `the redacted text is gone from the log: ${text.slice(Math.max(0, text.indexOf('my order is late') - 300), text.indexOf('my order is late') + 50)}`);

    for (const e of list) {
      assert.match(e.eventId, /^evt_\d+_\d+$/);
      assert.equal(e.organizationId, o.orgId);
      assert.match(e.at, hub.ISO_RE);
      assert.equal(typeof e.data, 'object');
    }
    const created = mine.filter((e) => e.type === 'message.created');
    assert.equal(created[0].message.id, v.first.id);
    assert.equal(created[0].message.textMessage, '', 'the first message reads as its tombstone');
    assert.ok(created[0].message.redacted);
    assert.equal(created[0].data.seq, 1);
    assert.equal(created[1].message.textMessage, 'Looking into it');
    const read = mine.find((e) => e.type === 'message.status_changed');
    assert.equal(read.data.status, 3);
    assert.equal(read.data.uptoSeq, reply.seq);
    assert.equal(read.data.reader, 'client');
    const closed = mine.find((e) => e.type === 'chat.closed');
    assert.equal(closed.data.status, 4);
    assert.equal(closed.chat.id, chatId);

    // the same events again, one page at a time: same ids, same order
    const paged = [];
    let after = 0;
    for (;;) {
      const r = await events(srv, o.token, `organizationId=${o.orgId}&after=${after}&limit=2`);
      h.assertOk(r);
      assert.ok(r.json.events.length <= 2);
      paged.push(...r.json.events);
      if (!r.json.hasMore) break;
      after = r.json.next;
    }
    assert.deepEqual(paged.map((e) => e.eventId), list.map((e) => e.eventId));

    // deleting the chat is an event; its earlier events stay, their chat null
    h.assertOk(await h.api(srv.base, 'DELETE', `/api/chat/chats/${chatId}`, { token: o.token }));
    const r = await events(srv, o.token, `organizationId=${o.orgId}&after=${last}`);
    h.assertOk(r);
    assert.deepEqual(r.json.events.map((e) => e.type), ['chat.deleted']);
    assert.equal(r.json.events[0].eventSeq, last + 1);
    assert.equal(r.json.events[0].data.chatId, chatId);
    assert.equal(r.json.events[0].chat, null);
  });

  test('client.updated when the staff edits a client', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'Hi');
    const before = (await allEvents(srv, o.token, o.orgId)).last;
    h.assertOk(await h.api(srv.base, 'PUT', `/api/client/${v.session.clientId}`,
      { token: o.token, body: { name: 'Olena Updated' } }));
    const r = await events(srv, o.token, `organizationId=${o.orgId}&after=${before}`);
    h.assertOk(r);
    const ev = r.json.events.find((e) => e.type === 'client.updated');
    assert.ok(ev, JSON.stringify(r.json.events));
    assert.equal(ev.client.id, v.session.clientId);
    assert.equal(ev.client.name, 'Olena Updated');
  });

  test('each organization has its own numbering; nothing crosses organizations or companies', async () => {
    const vs = await hub.visitorChat(srv, sales.guid, 'sales question');
    const vr = await hub.visitorChat(srv, rival.guid, 'rival question');
    const s = await allEvents(srv, o.token, sales.orgId);
    assertGapFree(s.events);
    assert.ok(s.events.every((e) => e.organizationId === sales.orgId && (!e.chat || e.chat.id === vs.chatId)));
    const r = await allEvents(srv, rival.token, rival.orgId);
    assertGapFree(r.events);
    assert.ok(r.events.every((e) => !e.chat || e.chat.id === vr.chatId));
    const main = await allEvents(srv, o.token, o.orgId);
    assert.ok(main.events.every((e) => !e.chat || (e.chat.id !== vs.chatId && e.chat.id !== vr.chatId)));

    // another company's organization answers like one that does not exist
    let x = await events(srv, rival.token, `organizationId=${o.orgId}`);
    assert.equal(x.status, 404);
    x = await events(srv, o.token, `organizationId=${rival.orgId}&after=0`);
    assert.equal(x.status, 404);
    assert.equal(x.json.code, 3001);
  });

  test('who may read, and bad input', async () => {
    const v = await hub.visitor(srv, o.guid);
    let r = await events(srv, o.ops[0].token, `organizationId=${o.orgId}`);
    assert.equal(r.status, 403, 'an operator token');
    r = await events(srv, v.session.visitorToken, `organizationId=${o.orgId}`);
    assert.equal(r.status, 403, 'a visitor token');
    r = await h.api(srv.base, 'GET', `/api/events?organizationId=${o.orgId}`);
    assert.equal(r.status, 401, 'no token');
    r = await events(srv, o.token, '');
    assert.equal(r.status, 400);
    assert.match(r.json.message, /organizationId/);
    for (const q of ['organizationId=abc', 'organizationId=0', `organizationId=${o.orgId}&after=-1`,
      `organizationId=${o.orgId}&after=x`, `organizationId=${o.orgId}&limit=0`, `organizationId=${o.orgId}&limit=1001`]) {
      r = await events(srv, o.token, q);
      assert.equal(r.status, 400, q);
    }
    const { last } = await allEvents(srv, o.token, o.orgId);
    r = await events(srv, o.token, `organizationId=${o.orgId}&after=${last + 1}`);
    assert.equal(r.status, 400);
    assert.match(r.json.message, new RegExp(`last eventSeq \\(${last}\\)`));
    r = await events(srv, o.token, `organizationId=${o.orgId}&after=${last}`);
    h.assertOk(r);
    assert.deepEqual(r.json.events, []);
    assert.equal(r.json.hasMore, false);
    assert.equal(r.json.next, last);
  });

  test('an API key reads events like the company token', async () => {
    const k = await h.api(srv.base, 'POST', '/api/company/api-keys', { token: o.token, body: { name: 'crm' } });
    h.assertOk(k, 201);
    let r;
    // on a cluster the other processes learn of a new key within a second
    await hub.pollUntil(async () => {
      r = await events(srv, k.json.key, `organizationId=${o.orgId}&limit=1`);
      return r.status !== 401;
    }, { what: 'the new API key known' });
    h.assertOk(r);
    assert.equal(r.json.events[0].eventSeq, 1);
  });
});

describe('organization events: retention', () => {
  test('events older than the retention are deleted; an older cursor is told so (410)', async () => {
    // written by a process whose clock is 3 days behind, then read on the right time with 2 days kept
    const srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_CLOCK_OFFSET: String(-3 * 86400) }, single: true });
    try {
      const o = await hub.makeOrgFixture(srv, 'eventsold', { operators: 1 });
      await hub.visitorChat(srv, o.guid, 'an old question');
      const old = await allEvents(srv, o.token, o.orgId);
      assert.ok(old.last >= 2);
      await hub.closeAllClients();
      await srv.stop();
      srv.env.CHATHUB_CLOCK_OFFSET = '0';
      srv.env.CHATHUB_EVENTS_RETENTION_DAYS = '2';
      await srv.start();
      const token = await h.companyToken(srv.base, o.company.login, o.company.password);
      const v = await hub.visitorChat(srv, o.guid, 'a new question');
      let r;
      await hub.pollUntil(async () => {
        r = await events(srv, token, `organizationId=${o.orgId}&after=0`);
        return r.status === 410;
      }, { what: 'the old events trimmed' });
      assert.equal(r.json.code, 3003);
      assert.match(r.json.message, new RegExp(`oldest kept is eventSeq ${old.last + 1}`));
      r = await events(srv, token, `organizationId=${o.orgId}&after=${old.last}`);
      h.assertOk(r);
      assert.equal(r.json.events[0].eventSeq, old.last + 1, 'numbering goes on after the trim');
      assert.ok(r.json.events.some((e) => e.chat && e.chat.id === v.chatId));
    } finally {
      await hub.closeAllClients();
      await srv.stop();
    }
  });
});
