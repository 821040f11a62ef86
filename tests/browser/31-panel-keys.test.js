'use strict';
// The operator panel's title rule, keyboard shortcuts, `?` help overlay and
// desktop notifications, in a company page on another origin. The Notification
// API and the tab's visibility are replaced by an init script (a headless
// browser has neither a permission prompt nor a hidden tab), so the test can
// see when permission is asked and which notifications are shown.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const AXE = path.join(b.REPO || path.join(__dirname, '..', '..'), 'node_modules', 'axe-core', 'axe.min.js');

const FAKES = `
  window.__hidden = false;
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get() { return !!window.__hidden; } });
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true,
    get() { return window.__hidden ? 'hidden' : 'visible'; } });
  window.__notes = [];
  window.__asked = 0;
  class FakeNotification {
    constructor(title, opts) { this.title = title; this.body = opts && opts.body; this.tag = opts && opts.tag; window.__notes.push(this); }
    close() { this.closed = true; }
  }
  FakeNotification.permission = 'default';
  FakeNotification.requestPermission = () => { window.__asked++; FakeNotification.permission = 'granted'; return Promise.resolve('granted'); };
  window.Notification = FakeNotification;
`;

describe('operator panel: title, shortcuts, help overlay, notifications', () => {
  let srv;
  let site;
  let browser;
  let fx;
  let page;
  let va;  // anonymous visitor
  let vb;  // Boris
  const P = L.PANEL();

  const stage = b.stage('keysco', { operators: 1 });
  before(() => { ({ srv, site, fx, browser } = stage); });

  const sel = (s) => page.locator(`${P} ${s}`);
  const focused = () => page.evaluate((x) => {
    const a = document.querySelector(x).shadowRoot.activeElement;
    return a ? { chat: a.getAttribute('data-chat-id'), composer: a.hasAttribute('data-composer'),
      help: !!a.closest('[data-help]'), tag: a.tagName } : {};
  }, P);
  const current = async () => Number(await sel('[data-chat-id][aria-current="true"]').getAttribute('data-chat-id'));

  test('title: the client\'s name, else "Visitor #<client id>", never the first message', async () => {
    page = await L.newPage(browser);
    await page.addInitScript(FAKES);
    await page.goto(site.page('/crm', b.html(b.panelTag(srv.base, fx.ops[0].token))));
    await L.waitState(page, 'ready');
    await sel('.launcher').click();
    va = await b.hub.visitorChat(srv, fx.guid, 'Where is my parcel? It was due yesterday');
    vb = await b.hub.visitorChat(srv, fx.guid, 'Hello there', { name: 'Boris' });
    const anon = `Visitor #${va.session.clientId}`;
    const chat = await b.hub.getChat(srv, fx.token, va.chatId);
    assert.ok(chat.theme.startsWith('Where is my parcel'), 'the server\'s theme is the first words');
    await L.poll(async () => (await L.chatItems(page)).length === 2, 'both chats listed');
    const title = (id) => sel(`[data-chat-id="${id}"] [data-title]`).textContent();
    assert.equal(await title(va.chatId), anon);
    assert.equal(await title(vb.chatId), 'Boris');
    await sel(`[data-chat-id="${va.chatId}"]`).click();
    await L.poll(async () => (await sel('.convhead [data-title]').textContent()) === anon, 'the header too');
    await sel(`[data-chat-id="${vb.chatId}"]`).click();
    await L.poll(async () => (await sel('.convhead [data-title]').textContent()) === 'Boris', 'a named client');
  });

  test('shortcuts: Alt+N next unread, Alt+R canned list, Alt+Shift+C close; `?` is text in the composer', async () => {
    await b.api(srv.base, 'POST', '/api/canned-responses', { token: fx.token,
      body: { organizationId: fx.orgId, shortcut: 'thanks', title: 'Thanks', text: 'Thank you, {{client.name}}!' } });
    await sel(`[data-chat-id="${vb.chatId}"]`).click();
    await L.poll(async () => (await focused()).composer, 'focus in the composer');
    await va.invoke('SendMessage', va.chatId, 'anyone?', 'k-1');
    await L.poll(async () => (await L.chatItems(page)).find((c) => c.id === va.chatId).unread === 1, 'chat A unread');
    await page.keyboard.press('Alt+KeyN');
    await L.poll(async () => (await current()) === va.chatId, 'Alt+N opens the next unread chat');
    await L.poll(async () => (await focused()).composer, 'in its composer');

    await page.keyboard.type('Sure?');
    assert.equal(await sel('[data-help]').isVisible(), false, '`?` typed in the composer is text');
    assert.equal(await sel('textarea[data-composer]').inputValue(), 'Sure?');
    await sel('textarea[data-composer]').fill('');
    await page.keyboard.press('Alt+KeyR');
    await sel('[role="option"][data-shortcut="thanks"]').waitFor();
    assert.equal(await sel('textarea[data-composer]').inputValue(), '/');
    await page.keyboard.press('Enter');
    assert.equal(await sel('textarea[data-composer]').inputValue(), 'Thank you, !', 'no name: the placeholder is empty');
    await sel('textarea[data-composer]').fill('');

    const from = vb.mark();
    await sel(`[data-chat-id="${vb.chatId}"]`).click();
    await page.keyboard.press('Alt+Shift+KeyC');
    await vb.waitFor('ChatStatusChanged', (id, st) => id === vb.chatId && st === 4, { from, ms: 15000 });
    assert.equal(await sel('.panel').isVisible(), true);
  });

  test('`?` opens the help overlay: modal, lists the shortcuts, keeps focus, Esc closes and returns focus', async () => {
    await sel(`[data-chat-id="${va.chatId}"]`).focus();
    await page.keyboard.press('?');
    const dialog = sel('[role="dialog"][data-help]');
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-modal'), 'true');
    const text = await dialog.textContent();
    for (const k of ['Next unread chat', 'Close the current chat', 'Focus the search box', 'Open the canned responses list',
      'Show this help']) assert.ok(text.includes(k), `lists "${k}": ${text}`);
    assert.ok((await focused()).help, 'focus moves into the dialog');
    for (const key of ['Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      assert.ok((await focused()).help, `focus stays in the dialog after ${key}`);
    }
    await page.keyboard.press('Alt+KeyN');
    assert.ok(await dialog.isVisible(), 'no shortcut fires behind the dialog');

    await page.addScriptTag({ path: AXE });
    const res = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    });
    assert.deepEqual(res, [], res.join('\n'));
    await b.screenshot(page, 'panel-help-light');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await sel('.panel').isVisible(), true, 'Esc closes the overlay, not the panel');
    assert.equal((await focused()).chat, String(va.chatId), 'focus returns where it was');
    await sel('[data-help-open]').click();
    await dialog.waitFor();
    await sel('[data-help-close]').click();
    await dialog.waitFor({ state: 'hidden' });
  });

  test('desktop notifications: asked only from the bell, shown only while the tab is hidden', async () => {
    assert.equal(await page.evaluate(() => window.__asked), 0, 'never asked on load');
    assert.equal(await page.evaluate(() => window.__notes.length), 0);
    const bell = sel('[data-notify]');
    assert.equal(await bell.isVisible(), true, 'a visible control to enable them');
    await bell.click();
    await L.poll(async () => (await page.evaluate(() => window.__asked)) === 1, 'asked on the click');
    await bell.waitFor({ state: 'hidden' });

    // visible tab: nothing
    await va.invoke('SendMessage', va.chatId, 'visible tab', 'n-1');
    await L.poll(async () => (await L.transcript(page)).some((m) => m.text.includes('visible tab')) ||
      (await L.chatItems(page)).find((c) => c.id === va.chatId).text.includes('visible tab'), 'message shown');
    assert.equal(await page.evaluate(() => window.__notes.length), 0, 'no notification while visible');

    await page.evaluate(() => { window.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); });
    await va.invoke('SendMessage', va.chatId, 'hidden tab', 'n-2');
    const anon = `Visitor #${va.session.clientId}`;
    await L.poll(async () => (await page.evaluate(() => window.__notes.length)) === 1, 'a new message notifies');
    let n = await page.evaluate(() => window.__notes.map((x) => ({ title: x.title, body: x.body })));
    assert.deepEqual(n[0], { title: `New message from ${anon}`, body: 'hidden tab' });
    const vc = await b.hub.visitorChat(srv, fx.guid, 'new one here', { name: 'Clara' });
    await L.poll(async () => (await page.evaluate(() => window.__notes.length)) === 2, 'a new chat notifies');
    n = await page.evaluate(() => window.__notes.map((x) => ({ title: x.title, body: x.body })));
    assert.deepEqual(n[1], { title: 'New chat: Clara', body: 'new one here' });

    // a click on it focuses the tab and opens the chat
    await page.evaluate(() => { window.__hidden = false; window.__notes[1].onclick(); });
    await L.poll(async () => (await current()) === vc.chatId, 'the notified chat opens');
    await va.invoke('SendMessage', va.chatId, 'visible again', 'n-3');
    await b.sleep(300);
    assert.equal(await page.evaluate(() => window.__notes.length), 2, 'visible again: none');
    assert.deepEqual(page.log.errors, []);
    await page.context().close();
  });
});
