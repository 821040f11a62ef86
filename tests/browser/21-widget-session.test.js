'use strict';
// The visitor widget's conversation outlives the page: reloads and second tabs
// (same browser profile) see the history and new replies; a userJWT resumes the
// same client in a fresh profile; a Closed chat ends the conversation and the
// next message starts a new one; "we are offline — leave a message" still
// creates a chat; the pre-chat form passes name and email to the session.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const b = require('./lib/browser');

const { hub } = b;
const T = 15000;

describe('visitor widget: sessions', () => {
  let srv; let site; let browser; let fx;

  const stage = b.stage('wsess', { operators: 1, orgName: 'Session Support' });
  before(() => {
    ({ srv, site, fx, browser } = stage);
    site.page('/p', b.html(b.widgetTag(srv.base, fx.guid)));
  });

  const msgs = (page) => page.locator('[role="log"] .msg');
  async function ready(page) {
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
  }
  async function openWidget(page) {
    await ready(page);
    await page.locator('[data-chathub] .launcher').click();
    await page.getByRole('dialog').waitFor({ timeout: T });
  }
  async function say(page, text) {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
    await page.locator('[role="log"] .msg:not([data-pending])', { hasText: text }).waitFor({ timeout: T });
  }
  const texts = (page) => msgs(page).locator('.text').allTextContents();

  test('reload and a second tab keep the conversation; replies reach both; Closed ends it', async () => {
    const op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
    const ctx = await browser.newContext();
    const p1 = await ctx.newPage();
    const log1 = b.watchPage(p1);
    await p1.goto(site.url('/p'));
    await openWidget(p1);
    await say(p1, 'first question');
    const [m1] = await op.waitFor('ReceiveMessage', (m) => m.textMessage === 'first question', { ms: T });
    const chatId = m1.chatId;
    await op.invoke('SendMessage', chatId, 'first answer', crypto.randomUUID());
    await p1.locator('[role="log"] [data-seq="2"][data-author="0"]').waitFor({ timeout: T });

    await p1.reload();
    await openWidget(p1);
    await p1.locator('[role="log"] [data-seq="2"]').waitFor({ timeout: T });
    assert.deepEqual(await texts(p1), ['first question', 'first answer'], 'history after reload');

    const p2 = await ctx.newPage();
    const log2 = b.watchPage(p2);
    await p2.goto(site.url('/p'));
    await openWidget(p2);
    await p2.locator('[role="log"] [data-seq="2"]').waitFor({ timeout: T });
    assert.deepEqual(await texts(p2), ['first question', 'first answer'], 'history in a second tab');

    await op.invoke('SendMessage', chatId, 'reply for both tabs', crypto.randomUUID());
    for (const p of [p1, p2]) await p.locator('[role="log"] [data-seq="3"]', { hasText: 'reply for both tabs' }).waitFor({ timeout: T });
    await say(p2, 'sent from tab two');
    await p1.locator('[role="log"] [data-seq="4"][data-author="1"]', { hasText: 'sent from tab two' }).waitFor({ timeout: T });
    for (const p of [p1, p2]) {
      assert.deepEqual(await msgs(p).evaluateAll((els) => els.map((e) => e.getAttribute('data-seq'))), ['1', '2', '3', '4'],
        'each message once, in order');
    }

    // the operator closes the chat: the conversation has ended, the next message starts a new chat
    const om = op.mark();
    await op.invoke('SetChatStatus', chatId, 4);
    for (const p of [p1, p2]) await p.getByText('The conversation has ended', { exact: false }).waitFor({ timeout: T });
    await say(p1, 'a new topic');
    const [created] = await op.waitFor('ChatCreated', (c) => c.id !== chatId, { from: om, ms: T });
    const [m5] = await op.waitFor('ReceiveMessage', (m) => m.textMessage === 'a new topic', { from: om, ms: T });
    assert.equal(m5.chatId, created.id, 'the message after Closed started a new chat');
    assert.equal(m5.seq, 1);
    const newMsg = p1.locator(`[role="log"] [data-chat="${created.id}"][data-seq="1"]`);
    await newMsg.waitFor({ timeout: T });
    assert.equal(await p1.getByText('The conversation has ended', { exact: false }).isVisible(), false);
    await p2.locator(`[role="log"] [data-chat="${created.id}"][data-seq="1"]`).waitFor({ timeout: T });
    // a reload continues the new chat
    await p1.reload();
    await openWidget(p1);
    await p1.locator(`[role="log"] [data-chat="${created.id}"][data-seq="1"]`).waitFor({ timeout: T });
    for (const l of [log1, log2]) { assert.deepEqual(l.errors, []); assert.deepEqual(l.csp, []); }
    await ctx.close();
    await op.stop();
  });

  test('userJWT resumes the same client and chat in a fresh browser profile', async () => {
    const secret = 'identity-secret-0123456789abcdef';
    await hub.putOrg(srv, fx.token, fx.orgId, { identitySecret: secret });
    const jwt = hub.hs256({ sub: 'crm-user-42', name: 'Jane Doe', exp: Math.floor(Date.now() / 1000) + 3600 }, secret);
    site.page('/member', b.html(b.widgetTag(srv.base, fx.guid, { userJWT: jwt })));
    const op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator jwt' });

    const a = await browser.newContext();
    const pa = await a.newPage();
    await pa.goto(site.url('/member'));
    await openWidget(pa);
    await say(pa, 'hello as Jane');
    const [m] = await op.waitFor('ReceiveMessage', (x) => x.textMessage === 'hello as Jane', { ms: T });
    const chat = await hub.getChat(srv, fx.token, m.chatId);
    assert.equal(chat.client.name, 'Jane Doe', 'the client is named from the userJWT');
    await a.close();

    const bctx = await browser.newContext(); // another device: no storage at all
    const pb = await bctx.newPage();
    await pb.goto(site.url('/member'));
    await openWidget(pb);
    const again = pb.locator(`[role="log"] [data-chat="${m.chatId}"][data-seq="${m.seq}"]`);
    await again.waitFor({ timeout: T });
    assert.match(await again.textContent(), /hello as Jane/);
    await say(pb, 'and from my phone');
    const [m2] = await op.waitFor('ReceiveMessage', (x) => x.textMessage === 'and from my phone', { ms: T });
    assert.equal(m2.chatId, m.chatId, 'same chat');
    await bctx.close();
    await op.stop();
  });

  test('offline: "leave a message" creates a chat the operator sees later; presence is live', async () => {
    const co = await b.makeCompany(srv, 'wsessoff', { orgName: 'Night Shift' });
    const org = await hub.addOrg(srv, co, null, { operators: 1, orgId: co.orgId });
    site.page('/night', b.html(b.widgetTag(srv.base, org.guid)));
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(site.url('/night'));
    await openWidget(page);
    const offline = page.getByText('We are offline — leave a message');
    await offline.waitFor({ timeout: T });
    await say(page, 'please call me back');
    const list = await hub.listChats(srv, org.ops[0].token);
    assert.equal(list.total, 1, 'the message created a chat');
    assert.equal(list.items[0].lastMessage, 'please call me back');
    assert.equal(list.items[0].chatStatus, 0, 'queued (New) while nobody is online');

    const op = await hub.connectHub(srv.base, org.ops[0].token, { label: 'night operator' });
    await offline.waitFor({ state: 'hidden', timeout: T }); // OperatorPresence(0, "online")
    const s = await op.invoke('Sync', { chats: {} });
    assert.ok(s.chats.some((c) => c.id === list.items[0].id), 'the operator sees the chat');
    const got = await op.invoke('GetMessages', list.items[0].id, null, 50);
    assert.ok(got.some((x) => x.textMessage === 'please call me back'), 'the operator sees the message');
    await op.invoke('SendMessage', list.items[0].id, 'calling you now', crypto.randomUUID());
    await page.locator('[role="log"] [data-author="0"]', { hasText: 'calling you now' }).waitFor({ timeout: T });
    await op.stop();
    await offline.waitFor({ timeout: T }); // back to offline when the operator leaves
    await ctx.close();
  });

  test('pre-chat form: labelled name and email (validated) go to the session', async () => {
    const co = await b.makeCompany(srv, 'wsesspre', { orgName: 'Prechat Org' });
    const org = await hub.addOrg(srv, co, null, { operators: 1, orgId: co.orgId });
    await hub.putOrg(srv, co.token, org.orgId, { prechatForm: true });
    site.page('/pre', b.html(b.widgetTag(srv.base, org.guid)));
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url('/pre'));
    await openWidget(page);
    const box = page.getByRole('textbox', { name: 'Message' });
    assert.equal(await box.isVisible(), false, 'no composer before the form');
    await page.getByLabel('Name').fill('Pat Prechat');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.getByText('Please enter a valid email address.').waitFor({ timeout: T });
    await page.getByLabel('Email').fill('pat@example.com');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await box.waitFor({ timeout: T });
    await say(page, 'hi after the form');
    const list = await hub.listChats(srv, org.ops[0].token);
    assert.equal(list.total, 1);
    assert.equal(list.items[0].client.name, 'Pat Prechat', 'the name from the form');
    // a reload does not ask again
    await page.reload();
    await openWidget(page);
    await page.locator('[role="log"] [data-seq="1"]').waitFor({ timeout: T });
    assert.equal(await page.getByLabel('Email').count(), 0);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });
});
