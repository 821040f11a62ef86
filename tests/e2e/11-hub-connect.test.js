'use strict';
// The hub endpoint: negotiation, the official client connecting as each kind
// of principal (with and without negotiation), auth failures before the
// upgrade, the handshake, presence events, token expiry and revocation.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('hub connect', () => {
  let srv;
  let fx;        // company + org + 2 operators
  let vis;       // a visitor session of fx's org

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_OFFLINE_GRACE_SECONDS: '1' } });
    fx = await hub.makeOrgFixture(srv, 'hubconnco', { operators: 3 });
    vis = await hub.widgetSession(srv, fx.guid, { name: 'Connecting Visitor' });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const negotiate = (headers = {}, query = '?negotiateVersion=1') =>
    h.api(srv.base, 'POST', `/chathub/negotiate${query}`, { headers });

  test('negotiate answers the documented shape for every kind of token', async () => {
    for (const [kind, token] of [['operator', fx.ops[0].token], ['company', fx.token], ['visitor', vis.visitorToken]]) {
      const r = await negotiate({ Authorization: `Bearer ${token}` });
      assert.equal(r.status, 200, `${kind}: ${h.describeRes(r)}`);
      assert.match(r.headers.get('content-type') || '', /^application\/json\b/i, kind);
      const j = r.json;
      assert.equal(typeof j.connectionId, 'string', `${kind}: ${r.text}`);
      assert.ok(j.connectionId.length > 0);
      assert.equal(typeof j.connectionToken, 'string', `${kind}: ${r.text}`);
      assert.ok(j.connectionToken.length > 0);
      assert.equal(j.negotiateVersion, 1);
      assert.deepEqual(j.availableTransports, [
        { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
        { transport: 'ServerSentEvents', transferFormats: ['Text'] },
        { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
      ]);
    }
    // X-Authorization-Key works as well; two negotiations give distinct ids
    const a = await negotiate({ 'X-Authorization-Key': fx.ops[0].token });
    const b = await negotiate({ 'X-Authorization-Key': fx.ops[0].token });
    h.assertOk(a);
    h.assertOk(b);
    assert.notEqual(a.json.connectionId, b.json.connectionId);
    assert.notEqual(a.json.connectionToken, b.json.connectionToken);
  });

  test('negotiate with a missing, malformed, badly signed or revoked token: 401 with the JSON error', async () => {
    h.assertError(await negotiate(), 401, 2001);
    h.assertError(await negotiate({ Authorization: 'Bearer not-a-token' }), 401, 2001);
    const [hd, pl] = fx.ops[0].token.split('.');
    h.assertError(await negotiate({ Authorization: `Bearer ${hd}.${pl}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` }), 401, 2001);
    const [revoked] = await h.syncOperators(srv, fx.token, [{ organizationId: fx.orgId, name: 'Revoked soon' }]);
    const rt = await h.operatorToken(srv, fx.token, revoked.id);
    h.assertOk(await negotiate({ Authorization: `Bearer ${rt}` }));
    await h.setStatus(srv, fx.token, revoked.id, 1);
    h.assertError(await negotiate({ Authorization: `Bearer ${rt}` }), 401, 2003);
  });

  test('WebSocket upgrade with a bad or missing token: 401 before the upgrade', async () => {
    for (const p of ['/chathub', '/chathub?access_token=garbage', `/chathub?access_token=${fx.ops[0].token.slice(0, -4)}AAAA`]) {
      const r = await hub.rawUpgrade(srv.port, p);
      assert.equal(r.status, 401, `${p}: ${r.head}`);
      assert.equal(r.ws, null);
    }
    const r = await hub.rawUpgrade(srv.port, '/chathub', { headers: { Authorization: 'Bearer nope' } });
    assert.equal(r.status, 401, r.head);
    // and the same request with a good token upgrades (header, or the query parameter browsers use)
    const ok2 = await hub.rawUpgrade(srv.port, '/chathub', { headers: { Authorization: `Bearer ${fx.ops[0].token}` } });
    assert.equal(ok2.status, 101, ok2.head);
    assert.equal(ok2.headers['sec-websocket-accept'], hub.wsAccept(ok2.key));
    ok2.ws.destroy();
    const ok3 = await hub.rawUpgrade(srv.port, '/chathub', { headers: { 'X-Authorization-Key': vis.visitorToken } });
    assert.equal(ok3.status, 101, ok3.head);
    ok3.ws.destroy();
    for (const token of [fx.ops[0].token, vis.visitorToken, fx.token]) {
      const ok1 = await hub.rawUpgrade(srv.port, `/chathub?access_token=${encodeURIComponent(token)}`);
      assert.equal(ok1.status, 101, `token in access_token: ${ok1.head}\n${ok1.body || ''}`);
      ok1.ws.destroy();
    }
    // the official client in a browser puts the token in the query: the same path with id= too
    const n = await negotiate({ Authorization: `Bearer ${fx.ops[0].token}` });
    const ok4 = await hub.rawUpgrade(srv.port,
      `/chathub?id=${encodeURIComponent(n.json.connectionToken)}&access_token=${encodeURIComponent(fx.ops[0].token)}`);
    assert.equal(ok4.status, 101, `id + access_token: ${ok4.head}`);
    ok4.ws.destroy();
  });

  for (const skip of [false, true]) {
    test(`the official client connects as operator, visitor and company (${skip ? 'skipNegotiation + WebSockets' : 'with negotiation'})`, async () => {
      for (const [kind, token] of [['operator', fx.ops[1].token], ['visitor', vis.visitorToken], ['company', fx.token]]) {
        const c = await hub.connectHub(srv.base, token, { skipNegotiation: skip, label: kind });
        assert.equal(c.state, hub.signalR.HubConnectionState.Connected, kind);
        if (!skip) assert.ok(c.connectionId, `${kind}: a connection id from negotiation`);
        const s = await c.invoke('Sync', { chats: {} });
        assert.ok(s && Array.isArray(s.chats) && Array.isArray(s.messages), `${kind} Sync: ${JSON.stringify(s)}`);
        assert.equal(s.truncated, false, `${kind} Sync: ${JSON.stringify(s)}`);
        assert.deepEqual(s.messages, [], `${kind}: nothing named, no messages`);
        if (kind === 'visitor') assert.deepEqual(s.chats, [], 'a fresh visitor has no chats');
        await c.stop();
        assert.equal(c.state, hub.signalR.HubConnectionState.Disconnected);
      }
    });
  }

  test('the negotiated connectionToken is accepted as id= on the upgrade', async () => {
    const n = await negotiate({ Authorization: `Bearer ${fx.ops[0].token}` });
    h.assertOk(n);
    const r = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(n.json.connectionToken)}`,
      { headers: { Authorization: `Bearer ${fx.ops[0].token}` } });
    assert.equal(r.status, 101, r.head);
    await r.ws.handshake();
    assert.deepEqual(await r.ws.nextMessage(() => true), {});
    const c = await r.ws.invoke('1', 'Sync', [{ chats: {} }]);
    assert.equal(c.type, 3);
    assert.ok(c.result && Array.isArray(c.result.chats), JSON.stringify(c));
    r.ws.destroy();
  });

  function wsOpen(token) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/chathub`, { headers: { Authorization: `Bearer ${token}` } });
      const got = [];
      let buf = '';
      ws.on('message', (d) => {
        buf += d.toString('utf8');
        let i;
        while ((i = buf.indexOf(hub.RS)) >= 0) { got.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
      });
      const closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
      ws.on('open', () => resolve({ ws, got, closed }));
      ws.on('error', reject);
    });
  }

  test('handshake with an unknown protocol or version: {"error":...} and the connection is closed', async () => {
    for (const hs of ['{"protocol":"messagepack","version":2}', '{"protocol":"json","version":2}', '{"protocol":"blob","version":1}']) {
      const { ws, got, closed } = await wsOpen(fx.ops[0].token);
      ws.send(hs + hub.RS);
      const c = await Promise.race([closed, h.sleep(5000).then(() => null)]);
      assert.ok(c, `${hs}: the server closes the connection`);
      assert.ok(got.length >= 1, `${hs}: an answer before the close`);
      const ans = JSON.parse(got[0]);
      assert.equal(typeof ans.error, 'string', `${hs}: ${got[0]}`);
      assert.ok(ans.error.length > 0);
    }
    // the proper handshake works on the same endpoint
    const { ws, got } = await wsOpen(fx.ops[0].token);
    ws.send('{"protocol":"json","version":1}' + hub.RS);
    await hub.pollUntil(() => got.length >= 1, { ms: 5000, what: 'handshake answer' });
    assert.deepEqual(JSON.parse(got[0]), {});
    ws.close();
  });

  test('unknown hub method and bad arguments: a completion error, the connection stays usable', async () => {
    const c = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'op' });
    const e1 = await c.invokeError('NoSuchMethod', 1);
    assert.ok(e1.length > 0);
    const e2 = await c.invokeError('GetMessages', 'not-a-chat-id', null, 10);
    assert.ok(e2.length > 0);
    const e3 = await c.invokeError('SetPresence', 'asleep');
    assert.ok(e3.length > 0);
    const s = await c.invoke('Sync', { chats: {} });
    assert.ok(Array.isArray(s.chats));
    // a visitor may not set operator presence
    const v = await hub.connectHub(srv.base, vis.visitorToken, { label: 'visitor' });
    assert.ok((await v.invokeError('SetPresence', 'away')).length > 0);
    await v.stop();
    await c.stop();
  });

  test('OperatorPresence: operators see each other come, go away and leave; visitors see only whether anyone is online', async () => {
    const o = await hub.addOrg(srv, fx.company, 'Presence org', { operators: 2 });
    const [a, b] = o.ops;
    const s = await hub.widgetSession(srv, o.guid, {});
    const v = await hub.connectHub(srv.base, s.visitorToken, { label: 'visitor' });
    const ca = await hub.connectHub(srv.base, a.token, { label: 'op a' });
    await v.waitFor('OperatorPresence', (id, st) => id === 0 && st === 'online');
    const m = ca.mark();
    const cb = await hub.connectHub(srv.base, b.token, { label: 'op b' });
    await ca.waitFor('OperatorPresence', (id, st) => id === b.id && st === 'online', { from: m });
    await cb.invoke('SetPresence', 'away');
    await ca.waitFor('OperatorPresence', (id, st) => id === b.id && st === 'away', { from: m });
    const m2 = ca.mark();
    await cb.invoke('SetPresence', 'online');
    await ca.waitFor('OperatorPresence', (id, st) => id === b.id && st === 'online', { from: m2 });
    await cb.stop();
    await ca.waitFor('OperatorPresence', (id, st) => id === b.id && st === 'offline', { from: m2 });
    // visitors never learn operator ids
    for (const [, args] of v.events.filter((e) => e.name === 'OperatorPresence').map((e) => [e, e.args])) {
      assert.equal(args[0], 0, `visitor presence events carry operator 0: ${JSON.stringify(args)}`);
    }
    const vm = v.mark();
    await ca.stop();
    await v.waitFor('OperatorPresence', (id, st) => id === 0 && st === 'offline', { from: vm });
    await v.stop();
  });

  test('widget config: operatorsOnline follows the operators connected to the hub', async () => {
    const o = await hub.addOrg(srv, fx.company, 'Config org', { operators: 1 });
    const cfg = async () => {
      const r = await h.api(srv.base, 'GET', `/api/widget/${o.guid}/config`);
      h.assertOk(r);
      return r.json;
    };
    const c0 = await cfg();
    assert.equal(c0.guid, o.guid);
    assert.equal(typeof c0.title, 'string');
    assert.equal(typeof c0.prechatForm, 'boolean');
    assert.equal(c0.operatorsOnline, false);
    const c = await hub.connectHub(srv.base, o.ops[0].token, { label: 'op' });
    await hub.pollUntil(async () => (await cfg()).operatorsOnline === true, { ms: 5000, what: 'operatorsOnline true' });
    await c.invoke('SetPresence', 'away');
    await hub.pollUntil(async () => (await cfg()).operatorsOnline === false, { ms: 5000, what: 'operatorsOnline false when away' });
    await c.invoke('SetPresence', 'online');
    await hub.pollUntil(async () => (await cfg()).operatorsOnline === true, { ms: 5000, what: 'operatorsOnline true again' });
    await c.stop();
    await hub.pollUntil(async () => (await cfg()).operatorsOnline === false, { ms: 5000, what: 'operatorsOnline false' });
    const unknown = await h.api(srv.base, 'GET', '/api/widget/00000000-0000-0000-0000-000000000000/config');
    h.assertError(unknown, 404);
  });

  test('an operator token that expires closes the connection with "token expired"', async () => {
    const r = await h.api(srv.base, 'POST', '/api/operator/get-token',
      { token: fx.token, body: { id: fx.ops[2].id, expiresAt: h.isoIn(3000) } });
    h.assertOk(r);
    const c = await hub.connectHub(srv.base, r.text.trim(), { label: 'short-lived op' });
    const err = await c.waitClosed(10000);
    assert.ok(err, 'onclose reports an error');
    assert.match(String(err.message), /token expired/, String(err.message));
    // and the expired token cannot connect again
    h.assertError(await negotiate({ Authorization: `Bearer ${r.text.trim()}` }), 401, 2002);
  });

  test('setting an operator Inactive closes its connections with "token revoked"', async () => {
    const [op] = await h.syncOperators(srv, fx.token, [{ organizationId: fx.orgId, name: 'To be disabled' }]);
    const t = await h.operatorToken(srv, fx.token, op.id);
    const c1 = await hub.connectHub(srv.base, t, { label: 'tab 1' });
    const c2 = await hub.connectHub(srv.base, t, { label: 'tab 2', skipNegotiation: true });
    const other = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'colleague' });
    await h.setStatus(srv, fx.token, op.id, 1);
    for (const c of [c1, c2]) {
      const err = await c.waitClosed(5000);
      assert.ok(err, `${c.label}: onclose with an error`);
      assert.match(String(err.message), /token revoked/, String(err.message));
    }
    // the colleague is untouched
    assert.equal(other.state, hub.signalR.HubConnectionState.Connected);
    assert.ok(Array.isArray((await other.invoke('Sync', { chats: {} })).chats));
    await other.stop();
  });
});
