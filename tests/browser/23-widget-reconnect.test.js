'use strict';
// The visitor widget across a server crash: a visible "reconnecting" state,
// messages typed while offline shown as pending and delivered exactly once,
// then Sync leaves the transcript exactly equal to the server's. And the
// script-element lifecycle: removing the element unmounts the widget (its hub
// connection closes), re-adding mounts it again, a `lang` change re-renders.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const b = require('./lib/browser');

const { hub } = b;
const T = 15000;

describe('visitor widget: reconnect and lifecycle', () => {
  let srv; let site; let browser; let fx;

  const stage = b.stage('wrecon', { operators: 1, orgName: 'Reconnect Support' });
  before(() => {
    ({ srv, site, fx, browser } = stage);
    site.page('/p', b.html(b.widgetTag(srv.base, fx.guid)));
  });

  const state = (page) => page.locator('[data-chathub] .w').getAttribute('data-state');
  const seqs = (page) => page.locator('[role="log"] .msg').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));

  test('server crash: reconnecting state, offline messages sent once, Sync catches up exactly', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url('/p'));
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.locator('[data-chathub] .launcher').click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('before the outage');
    await box.press('Enter');
    await page.locator('[role="log"] [data-seq="1"]:not([data-pending])').waitFor({ timeout: T });
    const { chatId } = await hub.widgetSession(srv, fx.guid, {
      visitorToken: await page.evaluate(() => Object.entries(localStorage)
        .find(([k]) => k.startsWith('chathub-widget:'))[1]).then((v) => JSON.parse(v).visitorToken),
    });
    assert.ok(chatId > 0);

    await srv.kill9();
    await hub.pollUntil(async () => (await state(page)) === 'reconnecting', { ms: T, what: 'reconnecting state' });
    const banner = page.getByRole('status').filter({ hasText: 'Reconnecting' });
    assert.equal(await banner.isVisible(), true, 'a visible reconnecting notice');
    for (const t of ['typed offline one', 'typed offline two']) { await box.fill(t); await box.press('Enter'); }
    assert.equal(await page.locator('[role="log"] [data-pending]').count(), 2, 'shown as pending');

    await srv.restart();
    // operator messages while the widget may still be away: they come by Sync or live, once
    for (const t of ['reply one', 'reply two']) await hub.postMessage(srv, fx.token, chatId, { textMessage: t });
    await hub.pollUntil(async () => (await state(page)) === 'ready', { ms: 30000, what: 'ready again' });
    await hub.pollUntil(async () => (await page.locator('[role="log"] [data-pending]').count()) === 0,
      { ms: T, what: 'offline messages acknowledged' });
    const rest = await hub.allMessages(srv, fx.token, chatId);
    hub.assertContiguous(rest);
    assert.deepEqual(rest.map((m) => m.textMessage).sort(),
      ['before the outage', 'reply one', 'reply two', 'typed offline one', 'typed offline two'].sort(),
      'each offline message stored exactly once');
    await hub.pollUntil(async () => (await seqs(page)).length === rest.length, { ms: T, what: 'transcript complete' });
    assert.deepEqual(await seqs(page), rest.map((m) => m.seq), 'the widget holds exactly the server transcript');
    assert.equal(await banner.isVisible(), false);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('removing the script unmounts (connection closed), re-adding mounts, lang change re-renders', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(site.url('/p'));
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    const base = await b.hubConnections(srv);
    await page.locator('[data-chathub] .launcher').click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('lifecycle hello');
    await box.press('Enter');
    await page.locator('[role="log"] [data-seq="1"]:not([data-pending])').waitFor({ timeout: T });
    assert.ok(base >= 1);

    await page.evaluate(() => document.getElementById('chat-widget-script').remove());
    await hub.pollUntil(async () => (await page.locator('[data-chathub]').count()) === 0, { ms: T, what: 'unmounted' });
    await hub.pollUntil(async () => (await b.hubConnections(srv)) === base - 1, { ms: T, what: 'hub connection closed' });

    await page.evaluate((src) => {
      const s = document.createElement('script');
      s.type = 'module';
      s.id = 'chat-widget-script';
      s.src = src;
      document.body.append(s);
    }, `${srv.base}/chat-widget/widget-script.js`);
    // no guid yet: the error state; setting it afterwards re-mounts
    await page.locator('[data-chathub] .w[data-state="error"]').waitFor({ timeout: T });
    await page.evaluate((g) => document.getElementById('chat-widget-script').setAttribute('guid', g), fx.guid);
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    assert.equal(await page.locator('[data-chathub]').count(), 1, 'exactly one widget');
    await page.locator('[data-chathub] .launcher').click();
    await page.locator('[role="log"] [data-seq="1"]', { hasText: 'lifecycle hello' }).waitFor({ timeout: T });
    await hub.pollUntil(async () => (await b.hubConnections(srv)) === base, { ms: T, what: 'one connection again' });

    await page.evaluate(() => document.getElementById('chat-widget-script').setAttribute('lang', 'uk'));
    await page.locator('[data-chathub] textarea[aria-label="Повідомлення"]').waitFor({ state: 'attached', timeout: T });
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.getByRole('button', { name: 'Відкрити чат' }).click();
    await page.getByRole('button', { name: 'Надіслати' }).waitFor({ timeout: T });
    await page.locator('[role="log"] [data-seq="1"]', { hasText: 'lifecycle hello' }).waitFor({ timeout: T });
    await hub.pollUntil(async () => (await b.hubConnections(srv)) === base, { ms: T, what: 'no leaked connection' });
    await ctx.close();
  });
});
