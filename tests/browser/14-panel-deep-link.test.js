'use strict';
// The operator panel as a page a CRM links to: /operator-chat-panel/#token=…&chat-id=….
// The link opens that chat full-page; the fragment is gone from the address bar
// at once; no HTTP request carries the token in its URL or Referer (requests
// recorded as Chromium sends them, through the DevTools protocol); the page's
// own strict policy sees no violation. Without a token the page says so; a
// token in the query string is refused and wiped; a new fragment opens another
// chat in the same tab.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

describe('operator panel: the deep-link page', () => {
  let srv, fx, browser, first, second;
  const stage = b.stage('deeplinkco', { operators: 1 });

  before(async () => {
    ({ srv, fx, browser } = stage);
    first = await b.hub.visitorChat(srv, fx.guid, 'Where is my order 4711?', { name: 'Olena' });
    second = await b.hub.visitorChat(srv, fx.guid, 'Do you ship to Lviv?', { name: 'Taras' });
  });

  /** A page whose requests are recorded as sent (CDP: the URL without its fragment, the Referer). */
  async function recordedPage() {
    const page = await L.newPage(browser);
    await page.context().addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const sent = { http: [], ws: [] };
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.requestWillBeSent', (e) => sent.http.push({
      url: e.request.url, fragment: e.request.urlFragment || '',
      referer: e.request.headers.Referer || e.request.headers.referer || '', type: e.type }));
    cdp.on('Network.webSocketCreated', (e) => sent.ws.push(e.url));
    return { page, sent };
  }

  const panelText = async (page) => (await L.transcript(page)).map((m) => m.text).join('\n');

  test('the link opens its chat full-page, leaves no token in the address bar, sends it in no URL', async () => {
    const token = fx.ops[0].token;
    const { page, sent } = await recordedPage();
    const link = `${srv.base}/operator-chat-panel/#token=${token}&chat-id=${first.chatId}`;
    await page.goto(link);
    await L.waitState(page, 'ready');
    await L.poll(async () => (await panelText(page)).includes('Where is my order 4711?'), 'the linked chat is open');
    assert.ok(!(await panelText(page)).includes('Do you ship to Lviv?'), 'that chat, not the newest');

    assert.equal(await page.evaluate(() => location.href), `${srv.base}/operator-chat-panel/`, 'no fragment left');
    assert.equal(await page.evaluate(() => location.hash), '');
    assert.equal(page.url(), `${srv.base}/operator-chat-panel/`);

    const box = await page.locator(`${L.PANEL()} .panel`).boundingBox();
    assert.ok(box.width >= 1200 && box.height >= 700, `the panel fills the page: ${JSON.stringify(box)}`);
    assert.equal(await page.locator(`${L.PANEL()} .launcher`).count(), 0, 'inline, no launcher');
    assert.equal(await page.locator('#no-token').isVisible(), false);

    const types = new Set(sent.http.map((r) => r.type));
    assert.ok(types.has('Document') && types.has('Script'), `requests were recorded: ${[...types]}`);
    const doc = sent.http.find((r) => r.type === 'Document');
    assert.ok(doc.fragment.includes(token) && !doc.url.includes(token), 'the token stayed in the fragment, never sent');
    const carrying = sent.http.filter((r) => r.url.includes(token) || r.referer.includes(token));
    assert.deepEqual(carrying.map((r) => `${r.type} ${r.url}`), [], 'no HTTP request carries the token in its URL or Referer');
    assert.ok(sent.http.some((r) => r.url.endsWith('/operator-chat-panel/widget-script.js')), 'the panel loaded');
    // the hub's WebSocket authenticates as every embed does (docs/hub.md), to the ChatHub server only
    assert.ok(sent.ws.length >= 1, 'the panel connected');
    for (const u of sent.ws) assert.equal(new URL(u).origin + new URL(u).pathname, `${srv.base.replace('http', 'ws')}/chathub`);

    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no violation of the page\'s policy');
    assert.deepEqual(page.log.console, [], 'no console error');
    assert.deepEqual(page.log.errors, [], 'no page error');

    // the history entry was replaced, not added to: back and forward find no token either
    const entries = await page.evaluate(() => history.length);
    await page.goBack();
    await page.goForward();
    assert.equal(page.url(), `${srv.base}/operator-chat-panel/`, 'the history entry has no token');
    assert.equal(await page.evaluate(() => history.length), entries);
    await page.context().close();
  });

  test('a new fragment in the same tab opens another chat, with the token the panel has', async () => {
    const token = fx.ops[0].token;
    const { page, sent } = await recordedPage();
    await page.goto(`${srv.base}/operator-chat-panel/#token=${token}&chat-id=${first.chatId}`);
    await L.waitState(page, 'ready');
    await L.poll(async () => (await panelText(page)).includes('Where is my order 4711?'), 'the first chat');
    await page.evaluate((id) => { location.hash = `chat-id=${id}`; }, second.chatId);
    await L.poll(async () => (await panelText(page)).includes('Do you ship to Lviv?'), 'the second chat');
    await L.waitState(page, 'ready');
    assert.equal(await page.evaluate(() => location.hash), '');
    assert.equal(await page.locator('script[id^="operator-chat-panel-script"]').count(), 1, 'one panel');
    assert.deepEqual(sent.http.filter((r) => r.url.includes(token) || r.referer.includes(token)).map((r) => r.url), []);
    assert.deepEqual(page.log.errors, []);
    await page.context().close();
  });

  test('without a token the page says what link it needs', async () => {
    const { page, sent } = await recordedPage();
    await page.goto(`${srv.base}/operator-chat-panel/`);
    const notice = page.getByRole('alert');
    await notice.waitFor();
    assert.match(await notice.innerText(), /No operator token/);
    assert.match(await notice.innerText(), /#token=<operator token>&chat-id=<chat id>/);
    assert.equal(await page.locator('script[id^="operator-chat-panel-script"]').count(), 0, 'no panel');
    await b.sleep(300);
    assert.deepEqual(sent.ws, [], 'no hub connection');
    assert.deepEqual(page.log.console, [], 'no console error');
    await page.context().close();
  });

  test('a token in the query string is not used, and is wiped from the address bar', async () => {
    const token = fx.ops[0].token;
    const { page } = await recordedPage();
    await page.goto(`${srv.base}/operator-chat-panel/?token=${token}&chat-id=${first.chatId}`);
    const notice = page.getByRole('alert');
    await notice.waitFor();
    assert.match(await notice.innerText(), /query string/);
    assert.equal(await page.evaluate(() => location.href), `${srv.base}/operator-chat-panel/`);
    assert.equal(await page.locator('script[id^="operator-chat-panel-script"]').count(), 0, 'no panel');
    await page.context().close();
  });
});
