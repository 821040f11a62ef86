'use strict';
// A reader that is slow but steady is never dropped (docs/hub.md "Limits":
// only a connection whose queue does not move for hub_stall_timeout is). An
// operator on a raw socket reads in short bursts with pauses between them
// while four visitors send 2,000 messages as fast as the server takes them
// (their invocation budgets lifted: the point is the burst of events); it
// receives every one, in order, and stays connected. (17-slow-reader covers
// the reader that stops.)

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const CHATS = 4;
const PER_CHAT = 500; // 2,000 messages in all
const BODY = 'x'.repeat(3000); // ~6 MB in all: more than the socket buffers hold

describe('steady slow reader', () => {
  let srv;
  let fx;

  before(async () => {
    srv = await h.startServer({
      env: {
        ...hub.HUB_ENV,
        CHATHUB_HUB_INVOCATIONS_PER_SECOND: '100000', CHATHUB_HUB_INVOCATION_BURST: '100000',
        CHATHUB_HUB_PRINCIPAL_INVOCATIONS_PER_SECOND: '100000', CHATHUB_HUB_PRINCIPAL_INVOCATION_BURST: '100000',
      },
    });
    fx = await hub.makeOrgFixture(srv, 'steadyco', { operators: 1, maxChats: 10 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('a reader that reads 256 KiB at most, pauses 400 ms, by turns, gets all 2,000 messages in order and stays connected', async () => {
    const senders = [];
    for (let i = 0; i < CHATS; i++) {
      const ws = await hub.rawHub(srv.port, (await hub.widgetSession(srv, fx.guid, { name: `Steady ${i}` })).visitorToken);
      ws.chatId = (await ws.invoke('first', 'SendMessage', [null, `steady ${i}`])).result.chatId;
      senders.push(ws);
    }
    const chatIds = senders.map((ws) => ws.chatId);
    const reader = await hub.rawHub(srv.port, fx.ops[0].token);
    // does not read during the first second of the burst, then reads at most
    // 256 KiB (or for 50 ms), pauses 400 ms, again and again: ~0.6 MB/s
    const WINDOW_BYTES = 256 * 1024;
    let reading = false;
    let pauses = 1;
    let windowBytes = 0;
    let rhythm;
    let over = false;
    const stopReading = () => {
      if (!reading || over) return;
      reading = false;
      reader.sock.pause();
      pauses++;
      clearTimeout(rhythm);
      rhythm = setTimeout(startReading, 400);
    };
    const startReading = () => {
      if (over) return;
      reading = true;
      windowBytes = 0;
      reader.sock.resume();
      rhythm = setTimeout(stopReading, 50);
    };
    reader.sock.on('data', (d) => { windowBytes += d.length; if (windowBytes >= WINDOW_BYTES) stopReading(); });
    reader.sock.pause();
    rhythm = setTimeout(startReading, 1000);
    // keep-alives, as a client that is busy but alive sends them
    const keepAlive = setInterval(() => { reader.sendText(`{"type":6}${hub.RS}`).catch(() => {}); }, 5000);
    try {
      const t0 = Date.now();
      // each visitor sends its 500 in frames of 50, without waiting
      const frame = (c, from) => Array.from({ length: 50 }, (_, k) => JSON.stringify({
        type: 1, invocationId: String(from + k), target: 'SendMessage', arguments: [chatIds[c], `${c}/${from + k} ${BODY}`],
      }) + hub.RS).join('');
      await Promise.all(senders.map(async (ws, c) => {
        for (let i = 0; i < PER_CHAT; i += 50) await ws.sendText(frame(c, i));
      }));
      for (const ws of senders) {
        for (let i = 0; i < PER_CHAT; i++) {
          const m = await ws.completion(i, 60000);
          assert.ok(m.result && m.result.seq === i + 2, JSON.stringify(m).slice(0, 300));
        }
      }
      const postMs = Date.now() - t0;
      const want = CHATS * PER_CHAT; // the visitors' first messages came before the reader
      const deadline = Date.now() + 120000;
      const got = () => reader.messages.filter((m) => m.type === 1 && m.target === 'ReceiveMessage' && chatIds.includes(m.arguments[0].chatId));
      while (got().length < want && !reader.ended && Date.now() < deadline) await h.sleep(100);
      const msgs = got().map((m) => m.arguments[0]);
      assert.equal(reader.ended, false, `the reader was dropped after ${msgs.length} messages (close ${JSON.stringify(reader.closeFrame)})`);
      assert.equal(msgs.length, want, `received ${msgs.length}/${want}`);
      for (const id of chatIds) {
        const seqs = msgs.filter((m) => m.chatId === id).map((m) => m.seq);
        assert.deepEqual(seqs, Array.from({ length: PER_CHAT }, (_, i) => i + 2), `chat ${id}: every seq, in order`);
      }
      const readMs = Date.now() - t0;
      assert.ok(pauses >= 5, `the reader paused ${pauses} times; sending took ${postMs} ms, reading ${readMs} ms`);
    } finally {
      over = true;
      clearTimeout(rhythm);
      clearInterval(keepAlive);
      reader.sock.resume();
    }
    const done = await reader.invoke('after', 'Sync', [{ chats: {} }]);
    assert.ok(Array.isArray(done.result.chats), 'still connected and answering');
    reader.destroy();
    for (const ws of senders) ws.destroy();
  });
});
