'use strict';
// Acceptance 6: a slow reader. One operator connection completes the
// handshake and then never reads (it keeps writing keep-alives so it is not
// "silent"); 1,000 large messages are sent in its organization. The server
// drops that connection (bounded send queue) while two other operator
// connections receive every message, in order.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const CHATS = 4;
const PER_CHAT = 250; // 1,000 messages in all
// ~12 KB of UTF-8 per message (more if the server escapes it): 12+ MB per connection,
// far beyond a 4 MiB send queue plus the kernel's socket buffers.
const BODY = '€'.repeat(4000);

function hubConnections(text) {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^chathub_hub_connections(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) { found = true; sum += Number(m[2]); }
  }
  return found ? sum : null;
}

describe('slow reader', () => {
  let srv;
  let fx;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'slowco', { operators: 3, maxChats: 10 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const metric = async () => hubConnections((await h.api(srv.base, 'GET', '/metrics')).text);

  test('a connection that never reads is dropped; the others receive all 1,000 messages in order', async () => {
    const fast = [
      await hub.connectHub(srv.base, fx.ops[1].token, { label: 'fast 1' }),
      await hub.connectHub(srv.base, fx.ops[2].token, { label: 'fast 2', skipNegotiation: true }),
    ];
    const visitors = [];
    for (let i = 0; i < CHATS; i++) visitors.push(await hub.visitorChat(srv, fx.guid, `slow chat ${i}`, { name: `Slow ${i}` }));
    const chatIds = visitors.map((v) => v.chatId);
    for (const f of fast) await f.waitCount('ReceiveMessage', CHATS, (m) => chatIds.includes(m.chatId));

    const slow = await hub.rawHub(srv.port, fx.ops[0].token);
    assert.deepEqual((await slow.invoke(1, 'Sync', [{ chats: {} }])).type, 3);
    const before = await metric();
    slow.sock.pause(); // stop reading: the kernel buffers fill, then the server's queue
    const keepAlive = setInterval(() => { slow.sendText(`{"type":6}${hub.RS}`).catch(() => {}); }, 3000);

    try {
      // 1,000 messages over REST, four chats in parallel, each chat in order
      const sent = await Promise.all(chatIds.map(async (id, c) => {
        const out = [];
        for (let i = 0; i < PER_CHAT; i++) {
          const m = await hub.postMessage(srv, fx.token, id, { textMessage: `${c}/${i} ${BODY}` });
          out.push(m);
        }
        return out;
      }));
      for (const list of sent) hub.assertContiguous(list, 2, 'acknowledged sends');

      // both fast connections get every message of every chat, in seq order
      for (const f of fast) {
        await f.waitCount('ReceiveMessage', CHATS + CHATS * PER_CHAT, (m) => chatIds.includes(m.chatId), { ms: 60000 });
        for (let c = 0; c < CHATS; c++) {
          const got = f.all('ReceiveMessage', (m) => m.chatId === chatIds[c]).map(([m]) => m);
          assert.deepEqual(got.map((m) => m.seq), Array.from({ length: PER_CHAT + 1 }, (_, i) => i + 1), `${f.label}: chat ${c} in order, no gaps, no duplicates`);
          assert.deepEqual(got.slice(1).map((m) => m.id), sent[c].map((m) => m.id), `${f.label}: chat ${c} ids`);
          assert.equal(got[got.length - 1].textMessage, `${c}/${PER_CHAT - 1} ${BODY}`);
        }
      }

      // the server dropped the reader that did not read
      if (before !== null) {
        await hub.pollUntil(async () => (await metric()) <= before - 1, { ms: 15000, what: `chathub_hub_connections below ${before}` });
      }
    } finally {
      clearInterval(keepAlive);
    }
    slow.sock.resume();
    assert.ok(await slow.waitEnd(20000), 'the slow connection was closed by the server');
    if (slow.closeFrame) assert.equal(slow.closeFrame.code, 1008, `close code ${JSON.stringify(slow.closeFrame)}`);
    // it got only part of the stream
    const seen = slow.messages.filter((m) => m.type === 1 && m.target === 'ReceiveMessage').length;
    assert.ok(seen < CHATS * PER_CHAT, `the slow reader cannot have received everything (${seen})`);

    // everyone else is fine: the fast clients are connected and in sync, the store has all
    for (const f of fast) {
      assert.equal(f.state, hub.signalR.HubConnectionState.Connected, f.label);
      const s = await f.invoke('Sync', { chats: Object.fromEntries(chatIds.map((id) => [id, PER_CHAT + 1])) });
      assert.deepEqual(s.messages, [], 'nothing missed');
      for (const id of chatIds) assert.equal(s.chats.find((x) => x.id === id).lastSeq, PER_CHAT + 1);
    }
    for (const id of chatIds) {
      const all = await hub.allMessages(srv, fx.token, id);
      assert.equal(all.length, PER_CHAT + 1);
      hub.assertContiguous(all, 1);
    }
    // and the operator whose connection was dropped can simply connect again
    const again = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'slow op again' });
    const s = await again.invoke('Sync', { chats: { [chatIds[0]]: PER_CHAT } });
    assert.deepEqual(s.messages.map((m) => m.seq), [PER_CHAT + 1]);
    await again.stop();
    for (const v of visitors) await v.stop();
  });
});
