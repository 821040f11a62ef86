'use strict';
// The chat, message and operator objects carry the names the public ChatHub
// samples read, additively: message.message (= textMessage) and
// message.phone (the client's phone or null), chat.messSource (= source),
// and an operator photo set with synchronize and returned in every operator
// and chat object.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('public field names on chats, messages and operators', () => {
  let srv;
  let fx;
  const SECRET = 'channel-secret-objects-0123';
  const PHOTO = 'https://cdn.example.com/avatars/alice.png?size=64&v=2';

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'objectsco', { operators: 1 });
    await hub.putOrg(srv, fx.token, fx.orgId, { channelSecret: SECRET });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const sync = (rows) => h.api(srv.base, 'POST', '/api/operator/synchronize', { token: fx.token, body: rows });

  test('synchronize sets an operator photo, keeps it when absent, removes it with null', async () => {
    const made = await sync([{ organizationId: fx.orgId, name: 'Photo Op', externalId: 'photo-op', photo: PHOTO }]);
    h.assertOk(made);
    assert.equal(made.json[0].photo, PHOTO);
    const id = made.json[0].id;
    const kept = await sync([{ organizationId: fx.orgId, name: 'Photo Op 2', externalId: 'photo-op' }]);
    assert.equal(kept.json[0].photo, PHOTO, 'a row without photo keeps it');
    const list = await h.listOperators(srv, fx.token, fx.orgId);
    assert.equal(list.find((o) => o.id === id).photo, PHOTO);
    assert.equal(list.find((o) => o.id === fx.ops[0].id).photo, null, 'no photo: null');
    const cleared = await sync([{ organizationId: fx.orgId, name: 'Photo Op', externalId: 'photo-op', photo: null }]);
    assert.equal(cleared.json[0].photo, null);
    const empty = await sync([{ organizationId: fx.orgId, name: 'Photo Op', externalId: 'photo-op', photo: PHOTO }]);
    assert.equal(empty.json[0].photo, PHOTO);
    assert.equal((await sync([{ organizationId: fx.orgId, name: 'Photo Op', externalId: 'photo-op', photo: '' }])).json[0].photo, null);
  });

  test('a photo is an http(s) URL without spaces or quotes; a bad one fails the whole request', async () => {
    const bad = ['javascript:alert(1)', 'data:image/png;base64,AAAA', 'http://', 'https://a b.png',
      'https://x.example/"onerror="alert(1)', "https://x.example/'x", 'https://x.example/<svg>', `https://x.example/${'a'.repeat(2049)}`,
      'ftp://x.example/a.png', 'https://x.example/\u0007'];
    for (const photo of bad) {
      const r = await sync([{ organizationId: fx.orgId, name: 'Fine', externalId: 'fine-op' },
        { organizationId: fx.orgId, name: 'Bad', photo }]);
      h.assertError(r, 400, [1001, 1003], '[1].photo');
    }
    h.assertError(await sync([{ organizationId: fx.orgId, name: 'Bad', photo: 5 }]), 400, 1001, '[0].photo');
    const list = await h.listOperators(srv, fx.token, fx.orgId);
    assert.ok(!list.some((o) => o.name === 'Fine' || o.name === 'Bad'), 'nothing written');
    h.assertOk(await sync([{ organizationId: fx.orgId, name: 'Upper', photo: 'HTTPS://CDN.EXAMPLE.COM/A.PNG' }]));
  });

  test('the operator photo reaches chat objects, message objects and the colleagues list', async () => {
    const [withPhoto] = (await sync([{ organizationId: fx.orgId, name: 'Pictured', externalId: 'pictured', photo: PHOTO }])).json;
    const token = await h.operatorToken(srv, fx.token, withPhoto.id);
    const opc = await hub.connectHub(srv.base, token, { label: 'pictured' });
    const v = await hub.visitorChat(srv, fx.guid, 'hello there');
    await opc.invoke('TakeChat', v.chatId);
    const sent = await opc.invoke('SendMessage', v.chatId, 'hi!', crypto.randomUUID());
    hub.assertMessage(sent);
    assert.equal(sent.operator.photo, PHOTO);
    const [got] = await v.waitFor('ReceiveMessage', (m) => m.id === sent.id);
    assert.equal(got.operator.photo, PHOTO);
    const chat = await hub.getChat(srv, fx.token, v.chatId);
    hub.assertChat(chat);
    assert.equal(chat.operator.id, withPhoto.id);
    assert.equal(chat.operator.photo, PHOTO);
    const col = await h.api(srv.base, 'GET', '/api/operator/colleagues', { token });
    assert.equal(col.json.find((o) => o.id === withPhoto.id).photo, PHOTO);
  });

  test('messages carry message (= textMessage) and phone (the client\'s, or null); chats carry messSource', async () => {
    const opc = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'op' });
    const mark = opc.mark();
    // a widget visitor without a phone
    const v = await hub.visitorChat(srv, fx.guid, 'no phone here');
    const [created] = await opc.waitFor('ChatCreated', (c) => c.id === v.chatId, { from: mark });
    assert.equal(created.messSource, 3);
    const [m1] = await opc.waitFor('ReceiveMessage', (m) => m.chatId === v.chatId, { from: mark });
    assert.equal(m1.message, 'no phone here');
    assert.equal(m1.phone, null);
    // a channel user with a phone
    const body = Buffer.from(JSON.stringify({ externalUserId: 'tg-777', name: 'Olena', phone: '+380501234567',
      text: 'Привіт', externalMessageId: 'obj-1', source: 2 }));
    const r = await h.api(srv.base, 'POST', `/api/channel/${fx.guid}/inbound`, { rawBody: body,
      headers: { 'Content-Type': 'application/json',
        'X-ChatHub-Signature': `sha256=${crypto.createHmac('sha256', SECRET).update(body).digest('hex')}` } });
    h.assertOk(r);
    const [m2] = await opc.waitFor('ReceiveMessage', (m) => m.id === r.json.messageId, { from: mark });
    assert.equal(m2.message, 'Привіт');
    assert.equal(m2.phone, '+380501234567');
    const [c2] = await opc.waitFor('ChatCreated', (c) => c.id === r.json.chatId, { from: mark });
    assert.equal(c2.messSource, 2);
    // the same names over REST and Sync
    const rest = await h.api(srv.base, 'GET', `/api/chat/chats/${r.json.chatId}/messages`, { token: fx.token });
    assert.equal(rest.json[0].phone, '+380501234567');
    assert.equal(rest.json[0].message, 'Привіт');
    const s = await opc.invoke('Sync', { chats: { [r.json.chatId]: 0 } });
    assert.equal(s.messages.find((m) => m.id === r.json.messageId).phone, '+380501234567');
    const list = await hub.listChats(srv, fx.token, `tg_user_id=tg-777`);
    assert.equal(list.items[0].messSource, 2);
  });

  test('a media object carries uri, an absolute URL on the address the request came to', async () => {
    const v = await hub.visitorChat(srv, fx.guid, 'a photo is coming');
    const sent = await h.api(srv.base, 'POST', `/api/chat/${v.chatId}/message`, { token: fx.token, body: {
      textMessage: '', author: 0, media: { name: 'p.png', format: 'image/png', dataBase64: Buffer.from('png!').toString('base64'), type: 1 } } });
    h.assertOk(sent);
    const { media } = sent.json;
    assert.equal(media.uri, `${srv.base}${media.url}`);
    const got = await fetch(media.uri);
    assert.equal(got.status, 200);
    assert.equal(Buffer.from(await got.arrayBuffer()).toString(), 'png!');
    const hist = await h.api(srv.base, 'GET', `/api/chat/chats/${v.chatId}/messages`, { token: fx.token });
    assert.ok(hist.json.find((m) => m.media).media.uri.startsWith(`${srv.base}/api/media/`));
    const s = await v.invoke('Sync', { chats: { [v.chatId]: 0 } });
    assert.ok(s.messages.find((m) => m.media).media.uri.startsWith('http://127.0.0.1:'), 'over the hub too');
  });
});

describe('public_url', () => {
  let srv;
  before(async () => { srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_PUBLIC_URL: 'https://chat.example.com/' } }); });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('absolute links start with it, whatever the request\'s Host', async () => {
    const fx = await hub.makeOrgFixture(srv, 'publicurlco', { operators: 1 });
    const v = await hub.visitorChat(srv, fx.guid, 'hi');
    const sent = await h.api(srv.base, 'POST', `/api/chat/${v.chatId}/message`, { token: fx.token, body: {
      author: 0, media: { name: 'p.png', format: 'image/png', dataBase64: Buffer.from('x').toString('base64'), type: 1 } } });
    h.assertOk(sent);
    assert.equal(sent.json.media.uri, `https://chat.example.com${sent.json.media.url}`);
    const [ev] = await v.waitFor('ReceiveMediaMessage', (m) => m.id === sent.json.id);
    assert.equal(ev.media.uri, sent.json.media.uri);
  });

  test('a public_url that is not an http(s) base URL stops the server at start with a clear error', async () => {
    const r = await h.cli(['serve', '--listen', '127.0.0.1:1', '--public-url', 'chat.example.com'], { dataDir: h.makeTempDir() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /public_url "chat.example.com" must be an http:\/\/ or https:\/\/ base URL/);
  });
});
