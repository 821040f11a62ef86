'use strict';
// Native channel replies on a cluster (issue 17, acceptance 4): three
// processes behind haproxy on one PostgreSQL and Redis, a Telegram
// connection against the fake Bot API (tests/fakes/telegram.js), which
// answers every send slowly. Replies to several chats are queued in the
// delivery outbox through any process; while a send is in flight, the
// process that made it is killed (SIGKILL) — found by the TCP connection it
// sent on — and restarted. The fake commits a send only when it answers it,
// so the killed process's send is not delivered; its leased deliveries are
// taken over once the lease ends (CH_SVC_OUTBOUND_LEASE_MS, 120 s). In the
// end every reply reached the fake exactly once, in order per chat, and a
// failed first attempt (429 with retry_after) changed neither.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const ch = require('../e2e/lib/channels');
const { startCluster, NODES } = require('./lib/cluster');

const { telegram } = ch;
const CHATS = 4;
const REPLIES = 6;          // per chat
const ANSWER_DELAY_MS = 1200;
const DELIVERED_WITHIN_MS = 200000; // the 120 s lease, retries and backoff

// The node whose process owns the TCP connection from 127.0.0.1:<port> (the
// source port of a request the fake received), or 0.
function nodeOfSourcePort(cl, port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let inode = null;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[1].endsWith(`:${hex}`)) { inode = cols[9]; break; }
    }
    if (inode) break;
  }
  if (!inode || inode === '0') return 0;
  for (const n of NODES) {
    const pid = cl.nodePid(n);
    let fds = [];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try { if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return n; } catch { /* closed meanwhile */ }
    }
  }
  return 0;
}

describe('cluster: native channel replies exactly once', () => {
  let cl;
  let tg;
  let fx;
  let conn;
  let secret;

  before(async () => {
    tg = await telegram.start();
    const port = await h.freePort();
    cl = await startCluster({
      port,
      env: {
        ...hub.HUB_ENV,
        CHATHUB_TELEGRAM_API_URL: tg.url,
        CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true',
        CHATHUB_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
    });
    fx = await hub.makeOrgFixture(cl, 'clusterbots', { operators: 0 });
    conn = await ch.connect(cl, fx.token, fx.orgId, 'telegram', tg.addBot(), 'Cluster bot');
    secret = tg.webhook(conn.botToken).secret_token;
  });
  after(async () => {
    if (cl) await cl.stop();
    if (tg) await tg.close();
  });

  test(`${CHATS} chats × ${REPLIES} replies, slow answers, the sending process killed mid-delivery: each reply once, in order per chat`, { timeout: DELIVERED_WITHIN_MS + 60000 }, async (t) => {
    // the customers write first (through any process: haproxy), one chat each
    const users = Array.from({ length: CHATS }, (_, i) => telegram.user(910001 + i, `Customer ${i + 1}`));
    for (const u of users) {
      const r = await tg.sendUpdate(cl.base, conn.path, tg.textUpdate(u, `hello from ${u.first_name}`), { secret });
      assert.equal(r.status, 200, `update of ${u.id}: ${r.status} ${r.text}`);
    }
    const chatOf = {};
    for (const u of users) {
      const c = await hub.pollUntil(async () => (await hub.listChats(cl, fx.token, `tg_user_id=${u.id}`)).items[0],
        { ms: 15000, every: 100, what: `the chat of ${u.id}` });
      chatOf[u.id] = c.id;
    }

    tg.delay(ANSWER_DELAY_MS);
    tg.fail('rate', { retryAfter: 1, chatId: users[0].id });
    const expected = {};
    // every chat's replies in order, the chats at once, each reply through any process
    await Promise.all(users.map(async (u) => {
      expected[u.id] = [];
      for (let k = 1; k <= REPLIES; k++) {
        const text = `reply ${k} to ${u.id}`;
        await hub.postMessage(cl, fx.token, chatOf[u.id], { textMessage: text });
        expected[u.id].push(text);
      }
    }));

    // a send in flight: kill the process that made it
    const inflight = await tg.waitFor(() => tg.state.attempts.find((a) => a.outcome === null && !a.injected && a.remotePort),
      { ms: 30000, what: 'a send in flight' });
    const victim = nodeOfSourcePort(cl, inflight.remotePort);
    assert.ok(victim, `the process of the in-flight send (source port ${inflight.remotePort}) was not found`);
    await cl.kill(victim);
    const killedAt = Date.now();
    await tg.waitFor(() => inflight.outcome !== null, { ms: 10000, what: 'the killed send to end' });
    assert.equal(inflight.outcome, 'aborted', 'the killed process\'s send was cut before its answer');
    await cl.restart(victim);
    t.diagnostic(`killed node${victim} during "${inflight.text}" to ${inflight.chatId}; restarted after ${Date.now() - killedAt} ms`);

    // everything arrives, once, in order per chat
    await tg.waitFor(() => users.every((u) => tg.sendsTo(u.id).length >= expected[u.id].length),
      { ms: DELIVERED_WITHIN_MS, what: 'every reply delivered' }).catch((e) => {
      const got = users.map((u) => `${u.id}: ${tg.sendsTo(u.id).length}/${expected[u.id].length}`).join(', ');
      throw new Error(`${e.message} (${got})\n${cl.stderr().slice(-3000)}`);
    });
    await h.sleep(3000);
    for (const u of users) {
      assert.deepEqual(tg.sendsTo(u.id).map((s) => s.text), expected[u.id], `chat of ${u.id}: each reply once, in order`);
      // no later reply of a chat was attempted before an earlier one went out
      const attempts = tg.attemptsTo(u.id).filter((a) => a.outcome !== 'aborted');
      let next = 0;
      for (const a of attempts) {
        assert.equal(a.text, expected[u.id][next], `chat ${u.id}: attempt of "${a.text}" while "${expected[u.id][next]}" was not delivered`);
        if (a.outcome === 'sent') next++;
      }
    }
    const first = tg.attemptsTo(users[0].id);
    assert.equal(first[0].outcome, '429', 'the injected rate limit was met');
    t.diagnostic(`attempts: ${tg.state.attempts.length} (${tg.state.attempts.filter((a) => a.outcome === 'aborted').length} aborted) for ${CHATS * REPLIES} replies`);
    assert.equal(NODES.filter((n) => cl.nodeAlive(n)).length, 3, 'all three processes up');
  });
});
