'use strict';
// Search in the operator panel (a company page on another origin): Alt+K
// focuses the box; a word from a Closed chat finds it (any status), the result
// shows the snippet with the matched term highlighted (<mark> around text,
// never HTML from the server), and opens the chat's transcript read-only;
// Esc clears the search; axe-core and screenshots.
//
// The snippet and `match` need the server's full-text search
// (GET /api/chat/chats?search= answering `match`); until it is there the
// snippet assertions fail.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const AXE = path.join(b.REPO || path.join(__dirname, '..', '..'), 'node_modules', 'axe-core', 'axe.min.js');

function crm(srv, token, attrs = {}) {
  return b.html(`<div id="crm" style="height:700px"></div>${b.panelTag(srv.base, token, { container: '#crm', ...attrs })}`);
}

async function axe(p, what) {
  await p.addScriptTag({ path: AXE });
  const res = await p.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(res, [], `${what}: ${res.join('\n')}`);
}

describe('operator panel: search', () => {
  let srv; let site; let browser; let fx;
  let closed; let open;
  let page;
  const P = L.PANEL();
  const results = () => page.evaluate((sel) => [...document.querySelector(sel).shadowRoot
    .querySelectorAll('[data-search-results] [data-result-id]')].map((el) => ({
    id: Number(el.getAttribute('data-result-id')),
    snippet: el.querySelector('[data-snippet]') ? el.querySelector('[data-snippet]').textContent : null,
    marks: [...el.querySelectorAll('[data-snippet] mark')].map((m) => m.textContent),
    raw: /[\u0002\u0003<>]/.test(el.textContent),
  })), P);

  const stage = b.stage('searchco', { operators: 1, orgName: 'Search Support' });
  before(() => { ({ srv, site, fx, browser } = stage); });

  test('set-up: a Closed chat with a rare word, an open one without it', async () => {
    closed = await b.hub.visitorChat(srv, fx.guid, 'My parcel with the marmalade jar arrived broken', { name: 'Olena' });
    await b.hub.postMessage(srv, fx.token, closed.chatId, { textMessage: 'Sorry! We will send another one.' });
    const r = await b.hub.setChatStatus(srv, fx.token, closed.chatId, 4);
    assert.equal(r.status, 200);
    open = await b.hub.visitorChat(srv, fx.guid, 'Where is my order?', { name: 'Petro' });
  });

  test('Alt+K focuses the box; a word of a Closed chat finds it, the term highlighted as text', async () => {
    page = await L.newPage(browser);
    await page.goto(site.page('/crm', crm(srv, fx.ops[0].token)));
    await L.waitState(page, 'ready');
    await L.poll(async () => (await L.chatItems(page)).some((c) => c.id === open.chatId), 'the open chat listed');
    assert.ok(!(await L.chatItems(page)).some((c) => c.id === closed.chatId), 'the Closed chat is not in the lists');
    await page.locator(`${P} .panel`).click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Alt+KeyK');
    const box = page.locator(`${P} input[data-search]`);
    await L.poll(() => box.evaluate((el) => el.getRootNode().activeElement === el), 'Alt+K focuses the search box');
    await page.keyboard.type('MARMALADE');
    await L.poll(async () => (await results()).length === 1, 'one result');
    const [r] = await results();
    assert.equal(r.id, closed.chatId);
    assert.equal(r.raw, false, 'no control character or markup shown');
    assert.match(r.snippet, /marmalade/i);
    assert.deepEqual(r.marks.map((m) => m.toLowerCase()), ['marmalade'], 'the matched term highlighted');
  });

  test('a result opens the transcript, read-only because Closed; Esc clears the search', async () => {
    await page.locator(`${P} [data-result-id="${closed.chatId}"]`).click();
    await L.poll(async () => (await L.transcript(page)).length === 2, 'the Closed chat\'s transcript');
    assert.match((await L.transcript(page))[0].text, /marmalade jar/);
    assert.equal(await page.locator(`${P} [data-read-only]`).isVisible(), true, 'read-only');
    assert.equal(await page.locator(`${P} [data-composer-box]`).isVisible(), false);
    assert.equal(await page.locator(`${P} .convhead [data-title]`).textContent(), 'Olena');
    const box = page.locator(`${P} input[data-search]`);
    await box.focus();
    await page.keyboard.press('Escape');
    assert.equal(await box.inputValue(), '');
    await L.poll(async () => (await L.chatItems(page)).some((c) => c.id === open.chatId), 'the lists again');
    assert.equal(await page.locator(`${P} .panel`).isVisible(), true);
    // nothing matches
    await box.fill('zzzqqq');
    await L.poll(async () => /No chat matches/.test(await page.locator(`${P} [data-search-results]`).textContent()), 'no result');
    assert.deepEqual(page.log.errors, []);
  });

  test('a match older than the loaded history: the transcript is fetched back to it and shows it', async () => {
    const long = await b.hub.visitorChat(srv, fx.guid, 'Hello there', { name: 'Taras' });
    await b.hub.postMessage(srv, fx.token, long.chatId, { textMessage: 'Your voucher code is QUINCEBLOSSOM' });
    for (let i = 0; i < 120; i++) await b.hub.postMessage(srv, fx.token, long.chatId, { textMessage: `Line ${i}` });
    const box = page.locator(`${P} input[data-search]`);
    await box.fill('quinceblossom');
    await L.poll(async () => (await results()).some((r) => r.id === long.chatId), 'found');
    await page.locator(`${P} [data-result-id="${long.chatId}"]`).click();
    const hit = () => page.evaluate((sel) => {
      const el = document.querySelector(sel).shadowRoot.querySelector('.msg.hit');
      return el ? { seq: Number(el.getAttribute('data-seq')), text: el.textContent } : null;
    }, P);
    await L.poll(async () => { const x = await hit(); return x && x.seq === 2; }, 'message 2 of 122 loaded and marked');
    assert.match((await hit()).text, /QUINCEBLOSSOM/);
    await box.focus();
    await page.keyboard.press('Escape');
    assert.deepEqual(page.log.errors, []);
  });

  test('axe-core and screenshots with results (light and dark)', async () => {
    for (const theme of ['light', 'dark']) {
      const sp = await L.newPage(browser);
      await sp.goto(site.page(`/search-${theme}`, crm(srv, fx.ops[0].token, { theme })));
      await L.waitState(sp, 'ready');
      await sp.locator(`${P} input[data-search]`).fill('marmalade');
      await sp.locator(`${P} [data-result-id]`).first().waitFor();
      await axe(sp, `${theme}, search results`);
      await b.screenshot(sp, `panel-search-${theme}`);
      await sp.context().close();
    }
  });
});
