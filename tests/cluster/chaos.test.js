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
const crypto = require('node:crypto');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const { startCluster, NODES } = require('./lib/cluster');

const N_VISITORS = 20;
const N_OPERATORS = 3;
const VISITOR_QUOTA = 70;   // 1,400
const OPERATOR_QUOTA = 240; // 720 → 2,120 messages
// what happens once this many messages are acknowledged
const CHAOS_AT = [[350, 'kill', 2], [750, 'redis'], [1150, 'kill', 3], [1550, 'pg']];
const SEND_WINDOW_MS = 40000;
const HARD_LIMIT_MS = 150000;

const rand = (n) => Math.floor(Math.random() * n);

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms); }),
  ]);
}

class Agent {
  constructor(ctx, { kind, label, token, operatorId = null, clientId = null, quota }) {
    Object.assign(this, { ctx, kind, label, token, operatorId, clientId, quota });
    this.chats = new Map();    // chatId → {operatorId, clientId, status}
    this.tx = new Map();       // chatId → Map(seq → message id)
    this.acked = [];           // {chatId, id, seq, cmid, text}
    this.pending = null;       // {cmid, text, chatId}
    this.sent = 0;
    this.client = null;
    this.connects = 0;
    this.direct = 0;
    this.errors = [];
    this.conflicts = [];
    this.finished = false;
    this.inflight = false;
    this.ownChat = null;       // visitors
    this.gap = kind === 'company' ? 0 : (2 * SEND_WINDOW_MS) / quota;
  }

  connected() { return this.client && this.client.state === hub.signalR.HubConnectionState.Connected; }
  doneSending() { return this.sent >= this.quota && !this.pending; }

  note(e) { if (this.errors.length < 200) this.errors.push(String(e && e.message ? e.message : e).slice(0, 200)); }

  noteChat(c) {
    this.chats.set(c.id, { operatorId: c.operator ? c.operator.id : null, clientId: c.client ? c.client.id : null, status: c.chatStatus });
    if (!this.tx.has(c.id)) this.tx.set(c.id, new Map());
  }

  apply(m) {
    if (!this.tx.has(m.chatId)) this.tx.set(m.chatId, new Map());
    const t = this.tx.get(m.chatId);
    const had = t.get(m.seq);
    if (had !== undefined && had !== m.id) this.conflicts.push(`chat ${m.chatId} seq ${m.seq}: ids ${had} and ${m.id}`);
    t.set(m.seq, m.id);
  }

  contiguous(chatId) {
    const t = this.tx.get(chatId);
    let n = 0;
    while (t && t.has(n + 1)) n++;
    return n;
  }

  onEvent(name, args) {
    if (name === 'ReceiveMessage' || name === 'ReceiveMediaMessage') this.apply(args[0]);
    else if (name === 'ChatCreated' || name === 'ChatAssigned') this.noteChat(args[0]);
  }

  // Mostly through haproxy; every fifth connect straight to a live node.
  pickBase() {
    if (this.connects % 5 !== 4) return this.ctx.cl.base;
    const live = NODES.filter((n) => this.ctx.cl.nodeAlive(n));
    if (!live.length) return this.ctx.cl.base;
    this.direct++;
    return this.ctx.cl.nodeBase(live[rand(live.length)]);
  }

  async connect() {
    if (this.client) await this.client.stop();
    const c = new hub.HubClient(this.pickBase(), this.token, { label: this.label, record: false,
      skipNegotiation: this.connects % 2 === 1 });
    c.onEvent = (name, args) => this.onEvent(name, args);
    this.client = c;
    this.connects++;
    try {
      await withTimeout(c.start(), 10000, `${this.label} start`);
    } catch (e) {
      await c.stop();
      throw e;
    }
    await this.sync();
  }

  async sync() {
    for (let round = 0; round < 20; round++) {
      const named = {};
      for (const id of this.tx.keys()) named[id] = this.contiguous(id);
      const s = await withTimeout(this.client.invoke('Sync', { chats: named }), 10000, `${this.label} Sync`);
      for (const c of s.chats) this.noteChat(c);
      for (const m of s.messages) this.apply(m);
      this.ctx.syncs++;
      if (s.truncated) {
        // page the rest with GetMessages (backwards from the chat's lastSeq)
        this.ctx.truncated++;
        for (const c of s.chats) {
          let before = c.lastSeq + 1;
          while (this.contiguous(c.id) < before - 1) {
            const page = await withTimeout(this.client.invoke('GetMessages', c.id, before, 200), 10000, `${this.label} GetMessages`);
            this.ctx.pages++;
            for (const m of page) this.apply(m);
            if (!page.length) break;
            before = page[0].seq;
          }
        }
      }
      const behind = s.chats.some((c) => this.contiguous(c.id) < c.lastSeq);
      if (!s.truncated && !behind) return;
    }
  }

  mine() { return [...this.chats].filter(([, c]) => c.operatorId === this.operatorId).map(([id]) => id); }

  // An operator takes a New chat it heard of (the routing may have left it
  // unassigned: no operator was connected to the process that created it).
  async takeOne() {
    const waiting = [...this.chats].filter(([, c]) => c.operatorId === null && c.status === 0).map(([id]) => id);
    if (!waiting.length) return;
    const id = waiting[rand(waiting.length)];
    try {
      const c = await withTimeout(this.client.invoke('TakeChat', id), 8000, `${this.label} TakeChat`);
      this.noteChat(c);
      this.ctx.taken++;
    } catch (e) {
      this.note(e);
      // someone else took it, or a refusal: learn the chat's state again
      this.chats.set(id, { ...this.chats.get(id), status: -1 });
    }
  }

  async pickChat() {
    if (this.kind === 'visitor') return this.ownChat; // null before the first message: "my chat"
    if (this.mine().length < 7 && Math.random() < 0.3) await this.takeOne();
    const mine = this.mine();
    return mine.length ? mine[rand(mine.length)] : undefined;
  }

  async run() {
    while (!this.finished && !this.ctx.aborted) {
      if (!this.connected()) {
        try { await this.connect(); } catch (e) { this.note(e); await h.sleep(100 + rand(200)); }
        continue;
      }
      if (!this.pending) {
        if (this.sent >= this.quota) { await h.sleep(50); continue; }
        let chatId;
        try { chatId = await this.pickChat(); } catch (e) { this.note(e); }
        if (chatId === undefined) { await h.sleep(50); continue; }
        this.pending = { cmid: crypto.randomUUID(), text: `${this.label} #${this.sent + 1}`, chatId };
      }
      await this.send();
    }
  }

  async send() {
    const p = this.pending;
    p.attempts = (p.attempts || 0) + 1;
    p.lastTry = Date.now();
    if (p.attempts > 1) this.ctx.resends++;
    try {
      this.inflight = true;
      let m;
      try {
        m = await withTimeout(this.client.invoke('SendMessage', p.chatId, p.text, p.cmid), 8000, `${this.label} SendMessage`);
      } finally {
        this.inflight = false;
      }
      if (p.attempts > 1 && Date.parse(m.createdAt) < p.lastTry) this.ctx.deduped++; // stored by an earlier attempt
      if (m.clientMessageId !== p.cmid || m.textMessage !== p.text) {
        this.conflicts.push(`ack for ${p.cmid} is another message: ${JSON.stringify(m)}`);
      }
      this.apply(m);
      if (this.kind === 'visitor' && this.ownChat === null) this.ownChat = m.chatId;
      this.acked.push({ chatId: m.chatId, id: m.id, seq: m.seq, cmid: p.cmid, text: p.text });
      this.pending = null;
      this.sent++;
      this.ctx.acked++;
      await h.sleep(rand(this.gap));
    } catch (e) {
      this.note(e);
      this.ctx.retries++;
      if (/busy/i.test(String(e && e.message))) this.ctx.busy++;
      await h.sleep(30 + rand(70));
    }
  }
}

describe('cluster chaos', () => {
  let cl;
  let fx;
  const ctx = { cl: null, acked: 0, retries: 0, busy: 0, resends: 0, deduped: 0, syncs: 0, truncated: 0, pages: 0,
    taken: 0, aborted: false };
  const agents = [];

  before(async () => {
    cl = await startCluster({ env: { ...hub.HUB_ENV, CHATHUB_LOG_LEVEL: 'error' } });
    ctx.cl = cl;
    fx = await hub.makeOrgFixture(cl, 'chaosco', { operators: N_OPERATORS, maxChats: 10 });
    for (let i = 0; i < N_OPERATORS; i++) {
      agents.push(new Agent(ctx, { kind: 'operator', label: `op${i + 1}`, token: fx.ops[i].token, operatorId: fx.ops[i].id, quota: OPERATOR_QUOTA }));
    }
    for (let i = 0; i < N_VISITORS; i++) {
      const s = await hub.widgetSession(cl, fx.guid, { name: `Chaos visitor ${i + 1}` });
      agents.push(new Agent(ctx, { kind: 'visitor', label: `v${i + 1}`, token: s.visitorToken, clientId: s.clientId, quota: VISITOR_QUOTA }));
    }
    agents.push(new Agent(ctx, { kind: 'company', label: 'company', token: fx.token, quota: 0 }));
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
    let drops = 0;
    const done = [];
    const failures = [];
    const total = N_OPERATORS * OPERATOR_QUOTA + N_VISITORS * VISITOR_QUOTA;
    assert.ok(total >= 2000);

    const runs = agents.map((a) => a.run());

    const monkey = (async () => {
      while (!stopChaos) {
        await h.sleep(150 + rand(250));
        // mostly hit a client while its send is in flight (the ack may be lost after the commit)
        const busy = agents.filter((x) => x.inflight && x.connected());
        const a = busy.length && Math.random() < 0.7 ? busy[rand(busy.length)] : agents[rand(agents.length)];
        if (!a.connected()) continue;
        if (Math.random() < 0.5) a.client.stop().catch(() => {});
        else a.client.terminate();
        drops++;
      }
    })();

    const chaos = (async () => {
      for (const [at, what, n] of CHAOS_AT) {
        while (ctx.acked < at && !stopChaos) await h.sleep(20);
        if (stopChaos) return;
        const t = Date.now();
        try {
        if (what === 'kill') {
          // while sends are in flight
          const until = Date.now() + 2000;
          while (agents.filter((x) => x.inflight).length < 2 && Date.now() < until) await h.sleep(1);
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
    await monkey;
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

    // every acknowledged message is there, exactly once, as acknowledged
    const byId = new Map();
    for (const [, msgs] of server) for (const m of msgs) byId.set(m.id, m);
    const acked = agents.flatMap((a) => a.acked);
    assert.equal(new Set(acked.map((x) => x.cmid)).size, acked.length);
    for (const x of acked) {
      const m = byId.get(x.id);
      assert.ok(m, `acknowledged message ${x.id} (${x.text}) missing in the database`);
      assert.equal(m.chatId, x.chatId);
      assert.equal(m.seq, x.seq, `acknowledged seq of ${x.text}`);
      assert.equal(m.clientMessageId, x.cmid);
      assert.equal(m.textMessage, x.text);
    }
    assert.equal(byId.size, acked.length, 'no message stored twice (every stored message is one acknowledged send)');

    // every client converges to the database's transcripts from live events and its Syncs
    const mismatches = () => {
      const out = [];
      for (const a of agents) {
        for (const [chatId, msgs] of server) {
          const visible = a.kind !== 'visitor' || clientOf.get(chatId) === a.clientId;
          const t = a.tx.get(chatId);
          if (!visible) {
            if (t && t.size) out.push(`${a.label} holds messages of chat ${chatId} it may not see`);
            continue;
          }
          if (!t) { out.push(`${a.label}: chat ${chatId} unknown`); continue; }
          if (t.size !== msgs.length) out.push(`${a.label}: chat ${chatId} has ${t.size}/${msgs.length} messages (contiguous ${a.contiguous(chatId)})`);
          for (const m of msgs) {
            if (t.has(m.seq) && t.get(m.seq) !== m.id) out.push(`${a.label}: chat ${chatId} seq ${m.seq} is ${t.get(m.seq)}, database ${m.id}`);
          }
        }
        for (const id of a.tx.keys()) if (!server.has(id)) out.push(`${a.label}: unknown chat ${id}`);
      }
      return out;
    };
    // a client that connects only now catches up from nothing with Sync (truncated) and GetMessages
    const late = new Agent(ctx, { kind: 'company', label: 'late company', token: fx.token, quota: 0 });
    agents.push(late);
    runs.push(late.run());
    const deadline = Date.now() + 20000;
    let bad = mismatches();
    while (bad.length && Date.now() < deadline) {
      await h.sleep(200);
      bad = mismatches();
    }
    for (const a of agents) a.finished = true;
    await Promise.all(runs);
    assert.deepEqual(bad, [], `transcripts differ from the database:\n${bad.slice(0, 40).join('\n')}`);
    const conflicts = agents.flatMap((a) => a.conflicts);
    assert.deepEqual(conflicts, [], 'no seq ever named two messages');

    assert.ok(ctx.truncated >= 1, 'the late client\'s Sync was truncated (over 1,000 messages) and paged');
    const connects = agents.reduce((s, a) => s + a.connects, 0);
    const direct = agents.reduce((s, a) => s + a.direct, 0);
    console.log(`# cluster chaos: ${ctx.acked} messages, ${drops} drops, ${connects} connects (${direct} straight to a node), `
      + `${ctx.retries} failed sends (${ctx.busy} busy), ${ctx.resends} resends (${ctx.deduped} already stored), ${ctx.taken} chats taken, `
      + `${ctx.syncs} syncs (${ctx.truncated} truncated, ${ctx.pages} GetMessages pages); ${done.join('; ')}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(drops >= 20, `enough random drops (${drops})`);
  });
});
