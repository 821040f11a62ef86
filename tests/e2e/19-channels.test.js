'use strict';
// Messaging channels: POST /api/channel/{guid}/inbound, signed with the
// organization's channel secret. A channel user becomes a client of its own;
// repeated deliveries (same externalMessageId) store nothing new; the
// operator side receives the message over the hub like any client message.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('channels', () => {
  let srv;
  let co;
  let o;
  const SECRET = 'channel-secret-0123456789';

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    co = await h.makeCompany(srv, 'channelco');
    o = await hub.addOrg(srv, co, 'Channel org', { operators: 1 });
    await hub.putOrg(srv, co.token, o.orgId, { channelSecret: SECRET });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const sign = (body, secret = SECRET) => `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
  const inbound = (payload, { guid = o.guid, sig } = {}) => {
    const body = Buffer.from(JSON.stringify(payload));
    return h.api(srv.base, 'POST', `/api/channel/${guid}/inbound`, {
      rawBody: body, headers: { 'Content-Type': 'application/json', 'X-ChatHub-Signature': sig || sign(body) },
    });
  };

  test('a signed message creates the chat, reaches the operators, and a repeat stores nothing', async () => {
    const opc = await hub.connectHub(srv.base, o.ops[0].token, { label: 'op' });
    const mark = opc.mark();
    const first = await inbound({ externalUserId: 'tg-42', name: 'Taras', phone: '+380501112233', text: 'Привіт!', externalMessageId: 'm-1', source: 2 });
    h.assertOk(first);
    assert.equal(first.json.duplicate, false);
    const [m] = await opc.waitFor('ReceiveMessage', (x) => x.id === first.json.messageId, { from: mark });
    assert.equal(m.textMessage, 'Привіт!');
    assert.equal(m.author, 1);
    const chat = await hub.getChat(srv, co.token, first.json.chatId);
    assert.equal(chat.source, 2);
    assert.equal(chat.client.name, 'Taras');
    assert.equal(chat.client.phone, '+380501112233');

    const again = await inbound({ externalUserId: 'tg-42', text: 'Привіт!', externalMessageId: 'm-1', source: 2 });
    h.assertOk(again);
    assert.equal(again.json.duplicate, true);
    assert.equal(again.json.messageId, first.json.messageId);
    const second = await inbound({ externalUserId: 'tg-42', text: 'Are you there?', externalMessageId: 'm-2', source: 2 });
    assert.equal(second.json.chatId, first.json.chatId, 'the same user continues the same chat');
    const all = await hub.allMessages(srv, co.token, first.json.chatId);
    assert.deepEqual(all.map((x) => x.textMessage), ['Привіт!', 'Are you there?']);
  });

  test('bad signatures, unknown guids and bad bodies change nothing', async () => {
    const payload = { externalUserId: 'tg-7', text: 'hi', externalMessageId: 'x-1' };
    h.assertError(await inbound(payload, { sig: sign(Buffer.from('{}')) }), 401, 2001);
    h.assertError(await inbound(payload, { sig: sign(Buffer.from(JSON.stringify(payload)), 'another-secret-0123456') }), 401, 2001);
    h.assertError(await inbound(payload, { sig: 'sha256=zz' }), 401, 2001);
    h.assertError(await inbound(payload, { guid: crypto.randomUUID() }), 404, 3001);
    h.assertError(await inbound({ text: 'no user', externalMessageId: 'x-2' }), 400, 1002);
    h.assertError(await inbound({ externalUserId: 'tg-7', externalMessageId: 'x-3' }), 400, 1002);
    const list = await hub.listChats(srv, co.token, `organizationId=${o.orgId}&per_page=100`);
    assert.ok(!list.items.some((c) => c.client.name === 'tg-7' || c.theme === 'hi'));
  });

  test('an organization without a channel secret has no channel', async () => {
    const other = await hub.addOrg(srv, co, 'No channel', { operators: 0 });
    h.assertError(await inbound({ externalUserId: 'u', text: 't', externalMessageId: 'e' }, { guid: other.guid }), 404, 3001);
  });
});

describe('channel outbound delivery', () => {
  let srv;
  let co;
  let o;
  let receiver;
  const got = [];
  let failFirst = 1;
  const SECRET = 'outbound-secret-0123456789';

  before(async () => {
    receiver = require('node:http').createServer((req, res) => {
      const chunks = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
        if (failFirst > 0) { failFirst--; res.writeHead(500); res.end('try again'); return; }
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    srv = await h.startServer({ env: hub.HUB_ENV });
    co = await h.makeCompany(srv, 'outco');
    o = await hub.addOrg(srv, co, 'Outbound org', { operators: 1 });
    await hub.putOrg(srv, co.token, o.orgId,
      { channelSecret: SECRET, outboundUrl: `http://127.0.0.1:${receiver.address().port}/hook?x=1` });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
    receiver.close();
  });

  test('an operator reply in a channel chat is POSTed, signed, retried until accepted, with one event id', async () => {
    const body = Buffer.from(JSON.stringify({ externalUserId: 'viber-9', text: 'Hi', externalMessageId: 'in-1', source: 1 }));
    const sig = `sha256=${crypto.createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const r = await h.api(srv.base, 'POST', `/api/channel/${o.guid}/inbound`,
      { rawBody: body, headers: { 'Content-Type': 'application/json', 'X-ChatHub-Signature': sig } });
    h.assertOk(r);
    const reply = await hub.postMessage(srv, co.token, r.json.chatId, { textMessage: 'Hello from support' });
    await hub.pollUntil(() => got.length >= 2, { ms: 15000, what: 'the delivery and its retry' });
    const [first, second] = got;
    for (const g of [first, second]) {
      const expect = `sha256=${crypto.createHmac('sha256', SECRET).update(g.body).digest('hex')}`;
      assert.equal(g.headers['x-chathub-signature'], expect, 'signed with the channel secret');
      const j = JSON.parse(g.body);
      assert.equal(j.type, 'message');
      assert.equal(j.externalUserId, 'viber-9');
      assert.equal(j.chatId, r.json.chatId);
      assert.equal(j.message.id, reply.id);
      assert.equal(j.message.textMessage, 'Hello from support');
      assert.equal(j.eventId, g.headers['x-chathub-event-id']);
    }
    assert.equal(first.headers['x-chathub-event-id'], second.headers['x-chathub-event-id'], 'a retry keeps its event id');
    await h.sleep(2500);
    assert.equal(got.length, 2, 'delivered once accepted, never again');
    // widget chats and client messages are not sent out
    const v = await hub.visitorChat(srv, o.guid, 'widget visitor');
    await hub.postMessage(srv, co.token, v.chatId, { textMessage: 'to the widget' });
    await h.sleep(2500);
    assert.equal(got.length, 2);
  });
});
