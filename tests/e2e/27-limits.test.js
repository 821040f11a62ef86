'use strict';
// Request admission: what a request may cost is decided from its headers,
// before its body is read (docs/api.md, "Requests and errors"; docs/security.md).
// Body limits by caller, the bound on JSON values, the server-wide body budget,
// new-visitor limits, and the channel dedupe record outliving its chat.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const MiB = 1024 * 1024;

// Opens a raw connection and sends the head of a POST declaring `length`
// bytes, and `first` bytes of its body; resolves with the socket and a
// function collecting the response once the server answers.
function holdUpload(port, path, length, first, headers = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let raw = '';
    const waiters = [];
    sock.setEncoding('latin1');
    sock.on('data', (d) => { raw += d; for (const w of waiters.splice(0)) w(); });
    sock.on('error', reject);
    sock.on('connect', () => {
      const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json',
        `Content-Length: ${length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
      sock.write(`${head}\r\n\r\n`);
      sock.write(Buffer.alloc(first, 0x20), () => resolve({
        sock,
        rest: (n) => new Promise((r) => sock.write(Buffer.alloc(n, 0x20), r)),
        answer: async (ms = 10000) => {
          const end = Date.now() + ms;
          while (!/^HTTP\/1\.1 \d{3}/.test(raw) || raw.indexOf('\r\n\r\n') < 0) {
            if (Date.now() > end) throw new Error(`no answer within ${ms} ms: ${raw.slice(0, 200)}`);
            await new Promise((r) => { waiters.push(r); setTimeout(r, 50); });
          }
          return Number(raw.slice(9, 12));
        },
      }));
    });
  });
}

describe('request admission', () => {
  let srv;
  let fx;

  before(async () => {
    srv = await h.startServer({
      env: { ...hub.HUB_ENV, CHATHUB_BODY_MEMORY_MAX: String(4 * MiB), CHATHUB_MAX_JSON_VALUES: '1000' },
    });
    fx = await hub.makeOrgFixture(srv, 'limitsco', { operators: 1 });
  });
  after(async () => { if (srv) await srv.stop(); });

  test('a body over the anonymous limit answers 413 without a token; with a token the general limit applies', async () => {
    const big = { login: 'x', password: 'y'.repeat(20000) };
    h.assertError(await h.api(srv.base, 'POST', '/api/company/get-token', { body: big }), 413, 1005);
    const sess = await h.api(srv.base, 'POST', `/api/widget/${fx.guid}/session`, { body: { name: 'n'.repeat(20000) } });
    h.assertError(sess, 413, 1005);
    // 20 KB to an authenticated route is fine (the field is then too long: 400, not 413)
    const r = await h.api(srv.base, 'POST', '/api/company/organization', { token: fx.token, body: { name: 'n'.repeat(20000) } });
    h.assertError(r, 400, 1003);
  });

  test('a bad token is answered 401 before the body matters (and the body is not kept)', async () => {
    const r = await h.api(srv.base, 'POST', '/api/company/organization',
      { token: 'not.a.token', body: { name: 'x', pad: 'p'.repeat(100000) } });
    h.assertError(r, 401, 2001);
    const v = await h.api(srv.base, 'POST', `/api/widget/${fx.guid}/message`,
      { token: fx.token.slice(0, -2) + 'xx', body: { textMessage: 'hi', pad: 'p'.repeat(100000) } });
    h.assertError(v, 401, 2001);
  });

  test('more JSON values than max_json_values: 400 before parsing', async () => {
    const rows = Array.from({ length: 400 }, () => ({}));
    const r = await h.api(srv.base, 'POST', '/api/operator/synchronize', { token: fx.token, body: [...rows, ...rows, ...rows] });
    h.assertError(r, 400, 1001, 'JSON values');
    // strings full of separators are one value each
    const ok = await h.api(srv.base, 'POST', '/api/company/organization',
      { token: fx.token, body: { name: ',:[{'.repeat(60) } });
    assert.equal(ok.status, 201, h.describeRes(ok));
  });

  test('validate-token takes small bodies only (it is answered on the network thread)', async () => {
    const r = await h.api(srv.base, 'POST', '/api/operator/validate-token',
      { token: fx.token, body: { token: 'x', pad: 'p'.repeat(20000) } });
    h.assertError(r, 413, 1005);
  });

  test('the body budget: a second large upload while the first holds it answers 503 with Retry-After', async () => {
    const len = 3 * MiB; // fits the 4 MiB budget once, not twice
    const first = await holdUpload(srv.port, `/api/chat/1/message`, len, 1000, { Authorization: `Bearer ${fx.token}` });
    // the first holds its reservation once the server has read its headers (not when the socket wrote them)
    await hub.pollUntil(async () => /^chathub_request_body_bytes [1-9]/m.test((await h.api(srv.base, 'GET', '/metrics')).text),
      { what: "the first upload's reservation" });
    const second = await holdUpload(srv.port, `/api/chat/1/message`, len, 0, { Authorization: `Bearer ${fx.token}` });
    await second.rest(len);
    assert.equal(await second.answer(), 503, 'the second body does not fit the budget');
    second.sock.destroy();
    await first.rest(len - 1000);
    assert.notEqual(await first.answer(), 503, 'the first was admitted (its body is then judged on its own)');
    first.sock.destroy();
    const m = await h.api(srv.base, 'GET', '/metrics');
    assert.match(m.text, /^chathub_refused_bodies_total [1-9]/m);
    assert.match(m.text, /^chathub_request_body_bytes 0$/m, 'every reservation was given back');
  });
});

describe('new anonymous visitors per address', () => {
  let srv;
  let fx;

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_SESSION_RATE_PER_MINUTE: '3' } });
    fx = await hub.makeOrgFixture(srv, 'sessco', { operators: 0 });
  });
  after(async () => { if (srv) await srv.stop(); });

  test('past the rate: 429; a returning visitor is not new', async () => {
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push((await hub.widgetSession(srv, fx.guid)).visitorToken);
    const r = await h.api(srv.base, 'POST', `/api/widget/${fx.guid}/session`, { body: {} });
    h.assertError(r, 429, 4001);
    assert.match(r.headers.get('retry-after') || '', /^\d+$/);
    const again = await h.api(srv.base, 'POST', `/api/widget/${fx.guid}/session`, { body: { visitorToken: tokens[0] } });
    assert.equal(again.status, 200, h.describeRes(again));
  });
});

describe('channel dedupe outlives the chat', () => {
  let srv;
  let fx;
  const SECRET = 'channel-secret-0123456789';

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'dedupeco', { operators: 0 });
    await hub.putOrg(srv, fx.token, fx.orgId, { channelSecret: SECRET });
  });
  after(async () => { if (srv) await srv.stop(); });

  const inbound = (body) => {
    const raw = JSON.stringify(body);
    const sig = `sha256=${crypto.createHmac('sha256', SECRET).update(raw).digest('hex')}`;
    return h.api(srv.base, 'POST', `/api/channel/${fx.guid}/inbound`,
      { rawBody: raw, headers: { 'Content-Type': 'application/json', 'X-ChatHub-Signature': sig } });
  };

  test('a replay after the chat was closed, then deleted, stores nothing', async () => {
    const body = { externalUserId: 'u-1', externalMessageId: 'e-1', text: 'hello' };
    const first = await inbound(body);
    h.assertOk(first);
    assert.equal(first.json.duplicate, false);
    h.assertOk(await hub.setChatStatus(srv, fx.token, first.json.chatId, 4));
    const again = await inbound(body);
    h.assertOk(again);
    assert.deepEqual(again.json, { messageId: first.json.messageId, chatId: first.json.chatId, duplicate: true });
    assert.equal((await hub.listChats(srv, fx.token)).total, 1, 'no new chat');
    h.assertOk(await h.api(srv.base, 'DELETE', `/api/chat/chats/${first.json.chatId}`, { token: fx.token }));
    const gone = await inbound(body);
    h.assertOk(gone);
    assert.deepEqual(gone.json, { messageId: null, chatId: null, duplicate: true });
    assert.equal((await hub.listChats(srv, fx.token)).total, 0, 'still nothing stored');
  });

  test('a body without a signature is never parsed: small ones 401, large ones 413', async () => {
    const r = await h.api(srv.base, 'POST', `/api/channel/${fx.guid}/inbound`, { body: { externalUserId: 'u' } });
    h.assertError(r, 401, 2001);
    const big = await h.api(srv.base, 'POST', `/api/channel/${fx.guid}/inbound`,
      { rawBody: `[${'{},'.repeat(100000)}{}]`, headers: { 'Content-Type': 'application/json' } });
    assert.equal(big.status, 413, h.describeRes(big));
  });
});
