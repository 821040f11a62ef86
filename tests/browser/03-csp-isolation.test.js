'use strict';
// Both widgets on one page under a strict Content-Security-Policy that allows
// only the ChatHub server for scripts, styles, connections (its http: and ws:
// origin) and images: they
// work (a message and a photo go both ways) with zero securitypolicyviolation
// events. And host-page CSS such as `* { all: unset }` does not change their
// layout.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');

// 1×1 PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('strict CSP and hostile host CSS', () => {
  let srv, site, browser, fx;

  before(async () => {
    srv = await b.startServer({ env: b.hub.HUB_ENV });
    fx = await b.hub.makeOrgFixture(srv, 'cspco', { operators: 1 });
    site = await b.startSite();
    // The server's origin for connections is http: and ws: (Chromium does not let an http: source cover
    // a ws: URL, and a scheme-less one neither): docs/widgets.md tells integrators to list both.
    const ws = srv.base.replace(/^http/, 'ws');
    const csp = `default-src 'none'; script-src ${srv.base}; style-src ${srv.base}; connect-src ${srv.base} ${ws}; ` +
      `img-src ${srv.base} data:`;
    const both = `<div id="slot"></div>${b.panelTag(srv.base, fx.ops[0].token, { container: '#slot' })}` +
      b.widgetTag(srv.base, fx.guid);
    site.page('/strict', b.html(both, { title: 'Strict CSP' }), { csp });
    site.page('/plain-panel', b.html(b.panelTag(srv.base, fx.ops[0].token), { title: 'Plain' }));
    site.page('/plain-widget', b.html(b.widgetTag(srv.base, fx.guid), { title: 'Plain' }));
    const hostile = '<style>* { all: unset !important; } body { font: 40px/3 serif; color: red; } ' +
      'div { display: flex; padding: 30px; } button { width: 500px; } textarea { height: 300px; }</style>';
    site.page('/hostile-panel', b.html(b.panelTag(srv.base, fx.ops[0].token), { title: 'Hostile', head: hostile }));
    site.page('/hostile-widget', b.html(b.widgetTag(srv.base, fx.guid), { title: 'Hostile', head: hostile }));
    browser = await b.launch();
  });
  after(async () => {
    await b.hub.closeAllClients();
    if (browser) await browser.close();
    if (site) await site.close();
    if (srv) await srv.stop();
  });

  test('both widgets work under the strict policy with zero violations', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // registered before any page script runs (DevTools protocol, not an inline script the policy would block)
    await ctx.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile || ''}:${e.lineNumber || ''}`);
      });
    });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url('/strict'));
    const panel = page.locator('[data-operator-panel] [data-state]').first();
    const widget = page.locator('[data-chathub]:not([data-operator-panel]) [data-state]').first();
    await b.expectAttr(panel, 'data-state', 'ready');
    await b.expectAttr(widget, 'data-state', 'ready');

    const wroot = page.locator('[data-chathub]:not([data-operator-panel])');
    await wroot.locator('button.launcher').click();
    const vInput = wroot.getByRole('textbox', { name: 'Message' });
    await vInput.fill('under a strict policy');
    await vInput.press('Enter');
    await wroot.locator('input[type="file"]').setInputFiles({ name: 'pixel.png', mimeType: 'image/png', buffer: PNG });
    const proot = page.locator('[data-operator-panel]');
    const item = proot.locator('[data-chat-id]').first();
    await item.waitFor({ timeout: 15000 });
    await item.click();
    await proot.locator('[role="log"] [data-author="1"]', { hasText: 'under a strict policy' }).waitFor({ timeout: 15000 });
    const img = proot.locator('[role="log"] img').first();
    await img.waitFor({ timeout: 15000 });
    await b.hub.pollUntil(() => img.evaluate((i) => i.complete && i.naturalWidth === 1), { ms: 15000, what: 'the photo loads' });
    const oInput = proot.getByRole('textbox', { name: 'Message' });
    await oInput.fill('answered under the same policy');
    await oInput.press('Enter');
    await wroot.locator('[role="log"] [data-author="0"]', { hasText: 'answered under the same policy' }).waitFor({ timeout: 15000 });

    const violations = await page.evaluate(() => window.__violations);
    assert.deepEqual(violations, [], 'no securitypolicyviolation events');
    assert.deepEqual(log.csp, [], 'no CSP messages on the console');
    assert.deepEqual(log.errors, [], 'no page errors');
    await ctx.close();
  });

  // Boxes of the widget's parts on a plain page and on a page whose CSS tries to restyle everything.
  async function boxes(url, open, selectChat) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(url);
    await b.expectAttr(page.locator('[data-chathub] [data-state]').first(), 'data-state', 'ready');
    const launcher = await page.locator('[data-chathub] button.launcher').first().boundingBox();
    await page.locator('[data-chathub] button.launcher').click();
    if (selectChat) {
      await page.locator('[data-chathub] [data-chat-id]').first().click();
      // the panel's operator coming online assigns the queued chat, and its header
      // grows by the actions of an Open chat: measure the layout once it has
      await page.locator('[data-chathub] [data-status-label="1"]').waitFor({ timeout: 15000 });
    }
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    const out = { launcher };
    for (const [name, sel] of Object.entries(open)) {
      const box = await page.locator(sel).first().boundingBox();
      const font = await page.locator(sel).first().evaluate((el) => getComputedStyle(el).fontFamily + ' ' + getComputedStyle(el).fontSize);
      out[name] = { ...box, font };
    }
    await ctx.close();
    return out;
  }

  for (const kind of ['panel', 'widget']) {
    test(`host CSS such as * { all: unset } does not change the ${kind}'s layout`, async () => {
      const parts = { input: '[data-chathub] textarea', log: '[data-chathub] [role="log"]',
        send: '[data-chathub] button[aria-label="Send"]' };
      // the panel shows its composer for a selected chat: give it one
      if (kind === 'panel' && !fx.chat) fx.chat = await b.hub.visitorChat(srv, fx.guid, 'layout check');
      const plain = await boxes(site.url(`/plain-${kind}`), parts, kind === 'panel');
      const hostile = await boxes(site.url(`/hostile-${kind}`), parts, kind === 'panel');
      assert.deepEqual(hostile.launcher, plain.launcher, `${kind} launcher box`);
      for (const k of Object.keys(parts)) {
        for (const dim of ['x', 'y', 'width', 'height']) {
          assert.ok(Math.abs(plain[k][dim] - hostile[k][dim]) <= 1, `${kind} ${k}.${dim}: ${plain[k][dim]} vs ${hostile[k][dim]}`);
        }
        assert.equal(hostile[k].font, plain[k].font, `${kind} ${k} font`);
      }
    });
  }
});
