'use strict';
// Both widgets in two browser contexts, each embedded in pages of a website on
// another origin: a visitor writes on the shop page, the operator's CRM page
// shows the chat without a reload and answers; typing and read receipts show
// on both sides.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');

describe('a conversation between the visitor widget and the operator panel', () => {
  let srv, site, browser, fx, visitorPage, operatorPage, vlog, olog;

  before(async () => {
    srv = await b.startServer({ env: b.hub.HUB_ENV });
    fx = await b.hub.makeOrgFixture(srv, 'convco', { operators: 1, orgName: 'Bikes' });
    site = await b.startSite();
    site.page('/shop', b.html(b.widgetTag(srv.base, fx.guid, { 'main-color': '#0a66c2' }), { title: 'Shop' }));
    site.page('/crm', b.html(`<div id="slot" class="slot"></div>${b.panelTag(srv.base, fx.ops[0].token,
      { container: '#slot' })}`, { title: 'CRM', head: '<link rel="stylesheet" href="/crm.css">' }));
    site.page('/crm.css', '.slot { width: 900px; height: 640px; }', { type: 'text/css' });
    browser = await b.launch();
    operatorPage = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
    visitorPage = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
    olog = b.watchPage(operatorPage);
    vlog = b.watchPage(visitorPage);
  });
  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (srv) await srv.stop();
  });

  test('visitor writes, operator sees it live and answers, typing and read receipts on both sides', async () => {
    await operatorPage.goto(site.url('/crm'));
    const panel = operatorPage.locator('[data-operator-panel] [data-state]').first();
    await b.expectAttr(panel, 'data-state', 'ready');

    await visitorPage.goto(site.url('/shop'));
    const widget = visitorPage.locator('[data-chathub] [data-state]').first();
    await b.expectAttr(widget, 'data-state', 'ready');
    await visitorPage.locator('[data-chathub] button.launcher').click();
    const vInput = visitorPage.getByRole('textbox', { name: 'Message' });
    await vInput.fill('Hello from the shop');
    await vInput.press('Enter');
    const vMine = visitorPage.locator('[role="log"] [data-author="1"]', { hasText: 'Hello from the shop' });
    await vMine.waitFor();
    await b.expectAttr(vMine, 'data-seq', '1');

    // the operator sees the new chat without reloading, opens it, sees the message
    const item = operatorPage.locator('[data-operator-panel] [data-chat-id]').first();
    await item.waitFor({ timeout: 15000 });
    await item.click();
    const oTheirs = operatorPage.locator('[role="log"] [data-author="1"]', { hasText: 'Hello from the shop' });
    await oTheirs.waitFor({ timeout: 15000 });

    // operator reads → the visitor's message turns Read (3) on the visitor's side
    await b.expectAttr(vMine, 'data-status', '3');

    // operator types → the visitor sees the typing indicator
    const oInput = operatorPage.getByRole('textbox', { name: 'Message' });
    await oInput.focus();
    await oInput.pressSequentially('Hi! How can', { delay: 30 });
    await visitorPage.locator('[data-typing]:not([hidden])').waitFor({ timeout: 15000 });
    await oInput.pressSequentially(' I help?', { delay: 10 });
    await oInput.press('Enter');
    const vReply = visitorPage.locator('[role="log"] [data-author="0"]', { hasText: 'Hi! How can I help?' });
    await vReply.waitFor({ timeout: 15000 });
    // the visitor has the panel open: the reply is read, and the operator sees it
    const oMine = operatorPage.locator('[role="log"] [data-author="0"]', { hasText: 'Hi! How can I help?' });
    await b.expectAttr(oMine, 'data-status', '3');

    // visitor types → the operator sees it
    await vInput.pressSequentially('I need a bell', { delay: 30 });
    await operatorPage.locator('[data-typing]:not([hidden])').waitFor({ timeout: 15000 });
    await vInput.press('Enter');
    await operatorPage.locator('[role="log"] [data-author="1"]', { hasText: 'I need a bell' }).waitFor({ timeout: 15000 });

    // each message once, in order, on both sides and on the server
    const server = await b.hub.allMessages(srv, fx.token, (await b.hub.listChats(srv, fx.token)).items[0].id);
    assert.deepEqual(server.map((m) => m.textMessage), ['Hello from the shop', 'Hi! How can I help?', 'I need a bell']);
    for (const page of [visitorPage, operatorPage]) {
      const texts = await page.locator('[role="log"] [data-seq]').evaluateAll((els) => els.map((e) => e.getAttribute('data-seq')));
      assert.deepEqual(texts, ['1', '2', '3']);
    }
    assert.deepEqual(vlog.errors, [], 'no page errors on the shop');
    assert.deepEqual(olog.errors, [], 'no page errors on the CRM');
  });
});
