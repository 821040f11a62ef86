'use strict';
// Messaging channels: POST /api/channel/{guid}/inbound, signed with the
// organization's channel secret. A channel user becomes a client of its own;
// repeated deliveries (same externalMessageId) store nothing new; the
// operator side receives the message over the hub like any client message.
// Operator replies go out to the organization's outboundUrl, only to public
// addresses unless outbound_allow_private is set (the listeners here are local).

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

// The deliveries table as the server committed it (no API shows a delivery's
// state; srv.sql reads SQLite, WAL included, or the test's PostgreSQL database).
function deliveries(srv) {
  return srv.sql('SELECT id, message_id AS "messageId", status, attempts, last_error AS "lastError" FROM deliveries ORDER BY id');
}
const GAVE_UP = 2;

// A local HTTP listener recording every request; paths under /fail answer 500.
async function listener(got, { failFirst = 0 } = {}) {
  let fails = failFirst;
  const srv = require('node:http').createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      got.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
      if (req.url.startsWith('/fail') || fails > 0) {
        if (!req.url.startsWith('/fail')) fails--;
        res.writeHead(500);
        res.end('try again');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
}

async function channelChat(srv, org, secret, externalMessageId) {
  const body = Buffer.from(JSON.stringify({ externalUserId: `u-${externalMessageId}`, text: 'Hi', externalMessageId, source: 1 }));
  const sig = `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
  const r = await h.api(srv.base, 'POST', `/api/channel/${org.guid}/inbound`,
    { rawBody: body, headers: { 'Content-Type': 'application/json', 'X-ChatHub-Signature': sig } });
  h.assertOk(r);
  return r.json.chatId;
}

describe('channel outbound delivery', () => {
  let srv;
  let co;
  let o;
  let receiver;
  const got = [];
  const SECRET = 'outbound-secret-0123456789';

  before(async () => {
    receiver = await listener(got, { failFirst: 1 });
    // the listener is on loopback: only outbound_allow_private lets deliveries reach it
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true' } });
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

  test('a delivery whose outbound URL is cleared after a failed attempt is given up', async () => {
    const o2 = await hub.addOrg(srv, co, 'Failing bridge', { operators: 0 });
    await hub.putOrg(srv, co.token, o2.orgId,
      { channelSecret: SECRET, outboundUrl: `http://127.0.0.1:${receiver.address().port}/fail` });
    const chatId = await channelChat(srv, o2, SECRET, 'fail-1');
    const reply = await hub.postMessage(srv, co.token, chatId, { textMessage: 'lost' });
    await hub.pollUntil(() => got.some((g) => g.url === '/fail'), { ms: 10000, what: 'the failing attempt' });
    await hub.putOrg(srv, co.token, o2.orgId, { outboundUrl: '' });
    const d = await hub.pollUntil(async () => (await deliveries(srv)).find((x) => x.messageId === reply.id && x.status === GAVE_UP),
      { ms: 10000, every: 200, what: 'the delivery given up' });
    assert.equal(d.lastError, 'message or outbound URL gone');
    assert.equal(got.filter((g) => g.url === '/fail').length, 1, 'never sent again');
  });

  test('a reply redacted after a failed attempt is given up: its tombstone never goes out', async () => {
    const o3 = await hub.addOrg(srv, co, 'Redacting bridge', { operators: 0 });
    await hub.putOrg(srv, co.token, o3.orgId,
      { channelSecret: SECRET, outboundUrl: `http://127.0.0.1:${receiver.address().port}/fail?redact` });
    const chatId = await channelChat(srv, o3, SECRET, 'redact-1');
    const reply = await hub.postMessage(srv, co.token, chatId, { textMessage: 'sent to the wrong person' });
    await hub.pollUntil(() => got.some((g) => g.url === '/fail?redact'), { ms: 10000, what: 'the failing attempt' });
    h.assertOk(await h.api(srv.base, 'DELETE', `/api/chat/${chatId}/messages/${reply.id}`, { token: co.token }));
    const d = await hub.pollUntil(async () => (await deliveries(srv)).find((x) => x.messageId === reply.id && x.status === GAVE_UP),
      { ms: 10000, every: 200, what: 'the delivery given up' });
    assert.equal(d.lastError, 'message or outbound URL gone');
    assert.equal(got.filter((g) => g.url === '/fail?redact').length, 1, 'never sent again');
  });

  test('the option opens the local network only: unspecified, multicast and reserved stay refused', async () => {
    const o3 = await hub.addOrg(srv, co, 'Local bridge', { operators: 0 });
    for (const url of ['http://10.1.2.3/', 'http://169.254.169.254/latest', 'http://100.64.0.1/', 'http://192.168.0.1:8080/x']) {
      const r = await h.api(srv.base, 'PUT', `/api/company/organization/${o3.orgId}`, { token: co.token, body: { outboundUrl: url } });
      h.assertOk(r);
      assert.equal(r.json.outboundUrl, url);
    }
    for (const url of ['http://0.0.0.0/', 'http://224.0.0.1/', 'http://255.255.255.255/', 'http://240.1.2.3/']) {
      const r = await h.api(srv.base, 'PUT', `/api/company/organization/${o3.orgId}`, { token: co.token, body: { outboundUrl: url } });
      h.assertError(r, 400, 1003);
      assert.match(r.json.message, /^outboundUrl: .* is a (unspecified|multicast|reserved) address/);
    }
  });
});

describe('channel outbound delivery goes only to public addresses', () => {
  let srv;
  let co;
  let o;
  let receiver;
  const got = [];
  const SECRET = 'public-only-secret-0123456789';
  const put = (outboundUrl) => h.api(srv.base, 'PUT', `/api/company/organization/${o.orgId}`, { token: co.token, body: { outboundUrl } });

  before(async () => {
    receiver = await listener(got);
    srv = await h.startServer({ env: hub.HUB_ENV });
    co = await h.makeCompany(srv, 'publicco');
    o = await hub.addOrg(srv, co, 'Public only', { operators: 0 });
    await hub.putOrg(srv, co.token, o.orgId, { channelSecret: SECRET });
  });
  after(async () => {
    if (srv) await srv.stop();
    receiver.close();
  });

  test('a literal loopback, private or link-local outboundUrl is refused at once', async () => {
    for (const [url, kind] of [['http://127.0.0.1:1/x', 'loopback'], ['http://10.1.2.3/', 'private'],
      ['http://169.254.169.254/latest', 'link-local'], ['http://172.16.0.1/', 'private'],
      ['http://192.168.1.1/', 'private'], ['http://100.64.0.1/', 'shared \\(CGNAT\\)'], ['http://0.0.0.0/', 'unspecified'],
      ['http://127.1/', 'loopback'], ['http://2130706433/', 'loopback'], ['https://[::1]/', null]]) {
      const r = await put(url);
      h.assertError(r, 400, 1003);
      if (kind) {
        assert.match(r.json.message, new RegExp(`^outboundUrl: \\S+ is a ${kind} address; deliveries go only to public addresses$`), url);
      }
    }
    assert.equal((await hub.orgInfo(srv, co.token, o.orgId)).outboundUrl, '', 'nothing stored');
  });

  test('user information, bad hosts and ports are refused', async () => {
    const cases = [
      ['http://a@b/', /user information/], ['http://user:pw@example.com/hook', /user information/],
      ['http://example.com@127.0.0.1/', /user information/], ['http://exa mple.com/', /spaces or control/],
      ['http://ex%61mple.com/', /host/], ['http://a..b/', /host/], ['http://example.com:0/', /port/],
      ['http://example.com:65536/', /port/], ['ftp://example.com/', /http\(s\) URL/],
    ];
    for (const [url, re] of cases) {
      const r = await put(url);
      h.assertError(r, 400, 1003);
      assert.match(r.json.message, /^outboundUrl: /);
      assert.match(r.json.message, re, url);
    }
  });

  test('a host name is accepted, checked at delivery: a name for loopback is refused there, allowed by the option', async () => {
    const url = `http://localhost:${receiver.address().port}/hook`;
    const r = await put(url);
    h.assertOk(r);
    assert.equal(r.json.outboundUrl, url);
    const chatId = await channelChat(srv, o, SECRET, 'pub-1');
    const first = await hub.postMessage(srv, co.token, chatId, { textMessage: 'not to loopback' });
    const d = await hub.pollUntil(async () => (await deliveries(srv)).find((x) => x.messageId === first.id && x.status === GAVE_UP),
      { ms: 10000, every: 200, what: 'the delivery given up' });
    assert.equal(d.lastError, 'refused: localhost resolves to a non-public address');
    assert.equal(d.attempts, 1, 'given up at once, not retried');
    assert.equal(got.length, 0, 'the listener never saw a request');

    // the same organization and URL on a server that allows the local network
    srv.env.CHATHUB_OUTBOUND_ALLOW_PRIVATE = 'true';
    await srv.restart();
    const second = await hub.postMessage(srv, co.token, chatId, { textMessage: 'to the bridge' });
    await hub.pollUntil(() => got.length >= 1, { ms: 10000, what: 'the delivery' });
    assert.equal(got[0].url, '/hook');
    assert.equal(JSON.parse(got[0].body).message.id, second.id);
    await hub.pollUntil(async () => (await deliveries(srv)).find((x) => x.messageId === second.id && x.status === 1),
      { ms: 10000, every: 200, what: 'the delivery recorded as delivered' });
    assert.equal((await deliveries(srv)).find((x) => x.messageId === first.id).status, GAVE_UP, 'a refused delivery stays given up');
    assert.equal(got.length, 1);
  });
});
