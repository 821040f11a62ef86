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
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const N_VISITORS = 20;
const N_OPERATORS = 3;
const VISITOR_QUOTA = 70;   // 1,400
const OPERATOR_QUOTA = 240; // 720 → 2,120 messages
const KILL_AT = [600, 1300];  // kill -9 once this many messages are acknowledged
const SEND_WINDOW_MS = 30000; // spread each client's sends over about this long
const HARD_LIMIT_MS = 90000;

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
    this.chats = new Map();    // chatId → {operatorId, clientId}
    this.tx = new Map();       // chatId → Map(seq → message id)
    this.acked = [];           // {chatId, id, seq, cmid, text}
    this.pending = null;       // {cmid, text, chatId}
    this.sent = 0;
    this.client = null;
    this.connects = 0;
    this.errors = [];
    this.conflicts = [];
    this.finished = false;
    this.inflight = false;
    this.ownChat = null;       // visitors
    this.gap = kind === 'visitor' ? (2 * SEND_WINDOW_MS) / quota : kind === 'operator' ? (2 * SEND_WINDOW_MS) / quota : 0;
  }

  connected() { return this.client && this.client.state === hub.signalR.HubConnectionState.Connected; }
  doneSending() { return this.sent >= this.quota && !this.pending; }

  note(e) { if (this.errors.length < 200) this.errors.push(String(e && e.message ? e.message : e).slice(0, 200)); }

  noteChat(c) {
    this.chats.set(c.id, { operatorId: c.operator ? c.operator.id : null, clientId: c.client ? c.client.id : null });
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

  async connect() {
    if (this.client) await this.client.stop();
    const c = new hub.HubClient(this.ctx.srv.base, this.token, { label: this.label, record: false,
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

  pickChat() {
    if (this.kind === 'visitor') return this.ownChat; // null before the first message: "my chat"
    const mine = [...this.chats].filter(([, c]) => c.operatorId === this.operatorId).map(([id]) => id);
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
        const chatId = this.pickChat();
        if (chatId === undefined) { await h.sleep(50); continue; }
        this.pending = { cmid: crypto.randomUUID(), text: `${this.label} #${this.sent + 1}`, chatId };
      }
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
        await h.sleep(30 + rand(70));
      }
    }
  }
}

describe('chaos', () => {
  let srv;
  let fx;
  const ctx = { srv: null, acked: 0, retries: 0, resends: 0, deduped: 0, syncs: 0, truncated: 0, pages: 0, aborted: false };
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
    let drops = 0;
    let kills = 0;
    const inflightAtKill = [];
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

    const killer = (async () => {
      for (const at of KILL_AT) {
        while (ctx.acked < at && !stopChaos) await h.sleep(20);
        if (stopChaos) return;
        // kill while sends are in flight
        const until = Date.now() + 2000;
        while (agents.filter((x) => x.inflight).length < 2 && Date.now() < until) await h.sleep(1);
        inflightAtKill.push(agents.filter((x) => x.inflight).length);
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
    await monkey;
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

    // every acknowledged message is there, exactly once, as acknowledged
    const byId = new Map();
    for (const [, msgs] of server) for (const m of msgs) byId.set(m.id, m);
    const acked = agents.flatMap((a) => a.acked);
    assert.equal(new Set(acked.map((x) => x.cmid)).size, acked.length);
    for (const x of acked) {
      const m = byId.get(x.id);
      assert.ok(m, `acknowledged message ${x.id} (${x.text}) missing on the server`);
      assert.equal(m.chatId, x.chatId);
      assert.equal(m.seq, x.seq, `acknowledged seq of ${x.text}`);
      assert.equal(m.clientMessageId, x.cmid);
      assert.equal(m.textMessage, x.text);
    }
    assert.equal(byId.size, acked.length, 'no message stored twice (every stored message is one acknowledged send)');

    // every client converges to the server's transcripts from live events and its Syncs
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
            if (t.has(m.seq) && t.get(m.seq) !== m.id) out.push(`${a.label}: chat ${chatId} seq ${m.seq} is ${t.get(m.seq)}, server ${m.id}`);
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
    assert.deepEqual(bad, [], `transcripts differ from the server:\n${bad.slice(0, 40).join('\n')}`);
    const conflicts = agents.flatMap((a) => a.conflicts);
    assert.deepEqual(conflicts, [], 'no seq ever named two messages');

    assert.ok(ctx.truncated >= 1, 'the late client\'s Sync was truncated (over 1,000 messages) and paged');
    const connects = agents.reduce((s, a) => s + a.connects, 0);
    console.log(`# chaos: ${ctx.acked} messages, ${drops} drops, ${kills} kills, ${connects} connects, ${ctx.retries} failed sends, ${ctx.resends} resends (${ctx.deduped} already stored), `
      + `sends in flight at the kills: ${inflightAtKill.join(', ')}, `
      + `${ctx.syncs} syncs (${ctx.truncated} truncated, ${ctx.pages} GetMessages pages), ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(drops >= 20, `enough random drops (${drops})`);
  });
});
