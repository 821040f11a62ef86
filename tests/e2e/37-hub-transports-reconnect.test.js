'use strict';
// Reconnect and Sync on each transport and protocol: the official client
// (automatic reconnect) talks with an operator; the server is kill -9'ed and
// restarted on the same port and data directory; while the client is still
// reconnecting the operator sends more (REST). After the client's Sync on
// reconnect its transcript is exactly the server's: every message once,
// seq 1..N, and no live event delivered twice (18-chaos does the same at
// scale on WebSockets).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const COMBOS = [
  ['WebSockets', 'json'], ['WebSockets', 'messagepack'],
  ['ServerSentEvents', 'json'],
  ['LongPolling', 'json'], ['LongPolling', 'messagepack'],
];
const RETRY = [0, 100, 200, 300, 500, 500, 1000, 1000, 1000, 1000, 1000, 1000];

// A visitor that applies live events and Sync answers into one transcript.
class Transcript {
  constructor(client, chatId) {
    Object.assign(this, { client, chatId, bySeq: new Map(), live: [], conflicts: [], syncs: 0 });
    client.onEvent = (name, args) => {
      if (name === 'ReceiveMessage' && args[0].chatId === chatId) {
        this.live.push(args[0].id);
        this.apply(args[0]);
      }
    };
  }

  apply(m) {
    const had = this.bySeq.get(m.seq);
    if (had !== undefined && had !== m.id) this.conflicts.push(`seq ${m.seq}: ${had} and ${m.id}`);
    this.bySeq.set(m.seq, m.id);
  }

  last() {
    let n = 0;
    while (this.bySeq.has(n + 1)) n++;
    return n;
  }

  async sync() {
    const s = await this.client.invoke('Sync', { chats: { [this.chatId]: this.last() } });
    this.syncs++;
    for (const m of s.messages) if (m.chatId === this.chatId) this.apply(m);
  }
}

describe('hub transports: reconnect and Sync after a kill -9', () => {
  let srv;
  before(async () => { srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_LOG_LEVEL: 'error' } }); });
  after(async () => {
    await hub.closeAllClients();
    if (srv && srv.running()) await srv.stop();
  });

  for (const [transport, protocol] of COMBOS) {
    test(`${transport} + ${protocol}`, { timeout: 60000 }, async () => {
      const fx = await hub.makeOrgFixture(srv, `rc-${transport}-${protocol}`.toLowerCase(), { operators: 1 });
      const s = await hub.widgetSession(srv, fx.guid, { name: 'Reconnecting Visitor' });
      const v = new hub.HubClient(srv.base, s.visitorToken, { label: 'visitor', transport, protocol, reconnect: RETRY });
      await v.start();
      assert.equal(v.transport, transport);
      const first = await v.invoke('SendMessage', null, 'before the crash', crypto.randomUUID());
      const chatId = first.chatId;
      const t = new Transcript(v, chatId);
      t.apply(first);
      const reconnected = [];
      v.conn.onreconnected(() => { reconnected.push(t.sync().catch((e) => { t.conflicts.push(`Sync: ${e.message}`); })); });

      for (let i = 1; i <= 3; i++) await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: `reply ${i}` });
      await hub.pollUntil(() => t.last() === 4, { what: 'the replies, live' });

      await srv.kill9();
      await srv.restart();
      // sent while the client is away: it learns of them from Sync (or live, once back)
      const meanwhile = [];
      for (let i = 1; i <= 3; i++) meanwhile.push(await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: `meanwhile ${i}` }));
      await hub.pollUntil(() => reconnected.length > 0 && v.state === hub.signalR.HubConnectionState.Connected,
        { ms: 20000, what: `${transport}/${protocol}: the client reconnected` });
      await Promise.all(reconnected);
      assert.equal(v.transport, transport, 'the same transport after the reconnect');

      // back live: a message now arrives as an event, and the visitor can send
      const after1 = await hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: 'after the reconnect' });
      const mine = await v.invoke('SendMessage', chatId, 'I am back', crypto.randomUUID());
      t.apply(mine);
      await hub.pollUntil(() => t.bySeq.get(after1.seq) === after1.id, { what: 'the live message after the reconnect' });

      const server = await hub.allMessages(srv, fx.token, chatId);
      hub.assertContiguous(server, 1);
      assert.deepEqual([...t.bySeq.entries()].sort((a, b) => a[0] - b[0]), server.map((m) => [m.seq, m.id]),
        'the client holds exactly the server\'s transcript');
      for (const m of meanwhile) assert.equal(t.bySeq.get(m.seq), m.id, `message sent meanwhile (seq ${m.seq}) is there`);
      assert.deepEqual(t.conflicts, []);
      assert.equal(new Set(t.live).size, t.live.length, `no live event twice: ${t.live.join(',')}`);
      assert.ok(t.syncs >= 1, 'Sync ran on the reconnect');
      await v.stop();
    });
  }
});
