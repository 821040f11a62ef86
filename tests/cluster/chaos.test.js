'use strict';
// No loss, no duplicates, same order on a cluster under chaos: three
// processes behind haproxy on one PostgreSQL and Redis. 20 visitors and 3
// operators (plus a listening company connection) exchange over 2,000
// messages while connections drop at random and reconnect through haproxy to
// any process (and sometimes straight to one node); two processes are
// kill -9'ed and restarted at different moments, Redis is restarted once and
// PostgreSQL once. Every client sends with a clientMessageId and resends the
// unacknowledged message with the same id after reconnecting and Sync, as
// the widget does. At the end every client's transcript of every chat it may
// see equals the database's (psql) and the REST history's: seq 1..N without
// gaps or duplicates, and every acknowledged message is there.
//
// Routing: a chat may be assigned by the process that creates it or stay
// New; an operator takes New chats it hears of (TakeChat), so the test holds
// whether routing is per process or cluster-wide.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const { startCluster, NODES } = require('./lib/cluster');
const { rand, withTimeout, newCtx, Agent, startMonkey, awaitInflight, checkAcked, checkConverged } = require('../e2e/lib/chaos');

const N_VISITORS = 20;
const N_OPERATORS = 3;
const VISITOR_QUOTA = 70;   // 1,400
const OPERATOR_QUOTA = 240; // 720 → 2,120 messages
// what happens once this many messages are acknowledged
const CHAOS_AT = [[350, 'kill', 2], [750, 'redis'], [1150, 'kill', 3], [1550, 'pg']];
const SEND_WINDOW_MS = 40000;
const HARD_LIMIT_MS = 150000;

// An Agent that connects through haproxy or straight to a node, and as an
// operator takes New chats it hears of.
class ClusterAgent extends Agent {
  // Mostly through haproxy; every fifth connect straight to a live node.
  pickBase() {
    if (this.connects % 5 !== 4) return this.ctx.cl.base;
    const live = NODES.filter((n) => this.ctx.cl.nodeAlive(n));
    if (!live.length) return this.ctx.cl.base;
    this.direct++;
    return this.ctx.cl.nodeBase(live[rand(live.length)]);
  }

  // An operator takes a New chat it heard of (the routing may have left it
  // unassigned: no operator was connected to the process that created it).
  // One left with no chat at all (offline past the grace period while its
  // process was down, its chats went to colleagues at full capacity, and
  // routing never moves an assigned chat) transfers a colleague's open chat
  // to itself, as a support team shares the load; else it could never send
  // its quota.
  async takeOne() {
    let waiting = [...this.chats].filter(([, c]) => c.operatorId === null && c.status === 0).map(([id]) => id);
    let call = (id) => this.client.invoke('TakeChat', id);
    if (!waiting.length && !this.mine().length) {
      waiting = [...this.chats].filter(([, c]) => c.status >= 0 && c.status !== 4).map(([id]) => id);
      call = (id) => this.client.invoke('TransferChat', id, this.operatorId);
    }
    if (!waiting.length) return;
    const id = waiting[rand(waiting.length)];
    try {
      const c = await withTimeout(call(id), 8000, `${this.label} TakeChat`);
      this.noteChat(c);
      this.ctx.taken++;
    } catch (e) {
      this.note(e);
      // someone else took it, or a refusal: learn the chat's state again
      this.chats.set(id, { ...this.chats.get(id), status: -1 });
    }
  }

  async pickChat() {
    if (this.kind !== 'visitor' && (!this.mine().length || (this.mine().length < 7 && Math.random() < 0.3)))
      await this.takeOne();
    return super.pickChat();
  }
}

describe('cluster chaos', () => {
  let cl;
  let fx;
  const ctx = newCtx({ cl: null, sendWindowMs: SEND_WINDOW_MS });
  const agents = [];

  before(async () => {
    cl = await startCluster({ env: { ...hub.HUB_ENV, CHATHUB_LOG_LEVEL: 'error' } });
    ctx.cl = cl;
    fx = await hub.makeOrgFixture(cl, 'chaosco', { operators: N_OPERATORS, maxChats: 10 });
    for (let i = 0; i < N_OPERATORS; i++) {
      agents.push(new ClusterAgent(ctx, { kind: 'operator', label: `op${i + 1}`, token: fx.ops[i].token, operatorId: fx.ops[i].id, quota: OPERATOR_QUOTA }));
    }
    for (let i = 0; i < N_VISITORS; i++) {
      const s = await hub.widgetSession(cl, fx.guid, { name: `Chaos visitor ${i + 1}` });
      agents.push(new ClusterAgent(ctx, { kind: 'visitor', label: `v${i + 1}`, token: s.visitorToken, clientId: s.clientId, quota: VISITOR_QUOTA }));
    }
    agents.push(new ClusterAgent(ctx, { kind: 'company', label: 'company', token: fx.token, quota: 0 }));
  });
  after(async () => {
    ctx.aborted = true;
    for (const a of agents) if (a.client) await a.client.stop();
    await hub.closeAllClients();
    if (cl) await cl.stop();
  });

  test('drops, two kill -9 restarts, a Redis and a PostgreSQL restart: every transcript equals the database\'s', { timeout: 240000 }, async () => {
    const t0 = Date.now();
    let stopChaos = false;
    const done = [];
    const failures = [];
    const total = N_OPERATORS * OPERATOR_QUOTA + N_VISITORS * VISITOR_QUOTA;
    assert.ok(total >= 2000);

    const runs = agents.map((a) => a.run());

    const monkey = startMonkey(ctx, agents);

    const chaos = (async () => {
      for (const [at, what, n] of CHAOS_AT) {
        while (ctx.acked < at && !stopChaos) await h.sleep(20);
        if (stopChaos) return;
        const t = Date.now();
        try {
        if (what === 'kill') {
          await awaitInflight(agents); // while sends are in flight
          await cl.kill(n);
          await h.sleep(300 + rand(700));
          await cl.restart(n);
          done.push(`kill -9 node${n} at ${ctx.acked} (back in ${Date.now() - t} ms)`);
        } else {
          await cl.restartService(what);
          done.push(`${what} restart at ${ctx.acked} (${Date.now() - t} ms)`);
        }
        } catch (e) {
          failures.push(`${what} ${n || ''}: ${e.message.slice(0, 2000)}`);
        }
      }
    })();

    const progress = () => agents.filter((a) => a.kind !== 'company')
      .map((a) => `${a.label}: ${a.sent}/${a.quota}${a.pending ? ' (pending)' : ''} connects ${a.connects} chats ${a.mine ? a.mine().length : ''} last errors ${JSON.stringify(a.errors.slice(-3))}`).join('\n');
    while (!agents.every((a) => a.doneSending())) {
      if (Date.now() - t0 > HARD_LIMIT_MS) {
        stopChaos = true;
        ctx.aborted = true;
        assert.fail(`not every message acknowledged within ${HARD_LIMIT_MS} ms (acked ${ctx.acked}/${total}, chaos: ${done.join('; ')}; ${failures.join('; ')}):\n${progress()}`);
      }
      await h.sleep(100);
    }
    stopChaos = true;
    const drops = await monkey.stop();
    await chaos;
    assert.deepEqual(failures, [], 'every chaos step worked');
    assert.equal(done.length, CHAOS_AT.length, `every chaos step ran: ${done.join('; ')}`);
    assert.equal(ctx.acked, total);

    // the database's transcripts (psql), and the REST history agrees with them
    const rows = await cl.sql('SELECT chat_id, seq, id, client_message_id, text FROM messages ORDER BY chat_id, seq');
    const server = new Map(); // chatId → messages
    for (const r of rows) {
      if (!server.has(r.chat_id)) server.set(r.chat_id, []);
      server.get(r.chat_id).push({ chatId: r.chat_id, seq: r.seq, id: r.id, clientMessageId: r.client_message_id, textMessage: r.text });
    }
    const list = await hub.listChats(cl, fx.token, 'per_page=100');
    assert.equal(list.total, N_VISITORS, 'one chat per visitor');
    assert.deepEqual([...server.keys()].sort((a, b) => a - b), list.items.map((c) => c.id).sort((a, b) => a - b));
    for (const c of list.items) {
      const msgs = server.get(c.id);
      hub.assertContiguous(msgs, 1, `database transcript of chat ${c.id}`);
      assert.equal(c.lastSeq, msgs.length, `chat ${c.id} lastSeq`);
      const rest = await hub.allMessages(cl, fx.token, c.id);
      assert.deepEqual(rest.map((m) => [m.seq, m.id]), msgs.map((m) => [m.seq, m.id]), `REST history of chat ${c.id} is the database's`);
    }
    const clientOf = new Map(list.items.map((c) => [c.id, c.client.id]));

    checkAcked(agents, server, 'in the database');
    await checkConverged({ ctx, agents, runs, stored: server, clientOf, name: 'database',
      late: new ClusterAgent(ctx, { kind: 'company', label: 'late company', token: fx.token, quota: 0 }) });
    const connects = agents.reduce((s, a) => s + a.connects, 0);
    const direct = agents.reduce((s, a) => s + a.direct, 0);
    console.log(`# cluster chaos: ${ctx.acked} messages, ${drops} drops, ${connects} connects (${direct} straight to a node), `
      + `${ctx.retries} failed sends (${ctx.busy} busy), ${ctx.resends} resends (${ctx.deduped} already stored), ${ctx.taken} chats taken, `
      + `${ctx.syncs} syncs (${ctx.truncated} truncated, ${ctx.pages} GetMessages pages); ${done.join('; ')}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(drops >= 20, `enough random drops (${drops})`);
  });
});
