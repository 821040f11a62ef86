'use strict';
// N1: the integration surfaces of a company (events and their replay,
// webhooks, client erasure and export, business hours, CSAT) against another
// company and against visitors, while the bystanders talk. Mallory, a company
// of her own, and a visitor of company A try every route on A's ids: each
// answers 404 (as if A's ids did not exist) or 403, changes nothing, and A's
// conversation, events and client stay whole. A visitor cannot rate a chat
// that is not its own, rate twice, or rate an open chat. A webhook cannot be
// pointed at the server's own network.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

describe('N1 integrations: events, webhooks, erasure, export, business hours, CSAT', () => {
  test('another company and a visitor reach nothing of company A, and change nothing', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const mallory = await h.makeCompany(srv, 'n1-mallory');
    const a = by.a;
    const clientId = by.visitor.session.clientId;
    const eventsBefore = await h.api(srv.base, 'GET', `/api/events?organizationId=${a.orgId}&limit=1000`, { token: a.token });
    p.check(eventsBefore.status === 200 && eventsBefore.json.events.length > 0, `A's events: ${h.describeRes(eventsBefore)}`);
    by.start();

    // another company, on A's ids: as if they did not exist
    const asMallory = [
      ['GET', `/api/events?organizationId=${a.orgId}`],
      ['GET', `/api/client/${clientId}/export`],
      ['DELETE', `/api/client/${clientId}`],
      ['GET', `/api/company/organization/${a.orgId}/business-hours`],
      ['PUT', `/api/company/organization/${a.orgId}/business-hours`,
        { enabled: true, timeZone: 'UTC', weekly: { mon: [] }, holidays: [] }],
      ['POST', '/api/company/webhooks', { url: 'https://example.com/hook', organizationId: a.orgId }],
    ];
    for (const [method, path, body] of asMallory) {
      const r = await atk.api(srv, method, path, { token: mallory.token, body });
      p.check(r.status === 404, `mallory ${method} ${path}: ${atk.describe(r)} (expected 404)`);
    }
    // A's webhook is not Mallory's to read, test, enable or delete
    const hook = await h.api(srv.base, 'POST', '/api/company/webhooks',
      { token: a.token, body: { url: 'https://example.com/a-hook', organizationId: a.orgId } });
    p.check(hook.status === 201, `A's webhook: ${h.describeRes(hook)}`);
    const hid = hook.json && hook.json.id;
    for (const [method, path] of [['GET', `/api/company/webhooks/${hid}`], ['DELETE', `/api/company/webhooks/${hid}`],
      ['POST', `/api/company/webhooks/${hid}/enable`], ['POST', `/api/company/webhooks/${hid}/test`]]) {
      const r = await atk.api(srv, method, path, { token: mallory.token });
      p.check(r.status === 404, `mallory ${method} ${path}: ${atk.describe(r)} (expected 404)`);
    }
    const mine = await atk.api(srv, 'GET', '/api/company/webhooks', { token: mallory.token });
    p.check(mine.status === 200 && Array.isArray(mine.json) && mine.json.length === 0, `mallory's webhooks: ${atk.describe(mine)}`);
    // a webhook at the server's own network is refused (outbound_allow_private is off here)
    for (const url of ['http://127.0.0.1:9/x', 'http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data']) {
      const r = await atk.api(srv, 'POST', '/api/company/webhooks', { token: mallory.token, body: { url } });
      p.check(r.status === 400, `a webhook at ${url}: ${atk.describe(r)} (expected 400)`);
    }

    // a visitor of A: none of the company's routes
    const vtok = by.visitor.session.visitorToken;
    for (const [method, path, body] of [...asMallory, ['GET', '/api/company/webhooks']]) {
      const r = await atk.api(srv, method, path, { token: vtok, body });
      p.check(r.status === 403, `a visitor ${method} ${path}: ${atk.describe(r)} (expected 403)`);
    }
    // CSAT: another visitor cannot rate A's visitor's chat; nobody rates an open chat
    const eve = await hub.widgetSession(srv, a.guid, { name: 'Eve' });
    let r = await atk.api(srv, 'POST', `/api/widget/${a.guid}/csat`, { token: eve.visitorToken, body: { chatId: by.chatId, rating: 1 } });
    p.check(r.status === 404, `another visitor rating the chat: ${atk.describe(r)} (expected 404)`);
    r = await atk.api(srv, 'POST', `/api/widget/${a.guid}/csat`, { token: vtok, body: { chatId: by.chatId, rating: 5 } });
    p.check(r.status === 409, `rating an open chat: ${atk.describe(r)} (expected 409)`);
    r = await atk.api(srv, 'POST', `/api/widget/${a.guid}/csat`, { token: vtok, body: { chatId: by.chatId, rating: 5, comment: 'x'.repeat(5000) } });
    p.check(r.status === 400 || r.status === 409, `a 5,000-byte comment: ${atk.describe(r)}`);

    await by.stop();
    // nothing of A changed: its client, its chat's rating, its events
    const client = await h.api(srv.base, 'GET', `/api/client/${clientId}`, { token: a.token });
    p.check(client.status === 200 && client.json.name === 'Bystander visitor' && !client.json.erased,
      `A's client after the attempts: ${h.describeRes(client)}`);
    const chat = await hub.getChat(srv, a.token, by.chatId);
    p.check(chat && chat.csat === null, `A's chat has no rating: ${JSON.stringify(chat && chat.csat)}`);
    const hours = await h.api(srv.base, 'GET', `/api/company/organization/${a.orgId}/business-hours`, { token: a.token });
    p.check(hours.status === 200 && hours.json.enabled === false, `A's business hours: ${h.describeRes(hours)}`);
    const after = await h.api(srv.base, 'GET', `/api/events?organizationId=${a.orgId}&limit=1000`, { token: a.token });
    p.check(after.status === 200, `A's events after: ${h.describeRes(after)}`);
    const seqs = after.json.events.map((e) => e.eventSeq);
    p.check(seqs.every((s, i) => s === i + 1), `A's events are gap-free: ${seqs.slice(0, 20).join(',')}…`);
    p.check(!after.json.events.some((e) => e.type === 'client.erased' || e.type === 'csat.submitted'),
      'no erasure or rating of A was recorded');
    const mineEvents = await h.api(srv.base, 'GET', `/api/events?organizationId=${mallory.orgId}`, { token: mallory.token });
    p.check(mineEvents.status === 200 && mineEvents.json.events.every((e) => e.organizationId === mallory.orgId),
      `mallory's own events: ${h.describeRes(mineEvents)}`);
    t.diagnostic(`A's events: ${seqs.length}`);
    await by.verify(t, p);
    p.assertNone('N1 expectations');
  });
});
