'use strict';
// The fake Telegram Bot API and Viber REST API (tests/fakes/) on their own,
// without a ChatHub server: the request and answer shapes of the platforms'
// public documentation, the webhook proofs (Telegram's secret token header,
// Viber's HMAC-SHA256 signature and its set_webhook check callback),
// injected failures, commits at answer time, file hosting, and 64-bit
// message tokens kept exact. The native channel tests (57, hostile P1, the
// cluster) rely on all of it.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const telegram = require('../fakes/telegram');
const viber = require('../fakes/viber');
const lib = require('../fakes/lib');

// A local receiver standing for our server: records every request and
// answers with status() (200 unless told).
async function receiver(status = () => 200) {
  const got = [];
  const srv = http.createServer(async (req, res) => {
    const body = await lib.readBody(req);
    got.push({ method: req.method, url: req.url, headers: req.headers, body });
    res.writeHead(status(req), { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  const url = await lib.listen(srv);
  return { url, got, close: () => lib.close(srv) };
}

const post = (url, body, headers = {}) => lib.request(url, { headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('fake Telegram Bot API', () => {
  let tg;
  let token;
  const api = (method, body, tok = token) => post(`${tg.url}/bot${tok}/${method}`, body || {});
  before(async () => {
    tg = await telegram.start();
    token = tg.addBot();
  });
  after(() => tg.close());

  test('tokens: an unknown one answers 401 Unauthorized, an unknown method 404; getMe describes the bot', async () => {
    let r = await api('getMe', {}, telegram.makeToken());
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { ok: false, error_code: 401, description: 'Unauthorized' });
    r = await api('noSuchMethod');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { ok: false, error_code: 404, description: 'Not Found' });
    r = await api('getme');
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.result.is_bot, true);
    assert.equal(r.json.result.id, Number(token.split(':')[0]));
    assert.match(token, /^\d+:[A-Za-z0-9_-]{35}$/);
  });

  test('setWebhook records the URL and secret; a bad secret is refused; deleteWebhook and an empty url remove it', async () => {
    let r = await api('setWebhook', { url: 'http://127.0.0.1:9/api/channels/telegram/abc', secret_token: 'a'.repeat(64) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, result: true, description: 'Webhook was set' });
    assert.equal(tg.webhook(token).url, 'http://127.0.0.1:9/api/channels/telegram/abc');
    assert.equal(tg.webhook(token).secret_token, 'a'.repeat(64));
    r = await api('getWebhookInfo');
    assert.equal(r.json.result.url, 'http://127.0.0.1:9/api/channels/telegram/abc');
    r = await api('setWebhook', { url: 'http://127.0.0.1:9/x', secret_token: 'no spaces allowed' });
    assert.equal(r.status, 400);
    assert.equal(r.json.ok, false);
    assert.match(r.json.description, /^Bad Request: /);
    assert.equal(tg.webhook(token).url, 'http://127.0.0.1:9/api/channels/telegram/abc', 'unchanged');
    r = await api('deleteWebhook');
    assert.deepEqual(r.json, { ok: true, result: true, description: 'Webhook was deleted' });
    assert.equal(tg.webhook(token), null);
    // form-encoded parameters, then removal by an empty url
    r = await lib.request(`${tg.url}/bot${token}/setWebhook`, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'url=http%3A%2F%2F127.0.0.1%3A9%2Fy&secret_token=s_1-2' });
    assert.equal(r.json.ok, true);
    assert.equal(tg.webhook(token).secret_token, 's_1-2');
    r = await api('setWebhook', { url: '' });
    assert.equal(r.json.ok, true);
    assert.equal(tg.webhook(token), null);
    assert.deepEqual(tg.state.bots.get(token).webhookHistory.map((w) => w.url),
      ['http://127.0.0.1:9/api/channels/telegram/abc', '', 'http://127.0.0.1:9/y', '']);
  });

  test('sendUpdate posts the update with the secret header; the bot may then write to that chat, and not to others', async () => {
    const rx = await receiver();
    try {
      const user = telegram.user(7001, 'Taras', 'Shevchenko');
      const u = tg.textUpdate(user, 'Привіт');
      const r = await tg.sendUpdate(rx.url, '/api/channels/telegram/k', u, { secret: 'sekret' });
      assert.equal(r.status, 200);
      assert.equal(rx.got.length, 1);
      assert.equal(rx.got[0].url, '/api/channels/telegram/k');
      assert.equal(rx.got[0].headers['x-telegram-bot-api-secret-token'], 'sekret');
      assert.match(rx.got[0].headers['content-type'], /^application\/json/);
      const body = JSON.parse(rx.got[0].body.toString('utf8'));
      assert.equal(body.update_id, u.update_id);
      assert.equal(body.message.text, 'Привіт');
      assert.equal(body.message.from.id, 7001);
      assert.equal(body.message.chat.id, 7001);
      assert.equal(body.message.chat.type, 'private');
      await tg.sendUpdate(rx.url, '/x', tg.textUpdate(user, 'again'));
      assert.equal(rx.got[1].headers['x-telegram-bot-api-secret-token'], undefined, 'no secret: no header');
      assert.equal(JSON.parse(rx.got[1].body).update_id, u.update_id + 1, 'update ids increase');

      let s = await api('sendMessage', { chat_id: 7001, text: 'Hello' });
      assert.equal(s.status, 200);
      assert.equal(s.json.ok, true);
      assert.ok(Number.isInteger(s.json.result.message_id));
      assert.equal(s.json.result.text, 'Hello');
      assert.equal(s.json.result.chat.id, 7001);
      s = await api('sendMessage', { chat_id: '7001', text: 'Again' });
      assert.equal(s.json.ok, true, 'chat_id as text');
      s = await api('sendMessage', { chat_id: 99999, text: 'Hello' });
      assert.equal(s.status, 400);
      assert.equal(s.json.description, 'Bad Request: chat not found');
      s = await api('sendMessage', { chat_id: 7001, text: '' });
      assert.equal(s.json.description, 'Bad Request: message text is empty');
      s = await api('sendMessage', { chat_id: 7001, text: 'x'.repeat(4097) });
      assert.equal(s.json.description, 'Bad Request: message is too long');
      assert.deepEqual(tg.sendsTo(7001).map((x) => x.text), ['Hello', 'Again']);
      assert.deepEqual(tg.attemptsTo(7001).map((a) => a.outcome), ['sent', 'sent', 'invalid', 'invalid']);
    } finally { await rx.close(); }
  });

  test('sendPhoto and sendDocument as multipart/form-data keep the bytes, name and type; a file_id string is kept as a reference', async () => {
    tg.update(telegram.user(7002, 'Olena'), { text: 'hi' });
    const png = crypto.randomBytes(3000);
    const fd = new FormData();
    fd.append('chat_id', '7002');
    fd.append('caption', 'a picture');
    fd.append('photo', new Blob([png], { type: 'image/png' }), 'dot.png');
    let r = await fetch(`${tg.url}/bot${token}/sendPhoto`, { method: 'POST', body: fd });
    let j = await r.json();
    assert.equal(r.status, 200);
    assert.equal(j.ok, true);
    assert.equal(j.result.caption, 'a picture');
    assert.ok(Array.isArray(j.result.photo) && j.result.photo[0].file_id);
    const s = tg.sendsTo(7002).at(-1);
    assert.equal(s.method, 'sendPhoto');
    assert.equal(s.type, 'photo');
    assert.equal(s.file.name, 'dot.png');
    assert.equal(s.file.contentType, 'image/png');
    assert.deepEqual(s.file.bytes, png);
    assert.equal(s.caption, 'a picture');

    const pdf = Buffer.from('%PDF-1.4 fake\n\u0000\u00ff binary');
    const fd2 = new FormData();
    fd2.append('chat_id', '7002');
    fd2.append('document', new Blob([pdf], { type: 'application/pdf' }), 'invoice.pdf');
    r = await fetch(`${tg.url}/bot${token}/sendDocument`, { method: 'POST', body: fd2 });
    j = await r.json();
    assert.equal(j.ok, true);
    assert.equal(j.result.document.file_name, 'invoice.pdf');
    assert.deepEqual(tg.sendsTo(7002).at(-1).file.bytes, pdf);

    r = await api('sendPhoto', { chat_id: 7002, photo: 'AgACAgIAAxkBAAIB' });
    assert.equal(r.json.ok, true);
    assert.equal(tg.sendsTo(7002).at(-1).ref, 'AgACAgIAAxkBAAIB');
    r = await api('sendPhoto', { chat_id: 7002 });
    assert.equal(r.status, 400);
    assert.equal(r.json.description, 'Bad Request: there is no photo in the request');
  });

  test('injected failures: 429 with retry_after, 5xx (JSON and HTML), 403 blocked; a blocked chat stays blocked', async () => {
    tg.update(telegram.user(7003, 'Ivan'), { text: 'hi' });
    tg.fail('rate', { retryAfter: 3 });
    tg.fail('server', { status: 502, html: true });
    tg.fail('server', { status: 500 });
    tg.fail('blocked', { chatId: 7003 });
    let r = await api('sendMessage', { chat_id: 7003, text: 'one' });
    assert.equal(r.status, 429);
    assert.deepEqual(r.json, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
    r = await api('sendMessage', { chat_id: 7003, text: 'one' });
    assert.equal(r.status, 502);
    assert.equal(r.json, undefined, 'an HTML gateway page');
    assert.match(r.text, /502 Bad Gateway/);
    r = await api('sendMessage', { chat_id: 7003, text: 'one' });
    assert.equal(r.status, 500);
    assert.equal(r.json.ok, false);
    r = await api('sendMessage', { chat_id: 7003, text: 'one' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    r = await api('sendMessage', { chat_id: 7003, text: 'one' });
    assert.equal(r.json.ok, true, 'the queue is used up');
    tg.block(7003);
    r = await api('sendMessage', { chat_id: 7003, text: 'two' });
    assert.equal(r.status, 403);
    assert.deepEqual(tg.attemptsTo(7003).map((a) => a.outcome), ['429', '502', '500', 'blocked', 'sent', 'blocked']);
    assert.deepEqual(tg.sendsTo(7003).map((s) => s.text), ['one']);
    tg.unblock(7003);
  });

  test('a slow answer whose caller hung up is not a send (committed at answer time)', async () => {
    tg.update(telegram.user(7004, 'Petro'), { text: 'hi' });
    tg.delay(400);
    try {
      const r = await lib.request(`${tg.url}/bot${token}/sendMessage`, { headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ chat_id: 7004, text: 'lost' }), timeoutMs: 100 });
      assert.equal(r.status, 0);
      await tg.waitFor(() => tg.attemptsTo(7004).some((a) => a.outcome === 'aborted'), { ms: 3000, what: 'the aborted attempt' });
      assert.equal(tg.sendsTo(7004).length, 0);
      const ok = await api('sendMessage', { chat_id: 7004, text: 'kept' });
      assert.equal(ok.json.ok, true);
      assert.deepEqual(tg.sendsTo(7004).map((s) => s.text), ['kept']);
    } finally { tg.delay(0); }
  });

  test('photo and document updates: getFile gives the largest size\'s file_path, the file is served at /file/bot<token>/…', async () => {
    const user = telegram.user(7005, 'Marta');
    const bytes = crypto.randomBytes(5000);
    const u = tg.photoUpdate(token, user, bytes, { caption: 'look' });
    assert.equal(u.message.photo.length, 3);
    assert.equal(u.message.caption, 'look');
    const largest = u.message.photo[2];
    assert.equal(largest.file_size, 5000);
    let r = await api('getFile', { file_id: largest.file_id });
    assert.equal(r.json.ok, true);
    assert.equal(r.json.result.file_size, 5000);
    assert.match(r.json.result.file_path, /^photos\//);
    const dl = await fetch(`${tg.url}/file/bot${token}/${r.json.result.file_path}`);
    assert.equal(dl.status, 200);
    assert.deepEqual(Buffer.from(await dl.arrayBuffer()), bytes);
    assert.equal(tg.state.downloads.at(-1).bytes, 5000);
    const other = tg.addBot();
    assert.equal((await fetch(`${tg.url}/file/bot${other}/${r.json.result.file_path}`)).status, 404, 'another bot\'s file');
    assert.equal((await api('getFile', { file_id: largest.file_id }, other)).json.description, 'Bad Request: invalid file_id');

    const d = tg.documentUpdate(token, user, Buffer.from('doc'), { fileName: 'a.pdf', mime: 'application/pdf', announcedSize: 30 * 1024 * 1024 });
    assert.equal(d.message.document.file_size, 30 * 1024 * 1024, 'the announced size');
    r = await api('getFile', { file_id: d.message.document.file_id });
    assert.equal(r.status, 400);
    assert.equal(r.json.description, 'Bad Request: file is too big');
    const v = tg.voiceUpdate(token, user, Buffer.from('OggS'));
    assert.equal(v.message.voice.mime_type, 'audio/ogg');
    const st = tg.stickerUpdate(token, user, Buffer.from('RIFF....WEBP'));
    assert.equal(st.message.sticker.is_animated, false);
  });
});

describe('fake Viber REST API', () => {
  let vb;
  let token;
  const api = (endpoint, body, tok = token) => post(`${vb.url}/${endpoint}`, body || {}, { 'X-Viber-Auth-Token': tok });
  before(async () => {
    vb = await viber.start();
    token = vb.addBot(undefined, { name: 'Shop' });
  });
  after(() => vb.close());

  test('HTTP 200 with the status in the body; a wrong token is status 2 invalidAuthToken; get_account_info', async () => {
    let r = await api('get_account_info', {}, 'nope');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 2, status_message: 'invalidAuthToken' });
    r = await lib.request(`${vb.url}/get_account_info`, { headers: { 'X-Viber-Auth-Token': token, 'Content-Type': 'application/json' }, body: '{nope' });
    assert.deepEqual(r.json, { status: 3, status_message: 'badData' });
    r = await api('get_account_info');
    assert.equal(r.json.status, 0);
    assert.equal(r.json.name, 'Shop');
    assert.match(r.json.id, /^pa:\d+$/);
    r = await post(`${vb.url}/pa/get_account_info`, {}, { 'X-Viber-Auth-Token': token });
    assert.equal(r.json.status, 0, 'also under /pa');
  });

  test('set_webhook first posts the signed "webhook" callback and fails unless it is answered 200; url "" removes it', async () => {
    let code = 500;
    const rx = await receiver(() => code);
    try {
      const url = `${rx.url}/api/channels/viber/abc`;
      let r = await api('set_webhook', { url });
      assert.equal(r.json.status, 1);
      assert.equal(r.json.status_message, 'Result[HttpResponse(500)] is not 200');
      assert.equal(vb.webhook(token), null);
      code = 200;
      r = await api('set_webhook', { url, event_types: ['delivered', 'seen', 'subscribed', 'unsubscribed', 'conversation_started'] });
      assert.equal(r.json.status, 0);
      assert.equal(r.json.status_message, 'ok');
      assert.deepEqual(r.json.event_types, ['delivered', 'seen', 'subscribed', 'unsubscribed', 'conversation_started']);
      assert.equal(vb.webhook(token).url, url);
      const check = rx.got.at(-1);
      assert.equal(check.url, '/api/channels/viber/abc');
      assert.equal(check.headers['x-viber-content-signature'], crypto.createHmac('sha256', token).update(check.body).digest('hex'));
      const ev = lib.parseBig(check.body.toString('utf8'));
      assert.equal(ev.event, 'webhook');
      assert.equal(typeof ev.message_token, 'bigint', 'a 64-bit token beyond 2^53');
      assert.ok(Number.isInteger(ev.timestamp));
      r = await api('set_webhook', { url: '' });
      assert.equal(r.json.status, 0);
      assert.equal(vb.webhook(token), null);
      assert.equal(rx.got.length, 2, 'removal posts nothing');
    } finally { await rx.close(); }
  });

  test('sendCallback signs with the token (or sends the given signature, or none); message tokens stay exact', async () => {
    const rx = await receiver();
    try {
      const user = viber.user('Оксана');
      const cb = vb.textCallback(user, 'Добрий день');
      await vb.sendCallback(rx.url, '/api/channels/viber/k', cb, { token });
      const got = rx.got[0];
      assert.equal(got.headers['x-viber-content-signature'], crypto.createHmac('sha256', token).update(got.body).digest('hex'));
      const text = got.body.toString('utf8');
      assert.match(text, new RegExp(`"message_token":${cb.message_token}[,}]`), 'a bare 64-bit integer');
      const parsed = lib.parseBig(text);
      assert.equal(parsed.message_token, cb.message_token);
      assert.equal(parsed.sender.id, user.id);
      assert.equal(parsed.message.text, 'Добрий день');
      await vb.sendCallback(rx.url, '/k', cb, { signature: 'deadbeef' });
      assert.equal(rx.got[1].headers['x-viber-content-signature'], 'deadbeef');
      await vb.sendCallback(rx.url, '/k', '{"raw":true}', { signature: null });
      assert.equal(rx.got[2].headers['x-viber-content-signature'], undefined);
      assert.equal(rx.got[2].body.toString(), '{"raw":true}');
      const seen = vb.seenCallback(user.id, 5741311803571721087n);
      assert.match(lib.stringify(seen), /"message_token":5741311803571721087[,}]/);
      assert.equal(seen.event, 'seen');
      assert.equal(seen.user_id, user.id);
    } finally { await rx.close(); }
  });

  test('send_message: text and picture (the fake fetches the media), validation, receivers it never heard from', async () => {
    const user = viber.user('Andrii');
    vb.conversationStartedCallback(user);
    const png = crypto.randomBytes(2048);
    const mediaUrl = vb.addMedia(png, { name: 'p.png', mime: 'image/png' });
    let r = await api('send_message', { receiver: user.id, sender: { name: 'Shop' }, type: 'text', text: 'Hello' });
    assert.equal(r.json.status, 0);
    assert.equal(typeof r.json.message_token, 'bigint');
    const t1 = r.json.message_token;
    r = await api('send_message', { receiver: user.id, sender: { name: 'Shop' }, type: 'picture', text: '', media: mediaUrl });
    assert.equal(r.json.status, 0);
    const sends = vb.sendsTo(user.id);
    assert.deepEqual(sends.map((s) => s.type), ['text', 'picture']);
    assert.equal(sends[0].messageToken, t1);
    assert.equal(sends[1].fetched.status, 200);
    assert.equal(sends[1].fetched.contentType, 'image/png');
    assert.deepEqual(sends[1].fetched.bytes, png);
    for (const [body, status] of [
      [{ receiver: user.id, type: 'text', text: 'x' }, 4], // no sender
      [{ receiver: user.id, sender: { name: 'x'.repeat(29) }, type: 'text', text: 'x' }, 3],
      [{ receiver: user.id, sender: { name: 'Shop' }, type: 'text' }, 4],
      [{ receiver: user.id, sender: { name: 'Shop' }, type: 'text', text: 'x'.repeat(7001) }, 3],
      [{ receiver: user.id, sender: { name: 'Shop' }, type: 'nope', text: 'x' }, 3],
      [{ receiver: user.id, sender: { name: 'Shop' }, type: 'file', media: mediaUrl }, 4],
      [{ sender: { name: 'Shop' }, type: 'text', text: 'x' }, 4],
      [{ receiver: 'never-heard-of=', sender: { name: 'Shop' }, type: 'text', text: 'x' }, 6],
    ]) {
      r = await api('send_message', body);
      assert.equal(r.json.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(r.json.status_message, viber.STATUS[status]);
    }
    assert.equal(vb.sendsTo(user.id).length, 2);
  });

  test('injected failures: status 12 tooManyRequests, status 6, HTTP 5xx, then delivery', async () => {
    const user = viber.user('Iryna');
    vb.subscribedCallback(user);
    vb.fail('rate');
    vb.fail('notSubscribed');
    vb.fail('server', { status: 503 });
    const send = () => api('send_message', { receiver: user.id, sender: { name: 'Shop' }, type: 'text', text: 'hi' });
    let r = await send();
    assert.deepEqual(r.json, { status: 12, status_message: 'tooManyRequests', chat_hostname: 'SN-CHAT-01_' });
    r = await send();
    assert.equal(r.json.status, 6);
    r = await send();
    assert.equal(r.status, 503);
    r = await send();
    assert.equal(r.json.status, 0);
    assert.deepEqual(vb.attemptsTo(user.id).map((a) => a.outcome), ['tooManyRequests', 'receiverNotSubscribed', '503', 'sent']);
    assert.equal(vb.sendsTo(user.id).length, 1);
  });

  test('media hosting: Content-Length or chunked, downloads recorded; callbacks of every kind', async () => {
    const big = crypto.randomBytes(300000);
    const url = vb.addMedia(big, { name: 'big.jpg', chunked: true });
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), null);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), big);
    assert.equal(vb.state.downloads.at(-1).bytesSent, big.length);
    assert.equal((await fetch(`${vb.url}/media/00/x.jpg`)).status, 404);
    const user = viber.user('Kateryna');
    const pic = vb.pictureCallback(user, url, { size: big.length });
    assert.equal(pic.message.type, 'picture');
    assert.equal(pic.message.media, url);
    assert.equal(pic.sender.id, user.id);
    assert.equal(vb.fileCallback(user, url, { size: 3, fileName: 'a.pdf' }).message.file_name, 'a.pdf');
    assert.equal(vb.contactCallback(user, { name: 'K', phone: '+380501112233' }).message.contact.phone_number, '+380501112233');
    assert.equal(vb.deliveredCallback(user.id, 1n).event, 'delivered');
    assert.equal(vb.failedCallback(user.id, 1n).desc, 'failure description');
    assert.equal(vb.unsubscribedCallback(user.id).user_id, user.id);
    assert.equal(vb.conversationStartedCallback(user).type, 'open');
  });
});
