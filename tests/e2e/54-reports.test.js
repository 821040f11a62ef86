'use strict';
// Reports (docs/reports.md): GET /api/reports/summary and /api/reports/heatmap
// compute an organization's figures for a date range in its time zone from
// its events. A scripted history on a moved clock (the server restarts with a
// later CHATHUB_CLOCK_OFFSET between the steps): two chats opened while no
// operator is online, answered after known delays, transferred, closed,
// reopened, closed again and rated. Every figure is compared with the value
// computed by hand here (durations: the planned delay, plus at most the real
// time the steps took, which the test measures) and with the same figure
// recomputed from GET /api/events by the definitions of docs/reports.md; the
// CSV equals the JSON. An organization closed all week (New York) counts its
// visitor's message, never the away auto-reply. An API key reads the reports
// too; another company 404; operator and visitor tokens 403; bad input 400.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const DAY = 86400e3;
// The history runs on the day before yesterday (UTC), 10:00 Kyiv (UTC+2 in winter, +3 in summer: 07:00 UTC is
// 09:00 or 10:00 there, the same day either way).
const dayStart = new Date(Math.floor((Date.now() - 2 * DAY) / DAY) * DAY);
const D = dayStart.toISOString().slice(0, 10);
const T0 = dayStart.getTime() + 7 * 3600e3; // server time of step 0
const NEXT_DAY = new Date(dayStart.getTime() + DAY).toISOString().slice(0, 10);

const HOURS = { enabled: false, timeZone: 'Europe/Kyiv', autoReply: false, awayMessage: '', holidays: [],
  weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } };

// Nearest rank, as docs/reports.md defines it.
function rank(list, p) {
  if (!list.length) return null;
  const s = [...list].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p * s.length) / 100)) - 1];
}
const dur = (ms) => ({ count: ms.length, median: rank(ms, 50) === null ? null : Math.floor(rank(ms, 50) / 1000),
  p90: rank(ms, 90) === null ? null : Math.floor(rank(ms, 90) / 1000) });

// docs/reports.md "Recomputing from GET /api/events", in JavaScript.
function recompute(events, fromMs, toMs) {
  const fig = () => ({ started: 0, closed: 0, reopened: 0, in: 0, out: 0, queue: [], fr: [], res: [], csat: [0, 0, 0, 0, 0] });
  const org = fig();
  const ops = new Map();
  const both = (op, fn) => { fn(org); if (op) { if (!ops.has(op)) ops.set(op, fig()); fn(ops.get(op)); } };
  const chats = new Map();
  for (const e of events) {
    const at = Date.parse(e.at);
    if (at >= toMs) break;
    if (!e.chat && !(e.data && e.data.chatId)) continue;
    const id = e.chat ? e.chat.id : e.data.chatId;
    if (!chats.has(id)) chats.set(id, { created: 0, op: 0, asked: 0, queued: false, answered: false });
    const c = chats.get(id);
    const inRange = at >= fromMs;
    if (e.type === 'message.created') {
      if (e.data.author === 1) {
        if (!c.asked) c.asked = at;
        if (inRange) both(c.op, (f) => f.in++);
      } else if (e.data.author === 0) {
        const first = c.asked && !c.answered;
        const op = e.message && e.message.operator ? e.message.operator.id : 0;
        if (first) { c.answered = true; if (inRange) both(op, (f) => f.fr.push(at - c.asked)); }
        if (inRange) both(op, (f) => f.out++);
      }
    } else if (e.type.startsWith('chat.') && e.type !== 'chat.deleted') {
      const op = e.data.operatorId || 0;
      if (e.type === 'chat.created') { c.created = at; if (inRange) org.started++; }
      c.op = op;
      if ((e.type === 'chat.created' || e.type === 'chat.assigned') && op && !c.queued) {
        c.queued = true;
        if (inRange && c.created) both(op, (f) => f.queue.push(at - c.created));
      }
      if (inRange && e.type === 'chat.closed') {
        both(op, (f) => f.closed++);
        if (c.created) both(op, (f) => f.res.push(at - c.created));
      } else if (inRange && e.type === 'chat.status_changed' && e.data.previousStatus === 4) {
        both(op, (f) => f.reopened++);
      }
    } else if (e.type === 'csat.submitted' && inRange) {
      both(c.op, (f) => f.csat[e.data.rating - 1]++);
    }
  }
  const out = (f, isOrg) => {
    const n = f.csat.reduce((a, b) => a + b, 0);
    const sum = f.csat.reduce((a, b, i) => a + b * (i + 1), 0);
    return {
      ...(isOrg ? { conversationsStarted: f.started } : {}),
      conversationsClosed: f.closed, conversationsReopened: f.reopened, messagesIn: f.in, messagesOut: f.out,
      timeInQueue: dur(f.queue), firstResponseTime: dur(f.fr), resolutionTime: dur(f.res),
      csat: { count: n, average: n ? Math.round((sum * 100) / n) / 100 : null,
        distribution: Object.fromEntries(f.csat.map((v, i) => [String(i + 1), v])) },
    };
  };
  return { organization: out(org, true),
    operators: [...ops.keys()].sort((a, b) => a - b).map((id) => ({ operatorId: id, ...out(ops.get(id), false) })) };
}

// The CSV of a summary back into the JSON's shape (numbers; empty cells null).
function csvToSummary(text) {
  const lines = text.trim().split('\r\n');
  assert.equal(lines[0], 'scope,operatorId,figure,value');
  const org = {};
  const ops = new Map();
  const set = (o, path, v) => {
    const keys = path.split('.');
    let cur = o;
    for (const k of keys.slice(0, -1)) cur = cur[k] || (cur[k] = {});
    cur[keys.at(-1)] = v === '' ? null : Number(v);
  };
  for (const line of lines.slice(1)) {
    const [scope, op, figure, value] = line.split(',');
    if (scope === 'organization') set(org, figure, value);
    else {
      if (!ops.has(op)) ops.set(op, { operatorId: Number(op) });
      set(ops.get(op), figure, value);
    }
  }
  return { organization: org, operators: [...ops.values()] };
}

describe('reports', () => {
  let srv;
  let o; // the company, its organization, operators A and B
  let rival;
  let night; // an organization of the same company, closed all week, in New York
  let token; // the company token, issued on the last step's clock
  const vis = []; // visitors: their sessions and chat ids
  const real = []; // real ms elapsed at each step's actions, from the first step
  let realStart;

  const atStep = async (t) => {
    await hub.closeAllClients();
    await srv.stop();
    srv.env.CHATHUB_CLOCK_OFFSET = String(Math.round((T0 - realStart) / 1000) + t);
    await srv.start();
  };
  const opToken = (id) => h.api(srv.base, 'POST', '/api/operator/get-token', { token: o.token,
    body: { id, expiresAt: new Date(Date.now() + (T0 - realStart) + 12 * 3600e3).toISOString() } });
  const say = async (v, text) => {
    const c = await hub.connectHub(srv.base, v.session.visitorToken, { label: 'visitor again' });
    const m = await c.invoke('SendMessage', v.chatId, text, crypto.randomUUID());
    assert.equal(m.chatId, v.chatId);
  };
  const rate = (v, rating) => h.api(srv.base, 'POST', `/api/widget/${o.guid}/csat`,
    { token: v.session.visitorToken, body: { chatId: v.chatId, rating } });

  before(async () => {
    realStart = Date.now();
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_CLOCK_OFFSET: String(Math.round((T0 - realStart) / 1000)) },
      single: true });
    // step 0 (t = 0): two visitors open chats while no operator is online
    o = await hub.makeOrgFixture(srv, 'reportsco', { operators: 0 });
    rival = await hub.makeOrgFixture(srv, 'reportsrival', { operators: 0 });
    h.assertOk(await h.api(srv.base, 'PUT', `/api/company/organization/${o.orgId}/business-hours`,
      { token: o.token, body: HOURS }));
    const ops = await h.syncOperators(srv, o.token, [{ organizationId: o.orgId, name: 'A' }, { organizationId: o.orgId, name: 'B' }]);
    o.ops = ops;
    for (const v of ['Where is my parcel?', 'Hello']) {
      const c = await hub.visitorChat(srv, o.guid, v);
      vis.push({ session: c.session, chatId: c.chatId });
    }
    night = await hub.addOrg(srv, o.company, 'Night', { operators: 0 });
    h.assertOk(await h.api(srv.base, 'PUT', `/api/company/organization/${night.orgId}/business-hours`,
      { token: o.token, body: { ...HOURS, enabled: true, autoReply: true, timeZone: 'America/New_York' } }));
    await hub.visitorChat(srv, night.guid, 'Anyone there at night?');
    real.push(Date.now() - realStart);
    const [v1, v2] = vis;

    // step 1 (t = 600 s): A comes online and gets both queued chats, answers chat 1
    await atStep(600);
    let r = await opToken(ops[0].id);
    h.assertOk(r);
    ops[0].token = r.text.trim();
    r = await opToken(ops[1].id);
    h.assertOk(r);
    ops[1].token = r.text.trim();
    const a = await hub.connectHub(srv.base, ops[0].token, { label: 'op A' });
    await hub.pollUntil(async () => (await hub.getChat(srv, o.token, v2.chatId)).operator, { what: 'chats assigned' });
    await hub.postMessage(srv, ops[0].token, v1.chatId, { textMessage: 'Let me check' });
    void a;

    // step 2 (t = 1500 s): A answers chat 2 and transfers it to B; visitor 1 writes again; A closes chat 1
    await atStep(1500);
    const a2 = await hub.connectHub(srv.base, ops[0].token, { label: 'op A' });
    await hub.connectHub(srv.base, ops[1].token, { label: 'op B' });
    await hub.postMessage(srv, ops[0].token, v2.chatId, { textMessage: 'Hi there' });
    await a2.invoke('TransferChat', v2.chatId, ops[1].id);
    await say(v1, 'Thanks!');
    h.assertOk(await hub.setChatStatus(srv, ops[0].token, v1.chatId, 4));

    // step 3 (t = 2400 s): visitor 1 rates 5 and writes again (a reopen); B answers and the company closes chat 2
    await atStep(2400);
    h.assertOk(await rate(v1, 5));
    await say(v1, 'One more thing');
    await hub.postMessage(srv, ops[1].token, v2.chatId, { textMessage: 'Done' });
    h.assertOk(await hub.setChatStatus(srv, o.token, v2.chatId, 4));

    // step 4 (t = 3600 s): A closes chat 1 again; visitor 2 rates 3
    await atStep(3600);
    h.assertOk(await hub.setChatStatus(srv, ops[0].token, v1.chatId, 4));
    h.assertOk(await rate(v2, 3));
    real.push(Date.now() - realStart);
    token = await h.companyToken(srv.base, o.company.login, o.company.password);
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const get = (p, opts = {}) => h.api(srv.base, 'GET', p, { token, ...opts });
  const q = (extra = '') => `organizationId=${o.orgId}&from=${D}&to=${D}${extra}`;

  test('every figure equals the hand computation and the recomputation from the events', async () => {
    const r = await get(`/api/reports/summary?${q()}`);
    h.assertOk(r);
    const s = r.json;
    assert.equal(s.timeZone, 'Europe/Kyiv');
    const A = o.ops[0].id;
    const B = o.ops[1].id;
    const org = s.organization;
    // recomputed from GET /api/events: exactly equal
    const events = [];
    for (let after = 0; ;) {
      const e = await get(`/api/events?organizationId=${o.orgId}&after=${after}&limit=1000`);
      h.assertOk(e);
      events.push(...e.json.events);
      if (!e.json.hasMore) break;
      after = e.json.next;
    }
    // by hand: counts exactly
    assert.equal(org.conversationsStarted, 2);
    assert.equal(org.conversationsClosed, 3);
    assert.equal(org.conversationsReopened, 1);
    assert.equal(org.messagesIn, 4, 'two first messages, "Thanks!", "One more thing"');
    assert.equal(org.messagesOut, 3, 'system messages never count');
    assert.deepEqual(org.csat, { count: 2, average: 4, distribution: { 1: 0, 2: 0, 3: 1, 4: 0, 5: 1 } });
    // by hand: durations are the planned delays, plus at most the real time the steps took
    const slack = Math.ceil((real[1] - real[0]) / 1000) + 2;
    const near = (got, want, what) => assert.ok(got >= want - 2 && got <= want + slack, `${what}: ${got} s, by hand ${want} s (+${slack})`);
    const durs = (d, count, median, p90, what) => {
      assert.equal(d.count, count, `${what} count`);
      near(d.median, median, `${what} median`);
      near(d.p90, p90, `${what} p90`);
    };
    durs(org.timeInQueue, 2, 600, 600, 'queue');
    durs(org.firstResponseTime, 2, 600, 1500, 'first response');
    durs(org.resolutionTime, 3, 2400, 3600, 'resolution');
    assert.deepEqual(s.operators.map((x) => x.operatorId), [A, B]);
    const [fa, fb] = s.operators;
    // a reopen puts chat 1 back in the queue (no operator): the reopen and its second close count for the
    // organization only; A closed it once; "One more thing" came while A was still its operator
    assert.deepEqual([fa.conversationsClosed, fa.conversationsReopened, fa.messagesIn, fa.messagesOut], [1, 0, 2, 2]);
    assert.deepEqual([fb.conversationsClosed, fb.conversationsReopened, fb.messagesIn, fb.messagesOut], [1, 0, 0, 1]);
    durs(fa.timeInQueue, 2, 600, 600, 'A queue');
    durs(fb.timeInQueue, 0, null, null, 'B queue');
    durs(fa.firstResponseTime, 2, 600, 1500, 'A first response');
    durs(fa.resolutionTime, 1, 1500, 1500, 'A resolution');
    durs(fb.resolutionTime, 1, 2400, 2400, 'B resolution');
    assert.deepEqual(fa.csat, { count: 1, average: 5, distribution: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 1 } });
    assert.deepEqual(fb.csat, { count: 1, average: 3, distribution: { 1: 0, 2: 0, 3: 1, 4: 0, 5: 0 } });

    const mine = recompute(events, Date.parse(s.rangeStart), Date.parse(s.rangeEnd));
    assert.deepEqual({ organization: s.organization, operators: s.operators }, mine);

    // one operator
    const one = await get(`/api/reports/summary?${q(`&operatorId=${B}`)}`);
    h.assertOk(one);
    assert.deepEqual(one.json.operators, [fb]);
    assert.deepEqual(one.json.organization, org);
  });

  test('the CSV equals the JSON', async () => {
    const j = await get(`/api/reports/summary?${q()}`);
    const c = await get(`/api/reports/summary?${q()}`, { headers: { Accept: 'text/csv' } });
    h.assertOk(c);
    assert.match(c.headers.get('content-type'), /^text\/csv/);
    assert.deepEqual(csvToSummary(c.text), { organization: j.json.organization, operators: j.json.operators });
  });

  test('the heat map counts client messages by weekday and hour in the zone', async () => {
    const r = await get(`/api/reports/heatmap?${q()}`);
    h.assertOk(r);
    const wd = (dayStart.getUTCDay() + 6) % 7; // 0 = Monday
    const kyivHour = Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Kyiv', hour: 'numeric', hourCycle: 'h23' }).format(T0));
    assert.equal(r.json.counts.length, 7);
    const flat = r.json.counts.flat();
    assert.equal(flat.reduce((a, b) => a + b, 0), 4);
    assert.equal(r.json.counts[wd][kyivHour], 4, JSON.stringify(r.json.counts));
    const c = await get(`/api/reports/heatmap?${q()}`, { headers: { Accept: 'text/csv' } });
    const lines = c.text.trim().split('\r\n');
    assert.equal(lines[0], 'weekday,hour,count');
    assert.equal(lines.length, 1 + 168);
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
    lines.slice(1).forEach((l, i) => assert.equal(l, `${days[Math.floor(i / 24)]},${i % 24},${flat[i]}`));
    // another day: nothing
    const next = await get(`/api/reports/summary?organizationId=${o.orgId}&from=${NEXT_DAY}&to=${NEXT_DAY}`);
    assert.equal(next.json.organization.conversationsStarted, 0);
    assert.equal(next.json.organization.resolutionTime.median, null);
  });

  test('outside business hours: the auto-reply counts nowhere; the range is New York days', async () => {
    const r = await get(`/api/reports/summary?organizationId=${night.orgId}&from=${D}&to=${D}`);
    h.assertOk(r);
    assert.equal(r.json.timeZone, 'America/New_York');
    // T0 is 07:00 UTC: 02:00 (winter) or 03:00 (summer) of the same day in New York
    const nyHour = Number(new Intl.DateTimeFormat('en', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' }).format(T0));
    assert.equal(r.json.rangeStart, new Date(T0 - nyHour * 3600e3).toISOString(), 'local midnight of D');
    const org = r.json.organization;
    assert.deepEqual([org.conversationsStarted, org.messagesIn, org.messagesOut, org.timeInQueue.count], [1, 1, 0, 0]);
    assert.deepEqual(r.json.operators, []);
    const e = await get(`/api/events?organizationId=${night.orgId}&limit=1000`);
    assert.deepEqual(e.json.events.filter((x) => x.type === 'message.created').map((x) => x.data.author), [1, 2],
      'the visitor, then the away auto-reply (a system message)');
    const hm = await get(`/api/reports/heatmap?organizationId=${night.orgId}&from=${D}&to=${D}`);
    const wd = (dayStart.getUTCDay() + 6) % 7;
    assert.equal(hm.json.counts[wd][nyHour], 1);
    assert.equal(hm.json.counts.flat().reduce((a, b) => a + b, 0), 1);
  });

  test('another company 404, operator and visitor tokens 403, bad input 400', async () => {
    const rivalToken = await h.companyToken(srv.base, rival.company.login, rival.company.password);
    for (const p of ['summary', 'heatmap']) {
      h.assertError(await get(`/api/reports/${p}?${q()}`, { token: rivalToken }), 404, 3001);
      h.assertError(await get(`/api/reports/${p}?${q()}`, { token: o.ops[0].token }), 403, 2005);
    }
    // an API key reads the same report
    const k = await h.api(srv.base, 'POST', '/api/company/api-keys', { token, body: { name: 'bi' } });
    h.assertOk(k, 201);
    const viaKey = await get(`/api/reports/summary?${q()}`, { token: k.json.key });
    h.assertOk(viaKey);
    assert.deepEqual(viaKey.json, (await get(`/api/reports/summary?${q()}`)).json);
    const v = await hub.widgetSession(srv, o.guid);
    h.assertError(await get(`/api/reports/summary?${q()}`, { token: v.visitorToken }), 403, 2005);
    const bad = async (query, code, msg) => {
      const r = await get(`/api/reports/summary?${query}`);
      h.assertError(r, 400, code, msg);
    };
    await bad(`from=${D}&to=${D}`, 1002, 'organizationId is required');
    await bad(`organizationId=${o.orgId}&to=${D}`, 1002, "from is required (a date YYYY-MM-DD in the organization's time zone)");
    await bad(`organizationId=${o.orgId}&from=2026-13-01&to=${D}`, 1003, 'from must be a date YYYY-MM-DD');
    await bad(`organizationId=${o.orgId}&from=${D}&to=2026-02-30`, 1003, 'to is not a date of the calendar (2026-02-30)');
    await bad(`organizationId=${o.orgId}&from=${D}&to=yesterday`, 1003, 'to must be a date YYYY-MM-DD');
    await bad(`organizationId=${o.orgId}&from=${NEXT_DAY}&to=${D}`, 1003, 'to is before from');
    await bad(`organizationId=${o.orgId}&from=2024-01-01&to=2025-01-01`, 1003, 'the range is longer than 366 days');
    await bad(`organizationId=x&from=${D}&to=${D}`, 1001);
  });
});
