'use strict';
// Hub connections in every state (docs/hub.md "Limits"): the handshake
// deadline that trickled bytes do not extend, revocation of an operator whose
// connection is still handshaking, and the cap on connections per principal
// (429 before the upgrade, the slot freed by a close).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const HANDSHAKE = `{"protocol":"json","version":1}${hub.RS}`;

describe('hub connections', () => {
  let srv;
  let fx;

  before(async () => {
    srv = await h.startServer({
      env: { ...hub.HUB_ENV, CHATHUB_HUB_HANDSHAKE_TIMEOUT: '2', CHATHUB_HUB_CONNECTIONS_PER_PRINCIPAL: '5' },
    });
    fx = await hub.makeOrgFixture(srv, 'connco', { operators: 2 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const upgrade = (token, opts = {}) => hub.rawUpgrade(srv.port, '/chathub', { ...opts, headers: { Authorization: `Bearer ${token}` } });

  test('a handshake trickled a byte every 500 ms is cut at the deadline', async () => {
    const r = await upgrade(fx.ops[0].token);
    assert.equal(r.status, 101, r.head);
    const ws = r.ws;
    const t0 = Date.now();
    let i = 0;
    const trickle = setInterval(() => { if (i < HANDSHAKE.length - 1) ws.sendText(HANDSHAKE[i++]).catch(() => {}); }, 500);
    try {
      const answer = await ws.nextMessage(() => true, 6000);
      assert.deepEqual(answer, { error: 'handshake timed out' });
      assert.ok(await ws.waitEnd(6000), 'closed after the answer');
    } finally {
      clearInterval(trickle);
    }
    const took = Date.now() - t0;
    assert.ok(took >= 1900 && took < 5000, `closed after ${took} ms (deadline 2 s, checked every second)`);
    assert.ok(!ws.messages.some((m) => m && typeof m === 'object' && Object.keys(m).length === 0), 'never a {} answer');
  });

  test('a handshake finished in time keeps its connection past the deadline', async () => {
    const r = await upgrade(fx.ops[0].token);
    await h.sleep(1000);
    await r.ws.handshake();
    assert.deepEqual(await r.ws.nextMessage(() => true), {});
    await h.sleep(2500);
    const done = await r.ws.invoke(1, 'Sync', [{ chats: {} }]);
    assert.ok(Array.isArray(done.result.chats), JSON.stringify(done));
    assert.equal(r.ws.ended, false);
    r.ws.destroy();
  });

  test('an operator set Inactive while its connection is mid-handshake: closed, never {}', async () => {
    const [op] = await h.syncOperators(srv, fx.token, [{ organizationId: fx.orgId, name: 'Revoked mid-handshake' }]);
    const token = await h.operatorToken(srv, fx.token, op.id);
    const r = await upgrade(token);
    assert.equal(r.status, 101, r.head);
    const ws = r.ws;
    await h.sleep(300); // the connection check has passed: it is waiting for the rest of the handshake
    await ws.sendText('{"protocol":');
    await h.sleep(100);
    await h.setStatus(srv, fx.token, op.id, 1);
    const answer = await ws.nextMessage(() => true, 1500); // well before the 2 s deadline
    assert.deepEqual(answer, { error: 'token revoked' });
    await ws.sendText(`"json","version":1}${hub.RS}`); // finishing it changes nothing
    assert.ok(await ws.waitEnd(5000), 'closed');
    assert.ok(!ws.messages.some((m) => m && typeof m === 'object' && Object.keys(m).length === 0), `never {}: ${JSON.stringify(ws.messages)}`);
    // and a new connection with that token is refused at the handshake as before
    const again = await upgrade(token);
    if (again.status === 101) {
      await again.ws.handshake();
      assert.deepEqual(await again.ws.nextMessage(() => true), { error: 'token revoked' });
      again.ws.destroy();
    }
  });

  test('a 6th connection of one principal gets 429; closing one frees its slot', async () => {
    const s = await hub.widgetSession(srv, fx.guid, { name: 'Many tabs' });
    const open = [];
    for (let i = 0; i < 5; i++) {
      // three finish the handshake, two do not: every state counts
      const r = await upgrade(s.visitorToken);
      assert.equal(r.status, 101, `connection ${i + 1}: ${r.head}`);
      if (i < 3) {
        await r.ws.handshake();
        assert.deepEqual(await r.ws.nextMessage(() => true), {});
      }
      open.push(r.ws);
    }
    const sixth = await upgrade(s.visitorToken);
    assert.equal(sixth.status, 429, `${sixth.head}\n${sixth.body}`);
    const body = JSON.parse(sixth.body);
    assert.equal(body.code, 4001, sixth.body);
    assert.equal(body.message, 'too many hub connections for this token');
    // another principal is not affected
    const other = await hub.rawHub(srv.port, (await hub.widgetSession(srv, fx.guid, {})).visitorToken);
    other.destroy();
    // close one (a clean WebSocket close) and connect again
    await open[0].send(hub.OP.CLOSE, Buffer.from([0x03, 0xe8]));
    open[0].destroy();
    const r = await hub.pollUntil(async () => {
      const x = await upgrade(s.visitorToken);
      if (x.status === 101) return x;
      assert.equal(x.status, 429, x.head);
      return null;
    }, { ms: 5000, every: 100, what: 'a free slot after a close' });
    await r.ws.handshake();
    assert.deepEqual(await r.ws.nextMessage(() => true), {});
    r.ws.destroy();
    for (const ws of open) ws.destroy();
  });
});
