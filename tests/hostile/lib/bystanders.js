'use strict';
// The bystanders of every attack: the people an attack must not hurt.
//
// - Company A: one organization with two operators connected with the
//   official client (A1, A2; more operators without connections on request),
//   and the company itself connected.
// - A conversation in that organization, running during the attack: a visitor
//   (official client) writes every ~100 ms, operator A1 answers every ~300 ms.
// - Company B, another tenant: one operator connected.
// - Probes during the attack: `GET /healthz` and an operator `Sync` (A2) every
//   ~200 ms. Their latencies are printed, never asserted; only "no answer
//   within 15 s" (a generous liveness timeout) is a failure.
//
// After the attack, verify() records as problems: a bystander connection
// that was closed; a conversation message that an operator, the company or
// the visitor did not receive (in seq order, no gap, no duplicate); any event
// of company A at company B; a probe that did not answer (or answered an
// error); server memory above the test's bound (VmHWM since the attack
// began — reset through clear_refs — and VmRSS afterwards, both printed
// before/after).
//
// Everything bystanders do comes from 127.0.0.1. stage() gives each attack
// a fresh server with its bystanders.

const h = require('../../e2e/lib/harness');
const hub = require('../../e2e/lib/hub');
const mem = require('./proc');

const LIVENESS_MS = 15000;

function withTimeout(p, ms, what) {
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]);
}

function pct(list, p) {
  if (!list.length) return NaN;
  const s = [...list].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

class Bystanders {
  constructor(srv) {
    this.srv = srv;
    this.running = false;
    this.windows = 0;
  }

  // extraOperators: operators of company A's organization beyond A1 and A2
  // (not connected; for the tests that revoke or use them).
  static async setup(srv, { extraOperators = 0, prefix = 'by' } = {}) {
    const by = new Bystanders(srv);
    by.a = await hub.makeOrgFixture(srv, `${prefix}-a`, { operators: 2 + extraOperators, maxChats: 50 });
    by.b = await hub.makeOrgFixture(srv, `${prefix}-b`, { operators: 1 });
    by.opA1 = await hub.connectHub(srv.base, by.a.ops[0].token, { label: 'bystander operator A1' });
    by.opA2 = await hub.connectHub(srv.base, by.a.ops[1].token, { label: 'bystander operator A2' });
    by.companyA = await hub.connectHub(srv.base, by.a.token, { label: 'bystander company A' });
    by.opB = await hub.connectHub(srv.base, by.b.ops[0].token, { label: 'bystander operator of company B' });
    by.visitor = await hub.visitorChat(srv, by.a.guid, 'bystander: hello', { name: 'Bystander visitor' });
    by.chatId = by.visitor.chatId;
    by.conns = [by.opA1, by.opA2, by.companyA, by.visitor, by.opB];
    by.counter = 0;
    return by;
  }

  // Starts the conversation and the probes. tolerateHealthz: /healthz may
  // fail during the attack (an attack on the accept path, where a new
  // connection cannot be served); it must answer again after stop().
  start({ tolerateHealthz = false, guardMiB = mem.ASAN ? 3072 : 6144 } = {}) {
    this.windows++;
    this.tolerateHealthz = tolerateHealthz;
    this.problems = [];
    this.lat = { healthz: [], sync: [], visitor: [], operator: [] };
    this.healthzFailures = 0;
    this.pid = this.srv.pid;
    this.memBefore = mem.status(this.pid);
    this.peakReset = mem.resetPeak(this.pid);
    this.guard = mem.guard(this.srv, this.memBefore.rss + guardMiB * mem.MiB);
    this.t0 = Date.now();
    this.running = true;
    this.loops = [
      this._loop(100, () => this._send(this.visitor, 'visitor', 'v')),
      this._loop(300, () => this._send(this.opA1, 'operator', 'o')),
      this._loop(200, () => this._healthz()),
      this._loop(200, () => this._sync()),
    ];
    return this;
  }

  async _loop(every, fn) {
    while (this.running) {
      const t0 = Date.now();
      await fn();
      await h.sleep(Math.max(0, every - (Date.now() - t0)));
    }
  }

  async _send(client, who, tag) {
    if (client.closed) return;
    const t0 = Date.now();
    const n = ++this.counter;
    try {
      await withTimeout(client.invoke('SendMessage', this.chatId, `bystander ${tag}${n}`, `by-${tag}-${n}-${t0}`), LIVENESS_MS, `${client.label} SendMessage`);
      this.lat[who].push(Date.now() - t0);
    } catch (e) {
      if (!client.closed) this.problems.push(`${client.label}: SendMessage failed: ${e.message}`);
    }
  }

  async _healthz() {
    const t0 = Date.now();
    const get = async () => {
      const r = await fetch(`${this.srv.base}/healthz`, { signal: AbortSignal.timeout(LIVENESS_MS) });
      await r.arrayBuffer();
      return r;
    };
    try {
      let r;
      try {
        r = await get();
      } catch (e) {
        // a kept-alive connection that the server had just closed fails at
        // once; that is not the server failing to answer: ask once more
        if (Date.now() - t0 > 1000) throw e;
        r = await get();
      }
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      this.lat.healthz.push(Date.now() - t0);
    } catch (e) {
      this.healthzFailures++;
      if (!this.tolerateHealthz) {
        this.problems.push(`GET /healthz at +${t0 - this.t0} ms: ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ''} after ${Date.now() - t0} ms`);
      }
    }
  }

  async _sync() {
    if (this.opA2.closed) return;
    const t0 = Date.now();
    try {
      await withTimeout(this.opA2.invoke('Sync', { chats: {} }), LIVENESS_MS, 'operator Sync');
      this.lat.sync.push(Date.now() - t0);
    } catch (e) {
      if (!this.opA2.closed) this.problems.push(`operator A2 Sync at +${t0 - this.t0} ms: ${e.message}`);
    }
  }

  // Stops the conversation and the probes (waits for calls in flight). The
  // traffic runs on for `afterMs` past the attack's end (to see the service
  // recover), and for `minMs` in all.
  async stop({ afterMs = 500, minMs = 2000 } = {}) {
    if (!this.running) return;
    await h.sleep(Math.max(afterMs, this.t0 + minMs - Date.now()));
    this.running = false;
    await Promise.all(this.loops);
    this.guard.stop();
    this.t1 = Date.now();
  }

  // Memory now versus the start of the window: {before, after, peak}.
  memory() {
    return { before: this.memBefore, after: mem.status(this.pid), peakReset: this.peakReset };
  }

  // Records every effect of the attack on the bystanders into `problems`
  // (a Problems) and prints the figures. memory: {hwmMiB, rssMiB} bounds
  // for the normal build (see proc.js for the ASan bound).
  async verify(t, problems, { hwmMiB = 64, rssMiB = 64 } = {}) {
    if (this.running) await this.stop();
    const before = problems.list.length;
    for (const p of this.problems) problems.add(p);
    await this._verify(t, problems, { hwmMiB, rssMiB });
    if (problems.list.length > before && this.srv.stderr()) {
      t.diagnostic(`server stderr (last lines): ${this.srv.stderr().trim().split('\n').slice(-4).join(' | ').slice(0, 600)}`);
    }
  }

  async _verify(t, problems, { hwmMiB, rssMiB }) {
    const d = (s) => t.diagnostic(s);
    const ms = (l) => (l.length ? `p50 ${pct(l, 50)} ms, max ${Math.max(...l)} ms` : 'none');
    d(`window ${this.t1 - this.t0} ms; healthz ${this.lat.healthz.length} answers (${ms(this.lat.healthz)})`
      + `${this.healthzFailures ? `, ${this.healthzFailures} failed` : ''}; operator Sync ${this.lat.sync.length} (${ms(this.lat.sync)})`);
    d(`conversation sends: visitor ${this.lat.visitor.length} (${ms(this.lat.visitor)}), operator ${this.lat.operator.length} (${ms(this.lat.operator)})`);

    // memory
    const m = this.memory();
    if (this.guard.tripped) problems.add(this.guard.tripped);
    if (!m.after) {
      problems.add(`the server process is gone (pid ${this.pid})`);
      d(`memory: before RSS ${mem.mib(m.before.rss)}; guard saw up to ${mem.mib(this.guard.peakRss)}; server gone`);
      return;
    }
    const hwmGrowth = m.after.hwm - m.before.rss;
    const rssGrowth = m.after.rss - m.before.rss;
    d(`memory${mem.ASAN ? ' (ASan build)' : ''}: before RSS ${mem.mib(m.before.rss)} (HWM ${mem.mib(m.before.hwm)}); `
      + `peak during ${mem.mib(m.after.hwm)}${m.peakReset ? '' : ' (HWM not reset: since start)'} (+${mem.mib(hwmGrowth)}); `
      + `after RSS ${mem.mib(m.after.rss)} (+${mem.mib(rssGrowth)}); bounds +${mem.bound(hwmMiB)} / +${mem.bound(rssMiB)} MiB`);
    if (m.peakReset) {
      problems.check(hwmGrowth <= mem.bound(hwmMiB) * mem.MiB,
        `server peak memory (VmHWM) grew by ${mem.mib(hwmGrowth)} during the attack (bound ${mem.bound(hwmMiB)} MiB)`);
    }
    problems.check(rssGrowth <= mem.bound(rssMiB) * mem.MiB,
      `server memory (VmRSS) after the attack is ${mem.mib(rssGrowth)} above before (bound ${mem.bound(rssMiB)} MiB)`);

    if (!this.srv.running()) {
      problems.add('the server exited during the attack');
      return;
    }
    if (this.tolerateHealthz) {
      // it must answer again now
      try {
        const r = await h.api(this.srv.base, 'GET', '/healthz', { timeoutMs: LIVENESS_MS });
        problems.check(r.status === 200, `GET /healthz after the attack: HTTP ${r.status}`);
      } catch (e) { problems.add(`GET /healthz after the attack: ${e.message}`); }
    }

    // connections
    for (const c of this.conns) {
      problems.check(!c.closed && c.state === hub.signalR.HubConnectionState.Connected,
        () => `${c.label} was disconnected${c.closedError ? ` (${c.closedError.message})` : ''}`);
    }

    // the conversation, everyone got everything in order
    await this._verifyTranscript(t, problems);

    // company B saw nothing of company A
    const aOps = new Set(this.a.ops.map((o) => o.id));
    const leaked = this.opB.events.filter((e) => hub.eventChatId(e) !== undefined
      || (e.name === 'OperatorPresence' && aOps.has(e.args[0])));
    problems.check(leaked.length === 0, () => `company B received ${leaked.length} events about company A, e.g. ${JSON.stringify(leaked[0]).slice(0, 200)}`);
  }

  async _verifyTranscript(t, problems) {
    let msgs;
    try {
      msgs = await hub.allMessages(this.srv, this.a.token, this.chatId);
    } catch (e) {
      problems.add(`conversation transcript over REST: ${e.message}`);
      return;
    }
    const seqs = msgs.map((m) => m.seq);
    problems.check(seqs.every((s, i) => s === i + 1), `conversation transcript has gaps: ${seqs.join(',').slice(0, 200)}`);
    const all = msgs.map((m) => m.seq);
    const clientSeqs = msgs.filter((m) => m.author === 1).map((m) => m.seq);
    const staffSeqs = msgs.filter((m) => m.author !== 1).map((m) => m.seq);
    const expect = [
      [this.opA2, all], [this.companyA, all],
      [this.opA1, clientSeqs], // its own answers are not echoed to it
      [this.visitor, staffSeqs], // its own messages are not echoed either
    ];
    const got = (c) => c.events.filter((e) => (e.name === 'ReceiveMessage' || e.name === 'ReceiveMediaMessage')
      && e.args[0] && e.args[0].chatId === this.chatId).map((e) => e.args[0].seq);
    // delivery may trail the last acknowledgement a little
    const deadline = Date.now() + LIVENESS_MS;
    while (Date.now() < deadline && expect.some(([c, e]) => !c.closed && got(c).length < e.length)) await h.sleep(50);
    for (const [c, e] of expect) {
      const g = got(c);
      const same = g.length === e.length && g.every((s, i) => s === e[i]);
      problems.check(same, () => {
        const missing = e.filter((s) => !g.includes(s));
        const outOfOrder = g.some((s, i) => i > 0 && s <= g[i - 1]);
        return `${c.label} received ${g.length} of ${e.length} conversation messages`
          + `${missing.length ? `, missing ${missing.length} (first seq ${missing[0]})` : ''}${outOfOrder ? ', out of order or duplicated' : ''}`;
      });
    }
    t.diagnostic(`conversation: ${msgs.length} messages in all (${clientSeqs.length} visitor, ${staffSeqs.length} operator)`);
  }

  // Company A's chats (all pages), for storage counts.
  async chatsA(query = '') {
    const out = [];
    for (let page = 1; page < 50; page++) {
      const l = await hub.listChats(this.srv, this.a.token, `per_page=100&page=${page}${query}`);
      out.push(...l.items);
      if (l.items.length < 100) return { total: l.total, items: out };
    }
    return { total: out.length, items: out };
  }

  async close() {
    this.running = false;
    if (this.loops) await Promise.all(this.loops);
    if (this.guard) this.guard.stop();
    await hub.closeAllClients();
  }
}

// A fresh server (env on top of the tier's defaults) with its bystanders
// set up, both torn down after test t. Each attack gets its own server so
// that memory figures and storage counts are its own.
async function stage(t, { env = {}, serverOpts = {}, extraOperators = 0 } = {}) {
  const srv = await mem.startServer(env, serverOpts);
  let by;
  t.after(async () => {
    if (by) await by.close();
    if (srv.running()) await srv.stop();
    else srv.child = null; // already reported by verify()
  });
  by = await Bystanders.setup(srv, { extraOperators });
  return { srv, by };
}

module.exports = { Bystanders, stage, LIVENESS_MS, withTimeout, pct };
