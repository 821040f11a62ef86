'use strict';
// The visitor widget with a long transcript: a chat of 1,000 messages keeps the
// DOM bounded (≤ 300 message elements, live and after a reload), shows the
// latest, and scrolling to the top pages older history with GetMessages —
// contiguous seqs, no duplicates — dropping the far end. Scrolling: a message
// arriving while the visitor has scrolled up does not jump; a "New messages"
// button does; at the bottom (and on the visitor's own send) it follows.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const b = require('./lib/browser');

const { hub } = b;
const T = 15000;
const N = 1000;
const BOUND = 300;

describe('visitor widget: long transcripts and scrolling', () => {
  let srv; let site; let browser; let fx; let op;

  before(async () => {
    srv = await b.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'whist', { operators: 1, orgName: 'History Support' });
    op = await hub.connectHub(srv.base, fx.ops[0].token, { label: 'operator' });
    site = await b.startSite();
    browser = await b.launch();
    site.page('/p', b.html(b.widgetTag(srv.base, fx.guid, { lang: 'en' })));
  });
  after(async () => {
    if (browser) await browser.close();
    await hub.closeAllClients();
    if (site) await site.close();
    if (srv) await srv.stop();
  });

  // the transcript as the DOM holds it: [{id, seq}] in order, and the log's scroll position
  const snap = (page) => page.evaluate(() => {
    const log = document.querySelector('[data-chathub]').shadowRoot.querySelector('[role="log"]');
    const msgs = [...log.querySelectorAll('.msg')].map((x) => ({ id: x.getAttribute('data-id'),
      seq: Number(x.getAttribute('data-seq')), pending: x.hasAttribute('data-pending') }));
    return { msgs, top: log.scrollTop, bottom: log.scrollHeight - log.scrollTop - log.clientHeight };
  });
  const setScroll = (page, where) => page.evaluate((w) => {
    const log = document.querySelector('[data-chathub]').shadowRoot.querySelector('[role="log"]');
    log.scrollTop = w === 'top' ? 0 : w === 'bottom' ? log.scrollHeight : log.scrollHeight / 2;
  }, where);
  function checkWindow(s, what) {
    assert.ok(s.msgs.length <= BOUND, `${what}: ${s.msgs.length} message elements (≤ ${BOUND})`);
    const seqs = s.msgs.map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) {
      assert.equal(seqs[i], seqs[i - 1] + 1, `${what}: contiguous seqs at ${i} (${seqs[i - 1]} → ${seqs[i]})`);
    }
    assert.equal(new Set(s.msgs.map((m) => m.id)).size, s.msgs.length, `${what}: no duplicate ids`);
  }

  test('1,000 messages: bounded DOM, the latest shown, older pages on scroll to the top; scrolling', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url('/p'));
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.locator('[data-chathub] .launcher').click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('message number 1');
    await box.press('Enter');
    const [first] = await op.waitFor('ReceiveMessage', (m) => m.textMessage === 'message number 1', { ms: T });
    const chatId = first.chatId;

    // 999 operator messages over REST (a few in parallel), received live by the open widget
    let next = 2;
    const worker = async () => {
      while (next <= N) {
        const i = next++;
        await hub.postMessage(srv, op.token, chatId, { textMessage: `message number ${i}` });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await hub.pollUntil(async () => (await snap(page)).msgs.some((m) => m.seq === N), { ms: 30000, what: `seq ${N} live` });
    let s = await snap(page);
    checkWindow(s, 'live');
    assert.equal(s.msgs[s.msgs.length - 1].seq, N);
    assert.ok(s.bottom < 40, `followed the live messages to the bottom (${s.bottom})`);

    // reload: the latest page, bounded
    await page.reload();
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.locator('[data-chathub] .launcher').click();
    await page.locator(`[role="log"] [data-seq="${N}"]`).waitFor({ timeout: T });
    s = await snap(page);
    checkWindow(s, 'after reload');
    assert.equal(s.msgs[s.msgs.length - 1].seq, N, 'the latest message is shown');
    assert.ok(s.msgs[0].seq > 1, 'not the whole history');
    assert.ok(s.bottom < 40, 'scrolled to the latest');

    // scroll to the top again and again: older pages until seq 1, always contiguous and bounded
    let firstSeq = s.msgs[0].seq;
    for (let round = 0; firstSeq > 1 && round < 40; round++) {
      await setScroll(page, 'top');
      await hub.pollUntil(async () => (await snap(page)).msgs[0].seq < firstSeq, { ms: T, what: `older than ${firstSeq}` });
      s = await snap(page);
      checkWindow(s, `older page ${round}`);
      assert.ok(s.top > 0, 'the view stays where it was (older messages are inserted above)');
      firstSeq = s.msgs[0].seq;
    }
    assert.equal(firstSeq, 1, 'the whole history is reachable');
    assert.ok(s.msgs[s.msgs.length - 1].seq < N, 'the far end was dropped');
    assert.equal(await page.locator('[role="log"] [data-seq="1"] .text').textContent(), 'message number 1');

    // a reply while scrolled up (and the newest not in the DOM): no jump, a "New messages" button
    const topBefore = (await snap(page)).top;
    await op.invoke('SendMessage', chatId, 'a reply while you read', crypto.randomUUID());
    const newer = page.getByRole('button', { name: /New messages/ });
    await newer.waitFor({ timeout: T });
    s = await snap(page);
    assert.equal(s.msgs[0].seq, 1, 'the view did not jump');
    assert.ok(Math.abs(s.top - topBefore) < 5, `scroll position kept (${topBefore} → ${s.top})`);
    await newer.click();
    await page.locator(`[role="log"] [data-seq="${N + 1}"]`).waitFor({ timeout: T });
    await hub.pollUntil(async () => (await snap(page)).bottom < 40, { ms: T, what: 'at the bottom' });
    checkWindow(await snap(page), 'after "New messages"');
    await newer.waitFor({ state: 'hidden', timeout: T });

    // scrolled up a little (the newest in the DOM): no jump either; scrolling down hides the button
    await setScroll(page, 'middle');
    await hub.pollUntil(async () => (await snap(page)).bottom > 100, { ms: T, what: 'scrolled up' });
    await op.invoke('SendMessage', chatId, 'another reply', crypto.randomUUID());
    await page.locator(`[role="log"] [data-seq="${N + 2}"]`).waitFor({ timeout: T });
    await newer.waitFor({ timeout: T });
    assert.ok((await snap(page)).bottom > 100, 'no jump to the bottom');
    await setScroll(page, 'bottom');
    await newer.waitFor({ state: 'hidden', timeout: T });

    // at the bottom: a new message is followed
    await op.invoke('SendMessage', chatId, 'followed reply', crypto.randomUUID());
    await page.locator(`[role="log"] [data-seq="${N + 3}"]`).waitFor({ timeout: T });
    await hub.pollUntil(async () => (await snap(page)).bottom < 40, { ms: T, what: 'followed to the bottom' });
    assert.equal(await newer.isVisible(), false);

    // the visitor's own send scrolls down even from far up in the history
    const was = (await snap(page)).msgs[0].seq;
    await setScroll(page, 'top');
    await hub.pollUntil(async () => (await snap(page)).msgs[0].seq < was, { ms: T, what: 'an older page' });
    assert.ok((await snap(page)).bottom > 1000, 'far up in the history');
    await box.fill('my own message');
    await box.press('Enter');
    await page.locator('[role="log"] .msg:not([data-pending])', { hasText: 'my own message' }).waitFor({ timeout: T });
    await hub.pollUntil(async () => (await snap(page)).bottom < 40, { ms: T, what: 'own send at the bottom' });
    s = await snap(page);
    checkWindow(s, 'after own send');
    assert.equal(s.msgs[s.msgs.length - 1].seq, N + 4);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });
});
