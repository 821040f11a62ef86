'use strict';
// Message redaction: DELETE /api/chat/{chatId}/messages/{messageId} and hub
// RedactMessage(chatId, messageId) answer the tombstone (text '', no media,
// "redacted": {at, by}) at the message's own id and seq; MessageRedacted(message)
// reaches the client's and the operator side's connections; Sync, GetMessages
// and REST history show the tombstone in its place (gap-free); the media's URL
// answers 404 and a search no longer finds the word. Isolation: another
// company or organization, a visitor, a message of another chat; bad ids.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const hub = require('./lib/hub');

describe('message redaction', () => {
  let srv;
  let o; // company, its org with 2 operators
  let sales; // another org of the same company
  let rival; // another company

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    o = await hub.makeOrgFixture(srv, 'redactco', { operators: 2 });
    sales = await hub.addOrg(srv, o.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'redactrival', { operators: 1 });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  const redact = (token, chatId, id) => h.api(srv.base, 'DELETE', `/api/chat/${chatId}/messages/${id}`, { token });
  const search = async (token, word) => {
    const r = await h.api(srv.base, 'GET', `/api/chat/chats?search=${encodeURIComponent(word)}`, { token });
    h.assertOk(r);
    return r.json.items.map((c) => c.id);
  };

  function assertTombstone(t, m, by) {
    for (const k of ['id', 'chatId', 'seq', 'author', 'status', 'createdAt', 'clientMessageId']) {
      assert.deepEqual(t[k], m[k], `tombstone.${k}: ${JSON.stringify(t)}`);
    }
    assert.equal(t.textMessage, '');
    assert.equal(t.message, '');
    assert.equal(t.media, null);
    assert.match(t.redacted.at, hub.ISO_RE);
    assert.deepEqual(t.redacted.by, by);
  }

  test('REST and hub redaction, the event on both sides, history in place, media and search gone', async () => {
    const [a, b] = o.ops;
    const word = `zebra${crypto.randomBytes(4).toString('hex')}`;
    const v = await hub.visitorChat(srv, o.guid, `my secret ${word}`);
    const chatId = v.chatId;
    const opA = await hub.connectHub(srv.base, a.token, { label: 'op A' });
    const opB = await hub.connectHub(srv.base, b.token, { label: 'op B' });
    const pic = await hub.postMessage(srv, a.token, chatId, { textMessage: 'a file',
      media: { name: 'card.txt', format: 'text/plain', dataBase64: Buffer.from('4111 1111').toString('base64'), type: 4 } });
    const last = await hub.postMessage(srv, a.token, chatId, { textMessage: 'noted' });
    assert.equal(last.seq, 3);
    assert.ok(pic.media && pic.media.url);
    let r = await fetch(new URL(pic.media.url, srv.base));
    assert.equal(r.status, 200);
    assert.deepEqual(await search(o.token, word), [chatId]);
    assert.equal(v.first.redacted, undefined, 'a normal message has no "redacted"');

    // REST, by the company: the visitor's first message
    const marks = [v.mark(), opB.mark()];
    r = await redact(o.token, chatId, v.first.id);
    h.assertOk(r);
    const t1 = r.json;
    assertTombstone(t1, v.first, null);
    const [ev] = await v.waitFor('MessageRedacted', (m) => m.id === t1.id, { from: marks[0] });
    assert.deepEqual(ev, t1, 'the visitor gets the tombstone');
    const [evB] = await opB.waitFor('MessageRedacted', (m) => m.id === t1.id, { from: marks[1] });
    assert.deepEqual(evB, t1, 'a second operator gets the tombstone');
    assert.deepEqual(await search(o.token, word), [], 'search no longer finds the word');

    // hub, by operator A: the media message
    const t2 = await opA.invoke('RedactMessage', chatId, pic.id);
    assertTombstone(t2, pic, { id: a.id, name: a.name });
    await v.waitFor('MessageRedacted', (m) => m.id === pic.id, { from: marks[0] });
    await opB.waitFor('MessageRedacted', (m) => m.id === pic.id, { from: marks[1] });
    r = await fetch(new URL(pic.media.url, srv.base));
    assert.equal(r.status, 404, 'the media is gone');

    // twice: the same tombstone, no second event
    r = await redact(a.token, chatId, pic.id);
    h.assertOk(r);
    assert.deepEqual(r.json, t2);
    assert.deepEqual(await opB.invoke('RedactMessage', chatId, v.first.id), t1);

    // history: the tombstones at their seqs, gap-free, on every path
    const sync = await v.invoke('Sync', { chats: { [chatId]: 0 } });
    const synced = sync.messages.filter((m) => m.chatId === chatId);
    hub.assertContiguous(synced, 1, 'visitor Sync');
    const got = await v.invoke('GetMessages', chatId, null, 50);
    hub.assertContiguous(got, 1, 'visitor GetMessages');
    const rest = await hub.allMessages(srv, o.token, chatId);
    hub.assertContiguous(rest, 1, 'REST history');
    r = await h.api(srv.base, 'GET', `/api/chat/${chatId}/messages`, { token: a.token });
    h.assertOk(r);
    for (const [what, list] of [['Sync', synced], ['GetMessages', got], ['REST', rest], ['REST whole', r.json]]) {
      assert.equal(list.length, 3, what);
      assert.deepEqual(list[0].redacted, t1.redacted, `${what}: seq 1 is the tombstone`);
      assert.equal(list[0].textMessage, '', what);
      assert.deepEqual(list[1].redacted, t2.redacted, `${what}: seq 2 is the tombstone`);
      assert.equal(list[1].media, null, what);
      assert.equal(list[2].redacted, undefined, `${what}: seq 3 is as it was`);
      assert.ok(!JSON.stringify(list).includes(word), `${what} no longer holds the word`);
    }
    await h.sleep(h.TEST_CLUSTER ? 1500 : 500);
    assert.equal(v.all('MessageRedacted', () => true, marks[0]).length, 2, 'one event per redaction');
    assert.equal(opB.all('MessageRedacted', () => true, marks[1]).length, 2, 'one event per redaction');

    // the chat's last message: the preview is cleared
    r = await redact(b.token, chatId, last.id);
    h.assertOk(r);
    const chat = await hub.getChat(srv, o.token, chatId);
    assert.equal(chat.lastSeq, 3);
    assert.equal(chat.lastMessage, '');
  });

  test('who may redact, and bad ids', async () => {
    const v = await hub.visitorChat(srv, o.guid, 'keep me');
    const other = await hub.visitorChat(srv, o.guid, 'another chat');
    const chatId = v.chatId;
    const id = v.first.id;
    // a visitor: 403 2005 over REST, refused on the hub
    h.assertError(await redact(v.session.visitorToken, chatId, id), 403, 2005);
    assert.match(await v.invokeError('RedactMessage', chatId, id), /visitors cannot redact messages/);
    // another company, another organization: the chat is not found
    h.assertError(await redact(rival.token, chatId, id), 404, 3001);
    h.assertError(await redact(rival.ops[0].token, chatId, id), 404, 3001);
    h.assertError(await redact(sales.ops[0].token, chatId, id), 404, 3001);
    const salesHub = await hub.connectHub(srv.base, sales.ops[0].token, { label: 'sales op' });
    assert.match(await salesHub.invokeError('RedactMessage', chatId, id), /chat not found/);
    // a message of another chat, an unknown message
    h.assertError(await redact(o.token, chatId, other.first.id), 404, 3001, 'message not found');
    h.assertError(await redact(o.token, chatId, id + 100000), 404, 3001, 'message not found');
    // bad ids
    for (const path of [`/api/chat/${chatId}/messages/abc`, `/api/chat/${chatId}/messages/0`,
      `/api/chat/${chatId}/messages/-1`, `/api/chat/abc/messages/${id}`, `/api/chat/0/messages/${id}`,
      `/api/chat/${chatId}/messages/99999999999999999999999`]) {
      h.assertError(await h.api(srv.base, 'DELETE', path, { token: o.token }), 404, 3001);
    }
    const opHub = await hub.connectHub(srv.base, o.ops[0].token, { label: 'op' });
    assert.match(await opHub.invokeError('RedactMessage', chatId, 'x'), /bad arguments: RedactMessage/);
    assert.match(await opHub.invokeError('RedactMessage', chatId), /bad arguments: RedactMessage/);
    // nothing was redacted
    const list = await hub.allMessages(srv, o.token, chatId);
    assert.equal(list[0].textMessage, 'keep me');
    assert.equal(list[0].redacted, undefined);
  });
});
