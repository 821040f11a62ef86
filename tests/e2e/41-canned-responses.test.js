'use strict';
// Canned responses (ext): GET/POST /api/canned-responses, PUT/DELETE
// /api/canned-responses/{id}. Organization-wide ones (a company, or operators
// when the organization's operatorsManageCanned allows it) and an operator's
// personal ones; isolation between companies, organizations and operators;
// bounded fields, a shortcut unique per owner and a budget per owner.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('canned responses', () => {
  let srv;
  let o; // company with one org of 2 operators
  let sales; // a second org of the same company, 1 operator
  let rival; // another company

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'cannedco', { operators: 2 });
    sales = await hub.addOrg(srv, o.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'cannedrival', { operators: 1 });
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  const list = (token, q = '') => h.api(srv.base, 'GET', `/api/canned-responses${q}`, { token });
  const create = (token, body) => h.api(srv.base, 'POST', '/api/canned-responses', { token, body });
  const put = (token, id, body) => h.api(srv.base, 'PUT', `/api/canned-responses/${id}`, { token, body });
  const del = (token, id) => h.api(srv.base, 'DELETE', `/api/canned-responses/${id}`, { token });
  const shortcuts = (r) => r.json.map((x) => x.shortcut);

  test('company: organization-wide responses, every route', async () => {
    const text = 'Hello {{client.name}}, this is {{operator.name}}.';
    let r = await create(o.token, { organizationId: o.orgId, shortcut: 'hello', title: 'Greeting', text });
    h.assertOk(r, 201);
    assert.deepEqual({ ...r.json, id: 0 },
      { id: 0, organizationId: o.orgId, operatorId: null, shortcut: 'hello', title: 'Greeting', text },
      'placeholders are stored as written');
    const id = r.json.id;
    r = await list(o.token, `?organizationId=${o.orgId}`);
    h.assertOk(r);
    assert.deepEqual(shortcuts(r), ['hello']);
    r = await put(o.token, id, { shortcut: 'hi', title: 'Hi', text: 'Hi there' });
    h.assertOk(r);
    assert.equal(r.json.shortcut, 'hi');
    assert.equal(r.json.id, id);
    r = await list(o.token, `?organizationId=${o.orgId}`);
    assert.equal(r.json[0].text, 'Hi there');
    h.assertOk(await del(o.token, id));
    h.assertError(await del(o.token, id), 404, 3001);
    assert.deepEqual((await list(o.token, `?organizationId=${o.orgId}`)).json, []);
  });

  test('operators see the organization-wide ones and only their own', async () => {
    const [a, b] = o.ops;
    h.assertOk(await create(o.token, { organizationId: o.orgId, shortcut: 'wide', title: 'W', text: 'w' }), 201);
    let r = await create(a.token, { shortcut: 'mine', title: 'M', text: 'Ann' });
    h.assertOk(r, 201);
    assert.equal(r.json.operatorId, a.id);
    assert.equal(r.json.organizationId, o.orgId);
    const mine = r.json.id;
    h.assertOk(await create(b.token, { organizationId: o.orgId, shortcut: 'mine', title: 'M', text: 'Bob' }), 201,
      'the same shortcut for another owner');
    r = await list(a.token);
    h.assertOk(r);
    assert.deepEqual(r.json.map((x) => [x.shortcut, x.operatorId]), [['wide', null], ['mine', a.id]]);
    r = await list(a.token, `?organizationId=${o.orgId}`);
    assert.equal(r.json.length, 2);
    r = await list(o.token, `?organizationId=${o.orgId}`);
    assert.deepEqual(shortcuts(r), ['wide'], "the company lists organization-wide ones, not operators' own");
    // another operator's personal response is not there for b
    h.assertError(await put(b.token, mine, { shortcut: 'x', title: 'x', text: 'x' }), 404, 3001);
    h.assertError(await del(b.token, mine), 404, 3001);
    r = await put(a.token, mine, { shortcut: 'mine2', title: 'M2', text: 'Ann 2' });
    h.assertOk(r);
    assert.equal(r.json.operatorId, a.id);
    h.assertOk(await del(a.token, mine));
  });

  test('operators manage organization-wide ones only when the organization allows it', async () => {
    const [a] = o.ops;
    let info = await hub.orgInfo(srv, o.token, o.orgId);
    assert.equal(info.operatorsManageCanned, false, 'off by default');
    const wide = (await list(o.token, `?organizationId=${o.orgId}`)).json.find((x) => x.shortcut === 'wide');
    h.assertError(await create(a.token, { organizationWide: true, shortcut: 'team', title: 'T', text: 't' }), 403, 2005);
    h.assertError(await put(a.token, wide.id, { shortcut: 'wide', title: 'W', text: 'changed' }), 403, 2005);
    h.assertError(await del(a.token, wide.id), 403, 2005);
    assert.deepEqual((await list(o.token, `?organizationId=${o.orgId}`)).json.find((x) => x.id === wide.id), wide,
      'the refused PUT and DELETE changed nothing');
    info = await hub.putOrg(srv, o.token, o.orgId, { operatorsManageCanned: true });
    assert.equal(info.operatorsManageCanned, true);
    let r = await create(a.token, { organizationWide: true, shortcut: 'team', title: 'T', text: 't' });
    h.assertOk(r, 201);
    assert.equal(r.json.operatorId, null);
    h.assertOk(await put(a.token, wide.id, { shortcut: 'wide', title: 'W', text: 'changed' }));
    h.assertOk(await del(a.token, r.json.id));
    r = await list(o.token, `?organizationId=${o.orgId}`);
    assert.equal(r.json.find((x) => x.shortcut === 'wide').text, 'changed');
    h.assertError(await h.api(srv.base, 'PUT', `/api/company/organization/${o.orgId}`,
      { token: o.token, body: { operatorsManageCanned: 'yes' } }), 400, 1001, 'operatorsManageCanned');
    assert.equal((await hub.putOrg(srv, o.token, o.orgId, { operatorsManageCanned: false })).operatorsManageCanned, false);
    h.assertError(await create(a.token, { organizationWide: true, shortcut: 'team', title: 'T', text: 't' }), 403, 2005);
  });

  test('isolation: another company, another organization, a visitor', async () => {
    const [a] = o.ops;
    const ours = (await list(o.token, `?organizationId=${o.orgId}`)).json[0];
    h.assertError(await list(rival.token, `?organizationId=${o.orgId}`), 404, 3001);
    h.assertError(await put(rival.token, ours.id, { shortcut: 'x', title: 'x', text: 'x' }), 404, 3001);
    h.assertError(await del(rival.token, ours.id), 404, 3001);
    h.assertError(await put(rival.ops[0].token, ours.id, { shortcut: 'x', title: 'x', text: 'x' }), 404, 3001);
    h.assertError(await create(rival.token, { organizationId: o.orgId, shortcut: 'x', title: 'x', text: 'x' }), 404, 3001);
    // the same company's other organization
    h.assertError(await list(sales.ops[0].token, `?organizationId=${o.orgId}`), 404, 3001);
    h.assertError(await list(a.token, `?organizationId=${sales.orgId}`), 404, 3001);
    h.assertError(await create(a.token, { organizationId: sales.orgId, shortcut: 'x', title: 'x', text: 'x' }), 404, 3001);
    h.assertError(await del(sales.ops[0].token, ours.id), 404, 3001);
    assert.deepEqual((await list(sales.ops[0].token)).json, []);
    assert.deepEqual((await list(rival.token, `?organizationId=${rival.orgId}`)).json, []);
    const s = await hub.widgetSession(srv, o.guid);
    h.assertError(await list(s.visitorToken, `?organizationId=${o.orgId}`), 403, 2005);
    h.assertError(await create(s.visitorToken, { organizationId: o.orgId, shortcut: 'x', title: 'x', text: 'x' }), 403, 2005);
    h.assertError(await del(s.visitorToken, ours.id), 403, 2005);
    assert.equal((await list(undefined, `?organizationId=${o.orgId}`)).status, 401);
    // every refused write left the response as it was
    const after = (await list(o.token, `?organizationId=${o.orgId}`)).json.find((x) => x.id === ours.id);
    assert.deepEqual(after, ours, 'refused PUT/DELETE changed nothing');
  });

  test('bad input', async () => {
    const base = { organizationId: sales.orgId, title: 'T', text: 't' };
    h.assertOk(await create(o.token, { ...base, shortcut: 'dup' }), 201);
    h.assertError(await create(o.token, { ...base, shortcut: 'dup' }), 409, 3002, 'shortcut');
    h.assertError(await create(o.token, { ...base, shortcut: 'has space' }), 400, 1003, 'shortcut');
    h.assertError(await create(o.token, { ...base, shortcut: 'é' }), 400, 1003, 'shortcut');
    h.assertError(await create(o.token, { ...base, shortcut: 'a'.repeat(33) }), 400, 1003, 'shortcut');
    h.assertError(await create(o.token, { ...base, shortcut: '' }), 400, 1003, 'shortcut');
    h.assertOk(await create(o.token, { ...base, shortcut: 'a'.repeat(32) }), 201);
    h.assertError(await create(o.token, { ...base, shortcut: 'long', title: 't'.repeat(257) }), 400, 1003, 'title');
    h.assertError(await create(o.token, { ...base, shortcut: 'long', text: 'x'.repeat(16385) }), 400, 1003, 'text');
    h.assertOk(await create(o.token, { ...base, shortcut: 'full', text: 'я'.repeat(8192) }), 201, '16384 bytes');
    h.assertError(await create(o.token, { ...base, shortcut: 'nil', text: undefined }), 400, 1002, 'text');
    h.assertError(await create(o.token, { title: 'T', text: 't', shortcut: 'noorg' }), 400, 1002, 'organizationId');
    h.assertError(await create(o.token, { ...base, shortcut: 'num', text: 5 }), 400, 1001, 'text');
    h.assertError(await create(o.token, { ...base, shortcut: 'w', organizationWide: false }), 400, 1003);
    const bad = Buffer.concat([Buffer.from(`{"organizationId":${sales.orgId},"shortcut":"bad","title":"T","text":"`),
      Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    h.assertError(await h.api(srv.base, 'POST', '/api/canned-responses',
      { token: o.token, rawBody: bad, headers: { 'Content-Type': 'application/json' } }), 400, 1001);
    const dup = (await list(o.token, `?organizationId=${sales.orgId}`)).json.find((x) => x.shortcut === 'dup');
    h.assertOk(await create(o.token, { ...base, shortcut: 'other' }), 201);
    h.assertError(await put(o.token, dup.id, { shortcut: 'other', title: 'T', text: 't' }), 409, 3002);
    h.assertError(await put(o.token, dup.id, { shortcut: 'ok', title: 'T' }), 400, 1002);
    h.assertError(await put(o.token, 'abc', { shortcut: 'ok', title: 'T', text: 't' }), 404, 3001);
    h.assertError(await put(o.token, 999999, { shortcut: 'ok', title: 'T', text: 't' }), 404, 3001);
    h.assertError(await del(o.token, 0), 404, 3001);
    h.assertError(await list(o.token, `?organizationId=${sales.orgId}&bogus=1`), 400, 1001, 'bogus');
    h.assertError(await list(o.token), 400, 1002, 'organizationId');
    h.assertError(await list(o.token, '?organizationId=abc'), 400, 1001);
    h.assertError(await list(o.token, '?organizationId=0'), 400, 1003);
    h.assertError(await h.api(srv.base, 'POST', '/api/canned-responses?x=1',
      { token: o.token, body: { ...base, shortcut: 'q' } }), 400, 1001);
  });

  test('budget: 200 personal responses per operator', async () => {
    const op = sales.ops[0];
    for (let i = 0; i < 200; i += 20) {
      const rs = await Promise.all(Array.from({ length: 20 }, (_, k) =>
        create(op.token, { shortcut: `p${i + k}`, title: 'T', text: 't' })));
      for (const r of rs) h.assertOk(r, 201);
    }
    h.assertError(await create(op.token, { shortcut: 'over', title: 'T', text: 't' }), 409, 3002, '200');
    assert.equal((await list(op.token)).json.length, 200 + (await list(o.token, `?organizationId=${sales.orgId}`)).json.length);
    h.assertOk(await create(o.token, { organizationId: sales.orgId, shortcut: 'over', title: 'T', text: 't' }), 201,
      "the organization's budget is apart");
  });
});
