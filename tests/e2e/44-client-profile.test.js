'use strict';
// The client's profile (ext): GET/PUT /api/client/{id}, GET /api/client/{id}/chats,
// what a widget session records (pageUrl, referrer, language, User-Agent, the
// pre-chat form's name, email and phone), a userJWT's verified attributes, the
// visitor's own attributes (POST /api/widget/{guid}/attributes, the widget's
// setAttributes), ClientUpdated to the operator side only, isolation between
// companies and organizations, and bad input.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const CLIENT_KEYS = ['id', 'organizationId', 'source', 'name', 'email', 'phone', 'pageUrl', 'referrer', 'language',
  'userAgent', 'firstSeenAt', 'updatedAt', 'chatsCount', 'attributes', 'verifiedAttributes', 'erased', 'erasedAt'].sort();

describe('client profile', () => {
  let srv;
  let o; // company, one org with 2 operators
  let sales; // another org of the same company
  let rival; // another company
  let secret;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'profileco', { operators: 2 });
    sales = await hub.addOrg(srv, o.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'profilerival', { operators: 1 });
    secret = crypto.randomBytes(24).toString('hex');
    await hub.putOrg(srv, o.token, o.orgId, { identitySecret: secret });
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  const getClient = (token, id) => h.api(srv.base, 'GET', `/api/client/${id}`, { token });
  const putClient = (token, id, body) => h.api(srv.base, 'PUT', `/api/client/${id}`, { token, body });
  const clientChats = (token, id, q = '') => h.api(srv.base, 'GET', `/api/client/${id}/chats${q}`, { token });
  const session = (guid, body, headers) => h.api(srv.base, 'POST', `/api/widget/${guid}/session`, { body, headers });
  const setAttrs = (guid, token, attributes) =>
    h.api(srv.base, 'POST', `/api/widget/${guid}/attributes`, { token, body: { attributes } });
  const jwt = (claims) => hub.hs256({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }, secret);

  test('a widget session records the page, the browser and the pre-chat form', async () => {
    const ua = 'Mozilla/5.0 (ProfileTest) Test/1.0';
    let r = await session(o.guid, { name: 'Zoë', email: 'zoe@example.com', phone: '+380 44 000',
      pageUrl: 'https://shop.example/cart?id=7', referrer: 'https://search.example/?q=шапка', language: 'uk-UA' },
    { 'User-Agent': ua });
    h.assertOk(r);
    const id = r.json.clientId;
    r = await getClient(o.token, id);
    h.assertOk(r);
    const c = r.json;
    assert.deepEqual(Object.keys(c).sort(), CLIENT_KEYS);
    assert.equal(c.id, id);
    assert.equal(c.organizationId, o.orgId);
    assert.equal(c.source, 3);
    assert.equal(c.name, 'Zoë');
    assert.equal(c.email, 'zoe@example.com');
    assert.equal(c.phone, '+380 44 000');
    assert.equal(c.pageUrl, 'https://shop.example/cart?id=7');
    assert.equal(c.referrer, 'https://search.example/?q=шапка');
    assert.equal(c.language, 'uk-UA');
    assert.equal(c.userAgent, ua);
    assert.equal(c.chatsCount, 0);
    assert.deepEqual(c.attributes, {});
    assert.deepEqual(c.verifiedAttributes, []);
    assert.match(c.firstSeenAt, /^\d{4}-\d\d-\d\dT/);
    assert.ok(Date.parse(c.updatedAt) >= Date.parse(c.firstSeenAt));

    // the latest session's page wins; the pre-chat form given on a resumed session lands too
    const s = await hub.widgetSession(srv, o.guid, { pageUrl: 'https://shop.example/a' });
    r = await session(o.guid, { visitorToken: s.visitorToken, pageUrl: 'https://shop.example/b', name: 'Late Name',
      email: 'late@example.com', phone: '+1 555' });
    h.assertOk(r);
    assert.equal(r.json.clientId, s.clientId, 'the same visitor');
    r = await getClient(o.token, s.clientId);
    assert.equal(r.json.pageUrl, 'https://shop.example/b');
    assert.equal(r.json.name, 'Late Name');
    assert.equal(r.json.email, 'late@example.com');
    assert.equal(r.json.phone, '+1 555');
    // a session that does not say leaves the fields as they were
    h.assertOk(await session(o.guid, { visitorToken: s.visitorToken }));
    r = await getClient(o.token, s.clientId);
    assert.equal(r.json.pageUrl, 'https://shop.example/b');
    assert.equal(r.json.name, 'Late Name');
  });

  test('long page fields are cut on a UTF-8 boundary; wrong types are refused', async () => {
    const url = 'https://shop.example/' + 'я'.repeat(1500); // 3,042 bytes
    const r = await session(o.guid, { pageUrl: url, referrer: 'x'.repeat(5000), language: 'l'.repeat(100) },
      { 'User-Agent': 'U'.repeat(2000) });
    h.assertOk(r);
    const c = (await getClient(o.token, r.json.clientId)).json;
    assert.ok(Buffer.byteLength(c.pageUrl) <= 2048 && Buffer.byteLength(c.pageUrl) >= 2046, `${Buffer.byteLength(c.pageUrl)}`);
    assert.ok(url.startsWith(c.pageUrl), 'a prefix, whole characters only');
    assert.equal(c.referrer.length, 2048);
    assert.equal(c.language.length, 35);
    assert.equal(c.userAgent.length, 512);
    // a User-Agent that is not UTF-8 (a Latin-1 byte here) is not recorded
    const r2 = await session(o.guid, {}, { 'User-Agent': 'Agent \u00e9' });
    h.assertOk(r2);
    assert.equal((await getClient(o.token, r2.json.clientId)).json.userAgent, '');
    h.assertError(await session(o.guid, { pageUrl: 42 }), 400, 1001, 'pageUrl');
    h.assertError(await session(o.guid, { language: ['en'] }), 400, 1001, 'language');
    h.assertError(await session(o.guid, { phone: '1'.repeat(65) }), 400, 1003, 'phone');
  });

  test('GET /api/client/{id}/chats and chatsCount; ClientUpdated reaches the operator side only', async () => {
    const op = await hub.connectHub(srv.base, o.ops[0].token, { label: 'op1' });
    const company = await hub.connectHub(srv.base, o.token, { label: 'company' });
    const salesOp = await hub.connectHub(srv.base, sales.ops[0].token, { label: 'sales op' });
    const rivalOp = await hub.connectHub(srv.base, rival.ops[0].token, { label: 'rival op' });
    const v = await hub.visitorChat(srv, o.guid, 'Hello, I need help', { body: { name: 'Ivan', pageUrl: 'https://shop.example/1' } });
    const cid = v.session.clientId;
    let r = await clientChats(o.token, cid);
    h.assertOk(r);
    assert.equal(r.json.total, 1);
    assert.equal(r.json.items[0].id, v.chatId);
    assert.equal(r.json.items[0].client.id, cid);
    assert.deepEqual(r.json.items[0].labels, [], 'staff chat objects carry their labels');
    h.assertOk(await hub.setChatStatus(srv, o.token, v.chatId, 4));
    // a second chat: the visitor writes again after the close
    await v.invoke('SendMessage', v.chatId, 'One more question', crypto.randomUUID());
    r = await clientChats(o.ops[1].token, cid);
    h.assertOk(r);
    assert.equal(r.json.total, 1, 'a message reopens the same chat');
    r = await getClient(o.ops[0].token, cid);
    assert.equal(r.json.chatsCount, 1);

    const mark = op.mark(), cmark = company.mark(), vmark = v.mark();
    r = await putClient(o.ops[0].token, cid, { email: 'ivan@example.com', attributes: { plan: 'gold', seats: 3 } });
    h.assertOk(r);
    assert.equal(r.json.email, 'ivan@example.com');
    assert.deepEqual(r.json.attributes, { plan: 'gold', seats: 3 });
    const [ev] = await op.waitFor('ClientUpdated', (x) => x.id === cid, { from: mark });
    assert.deepEqual(Object.keys(ev).sort(), CLIENT_KEYS);
    assert.equal(ev.email, 'ivan@example.com');
    await company.waitFor('ClientUpdated', (x) => x.id === cid, { from: cmark });
    // the visitor's own setAttributes is announced too (the client has a chat)
    const m2 = op.mark();
    h.assertOk(await setAttrs(o.guid, v.session.visitorToken, { cart: 2 }));
    const [ev2] = await op.waitFor('ClientUpdated', (x) => x.id === cid && x.attributes.cart === 2, { from: m2 });
    assert.equal(ev2.attributes.plan, 'gold');
    // an unchanged PUT announces nothing
    const m3 = op.mark();
    h.assertOk(await putClient(o.ops[0].token, cid, { email: 'ivan@example.com' }));
    await h.sleep(300);
    assert.equal(op.all('ClientUpdated', () => true, m3).length, 0);
    assert.equal(v.all('ClientUpdated', () => true, vmark).length, 0, 'never to the visitor');
    assert.equal(salesOp.all('ClientUpdated').length, 0, 'never to another organization');
    assert.equal(rivalOp.all('ClientUpdated').length, 0, 'never to another company');
  });

  test('userJWT attributes are verified: the visitor cannot change or delete them, the staff can', async () => {
    let r = await session(o.guid, { userJWT: jwt({ sub: 'u-1', name: 'Signed User', attributes: { plan: 'pro', userId: 1001, beta: true } }) });
    h.assertOk(r);
    const cid = r.json.clientId, vt = r.json.visitorToken;
    let c = (await getClient(o.token, cid)).json;
    assert.equal(c.name, 'Signed User');
    assert.deepEqual(c.attributes, { plan: 'pro', userId: 1001, beta: true });
    assert.deepEqual(c.verifiedAttributes.sort(), ['beta', 'plan', 'userId']);

    r = await setAttrs(o.guid, vt, { plan: 'free', beta: null, color: 'blue' });
    h.assertOk(r);
    assert.deepEqual(r.json.attributes, { plan: 'pro', userId: 1001, beta: true, color: 'blue' });
    assert.deepEqual(r.json.ignored.sort(), ['beta', 'plan']);
    assert.deepEqual(r.json.verifiedAttributes.sort(), ['beta', 'plan', 'userId']);
    r = await setAttrs(o.guid, vt, { color: null, size: 'L' });
    h.assertOk(r);
    assert.deepEqual(r.json.attributes, { plan: 'pro', userId: 1001, beta: true, size: 'L' }, 'null deletes a key');
    assert.deepEqual(r.json.ignored, []);

    // a later userJWT replaces the verified set: keys it no longer names are gone
    r = await session(o.guid, { visitorToken: vt, userJWT: jwt({ sub: 'u-1', attributes: { plan: 'business' } }) });
    h.assertOk(r);
    assert.equal(r.json.clientId, cid);
    c = (await getClient(o.token, cid)).json;
    assert.deepEqual(c.attributes, { size: 'L', plan: 'business' });
    assert.deepEqual(c.verifiedAttributes, ['plan']);

    // the staff may set or delete any key; a deleted key stops being verified
    r = await putClient(o.token, cid, { attributes: { plan: 'enterprise', note: 'VIP' } });
    h.assertOk(r);
    assert.deepEqual(r.json.attributes, { size: 'L', plan: 'enterprise', note: 'VIP' });
    assert.deepEqual(r.json.verifiedAttributes, ['plan'], 'overwritten by the staff, still verified');
    r = await putClient(o.token, cid, { attributes: { plan: null } });
    assert.deepEqual(r.json.verifiedAttributes, []);
    assert.equal(r.json.attributes.plan, undefined);

    // a userJWT whose attributes break a bound is refused
    const big = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    h.assertError(await session(o.guid, { userJWT: jwt({ sub: 'u-2', attributes: big }) }), 400, 1003, '50 keys');
    h.assertError(await session(o.guid, { userJWT: jwt({ sub: 'u-2', attributes: [1, 2] }) }), 400, 1001, 'attributes');
  });

  test('PUT /api/client/{id}: name, email, phone; "" clears, absent keeps', async () => {
    const s = await hub.widgetSession(srv, o.guid, { name: 'Olga', email: 'olga@example.com' });
    let r = await putClient(o.ops[1].token, s.clientId, { name: 'Olga K', phone: '+49 30 1' });
    h.assertOk(r);
    assert.equal(r.json.name, 'Olga K');
    assert.equal(r.json.phone, '+49 30 1');
    assert.equal(r.json.email, 'olga@example.com');
    r = await putClient(o.token, s.clientId, { email: '' });
    assert.equal(r.json.email, '');
    assert.equal(r.json.name, 'Olga K');
    r = await getClient(o.ops[0].token, s.clientId);
    assert.equal(r.json.phone, '+49 30 1');
    assert.equal(r.json.email, '');
  });

  test('isolation: visitors 403 2005, another organization or company 404 3001', async () => {
    const s = await hub.widgetSession(srv, o.guid, { name: 'Private' });
    const id = s.clientId;
    for (const [method, path] of [['GET', `/api/client/${id}`], ['PUT', `/api/client/${id}`], ['GET', `/api/client/${id}/chats`]]) {
      const body = method === 'PUT' ? { name: 'x' } : undefined;
      h.assertError(await h.api(srv.base, method, path, { token: s.visitorToken, body }), 403, 2005);
      h.assertError(await h.api(srv.base, method, path, { token: sales.ops[0].token, body }), 404, 3001);
      h.assertError(await h.api(srv.base, method, path, { token: rival.token, body }), 404, 3001);
      h.assertError(await h.api(srv.base, method, path, { token: rival.ops[0].token, body }), 404, 3001);
      h.assertError(await h.api(srv.base, method, path, { body }), 401);
    }
    h.assertError(await getClient(o.token, 999999999), 404, 3001);
    h.assertError(await getClient(o.token, 'abc'), 404, 3001);
    h.assertOk(await getClient(sales.token, id)); // the company sees every organization
    assert.equal((await getClient(o.token, id)).json.name, 'Private', 'nothing was changed');
    // the visitor endpoint: only the token's own organization, only visitors
    h.assertError(await setAttrs(rival.guid, s.visitorToken, { a: 1 }), 404, 3001);
    h.assertError(await setAttrs(sales.guid, s.visitorToken, { a: 1 }), 404, 3001);
    h.assertError(await setAttrs(o.guid, o.token, { a: 1 }), 403, 2005);
    h.assertError(await setAttrs(o.guid, o.ops[0].token, { a: 1 }), 403, 2005);
    h.assertError(await setAttrs(o.guid, undefined, { a: 1 }), 401);
  });

  test('bad attributes: bounds answer 400 1003 naming the rule, wrong types 400 1001', async () => {
    const s = await hub.widgetSession(srv, o.guid, {});
    const vt = s.visitorToken;
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    h.assertOk(await setAttrs(o.guid, vt, fifty));
    h.assertError(await setAttrs(o.guid, vt, { k50: 1 }), 400, 1003, 'at most 50 keys');
    h.assertOk(await setAttrs(o.guid, vt, { k0: null, k50: 1 })); // one out, one in
    h.assertError(await putClient(o.token, s.clientId, { attributes: { k51: 1 } }), 400, 1003, 'at most 50 keys');
    const big = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`n${i}`, i]));
    h.assertError(await putClient(o.token, s.clientId, { attributes: big }), 400, 1003, '50 keys');
    const s2 = await hub.widgetSession(srv, o.guid, {});
    const v2 = s2.visitorToken;
    h.assertError(await setAttrs(o.guid, v2, { s: 'x'.repeat(1025) }), 400, 1003, '1024 bytes');
    h.assertOk(await setAttrs(o.guid, v2, { s: 'x'.repeat(1024) }));
    h.assertError(await setAttrs(o.guid, v2, { ['k'.repeat(65)]: 1 }), 400, 1003, 'key');
    h.assertError(await setAttrs(o.guid, v2, { 'bad key': 1 }), 400, 1003, 'key');
    h.assertError(await setAttrs(o.guid, v2, { '': 1 }), 400, 1003, 'key');
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`b${i}`, 'y'.repeat(1000)]));
    h.assertError(await setAttrs(o.guid, v2, eight), 400, 1003, '8192 bytes');
    h.assertError(await setAttrs(o.guid, v2, { a: [1] }), 400, 1001, 'attributes.a');
    h.assertError(await setAttrs(o.guid, v2, { a: { b: 1 } }), 400, 1001, 'attributes.a');
    h.assertError(await setAttrs(o.guid, v2, 'plan=pro'), 400, 1001, 'attributes');
    h.assertError(await h.api(srv.base, 'POST', `/api/widget/${o.guid}/attributes`, { token: v2, body: {} }), 400, 1002);
    h.assertError(await putClient(o.token, s2.clientId, { attributes: [1] }), 400, 1001);
    h.assertError(await putClient(o.token, s2.clientId, { name: 'n'.repeat(257) }), 400, 1003, 'name');
    h.assertError(await putClient(o.token, s2.clientId, { email: 5 }), 400, 1001, 'email');
    // invalid UTF-8 in the body
    const raw = Buffer.concat([Buffer.from('{"attributes":{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    h.assertError(await h.api(srv.base, 'POST', `/api/widget/${o.guid}/attributes`,
      { token: v2, rawBody: raw, headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    h.assertError(await h.api(srv.base, 'PUT', `/api/client/${s2.clientId}`,
      { token: o.token, rawBody: raw, headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    // nothing of a refused change was stored
    const c = (await getClient(o.token, s2.clientId)).json;
    assert.deepEqual(Object.keys(c.attributes), ['s']);
    assert.equal(c.name, '');
  });
});
