'use strict';
// Acceptance 2: no loss, no duplicates, same order under chaos. 20 visitors
// and 3 operators (plus a listening company connection) exchange over 2,000
// messages while connections are dropped at random and the server is
// kill -9'ed and restarted twice (same port, same data directory). Every
// client sends with a clientMessageId and retries until acknowledged, applies
// live events, and calls Sync after each (re)connect. At the end every
// client's transcript of every chat it may see equals the server's, seq
// 1..N without gaps or duplicates, and every acknowledged message is there.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');
const { rand, newCtx, Agent, startMonkey, awaitInflight, checkAcked, checkConverged } = require('./lib/chaos');

const N_VISITORS = 20;
const N_OPERATORS = 3;
const VISITOR_QUOTA = 70;   // 1,400
const OPERATOR_QUOTA = 240; // 720 → 2,120 messages
const KILL_AT = [600, 1300];  // kill -9 once this many messages are acknowledged
const SEND_WINDOW_MS = 30000; // spread each client's sends over about this long
const HARD_LIMIT_MS = 90000;

describe('chaos', () => {
  let srv;
  let fx;
  const ctx = newCtx({ srv: null, base: () => ctx.srv.base, sendWindowMs: SEND_WINDOW_MS });
  const agents = [];

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_LOG_LEVEL: 'error' } });
    ctx.srv = srv;
    fx = await hub.makeOrgFixture(srv, 'chaosco', { operators: N_OPERATORS, maxChats: 10 });
    for (let i = 0; i < N_OPERATORS; i++) {
      agents.push(new Agent(ctx, { kind: 'operator', label: `op${i + 1}`, token: fx.ops[i].token, operatorId: fx.ops[i].id, quota: OPERATOR_QUOTA }));
    }
    for (let i = 0; i < N_VISITORS; i++) {
      const s = await hub.widgetSession(srv, fx.guid, { name: `Chaos visitor ${i + 1}` });
      agents.push(new Agent(ctx, { kind: 'visitor', label: `v${i + 1}`, token: s.visitorToken, clientId: s.clientId, quota: VISITOR_QUOTA }));
    }
    agents.push(new Agent(ctx, { kind: 'company', label: 'company', token: fx.token, quota: 0 }));
  });
  after(async () => {
    ctx.aborted = true;
    for (const a of agents) if (a.client) await a.client.stop();
    await hub.closeAllClients();
    if (srv && srv.running()) await srv.stop();
  });

  test('random disconnects and two kill -9 restarts: every transcript equals the server\'s', { timeout: 150000 }, async () => {
    const t0 = Date.now();
    let stopChaos = false;
    let kills = 0;
    const inflightAtKill = [];
    const total = N_OPERATORS * OPERATOR_QUOTA + N_VISITORS * VISITOR_QUOTA;
    assert.ok(total >= 2000);

    const runs = agents.map((a) => a.run());

    const monkey = startMonkey(ctx, agents);

    const killer = (async () => {
      for (const at of KILL_AT) {
        while (ctx.acked < at && !stopChaos) await h.sleep(20);
        if (stopChaos) return;
        inflightAtKill.push(await awaitInflight(agents)); // kill while sends are in flight
        await srv.kill9();
        kills++;
        await h.sleep(100 + rand(400));
        await srv.restart(); // same port, same data directory
      }
    })();

    const overdue = () => Date.now() - t0 > HARD_LIMIT_MS;
    const progress = () => agents.filter((a) => a.kind !== 'company')
      .map((a) => `${a.label}: ${a.sent}/${a.quota}${a.pending ? ' (pending)' : ''} connects ${a.connects} last errors ${JSON.stringify(a.errors.slice(-3))}`).join('\n');
    while (!agents.every((a) => a.doneSending())) {
      if (overdue()) {
        stopChaos = true;
        ctx.aborted = true;
        assert.fail(`not every message acknowledged within ${HARD_LIMIT_MS} ms (acked ${ctx.acked}/${total}, kills ${kills}):\n${progress()}`);
      }
      await h.sleep(100);
    }
    stopChaos = true;
    const drops = await monkey.stop();
    await killer;
    assert.equal(kills, 2, 'the server was killed twice');
    assert.ok(srv.running());
    assert.equal(ctx.acked, total);

    // the server's transcripts (company token, REST)
    const list = await hub.listChats(srv, fx.token, 'per_page=100');
    assert.equal(list.total, N_VISITORS, 'one chat per visitor');
    const server = new Map(); // chatId → messages
    for (const c of list.items) {
      const msgs = await hub.allMessages(srv, fx.token, c.id);
      hub.assertContiguous(msgs, 1, `server transcript of chat ${c.id}`);
      assert.equal(c.lastSeq, msgs.length, `chat ${c.id} lastSeq`);
      server.set(c.id, msgs);
    }
    const clientOf = new Map(list.items.map((c) => [c.id, c.client.id]));

    checkAcked(agents, server, 'on the server');
    await checkConverged({ ctx, agents, runs, stored: server, clientOf, name: 'server',
      late: new Agent(ctx, { kind: 'company', label: 'late company', token: fx.token, quota: 0 }) });
    const connects = agents.reduce((s, a) => s + a.connects, 0);
    console.log(`# chaos: ${ctx.acked} messages, ${drops} drops, ${kills} kills, ${connects} connects, ${ctx.retries} failed sends, ${ctx.resends} resends (${ctx.deduped} already stored), `
      + `sends in flight at the kills: ${inflightAtKill.join(', ')}, `
      + `${ctx.syncs} syncs (${ctx.truncated} truncated, ${ctx.pages} GetMessages pages), ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(drops >= 20, `enough random drops (${drops})`);
  });
});
