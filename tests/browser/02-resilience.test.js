'use strict';
// The server is restarted mid-conversation: both widgets show "reconnecting",
// recover by themselves, and what was typed during the outage arrives exactly
// once on the other side (and on the server).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');

describe('both widgets across a server restart', () => {
  let srv, site, browser, fx, vPage, oPage;

  before(async () => {
    srv = await b.startServer({ env: b.hub.HUB_ENV });
    fx = await b.hub.makeOrgFixture(srv, 'restartco', { operators: 1 });
    site = await b.startSite();
    site.page('/shop', b.html(b.widgetTag(srv.base, fx.guid), { title: 'Shop' }));
    site.page('/crm', b.html(`<div id="slot"></div>${b.panelTag(srv.base, fx.ops[0].token, { container: '#slot' })}`,
      { title: 'CRM' }));
    browser = await b.launch();
    oPage = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
    vPage = await (await browser.newContext({ viewport: { width: 1100, height: 800 } })).newPage();
  });
  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (srv) await srv.stop();
  });

  const state = (page) => page.locator('[data-chathub] [data-state]').first();
  const log = (page, author, text) => page.locator(`[role="log"] [data-author="${author}"]`, { hasText: text });
  const count = (page, author, text) => log(page, author, text).count();

  async function say(page, text) {
    const input = page.getByRole('textbox', { name: 'Message' });
    await input.fill(text);
    await input.press('Enter');
  }

  test('kill -9 and restart: reconnecting shown, recovery, messages typed offline arrive once', async () => {
    await oPage.goto(site.url('/crm'));
    await b.expectAttr(state(oPage), 'data-state', 'ready');
    await vPage.goto(site.url('/shop'));
    await b.expectAttr(state(vPage), 'data-state', 'ready');
    await vPage.locator('[data-chathub] button.launcher').click();
    await say(vPage, 'before the outage');
    const item = oPage.locator('[data-operator-panel] [data-chat-id]').first();
    await item.waitFor({ timeout: 15000 });
    await item.click();
    await log(oPage, 1, 'before the outage').waitFor({ timeout: 15000 });

    await srv.kill9();
    await b.expectAttr(state(vPage), 'data-state', 'reconnecting');
    await b.expectAttr(state(oPage), 'data-state', 'reconnecting');

    await say(vPage, 'typed offline one');
    await say(vPage, 'typed offline two');
    await say(oPage, 'operator typed offline');
    assert.ok(await vPage.locator('[role="log"] [data-pending]').count() >= 2, 'the visitor\'s offline sends wait as pending');

    await srv.restart();
    await b.expectAttr(state(vPage), 'data-state', 'ready', { timeout: 30000 });
    await b.expectAttr(state(oPage), 'data-state', 'ready', { timeout: 30000 });

    await log(oPage, 1, 'typed offline two').waitFor({ timeout: 20000 });
    await log(vPage, 0, 'operator typed offline').waitFor({ timeout: 20000 });
    await b.hub.pollUntil(async () => (await vPage.locator('[role="log"] [data-pending]').count()) === 0,
      { ms: 20000, what: 'no pending sends on the visitor side' });
    for (const [page, a, t] of [[oPage, 1, 'typed offline one'], [oPage, 1, 'typed offline two'],
      [vPage, 0, 'operator typed offline'], [vPage, 1, 'typed offline one'], [oPage, 0, 'operator typed offline']]) {
      assert.equal(await count(page, a, t), 1, `"${t}" shown exactly once`);
    }
    const chatId = Number(await item.getAttribute('data-chat-id'));
    const server = await b.hub.allMessages(srv, fx.token, chatId);
    const texts = server.map((m) => m.textMessage);
    assert.deepEqual(texts.slice(0, 1), ['before the outage']);
    assert.deepEqual(texts.slice(1).sort(), ['operator typed offline', 'typed offline one', 'typed offline two']);
    assert.ok(texts.indexOf('typed offline one') < texts.indexOf('typed offline two'), 'the visitor\'s order kept');
    assert.deepEqual(server.map((m) => m.seq), [1, 2, 3, 4]);
    for (const page of [vPage, oPage]) {
      const seqs = await page.locator('[role="log"] [data-seq]').evaluateAll((els) => els.map((e) => e.getAttribute('data-seq')));
      assert.deepEqual(seqs, ['1', '2', '3', '4'], 'each side shows the server transcript, in order, once');
    }
  });
});
