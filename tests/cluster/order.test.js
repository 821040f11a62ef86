'use strict';
// One chat written by two processes at once: the visitor on node 1 and the
// operator on node 2 send as fast as they can, so the commits of the two
// processes interleave by the chat's row lock and their bus messages race.
// The company's connections on node 3 (both writers' events arrive from
// Redis) and on node 1 (the visitor's are local, the operator's remote) must
// still get every ReceiveMessage once, in seq order, with no gap (docs/hub.md:
// a chat's events reach everyone in the same order on a cluster too).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const { startCluster } = require('./lib/cluster');

const PER_WRITER = 200;
const WINDOW = 4; // sends in flight per writer
const ENV = {
  ...hub.HUB_ENV,
  CHATHUB_HUB_INVOCATIONS_PER_SECOND: '100000',
  CHATHUB_HUB_INVOCATION_BURST: '100000',
  CHATHUB_HUB_PRINCIPAL_INVOCATIONS_PER_SECOND: '100000',
  CHATHUB_HUB_PRINCIPAL_INVOCATION_BURST: '100000',
};

// Sends PER_WRITER messages, WINDOW at a time; returns how many failed.
async function write(client, chatId, tag) {
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < PER_WRITER) {
      const n = next++;
      try {
        await client.invoke('SendMessage', chatId, `${tag} ${n}`, crypto.randomUUID());
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return failed;
}

describe('cluster: one chat written on two processes', () => {
  let cl;
  let fx;
  before(async () => {
    cl = await startCluster({ env: ENV });
    fx = await hub.makeOrgFixture(cl, 'orderco', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (cl) await cl.stop();
  });

  test(`visitor on node 1 and operator on node 2 send ${PER_WRITER} each: the company on nodes 3 and 1 gets every message once, in seq order`, async () => {
    const node = (n) => ({ base: cl.nodeBase(n) });
    const op = await hub.connectHub(cl.nodeBase(2), fx.ops[0].token, { label: 'operator on node2' });
    const watchers = [
      await hub.connectHub(cl.nodeBase(3), fx.token, { label: 'company on node3' }),
      await hub.connectHub(cl.nodeBase(1), fx.token, { label: 'company on node1' }),
    ];
    const v = await hub.visitorChat(node(1), fx.guid, 'first', { name: 'Order visitor' });
    await hub.pollUntil(async () => {
      const c = await hub.getChat(node(2), fx.token, v.chatId);
      return c && c.operator ? c : null;
    }, { ms: 10000, what: 'the chat assigned to the operator' });

    const t0 = Date.now();
    const failed = await Promise.all([write(v, v.chatId, 'visitor'), write(op, v.chatId, 'operator')]);
    console.log(`# ${2 * PER_WRITER} messages from two processes in ${Date.now() - t0} ms`);
    assert.deepEqual(failed, [0, 0], 'every send succeeded');

    const msgs = await hub.allMessages(node(3), fx.token, v.chatId);
    const total = msgs.length;
    assert.equal(total, 1 + 2 * PER_WRITER);
    assert.ok(msgs.every((m, i) => m.seq === i + 1), 'the transcript has no gap');
    const seqs = (c) => c.events.filter((e) => e.name === 'ReceiveMessage' && e.args[0] && e.args[0].chatId === v.chatId)
      .map((e) => e.args[0].seq);
    await hub.pollUntil(async () => watchers.every((c) => seqs(c).length >= total) || null,
      { ms: 15000, what: 'every message at both watchers' }).catch(() => {});
    for (const c of watchers) {
      const got = seqs(c);
      const bad = got.findIndex((s, i) => s !== i + 1);
      assert.equal(bad, -1, `${c.label}: ${got.length} of ${total} messages; at index ${bad} seq ${got[bad]} `
        + `follows ${got[bad - 1]} (…${got.slice(Math.max(0, bad - 5), bad + 5).join(',')}…)`);
      assert.equal(got.length, total, `${c.label} received every message`);
    }
  });
});
