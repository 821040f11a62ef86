'use strict';
// The visitor widget is safe and accessible on a foreign page: operator XSS
// payloads (text and media file names) render as text and never run; a strict
// CSP page shows no violation; axe-core finds no serious/critical issue with the
// panel open (light and dark); keyboard-only use works and focus stays inside
// the open panel; hostile host CSS cannot break it. Screenshots for review.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const b = require('./lib/browser');

const { hub } = b;
const T = 15000;
const AXE = path.join(b.REPO, 'node_modules', 'axe-core', 'axe.min.js');
// a 1×1 PNG
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('visitor widget: safety and accessibility', () => {
  let srv; let site; let browser; let fx; let op;

  before(async () => {
    srv = await b.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'wsafe', { operators: 1, orgName: 'Safe Support' });
    op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
    site = await b.startSite();
    browser = await b.launch();
    const tag = b.widgetTag(srv.base, fx.guid, { 'main-color': '#0a7cff' });
    site.page('/plain', b.html(`<p>Welcome to our shop.</p>${tag}`));
    // Chromium does not let an http: source cover ws:, so the WebSocket origin is listed too
    const ws = srv.base.replace(/^http/, 'ws');
    const csp = `default-src 'none'; script-src ${srv.base}; style-src ${srv.base}; connect-src ${srv.base} ${ws}; `
      + `img-src ${srv.base} data:`;
    site.page('/strict-http-only', b.html(`<p>Strict page, no ws: source.</p>${tag}`),
      { csp: csp.replace(` ${ws}`, '') });
    site.page('/strict', b.html(`<p>Strict page.</p>${tag}`), { csp });
    site.page('/hostile', b.html(`<p>Hostile CSS.</p>${tag}`, {
      head: '<style>*{all:unset!important}body{font:40px serif!important}div{display:none}'
        + 'button{width:1px!important;height:1px!important}</style>',
    }));
  });
  after(async () => {
    if (browser) await browser.close();
    await hub.closeAllClients();
    if (site) await site.close();
    if (srv) await srv.stop();
  });

  async function openWidget(page) {
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.locator('[data-chathub] .launcher').click();
    await page.getByRole('dialog').waitFor({ timeout: T });
  }
  async function say(page, text) {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
    await page.locator('[role="log"] .msg:not([data-pending])', { hasText: text }).waitFor({ timeout: T });
  }
  async function firstChat(page, text) {
    const om = op.mark();
    await say(page, text);
    const [m] = await op.waitFor('ReceiveMessage', (x) => x.textMessage === text, { from: om, ms: T });
    return m.chatId;
  }

  test('operator XSS payloads (text and file names) render as text and never execute', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url('/plain'));
    await openWidget(page);
    const chatId = await firstChat(page, 'hello, safety');
    const payloads = [
      '<img src=x onerror=window.__xss=1>',
      '<script>window.__xss=2</script>',
      'javascript:alert(1)',
      '[click me](javascript:window.__xss=3) and https://example.com/ok?a=1&b=<b>',
    ];
    for (const p of payloads) await op.invoke('SendMessage', chatId, p, crypto.randomUUID());
    const photo = await op.invoke('SendMediaMessage', chatId,
      { Name: '<img src=x onerror=window.__xss=4>.png', Format: 'image/png', DataBase64: PNG, Type: 1 });
    const file = await op.invoke('SendMediaMessage', chatId,
      { Name: '"><svg onload=window.__xss=5>.txt', Format: 'text/plain', DataBase64: Buffer.from('hi').toString('base64'), Type: 4 });
    await page.locator(`[role="log"] [data-seq="${file.seq}"]`).waitFor({ timeout: T });

    const texts = await page.locator('[role="log"] [data-author="0"] .text').allTextContents();
    assert.deepEqual(texts, payloads, 'payloads shown verbatim as text');
    const img = page.locator(`[role="log"] [data-seq="${photo.seq}"] img`);
    assert.equal(await img.getAttribute('alt'), '<img src=x onerror=window.__xss=4>.png');
    const src = await img.getAttribute('src');
    assert.ok(src.startsWith(`${srv.base}/api/media/`), `photo resolved against the server: ${src}`);
    await hub.pollUntil(() => img.evaluate((el) => el.complete && el.naturalWidth === 1), { ms: T, what: 'photo loaded' });
    const link = page.locator(`[role="log"] [data-seq="${file.seq}"] a`);
    assert.equal(await link.textContent(), '"><svg onload=window.__xss=5>.txt');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.ok((await link.getAttribute('href')).startsWith(`${srv.base}/api/media/`));

    const found = await page.evaluate(() => {
      const root = document.querySelector('[data-chathub]').shadowRoot;
      return {
        xss: window.__xss,
        badImg: root.querySelectorAll('img[src="x"], script, svg[onload], [onerror]').length,
        jsLinks: [...root.querySelectorAll('a')].filter((a) => !/^https?:/.test(a.href)).length,
        links: [...root.querySelectorAll('[role="log"] .text a')].map((a) => [a.href, a.rel, a.target]),
        styleEls: root.querySelectorAll('style').length,
        styleAttrs: [...root.querySelectorAll('[style]')].map((el) => el.classList[0]),
      };
    });
    assert.equal(found.xss, undefined, 'nothing executed');
    assert.equal(found.badImg, 0, 'no element from the payloads');
    assert.equal(found.jsLinks, 0, 'no javascript: link');
    assert.deepEqual(found.links, [['https://example.com/ok?a=1&b=', 'noopener noreferrer', '_blank']]);
    assert.equal(found.styleEls, 0, 'no <style> element inside the shadow root');
    assert.deepEqual(found.styleAttrs, ['w'], 'only the colour custom properties, set through the CSSOM');
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('strict CSP page: no violation, the conversation works, photos load', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url('/strict'));
    await openWidget(page);
    const chatId = await firstChat(page, 'hello under CSP');
    const photo = await op.invoke('SendMediaMessage', chatId, { Name: 'dot.png', Format: 'image/png', DataBase64: PNG, Type: 1 });
    const img = page.locator(`[role="log"] [data-seq="${photo.seq}"] img[alt="dot.png"]`);
    await img.waitFor({ timeout: T });
    await hub.pollUntil(() => img.evaluate((el) => el.complete && el.naturalWidth === 1), { ms: T, what: 'photo loaded' });
    const bg = await page.locator('[data-chathub] .launcher').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(bg, 'rgb(10, 124, 255)', 'the constructable stylesheet applies under the CSP');
    assert.deepEqual(log.csp, [], 'no CSP violation');
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('a CSP that blocks the WebSocket: a visible error instead of an endless loading state', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.addInitScript(() => {
      window.__ev = [];
      window.addEventListener('chathub:error', (e) => window.__ev.push(e.detail));
    });
    await page.goto(site.url('/strict-http-only'));
    await page.locator('[data-chathub] .w[data-state="error"]').waitFor({ timeout: 20000 });
    assert.match(await page.locator('[data-chathub] .err').textContent(), /unavailable/);
    assert.equal(await page.locator('[data-chathub] .err').isVisible(), true);
    await hub.pollUntil(() => page.evaluate(() => window.__ev.some((d) => d.code === 'network')),
      { ms: T, what: 'chathub:error network' });
    // the hub client keeps retrying behind the error; the state stays a visible error
    const attempts = await page.evaluate(() => window.__ev.length);
    assert.equal(attempts, 1, 'one error event, not one per retry');
    assert.equal(await page.locator('[data-chathub] .w').getAttribute('data-state'), 'error');
    await ctx.close();
  });

  test('hostile host CSS cannot break the layout', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(site.url('/hostile'));
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ state: 'attached', timeout: T });
    const launcher = page.locator('[data-chathub] .launcher');
    const box = await launcher.boundingBox();
    assert.ok(box && box.width > 40 && box.height > 40, `launcher box ${JSON.stringify(box)}`);
    await launcher.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ timeout: T });
    const d = await dialog.boundingBox();
    assert.ok(d.width > 300 && d.height > 300, `panel box ${JSON.stringify(d)}`);
    const font = await page.getByRole('textbox', { name: 'Message' }).evaluate((el) => getComputedStyle(el).fontSize);
    assert.equal(font, '14px');
    await ctx.close();
  });

  async function axe(page, label) {
    await page.addScriptTag({ path: AXE });
    const r = await page.evaluate(async () => {
      const res = await window.axe.run(document, { resultTypes: ['violations'] });
      return res.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    });
    assert.deepEqual(r, [], `${label}: axe serious/critical violations`);
  }

  test('axe (light and dark), keyboard only, focus kept in the panel; screenshots', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(site.url('/plain'));
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    const active = () => page.evaluate(() => {
      const root = document.querySelector('[data-chathub]').shadowRoot;
      const a = root.activeElement;
      return a ? { tag: a.tagName, label: a.getAttribute('aria-label'), inPanel: !!a.closest('[role="dialog"]') } : null;
    });

    // keyboard only: Tab to the launcher, Enter opens, type, Enter sends
    await page.keyboard.press('Tab');
    await hub.pollUntil(async () => (await active())?.label === 'Open chat', { ms: T, what: 'launcher focused' });
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ timeout: T });
    assert.equal((await active()).tag, 'TEXTAREA', 'focus moves to the composer');
    const om = op.mark();
    await page.keyboard.type('typed with the keyboard');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');
    const [m] = await op.waitFor('ReceiveMessage', (x) => x.textMessage.startsWith('typed with'), { from: om, ms: T });
    assert.equal(m.textMessage, 'typed with the keyboard\nsecond line', 'Shift+Enter is a newline');
    await op.invoke('SendMessage', m.chatId, 'Thanks — see https://example.com/help for details.', crypto.randomUUID());
    await page.locator('[role="log"] [data-author="0"]').waitFor({ timeout: T });
    await op.invoke('MarkRead', m.chatId, m.seq);
    await page.locator(`[role="log"] [data-seq="${m.seq}"][data-status="3"]`).waitFor({ timeout: T });
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
      const a = await active();
      assert.ok(a && a.inPanel, `focus stays inside the open panel (step ${i}: ${JSON.stringify(a)})`);
    }
    await b.screenshot(page, 'widget-light-desktop');
    await axe(page, 'light desktop');
    await page.emulateMedia({ colorScheme: 'dark' });
    await b.screenshot(page, 'widget-dark-desktop');
    await axe(page, 'dark desktop');

    await page.setViewportSize({ width: 375, height: 740 });
    const d = await page.getByRole('dialog').boundingBox();
    assert.ok(d.x <= 1 && d.width >= 374 && d.height >= 739, `full screen below 600 px: ${JSON.stringify(d)}`);
    await b.screenshot(page, 'widget-dark-375');
    await page.emulateMedia({ colorScheme: 'light' });
    await b.screenshot(page, 'widget-light-375');
    await axe(page, 'light 375');

    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden', timeout: T });
    assert.equal((await active())?.label, 'Open chat', 'Escape returns focus to the launcher');
    await ctx.close();
  });
});
