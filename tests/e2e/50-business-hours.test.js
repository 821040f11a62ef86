'use strict';
// Issue 14: business hours and away message. An organization's weekly
// schedule in an IANA time zone, with holidays, in GET/PUT
// /api/company/organization/{id}/business-hours; GET /api/widget/{guid}/config
// says businessHours {open, nextOpenAt, awayMessage}; outside hours a new
// chat stays queued, the auto-reply is posted once per chat, and at opening
// time the queue drains to the online operator.
//
// A fake clock: the server runs with clock_offset so that its wall clock is
// LEAD seconds before Monday 2026-11-30 09:00 in Europe/Kyiv (07:00 UTC), the
// opening of the schedule below; the test then waits for that opening.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const OPENING = Date.parse('2026-11-30T07:00:00.000Z'); // Monday 09:00 in Kyiv (UTC+2 in winter)
const LEAD_MS = 20000;
let offsetS = 0; // chosen when the server starts
const serverNow = () => Date.now() + offsetS * 1000;

const AWAY = 'We are closed now: we open at 9:00 (Kyiv time) and will answer then.';
const week = (mon) => ({ mon, tue: [['09:00', '18:00']], wed: [['09:00', '18:00']], thu: [['09:00', '18:00']],
  fri: [['09:00', '17:00']], sat: [], sun: [] });
const KYIV = { enabled: true, timeZone: 'Europe/Kyiv', weekly: week([['09:00', '13:00'], ['14:00', '18:00']]),
  holidays: ['2026-12-25', '2026-12-31'], awayMessage: AWAY, autoReply: true };

describe('business hours', () => {
  let srv;
  let co;
  let other;
  let a; // the organization whose opening the test waits for
  let op; // its operator's hub connection
  let v; // a visitor of a

  const path = (orgId) => `/api/company/organization/${orgId}/business-hours`;
  const put = (orgId, body, token = co.token) => h.api(srv.base, 'PUT', path(orgId), { token, body });
  const config = async (guid) => {
    const r = await h.api(srv.base, 'GET', `/api/widget/${guid}/config`);
    h.assertOk(r);
    return r.json.businessHours;
  };
  const isAway = (m) => m.author === 2 && m.textMessage === AWAY;

  before(async () => {
    offsetS = Math.floor((OPENING - LEAD_MS - Date.now()) / 1000);
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_CLOCK_OFFSET: String(offsetS) } });
    co = await h.makeCompany(srv, 'hoursco');
    other = await h.makeCompany(srv, 'hoursother');
    a = await hub.addOrg(srv, co, 'Kyiv support');
    h.assertOk(await put(a.orgId, KYIV));
    op = await hub.connectHub(srv.base, a.ops[0].token, { label: 'kyiv op' });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('before the opening: closed, the chat stays queued, the auto-reply is posted once', async () => {
    assert.ok(serverNow() < OPENING - 5000, `setup took too long: ${(OPENING - serverNow()) / 1000} s left before the opening`);
    const bh = await config(a.guid);
    assert.deepEqual(bh, { open: false, nextOpenAt: '2026-11-30T07:00:00.000Z', awayMessage: AWAY });

    v = await hub.visitorChat(srv, a.guid, 'Hello, anyone there?');
    const [reply] = await v.waitFor('ReceiveMessage', (m) => m.chatId === v.chatId && isAway(m), { what: 'the auto-reply' });
    assert.equal(reply.seq, 2, 'the auto-reply follows the first message');
    await op.waitFor('ReceiveMessage', (m) => m.chatId === v.chatId && isAway(m), { what: 'the operator side sees it' });
    await v.invoke('SendMessage', v.chatId, 'Still nobody?', crypto.randomUUID());
    await new Promise((r) => setTimeout(r, 700));
    const msgs = await hub.allMessages(srv, co.token, v.chatId);
    assert.deepEqual(msgs.map((m) => [m.author, m.seq]), [[1, 1], [2, 2], [1, 3]], 'one auto-reply, no second');
    assert.ok(!op.events.some((e) => e.name === 'ChatAssigned'), 'nothing is assigned while closed');
    const chat = await hub.getChat(srv, co.token, v.chatId);
    assert.equal(chat.chatStatus, 0, 'still New (queued)');
    assert.equal(chat.operator, null);
    assert.ok(serverNow() < OPENING, 'all of this happened before the opening');
  });

  test('at the opening the queue drains to the online operator and the widget says open', async () => {
    const wait = Math.max(0, OPENING - serverNow()) + 10000;
    const [c] = await op.waitFor('ChatAssigned', (x) => x.id === v.chatId, { ms: wait, what: 'assignment at opening' });
    assert.ok(serverNow() >= OPENING - 1000, `assigned at ${new Date(serverNow()).toISOString()}, not before the opening`);
    assert.equal(c.operator.id, a.ops[0].id);
    const bh = await config(a.guid);
    assert.equal(bh.open, true);
    assert.equal(bh.nextOpenAt, null);
    assert.equal(bh.awayMessage, AWAY);
    const v2 = await hub.visitorChat(srv, a.guid, 'Now you are open');
    await op.waitFor('ChatAssigned', (x) => x.id === v2.chatId, { what: 'a new chat while open' });
    await new Promise((r) => setTimeout(r, 300));
    const msgs = await hub.allMessages(srv, co.token, v2.chatId);
    assert.ok(!msgs.some(isAway), 'no auto-reply while open');
  });

  test('the schedule as stored; the default of an organization without one', async () => {
    const r = await h.api(srv.base, 'GET', path(a.orgId), { token: co.token });
    h.assertOk(r);
    assert.deepEqual(r.json, { ...KYIV, weekly: KYIV.weekly });
    const b = await h.createOrg(srv, co.token, 'No hours');
    const d = await h.api(srv.base, 'GET', path(b.id), { token: co.token });
    h.assertOk(d);
    assert.equal(d.json.enabled, false);
    assert.deepEqual(d.json.weekly.mon, []);
    const info = await hub.orgInfo(srv, co.token, b.id);
    assert.deepEqual(await config(info.guid), { open: true, nextOpenAt: null, awayMessage: null });
  });

  test('a bad schedule is refused, naming the field; another company\'s organization is 404', async () => {
    const bad = async (body, msg) => {
      const r = await put(a.orgId, body);
      h.assertError(r, 400, 1003, msg);
    };
    await bad({ ...KYIV, timeZone: 'Mars/Olympus_Mons' }, 'timeZone: unknown time zone "Mars/Olympus_Mons"');
    await bad({ ...KYIV, timeZone: '../../etc/passwd' }, 'timeZone: must be an IANA time zone name');
    await bad({ ...KYIV, weekly: week([['9:00', '18:00']]) }, 'weekly.mon[0]: start');
    await bad({ ...KYIV, weekly: week([['09:00', '25:00']]) }, 'weekly.mon[0]: end');
    await bad({ ...KYIV, weekly: week([['09:00', '13:00'], ['12:00', '18:00']]) }, 'weekly.mon[1]: overlaps');
    await bad({ ...KYIV, weekly: week([['14:00', '18:00'], ['09:00', '13:00']]) }, 'weekly.mon[1]: overlaps or comes before');
    await bad({ ...KYIV, weekly: week([['22:00', '02:00']]) }, 'weekly.mon[0]: must end after it starts');
    await bad({ ...KYIV, weekly: { ...KYIV.weekly, funday: [] } }, 'weekly.funday: unknown day');
    const many = Array.from({ length: 51 }, (_, i) => new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10));
    await bad({ ...KYIV, holidays: many }, 'holidays: at most 50 dates');
    await bad({ ...KYIV, holidays: ['2027-02-29'] }, 'holidays[0]: not a date');
    await bad({ ...KYIV, awayMessage: 'x'.repeat(1001) }, 'awayMessage: at most 1000 bytes');
    await bad({ ...KYIV, enabled: 'yes' }, 'enabled: must be true or false');
    await bad({ ...KYIV, open: true }, 'open: unknown field');
    const { weekly, ...noWeekly } = KYIV; // eslint-disable-line no-unused-vars
    await bad(noWeekly, 'weekly: required');
    h.assertError(await put(a.orgId, KYIV, other.token), 404, 3001, 'organization not found');
    h.assertError(await h.api(srv.base, 'GET', path(a.orgId), { token: other.token }), 404, 3001,
      'organization not found');
    h.assertError(await put('abc', KYIV), 404, 3001);
    h.assertError(await put(a.orgId, KYIV, a.ops[0].token), 403, 2005);
    const r = await h.api(srv.base, 'GET', path(a.orgId), { token: co.token });
    assert.deepEqual(r.json, KYIV, 'nothing was changed by the refused ones');
  });

  test('a holiday is closed all day; turning business hours off drains the queue', async () => {
    // open every day, all day, but today (Monday 2026-11-30 in Kyiv) is a holiday
    const allDay = [['00:00', '24:00']];
    const o = await hub.addOrg(srv, co, 'Holiday org');
    const sched = { enabled: true, timeZone: 'Europe/Kyiv', holidays: ['2026-11-30'],
      weekly: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay } };
    h.assertOk(await put(o.orgId, sched));
    const p = await hub.connectHub(srv.base, o.ops[0].token, { label: 'holiday op' });
    assert.deepEqual(await config(o.guid), { open: false, nextOpenAt: '2026-11-30T22:00:00.000Z', awayMessage: null });
    const w = await hub.visitorChat(srv, o.guid, 'Open on a holiday?');
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(!p.events.some((e) => e.name === 'ChatAssigned'), 'queued on a holiday');
    const msgs = await hub.allMessages(srv, co.token, w.chatId);
    assert.equal(msgs.length, 1, 'autoReply off: no system message');
    h.assertOk(await put(o.orgId, { ...sched, enabled: false }));
    await p.waitFor('ChatAssigned', (x) => x.id === w.chatId, { what: 'the queue drains when hours are turned off' });
    assert.equal((await config(o.guid)).open, true);
  });
});
