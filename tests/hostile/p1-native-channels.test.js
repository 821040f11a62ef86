'use strict';
// P1: the native Telegram and Viber webhooks (POST /api/channels/telegram/
// {key} and /api/channels/viber/{key}) and the connections API under
// hostile use, against the fake platforms of tests/fakes/ while the
// bystanders talk:
//
// - Proofs: a missing, wrong, truncated or other connection's Telegram
//   X-Telegram-Bot-Api-Secret-Token, and a missing or forged Viber
//   X-Viber-Content-Signature (another key, another body, truncated) answer
//   401 (2001); an unknown key, or a key on the other platform's path, 404.
//   The proof is checked before the body is parsed: a body that would hurt a
//   parser (100,000 levels of nested arrays, not JSON at all) still gets 401,
//   and the server lives on. Nothing is stored and the connection's
//   lastInboundAt stays unset.
// - Replays: the same Telegram update (update_id) and the same Viber message
//   (message_token), again and again and at once, even with other content,
//   store one message.
// - Oversize media (channel_media_max_bytes set to 64 KiB): a Telegram file
//   announced larger is not downloaded; one that lies about its size, and a
//   Viber picture whose server sends more than the limit, are not stored;
//   the server stops reading a large one early.
// - Malformed updates with a valid proof (not JSON, wrong types, missing ids,
//   bots, invalid UTF-8): 200 (ignored) or 400, never stored; a body over
//   256 KiB is 413.
// - Tenancy: another company cannot list, create on or delete a company's
//   connections (404, as if they did not exist); operators and visitors get
//   403; the platform's webhook stays registered.
// Counts (chats, messages) are read over REST before and after, in an
// organization of its own (the bystanders' conversation is elsewhere).

const { describe, test } = require('node:test');
const crypto = require('node:crypto');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const ch = require('../e2e/lib/channels');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const { telegram, viber } = ch;
const MEDIA_MAX = 65536;
const BODY_MAX = 256 * 1024;

const desc = (r) => `HTTP ${r.status || '(none)'}${r.error ? ` [${r.error}]` : ''} ${String(r.text || '').slice(0, 160)}`;
const is401 = (r) => r.status === 401 && r.json && r.json.code === 2001;

// Fakes, then a staged server (with bystanders) on them whose public_url is its own base.
async function setup(t, env = {}) {
  const tg = await telegram.start();
  const vb = await viber.start();
  t.after(async () => { await tg.close(); await vb.close(); });
  const port = await h.freePort();
  const { srv, by } = await stage(t, {
    env: {
      CHATHUB_TELEGRAM_API_URL: tg.url, CHATHUB_VIBER_API_URL: vb.url, CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true',
      CHATHUB_PUBLIC_URL: `http://127.0.0.1:${port}`, ...env,
    },
    serverOpts: { port },
  });
  // the bots' organization: its own, without operators (chats stay New)
  const org = await hub.addOrg(srv, by.a, 'Bots', { operators: 0 });
  const tgConn = await ch.connect(srv, by.a.token, org.orgId, 'telegram', tg.addBot(), 'P1 Telegram');
  const vbConn = await ch.connect(srv, by.a.token, org.orgId, 'viber', vb.addBot(), 'P1 Viber');
  const secret = tg.webhook(tgConn.botToken).secret_token;
  const tgPost = (update, opts = {}) => tg.sendUpdate(srv.base, tgConn.path, update, { secret, ...opts });
  const vbPost = (body, opts = {}) => vb.sendCallback(srv.base, vbConn.path, body, { token: vbConn.botToken, ...opts });
  const counts = () => ch.counts(srv, by.a.token, org.orgId);
  return { srv, by, tg, vb, org, tgConn, vbConn, secret, tgPost, vbPost, counts };
}

// "[[[…]]]" `depth` levels deep.
const nested = (depth) => Buffer.concat([Buffer.alloc(depth, '['), Buffer.alloc(depth, ']')]);

describe('P1 native channel webhooks', () => {
  test('forged or missing proofs answer 401 before any parsing, unknown keys 404; nothing is stored', async (t) => {
    const s = await setup(t);
    const { srv, by, tg, vb, tgConn, vbConn, secret } = s;
    const p = new Problems();
    const before = await s.counts();
    // a second Telegram connection (another company's) whose secret is valid, for another key
    const other = await hub.makeOrgFixture(srv, 'p1-other', { operators: 0 });
    const otherConn = await ch.connect(srv, other.token, other.orgId, 'telegram', tg.addBot(), 'Other');
    const otherSecret = tg.webhook(otherConn.botToken).secret_token;

    by.start();
    const user = telegram.user(810001, 'Mallory');
    const update = tg.textUpdate(user, 'forged');
    for (const [what, sec] of [['no header', null], ['empty', ''], ['another 64-hex secret', crypto.randomBytes(32).toString('hex')],
      ['another connection\'s secret', otherSecret], ['upper case', secret.toUpperCase()], ['truncated', secret.slice(0, 63)],
      // (whitespace around a header value is not part of it, RFC 9110 5.5: " <secret>" is the secret)
      ['one character more', `${secret}0`], ['a space inside', `${secret.slice(0, 32)} ${secret.slice(32)}`]]) {
      if (sec === secret) continue;
      const r = await s.tgPost(update, { secret: sec });
      p.check(is401(r), `Telegram secret ${what}: ${desc(r)} (expected 401 2001)`);
    }
    const cb = vb.textCallback(viber.user('Mallory'), 'forged');
    const raw = Buffer.from(JSON.stringify({ ...cb, message_token: 1 }));
    const sig = (b, key = vbConn.botToken) => crypto.createHmac('sha256', key).update(b).digest('hex');
    for (const [what, signature] of [['no header', null], ['empty', ''], ['another key', sig(raw, viber.makeToken())],
      ['the Telegram secret as key', sig(raw, secret)], ['another body', sig(Buffer.from('{}'))], ['truncated', sig(raw).slice(0, 32)],
      ['not hex', 'z'.repeat(64)], ['base64 of the right MAC', crypto.createHmac('sha256', vbConn.botToken).update(raw).digest('base64')]]) {
      const r = await s.vbPost(raw, { signature });
      p.check(is401(r), `Viber signature ${what}: ${desc(r)} (expected 401 2001)`);
    }
    // unknown keys and keys on the other platform's path
    for (const [what, path] of [['unknown Telegram key', ch.inboundPath('telegram', crypto.randomBytes(16).toString('hex'))],
      ['unknown Viber key', ch.inboundPath('viber', crypto.randomBytes(16).toString('hex'))],
      ['the Telegram key on the Viber path', ch.inboundPath('viber', tgConn.publicKey)],
      ['the Viber key on the Telegram path', ch.inboundPath('telegram', vbConn.publicKey)]]) {
      const r = await tg.sendUpdate(srv.base, path, update, { secret });
      p.check(r.status === 404, `${what}: ${desc(r)} (expected 404)`);
    }
    // bodies that would hurt a parser, with a bad proof: never parsed
    const deep = nested(100000);
    for (const [what, b] of [['100,000 nested arrays', deep], ['not JSON', Buffer.from('\u0000\u00ff{{{ not json')]]) {
      let r = await tg.sendUpdate(srv.base, tgConn.path, null, { body: b, secret: 'wrong' });
      p.check(is401(r), `Telegram, ${what}, wrong secret: ${desc(r)} (expected 401 2001)`);
      r = await tg.sendUpdate(srv.base, tgConn.path, null, { body: b });
      p.check(is401(r), `Telegram, ${what}, no secret: ${desc(r)} (expected 401 2001)`);
      r = await s.vbPost(b, { signature: sig(Buffer.from('x')) });
      p.check(is401(r), `Viber, ${what}, forged signature: ${desc(r)} (expected 401 2001)`);
    }
    const alive = await fetch(`${srv.base}/healthz`).then((r) => r.status).catch(() => 0);
    p.check(alive === 200, `the server after the nested bodies: /healthz ${alive}`);
    await by.stop();

    const after = await s.counts();
    p.check(after.chats === before.chats && after.messages === before.messages,
      `stored by forged requests: chats ${before.chats} → ${after.chats}, messages ${before.messages} → ${after.messages}`);
    // (Viber's set_webhook check is a genuine callback: only Telegram's must be unset)
    const l = (await ch.listConnections(srv, by.a.token, s.org.orgId)).json;
    const tgNow = l.find((c) => c.id === tgConn.id);
    p.check(tgNow && tgNow.health.lastInboundAt === null, `Telegram: lastInboundAt set by forged requests (${tgNow && tgNow.health.lastInboundAt})`);
    // the real platform still gets through
    const ok = await s.tgPost(tg.textUpdate(telegram.user(810002, 'Real'), 'genuine'));
    p.check(ok.status === 200, `a genuine update afterwards: ${desc(ok)}`);
    const real = await hub.pollUntil(async () => (await s.counts()).messages === before.messages + 1, { ms: 10000, what: 'the genuine message' }).catch(() => false);
    p.check(real, 'the genuine update was not stored');
    t.diagnostic(`before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    await by.verify(t, p);
    p.assertNone('P1 proof expectations');
  });

  test('replayed updates and callbacks store one message, even at once and with other content', async (t) => {
    const s = await setup(t);
    const { by, tg, vb } = s;
    const p = new Problems();
    by.start();
    const user = telegram.user(820001, 'Replay');
    const u = tg.textUpdate(user, 'pay me once');
    const first = await s.tgPost(u);
    p.check(first.status === 200, `first update: ${desc(first)}`);
    const again = await Promise.all(Array.from({ length: 8 }, () => s.tgPost(u)));
    for (const r of again) p.check(r.status === 200, `replayed update: ${desc(r)} (expected 200: the platform would retry anything else)`);
    const altered = { ...u, message: { ...u.message, text: 'pay me twice' } };
    const alt = await s.tgPost(altered);
    p.check(alt.status === 200, `same update_id, other text: ${desc(alt)}`);

    const vu = viber.user('Replay');
    const cb = vb.textCallback(vu, 'viber once');
    const v1 = await s.vbPost(cb);
    p.check(v1.status === 200, `first callback: ${desc(v1)}`);
    const vagain = await Promise.all(Array.from({ length: 8 }, () => s.vbPost(cb)));
    for (const r of vagain) p.check(r.status === 200, `replayed callback: ${desc(r)}`);
    const valt = await s.vbPost({ ...cb, message: { type: 'text', text: 'viber twice' } });
    p.check(valt.status === 200, `same message_token, other text: ${desc(valt)}`);
    await h.sleep(1000);
    await by.stop();

    const chats = (await hub.listChats(s.srv, by.a.token, `organizationId=${s.org.orgId}&per_page=100`)).items;
    p.check(chats.length === 2, `chats of the two replaying users: ${chats.length} (expected 2)`);
    const texts = [];
    for (const c of chats) texts.push(...(await hub.allMessages(s.srv, by.a.token, c.id)).map((m) => m.textMessage));
    for (const [text, n] of [['pay me once', 1], ['pay me twice', 0], ['viber once', 1], ['viber twice', 0]]) {
      const got = texts.filter((x) => x === text).length;
      p.check(got === n, `"${text}" stored ${got} times (expected ${n})`);
    }
    await by.verify(t, p);
    p.assertNone('P1 replay expectations');
  });

  test('oversize media: not downloaded when announced, cut when it lies, never stored', async (t) => {
    const s = await setup(t, { CHATHUB_CHANNEL_MEDIA_MAX_BYTES: String(MEDIA_MAX) });
    const { by, tg, vb, tgConn } = s;
    const p = new Problems();
    const before = await s.counts();
    by.start();
    const user = telegram.user(830001, 'Big');
    // announced over the limit: no download at all
    const big = crypto.randomBytes(MEDIA_MAX * 3);
    const d1 = tg.documentUpdate(tgConn.botToken, user, big, { fileName: 'big.pdf' });
    let r = await s.tgPost(d1);
    p.check(r.status === 200 || r.status === 400 || r.status === 413, `an announced oversize document: ${desc(r)}`);
    const ph = tg.photoUpdate(tgConn.botToken, user, big, { caption: 'big photo' });
    r = await s.tgPost(ph);
    p.check([200, 400, 413].includes(r.status), `an announced oversize photo: ${desc(r)}`);
    // announced small, served large
    const liar = tg.documentUpdate(tgConn.botToken, user, crypto.randomBytes(MEDIA_MAX * 4), { fileName: 'liar.pdf', announcedSize: 1000 });
    r = await s.tgPost(liar);
    p.check([200, 400, 413].includes(r.status), `a document lying about its size: ${desc(r)}`);
    // Viber: a picture whose media server sends 8 MiB (no Content-Length), announced small; and one announced large
    const vu = viber.user('Big');
    const huge = crypto.randomBytes(8 << 20);
    const chunkedUrl = vb.addMedia(huge, { name: 'huge.jpg', chunked: true });
    r = await s.vbPost(vb.pictureCallback(vu, chunkedUrl, { size: 1000 }));
    p.check([200, 400, 413].includes(r.status), `a Viber picture lying about its size: ${desc(r)}`);
    const lenUrl = vb.addMedia(huge, { name: 'huge2.jpg' });
    r = await s.vbPost(vb.pictureCallback(vu, lenUrl, { size: huge.length }));
    p.check([200, 400, 413].includes(r.status), `a Viber picture announced at 8 MiB: ${desc(r)}`);
    await h.sleep(3000);
    await by.stop();

    const dl = (f) => tg.state.downloads.filter((d) => d.path === f.file_path);
    p.check(dl(d1.file).length === 0, `the announced oversize document was downloaded ${dl(d1.file).length} times`);
    p.check(dl(ph.files.big).length === 0, `the announced oversize photo was downloaded ${dl(ph.files.big).length} times`);
    for (const d of vb.state.downloads.filter((x) => x.id && chunkedUrl.includes(x.id))) {
      p.check(d.aborted || d.bytesSent < huge.length, `the server read the whole 8 MiB Viber picture (${d.bytesSent} bytes sent)`);
    }
    const after = await s.counts();
    const chats = (await hub.listChats(s.srv, by.a.token, `organizationId=${s.org.orgId}&per_page=100`)).items;
    let withMedia = 0;
    for (const c of chats) withMedia += (await hub.allMessages(s.srv, by.a.token, c.id)).filter((m) => m.media).length;
    p.check(withMedia === 0, `${withMedia} oversize media stored`);
    p.check(after.messages === before.messages, `messages ${before.messages} → ${after.messages}: oversize media stored something`);
    t.diagnostic(`Telegram downloads: ${JSON.stringify(tg.state.downloads.map((d) => [d.path, d.status, d.bytes]))}; `
      + `Viber downloads: ${JSON.stringify(vb.state.downloads.map((d) => [d.status, d.bytesSent, d.aborted]))}`);
    await by.verify(t, p);
    p.assertNone('P1 media expectations');
  });

  test('malformed updates with a valid proof are answered without storing; a body over 256 KiB is 413', async (t) => {
    const s = await setup(t);
    const { srv, by, tg, vb, vbConn } = s;
    const p = new Problems();
    const before = await s.counts();
    by.start();
    const from = { id: 840001, is_bot: false, first_name: 'Odd' };
    const chat = { id: 840001, type: 'private' };
    const tgBodies = [
      ['not JSON', 'this is not json'], ['an array', '[]'], ['null', 'null'], ['a string', '"update"'],
      ['update_id a string', JSON.stringify({ update_id: 'x', message: { message_id: 1, from, chat, date: 1, text: 'a' } })],
      ['no update_id', JSON.stringify({ message: { message_id: 1, from, chat, date: 1, text: 'b' } })],
      ['message a string', JSON.stringify({ update_id: 9000001, message: 'c' })],
      ['from.id a string', JSON.stringify({ update_id: 9000002, message: { message_id: 1, from: { ...from, id: 'abc' }, chat, date: 1, text: 'd' } })],
      ['no from', JSON.stringify({ update_id: 9000003, message: { message_id: 1, chat, date: 1, text: 'e' } })],
      ['text a number', JSON.stringify({ update_id: 9000004, message: { message_id: 1, from, chat, date: 1, text: 12345 } })],
      ['photo an object', JSON.stringify({ update_id: 9000005, message: { message_id: 1, from, chat, date: 1, photo: { file_id: 5 } } })],
      ['from a bot', JSON.stringify({ update_id: 9000006, message: { message_id: 1, from: { ...from, is_bot: true }, chat, date: 1, text: 'f' } })],
      ['an edited message', JSON.stringify({ update_id: 9000007, edited_message: { message_id: 1, from, chat, date: 1, edit_date: 2, text: 'g' } })],
      ['an update_id of 40 digits', `{"update_id":${'9'.repeat(40)},"message":{"message_id":1,"from":{"id":840001,"is_bot":false,"first_name":"Odd"},"chat":{"id":840001,"type":"private"},"date":1,"text":"h"}}`],
      ['invalid UTF-8', Buffer.concat([Buffer.from('{"update_id":9000008,"message":{"message_id":1,"from":{"id":840001,"is_bot":false,"first_name":"Odd"},"chat":{"id":840001,"type":"private"},"date":1,"text":"'),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}}')])],
    ];
    for (const [what, body] of tgBodies) {
      const r = await tg.sendUpdate(srv.base, s.tgConn.path, null, { body, secret: s.secret });
      p.check(r.status === 200 || r.status === 400, `Telegram ${what}: ${desc(r)} (expected 200 ignored, or 400)`);
    }
    const sender = { id: 'odd+user/=', name: 'Odd' };
    const vbBodies = [
      ['not JSON', 'this is not json'], ['an array', '[]'], ['event a number', JSON.stringify({ event: 5 })],
      ['a message without a sender', JSON.stringify({ event: 'message', timestamp: 1, message_token: 77, message: { type: 'text', text: 'a' } })],
      ['a message without a token', JSON.stringify({ event: 'message', timestamp: 1, sender, message: { type: 'text', text: 'b' } })],
      ['message_token a string of letters', JSON.stringify({ event: 'message', timestamp: 1, message_token: 'abc', sender, message: { type: 'text', text: 'c' } })],
      ['sender.id a number', JSON.stringify({ event: 'message', timestamp: 1, message_token: 78, sender: { id: 5, name: 'x' }, message: { type: 'text', text: 'd' } })],
      ['message a string', JSON.stringify({ event: 'message', timestamp: 1, message_token: 79, sender, message: 'e' })],
      ['a picture without media', JSON.stringify({ event: 'message', timestamp: 1, message_token: 80, sender, message: { type: 'picture' } })],
      ['a picture at a file: URL', JSON.stringify({ event: 'message', timestamp: 1, message_token: 81, sender, message: { type: 'picture', media: 'file:///etc/passwd' } })],
      ['seen of a token never sent', JSON.stringify({ event: 'seen', timestamp: 1, message_token: 82, user_id: 'odd' })],
      ['an unknown event', JSON.stringify({ event: 'client_status', timestamp: 1 })],
    ];
    for (const [what, body] of vbBodies) {
      const r = await s.vbPost(body);
      p.check(r.status === 200 || r.status === 400, `Viber ${what}: ${desc(r)} (expected 200 ignored, or 400)`);
    }
    // over the body limit, with valid proofs
    const pad = (n) => JSON.stringify({ update_id: 9000099, message: { message_id: 1, from, chat, date: 1, text: 'x'.repeat(n) } });
    let r = await tg.sendUpdate(srv.base, s.tgConn.path, null, { body: pad(BODY_MAX + 1024), secret: s.secret });
    p.check(r.status === 413, `Telegram body over 256 KiB: ${desc(r)} (expected 413)`);
    const bigV = Buffer.from(JSON.stringify({ event: 'message', timestamp: 1, message_token: 83, sender, message: { type: 'text', text: 'y'.repeat(BODY_MAX + 1024) } }));
    r = await s.vbPost(bigV);
    p.check(r.status === 413, `Viber body over 256 KiB: ${desc(r)} (expected 413)`);
    r = await s.vbPost(nested(BODY_MAX));
    p.check(r.status === 413, `Viber, 512 KiB of nested arrays, validly signed: ${desc(r)} (expected 413)`);
    // a deep nesting within the limit, validly signed: refused or ignored, never a crash
    r = await s.vbPost(nested(100000));
    p.check(r.status === 200 || r.status === 400, `Viber, 100,000 nested arrays validly signed: ${desc(r)}`);
    r = await tg.sendUpdate(srv.base, s.tgConn.path, null, { body: nested(100000), secret: s.secret });
    p.check(r.status === 200 || r.status === 400, `Telegram, 100,000 nested arrays with the secret: ${desc(r)}`);
    await h.sleep(1000);
    await by.stop();

    const after = await s.counts();
    p.check(after.chats === before.chats && after.messages === before.messages,
      `stored by malformed updates: chats ${before.chats} → ${after.chats}, messages ${before.messages} → ${after.messages}`);
    p.check(vb.state.downloads.length === 0, `the server fetched ${vb.state.downloads.length} media for malformed callbacks`);
    t.diagnostic(`connection ${vbConn.id}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    await by.verify(t, p);
    p.assertNone('P1 malformed-update expectations');
  });

  test('another company reaches none of the connections (404); operators and visitors get 403; nothing changes', async (t) => {
    const s = await setup(t);
    const { srv, by, tg, vb, org, tgConn, vbConn } = s;
    const p = new Problems();
    const mallory = await h.makeCompany(srv, 'p1-mallory');
    const path = ch.channelsPath(org.orgId);
    by.start();
    for (const [method, pth, body] of [['GET', path], ['POST', path, { type: 'telegram', name: 'x', token: tg.addBot() }],
      ['DELETE', `${path}/${tgConn.id}`], ['DELETE', `${path}/${vbConn.id}`],
      ['DELETE', `${ch.channelsPath(mallory.orgId)}/${tgConn.id}`], ['GET', ch.channelsPath(mallory.orgId)]]) {
      const r = await atk.api(srv, method, pth, { token: mallory.token, body });
      const own = pth === ch.channelsPath(mallory.orgId) && method === 'GET';
      if (own) p.check(r.status === 200 && Array.isArray(r.json) && r.json.length === 0, `mallory lists her own: ${atk.describe(r)}`);
      else p.check(r.status === 404, `mallory ${method} ${pth}: ${atk.describe(r)} (expected 404)`);
    }
    const opToken = by.a.ops[0].token;
    const vtok = by.visitor.session.visitorToken;
    for (const [who, token] of [['an operator of A', opToken], ['a visitor of A', vtok]]) {
      for (const [method, pth, body] of [['GET', path], ['POST', path, { type: 'viber', name: 'x', token: vb.addBot() }],
        ['DELETE', `${path}/${tgConn.id}`]]) {
        const r = await atk.api(srv, method, pth, { token, body });
        p.check(r.status === 403, `${who} ${method} ${pth}: ${atk.describe(r)} (expected 403)`);
      }
    }
    const none = await atk.api(srv, 'GET', path, {});
    p.check(none.status === 401, `no token: ${atk.describe(none)} (expected 401)`);
    await by.stop();

    const l = await ch.listConnections(srv, by.a.token, org.orgId);
    p.check(l.json.length === 2, `A's connections after the attempts: ${l.json.length} (expected 2)`);
    p.check(!l.text.includes(tgConn.botToken) && !l.text.includes(vbConn.botToken), 'the list carries a bot token');
    p.check(tg.webhook(tgConn.botToken) && tg.webhook(tgConn.botToken).url === tgConn.webhookUrl, 'A\'s Telegram webhook was changed');
    p.check(vb.webhook(vbConn.botToken) && vb.webhook(vbConn.botToken).url === vbConn.webhookUrl, 'A\'s Viber webhook was changed');
    p.check(tg.callsOf('setWebhook').length === 1 && tg.callsOf('deleteWebhook').length === 0,
      `the fake Telegram saw setWebhook ×${tg.callsOf('setWebhook').length}, deleteWebhook ×${tg.callsOf('deleteWebhook').length} (expected 1 and 0: A's own)`);
    await by.verify(t, p);
    p.assertNone('P1 tenancy expectations');
  });
});
