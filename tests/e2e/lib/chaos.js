'use strict';
// The chaos tests' shared part (single process: tests/e2e/18-chaos.test.js,
// cluster: tests/cluster/chaos.test.js): a client that sends with a
// clientMessageId and resends until acknowledged, applies live events and
// Syncs after every (re)connect; the random connection drops; and the
// transcript checks at the end. Only how a test reaches the server, breaks
// it and reads the stored transcripts differ.
//
// ctx (one per test) holds the counters and: base() → the URL a client
// connects to, sendWindowMs (each client's sends spread over about twice
// this), aborted.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./harness');
const hub = require('./hub');

const rand = (n) => Math.floor(Math.random() * n);

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms); }),
  ]);
}

// The counters an Agent and the checks update.
function newCtx(extra) {
  return { acked: 0, retries: 0, busy: 0, resends: 0, deduped: 0, syncs: 0, truncated: 0, pages: 0, taken: 0,
    aborted: false, ...extra };
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
    this.gap = kind === 'company' ? 0 : (2 * ctx.sendWindowMs) / quota;
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

  pickBase() { return this.ctx.base(); }

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

  async pickChat() {
    if (this.kind === 'visitor') return this.ownChat; // null before the first message: "my chat"
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

// Drops a random connection every 150-400 ms, mostly one with a send in
// flight (the ack may be lost after the commit), until stop() or
// ctx.aborted; stop() resolves to the number of drops.
function startMonkey(ctx, agents) {
  let stopped = false;
  let drops = 0;
  const done = (async () => {
    while (!stopped && !ctx.aborted) {
      await h.sleep(150 + rand(250));
      const busy = agents.filter((x) => x.inflight && x.connected());
      const a = busy.length && Math.random() < 0.7 ? busy[rand(busy.length)] : agents[rand(agents.length)];
      if (!a.connected()) continue;
      if (Math.random() < 0.5) a.client.stop().catch(() => {});
      else a.client.terminate();
      drops++;
    }
  })();
  return { stop: async () => { stopped = true; await done; return drops; } };
}

// Waits (at most 2 s) until at least two sends are in flight: the moment to
// break the server. Returns how many are.
async function awaitInflight(agents) {
  const until = Date.now() + 2000;
  while (agents.filter((x) => x.inflight).length < 2 && Date.now() < until) await h.sleep(1);
  return agents.filter((x) => x.inflight).length;
}

// Every acknowledged message is in `stored` (chatId → messages of
// {chatId, seq, id, clientMessageId, textMessage}), exactly once, as
// acknowledged. `where` names the store in the failure messages.
function checkAcked(agents, stored, where) {
  const byId = new Map();
  for (const [, msgs] of stored) for (const m of msgs) byId.set(m.id, m);
  const acked = agents.flatMap((a) => a.acked);
  assert.equal(new Set(acked.map((x) => x.cmid)).size, acked.length);
  for (const x of acked) {
    const m = byId.get(x.id);
    assert.ok(m, `acknowledged message ${x.id} (${x.text}) missing ${where}`);
    assert.equal(m.chatId, x.chatId);
    assert.equal(m.seq, x.seq, `acknowledged seq of ${x.text}`);
    assert.equal(m.clientMessageId, x.cmid);
    assert.equal(m.textMessage, x.text);
  }
  assert.equal(byId.size, acked.length, 'no message stored twice (every stored message is one acknowledged send)');
}

// How every client's transcripts differ from `stored` (clientOf: chatId →
// the visitor's client id; a visitor sees only its own chat).
function mismatches(agents, stored, clientOf, name) {
  const out = [];
  for (const a of agents) {
    for (const [chatId, msgs] of stored) {
      const visible = a.kind !== 'visitor' || clientOf.get(chatId) === a.clientId;
      const t = a.tx.get(chatId);
      if (!visible) {
        if (t && t.size) out.push(`${a.label} holds messages of chat ${chatId} it may not see`);
        continue;
      }
      if (!t) { out.push(`${a.label}: chat ${chatId} unknown`); continue; }
      if (t.size !== msgs.length) out.push(`${a.label}: chat ${chatId} has ${t.size}/${msgs.length} messages (contiguous ${a.contiguous(chatId)})`);
      for (const m of msgs) {
        if (t.has(m.seq) && t.get(m.seq) !== m.id) out.push(`${a.label}: chat ${chatId} seq ${m.seq} is ${t.get(m.seq)}, ${name} ${m.id}`);
      }
    }
    for (const id of a.tx.keys()) if (!stored.has(id)) out.push(`${a.label}: unknown chat ${id}`);
  }
  return out;
}

// Every client converges to `stored` from live events and its Syncs, and a
// client that connects only now (`late`, a company Agent) catches up from
// nothing with a truncated Sync and GetMessages. Stops every agent.
async function checkConverged({ ctx, agents, runs, late, stored, clientOf, name }) {
  agents.push(late);
  runs.push(late.run());
  const deadline = Date.now() + 20000;
  let bad = mismatches(agents, stored, clientOf, name);
  while (bad.length && Date.now() < deadline) {
    await h.sleep(200);
    bad = mismatches(agents, stored, clientOf, name);
  }
  for (const a of agents) a.finished = true;
  await Promise.all(runs);
  assert.deepEqual(bad, [], `transcripts differ from the ${name}:\n${bad.slice(0, 40).join('\n')}`);
  const conflicts = agents.flatMap((a) => a.conflicts);
  assert.deepEqual(conflicts, [], 'no seq ever named two messages');
  assert.ok(ctx.truncated >= 1, 'the late client\'s Sync was truncated (over 1,000 messages) and paged');
}

module.exports = { rand, withTimeout, newCtx, Agent, startMonkey, awaitInflight, checkAcked, mismatches, checkConverged };
