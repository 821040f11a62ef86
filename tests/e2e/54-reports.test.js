'use strict';
// Reports (docs/reports.md): GET /api/reports/summary and /api/reports/heatmap
// compute an organization's figures for a date range in its time zone from
// its events. A scripted history on the test clock (clock_file: the server's
// wall clock is frozen at the time the test writes into a file, so every
// event's `at` is exactly the instant the script says): two chats opened
// while no operator is online, assigned, answered after known delays (to the
// millisecond, to check the rounding down), transferred, closed, rated,
// reopened by the visitor two hours later, answered and closed again. Every
// figure of the organization and of each operator is compared, EQUAL, with
// the value computed by hand here, and with the same figures recomputed from
// GET /api/events by the definitions of docs/reports.md; the CSV equals the
// JSON. An organization closed all week (New York) counts its visitor's
// message, never the away auto-reply. An API key reads the reports too;
// another company 404; operator and visitor tokens 403; bad input 400.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const DAY = 86400e3;
// The history runs on the day before yesterday (UTC), 10:00 Kyiv (UTC+2 in winter, +3 in summer: 07:00 UTC is
// 09:00 or 10:00 there, the same day either way).
const dayStart = new Date(Math.floor((Date.now() - 2 * DAY) / DAY) * DAY);
const D = dayStart.toISOString().slice(0, 10);
const T0 = dayStart.getTime() + 7 * 3600e3; // server time of step 0
const kyivHour = () => Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Kyiv', hour: 'numeric', hourCycle: 'h23' }).format(T0));
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
  let token; // the company token
  const vis = []; // visitors: their sessions and chat ids
  const clockDir = h.makeTempDir('chathub-clock-');
  const clockFile = path.join(clockDir, 'now');
  let seq = 0;

  // The server's clock reads T0 + t ms from now on (a new file renamed onto the path: never half-written).
  const at = (t) => {
    const tmp = `${clockFile}.${++seq}`;
    fs.writeFileSync(tmp, String(T0 + t));
    fs.renameSync(tmp, clockFile);
  };
  const opToken = (id) => h.api(srv.base, 'POST', '/api/operator/get-token', { token: o.token,
    body: { id, expiresAt: new Date(T0 + 12 * 3600e3).toISOString() } });
  const say = async (v, text) => {
    const c = await hub.connectHub(srv.base, v.session.visitorToken, { label: 'visitor again' });
    const m = await c.invoke('SendMessage', v.chatId, text, crypto.randomUUID());
    assert.equal(m.chatId, v.chatId);
  };
  const rate = (v, rating) => h.api(srv.base, 'POST', `/api/widget/${o.guid}/csat`,
    { token: v.session.visitorToken, body: { chatId: v.chatId, rating } });
  const operatorOf = async (chatId) => {
    const c = await hub.getChat(srv, o.token, chatId);
    return c.operator ? c.operator.id : null;
  };

  before(async () => {
    at(0);
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_CLOCK_FILE: clockFile }, single: true });
    // t = 0: two visitors open chats while no operator is online
    o = await hub.makeOrgFixture(srv, 'reportsco', { operators: 0 });
    rival = await hub.makeOrgFixture(srv, 'reportsrival', { operators: 0 });
    h.assertOk(await h.api(srv.base, 'PUT', `/api/company/organization/${o.orgId}/business-hours`,
      { token: o.token, body: HOURS }));
    const ops = await h.syncOperators(srv, o.token, [{ organizationId: o.orgId, name: 'A' }, { organizationId: o.orgId, name: 'B' }]);
    o.ops = ops;
    for (const [i, op] of ops.entries()) {
      const r = await opToken(op.id);
      h.assertOk(r);
      ops[i].token = r.text.trim();
    }
    for (const v of ['Where is my parcel?', 'Hello']) {
      const c = await hub.visitorChat(srv, o.guid, v);
      vis.push({ session: c.session, chatId: c.chatId });
    }
    night = await hub.addOrg(srv, o.company, 'Night', { operators: 0 });
    h.assertOk(await h.api(srv.base, 'PUT', `/api/company/organization/${night.orgId}/business-hours`,
      { token: o.token, body: { ...HOURS, enabled: true, autoReply: true, timeZone: 'America/New_York' } }));
    await hub.visitorChat(srv, night.guid, 'Anyone there at night?');
    token = await h.companyToken(srv.base, o.company.login, o.company.password);
    const [v1, v2] = vis;
    const [A, B] = ops;

    // t = 600.250 s: A comes online and gets both queued chats
    at(600250);
    const a = await hub.connectHub(srv.base, A.token, { label: 'op A' });
    await hub.pollUntil(async () => (await operatorOf(v2.chatId)) === A.id && (await operatorOf(v1.chatId)) === A.id,
      { what: 'both chats assigned to A' });
    // t = 700 s: A answers chat 1
    at(700000);
    await hub.postMessage(srv, A.token, v1.chatId, { textMessage: 'Let me check' });
    // t = 1400 s: B comes online (nothing queued)
    at(1400000);
    await hub.connectHub(srv.base, B.token, { label: 'op B' });
    // t = 1500.999 s: A answers chat 2 and transfers it to B
    at(1500999);
    await hub.postMessage(srv, A.token, v2.chatId, { textMessage: 'Hi there' });
    await a.invoke('TransferChat', v2.chatId, B.id);
    assert.equal(await operatorOf(v2.chatId), B.id);
    // t = 1700 s: visitor 1 thanks; t = 1800.5 s: A closes chat 1
    at(1700000);
    await say(v1, 'Thanks!');
    at(1800500);
    h.assertOk(await hub.setChatStatus(srv, A.token, v1.chatId, 4));
    // t = 7200 s (two hours in): visitor 1 rates 5; t = 7260 s: writes again, which reopens chat 1 — back in
    // the queue and routed at once to A (no open chat, where B has chat 2)
    at(7200000);
    h.assertOk(await rate(v1, 5));
    at(7260000);
    await say(v1, 'One more thing');
    assert.equal(await operatorOf(v1.chatId), A.id);
    // t = 7300 s: B answers chat 2; t = 7400.001 s: the company closes it
    at(7300000);
    await hub.postMessage(srv, B.token, v2.chatId, { textMessage: 'Done' });
    at(7400001);
    h.assertOk(await hub.setChatStatus(srv, o.token, v2.chatId, 4));
    // t = 9000 s: A answers chat 1 and closes it; t = 9100 s: visitor 2 rates 3
    at(9000000);
    await hub.postMessage(srv, A.token, v1.chatId, { textMessage: 'Sorted' });
    h.assertOk(await hub.setChatStatus(srv, A.token, v1.chatId, 4));
    at(9100000);
    h.assertOk(await rate(v2, 3));
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
    fs.rmSync(clockDir, { recursive: true, force: true });
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
    // by hand, every figure exactly: durations in ms from the script, reported floor(ms / 1000) of the
    // nearest-rank sample (docs/reports.md; dur above)
    const csat = (ratings) => {
      const distribution = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
      for (const x of ratings) distribution[x]++;
      const average = ratings.length ? Math.round((ratings.reduce((x, y) => x + y, 0) * 100) / ratings.length) / 100 : null;
      return { count: ratings.length, average, distribution };
    };
    // queue: both chats from t = 0 to A's assignment at 600.250 s (the reopen routes chat 1 again: no second
    // queue time); first response: chat 1 at 700 s, chat 2 at 1500.999 s (A); resolution: chat 1 closed at
    // 1800.5 s (A) and 9000 s (A, after the reopen assigned it to A), chat 2 at 7400.001 s (B, after the transfer)
    assert.deepEqual(org, {
      conversationsStarted: 2,
      conversationsClosed: 3,
      conversationsReopened: 1,
      messagesIn: 4, // two first messages, "Thanks!", "One more thing"
      messagesOut: 4, // "Let me check", "Hi there", "Done", "Sorted": system messages never count
      timeInQueue: dur([600250, 600250]),
      firstResponseTime: dur([700000, 1500999]),
      resolutionTime: dur([1800500, 7400001, 9000000]),
      csat: csat([5, 3]),
    });
    assert.deepEqual(org.timeInQueue, { count: 2, median: 600, p90: 600 });
    assert.deepEqual(org.firstResponseTime, { count: 2, median: 700, p90: 1500 });
    assert.deepEqual(org.resolutionTime, { count: 3, median: 7400, p90: 9000 });
    assert.deepEqual(org.csat, { count: 2, average: 4, distribution: { 1: 0, 2: 0, 3: 1, 4: 0, 5: 1 } });
    assert.deepEqual(s.operators.map((x) => x.operatorId), [A, B]);
    // A: the first messages came while the chats were queued (organization only); "Thanks!" and "One more
    // thing" while A was chat 1's operator (a message counts before its reopen changes the operator); the
    // reopen itself has no operator (organization only); the rating 5 of chat 1, closed by A
    assert.deepEqual(s.operators[0], {
      operatorId: A,
      conversationsClosed: 2,
      conversationsReopened: 0,
      messagesIn: 2,
      messagesOut: 3,
      timeInQueue: dur([600250, 600250]),
      firstResponseTime: dur([700000, 1500999]),
      resolutionTime: dur([1800500, 9000000]),
      csat: csat([5]),
    });
    assert.deepEqual(s.operators[0].resolutionTime, { count: 2, median: 1800, p90: 9000 });
    // B: chat 2 from the transfer on: "Done", its close by the company, the rating 3
    assert.deepEqual(s.operators[1], {
      operatorId: B,
      conversationsClosed: 1,
      conversationsReopened: 0,
      messagesIn: 0,
      messagesOut: 1,
      timeInQueue: dur([]),
      firstResponseTime: dur([]),
      resolutionTime: dur([7400001]),
      csat: csat([3]),
    });
    assert.deepEqual(s.operators[1].timeInQueue, { count: 0, median: null, p90: null });
    const fb = s.operators[1];
    assert.equal(s.rangeStart, new Date(T0 - kyivHour() * 3600e3).toISOString(), 'local midnight of D in Kyiv');
    assert.equal(s.eventsRead, events.filter((e) => Date.parse(e.at) < Date.parse(s.rangeEnd)).length);

    const mine = recompute(events, Date.parse(s.rangeStart), Date.parse(s.rangeEnd));
    assert.deepEqual({ organization: s.organization, operators: s.operators }, mine);

    // one operator
    const one = await get(`/api/reports/summary?${q(`&operatorId=${B}`)}`);
    h.assertOk(one);
    assert.deepEqual(one.json.operators, [fb]);
    assert.deepEqual(one.json.organization, org);
    // the history's instants are exactly the script's: the events say so
    const times = events.filter((e) => e.type === 'chat.closed').map((e) => Date.parse(e.at) - T0);
    assert.deepEqual(times, [1800500, 7400001, 9000000]);
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
    // by hand: three client messages in Kyiv's hour of T0 (t = 0, 0, 1700 s), one two hours later (7260 s)
    const want = Array.from({ length: 7 }, () => Array(24).fill(0));
    want[wd][kyivHour()] = 3;
    want[wd][kyivHour() + 2] = 1;
    assert.deepEqual(r.json.counts, want);
    const flat = r.json.counts.flat();
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
