'use strict';
// The HTTP transports by hand, as TransportProtocols.md and docs/hub.md say:
// negotiate → a first poll answered at once → the handshake by POST → a poll
// held until there is something (200 with the records), or the poll time
// (200, empty), or the end (204); DELETE closes; a new poll ends the held one
// (204); the keep-alive goes out through the poll; the event stream
// (text/event-stream, `data: <records>`); every request needs the token of
// the principal that negotiated (another principal's → 404, none → 401); an
// unknown id → 404, a missing one → 400; POST bodies over 256 KiB → 413; a
// revoked operator's held poll gets the close, its next poll 204; MessagePack
// over SSE is refused at the handshake; negotiations count against
// hub_connections_per_principal; a WebSocket takes a negotiated connection
// over, once.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const RS = hub.RS;
const POLL_S = 2;

describe('hub transports: conformance', () => {
  let srv;
  let fx;
  let vis;   // a visitor session
  let other; // another visitor of the same organization

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_HUB_POLL_TIMEOUT: String(POLL_S),
      CHATHUB_HUB_CONNECTIONS_PER_PRINCIPAL: '4' } });
    fx = await hub.makeOrgFixture(srv, 'trconf', { operators: 2 });
    vis = await hub.widgetSession(srv, fx.guid, { name: 'Conformance Visitor' });
    other = await hub.widgetSession(srv, fx.guid, { name: 'Other Visitor' });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const negotiate = async (token) => {
    const r = await h.api(srv.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token });
    h.assertOk(r);
    return r.json.connectionToken;
  };
  const hubReq = (method, id, token, opts = {}) => h.api(srv.base, method,
    `/chathub${id === null ? '' : `?id=${encodeURIComponent(id)}`}`, { token, ...opts });
  const poll = (id, token, opts) => hubReq('GET', id, token, opts);
  const send = (id, token, text) => hubReq('POST', id, token, { rawBody: text, headers: { 'Content-Type': 'text/plain' } });
  const msg = (obj) => JSON.stringify(obj) + RS;
  const records = (text) => text.split(RS).filter(Boolean).map((x) => JSON.parse(x));

  // negotiate, first poll, handshake: a Long Polling connection ready to use
  async function lpConnect(token) {
    const id = await negotiate(token);
    const first = await poll(id, token);
    assert.equal(first.status, 200, `the first poll answers at once: ${h.describeRes(first)}`);
    assert.equal(first.text, '');
    h.assertOk(await send(id, token, `{"protocol":"json","version":1}${RS}`));
    const hs = await poll(id, token);
    assert.equal(hs.status, 200);
    assert.deepEqual(records(hs.text)[0], {}, 'the handshake answer comes through the poll (an operator\'s own presence may follow)');
    return id;
  }

  test('Long Polling: a held poll gets the completion; a poll held the full time returns 200 empty', async () => {
    const id = await lpConnect(vis.visitorToken);
    const held = poll(id, vis.visitorToken);
    await h.sleep(200);
    h.assertOk(await send(id, vis.visitorToken, msg({ type: 1, invocationId: '1', target: 'Sync', arguments: [{ chats: {} }] })));
    const r = await held;
    assert.equal(r.status, 200);
    const [c] = records(r.text);
    assert.equal(c.type, 3);
    assert.equal(c.invocationId, '1');
    assert.deepEqual(c.result, { chats: [], messages: [], truncated: false });
    // several invocations in one POST, their completions (in order) in one answer
    h.assertOk(await send(id, vis.visitorToken, msg({ type: 1, invocationId: '2', target: 'Typing', arguments: [1] })
      + msg({ type: 1, invocationId: '3', target: 'Sync', arguments: [{ chats: {} }] })));
    await h.sleep(300);
    const both = await poll(id, vis.visitorToken);
    assert.deepEqual(records(both.text).map((x) => x.invocationId), ['2', '3']);
    const t0 = Date.now();
    const idle = await poll(id, vis.visitorToken);
    const ms = Date.now() - t0;
    assert.equal(idle.status, 200, h.describeRes(idle));
    assert.equal(idle.text, '', 'nothing to send: an empty answer');
    assert.ok(ms >= POLL_S * 1000 - 1100 && ms < POLL_S * 1000 + 3000, `held ${ms} ms (hub_poll_timeout ${POLL_S} s)`);
    h.assertOk(await hubReq('DELETE', id, vis.visitorToken), 202);
  });

  test('at the in-flight cap the next POST waits; every completion comes, in order', async () => {
    const capped = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_HUB_MAX_IN_FLIGHT: '1' } });
    try {
      const f2 = await hub.makeOrgFixture(capped, 'trcap', { operators: 1 });
      const tok = f2.ops[0].token;
      const at = (method, id, opts = {}) => h.api(capped.base, method, `/chathub?id=${encodeURIComponent(id)}`, { token: tok, ...opts });
      const id = (await h.api(capped.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token: tok })).json.connectionToken;
      await at('GET', id);
      await at('POST', id, { rawBody: `{"protocol":"json","version":1}${RS}` });
      await at('GET', id);
      const batch = (from) => Array.from({ length: 40 }, (_, i) => msg({ type: 1, invocationId: String(from + i), target: 'Sync', arguments: [{ chats: {} }] })).join('');
      // the first POST is taken (the hub holds what it cannot run yet); the
      // second comes while the hub is still at its cap: it is answered once
      // the hub reads again
      h.assertOk(await at('POST', id, { rawBody: batch(1) }));
      const t1 = Date.now();
      h.assertOk(await at('POST', id, { rawBody: batch(41) }));
      const waited = Date.now() - t1;
      const ids = [];
      const t0 = Date.now();
      while (ids.length < 80 && Date.now() - t0 < 10000) {
        for (const x of records((await at('GET', id)).text)) if (x.type === 3) ids.push(Number(x.invocationId));
      }
      assert.deepEqual(ids, Array.from({ length: 80 }, (_, i) => 1 + i), 'every completion, in the order of the invocations');
      console.log(`# the second POST was answered after ${waited} ms`);
    } finally { await capped.stop(); }
  });

  test('DELETE ends the held poll with 204; later polls get 204, sends 404', async () => {
    const id = await lpConnect(vis.visitorToken);
    const held = poll(id, vis.visitorToken);
    await h.sleep(200);
    const del = await hubReq('DELETE', id, vis.visitorToken);
    assert.equal(del.status, 202, h.describeRes(del));
    assert.equal((await held).status, 204);
    assert.equal((await poll(id, vis.visitorToken)).status, 204);
    h.assertError(await send(id, vis.visitorToken, msg({ type: 6 })), 404, 3001);
  });

  test('a new poll ends the one held before it with 204', async () => {
    const id = await lpConnect(vis.visitorToken);
    const first = poll(id, vis.visitorToken);
    await h.sleep(200);
    const second = poll(id, vis.visitorToken);
    assert.equal((await first).status, 204);
    h.assertOk(await send(id, vis.visitorToken, msg({ type: 1, invocationId: '9', target: 'Sync', arguments: [{ chats: {} }] })));
    assert.equal(records((await second).text)[0].invocationId, '9');
    await hubReq('DELETE', id, vis.visitorToken);
  });

  test('tokens and ids: another principal 404, no token 401, unknown id 404, no id 400, a body over 256 KiB 413', async () => {
    const id = await lpConnect(vis.visitorToken);
    h.assertError(await send(id, other.visitorToken, msg({ type: 6 })), 404, 3001);
    h.assertError(await poll(id, other.visitorToken), 404, 3001);
    h.assertError(await hubReq('DELETE', id, other.visitorToken), 404, 3001);
    h.assertError(await send(id, fx.ops[0].token, msg({ type: 6 })), 404, 3001);
    h.assertError(await send(id, null, msg({ type: 6 })), 401, 2001);
    h.assertError(await poll(id, 'garbage'), 401, 2001);
    h.assertError(await poll('no-such-connection', vis.visitorToken), 404, 3001);
    h.assertError(await send('no-such-connection', vis.visitorToken, msg({ type: 6 })), 404, 3001);
    h.assertError(await poll(null, vis.visitorToken), 400, 1001);
    h.assertError(await send(id, vis.visitorToken, 'x'.repeat(256 * 1024 + 1)), 413, 1005);
    // the connection still works for its own principal
    h.assertOk(await send(id, vis.visitorToken, msg({ type: 1, invocationId: 'ok', target: 'Sync', arguments: [{ chats: {} }] })));
    assert.equal(records((await poll(id, vis.visitorToken)).text)[0].invocationId, 'ok');
    await hubReq('DELETE', id, vis.visitorToken);
  });

  test('a revoked operator: the held poll gets the close, the next poll 204', async () => {
    const [op] = await h.syncOperators(srv, fx.token, [{ organizationId: fx.orgId, name: 'Revoked over LP' }]);
    const token = await h.operatorToken(srv, fx.token, op.id);
    const id = await lpConnect(token);
    const held = poll(id, token);
    await h.sleep(200);
    await h.setStatus(srv, fx.token, op.id, 1); // Inactive
    const r = await held;
    assert.equal(r.status, 200, h.describeRes(r));
    // (its own presence may come first)
    assert.deepEqual(records(r.text).filter((x) => x.type === 7), [{ type: 7, error: 'token revoked', allowReconnect: false }]);
    assert.equal((await poll(id, token)).status, 204, 'nothing more is delivered');
    h.assertError(await h.api(srv.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token }), 401, 2003);
  });

  test('the keep-alive goes out through a held poll', { timeout: 40000 }, async () => {
    const slow = await h.startServer({ env: hub.HUB_ENV });
    try {
      const f2 = await hub.makeOrgFixture(slow, 'trping', { operators: 1 });
      const tok = f2.ops[0].token;
      const n = await h.api(slow.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token: tok });
      const id = n.json.connectionToken;
      const at = (p) => h.api(slow.base, p.method, `/chathub?id=${encodeURIComponent(id)}`, { token: tok, ...p });
      await at({ method: 'GET' });
      await at({ method: 'POST', rawBody: `{"protocol":"json","version":1}${RS}` });
      assert.deepEqual(records((await at({ method: 'GET' })).text)[0], {});
      const t0 = Date.now();
      let got = [];
      while (!got.some((x) => x.type === 6) && Date.now() - t0 < 20000) { // (its own presence may come first)
        got = records((await at({ method: 'GET', timeoutMs: 35000 })).text);
      }
      assert.deepEqual(got, [{ type: 6 }], `a ping within the 15 s keep-alive (${Date.now() - t0} ms)`);
      assert.ok(Date.now() - t0 < 17000, `${Date.now() - t0} ms`);
    } finally { await slow.stop(); }
  });

  test('Server-Sent Events: text/event-stream, data: records; MessagePack is refused at the handshake', async () => {
    for (const [protocol, expectOk] of [['json', true], ['messagepack', false]]) {
      const id = await negotiate(vis.visitorToken);
      const ac = new AbortController();
      const res = await fetch(`${srv.base}/chathub?id=${encodeURIComponent(id)}&access_token=${encodeURIComponent(vis.visitorToken)}`,
        { headers: { Accept: 'text/event-stream' }, signal: ac.signal });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/event-stream');
      const reader = res.body.getReader();
      let text = '';
      let ended = false;
      const pump = (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ done: true }));
          if (done) { ended = true; return; }
          text += Buffer.from(value).toString('utf8');
        }
      })();
      // a second stream, or a poll, on the same connection: 409
      h.assertError(await poll(id, vis.visitorToken, { headers: { Accept: 'text/event-stream' } }), 409, 3002);
      h.assertError(await poll(id, vis.visitorToken), 409, 3002);
      h.assertOk(await send(id, vis.visitorToken, `{"protocol":"${protocol}","version":1}${RS}`));
      await hub.pollUntil(() => text.includes('\n\n'), { ms: 5000, what: 'the handshake event' });
      const first = text.slice(0, text.indexOf('\n\n'));
      assert.ok(first.startsWith('data: '), JSON.stringify(text));
      const [answer] = records(first.slice(6));
      if (expectOk) {
        assert.deepEqual(answer, {});
        h.assertOk(await send(id, vis.visitorToken, msg({ type: 1, invocationId: 's1', target: 'Sync', arguments: [{ chats: {} }] })));
        await hub.pollUntil(() => text.includes('"s1"'), { ms: 5000, what: 'the completion event' });
        assert.match(text, /\n\ndata: \{"type":3,"invocationId":"s1",/);
        h.assertOk(await hubReq('DELETE', id, vis.visitorToken), 202);
      } else {
        assert.match(answer.error, /messagepack.*binary transport.*Server-Sent Events carry text only/i);
      }
      await hub.pollUntil(() => ended, { ms: 8000, what: `${protocol}: the stream ends` });
      ac.abort();
      await pump;
    }
  });

  test('negotiations count against hub_connections_per_principal; a WebSocket takes a negotiated id over, once', async () => {
    const tok = fx.ops[1].token;
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await negotiate(tok));
    h.assertError(await h.api(srv.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token: tok }), 429, 4001);
    const up = await hub.rawUpgrade(srv.port, '/chathub', { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(up.status, 429, 'a plain upgrade is over the cap too');
    // the id of another principal, and an unknown id: 404 before the upgrade
    const foreign = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(ids[0])}`,
      { headers: { Authorization: `Bearer ${fx.ops[0].token}` } });
    assert.equal(foreign.status, 404, foreign.head);
    const unknown = await hub.rawUpgrade(srv.port, '/chathub?id=nope', { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(unknown.status, 404, unknown.head);
    // a negotiated id: the upgrade uses that connection (no new slot needed)
    const ws = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(ids[0])}`,
      { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(ws.status, 101, ws.head);
    await ws.ws.handshake();
    assert.deepEqual(await ws.ws.nextMessage(() => true), {});
    // the id is the WebSocket's now: not pollable; another upgrade naming it is a connection of its own
    // (any process of a cluster accepts an id its principal negotiated), here over the cap
    const again = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(ids[0])}`,
      { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(again.status, 429, again.head);
    h.assertError(await poll(ids[0], tok), 404, 3001);
    // a Long Polling connection's id: 409 for a WebSocket
    assert.equal((await poll(ids[1], tok)).status, 200);
    const taken = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(ids[1])}`,
      { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(taken.status, 409, taken.head);
    // DELETE frees a slot at once
    h.assertOk(await hubReq('DELETE', ids[2], tok), 202);
    await negotiate(tok);
    ws.ws.destroy();
    for (const id of [ids[1], ids[3]]) await hubReq('DELETE', id, tok);
  });

  test('a negotiated id is good on any process sharing the key: after a restart it still opens a WebSocket; '
    + 'made up or another principal\'s, 404', async () => {
    const tok = fx.ops[0].token;
    const id = await negotiate(tok);
    assert.match(id, /^[0-9a-f]{32}\.[0-9a-f]{24}$/, 'random part and its MAC');
    await srv.stop();
    await srv.start(); // the session is gone with the process, as on another process of a cluster
    const ws = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(id)}`,
      { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(ws.status, 101, ws.head);
    await ws.ws.handshake();
    assert.deepEqual(await ws.ws.nextMessage(() => true), {});
    ws.ws.destroy();
    const other = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(id)}`,
      { headers: { Authorization: `Bearer ${fx.ops[1].token}` } });
    assert.equal(other.status, 404, `another principal's id: ${other.head}`);
    const forged = id.slice(0, 33) + (id[33] === '0' ? '1' : '0') + id.slice(34);
    const made = await hub.rawUpgrade(srv.port, `/chathub?id=${encodeURIComponent(forged)}`,
      { headers: { Authorization: `Bearer ${tok}` } });
    assert.equal(made.status, 404, `a made-up MAC: ${made.head}`);
  });

  test('a negotiated connection nobody uses is closed at the handshake deadline', { timeout: 30000 }, async () => {
    const quick = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_HUB_HANDSHAKE_TIMEOUT: '1',
      CHATHUB_HUB_CONNECTIONS_PER_PRINCIPAL: '2' } });
    try {
      const f2 = await hub.makeOrgFixture(quick, 'trdeadline', { operators: 1 });
      const tok = f2.ops[0].token;
      const neg = () => h.api(quick.base, 'POST', '/chathub/negotiate?negotiateVersion=1', { token: tok });
      h.assertOk(await neg());
      h.assertOk(await neg());
      h.assertError(await neg(), 429, 4001);
      await h.sleep(3000); // the deadline (1 s) and the next tick
      h.assertOk(await neg());
    } finally { await quick.stop(); }
  });
});
