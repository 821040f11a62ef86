'use strict';
// The calls of the public samples and pages, with what their code reads from
// the answers (chathub-public-api-facts.md): the S2 samples' 30-day operator
// token and `['valid']`, the dashboard profile key in X-Authorization-Key, the
// S7 chat list filters and history, the S9 REST send with a photo, and
// ASP.NET's zone-less date-times.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');

describe('the public samples, call by call', () => {
  let srv;
  let fx;
  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'samplesco', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const call = (method, p, { token = fx.token, body, headers = {} } = {}) => fetch(`${srv.base}${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });

  test("S2: a 30-day operator token is issued (for 24 h), and the Python sample's ['valid'] reads true", async () => {
    const expiresAt = new Date(Date.now() + 30 * 24 * 3600e3).toISOString();
    const r = await call('POST', '/api/operator/get-token', { body: { id: fx.ops[0].id, expiresAt } });
    assert.equal(r.status, 200);
    const token = await r.text();
    const v = await (await call('POST', '/api/operator/validate-token', { body: { token } })).json();
    assert.equal(v.valid, true);
    assert.equal(v.isValid, true);
    assert.ok(Date.parse(v.expiresAt) <= Date.now() + 24 * 3600e3 + 60e3, `clamped: ${v.expiresAt}`);
    // .NET and Swagger UI send DateTime without a zone: UTC
    const local = new Date(Date.now() + 3600e3).toISOString().slice(0, 19);
    const z = await call('POST', '/api/operator/get-token', { body: { id: fx.ops[0].id, expiresAt: local } });
    assert.equal(z.status, 200, await z.clone().text());
  });

  test('S6: the profile key in X-Authorization-Key works for company requests', async () => {
    const made = await (await call('POST', '/api/company/api-keys', { body: { name: 'dashboard profile' } })).json();
    const r = await fetch(`${srv.base}/api/company/organization`, { headers: { 'X-Authorization-Key': made.key, Accept: 'text/plain' } });
    assert.equal(r.status, 200);
    assert.ok((await r.json()).some((o) => o.id === fx.orgId));
  });

  test('S9: REST send with a photo; S7: the list, its filters and the whole history', async () => {
    const v = await hub.visitorChat(srv, fx.guid, 'I have a question');
    const send = await call('POST', `/api/chat/${v.chatId}/message`, {
      body: { textMessage: 'Here is the photo', author: 0,
        media: { name: 'photo.jpg', format: 'image/jpeg', dataBase64: Buffer.from('jpeg bytes').toString('base64'), type: 1 } },
    });
    assert.equal(send.status, 200, await send.clone().text());
    const list = await (await call('GET', `/api/chat/chats?page=1&per_page=20&status=2&organizationId=${fx.orgId}`)).json();
    assert.ok(list.items.some((c) => c.id === v.chatId), JSON.stringify(list));
    const item = list.items.find((c) => c.id === v.chatId);
    for (const k of ['id', 'theme', 'operator', 'chatStatus', 'countUnread']) assert.ok(k in item, k);
    const day = new Date().toISOString().slice(0, 10);
    const byDate = await (await call('GET', `/api/chat/chats?date=${day}&date=${day}`)).json();
    assert.ok(byDate.items.some((c) => c.id === v.chatId));
    for (const p of [`/api/chat/chats/${v.chatId}/messages`, `/api/chat/${v.chatId}/messages`]) {
      const msgs = await (await call('GET', p)).json();
      assert.deepEqual(msgs.map((m) => m.textMessage), ['I have a question', 'Here is the photo'], p);
    }
    const st = await call('PUT', '/api/chat/status', { body: { id: v.chatId, status: 4 } });
    assert.equal(st.status, 200);
    const del = await call('DELETE', `/api/chat/chats/${v.chatId}`);
    assert.equal(del.status, 200);
    assert.equal(await del.text(), 'OK');
  });

  test('a filter the server does not know is a 400, never a silently unfiltered list', async () => {
    const r = await call('GET', '/api/chat/chats?tg_userid=5');
    assert.equal(r.status, 400);
    assert.match((await r.json()).message, /tg_userid/);
  });
});
