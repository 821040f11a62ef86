'use strict';
// Native Telegram and Viber bot channels (issue 17, acceptance 1 and 3),
// against the fake platforms of tests/fakes/ (the server started with
// CHATHUB_TELEGRAM_API_URL / CHATHUB_VIBER_API_URL at them,
// CHATHUB_OUTBOUND_ALLOW_PRIVATE=true and CHATHUB_PUBLIC_URL its own base):
//
// - POST /api/company/organization/{id}/channels registers the webhook
//   (Telegram setWebhook with the URL <public>/api/channels/telegram/<key>
//   and a 64-hex secret_token; Viber set_webhook, whose check callback our
//   server answers 200) before it answers; a refused token is 400 1003 with
//   the platform's words and stores nothing; the token is in no answer.
// - A customer's text, photo and document (Telegram) and text and picture
//   (Viber) arrive as one chat of source 2 / 1, routed to the online
//   operator, media fetched from the platform and kept byte for byte.
// - The operator's text and photo replies reach the platform once:
//   sendMessage, sendPhoto (multipart, the same bytes); Viber send_message
//   text / picture (the fake fetches the picture from our media URL).
// - Viber delivered / seen callbacks turn the reply's status 1 / 3 (REST and
//   MessageStatusChanged on the hub).
// - tg_user_id lists that Telegram user's chats only.
// - 429 with retry_after, 5xx, then recovery: each reply once, in order per
//   chat, the retry_after honoured; "bot was blocked" marks the reply
//   Rejected (2) and nothing is tried again.
// - GET lists the connections with their health; DELETE unregisters.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');
const ch = require('./lib/channels');

const { telegram, viber } = ch;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
// a JPEG-looking photo: SOI, random payload, EOI
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(6000), Buffer.from([0xff, 0xd9])]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(3000), Buffer.from('\n%%EOF\n')]);

const REJECTED = 2;
const READ = 3;

describe('native channels: Telegram and Viber bots', () => {
  let srv;
  let tg;
  let vb;
  let fx;        // company + org + one operator
  let op;        // the operator, online on the hub
  let tgConn;
  let vbConn;
  let tgSecret;
  const tgUser = telegram.user(700001, 'Taras', 'Shevchenko');
  const tgUser2 = telegram.user(700002, 'Lesia');
  const vbUser = viber.user('Оксана Коваль');
  let tgChat;    // the chat of tgUser
  let tgChat2;
  let vbChat;
  let vbReply;   // the operator's Viber text reply (message)
  const answers = []; // every REST answer, for the "token never returned" check

  const tgPost = (update, opts = {}) => tg.sendUpdate(srv.base, tgConn.path, update, { secret: tgSecret, ...opts });
  const vbPost = (body, opts = {}) => vb.sendCallback(srv.base, vbConn.path, body, { token: vbConn.botToken, ...opts });
  const list = async () => { const r = await ch.listConnections(srv, fx.token, fx.orgId); answers.push(r.text); return r.json; };
  const byId = async (id) => (await list()).find((c) => c.id === id);
  const msgs = (chatId) => hub.allMessages(srv, fx.token, chatId);
  const media = async (m) => {
    const r = await fetch(`${srv.base}/api/media/${m.media.id}`, { headers: { Authorization: `Bearer ${fx.token}` } });
    assert.equal(r.status, 200, `media ${m.media.id}`);
    return Buffer.from(await r.arrayBuffer());
  };
  // The client message with `text` in a chat, once it is there.
  const arrived = (chatId, pred, what) => hub.pollUntil(async () => (await msgs(chatId)).find(pred), { ms: 10000, every: 100, what });

  before(async () => {
    ({ srv, tg, vb } = await ch.startWithFakes());
    fx = await hub.makeOrgFixture(srv, 'nativeco', { operators: 1 });
    op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
    if (tg) await tg.close();
    if (vb) await vb.close();
  });

  test('a Telegram connection registers the webhook with its URL and secret before answering; the token is never returned', async () => {
    const botToken = tg.addBot();
    tgConn = await ch.connect(srv, fx.token, fx.orgId, 'telegram', botToken, 'Support bot');
    assert.equal(tgConn.health.webhookRegistered, true);
    assert.equal(tgConn.health.lastInboundAt, null);
    assert.equal(tgConn.health.lastError, null);
    const w = tg.webhook(botToken);
    assert.ok(w, 'setWebhook was called before the answer');
    assert.equal(w.url, `${srv.base}/api/channels/telegram/${tgConn.publicKey}`);
    assert.equal(w.url, tgConn.webhookUrl);
    assert.match(w.secret_token, ch.SECRET_RE, 'a 64-hex secret_token');
    tgSecret = w.secret_token;
    assert.equal(tg.callsOf('setWebhook').length, 1);
    const l = await list();
    assert.equal(l.length, 1);
    ch.assertConnection(l[0], { type: 'telegram', name: 'Support bot', orgId: fx.orgId, botToken, base: srv.base });
    assert.equal(l[0].webhookUrl, tgConn.webhookUrl);

    // a token the platform refuses: 400 1003 with its words, nothing stored
    const r = await ch.createConnection(srv, fx.token, fx.orgId, { type: 'telegram', name: 'Bad', token: telegram.makeToken() });
    h.assertError(r, 400, 1003, 'Unauthorized');
    assert.equal((await list()).length, 1, 'nothing stored');
  });

  test('a Viber connection registers its webhook; our server answers Viber\'s signed check callback', async () => {
    const botToken = vb.addBot(undefined, { name: 'Shop' });
    vbConn = await ch.connect(srv, fx.token, fx.orgId, 'viber', botToken, 'Viber shop');
    const w = vb.webhook(botToken);
    assert.ok(w, 'set_webhook succeeded before the answer');
    assert.equal(w.url, `${srv.base}/api/channels/viber/${vbConn.publicKey}`);
    const check = vb.state.webhookChecks.at(-1);
    assert.equal(check.url, w.url);
    assert.equal(check.status, 200, `the webhook check answered ${check.status} ${check.text}`);
    assert.notEqual(vbConn.publicKey, tgConn.publicKey);
    assert.equal((await list()).length, 2);

    const r = await ch.createConnection(srv, fx.token, fx.orgId, { type: 'viber', name: 'Bad', token: viber.makeToken() });
    h.assertError(r, 400, 1003, 'invalidAuthToken');
    for (const body of [{ type: 'whatsapp', name: 'x', token: 'y' }, { type: 'telegram', name: 'x' }, { name: 'x', token: 'y' }]) {
      const bad = await ch.createConnection(srv, fx.token, fx.orgId, body);
      assert.equal(bad.status, 400, `${JSON.stringify(body)}: ${h.describeRes(bad)}`);
    }
    assert.equal((await list()).length, 2, 'nothing stored');
  });

  test('a Telegram customer\'s text, photo and document arrive as one chat (source 2) routed to the online operator', async () => {
    const mark = op.mark();
    const u1 = tg.textUpdate(tgUser, 'Привіт! Where is my order?');
    const r1 = await tgPost(u1);
    assert.equal(r1.status, 200, `update: ${r1.status} ${r1.text}`);
    const [assigned] = await op.waitFor('ChatAssigned', (c) => c.client && c.source === 2, { from: mark, what: 'the Telegram chat assigned' });
    tgChat = assigned.id;
    await op.waitFor('ReceiveMessage', (m) => m.chatId === tgChat && m.textMessage === 'Привіт! Where is my order?', { from: mark });
    const chat = await hub.getChat(srv, fx.token, tgChat);
    hub.assertChat(chat, { source: 2, operatorId: fx.ops[0].id });
    assert.equal(chat.client.name, 'Taras Shevchenko');

    const u2 = tg.photoUpdate(tgConn.botToken, tgUser, JPEG, { caption: 'this parcel' });
    assert.equal((await tgPost(u2)).status, 200);
    const photo = await arrived(tgChat, (m) => m.media && m.textMessage === 'this parcel', 'the photo message');
    hub.assertMessage(photo, { author: 1 });
    assert.equal(photo.media.type, 1, 'a photo');
    assert.deepEqual(await media(photo), JPEG, 'the largest photo size, byte for byte');
    const paths = tg.state.downloads.filter((d) => d.token === tgConn.botToken).map((d) => d.path);
    assert.ok(paths.includes(u2.files.big.file_path), 'the largest size was downloaded');
    assert.ok(!paths.includes(u2.files.small.file_path), 'not the thumbnail');

    const u3 = tg.documentUpdate(tgConn.botToken, tgUser, PDF, { fileName: 'invoice.pdf', mime: 'application/pdf' });
    assert.equal((await tgPost(u3)).status, 200);
    const doc = await arrived(tgChat, (m) => m.media && m.media.name === 'invoice.pdf', 'the document message');
    assert.equal(doc.media.type, 4, 'a file');
    assert.deepEqual(await media(doc), PDF);

    const all = await msgs(tgChat);
    assert.equal(all.length, 3, 'one chat, three messages');
    assert.ok(all.every((m) => m.author === 1));
    hub.assertContiguous(all);
    const c = await byId(tgConn.id);
    assert.match(c.health.lastInboundAt || '', ch.ISO_RE, 'lastInboundAt is set after an update');
    assert.equal(c.health.webhookRegistered, true);
  });

  test('the operator\'s text and photo replies reach Telegram once: sendMessage, then sendPhoto with the same bytes', async () => {
    const before = tg.sendsTo(tgUser.id).length;
    const t = await op.invoke('SendMessage', tgChat, 'Your parcel ships today', crypto.randomUUID());
    const p = await op.invoke('SendMediaMessage', tgChat, { name: 'label.png', format: 'image/png', dataBase64: PNG.toString('base64'), type: 1 }, crypto.randomUUID());
    assert.ok(t.id && p.id);
    await tg.waitFor(() => tg.sendsTo(tgUser.id).length >= before + 2, { what: 'both replies' });
    await h.sleep(1500);
    const sends = tg.sendsTo(tgUser.id).slice(before);
    assert.equal(sends.length, 2, 'each reply once');
    assert.equal(sends[0].method, 'sendMessage');
    assert.equal(sends[0].text, 'Your parcel ships today');
    assert.equal(sends[0].token, tgConn.botToken);
    assert.equal(sends[1].method, 'sendPhoto');
    assert.ok(sends[1].file, 'uploaded as multipart/form-data');
    assert.deepEqual(sends[1].file.bytes, PNG, 'the same bytes');
    assert.equal(tg.attemptsTo(tgUser.id).filter((a) => a.outcome !== 'sent').length, 0, 'no failed attempt');
  });

  test('tg_user_id lists only that Telegram user\'s chats', async () => {
    assert.equal((await tgPost(tg.textUpdate(tgUser2, 'Hi from Lesia'))).status, 200);
    const first = await hub.pollUntil(async () => (await hub.listChats(srv, fx.token, `tg_user_id=${tgUser2.id}`)).items[0],
      { ms: 10000, every: 100, what: 'Lesia\'s chat' });
    tgChat2 = first.id;
    assert.notEqual(tgChat2, tgChat);
    const one = await hub.listChats(srv, fx.token, `tg_user_id=${tgUser.id}`);
    assert.deepEqual(one.items.map((c) => c.id), [tgChat]);
    const two = await hub.listChats(srv, fx.token, `tg_user_id=${tgUser2.id}`);
    assert.deepEqual(two.items.map((c) => c.id), [tgChat2]);
    assert.equal((await hub.listChats(srv, fx.token, 'tg_user_id=123')).items.length, 0);
  });

  test('a Viber customer\'s text and picture arrive as a chat (source 1); the replies go out with send_message text / picture', async () => {
    const mark = op.mark();
    const cb = vb.textCallback(vbUser, 'Добрий день!');
    const r = await vbPost(cb);
    assert.equal(r.status, 200, `callback: ${r.status} ${r.text}`);
    const [assigned] = await op.waitFor('ChatAssigned', (c) => c.source === 1, { from: mark, what: 'the Viber chat assigned' });
    vbChat = assigned.id;
    const chat = await hub.getChat(srv, fx.token, vbChat);
    hub.assertChat(chat, { source: 1, operatorId: fx.ops[0].id });
    assert.equal(chat.client.name, 'Оксана Коваль');

    const url = vb.addMedia(JPEG, { name: 'photo.jpg', mime: 'image/jpeg' });
    assert.equal((await vbPost(vb.pictureCallback(vbUser, url, { text: 'my receipt', size: JPEG.length }))).status, 200);
    const pic = await arrived(vbChat, (m) => m.media, 'the picture message');
    assert.equal(pic.media.type, 1);
    assert.equal(pic.textMessage, 'my receipt');
    assert.deepEqual(await media(pic), JPEG);

    vbReply = await op.invoke('SendMessage', vbChat, 'Дякуємо, перевіряємо', crypto.randomUUID());
    await op.invoke('SendMediaMessage', vbChat, { name: 'answer.png', format: 'image/png', dataBase64: PNG.toString('base64'), type: 1 }, crypto.randomUUID());
    await vb.waitFor(() => vb.sendsTo(vbUser.id).length >= 2, { what: 'both Viber replies' });
    await h.sleep(1500);
    const sends = vb.sendsTo(vbUser.id);
    assert.equal(sends.length, 2, 'each reply once');
    assert.equal(sends[0].type, 'text');
    assert.equal(sends[0].text, 'Дякуємо, перевіряємо');
    assert.equal(sends[0].token, vbConn.botToken);
    assert.ok(sends[0].sender && sends[0].sender.name, 'a sender name');
    assert.equal(sends[1].type, 'picture');
    assert.ok(sends[1].fetched && sends[1].fetched.status === 200, `Viber fetched the picture from ${sends[1].media}: ${JSON.stringify(sends[1].fetched && sends[1].fetched.status)}`);
    assert.deepEqual(sends[1].fetched.bytes, PNG, 'the same bytes');
  });

  test('Viber delivered and seen callbacks turn the reply Success (1) then Read (3): over REST and MessageStatusChanged', async () => {
    const token = vb.sendsTo(vbUser.id)[0].messageToken;
    const mark = op.mark();
    assert.equal((await vbPost(vb.deliveredCallback(vbUser.id, token))).status, 200);
    // (the reply may be Success already, from the platform's acceptance: then nothing changes)
    await hub.pollUntil(async () => (await msgs(vbChat)).find((x) => x.id === vbReply.id && x.status === 1),
      { ms: 10000, every: 100, what: 'the reply Success (1) after delivered' });
    assert.equal((await vbPost(vb.seenCallback(vbUser.id, token))).status, 200);
    await op.waitFor('MessageStatusChanged', (id, st) => id === vbReply.id && st === READ, { from: mark, what: 'status 3' });
    const m = (await msgs(vbChat)).find((x) => x.id === vbReply.id);
    assert.equal(m.status, READ);
    // a seen for a token nobody sent changes nothing
    assert.equal((await vbPost(vb.seenCallback(vbUser.id, 4611686018427387904n))).status, 200);
    const others = (await msgs(vbChat)).filter((x) => x.id !== vbReply.id && x.author === 0);
    assert.ok(others.every((x) => x.status !== READ), 'only the seen message is Read');
  });

  test('429 with retry_after, then 5xx, then recovery: every reply once, in order per chat, retry_after honoured', async () => {
    const chatA = String(tgUser.id);
    const chatB = String(tgUser2.id);
    tg.fail('rate', { retryAfter: 2, chatId: chatA });
    tg.fail('server', { status: 502, html: true, chatId: chatA });
    tg.fail('server', { status: 500, chatId: chatA });
    tg.fail('rate', { retryAfter: 1, chatId: chatB });
    const beforeA = tg.sendsTo(chatA).length;
    const beforeB = tg.sendsTo(chatB).length;
    const attemptsA0 = tg.attemptsTo(chatA).length;
    const textsA = ['A1', 'A2', 'A3', 'A4', 'A5'].map((x) => `${x} ${crypto.randomUUID().slice(0, 4)}`);
    const textsB = ['B1', 'B2', 'B3'].map((x) => `${x} ${crypto.randomUUID().slice(0, 4)}`);
    for (let i = 0; i < 5; i++) {
      await op.invoke('SendMessage', tgChat, textsA[i], crypto.randomUUID());
      if (i < 3) await op.invoke('SendMessage', tgChat2, textsB[i], crypto.randomUUID());
    }
    await tg.waitFor(() => tg.sendsTo(chatA).length >= beforeA + 5 && tg.sendsTo(chatB).length >= beforeB + 3,
      { ms: 60000, what: 'every reply delivered' });
    await h.sleep(2000);
    assert.deepEqual(tg.sendsTo(chatA).slice(beforeA).map((s) => s.text), textsA, 'chat A: each once, in order');
    assert.deepEqual(tg.sendsTo(chatB).slice(beforeB).map((s) => s.text), textsB, 'chat B: each once, in order');
    const attempts = tg.attemptsTo(chatA).slice(attemptsA0);
    assert.deepEqual(attempts.slice(0, 4).map((a) => [a.text, a.outcome]),
      [[textsA[0], '429'], [textsA[0], '502'], [textsA[0], '500'], [textsA[0], 'sent']],
      'the first reply is retried; nothing after it is tried before it went out');
    assert.ok(attempts[1].at - attempts[0].at >= 1900, `retry_after 2 honoured (${attempts[1].at - attempts[0].at} ms)`);
    assert.deepEqual(attempts.slice(4).map((a) => [a.text, a.outcome]), textsA.slice(1).map((t) => [t, 'sent']));
  });

  test('"bot was blocked by the user" marks the reply Rejected (2) and it is never tried again', async () => {
    tg.block(tgUser2.id);
    const mark = op.mark();
    const before = tg.attemptsTo(tgUser2.id).length;
    const m = await op.invoke('SendMessage', tgChat2, 'Are you still there?', crypto.randomUUID());
    await tg.waitFor(() => tg.attemptsTo(tgUser2.id).slice(before).some((a) => a.outcome === 'blocked'), { what: 'the blocked attempt' });
    await op.waitFor('MessageStatusChanged', (id, st) => id === m.id && st === REJECTED, { from: mark, what: 'status 2 on the hub' });
    await hub.pollUntil(async () => (await msgs(tgChat2)).find((x) => x.id === m.id && x.status === REJECTED),
      { ms: 10000, every: 100, what: 'the reply Rejected over REST' });
    await h.sleep(4000);
    const after = tg.attemptsTo(tgUser2.id).slice(before);
    assert.equal(after.length, 1, `one attempt, never retried: ${JSON.stringify(after.map((a) => a.outcome))}`);
    const c = await byId(tgConn.id);
    assert.match(c.health.lastError || '', /blocked/, `lastError names the refusal: ${JSON.stringify(c.health)}`);
    assert.match(c.health.lastErrorAt || '', ch.ISO_RE);
    tg.unblock(tgUser2.id);
  });

  test('GET lists both connections with their health; DELETE unregisters the webhooks and the inbound URLs are gone', async () => {
    const l = await list();
    assert.deepEqual(l.map((c) => c.type).sort(), ['telegram', 'viber']);
    for (const c of l) {
      ch.assertConnection(c, { orgId: fx.orgId, base: srv.base });
      assert.equal(c.health.webhookRegistered, true);
      assert.match(c.health.lastInboundAt || '', ch.ISO_RE, `${c.type}: lastInboundAt`);
    }
    let r = await ch.deleteConnection(srv, fx.token, fx.orgId, tgConn.id);
    answers.push(r.text);
    assert.equal(r.status, 200, h.describeRes(r));
    assert.equal(tg.webhook(tgConn.botToken), null, 'Telegram webhook removed (deleteWebhook or setWebhook with an empty url)');
    r = await ch.deleteConnection(srv, fx.token, fx.orgId, vbConn.id);
    answers.push(r.text);
    assert.equal(r.status, 200, h.describeRes(r));
    assert.equal(vb.webhook(vbConn.botToken), null, 'Viber webhook removed');
    assert.equal(vb.callsOf('set_webhook').at(-1).body.url, '', 'set_webhook with url ""');
    assert.deepEqual(await list(), []);
    h.assertError(await ch.deleteConnection(srv, fx.token, fx.orgId, tgConn.id), 404, 3001);
    const gone = await tgPost(tg.textUpdate(tgUser, 'anyone?'));
    assert.equal(gone.status, 404, 'the removed connection\'s URL');
    const goneV = await vbPost(vb.textCallback(vbUser, 'anyone?'));
    assert.equal(goneV.status, 404);
    // the chats stay; a reply in one is Rejected (the connection is gone) and nothing reaches the platform
    assert.ok(await hub.getChat(srv, fx.token, tgChat));
    const sent = tg.attemptsTo(tgUser.id).length;
    const mark = op.mark();
    const m = await op.invoke('SendMessage', tgChat, 'after the removal', crypto.randomUUID());
    await op.waitFor('MessageStatusChanged', (id, st) => id === m.id && st === REJECTED, { from: mark, what: 'status 2 on the hub' });
    assert.equal(tg.attemptsTo(tgUser.id).length, sent, 'nothing sent through a removed connection');
    for (const text of answers) {
      assert.ok(!text.includes(tgConn.botToken) && !text.includes(vbConn.botToken), 'no answer carries a bot token');
      assert.ok(!text.includes(tgSecret), 'no answer carries the webhook secret');
    }
  });
});
