'use strict';
// Routing, presence and the offline grace period across three chathub
// processes on one PostgreSQL database (and one Redis bus when
// CHATHUB_TEST_REDIS is set): no chat assigned twice, capacity never
// exceeded, the queue drained oldest first when an operator on another
// process frees capacity, and the chats of the operators of a process killed
// with -9 requeued once its lease ran out and the grace period passed.
// The assertions read the database (REST) and each process's own events (a
// company connection on every process): they hold with or without a bus.
// Needs CHATHUB_TEST_PG (eval "$(scripts/services.sh start all)").

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');

const SKIP = process.env.CHATHUB_TEST_PG ? false : 'needs CHATHUB_TEST_PG (scripts/services.sh start pg)';
const ENV = { ...hub.HUB_ENV, CHATHUB_OFFLINE_GRACE_SECONDS: '1', CHATHUB_NODE_LEASE_MS: '2000' };

describe('three processes on one PostgreSQL', { skip: SKIP }, () => {
  const srv = [];
  let co;
  let o;
  const conns = [];
  let comps;

  before(async () => {
    srv.push(await h.startServer({ env: ENV }));
    for (let i = 1; i < 3; i++) srv.push(await h.startServer({ dataDir: srv[0].dataDir, env: ENV }));
    co = await h.makeCompany(srv[0], 'clusterco');
  });
  after(async () => {
    await hub.closeAllClients();
    for (const s of srv) await s.stop().catch(() => {});
  });

  const chats = async () => (await hub.listChats(srv[0], co.token, `per_page=100&organizationId=${o.orgId}`)).items;

  test('60 visitors at once through three processes, six operators spread over them: each chat assigned once, capacity kept', async () => {
    o = await hub.addOrg(srv[0], co, 'Cluster org', { operators: 6, maxChats: 10 });
    for (let i = 0; i < 6; i++) conns.push(await hub.connectHub(srv[i % 3].base, o.ops[i].token, { label: `op${i} on ${i % 3}` }));
    comps = await Promise.all(srv.map((x, i) => hub.connectHub(x.base, co.token, { label: `company on ${i}` })));
    const visitors = await Promise.all(Array.from({ length: 60 }, (_, i) => hub.visitor(srv[i % 3], o.guid, { name: `Crowd ${i}` })));
    const firsts = await Promise.all(visitors.map((v, i) => v.invoke('SendMessage', null, `crowd ${i}`, crypto.randomUUID())));
    const ids = firsts.map((m) => m.chatId);
    assert.equal(new Set(ids).size, 60, 'one chat per visitor');
    await hub.pollUntil(async () => (await chats()).filter((c) => c.operator).length === 60 || null,
      { ms: 30000, what: 'all 60 chats assigned' });
    await h.sleep(1000);
    // the company's connection on every process hears every assignment (the
    // bus), each exactly once, and all three agree on the operator
    let assigned = null;
    for (const c of comps) {
      const seen = new Map();
      for (const [x] of c.all('ChatAssigned', (y) => ids.includes(y.id) && y.operator)) {
        assert.ok(!seen.has(x.id), `${c.label}: chat ${x.id} assigned twice: ${seen.get(x.id)} and ${x.operator.id}`);
        seen.set(x.id, x.operator.id);
      }
      if (!h.TEST_REDIS) { // without a bus each process hears its own jobs only: their union is the whole
        assigned = assigned || new Map();
        for (const [id, op] of seen) {
          assert.ok(!assigned.has(id), `chat ${id} assigned on two processes: ${assigned.get(id)} and ${op}`);
          assigned.set(id, op);
        }
        continue;
      }
      assert.equal(seen.size, 60, `${c.label} heard every assignment`);
      if (assigned) assert.deepEqual(seen, assigned, `${c.label} agrees with the others`);
      assigned = seen;
    }
    assert.equal(assigned.size, 60);
    const per = {};
    for (const c of await chats()) {
      assert.equal(c.chatStatus, 1, JSON.stringify(c));
      assert.ok(c.operator, JSON.stringify(c));
      assert.equal(assigned.get(c.id), c.operator.id, `REST and the event agree for chat ${c.id}`);
      per[c.operator.id] = (per[c.operator.id] || 0) + 1;
    }
    assert.equal(Object.values(per).reduce((a, b) => a + b, 0), 60);
    for (const [id, k] of Object.entries(per)) assert.ok(k <= 10, `operator ${id} has ${k} > 10 chats`);
  });

  test('capacity freed on another process drains the queue oldest first', async () => {
    const q1 = await hub.visitorChat(srv[0], o.guid, 'queued first');
    await h.sleep(20);
    const q2 = await hub.visitorChat(srv[2], o.guid, 'queued second');
    await h.sleep(500);
    for (const v of [q1, q2]) hub.assertChat(await hub.getChat(srv[1], co.token, v.chatId), { chatStatus: 0, operator: null });
    const B = o.ops[1]; // connected to process 1
    const mine = (await chats()).filter((c) => c.operator && c.operator.id === B.id);
    assert.equal(mine.length, 10);
    h.assertOk(await hub.setChatStatus(srv[2], co.token, mine[0].id, 4)); // closed through process 2
    const x = await hub.pollUntil(async () => {
      const c = await hub.getChat(srv[0], co.token, q1.chatId);
      return c && c.operator ? c : null;
    }, { ms: 10000, what: 'the oldest queued chat assigned' });
    assert.equal(x.operator.id, B.id);
    await h.sleep(500);
    hub.assertChat(await hub.getChat(srv[0], co.token, q2.chatId), { chatStatus: 0, operator: null });
  });

  test('kill -9 of a process: its operators go offline and their chats return to the queue after the grace period', async () => {
    const gone = [o.ops[2].id, o.ops[5].id]; // connected to process 2
    const theirs = (await chats()).filter((c) => c.operator && gone.includes(c.operator.id)).map((c) => c.id);
    assert.ok(theirs.length >= 10, `chats of the operators of process 2: ${theirs.length}`);
    const colleagues = async () => (await h.api(srv[0].base, 'GET', '/api/operator/colleagues', { token: o.ops[0].token })).json;
    for (const c of await colleagues()) assert.equal(c.presence, 'online', JSON.stringify(c));
    await srv[2].kill9();
    await hub.pollUntil(async () => {
      const l = await colleagues();
      return l.every((c) => (gone.includes(c.id) ? c.presence === 'offline' : c.presence === 'online')) || null;
    }, { ms: 15000, what: 'the killed process\'s operators offline, the others online' });
    await hub.pollUntil(async () => {
      const now = await chats();
      return theirs.every((id) => { const c = now.find((x) => x.id === id); return c && !c.operator && c.chatStatus === 0; });
    }, { ms: 15000, what: 'the killed process\'s chats requeued' });
    // everybody else is full: they wait, and nothing went to an operator twice
    const per = {};
    for (const c of await chats()) if (c.operator && c.chatStatus !== 4) per[c.operator.id] = (per[c.operator.id] || 0) + 1;
    for (const [id, k] of Object.entries(per)) assert.ok(k <= 10, `operator ${id} has ${k} > 10 chats`);
    assert.ok(!Object.keys(per).map(Number).some((id) => gone.includes(id)));
  });
});
