'use strict';
// POST /api/widget/{guid}/message: a visitor's send over HTTP, for attachments
// larger than one hub message (64 KiB). Same semantics as the hub's
// SendMessage / SendMediaMessage: creates the visitor's chat on first use,
// clientMessageId deduplicates, the operator side gets the event.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const { fetch } = h; // plain fetch, its responses checked against web/openapi.json like h.api's
const hub = require('./lib/hub');

describe('visitor sends over HTTP', () => {
  let srv;
  let o;
  let other;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'widgetmsgco', { operators: 1 });
    other = await hub.addOrg(srv, o.company, 'Other org', { operators: 1 });
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  const send = (guid, token, body) => h.api(srv.base, 'POST', `/api/widget/${guid}/message`, { token, body });

  test('first message creates the chat; a 300 KB photo goes through; the operator receives both', async () => {
    const op = await hub.connectHub(srv.base, o.ops[0].token, { label: 'op' });
    const s = await hub.widgetSession(srv, o.guid, { name: 'Upload visitor' });
    const first = await send(o.guid, s.visitorToken, { textMessage: 'Hello over HTTP', clientMessageId: 'c-1' });
    h.assertOk(first);
    hub.assertMessage(first.json, { author: 1, seq: 1 });
    const chatId = first.json.chatId;
    const again = await send(o.guid, s.visitorToken, { chatId, textMessage: 'Hello over HTTP', clientMessageId: 'c-1' });
    assert.equal(again.json.id, first.json.id, 'same clientMessageId → the same message');

    const bytes = crypto.randomBytes(300 * 1024);
    const photo = await send(o.guid, s.visitorToken, { chatId, media: { name: 'big.jpg', format: 'image/jpeg',
      dataBase64: bytes.toString('base64'), type: 1 }, clientMessageId: 'c-2' });
    h.assertOk(photo);
    assert.equal(photo.json.seq, 2);
    assert.equal(photo.json.media.name, 'big.jpg');
    const got = await fetch(new URL(photo.json.media.url, srv.base));
    assert.equal(got.status, 200);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(bytes), 'the stored bytes are the uploaded bytes');
    await op.waitFor('ReceiveMediaMessage', (m) => m.id === photo.json.id);
    const msgs = await hub.allMessages(srv, o.token, chatId);
    assert.deepEqual(msgs.map((m) => m.seq), [1, 2]);
  });

  test('wrong guid, wrong token kind, wrong author, another visitor\'s chat: refused, nothing stored', async () => {
    const a = await hub.widgetSession(srv, o.guid, { name: 'A' });
    const b = await hub.widgetSession(srv, o.guid, { name: 'B' });
    const ma = await send(o.guid, a.visitorToken, { textMessage: 'mine' });
    h.assertOk(ma);
    const chatId = ma.json.chatId;

    h.assertError(await send(other.guid, a.visitorToken, { textMessage: 'x' }), 404, 3001);
    h.assertError(await send('no-such-guid', a.visitorToken, { textMessage: 'x' }), 404, 3001);
    const staff = await send(o.guid, o.ops[0].token, { textMessage: 'x' });
    assert.equal(staff.status, 403, h.describeRes(staff));
    const none = await send(o.guid, undefined, { textMessage: 'x' });
    assert.equal(none.status, 401, h.describeRes(none));
    h.assertError(await send(o.guid, a.visitorToken, { chatId, textMessage: 'x', author: 0 }), 400);
    h.assertError(await send(o.guid, a.visitorToken, { chatId: 'one', textMessage: 'x' }), 400);
    h.assertError(await send(o.guid, a.visitorToken, { chatId }), 400);
    const foreign = await send(o.guid, b.visitorToken, { chatId, textMessage: 'not yours' });
    assert.equal(foreign.status, 404, h.describeRes(foreign));

    const msgs = await hub.allMessages(srv, o.token, chatId);
    assert.deepEqual(msgs.map((m) => m.textMessage), ['mine']);
  });
});
