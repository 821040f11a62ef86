'use strict';
// Labels (ext): GET/POST /api/labels, DELETE /api/labels/{id}, PUT
// /api/chat/{id}/labels, the `labels` of staff chat objects (REST list, Sync,
// hub events and results) and never of a visitor's, the list's `label=`
// filter, and the ChatLabelsChanged event to the operator side only.
// Isolation between companies and organizations; bad input (10,000 ids,
// invalid UTF-8, a name that collides, a bad color).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('labels', () => {
  let srv;
  let o; // company with one org of 2 operators
  let sales; // a second org of the same company, 1 operator
  let rival; // another company
  let opHub, compHub, salesHub, v; // hub connections: operator, company, the other org's operator, a visitor

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'labelco', { operators: 2 });
    sales = await hub.addOrg(srv, o.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'labelrival', { operators: 1 });
    opHub = await hub.connectHub(srv.base, o.ops[0].token, { label: 'op' });
    compHub = await hub.connectHub(srv.base, o.token, { label: 'company' });
    salesHub = await hub.connectHub(srv.base, sales.ops[0].token, { label: 'sales op' });
    v = await hub.visitorChat(srv, o.guid, 'Hello, I need help', { name: 'Vera' });
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  const list = (token, q = '') => h.api(srv.base, 'GET', `/api/labels${q}`, { token });
  const create = (token, body) => h.api(srv.base, 'POST', '/api/labels', { token, body });
  const del = (token, id) => h.api(srv.base, 'DELETE', `/api/labels/${id}`, { token });
  const setLabels = (token, chatId, labelIds) =>
    h.api(srv.base, 'PUT', `/api/chat/${chatId}/labels`, { token, body: { labelIds } });
  const names = (r) => r.json.map((x) => x.name);
  const mk = async (orgId, name, color) => {
    const r = await create(o.token, { organizationId: orgId, name, ...(color ? { color } : {}) });
    h.assertOk(r, 201);
    return r.json;
  };

  test('company: create (own or the server\'s color), list by name, delete', async () => {
    let r = await create(o.token, { organizationId: o.orgId, name: 'VIP', color: '#FFAA00' });
    h.assertOk(r, 201);
    assert.deepEqual({ ...r.json, id: 0 }, { id: 0, organizationId: o.orgId, name: 'VIP', color: '#ffaa00' });
    const vip = r.json;
    r = await create(o.token, { organizationId: o.orgId, name: 'billing' });
    h.assertOk(r, 201);
    assert.match(r.json.color, /^#[0-9a-f]{6}$/, 'the server chose a color');
    const tmp = r.json;
    r = await list(o.token, `?organizationId=${o.orgId}`);
    h.assertOk(r);
    assert.deepEqual(names(r), ['billing', 'VIP'], 'by name, case ignored');
    h.assertOk(await del(o.token, tmp.id));
    h.assertError(await del(o.token, tmp.id), 404, 3001);
    r = await list(o.token, `?organizationId=${o.orgId}`);
    assert.deepEqual(names(r), ['VIP']);
    h.assertOk(await del(o.token, vip.id));
  });

  test('operators read their organization\'s labels; only the company writes; visitors nothing', async () => {
    const l = await mk(o.orgId, 'Read me');
    const s = await mk(sales.orgId, 'Sales only');
    const [a] = o.ops;
    let r = await list(a.token);
    h.assertOk(r);
    assert.deepEqual(names(r), ['Read me'], "an operator's own organization by default");
    r = await list(a.token, `?organizationId=${o.orgId}`);
    assert.deepEqual(names(r), ['Read me']);
    h.assertError(await list(a.token, `?organizationId=${sales.orgId}`), 404, 3001, null);
    h.assertError(await list(o.token), 400, 1002);
    h.assertError(await list(o.token, '?organizationId=abc'), 400, 1001);
    h.assertError(await list(o.token, '?organizationId=0'), 400, 1003);
    h.assertError(await create(a.token, { organizationId: o.orgId, name: 'Nope' }), 403, 2005);
    h.assertError(await del(a.token, l.id), 403, 2005);
    h.assertError(await list(v.session.visitorToken), 403, 2005);
    h.assertError(await create(v.session.visitorToken, { organizationId: o.orgId, name: 'x' }), 403, 2005);
    h.assertError(await setLabels(v.session.visitorToken, v.chatId, [l.id]), 403, 2005);
    assert.deepEqual(names(await list(a.token)), ['Read me'], 'nothing changed');
    h.assertOk(await del(o.token, l.id));
    h.assertOk(await del(o.token, s.id));
  });

  test('isolation: another company\'s and organization\'s labels are invisible and unusable', async () => {
    const mine = await mk(o.orgId, 'Mine');
    const theirs = await create(rival.token, { organizationId: rival.orgId, name: 'Theirs' });
    h.assertOk(theirs, 201);
    const other = await mk(sales.orgId, 'Other org');
    h.assertError(await list(rival.token, `?organizationId=${o.orgId}`), 404, 3001);
    h.assertError(await create(rival.token, { organizationId: o.orgId, name: 'Sneaky' }), 404, 3001);
    h.assertError(await del(rival.token, mine.id), 404, 3001);
    h.assertError(await setLabels(rival.token, v.chatId, [theirs.json.id]), 404, 3001, 'chat');
    h.assertError(await setLabels(o.token, v.chatId, [theirs.json.id]), 404, 3001, 'label');
    h.assertError(await setLabels(o.token, v.chatId, [other.id]), 404, 3001, 'label');
    h.assertError(await setLabels(o.ops[0].token, v.chatId, [mine.id, other.id]), 404, 3001);
    h.assertError(await setLabels(sales.ops[0].token, v.chatId, [other.id]), 404, 3001, 'chat');
    h.assertError(await setLabels(o.token, v.chatId, [987654321]), 404, 3001);
    const chat = await hub.getChat(srv, o.token, v.chatId);
    assert.deepEqual(chat.labels, [], 'nothing was set');
    assert.deepEqual(names(await list(o.token, `?organizationId=${o.orgId}`)), ['Mine'], 'rival created nothing here');
    let r = await hub.listChats(srv, o.token, `label=${theirs.json.id}`);
    assert.equal(r.total, 0, "another company's label matches none of ours");
    h.assertOk(await del(o.token, mine.id));
    h.assertOk(await del(o.token, other.id));
    h.assertOk(await del(rival.token, theirs.json.id));
  });

  test('bad input: collision, color, name length, invalid UTF-8', async () => {
    const l = await mk(o.orgId, 'Срочно');
    h.assertError(await create(o.token, { organizationId: o.orgId, name: 'СРОЧНО' }), 409, 3002, null);
    await mk(o.orgId, 'Urgent');
    h.assertError(await create(o.token, { organizationId: o.orgId, name: 'urgent' }), 409, 3002);
    h.assertOk(await create(o.token, { organizationId: sales.orgId, name: 'urgent' }), 201, 'another organization may');
    for (const color of ['red', '#12345', '#1234567', '#12345g', 'ff0000'])
      h.assertError(await create(o.token, { organizationId: o.orgId, name: `c ${color}`, color }), 400, 1003);
    h.assertError(await create(o.token, { organizationId: o.orgId, name: '' }), 400, 1003);
    h.assertError(await create(o.token, { organizationId: o.orgId, name: 'x'.repeat(65) }), 400, 1003);
    h.assertOk(await create(o.token, { organizationId: o.orgId, name: 'y'.repeat(64) }), 201);
    h.assertError(await create(o.token, { organizationId: o.orgId, name: 'tab\there' }), 400, 1003);
    h.assertError(await create(o.token, { organizationId: o.orgId }), 400, 1002);
    h.assertError(await create(o.token, { organizationId: o.orgId, name: 5 }), 400, 1001);
    const bad = Buffer.concat([Buffer.from(`{"organizationId": ${o.orgId}, "name": "ab`), Buffer.from([0xff, 0xfe]),
      Buffer.from('cd"}')]);
    h.assertError(await h.api(srv.base, 'POST', '/api/labels',
      { token: o.token, rawBody: bad, headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    const bad2 = Buffer.concat([Buffer.from('{"labelIds": [1], "x": "'), Buffer.from([0xc3]), Buffer.from('"}')]);
    h.assertError(await h.api(srv.base, 'PUT', `/api/chat/${v.chatId}/labels`,
      { token: o.token, rawBody: bad2, headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    // a chat's labels: 10,000 ids, 21, repeats, wrong types
    const many = Array.from({ length: 10000 }, (_, i) => i + 1);
    h.assertError(await setLabels(o.token, v.chatId, many), 400, 1003, 'at most 20');
    h.assertError(await setLabels(o.token, v.chatId, many.slice(0, 21)), 400, 1003);
    h.assertError(await setLabels(o.token, v.chatId, [l.id, l.id]), 400, 1003, 'twice');
    h.assertError(await setLabels(o.token, v.chatId, [0]), 400, 1003);
    h.assertError(await setLabels(o.token, v.chatId, ['1']), 400, 1001);
    h.assertError(await setLabels(o.token, v.chatId, 'all'), 400, 1001);
    h.assertError(await h.api(srv.base, 'PUT', `/api/chat/${v.chatId}/labels`, { token: o.token, body: {} }), 400, 1002);
    h.assertError(await setLabels(o.token, 'abc', []), 404, 3001);
    for (const x of (await list(o.token, `?organizationId=${o.orgId}`)).json) h.assertOk(await del(o.token, x.id));
    for (const x of (await list(o.token, `?organizationId=${sales.orgId}`)).json) h.assertOk(await del(o.token, x.id));
  });

  test('the budget: 200 labels per organization', async () => {
    const made = [];
    for (let i = 0; i < 200; i++) made.push(await mk(sales.orgId, `b${i}`));
    h.assertError(await create(o.token, { organizationId: sales.orgId, name: 'one too many' }), 409, 3002);
    h.assertOk(await create(o.token, { organizationId: o.orgId, name: 'elsewhere' }), 201);
    for (const x of made) h.assertOk(await del(o.token, x.id));
    for (const x of (await list(o.token, `?organizationId=${o.orgId}`)).json) h.assertOk(await del(o.token, x.id));
  });

  test('set on a chat: the chat with its labels, ChatLabelsChanged to the operator side only', async () => {
    const vip = await mk(o.orgId, 'VIP', '#ff0000');
    const bug = await mk(o.orgId, 'bug');
    const [a, b] = o.ops;
    const marks = { op: opHub.mark(), comp: compHub.mark(), sales: salesHub.mark(), v: v.mark() };
    let r = await setLabels(a.token, v.chatId, [vip.id, bug.id]);
    h.assertOk(r);
    hub.assertChat(r.json, { id: v.chatId });
    assert.deepEqual(r.json.labels, [bug, vip], 'by name');
    const pred = (id, n) => (x, labels) => x === id && labels.length === n;
    let ev = await opHub.waitFor('ChatLabelsChanged', pred(v.chatId, 2), { from: marks.op });
    assert.deepEqual(ev, [v.chatId, [bug, vip]]);
    ev = await compHub.waitFor('ChatLabelsChanged', pred(v.chatId, 2), { from: marks.comp });
    assert.deepEqual(ev[1], [bug, vip]);
    // the same set again: the chat, no new event
    const again = opHub.mark();
    r = await setLabels(o.token, v.chatId, [bug.id, vip.id]);
    h.assertOk(r);
    assert.deepEqual(r.json.labels, [bug, vip]);
    r = await setLabels(b.token, v.chatId, [vip.id]);
    h.assertOk(r);
    assert.deepEqual(r.json.labels, [vip]);
    await opHub.waitFor('ChatLabelsChanged', pred(v.chatId, 1), { from: again });
    assert.equal(opHub.all('ChatLabelsChanged', pred(v.chatId, 2), again).length, 0, 'an unchanged set sends nothing');

    // where labels show: REST list, Sync (staff), hub results; never the visitor's side
    let chat = await hub.getChat(srv, o.token, v.chatId);
    assert.deepEqual(chat.labels, [vip]);
    chat = await hub.getChat(srv, a.token, v.chatId);
    assert.deepEqual(chat.labels, [vip]);
    let sync = await opHub.invoke('Sync', null);
    assert.deepEqual(sync.chats.find((c) => c.id === v.chatId).labels, [vip]);
    sync = await compHub.invoke('Sync', { chats: { [v.chatId]: 0 } });
    assert.deepEqual(sync.chats.find((c) => c.id === v.chatId).labels, [vip]);
    sync = await v.invoke('Sync', { chats: { [v.chatId]: 0 } });
    const mineV = sync.chats.find((c) => c.id === v.chatId);
    assert.ok(mineV, 'the visitor syncs its chat');
    assert.ok(!('labels' in mineV), `a visitor's chat object has no labels: ${JSON.stringify(mineV)}`);
    const taken = await opHub.invoke('TakeChat', v.chatId);
    assert.deepEqual(taken.labels, [vip], 'a hub result carries them');

    // a new chat is created with none
    const m = opHub.mark();
    const v2 = await hub.visitorChat(srv, o.guid, 'Second chat', { name: 'Walt' });
    const [created] = await opHub.waitFor('ChatCreated', (c) => c.id === v2.chatId, { from: m });
    assert.deepEqual(created.labels, []);

    // clearing
    r = await setLabels(o.token, v2.chatId, [bug.id]);
    h.assertOk(r);
    r = await setLabels(o.token, v2.chatId, []);
    h.assertOk(r);
    assert.deepEqual(r.json.labels, []);
    await opHub.waitFor('ChatLabelsChanged', (x, l) => x === v2.chatId && l.length === 0, { from: m });

    // the other organization's operator and both visitors never heard of any of it
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(salesHub.all('ChatLabelsChanged', () => true, marks.sales).length, 0, 'another organization');
    assert.equal(v.all('ChatLabelsChanged', () => true, marks.v).length, 0, 'the visitor');
    assert.equal(v2.all('ChatLabelsChanged').length, 0, 'the other visitor');
    const vEvents = [...v.events.slice(marks.v), ...v2.events];
    for (const e of vEvents) assert.ok(!JSON.stringify(e.args).includes('"labels"'), `visitor event ${e.name}`);
    h.assertOk(await setLabels(o.token, v.chatId, []));
    h.assertOk(await del(o.token, vip.id));
    h.assertOk(await del(o.token, bug.id));
  });

  test('the list filter: label=, with the other filters; deleting a label takes it off every chat', async () => {
    const hot = await mk(o.orgId, 'hot');
    const cold = await mk(o.orgId, 'cold');
    const v3 = await hub.visitorChat(srv, o.guid, 'Third', { name: 'Xena' });
    h.assertOk(await setLabels(o.token, v.chatId, [hot.id, cold.id]));
    h.assertOk(await setLabels(o.token, v3.chatId, [hot.id]));
    let r = await hub.listChats(srv, o.token, `label=${hot.id}`);
    assert.deepEqual(r.items.map((c) => c.id).sort(), [v.chatId, v3.chatId].sort());
    assert.equal(r.total, 2);
    for (const c of r.items) assert.ok(c.labels.some((l) => l.id === hot.id));
    r = await hub.listChats(srv, o.token, `label=${cold.id}`);
    assert.deepEqual(r.items.map((c) => c.id), [v.chatId]);
    r = await hub.listChats(srv, o.ops[1].token, `label=${hot.id}&per_page=1`);
    assert.equal(r.total, 2, 'an operator of the organization');
    assert.equal(r.items.length, 1);
    r = await hub.listChats(srv, o.token, `label=${hot.id}&organizationId=${sales.orgId}`);
    assert.equal(r.total, 0, 'with organizationId');
    r = await hub.listChats(srv, o.token, `label=${hot.id}&status=4`);
    assert.equal(r.total, 0, 'with status');
    r = await hub.listChats(srv, o.token, `label=${hot.id}&search=Xena`);
    assert.deepEqual(r.items.map((c) => c.id), [v3.chatId], 'with a search');
    assert.equal(r.items[0].match.field, 'name');
    assert.ok(r.items[0].labels.some((l) => l.id === hot.id), 'found chats carry their labels');
    r = await hub.listChats(srv, o.token, `label=${cold.id}&search=Xena`);
    assert.equal(r.total, 0, 'a search and another label');
    r = await hub.listChats(srv, sales.ops[0].token, `label=${hot.id}`);
    assert.equal(r.total, 0, "another organization's operator sees none");
    r = await hub.listChats(srv, rival.token, `label=${hot.id}`);
    assert.equal(r.total, 0, 'another company sees none');
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats?label=abc', { token: o.token }), 400, 1001);
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats?label=0', { token: o.token }), 400, 1003);
    h.assertError(await h.api(srv.base, 'GET', '/api/chat/chats?label=-3', { token: o.token }), 400, 1003);

    const m = opHub.mark();
    h.assertOk(await del(o.token, hot.id));
    const ev = await opHub.waitFor('ChatLabelsChanged', (x) => x === v.chatId, { from: m });
    assert.deepEqual(ev[1], [cold], 'what the chat keeps');
    await opHub.waitFor('ChatLabelsChanged', (x, l) => x === v3.chatId && l.length === 0, { from: m });
    r = await hub.listChats(srv, o.token, `label=${hot.id}`);
    assert.equal(r.total, 0);
    assert.deepEqual((await hub.getChat(srv, o.token, v.chatId)).labels, [cold]);
    assert.deepEqual((await hub.getChat(srv, o.token, v3.chatId)).labels, []);
    h.assertOk(await del(o.token, cold.id));
    assert.deepEqual((await hub.getChat(srv, o.token, v.chatId)).labels, []);
  });
});
