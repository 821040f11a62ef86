'use strict';
// Drop-in compatibility of authentication and REST details with the public
// ChatHub API: company tokens that last until revoked, company API keys
// (REST, CLI, hub; revocation), WWW-Authenticate on every 401, unknown query
// parameters are a 400, an operator token listing its own organization's
// operators, tg_user_id, and the whole message history without paging
// parameters.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const KEY_RE = /^chk_[A-Za-z0-9_-]{43}$/;

describe('company tokens and API keys', () => {
  let srv;
  let co;
  let other;
  let o;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    co = await h.makeCompany(srv, 'keyco');
    other = await h.makeCompany(srv, 'otherkeyco');
    o = await hub.addOrg(srv, co, 'Key org', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const keys = (token, method = 'GET', p = '/api/company/api-keys', body) =>
    h.api(srv.base, method, p, { token, body });

  test('a key is shown once at creation, listed without it, and works with both headers', async () => {
    const made = await keys(co.token, 'POST', undefined, { name: 'CRM backend' });
    h.assertOk(made, 201);
    assert.match(made.json.key, KEY_RE);
    assert.deepEqual(Object.keys(made.json).sort(), ['createdAt', 'id', 'key', 'name', 'prefix']);
    assert.equal(made.json.name, 'CRM backend');
    assert.ok(made.json.key.startsWith(made.json.prefix));
    const list = await keys(co.token);
    h.assertOk(list);
    const row = list.json.find((k) => k.id === made.json.id);
    assert.deepEqual(Object.keys(row).sort(), ['createdAt', 'id', 'name', 'prefix'], 'never the key again');
    assert.ok(!list.text.includes(made.json.key));

    const key = made.json.key;
    const a = await h.api(srv.base, 'GET', '/api/company/organization', { token: key });
    h.assertOk(a);
    assert.ok(a.json.some((x) => x.id === o.orgId));
    const b = await h.api(srv.base, 'GET', '/api/company/organization', { headers: { 'X-Authorization-Key': key } });
    h.assertOk(b);
    // everything a company token does: mint an operator token
    const t = await h.api(srv.base, 'POST', '/api/operator/get-token',
      { headers: { 'X-Authorization-Key': key }, body: { id: o.ops[0].id, expiresAt: h.isoIn(3600e3) } });
    h.assertOk(t);
    assert.equal((await h.validate(srv, key, t.text)).isValid, true);
    // the other company sees neither the key nor its data
    const theirs = await keys(other.token);
    assert.ok(!theirs.json.some((k) => k.id === made.json.id));
    h.assertError(await keys(other.token, 'DELETE', `/api/company/api-keys/${made.json.id}`), 404, 3001);
  });

  test('keys are managed with a company token, never with a key or another kind of token', async () => {
    const { json: { key } } = await keys(co.token, 'POST', undefined, { name: 'no minting' });
    h.assertError(await keys(key, 'POST', undefined, { name: 'child' }), 403, 2005);
    h.assertError(await keys(key), 403, 2005);
    h.assertError(await keys(o.ops[0].token), 403, 2005);
    h.assertError(await keys(undefined), 401, 2001);
    h.assertError(await keys(co.token, 'POST', undefined, {}), 400, 1002, 'name');
    h.assertError(await keys(co.token, 'POST', undefined, { name: 'x'.repeat(129) }), 400, 1003, 'name');
    h.assertError(await keys(co.token, 'DELETE', '/api/company/api-keys/abc'), 404, 3001);
  });

  test('revoking a key rejects it at once and closes the hub connections made with it', async () => {
    const { json: made } = await keys(co.token, 'POST', undefined, { name: 'to revoke' });
    const c = await hub.connectHub(srv.base, made.key, { label: 'key' });
    const s = await c.invoke('Sync', { chats: {} });
    assert.ok(Array.isArray(s.chats));
    const del = await keys(co.token, 'DELETE', `/api/company/api-keys/${made.id}`);
    h.assertOk(del);
    assert.equal(del.text, 'OK');
    await c.waitClosed();
    const r = await h.api(srv.base, 'GET', '/api/company/organization', { token: made.key });
    h.assertError(r, 401);
    assert.match(r.headers.get('www-authenticate') || '', /^Bearer error="invalid_token"/);
    h.assertError(await keys(co.token, 'DELETE', `/api/company/api-keys/${made.id}`), 404, 3001);
    assert.ok(!(await keys(co.token)).json.some((k) => k.id === made.id));
    // the company's other credentials are untouched
    h.assertOk(await h.api(srv.base, 'GET', '/api/company/organization', { token: co.token }));
  });

  test('a key connects on every hub transport, Long Polling and Server-Sent Events too', async () => {
    const { json: made } = await keys(co.token, 'POST', undefined, { name: 'transports' });
    for (const transport of ['WebSockets', 'LongPolling', 'ServerSentEvents']) {
      const c = await hub.connectHub(srv.base, made.key, { transport, label: `key (${transport})` });
      assert.equal(c.transport, transport);
      assert.ok(Array.isArray((await c.invoke('Sync', { chats: {} })).chats), `Sync over ${transport}`);
    }
    h.assertOk(await keys(co.token, 'DELETE', `/api/company/api-keys/${made.id}`));
  });

  test('a key that looks right but was never issued, and a forged one, are 401', async () => {
    const fake = `chk_${crypto.randomBytes(32).toString('base64url')}`;
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: fake }), 401, 2001);
    h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: 'chk_short' }), 401, 2001);
  });

  test('at most 100 keys per company: the 101st is a 409 naming the limit', async () => {
    const { json: have } = await keys(co.token);
    for (let i = have.length; i < 100; i++) h.assertOk(await keys(co.token, 'POST', undefined, { name: `k${i}` }), 201);
    const over = await keys(co.token, 'POST', undefined, { name: 'one too many' });
    h.assertError(over, 409, undefined, 'revoke one');
    for (const k of (await keys(co.token)).json.filter((x) => /^k\d+$/.test(x.name))) {
      h.assertOk(await keys(co.token, 'DELETE', `/api/company/api-keys/${k.id}`));
    }
  });

  test('chathub company api-key create/list/revoke against a running server', async () => {
    const made = await h.cli(['company', 'api-key', 'create', '--login', 'keyco', '--name', 'from the CLI'],
      { dataDir: srv.dataDir });
    assert.equal(made.code, 0, made.stderr);
    const key = made.stdout.trim();
    assert.match(key, KEY_RE, 'stdout is the key alone');
    assert.match(made.stderr, /shown only now/);
    await hub.pollUntil(async () => (await h.api(srv.base, 'GET', '/api/company/organization', { token: key })).status === 200,
      { what: 'the server to accept a key the CLI created' });
    const list = await h.cli(['company', 'api-key', 'list', '--login', 'keyco'], { dataDir: srv.dataDir });
    assert.equal(list.code, 0, list.stderr);
    const line = list.stdout.split('\n').find((l) => l.endsWith('\tfrom the CLI'));
    assert.ok(line, list.stdout);
    assert.ok(!list.stdout.includes(key), 'list never prints a key');
    const id = line.split('\t')[0];
    const c = await hub.connectHub(srv.base, key, { label: 'cli key' });
    const rev = await h.cli(['company', 'api-key', 'revoke', '--login', 'keyco', '--id', id], { dataDir: srv.dataDir });
    assert.equal(rev.code, 0, rev.stderr);
    await hub.pollUntil(async () => (await h.api(srv.base, 'GET', '/api/company/organization', { token: key })).status === 401,
      { what: 'the server to reject a key the CLI revoked' });
    await c.waitClosed();
    const again = await h.cli(['company', 'api-key', 'revoke', '--login', 'keyco', '--id', id], { dataDir: srv.dataDir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no API key/);
    const nobody = await h.cli(['company', 'api-key', 'list', '--login', 'nobody'], { dataDir: srv.dataDir });
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no company with login "nobody"/);
    const noName = await h.cli(['company', 'api-key', 'create', '--login', 'keyco'], { dataDir: srv.dataDir });
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--name is required/);
  });

  test('company tokens have no expiry by default and are revoked by revoke-tokens', async () => {
    const t = await h.companyToken(srv.base, 'otherkeyco', other.password);
    assert.equal(h.decodeJwt(t).payload.exp, undefined);
    const { json: { key } } = await keys(other.token, 'POST', undefined, { name: 'survives' });
    const r = await h.cli(['company', 'revoke-tokens', '--login', 'otherkeyco'], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr);
    await hub.pollUntil(async () => (await h.api(srv.base, 'GET', '/api/company/organization', { token: t })).status === 401,
      { what: 'the revoked company token to be rejected' });
    h.assertOk(await h.api(srv.base, 'GET', '/api/company/organization', { token: key }), 200,
      'API keys are revoked one by one, not by revoke-tokens');
    other.token = await h.companyToken(srv.base, 'otherkeyco', other.password);
  });
});

describe('a positive company_token_ttl still expires company tokens', () => {
  let srv;
  before(async () => { srv = await h.startServer({ env: { CHATHUB_COMPANY_TOKEN_TTL: '3600' } }); });
  after(async () => { if (srv) await srv.stop(); });

  test('exp is now + company_token_ttl', async () => {
    const co = await h.makeCompany(srv, 'ttlco');
    const exp = h.decodeJwt(co.token).payload.exp;
    assert.ok(Math.abs(exp - (Date.now() / 1000 + 3600)) < 120, `exp ${exp}`);
  });
});

describe('REST details of the public API', () => {
  let srv;
  let co;
  let o;
  let o2;
  const SECRET = 'channel-secret-compat-0123';

  before(async () => {
    // the history test writes 1001 messages as fast as it can
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_RATE_LIMIT_PER_SECOND: '100000', CHATHUB_RATE_LIMIT_BURST: '100000' } });
    co = await h.makeCompany(srv, 'restco');
    o = await hub.addOrg(srv, co, 'Org one', { operators: 1 });
    o2 = await hub.addOrg(srv, co, 'Org two', { operators: 1 });
    await hub.putOrg(srv, co.token, o.orgId, { channelSecret: SECRET });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('every 401 carries WWW-Authenticate as ASP.NET sends it', async () => {
    const none = await h.api(srv.base, 'GET', '/api/company/organization');
    h.assertError(none, 401, 2001);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const bad = await h.api(srv.base, 'GET', '/api/company/organization', { token: 'garbage' });
    h.assertError(bad, 401);
    assert.match(bad.headers.get('www-authenticate'), /^Bearer error="invalid_token", error_description="[^"]+"$/);
    const expired = hub.hs256({ typ: 'op', sub: 1, cid: 1, exp: 1 }, 'not-the-secret');
    const ex = await h.api(srv.base, 'GET', '/api/chat/chats', { token: expired });
    assert.equal(ex.status, 401);
    assert.match(ex.headers.get('www-authenticate'), /error="invalid_token"/);
    const login = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: 'restco', password: 'wrong' } });
    h.assertError(login, 401, 2004);
    assert.equal(login.headers.get('www-authenticate'), 'Bearer');
    const neg = await h.api(srv.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token: 'garbage' });
    assert.equal(neg.status, 401);
    assert.match(neg.headers.get('www-authenticate') || '', /^Bearer/);
    // a browser may read it
    const cors = await h.api(srv.base, 'GET', '/api/company/organization', { headers: { Origin: 'https://crm.example' } });
    assert.match(cors.headers.get('access-control-expose-headers') || '', /WWW-Authenticate/);
  });

  test('an unknown query parameter is a 400 naming it, on every kind of endpoint', async () => {
    const cases = [
      ['GET', '/api/company/organization?foo=1', co.token, 'foo'],
      ['GET', `/api/operator?organizationId=${o.orgId}&includeDeleted=true&bogus=2`, co.token, 'bogus'],
      ['GET', '/api/chat/chats?tg_user=5', co.token, 'tg_user'],
      ['GET', '/api/chat/chats?page=1&perPage=10', co.token, 'perPage'],
      ['POST', '/api/operator/get-token?expiresAt=x', co.token, 'expiresAt'],
      ['GET', '/api/company/api-keys?all=1', co.token, 'all'],
    ];
    for (const [m, p, token, name] of cases) {
      const body = m === 'POST' ? { id: o.ops[0].id, expiresAt: h.isoIn(3600e3) } : undefined;
      const r = await h.api(srv.base, m, p, { token, body });
      h.assertError(r, 400, 1001, `\`${name}\``);
      assert.match(r.json.message, /unknown query parameter/);
    }
    // the documented ones and access_token are fine
    h.assertOk(await h.api(srv.base, 'GET', `/api/chat/chats?page=1&per_page=5&tg_user_id=1&status=0&source=2&phone=1&search=x&organizationId=${o.orgId}`, { token: co.token }));
    h.assertOk(await h.api(srv.base, 'GET', `/api/company/organization?access_token=${co.token}`));
    // a rejected request changed nothing
    const before = (await h.api(srv.base, 'GET', '/api/company/organization', { token: co.token })).json.length;
    h.assertError(await h.api(srv.base, 'POST', '/api/company/organization?dryRun=1', { token: co.token, body: { name: 'Nope' } }), 400, 1001, 'dryRun');
    assert.equal((await h.api(srv.base, 'GET', '/api/company/organization', { token: co.token })).json.length, before);
  });

  test('an operator token lists the operators of its own organization, no other', async () => {
    const op = o.ops[0].token;
    const mine = await h.api(srv.base, 'GET', `/api/operator?organizationId=${o.orgId}`, { token: op });
    h.assertOk(mine);
    assert.ok(mine.json.some((x) => x.id === o.ops[0].id));
    h.assertError(await h.api(srv.base, 'GET', `/api/operator?organizationId=${o2.orgId}`, { token: op }), 404, 3001);
    // still company-only for writes
    h.assertError(await h.api(srv.base, 'POST', '/api/operator/synchronize',
      { token: op, body: [{ organizationId: o.orgId, name: 'Sneaky' }] }), 403, 2005);
  });

  const sign = (body) => `sha256=${crypto.createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const inbound = (payload) => {
    const body = Buffer.from(JSON.stringify(payload));
    return h.api(srv.base, 'POST', `/api/channel/${o.guid}/inbound`, {
      rawBody: body, headers: { 'Content-Type': 'application/json', 'X-ChatHub-Signature': sign(body) },
    });
  };

  test('tg_user_id lists the chats of that Telegram user only', async () => {
    const a = await inbound({ externalUserId: '100200300', name: 'Tg A', text: 'hi', externalMessageId: 'tg-a-1', source: 2 });
    h.assertOk(a);
    const b = await inbound({ externalUserId: '100200301', name: 'Tg B', text: 'hi', externalMessageId: 'tg-b-1', source: 2 });
    h.assertOk(b);
    const v = await inbound({ externalUserId: '100200300', name: 'Viber', text: 'hi', externalMessageId: 'vb-1', source: 1 });
    h.assertOk(v);
    const list = await hub.listChats(srv, co.token, 'tg_user_id=100200300');
    assert.deepEqual(list.items.map((c) => c.id), [a.json.chatId]);
    assert.equal(list.total, 1);
    const none = await hub.listChats(srv, co.token, 'tg_user_id=999');
    assert.equal(none.total, 0);
    // an operator of another organization sees nothing of it
    const other = await hub.listChats(srv, o2.ops[0].token, 'tg_user_id=100200300');
    assert.equal(other.total, 0);
  });

  test('message history without paging parameters is the whole history, capped at 1000 with a Link to the rest', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'message 1');
    const chatId = v.chatId;
    const few = await h.api(srv.base, 'GET', `/api/chat/chats/${chatId}/messages`, { token: co.token });
    h.assertOk(few);
    assert.equal(few.json.length, 1);
    assert.equal(few.headers.get('link'), null);
    // 1001 messages in all
    for (let i = 2; i <= 1001; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, 1002 - i) }, (_, k) =>
        hub.postMessage(srv, co.token, chatId, { textMessage: `message ${i + k}` })));
    }
    const all = await h.api(srv.base, 'GET', `/api/chat/${chatId}/messages`, { token: co.token });
    h.assertOk(all);
    assert.equal(all.json.length, 1000);
    hub.assertContiguous(all.json, 1, 'the first 1000');
    const link = all.headers.get('link');
    assert.equal(link, `</api/chat/${chatId}/messages?afterSeq=1000&limit=200>; rel="next"`);
    const rest = await h.api(srv.base, 'GET', link.slice(1, link.indexOf('>')), { token: co.token });
    h.assertOk(rest);
    assert.deepEqual(rest.json.map((m) => m.seq), [1001]);
    // with paging parameters it pages as before
    const page = await h.api(srv.base, 'GET', `/api/chat/chats/${chatId}/messages?limit=10`, { token: co.token });
    assert.deepEqual(page.json.map((m) => m.seq), Array.from({ length: 10 }, (_, k) => 992 + k));
    h.assertError(await h.api(srv.base, 'GET', `/api/chat/chats/${chatId}/messages?limit=201`, { token: co.token }), 400, 1003, 'limit');
  });
});

describe('the integration guide\'s development token', () => {
  test('with --demo it opens the hub and the panel\'s REST calls as the demo operator', async () => {
    const srv = await h.startServer({ args: ['--demo'], env: hub.HUB_ENV });
    try {
      assert.match(srv.stderr(), /development token "test-token-for-development"/);
      const c = await hub.connectHub(srv.base, 'test-token-for-development', { label: 'dev' });
      const s = await c.invoke('Sync', { chats: {} });
      assert.ok(Number.isInteger(s.operatorId) && s.operatorId > 0, JSON.stringify(s));
      const col = await h.api(srv.base, 'GET', '/api/operator/colleagues', { token: 'test-token-for-development' });
      h.assertOk(col);
      assert.equal(col.json.find((x) => x.id === s.operatorId).name, 'Alice');
      // it is an operator token: nothing a company may do
      h.assertError(await h.api(srv.base, 'GET', '/api/company/organization', { token: 'test-token-for-development' }), 403, 2005);
      await c.stop();
    } finally {
      await hub.closeAllClients();
      await srv.stop();
    }
  });

  test('without --demo it is just an invalid token', async () => {
    const srv = await h.startServer({ env: hub.HUB_ENV });
    try {
      h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats', { token: 'test-token-for-development' }), 401, 2001);
      const neg = await h.api(srv.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token: 'test-token-for-development' });
      assert.equal(neg.status, 401);
      assert.doesNotMatch(srv.stderr(), /development token/);
    } finally {
      await srv.stop();
    }
  });
});
