'use strict';
// CSAT: the visitor rates its closed chat 1-5 with an optional comment, over
// REST (POST /api/widget/{guid}/csat) and the hub (RateChat). The chat object
// (REST list, hub, the visitor's and the operator side's) carries "csat";
// ChatRated(chat) reaches the operator side and the visitor. Rules: only the
// chat's own visitor, only a Closed chat, only with the organization's
// csatEnabled (on by default, in the organization and the widget config),
// once per close (reopened and closed again: rated again). Each rating is the
// organization event csat.submitted ({rating}; the comment only in the chat
// object attached when the event is read). Hostile input:
// another visitor, an open chat, rating 0/6/"5"/missing, a long or invalid
// comment, CSAT off, twice.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('CSAT', () => {
  let srv;
  let o; // company, its org with 2 operators
  let rival; // another company

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'csatco', { operators: 2 });
    rival = await hub.makeOrgFixture(srv, 'csatrival', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const rate = (v, guid, body) => h.api(srv.base, 'POST', `/api/widget/${guid}/csat`,
    { token: v.session.visitorToken, body });
  const close = async (chatId) => h.assertOk(await hub.setChatStatus(srv, o.token, chatId, 4));
  const csatEvents = async (fx, chatId) => {
    const r = await h.api(srv.base, 'GET', `/api/events?organizationId=${fx.orgId}&after=0&limit=1000`, { token: fx.token });
    h.assertOk(r);
    return r.json.events.filter((e) => e.type === 'csat.submitted' && (!chatId || (e.chat && e.chat.id === chatId)));
  };

  test('the organization and the widget config say csatEnabled, on by default', async () => {
    const org = await hub.orgInfo(srv, o.token, o.orgId);
    assert.equal(org.csatEnabled, true);
    const r = await h.api(srv.base, 'GET', `/api/widget/${o.guid}/config`);
    h.assertOk(r);
    assert.equal(r.json.csatEnabled, true);
    h.assertError(await h.api(srv.base, 'PUT', `/api/company/organization/${o.orgId}`,
      { token: o.token, body: { csatEnabled: 'yes' } }), 400, 1001, 'csatEnabled: must be true or false');
  });

  test('REST rating of a closed chat: the chat object, ChatRated on both sides, once per close', async () => {
    const [a, b] = o.ops;
    const v = await hub.visitorChat(srv, o.guid, 'my order is late');
    const chatId = v.chatId;
    const opA = await hub.connectHub(srv.base, a.token, { label: 'op A' });
    const opB = await hub.connectHub(srv.base, b.token, { label: 'op B' });
    let chat = await hub.getChat(srv, o.token, chatId);
    assert.equal(chat.csat, null, 'no rating yet');
    await close(chatId);
    const marks = [v.mark(), opA.mark(), opB.mark()];
    const r = await rate(v, o.guid, { chatId, rating: 4, comment: '  Quick and kind, thanks!\n' });
    h.assertOk(r);
    assert.equal(r.json.id, chatId);
    assert.equal(r.json.chatStatus, 4);
    assert.equal(r.json.csat.rating, 4);
    assert.equal(r.json.csat.comment, 'Quick and kind, thanks!', 'trimmed');
    assert.match(r.json.csat.at, hub.ISO_RE);
    assert.equal(r.json.labels, undefined, "the visitor's chat object has no labels");
    const [evA] = await opA.waitFor('ChatRated', (c) => c.id === chatId, { from: marks[1] });
    assert.deepEqual(evA.csat, r.json.csat);
    assert.ok(Array.isArray(evA.labels), 'the operator side gets the staff chat object');
    await opB.waitFor('ChatRated', (c) => c.id === chatId, { from: marks[2] });
    const [evV] = await v.waitFor('ChatRated', (c) => c.id === chatId, { from: marks[0] });
    assert.deepEqual(evV.csat, r.json.csat);
    // the chat object everywhere
    chat = await hub.getChat(srv, o.token, chatId);
    assert.deepEqual(chat.csat, r.json.csat, 'REST chat list (company)');
    chat = await hub.getChat(srv, a.token, chatId);
    assert.deepEqual(chat.csat, r.json.csat, 'REST chat list (operator)');
    const sync = await opA.invoke('Sync', { chats: { [chatId]: 0 } });
    assert.deepEqual(sync.chats.find((c) => c.id === chatId).csat, r.json.csat, 'operator Sync');
    const vsync = await v.invoke('Sync', { chats: { [chatId]: 0 } });
    assert.deepEqual(vsync.chats.find((c) => c.id === chatId).csat, r.json.csat, 'visitor Sync');

    // twice: 409, nothing changes, no second event
    h.assertError(await rate(v, o.guid, { chatId, rating: 1 }), 409, 3002, 'already rated');
    assert.match(await v.invokeError('RateChat', chatId, 2, null), /already rated/);
    chat = await hub.getChat(srv, o.token, chatId);
    assert.equal(chat.csat.rating, 4);
    await h.sleep(h.TEST_CLUSTER ? 1500 : 300);
    assert.equal(opA.all('ChatRated', (c) => c.id === chatId, marks[1]).length, 1, 'one event per rating');

    // reopened (by the operator), then closed again: it may be rated again
    h.assertOk(await hub.setChatStatus(srv, o.token, chatId, 1));
    assert.match(await v.invokeError('RateChat', chatId, 5), /only a closed chat can be rated/);
    await close(chatId);
    const again = await v.invoke('RateChat', chatId, 5);
    assert.equal(again.csat.rating, 5);
    assert.equal(again.csat.comment, null, 'no comment: null');
    assert.ok(again.csat.at >= r.json.csat.at);
    await opA.waitFor('ChatRated', (c) => c.id === chatId && c.csat.rating === 5, { from: marks[1] });
    chat = await hub.getChat(srv, o.token, chatId);
    assert.deepEqual(chat.csat, again.csat, 'the new rating replaces the old one');

    // the organization's events: one csat.submitted per rating, {rating} only; the chat read as it is now
    const evs = await csatEvents(o, chatId);
    assert.deepEqual(evs.map((e) => e.data), [{ rating: 4 }, { rating: 5 }]);
    for (const e of evs) {
      assert.equal(e.organizationId, o.orgId);
      assert.deepEqual(e.chat.csat, again.csat, 'the chat as it is when the event is read');
      assert.ok(!JSON.stringify(e.data).includes('Quick'), 'no comment in data');
    }
    assert.ok(evs[0].eventSeq < evs[1].eventSeq);
  });

  test('who may rate: only the chat\'s own visitor, only a closed chat', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'hello');
    const other = await hub.visitorChat(srv, o.guid, 'me too');
    const chatId = v.chatId;
    // open chat
    h.assertError(await rate(v, o.guid, { chatId, rating: 5 }), 409, 3002, 'only a closed chat can be rated');
    assert.match(await v.invokeError('RateChat', chatId, 5, 'x'), /only a closed chat can be rated/);
    await close(chatId);
    // another visitor of the same organization: not found (over REST and the hub)
    h.assertError(await rate(other, o.guid, { chatId, rating: 1 }), 404, 3001, 'chat not found');
    assert.match(await other.invokeError('RateChat', chatId, 1), /chat not found/);
    // another company's visitor, and the visitor with another organization's guid
    const stranger = await hub.visitor(srv, rival.guid);
    h.assertError(await rate(stranger, rival.guid, { chatId, rating: 1 }), 404, 3001);
    h.assertError(await rate(v, rival.guid, { chatId, rating: 1 }), 404, 3001, 'unknown widget guid');
    // staff tokens: 403 over REST, refused on the hub
    h.assertError(await h.api(srv.base, 'POST', `/api/widget/${o.guid}/csat`,
      { token: o.ops[0].token, body: { chatId, rating: 3 } }), 403, 2005);
    const opHub = await hub.connectHub(srv.base, o.ops[0].token, { label: 'op' });
    assert.match(await opHub.invokeError('RateChat', chatId, 3), /only the chat's visitor can rate it/);
    // no token
    h.assertError(await h.api(srv.base, 'POST', `/api/widget/${o.guid}/csat`, { body: { chatId, rating: 3 } }), 401);
    // an unknown chat
    h.assertError(await rate(v, o.guid, { chatId: chatId + 100000, rating: 3 }), 404, 3001, 'chat not found');
    // nothing was rated, nothing was recorded
    const chat = await hub.getChat(srv, o.token, chatId);
    assert.equal(chat.csat, null);
    assert.deepEqual(await csatEvents(o, chatId), []);
    assert.deepEqual(await csatEvents(rival), [], "nothing in the other company's events");
    // and now its visitor may
    h.assertOk(await rate(v, o.guid, { chatId, rating: 2, comment: 'slow' }));
  });

  test('bad ratings and comments', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'hello');
    const chatId = v.chatId;
    await close(chatId);
    h.assertError(await rate(v, o.guid, { chatId, rating: 0 }), 400, 1003, 'rating: must be from 1 to 5');
    h.assertError(await rate(v, o.guid, { chatId, rating: 6 }), 400, 1003, 'rating: must be from 1 to 5');
    h.assertError(await rate(v, o.guid, { chatId, rating: -1 }), 400, 1003);
    h.assertError(await rate(v, o.guid, { chatId, rating: '5' }), 400, 1001, 'rating: must be an integer');
    h.assertError(await rate(v, o.guid, { chatId, rating: 4.5 }), 400, 1001, 'rating: must be an integer');
    h.assertError(await rate(v, o.guid, { chatId }), 400, 1002, 'rating: required field missing');
    h.assertError(await rate(v, o.guid, { rating: 5 }), 400, 1002, 'chatId: required field missing');
    h.assertError(await rate(v, o.guid, { chatId, rating: 5, comment: 7 }), 400, 1001, 'comment: must be a string');
    h.assertError(await rate(v, o.guid, { chatId, rating: 5, comment: 'x'.repeat(1001) }), 400, 1003,
      'comment must be at most 1000 bytes of UTF-8');
    h.assertError(await rate(v, o.guid, { chatId, rating: 5, comment: 'é'.repeat(501) }), 400, 1003,
      'comment must be at most 1000 bytes of UTF-8');
    // invalid UTF-8 in the body: the JSON is refused
    const bad = Buffer.concat([Buffer.from(`{"chatId":${chatId},"rating":5,"comment":"a`), Buffer.from([0xff, 0xfe]),
      Buffer.from('"}')]);
    const r = await h.api(srv.base, 'POST', `/api/widget/${o.guid}/csat`, { token: v.session.visitorToken,
      rawBody: bad, headers: { 'Content-Type': 'application/json' } });
    h.assertError(r, 400, 1001);
    // the hub: the same rules
    for (const args of [[chatId, 0], [chatId, 6], [chatId, 100000000000]]) {
      assert.match(await v.invokeError('RateChat', ...args), /rating must be an integer from 1 to 5/);
    }
    for (const args of [[chatId, '5'], [chatId], [chatId, 4.5], [chatId, 5, 7], ['x', 5], [chatId, null]]) {
      assert.match(await v.invokeError('RateChat', ...args), /bad arguments: RateChat/);
    }
    assert.match(await v.invokeError('RateChat', chatId, 5, 'é'.repeat(501)), /comment must be at most 1000 bytes/);
    // a comment of exactly 1,000 bytes (after trimming) is fine
    const ok = await v.invoke('RateChat', chatId, 3, ` ${'é'.repeat(500)} `);
    assert.equal(ok.csat.comment, 'é'.repeat(500));
  });

  test('CSAT off: the widget config says so and a rating is refused', async () => {
    const org = await hub.putOrg(srv, rival.token, rival.orgId, { csatEnabled: false });
    assert.equal(org.csatEnabled, false);
    let r = await h.api(srv.base, 'GET', `/api/widget/${rival.guid}/config`);
    h.assertOk(r);
    assert.equal(r.json.csatEnabled, false);
    const v = await hub.visitorChat(srv, rival.guid, 'hello');
    h.assertOk(await hub.setChatStatus(srv, rival.token, v.chatId, 4));
    r = await h.api(srv.base, 'POST', `/api/widget/${rival.guid}/csat`,
      { token: v.session.visitorToken, body: { chatId: v.chatId, rating: 5 } });
    h.assertError(r, 409, 3002, 'this organization does not ask for ratings');
    assert.match(await v.invokeError('RateChat', v.chatId, 5), /does not ask for ratings/);
    // on again: the same closed chat may be rated
    assert.equal((await hub.putOrg(srv, rival.token, rival.orgId, { csatEnabled: true })).csatEnabled, true);
    assert.equal((await hub.orgInfo(srv, rival.token, rival.orgId)).csatEnabled, true);
    const got = await v.invoke('RateChat', v.chatId, 1, 'no one answered');
    assert.equal(got.csat.rating, 1);
    const evs = await csatEvents(rival, v.chatId);
    assert.deepEqual(evs.map((e) => e.data), [{ rating: 1 }], 'one event: the refused rating recorded none');
    assert.equal(evs[0].chat.csat.comment, 'no one answered');
  });
});
