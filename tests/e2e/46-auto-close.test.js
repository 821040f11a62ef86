'use strict';
// Issue 13: auto-close and capacity. An organization's autoCloseWaitingMinutes
// (default 1440), autoCloseOpenMinutes and autoCloseOnPauseMinutes (default 0 =
// never) in GET/PUT /api/company/organization/{id}; the sweep (every second
// here: auto_close_interval_seconds) closes a chat silent for longer with a
// system message saying why, then status Closed, with the events to both
// sides, once; a chat that got a message is not closed; OnPause is never
// closed by default; OnPause chats do not count toward maxChatsPerOperator.
//
// "Silent for a day" without waiting a day: the test moves a chat's times back
// in the database itself (sqlite3 on the server's file; psql on PostgreSQL,
// single process or cluster), as if its messages were that old.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFile } = require('node:child_process');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const MIN = 60000;

function run(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: 30000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${file}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

// Moves every time of the chats `minutes` into the past: their creation, their
// newest message and their last status change (0 stays 0: "never").
async function age(srv, chatIds, minutes) {
  const d = minutes * MIN;
  const back = (col) => `${col} = CASE WHEN ${col} > 0 THEN ${col} - ${d} ELSE 0 END`;
  const sql = `UPDATE chats SET created_at = created_at - ${d}, activity_at = activity_at - ${d}, `
    + `${back('last_message_at')}, ${back('status_at')} WHERE id IN (${chatIds.join(', ')})`;
  if (srv.storeUrl) await run('psql', [srv.storeUrl, '-v', 'ON_ERROR_STOP=1', '-qAtX', '-c', sql]);
  else await run('sqlite3', ['-cmd', '.timeout 20000', srv.dbPath, sql]);
}

describe('auto-close and capacity', () => {
  let srv;
  let co;
  let n = 0;

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_AUTO_CLOSE_INTERVAL_SECONDS: '1' } });
    co = await h.makeCompany(srv, 'autocloseco');
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const newOrg = (opts) => hub.addOrg(srv, co, `Auto-close org ${++n}`, opts);
  const op = (o, i) => hub.connectHub(srv.base, o.ops[i].token, { label: `op${i + 1}` });
  const chatOf = (o, id) => hub.getChat(srv, co.token, id, `&organizationId=${o.orgId}`);
  const put = (orgId, body, token = co.token) => h.api(srv.base, 'PUT', `/api/company/organization/${orgId}`, { token, body });
  const isClose = (m) => m.author === 2 && /^Closed automatically: /.test(m.textMessage);

  // A visitor's chat assigned to the connected operator a, answered by it (Waiting).
  async function waitingChat(o, a, text) {
    const v = await hub.visitorChat(srv, o.guid, text);
    await a.waitFor('ChatAssigned', (c) => c.id === v.chatId);
    await a.invoke('SendMessage', v.chatId, `answer to ${text}`, crypto.randomUUID());
    await a.waitFor('ChatStatusChanged', (id, s) => id === v.chatId && s === 2);
    return v;
  }

  // The close of chat id as client c saw it: the system message, then the status.
  async function seenClosed(c, id, what) {
    const [m] = await c.waitFor('ReceiveMessage', (x) => x.chatId === id && x.author === 2, { ms: 15000, what: `${what}: system message` });
    await c.waitFor('ChatStatusChanged', (cid, s) => cid === id && s === 4, { ms: 15000, what: `${what}: Closed` });
    const i = c.events.findIndex((e) => e.name === 'ReceiveMessage' && e.args[0].chatId === id && e.args[0].author === 2);
    const k = c.events.findIndex((e) => e.name === 'ChatStatusChanged' && e.args[0] === id && e.args[1] === 4);
    assert.ok(i >= 0 && k > i, `${what}: the message comes before the status`);
    return m;
  }

  test('organization settings: defaults, changes, bounds; another company\'s organization is 404', async () => {
    const o = await newOrg({ operators: 0 });
    const g = await hub.orgInfo(srv, co.token, o.orgId);
    assert.equal(g.autoCloseWaitingMinutes, 1440, 'Waiting: a day by default');
    assert.equal(g.autoCloseOpenMinutes, 0, 'Open: never by default');
    assert.equal(g.autoCloseOnPauseMinutes, 0, 'OnPause: never by default');
    let r = await put(o.orgId, { autoCloseOpenMinutes: 30 });
    h.assertOk(r);
    assert.deepEqual([r.json.autoCloseWaitingMinutes, r.json.autoCloseOpenMinutes, r.json.autoCloseOnPauseMinutes], [1440, 30, 0]);
    r = await put(o.orgId, { autoCloseWaitingMinutes: 0, autoCloseOnPauseMinutes: 525600, autoCloseOpenMinutes: null });
    h.assertOk(r);
    assert.deepEqual([r.json.autoCloseWaitingMinutes, r.json.autoCloseOpenMinutes, r.json.autoCloseOnPauseMinutes], [0, 30, 525600],
      'absent or null: unchanged');
    for (const [body, code] of [
      [{ autoCloseWaitingMinutes: -1 }, 1003], [{ autoCloseOpenMinutes: 525601 }, 1003],
      [{ autoCloseOnPauseMinutes: '60' }, 1001], [{ autoCloseWaitingMinutes: 1.5 }, 1001],
      [{ autoCloseWaitingMinutes: true }, 1001], [{ autoCloseOpenMinutes: 60, autoCloseWaitingMinutes: -5 }, 1003],
    ]) {
      r = await put(o.orgId, body);
      h.assertError(r, 400, code);
    }
    const after = await hub.orgInfo(srv, co.token, o.orgId);
    assert.deepEqual([after.autoCloseWaitingMinutes, after.autoCloseOpenMinutes, after.autoCloseOnPauseMinutes], [0, 30, 525600],
      'a refused change writes nothing');
    const other = await h.makeCompany(srv, 'autocloseother');
    h.assertError(await put(o.orgId, { autoCloseWaitingMinutes: 5 }, other.token), 404, 3001);
    assert.equal((await hub.orgInfo(srv, co.token, o.orgId)).autoCloseWaitingMinutes, 0);
  });

  test('a silent Waiting chat is closed once, with a system message and events to both sides; one that got a message is not', async () => {
    const o = await newOrg({ operators: 1, maxChats: 5 });
    const a = await op(o, 0);
    const silent = await waitingChat(o, a, 'silent');
    const talked = await waitingChat(o, a, 'talked');
    await age(srv, [silent.chatId, talked.chatId], 1000);
    // 1000 minutes ago: not due yet; a reminder from the operator now
    await a.invoke('SendMessage', talked.chatId, 'are you still there?', crypto.randomUUID());
    await age(srv, [silent.chatId, talked.chatId], 1000); // silent: 2000 minutes; talked: 1000 since its reminder
    const m = await seenClosed(a, silent.chatId, 'operator side');
    const mv = await seenClosed(silent, silent.chatId, 'visitor side');
    hub.assertMessage(m, { author: 2, operator: null });
    assert.equal(m.textMessage, 'Closed automatically: no reply from the client for 24 hours.');
    assert.equal(mv.textMessage, m.textMessage);
    assert.equal(mv.seq, 3, 'the visitor\'s message, the answer, then the notice');
    const c = await chatOf(o, silent.chatId);
    hub.assertChat(c, { chatStatus: 4 });
    assert.equal(c.operator && c.operator.id, o.ops[0].id, 'the operator stays on the closed chat');
    assert.equal(c.lastMessage, m.textMessage);
    await h.sleep(2500); // more sweeps, on every process
    const msgs = await hub.allMessages(srv, co.token, silent.chatId);
    hub.assertContiguous(msgs);
    assert.equal(msgs.filter(isClose).length, 1, 'closed once: one system message');
    assert.equal(a.all('ChatStatusChanged', (id, s) => id === silent.chatId && s === 4).length, 1, 'one ChatStatusChanged');
    assert.equal((await chatOf(o, talked.chatId)).chatStatus, 2, 'the chat with a message since is still Waiting');
    assert.equal((await hub.allMessages(srv, co.token, talked.chatId)).filter(isClose).length, 0);
  });

  test('OnPause is never closed by default; the organization\'s setting closes it, Open likewise', async () => {
    const o = await newOrg({ operators: 1, maxChats: 5 });
    const a = await op(o, 0);
    const parked = await waitingChat(o, a, 'parked');
    h.assertOk(await hub.setChatStatus(srv, co.token, parked.chatId, 3));
    const open = await hub.visitorChat(srv, o.guid, 'open');
    await a.waitFor('ChatAssigned', (c) => c.id === open.chatId);
    await age(srv, [parked.chatId, open.chatId], 400 * 24 * 60); // over a year
    await h.sleep(2500);
    assert.equal((await chatOf(o, parked.chatId)).chatStatus, 3, 'an operator\'s parked chat stays');
    assert.equal((await chatOf(o, open.chatId)).chatStatus, 1, 'Open: never by default');
    h.assertOk(await put(o.orgId, { autoCloseOnPauseMinutes: 90 }));
    const m = await seenClosed(a, parked.chatId, 'OnPause');
    assert.equal(m.textMessage, 'Closed automatically: on pause with no new message for 90 minutes.');
    await seenClosed(parked, parked.chatId, 'OnPause, visitor side');
    assert.equal((await chatOf(o, open.chatId)).chatStatus, 1);
    h.assertOk(await put(o.orgId, { autoCloseOpenMinutes: 60 }));
    const mo = await seenClosed(a, open.chatId, 'Open');
    assert.equal(mo.textMessage, 'Closed automatically: no new message for 1 hour.');
  });

  test('OnPause chats do not count toward maxChatsPerOperator', async () => {
    const o = await newOrg({ operators: 1, maxChats: 2 });
    const a = await op(o, 0);
    const v1 = await waitingChat(o, a, 'one');
    const v2 = await waitingChat(o, a, 'two');
    const v3 = await hub.visitorChat(srv, o.guid, 'three');
    await a.waitFor('ChatCreated', (c) => c.id === v3.chatId);
    await h.sleep(500);
    assert.equal(a.all('ChatAssigned', (c) => c.id === v3.chatId).length, 0, 'two Waiting chats fill two seats');
    // parking a chat frees its seat: the queued chat follows at once
    h.assertOk(await hub.setChatStatus(srv, co.token, v1.chatId, 3));
    await a.waitFor('ChatAssigned', (c) => c.id === v3.chatId && c.operator.id === o.ops[0].id, { what: 'queued chat after a pause' });
    h.assertOk(await hub.setChatStatus(srv, co.token, v2.chatId, 3));
    h.assertOk(await hub.setChatStatus(srv, co.token, v3.chatId, 3));
    // maxChatsPerOperator OnPause chats (and one more): new chats still come
    const v4 = await hub.visitorChat(srv, o.guid, 'four');
    const [x] = await a.waitFor('ChatAssigned', (c) => c.id === v4.chatId, { what: 'a new chat with three parked' });
    assert.equal(x.operator.id, o.ops[0].id);
    const v5 = await hub.visitorChat(srv, o.guid, 'five');
    await a.waitFor('ChatAssigned', (c) => c.id === v5.chatId, { what: 'the second seat' });
    const v6 = await hub.visitorChat(srv, o.guid, 'six');
    await a.waitFor('ChatCreated', (c) => c.id === v6.chatId);
    await h.sleep(500);
    assert.equal(a.all('ChatAssigned', (c) => c.id === v6.chatId).length, 0, 'the two Open chats fill the seats');
    hub.assertChat(await chatOf(o, v6.chatId), { chatStatus: 0, operator: null });
  });
});
