'use strict';
// web/shared/hub-client.js, the hub client the widgets are built on, run in
// Node with the `ws` package: it connects, delivers events, resends reliable
// calls typed while the server is down exactly once after it is back, calls
// onReconnected (where Sync goes), and reports token errors with their codes.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const WebSocket = require('ws');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('web hub client', () => {
  let srv;
  let o;
  let HubClient;
  const clients = [];

  before(async () => {
    ({ HubClient } = await import(pathToFileURL(path.join(__dirname, '../../web/shared/hub-client.js')).href));
    srv = await h.startServer({ env: hub.HUB_ENV });
    const co = await h.makeCompany(srv, 'webclientco');
    o = await hub.addOrg(srv, co, 'Web client org', { operators: 1 });
    o.companyToken = co.token;
  });
  after(async () => {
    for (const c of clients) c.stop();
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  function client(token, extra = {}) {
    const c = { events: [], states: [], reconnects: 0 };
    c.hub = new HubClient({
      url: `${srv.base}/chathub`, token: () => token, WebSocket, minDelay: 100, maxDelay: 500,
      onEvent: (name, args) => c.events.push([name, args]),
      onState: (s, info) => c.states.push([s, info]),
      onReconnected: () => { c.reconnects++; },
      ...extra,
    });
    clients.push(c.hub);
    return c;
  }

  test('connects, sends reliably, and messages typed while the server is down arrive exactly once', async () => {
    const s = await hub.widgetSession(srv, o.guid, { name: 'Web visitor' });
    const v = client(s.visitorToken);
    await v.hub.start();
    assert.equal(v.hub.state, 'connected');
    const first = await v.hub.invokeReliable('SendMessage', null, 'hello from the widget', crypto.randomUUID());
    assert.equal(first.seq, 1);
    const chatId = first.chatId;

    await srv.kill9();
    await hub.pollUntil(() => v.states.some(([st]) => st === 'reconnecting'), { ms: 5000, what: 'reconnecting state' });
    const offline = ['one', 'two', 'three'].map((t) => v.hub.invokeReliable('SendMessage', chatId, `offline ${t}`, crypto.randomUUID()));
    await srv.restart();
    const stored = await Promise.all(offline);
    assert.deepEqual(stored.map((m) => m.seq), [2, 3, 4]);
    assert.ok(v.reconnects >= 1, 'onReconnected ran');
    const sync = await v.hub.invoke('Sync', { chats: { [chatId]: 0 } });
    assert.deepEqual(sync.messages.map((m) => m.textMessage),
      ['hello from the widget', 'offline one', 'offline two', 'offline three']);
    const all = await hub.allMessages(srv, o.companyToken, chatId);
    assert.equal(all.length, 4, 'each message exactly once');
    v.hub.stop();
  });

  test('events arrive; an operator reply reaches the visitor client', async () => {
    const s = await hub.widgetSession(srv, o.guid, { name: 'Second' });
    const v = client(s.visitorToken);
    await v.hub.start();
    const m = await v.hub.invokeReliable('SendMessage', null, 'question', crypto.randomUUID());
    const reply = await hub.postMessage(srv, o.companyToken, m.chatId, { textMessage: 'answer' });
    await hub.pollUntil(() => v.events.some(([n, a]) => n === 'ReceiveMessage' && a[0].id === reply.id),
      { ms: 5000, what: 'the reply event' });
    v.hub.stop();
  });

  test('latest(): a burst of MarkRead is a few invocations, the last with the newest seq', async () => {
    const s = await hub.widgetSession(srv, o.guid, { name: 'Reader' });
    const v = client(s.visitorToken);
    await v.hub.start();
    const m = await v.hub.invokeReliable('SendMessage', null, 'hi', crypto.randomUUID());
    const sent = [];
    const transmit = v.hub.transmit.bind(v.hub);
    v.hub.transmit = (entry) => { if (entry.target === 'MarkRead') sent.push(entry.args[1]); transmit(entry); };
    const replies = [];
    for (let i = 0; i < 150; i++) replies.push(await hub.postMessage(srv, o.companyToken, m.chatId, { textMessage: `r${i}` }));
    // the widget marks read as each message arrives: 150 calls in a burst
    for (const r of replies) v.hub.latest(`read:${m.chatId}`, 100, 'MarkRead', m.chatId, r.seq);
    await hub.pollUntil(() => sent.at(-1) === replies.at(-1).seq && !v.hub.latestCalls.get(`read:${m.chatId}`).busy,
      { ms: 5000, what: 'the newest seq marked read' });
    assert.ok(sent.length <= 3, `a burst of 150 reads became ${sent.length} invocations: ${sent}`);
    assert.equal(v.hub.state, 'connected', 'within the hub budget: the connection stays');
    const chat = (await hub.listChats(srv, o.companyToken)).items.find((c) => c.id === m.chatId);
    const last = (await hub.allMessages(srv, o.companyToken, m.chatId)).at(-1);
    assert.equal(last.status, 3, `the newest operator message is Read: ${JSON.stringify(chat)}`);
    v.hub.stop();
  });

  test('token errors: invalid and expired tokens end in state error with their code', async () => {
    const bad = client('not-a-token');
    await assert.rejects(bad.hub.start(), (e) => e.code === 'invalid_token');
    assert.equal(bad.states.at(-1)[0], 'error');
    assert.equal(bad.states.at(-1)[1].code, 'invalid_token');

    const short = await h.operatorToken(srv, o.companyToken, o.ops[0].id, new Date(Date.now() + 3000).toISOString());
    const op = client(short);
    await op.hub.start();
    await hub.pollUntil(() => op.states.some(([st]) => st === 'error'), { ms: 10000, what: 'the expiry' });
    assert.equal(op.states.at(-1)[1].code, 'token_expired');
    assert.match(op.states.at(-1)[1].message, /token expired/);
  });
});
