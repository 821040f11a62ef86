'use strict';
// The visitor chat widget embedded on a website of another origin: launcher →
// panel → first message reaches the operator → the reply shows in the widget,
// typing both ways, read receipts, the unread badge, colours (light and dark,
// the misspelt attribute too), and the error state for a missing/unknown guid.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const b = require('./lib/browser');

const { hub } = b;
const h = b;
const T = 15000;
const MEDIA_MAX = 300000;

describe('visitor widget: basics', () => {
  let srv; let site; let browser; let fx; let op;
  let visitorCtx; // the first test's browser context (its localStorage holds the conversation)

  const RECORD = '<script>window.__ev=[];for(const n of ["chathub:ready","chathub:error"])'
    + 'window.addEventListener(n,(e)=>window.__ev.push([n,e.detail]));</script>';

  before(async () => {
    // a small media limit, so "too large" is quick to reach (the widget still says the default 10 MB)
    srv = await b.startServer({ env: { ...hub.HUB_ENV, CHATHUB_MEDIA_MAX_BYTES: String(MEDIA_MAX) } });
    fx = await hub.makeOrgFixture(srv, 'wbasic', { operators: 1, orgName: 'Acme Support' });
    op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
    site = await b.startSite();
    browser = await b.launch();
    site.page('/shop', b.html(RECORD + b.widgetTag(srv.base, fx.guid, {
      'main-color': '#0a7cff', 'main-dark-color': '#112233', 'operator-message-color': '#ffe08a',
      'operatoe-message-dark-color': '#553300', 'operator-message-text-color': '#222222', lang: 'en',
    }), { title: 'Acme shop' }));
    site.page('/badcolor', b.html(b.widgetTag(srv.base, fx.guid, { 'main-color': 'red;background:url(x)',
      'operator-message-color': 'javascript:alert(1)' })));
    site.page('/noguid', b.html(RECORD + '<script type="module" id="chat-widget-script" '
      + `src="${srv.base}/chat-widget/widget-script.js"></script>`));
    site.page('/badguid', b.html(RECORD + b.widgetTag(srv.base, 'no-such-guid-0000')));
  });
  after(async () => {
    if (browser) await browser.close();
    await hub.closeAllClients();
    if (site) await site.close();
    if (srv) await srv.stop();
  });

  async function openPage(path, opts = {}) {
    const ctx = await browser.newContext(opts);
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url(path));
    return { ctx, page, log };
  }

  test('launcher → first message → operator reply, typing both ways, receipts, unread badge', async () => {
    const { ctx, page, log } = await openPage('/shop');
    const w = page.locator('[data-chathub] .w');
    await w.and(page.locator('[data-state="ready"]')).waitFor({ timeout: T });
    const launcher = page.getByRole('button', { name: 'Open chat' });
    await launcher.click();
    const dialog = page.getByRole('dialog', { name: 'Acme Support' });
    await dialog.waitFor({ timeout: T });
    assert.equal(await launcher.getAttribute('aria-expanded'), 'true');

    const om = op.mark();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Hello from the website');
    await box.press('Enter');
    const [first] = await op.waitFor('ReceiveMessage', (m) => m.textMessage === 'Hello from the website',
      { from: om, ms: T });
    const chatId = first.chatId;
    assert.equal(first.author, 1);
    const mine = page.locator('[role="log"] [data-seq="1"][data-author="1"]');
    await mine.waitFor({ timeout: T });
    await hub.pollUntil(async () => (await mine.getAttribute('data-pending')) === null, { ms: T, what: 'acked' });
    assert.match(await mine.textContent(), /Hello from the website/);
    assert.equal(await page.locator('[role="log"] .msg').count(), 1, 'one message, no duplicate echo');

    // typing: visitor → operator
    const tm = op.mark();
    await box.pressSequentially('Are you', { delay: 20 });
    await op.waitFor('Typing', (id, author) => id === chatId && author === 1, { from: tm, ms: T });
    // typing: operator → visitor
    const typing = page.locator('[data-typing]');
    assert.equal(await typing.isVisible(), false);
    await op.invoke('Typing', chatId);
    await typing.waitFor({ state: 'visible', timeout: T });
    assert.match(await typing.textContent(), /typing/i);

    // the reply shows (operator name too); the open panel marks it read
    const rm = op.mark();
    const reply = await op.invoke('SendMessage', chatId, 'Hi! How can I help?', crypto.randomUUID());
    const theirs = page.locator(`[role="log"] [data-seq="${reply.seq}"][data-author="0"]`);
    await theirs.waitFor({ timeout: T });
    assert.match(await theirs.textContent(), /Hi! How can I help\?/);
    await page.getByText(`Operator: ${fx.ops[0].name}`).first().waitFor({ timeout: T });
    await typing.waitFor({ state: 'hidden', timeout: T });
    await op.waitFor('MessageStatusChanged', (id, st) => id === reply.id && st === 3, { from: rm, ms: T,
      what: 'the widget marking the reply read' });

    // read receipt of the visitor's message
    await box.fill('');
    assert.equal(await mine.getAttribute('data-status'), '1');
    await op.invoke('MarkRead', chatId, 1);
    await hub.pollUntil(async () => (await mine.getAttribute('data-status')) === '3', { ms: T, what: 'data-status 3' });
    assert.equal(await mine.locator('[aria-label="Read"]').count(), 1, 'a visible, labelled read receipt');

    // closed panel: operator messages count as unread on the launcher
    await box.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: T });
    const badge = page.locator('[data-chathub] .badge');
    assert.equal(await badge.isVisible(), false);
    await op.invoke('SendMessage', chatId, 'Are you still there?', crypto.randomUUID());
    await op.invoke('SendMessage', chatId, 'Hello?', crypto.randomUUID());
    await hub.pollUntil(async () => (await badge.isVisible()) && (await badge.textContent()) === '2',
      { ms: T, what: 'unread badge 2' });
    assert.match(await page.locator('[data-chathub] .launcher').getAttribute('aria-label'), /2 unread/);
    const rm2 = op.mark();
    await page.locator('[data-chathub] .launcher').click();
    await badge.waitFor({ state: 'hidden', timeout: T });
    await op.waitFor('MessageStatusChanged', (id, st) => st === 3, { from: rm2, ms: T });

    assert.deepEqual(await page.evaluate(() => window.__ev.map((e) => e[0])), ['chathub:ready']);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.csp, []);
    visitorCtx = ctx;
  });

  test('colours: main and operator-message colours, light and dark (misspelt dark attribute too)', async () => {
    const page = await visitorCtx.newPage();
    await page.goto(site.url('/shop'));
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.locator('[data-chathub] .launcher').click();
    const bubble = page.locator('[role="log"] [data-author="0"] .bubble').first();
    await bubble.waitFor({ timeout: T }); // the conversation from the first test, resumed
    const css = (loc, prop) => loc.evaluate((el, p) => getComputedStyle(el)[p], prop);
    const launcher = page.locator('[data-chathub] .launcher');
    assert.equal(await css(launcher, 'backgroundColor'), 'rgb(10, 124, 255)');
    assert.equal(await css(bubble, 'backgroundColor'), 'rgb(255, 224, 138)');
    assert.equal(await css(bubble, 'color'), 'rgb(34, 34, 34)');
    await page.emulateMedia({ colorScheme: 'dark' });
    await hub.pollUntil(async () => (await css(launcher, 'backgroundColor')) === 'rgb(17, 34, 51)',
      { ms: T, what: 'dark main colour' });
    assert.equal(await css(bubble, 'backgroundColor'), 'rgb(85, 51, 0)', 'operatoe-message-dark-color');
    assert.notEqual(await css(page.locator('[role="dialog"]'), 'backgroundColor'), 'rgb(255, 255, 255)',
      'dark panel');
    await visitorCtx.close();

    // values CSS does not accept as a colour are ignored (defaults apply)
    const { ctx, page: bad } = await openPage('/badcolor');
    await bad.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    assert.equal(await css(bad.locator('[data-chathub] .launcher'), 'backgroundColor'), 'rgb(10, 95, 214)');
    await ctx.close();
  });

  test('photo and file upload over HTTP (200 KB photo, retried once after a lost answer); too large → inline error',
    async () => {
      const { ctx, page, log } = await openPage('/shop');
      await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
      await page.locator('[data-chathub] .launcher').click();
      const box = page.getByRole('textbox', { name: 'Message' });
      const om = op.mark();
      await box.fill('I will send a photo');
      await box.press('Enter');
      const [m1] = await op.waitFor('ReceiveMessage', (m) => m.textMessage === 'I will send a photo', { from: om, ms: T });
      // a 1×1 PNG padded to 200 KB (bytes after IEND are ignored by decoders)
      const png = Buffer.concat([Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'),
        Buffer.alloc(200 * 1024, 1)]);
      const attach = async (file) => {
        const chooser = page.waitForEvent('filechooser');
        await page.getByRole('button', { name: 'Attach file' }).click();
        await (await chooser).setFiles(file);
      };
      // the first upload reaches the server, but its answer is lost: the widget retries with the same
      // clientMessageId and the photo is stored once
      let uploads = 0;
      await page.route('**/api/widget/*/message', async (route) => {
        uploads++;
        if (uploads > 1) { await route.continue(); return; }
        await route.fetch();
        await route.abort('connectionreset');
      });
      await attach({ name: 'receipt.png', mimeType: 'image/png', buffer: png });
      const [photo] = await op.waitFor('ReceiveMediaMessage', (m) => m.chatId === m1.chatId && m.media && m.media.name === 'receipt.png',
        { from: om, ms: T });
      assert.equal(photo.media.type, 1);
      const img = page.locator(`[role="log"] [data-seq="${photo.seq}"][data-author="1"] img[alt="receipt.png"]`);
      await img.waitFor({ timeout: T });
      await hub.pollUntil(() => img.evaluate((el) => el.complete && el.naturalWidth === 1), { ms: T, what: 'own photo loaded' });
      await hub.pollUntil(async () => uploads >= 2 && (await page.locator('[role="log"] [data-pending]').count()) === 0,
        { ms: T, what: 'the retry answered' });
      await page.unroute('**/api/widget/*/message');
      assert.equal(await page.locator('[role="log"] img[alt="receipt.png"]').count(), 1, 'one photo, no duplicate');
      const stored = await hub.allMessages(srv, op.token, m1.chatId);
      assert.equal(stored.filter((m) => m.media && m.media.name === 'receipt.png').length, 1, 'stored exactly once');
      assert.equal(op.all('ReceiveMediaMessage').filter(([m]) => m.media && m.media.name === 'receipt.png').length, 1);
      const got = await fetch(new URL(photo.media.url, srv.base));
      assert.equal(got.status, 200);
      assert.equal((await got.arrayBuffer()).byteLength, png.length, 'the operator gets the whole 200 KB photo');

      await attach({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('order 42') });
      const [doc] = await op.waitFor('ReceiveMediaMessage', (m) => m.media && m.media.name === 'notes.txt', { from: om, ms: T });
      assert.equal(doc.media.type, 4);
      await page.locator(`[role="log"] [data-seq="${doc.seq}"] a`, { hasText: 'notes.txt' }).waitFor({ timeout: T });

      const before = op.all('ReceiveMediaMessage').length;
      await attach({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MEDIA_MAX + 1000, 7) });
      const alert = page.getByRole('alert').filter({ hasText: 'too large' });
      await alert.waitFor({ timeout: T });
      assert.match(await alert.textContent(), /too large \(max 10 MB\)/);
      await hub.pollUntil(async () => (await page.locator('[role="log"] [data-pending]').count()) === 0,
        { ms: T, what: 'no pending upload left' });
      const after = await hub.allMessages(srv, op.token, m1.chatId);
      assert.equal(after.filter((m) => m.media && m.media.name === 'big.bin').length, 0, 'nothing was stored');
      assert.equal(op.all('ReceiveMediaMessage').length, before, 'nothing was sent');

      // another refusal shows the server's message inline
      await page.route('**/api/widget/*/message', (route) => route.fulfill({ status: 400, contentType: 'application/json',
        body: JSON.stringify({ status: 400, error: 'Bad Request', message: 'media.format is not allowed', code: 1003 }) }));
      await attach({ name: 'odd.xyz', mimeType: 'application/x-odd', buffer: Buffer.from('x') });
      await page.getByRole('alert').filter({ hasText: 'media.format is not allowed' }).waitFor({ timeout: T });
      assert.equal(await page.locator('[role="log"] [data-pending]').count(), 0);
      await page.unroute('**/api/widget/*/message');
      assert.deepEqual(log.errors, []);
      await ctx.close();
    });

  test('missing or unknown guid: a visible error state and chathub:error', async () => {
    for (const [path, code] of [['/noguid', 'invalid_guid'], ['/badguid', 'invalid_guid']]) {
      const { ctx, page, log } = await openPage(path);
      await page.locator('[data-chathub] .w[data-state="error"]').waitFor({ timeout: T });
      const err = page.locator('[data-chathub] .err');
      assert.equal(await err.isVisible(), true, `${path}: the error is visible`);
      assert.match(await err.textContent(), /unavailable/i);
      await hub.pollUntil(() => page.evaluate(() => window.__ev.some((e) => e[0] === 'chathub:error')),
        { ms: T, what: 'chathub:error' });
      const ev = await page.evaluate(() => window.__ev);
      assert.equal(ev.find((e) => e[0] === 'chathub:error')[1].code, code);
      assert.deepEqual(log.errors, [], path);
      await ctx.close();
    }
  });
});
