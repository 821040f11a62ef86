'use strict';
// The hub under hostile invocation traffic (docs/hub.md "Limits"): the
// per-connection and per-principal invocation budgets (refusal, then the
// close), the cap on invocations in flight (the input waits, nothing is lost,
// completions keep the order of the invocations), full work queues, and the
// status rule for visitors.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const BURST = 60; // hub_invocation_burst default
const RATE_LIMITED = /^rate limit: too many invocations, slow down$/;

// n invocations as one text frame's payload.
function records(n, make) {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ type: 1, invocationId: String(i), ...make(i) }) + hub.RS).join('');
}

// Completions (type 3) received so far, removed from ws.messages.
function takeCompletions(ws) {
  const out = ws.messages.filter((m) => m.type === 3);
  ws.messages = ws.messages.filter((m) => m.type !== 3);
  return out;
}

async function waitCompletions(ws, n, ms = 20000) {
  const got = [];
  const deadline = Date.now() + ms;
  while (got.length < n) {
    got.push(...takeCompletions(ws));
    if (got.length >= n) break;
    if (ws.ended || Date.now() > deadline) {
      assert.fail(`${got.length}/${n} completions (ended=${ws.ended}, close=${JSON.stringify(ws.closeFrame)}, `
        + `last=${JSON.stringify(got.slice(-3))}, other=${JSON.stringify(ws.messages.slice(-3))})`);
    }
    await h.sleep(20);
  }
  return got;
}

describe('hub budgets, default limits', () => {
  let srv;

  before(async () => { srv = await h.startServer({ env: hub.HUB_ENV }); });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('a visitor sending 500 SendMessage in one frame: refused past its budget, then closed; the operator misses nothing', async () => {
    const fx = await hub.makeOrgFixture(srv, 'floodco', { operators: 1, maxChats: 10 });
    const op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
    const s = await hub.widgetSession(srv, fx.guid, { name: 'Flood' });
    const ws = await hub.rawHub(srv.port, s.visitorToken);
    await ws.sendText(records(500, (i) => ({ target: 'SendMessage', arguments: [null, `flood ${i}`] })));

    const close = await ws.nextMessage((m) => m.type === 7, 20000);
    assert.deepEqual(close, { type: 7, error: 'too many invocations', allowReconnect: false });
    assert.ok(await ws.waitEnd(10000), 'the connection is closed after its close message');
    const done = takeCompletions(ws);
    // completions in the order of the invocations, none missing before the close
    assert.deepEqual(done.map((m) => Number(m.invocationId)), done.map((_, i) => i), 'completions in invocation order');
    const ok = done.filter((m) => !('error' in m));
    const refused = done.filter((m) => 'error' in m);
    for (const m of refused) assert.match(m.error, RATE_LIMITED, JSON.stringify(m));
    // the close comes after BURST refusals in a row (an accepted call, once the budget refilled, starts the
    // count again: how many there are in all depends on how fast the store answers)
    let inARow = 0;
    while (inARow < done.length && 'error' in done[done.length - 1 - inARow]) inARow++;
    assert.ok(refused.length >= 1 && inARow >= 1 && inARow <= BURST, `refusals in a row before the close: ${inARow}`);
    assert.ok(done.slice(0, BURST - 10).every((m) => !('error' in m)), 'the burst is accepted');
    assert.ok(ok.length >= BURST - 10, `accepted: ${ok.length}`);

    // what was stored is about the burst, and the operator got every one of it, in order
    const chatId = ok[0].result.chatId;
    await h.sleep(300); // the writes in flight at the close commit anyway
    const stored = await hub.allMessages(srv, fx.token, chatId);
    assert.ok(stored.length >= ok.length && stored.length <= BURST + 20, `stored ${stored.length} (accepted ${ok.length})`);
    hub.assertContiguous(stored, 1, 'stored');
    const got = await op.waitCount('ReceiveMessage', stored.length, (m) => m.chatId === chatId, { ms: 15000 });
    assert.deepEqual(got.map(([m]) => m.seq), stored.map((m) => m.seq), 'the operator received every stored message, in seq order');
    assert.equal(op.state, hub.signalR.HubConnectionState.Connected, 'the operator is still connected');
    assert.ok(Array.isArray((await op.invoke('Sync', { chats: {} })).chats));
    await op.stop();
  });

  test('the principal budget spans its connections', async () => {
    const fx = await hub.makeOrgFixture(srv, 'spanco', { operators: 0 });
    const s = await hub.widgetSession(srv, fx.guid, { name: 'Three tabs' });
    const tabs = [];
    for (let i = 0; i < 3; i++) tabs.push(await hub.rawHub(srv.port, s.visitorToken));
    // 55 each (under the per-connection burst), 165 in all (over the principal's 120)
    await Promise.all(tabs.map((ws) => ws.sendText(records(55, () => ({ target: 'NoSuchMethod', arguments: [] })))));
    const all = [];
    for (const ws of tabs) all.push(...await waitCompletions(ws, 55));
    const answered = all.filter((m) => /^Unknown hub method/.test(m.error));
    const refused = all.filter((m) => RATE_LIMITED.test(m.error));
    assert.equal(answered.length + refused.length, 165, JSON.stringify(all.slice(0, 3)));
    assert.ok(answered.length >= 120 && answered.length <= 135, `answered ${answered.length}`);
    for (const ws of tabs) {
      assert.equal(ws.ended, false, 'refusals below the burst do not close a connection');
      ws.destroy();
    }
  });

  test('a visitor cannot change its chat\'s status; an operator still takes it from the queue', async () => {
    const fx = await hub.makeOrgFixture(srv, 'statusco', { operators: 1 });
    const op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
    await op.invoke('SetPresence', 'away'); // the chat stays in the queue
    const v = await hub.visitorChat(srv, fx.guid, 'I need help');
    await op.waitFor('ChatCreated', (c) => c.id === v.chatId);
    for (const st of [1, 3, 4, 0]) {
      assert.equal(await v.invokeError('SetChatStatus', v.chatId, st), "visitors cannot change a chat's status");
    }
    hub.assertChat(await hub.getChat(srv, fx.token, v.chatId), { chatStatus: 0, operator: null });
    assert.ok(!op.find('ChatStatusChanged', (id) => id === v.chatId), 'no status event');
    const taken = await op.invoke('TakeChat', v.chatId);
    hub.assertChat(taken, { operatorId: fx.ops[0].id });
    await v.stop();
    await op.stop();
  });
});

describe('hub budgets lifted: the in-flight cap and full queues', () => {
  let srv;
  let fx;
  const LIFTED = {
    CHATHUB_HUB_INVOCATIONS_PER_SECOND: '100000', CHATHUB_HUB_INVOCATION_BURST: '100000',
    CHATHUB_HUB_PRINCIPAL_INVOCATIONS_PER_SECOND: '100000', CHATHUB_HUB_PRINCIPAL_INVOCATION_BURST: '100000',
  };

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, ...LIFTED } });
    fx = await hub.makeOrgFixture(srv, 'inflightco', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('200 Sync in one frame: all 200 completions, in order', async () => {
    const ws = await hub.rawHub(srv.port, fx.ops[0].token);
    await ws.sendText(records(200, () => ({ target: 'Sync', arguments: [{ chats: {} }] })));
    const done = await waitCompletions(ws, 200);
    assert.deepEqual(done.map((m) => Number(m.invocationId)), Array.from({ length: 200 }, (_, i) => i));
    for (const m of done) assert.ok(m.result && Array.isArray(m.result.chats), JSON.stringify(m).slice(0, 300));
    // and the connection reads again afterwards
    const again = await ws.invoke('after', 'Sync', [{ chats: {} }]);
    assert.ok(Array.isArray(again.result.chats));
    ws.destroy();
  });

  test('400 Sync in 80 frames sent at once: what the server had not read yet is read once under the cap', async () => {
    const ws = await hub.rawHub(srv.port, fx.ops[0].token);
    const frames = [];
    for (let f = 0; f < 80; f++) {
      frames.push(hub.wsFrame(hub.OP.TEXT, Array.from({ length: 5 }, (_, k) => JSON.stringify({
        type: 1, invocationId: String(f * 5 + k), target: 'Sync', arguments: [{ chats: {} }],
      }) + hub.RS).join('')));
    }
    await ws.write(Buffer.concat(frames)); // one write: the frames arrive together
    const done = await waitCompletions(ws, 400);
    assert.deepEqual(done.map((m) => Number(m.invocationId)), Array.from({ length: 400 }, (_, i) => i));
    for (const m of done) assert.ok(m.result && Array.isArray(m.result.chats), JSON.stringify(m).slice(0, 300));
    ws.destroy();
  });

  test('150 SendMessage in one frame: stored in the order sent, completions in that order', async () => {
    const s = await hub.widgetSession(srv, fx.guid, { name: 'Fast typist' });
    const ws = await hub.rawHub(srv.port, s.visitorToken);
    await ws.sendText(records(150, (i) => ({ target: 'SendMessage', arguments: [null, `m${i}`, crypto.randomUUID()] })));
    const done = await waitCompletions(ws, 150);
    assert.deepEqual(done.map((m) => Number(m.invocationId)), Array.from({ length: 150 }, (_, i) => i));
    assert.deepEqual(done.map((m) => m.result && m.result.seq), Array.from({ length: 150 }, (_, i) => i + 1));
    assert.deepEqual(done.map((m) => m.result.textMessage), Array.from({ length: 150 }, (_, i) => `m${i}`));
    ws.destroy();
  });
});

describe('hub reads on a full work queue', () => {
  let srv;
  let fx;

  before(async () => {
    srv = await h.startServer({
      env: {
        ...hub.HUB_ENV, CHATHUB_HUB_WORKERS: '1', CHATHUB_WORK_QUEUE_MAX: '16',
        CHATHUB_HUB_INVOCATION_BURST: '100000', CHATHUB_HUB_PRINCIPAL_INVOCATION_BURST: '100000',
      },
    });
    fx = await hub.makeOrgFixture(srv, 'busyco', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('a read that finds the queue full answers "server busy, retry later"; the others run', async () => {
    const ws = await hub.rawHub(srv.port, fx.ops[0].token);
    await ws.sendText(records(200, () => ({ target: 'Sync', arguments: [{ chats: {} }] })));
    const done = await waitCompletions(ws, 200);
    assert.deepEqual(done.map((m) => Number(m.invocationId)), Array.from({ length: 200 }, (_, i) => i));
    const busy = done.filter((m) => m.error === 'server busy, retry later');
    const ok = done.filter((m) => m.result && Array.isArray(m.result.chats));
    assert.equal(busy.length + ok.length, 200, JSON.stringify(done.find((m) => !m.result && m.error !== 'server busy, retry later')));
    assert.ok(busy.length >= 1, 'some reads were refused');
    assert.ok(ok.length >= 16, `reads that ran: ${ok.length}`);
    // nothing is left behind: the connection works once the queue drained
    const again = await ws.invoke('after', 'Sync', [{ chats: {} }]);
    assert.ok(Array.isArray(again.result.chats));
    ws.destroy();
  });
});
