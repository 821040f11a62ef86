'use strict';
// M8: a repeated inbound delivery (same externalMessageId) stores nothing,
// also once the chat it created was closed: the replay answers the first
// message with "duplicate": true and creates no new chat.

const { describe, test } = require('node:test');
const hub = require('../e2e/lib/hub');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');
const { channelOrg, inbound } = require('./lib/channel');
const atk = require('./lib/attack');

const SECRET = 'm8-channel-secret-0123456789';

describe('M8 inbound replay after close', () => {
  test('the same signed request after the chat was closed: duplicate, no new chat, the message exists once', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const org = await channelOrg(srv, by.a, 'Channel org', SECRET, { operators: 1 });
    const payload = { externalUserId: 'tg-m8', name: 'Replay', text: 'pay me twice', externalMessageId: 'ext-1', source: 2 };

    by.start();
    const first = await inbound(srv, org.guid, payload, SECRET);
    if (!p.check(first.status === 200 && first.json && first.json.duplicate === false, `first delivery: ${atk.describe(first)}`)) p.assertNone('M8 expectations');
    const chatId = first.json.chatId;
    const closed = await hub.setChatStatus(srv, by.a.token, chatId, 4);
    p.check(closed.status === 200, `closing the chat: HTTP ${closed.status}`);
    const again = await inbound(srv, org.guid, payload, SECRET);
    await by.stop();

    p.check(again.status === 200 && again.json && again.json.duplicate === true, `replay after close: expected duplicate, got ${atk.describe(again)}`);
    p.check(again.json && again.json.messageId === first.json.messageId, `replay after close answered message ${again.json && again.json.messageId}, not the first (${first.json.messageId})`);
    p.check(again.json && again.json.chatId === chatId, `replay after close answered chat ${again.json && again.json.chatId}, not the first (${chatId})`);
    const chats = (await hub.listChats(srv, by.a.token, `organizationId=${org.orgId}&per_page=100`)).items;
    p.check(chats.length === 1, `the channel organization has ${chats.length} chats (expected 1)`);
    let copies = 0;
    for (const c of chats) copies += (await hub.allMessages(srv, by.a.token, c.id)).filter((m) => m.textMessage === payload.text).length;
    p.check(copies === 1, `the replayed message exists ${copies} times`);
    t.diagnostic(`first: message ${first.json.messageId} in chat ${chatId}; replay: ${JSON.stringify(again.json)}; chats ${chats.length}; copies ${copies}`);
    await by.verify(t, p);
    p.assertNone('M8 expectations');
  });
});
