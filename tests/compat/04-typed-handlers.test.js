'use strict';
// A typed SignalR client (the .NET client the public site offers binds
// HubConnection.On<T1, T2> by argument count, and drops an event whose count
// differs) must receive every server → client event with exactly the
// argument count of the public table. The official JavaScript client records
// each event's count here; a conversation triggers every event; an event the
// table does not know, or one with another count, fails. Over each transport,
// and with MessagePack.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const signalR = require('@microsoft/signalr');
const { MessagePackHubProtocol } = require('@microsoft/signalr-protocol-msgpack');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');

// The public hub sample's events (their argument lists) and ours (ext).
const ARGUMENTS = {
  ReceiveMessage: ['message'],
  ReceiveMediaMessage: ['mediaData'],
  ChatStatusChanged: ['chatId', 'status'],
  MessageStatusChanged: ['messageId', 'status'],
  ChatCreated: ['chatDTO'],
  ChatAssigned: ['chat'], // ext
  MessagesRead: ['chatId', 'seq', 'reader'], // ext
  Typing: ['chatId', 'author'], // ext
  OperatorPresence: ['operatorId', 'presence'], // ext
  ChatLabelsChanged: ['chatId', 'labels'], // ext
  NoteAdded: ['note'], // ext
  Mentioned: ['note'], // ext
  ClientUpdated: ['client'], // ext
  MessageRedacted: ['message'], // ext
  ChatRated: ['chat'], // ext
};

// A typed client: one handler per table entry recording the argument count;
// any other event name reaches the client's logger ("No client method …").
async function typedClient(base, token, label, { transport, protocol } = {}) {
  const seen = [];
  const unknown = [];
  const logger = {
    log(level, message) {
      if (/no client method/i.test(String(message))) unknown.push(String(message));
    },
  };
  let b = new signalR.HubConnectionBuilder()
    .withUrl(`${base}/chathub`, { accessTokenFactory: () => token, transport: signalR.HttpTransportType[transport] })
    .configureLogging(logger);
  if (protocol === 'messagepack') b = b.withHubProtocol(new MessagePackHubProtocol());
  const conn = b.build();
  for (const name of Object.keys(ARGUMENTS)) {
    conn.on(name, (...args) => seen.push({ name, count: args.length, args }));
  }
  await conn.start();
  return { conn, seen, unknown, label };
}

const VARIANTS = [
  { transport: 'WebSockets' }, { transport: 'ServerSentEvents' }, { transport: 'LongPolling' },
  { transport: 'WebSockets', protocol: 'messagepack' },
];

for (const variant of VARIANTS) {
  describe(`typed handlers over ${variant.transport}${variant.protocol ? ` with ${variant.protocol}` : ''}: every event has the public argument count`, () => {
    let srv;
    let fx;
    const clients = [];
    before(async () => {
      srv = await h.startServer({ env: hub.HUB_ENV });
      fx = await hub.makeOrgFixture(srv, `typed${VARIANTS.indexOf(variant)}`, { operators: 2 });
    });
    after(async () => {
      for (const c of clients) await c.conn.stop().catch(() => {});
      await hub.closeAllClients();
      if (srv) await srv.stop();
    });

    test('a conversation that raises every event', async () => {
      const op = await typedClient(srv.base, fx.ops[0].token, 'operator', variant);
      const colleague = await typedClient(srv.base, fx.ops[1].token, 'colleague', variant);
      const company = await typedClient(srv.base, fx.token, 'company', variant);
      clients.push(op, colleague, company);
      const session = await hub.widgetSession(srv, fx.guid, { name: 'Typed visitor' });
      const visitor = await typedClient(srv.base, session.visitorToken, 'visitor', variant);
      clients.push(visitor);

      // the public sample's calls: SendMessage(chatId, text), SendMediaMessage(chatId, {Name, Format, DataBase64, Type})
      const first = await visitor.conn.invoke('SendMessage', null, 'Hello, I need help');
      const chatId = first.chatId;
      await op.conn.invoke('TakeChat', chatId);
      const reply = await op.conn.invoke('SendMessage', chatId, 'Hi! How can I help?');
      await op.conn.invoke('SendMediaMessage', chatId, {
        Name: 'photo.jpg', Format: 'jpg', DataBase64: Buffer.from('a tiny jpeg').toString('base64'), Type: 1,
      });
      await visitor.conn.invoke('MarkRead', chatId, 3);
      await op.conn.invoke('MarkRead', chatId, 1);
      await op.conn.invoke('Typing', chatId);
      await op.conn.invoke('SetPresence', 'away');
      await op.conn.invoke('SetPresence', 'online');
      const thanks = await visitor.conn.invoke('SendMessage', chatId, 'thanks', crypto.randomUUID());
      // (ext) a redaction, a note mentioning the colleague, a label, a profile edit
      await op.conn.invoke('RedactMessage', chatId, thanks.id);
      await op.conn.invoke('AddNote', chatId, `@${fx.ops[1].name} please have a look`);
      const label = await h.api(srv.base, 'POST', '/api/labels', { token: fx.token, body: { organizationId: fx.orgId, name: 'vip' } });
      h.assertOk(label, 201);
      h.assertOk(await h.api(srv.base, 'PUT', `/api/chat/${chatId}/labels`, { token: fx.token, body: { labelIds: [label.json.id] } }));
      h.assertOk(await h.api(srv.base, 'PUT', `/api/client/${session.clientId}`, { token: fx.token, body: { email: 'typed@example.com' } }));
      await company.conn.invoke('TransferChat', chatId, fx.ops[1].id);
      await colleague.conn.invoke('SetChatStatus', chatId, 4);
      // (ext) the visitor rates the closed chat
      await visitor.conn.invoke('RateChat', chatId, 5, 'thank you');

      const all = () => clients.flatMap((c) => c.seen);
      await hub.pollUntil(() => Object.keys(ARGUMENTS).every((n) => all().some((e) => e.name === n)),
        { what: `every event (missing: ${Object.keys(ARGUMENTS).filter((n) => !all().some((e) => e.name === n))})` });
      await h.sleep(300);
      for (const c of clients) {
        assert.deepEqual(c.unknown, [], `${c.label} got events the table does not know`);
        for (const e of c.seen) {
          assert.equal(e.count, ARGUMENTS[e.name].length,
            `${c.label}: ${e.name} with ${e.count} arguments, the public table says ${ARGUMENTS[e.name].join(', ')}`);
        }
      }
      const mine = (c, name) => c.seen.filter((e) => e.name === name).map((e) => e.args);
      // what the public handlers read: message.message, message.phone, chatDTO.messSource, chatDTO.client,
      // mediaData.media.name and .uri
      const [[m]] = mine(op, 'ReceiveMessage');
      assert.equal(m.message, 'Hello, I need help');
      assert.equal(m.phone, null, 'a website visitor has no phone');
      const [[created]] = mine(op, 'ChatCreated');
      assert.equal(created.messSource, 3);
      assert.equal(created.client.name, 'Typed visitor');
      const [[media]] = mine(visitor, 'ReceiveMediaMessage');
      assert.equal(media.media.name, 'photo.jpg');
      assert.ok(media.media.uri, JSON.stringify(media));
      assert.deepEqual(mine(op, 'MessageStatusChanged')[0], [reply.id, 3], "the visitor read the operator's reply");
      assert.deepEqual(mine(visitor, 'MessageStatusChanged')[0], [first.id, 3], "the operator read the visitor's message");
      const [[redacted]] = mine(visitor, 'MessageRedacted');
      assert.equal(redacted.id, thanks.id);
      assert.equal(redacted.message, '');
      const [[rated]] = mine(colleague, 'ChatRated');
      assert.equal(rated.id, chatId);
      assert.equal(rated.csat.rating, 5);
      assert.match(media.media.uri, /^http:\/\/127\.0\.0\.1:\d+\/api\/media\/\d+\?/, 'absolute');
      const got = await fetch(media.media.uri);
      assert.equal(got.status, 200);
    });
  });
}
