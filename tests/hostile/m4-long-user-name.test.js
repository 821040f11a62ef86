'use strict';
// M4: a userJWT `name` longer than the stored client name (256 bytes) is
// cut on a UTF-8 boundary (or refused), never inside a sequence: the chat
// stays visible everywhere — `GET /api/chat/chats` items, the company's hub
// `Sync`, a `ChatCreated` carrying the chat object — and its client name is
// valid UTF-8, ≤ 256 bytes, a prefix of the given name.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const SECRET = 'identity-secret-0123456789';
const NAME = 'a' + 'é'.repeat(200); // 401 bytes
const ADDR = atk.ip(2);

function checkName(p, where, name) {
  if (!p.check(typeof name === 'string', `${where}: client name ${JSON.stringify(name)}`)) return;
  p.check(!name.includes('\uFFFD'), `${where}: client name is not valid UTF-8 (${JSON.stringify(name.slice(-4))})`);
  p.check(Buffer.byteLength(name) <= 256, `${where}: client name is ${Buffer.byteLength(name)} bytes (> 256)`);
  p.check(NAME.startsWith(name), `${where}: client name is not a prefix of the given name (${JSON.stringify(name.slice(-4))})`);
}

describe('M4 long userJWT name', () => {
  test('a 401-byte UTF-8 name: the chat is listed, synced and announced; its name is cut on a character boundary', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const org = await hub.addOrg(srv, by.a, 'Identity org', { operators: 0 });
    await hub.putOrg(srv, by.a.token, org.orgId, { identitySecret: SECRET });
    const userJWT = hub.hs256({ sub: 'user-m4', name: NAME, exp: Math.floor(Date.now() / 1000) + 3600 }, SECRET);
    const mark = by.companyA.mark();

    by.start();
    const s = await atk.widgetSession(srv, org.guid, ADDR, { userJWT });
    const ws = await atk.rawHubFrom(srv, s.visitorToken, ADDR);
    t.after(() => ws.destroy());
    const sent = await ws.invoke('1', 'SendMessage', [null, 'hello from a long name']);
    await by.stop();
    const chatId = sent.result && sent.result.chatId;
    if (!p.check(Number.isInteger(chatId), `the visitor's first message: ${JSON.stringify(sent).slice(0, 300)}`)) {
      p.assertNone('M4 expectations');
    }

    const list = await hub.listChats(srv, by.a.token, `organizationId=${org.orgId}&per_page=100`);
    const listed = list.items.find((c) => c.id === chatId);
    p.check(listed, `GET /api/chat/chats: total ${list.total}, items ${list.items.length}, chat ${chatId} not among the items`);
    if (listed) checkName(p, 'REST chat list', listed.client.name);

    const sync = await by.companyA.invoke('Sync', { chats: {} });
    const synced = sync.chats.find((c) => c.id === chatId);
    p.check(synced, `the company's hub Sync does not contain chat ${chatId}`);
    if (synced) checkName(p, 'company Sync', synced.client.name);

    await h.sleep(300);
    const created = by.companyA.events.slice(mark).filter((e) => e.name === 'ChatCreated');
    const mine = created.find((e) => e.args[0] && e.args[0].id === chatId);
    p.check(mine, `no ChatCreated with the chat object at the company (ChatCreated events: ${JSON.stringify(created.map((e) => e.args)).slice(0, 200)})`);
    p.check(!created.some((e) => !e.args[0]), 'a ChatCreated with no chat object (empty arguments) went out');
    if (mine) checkName(p, 'ChatCreated', mine.args[0].client.name);
    t.diagnostic(`chat ${chatId}: listed ${!!listed}, synced ${!!synced}, announced ${!!mine}; name ${listed ? Buffer.byteLength(listed.client.name) : '?'} bytes`);

    await by.verify(t, p);
    p.assertNone('M4 expectations');
  });
});
