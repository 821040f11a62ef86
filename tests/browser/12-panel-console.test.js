'use strict';
// The operator console in a company page (another origin): queue → take,
// typing both ways, sends and read receipts, files, status actions, transfer,
// presence, history paging, unread counts and the title badge, XSS payloads
// as text, the whole flow by keyboard alone, axe-core, and screenshots.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const XSS = '<img src=x onerror=window.__xss=1>';
const AXE = path.join(b.REPO || path.join(__dirname, '..', '..'), 'node_modules', 'axe-core', 'axe.min.js');

describe('operator panel: console', () => {
  let srv;
  let site;
  let browser;
  let fx;
  let op2;      // a colleague's hub connection (away, so routing leaves chats alone)
  let page;     // op1's panel, launcher mode
  let va;       // visitor A (XSS name)
  let vb;       // visitor B (long history)
  const P = L.PANEL();

  const stage = b.stage('consoleco', { operators: 2 });
  before(() => { ({ srv, site, fx, browser } = stage); });

  const item = (chatId) => page.locator(`${P} [data-chat-id="${chatId}"]`);
  const action = (key) => page.locator(`${P} [data-action="${key}"]`);
  async function listOf(chatId) {
    const it = (await L.chatItems(page)).find((c) => c.id === chatId);
    return it ? it.list : null;
  }

  test('queue: an away operator sees new chats queued, with name, source, status, unread, last message', async () => {
    page = await L.newPage(browser);
    await page.goto(site.page('/crm', b.html(b.panelTag(srv.base, fx.ops[0].token))));
    await L.waitState(page, 'ready');
    op2 = await b.hub.connectHub(srv.base, fx.ops[1].token, { label: 'op2' });
    await op2.invoke('SetPresence', 'away');
    await page.locator(`${P} .launcher`).click();
    const presence = page.locator(`${P} .presence`);
    assert.equal(await presence.getAttribute('aria-pressed'), 'true');
    await presence.click();
    await op2.waitFor('OperatorPresence', (id, p) => id === fx.ops[0].id && p === 'away', { ms: 15000 });
    assert.equal(await presence.getAttribute('aria-pressed'), 'false');

    va = await b.hub.visitorChat(srv, fx.guid, `hi ${XSS}`, { name: `Anna ${XSS}<script>window.__xss=2</script>` });
    await L.poll(async () => (await listOf(va.chatId)) === 'queue', 'chat A in the queue');
    const it = (await L.chatItems(page)).find((c) => c.id === va.chatId);
    assert.match(it.text, /Anna <img src=x onerror=window.__xss=1><script>/, 'client name as text');
    assert.match(it.text, /Widget/);
    assert.match(it.text, /New/);
    assert.match(it.text, /hi <img src=x/, 'last message');
    assert.equal(it.unread, 1);
  });

  test('take, typing both ways, send with Enter, read receipts both ways', async () => {
    await item(va.chatId).click();
    await L.poll(async () => (await L.transcript(page)).some((m) => m.seq === 1 && m.author === 1), 'transcript');
    await va.waitFor('MessagesRead', (chat, seq, who) => chat === va.chatId && seq >= 1 && who === 'operator',
      { ms: 15000, what: 'the visitor sees its message read' });
    await action('take').click();
    await L.poll(async () => (await listOf(va.chatId)) === 'mine', 'chat A in my chats');
    const c = await b.hub.getChat(srv, fx.token, va.chatId);
    assert.equal(c.operator.id, fx.ops[0].id);

    await va.invoke('Typing', va.chatId);
    await page.locator(`${P} [data-typing]:not([hidden])`).waitFor({ timeout: 15000 });
    const box = page.locator(`${P} textarea[aria-label="Message"]`);
    await box.focus();
    await page.keyboard.type('Hello Anna');
    await va.waitFor('Typing', (chat, author) => chat === va.chatId && author === 0, { ms: 15000 });
    await page.keyboard.down('Shift'); await page.keyboard.press('Enter'); await page.keyboard.up('Shift');
    await page.keyboard.type('second line');
    await page.keyboard.press('Enter');
    const [m] = await va.waitFor('ReceiveMessage', (x) => x.chatId === va.chatId && x.author === 0, { ms: 15000 });
    assert.equal(m.textMessage, 'Hello Anna\nsecond line');
    await L.poll(async () => (await L.transcript(page)).some((x) => x.seq === m.seq && !x.pending && x.status === 1),
      'own message acknowledged');
    await va.invoke('MarkRead', va.chatId, m.seq);
    await L.poll(async () => (await L.transcript(page)).some((x) => x.seq === m.seq && x.status === 3), 'read ✓✓');
    const tick = await page.locator(`${P} [data-seq="${m.seq}"] [aria-label="Read"]`).count();
    assert.equal(tick, 1, 'a visible read receipt with a label');
  });

  test('XSS payloads in text, links and file names render as text; files go out over REST', async () => {
    const text = `${XSS} <script>window.__xss=3</script> javascript:alert(1) https://example.com/ok?a=1`;
    await va.invoke('SendMessage', va.chatId, text, 'xss-1');
    await va.invoke('SendMediaMessage', va.chatId, { Name: `${XSS}.txt`, Format: 'text/plain',
      DataBase64: Buffer.from('hello').toString('base64'), Type: 4 }, 'xss-2');
    await L.poll(async () => (await L.transcript(page)).filter((x) => x.author === 1).length >= 3, 'xss messages');
    const info = await page.evaluate((sel) => {
      const root = document.querySelector(sel).shadowRoot;
      return { xss: window.__xss, imgs: root.querySelectorAll('img[src="x"], script').length,
        links: [...root.querySelectorAll('[role="log"] a')].map((a) => [a.getAttribute('href'), a.rel, a.target]),
        text: root.querySelector('[role="log"]').textContent };
    }, P);
    assert.equal(info.xss, undefined);
    assert.equal(info.imgs, 0);
    assert.ok(info.text.includes(text), 'message shown verbatim');
    assert.ok(info.text.includes(`${XSS}.txt`), 'file name shown as text');
    for (const [href, rel, target] of info.links) {
      assert.match(href, /^https?:/, `only http(s) links: ${href}`);
      assert.equal(rel, 'noopener noreferrer');
      assert.equal(target, '_blank');
    }
    assert.ok(info.links.some(([href]) => href === 'https://example.com/ok?a=1'));

    // the operator attaches a photo: POST /api/chat/{id}/message with the operator token (CORS)
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mP8/x8AAwMCAO+ip1sAAAAASUVORK5CYII=', 'base64');
    await page.locator(`${P} input[type="file"]`).setInputFiles({ name: 'pic.png', mimeType: 'image/png', buffer: png });
    const isPic = (x) => x.chatId === va.chatId && x.media && x.media.name === 'pic.png';
    const [pm] = await L.poll(() => va.find('ReceiveMediaMessage', isPic) || va.find('ReceiveMessage', isPic),
      'the visitor receives the photo');
    assert.equal(pm.media.type, 1);
    const src = await page.locator(`${P} [data-seq="${pm.seq}"] img`).getAttribute('src', { timeout: 15000 });
    assert.ok(src.startsWith(`${srv.base}/api/media/`), `photo served by the ChatHub origin: ${src}`);
    assert.deepEqual(page.log.errors, []);
  });

  test('status actions: pause, resume, close, reopen', async () => {
    for (const [key, status] of [['pause', 3], ['resume', 1], ['close', 4], ['reopen', 1]]) {
      const from = va.mark();
      await action(key).click();
      await va.waitFor('ChatStatusChanged', (id, st) => id === va.chatId && st === status, { from, ms: 15000, what: key });
      await L.poll(async () => Number(await page.locator(`${P} [data-status-label]`).getAttribute('data-status-label')) === status,
        `status label after ${key}`);
    }
  });

  test('transfer to a colleague (known from presence and chats)', async () => {
    const from = op2.mark();
    const sel = page.locator(`${P} select[aria-label="Transfer to"]`);
    await sel.selectOption(String(fx.ops[1].id));
    await action('transfer').click();
    await op2.waitFor('ChatAssigned', (c) => c.id === va.chatId && c.operator && c.operator.id === fx.ops[1].id,
      { from, ms: 15000 });
    await L.poll(async () => (await listOf(va.chatId)) === null, 'the chat leaves my list');
  });

  test('history paging: 120 messages, 50 at a time, no duplicates, no gaps', async () => {
    vb = await b.hub.visitorChat(srv, fx.guid, 'm1', { name: 'Boris' });
    for (let i = 2; i <= 120; i++) await b.hub.postMessage(srv, fx.token, vb.chatId, { textMessage: `m${i}` });
    await L.poll(async () => (await listOf(vb.chatId)) === 'queue', 'chat B queued');
    await item(vb.chatId).click();
    const seqs = async () => (await L.transcript(page)).map((m) => m.seq);
    await L.poll(async () => (await seqs()).length === 50, 'first page');
    assert.deepEqual(await seqs(), Array.from({ length: 50 }, (_, i) => 71 + i));
    // "Load earlier" (scrolling to the top pages too) until everything is there
    for (let i = 0; i < 6 && (await seqs()).length < 120; i++) {
      const n = (await seqs()).length;
      const more = page.locator(`${P} .earlier`);
      if (await more.count()) await more.click().catch(() => {});
      await L.poll(async () => (await seqs()).length > n, `more than ${n} after Load earlier`);
    }
    assert.deepEqual(await seqs(), Array.from({ length: 120 }, (_, i) => 1 + i));
    assert.equal(await page.locator(`${P} .earlier`).count(), 0, 'nothing earlier');
  });

  test('unread counts and the title badge while the panel is closed', async () => {
    await page.keyboard.press('Escape');
    await page.locator(`${P} .panel`).waitFor({ state: 'hidden' });
    await vb.invoke('SendMessage', vb.chatId, 'are you there?', 'u-1');
    await vb.invoke('SendMessage', vb.chatId, 'hello??', 'u-2');
    await L.poll(async () => (await L.chatItems(page)).find((c) => c.id === vb.chatId).unread === 2, 'unread 2');
    await L.poll(async () => (await page.title()) === '(2) Host page', async () => `title badge (${await page.title()})`);
    assert.equal(await page.locator(`${P} .launcher .badge`).textContent(), '2');
    await page.locator(`${P} .launcher`).click();
    await L.poll(async () => (await page.title()) === 'Host page', 'title restored');
    await L.poll(async () => (await L.chatItems(page)).find((c) => c.id === vb.chatId).unread === 0, 'read');
    await vb.waitFor('MessagesRead', (chat, seq, who) => chat === vb.chatId && seq === 122 && who === 'operator',
      { ms: 15000 });
    await page.context().close();
  });

  test('the whole operator flow with the keyboard alone', async () => {
    const kp = await L.newPage(browser);
    await kp.goto(site.page('/kb', b.html(b.panelTag(srv.base, fx.ops[0].token))));
    await L.waitState(kp, 'ready');
    const active = () => kp.evaluate((sel) => {
      const host = document.querySelector(sel);
      const a = host.shadowRoot.activeElement;
      return a ? { inPanel: !!a.closest('.panel'), chat: a.getAttribute('data-chat-id'), action: a.getAttribute('data-action'),
        tag: a.tagName, label: a.getAttribute('aria-label'), launcher: a.classList.contains('launcher'),
        presence: a.classList.contains('presence') } : null;
    }, P);
    // Tab until `pred(active)`, checking that focus never leaves the open panel
    async function tabTo(pred, key = 'Tab', what = 'target') {
      for (let i = 0; i < 40; i++) {
        const a = await active();
        assert.ok(a && a.inPanel, `focus stays inside the open panel: ${JSON.stringify(a)} (document: ${await kp.evaluate(() => document.activeElement.outerHTML.slice(0, 60))})`);
        if (pred(a)) return a;
        await kp.keyboard.press(key);
      }
      assert.fail(`${what} not reachable with ${key}`);
    }
    for (let i = 0; i < 5 && !((await active()) || {}).launcher; i++) await kp.keyboard.press('Tab');
    assert.ok((await active()).launcher, 'Tab reaches the launcher');
    await kp.keyboard.press('Enter');
    await kp.locator(`${P} .panel`).waitFor({ state: 'visible' });
    // presence → away with the keyboard
    const from = op2.mark();
    await tabTo((a) => a.presence, 'Tab', 'presence');
    if ((await kp.locator(`${P} .presence`).getAttribute('aria-pressed')) === 'true') await kp.keyboard.press('Space');
    await op2.waitFor('OperatorPresence', (id, p) => id === fx.ops[0].id && p === 'away', { from, ms: 15000 });

    const vc = await b.hub.visitorChat(srv, fx.guid, 'keyboard please', { name: 'Kira' });
    await L.poll(async () => (await L.chatItems(kp)).some((c) => c.id === vc.chatId && c.list === 'queue'), 'chat C queued');
    await tabTo((a) => a.chat === String(vc.chatId), 'Tab', 'chat C');
    await kp.keyboard.press('Enter');
    await L.poll(async () => ((await active()) || {}).label === 'Message', 'focus in the composer');
    await tabTo((a) => a.action === 'take', 'Shift+Tab', 'take');
    await kp.keyboard.press('Space');
    await L.poll(async () => (await b.hub.getChat(srv, fx.token, vc.chatId)).operator?.id === fx.ops[0].id, 'taken');
    await tabTo((a) => a.label === 'Message', 'Tab', 'composer');
    await kp.keyboard.type('typed by keyboard');
    await kp.keyboard.press('Enter');
    await vc.waitFor('ReceiveMessage', (m) => m.textMessage === 'typed by keyboard', { ms: 15000 });
    await tabTo((a) => a.action === 'pause', 'Shift+Tab', 'pause');
    await kp.keyboard.press('Space');
    await vc.waitFor('ChatStatusChanged', (id, st) => id === vc.chatId && st === 3, { ms: 15000 });
    const outline = await kp.evaluate((sel) => getComputedStyle(document.querySelector(sel).shadowRoot.activeElement).outlineStyle, P);
    assert.notEqual(outline, 'none', 'visible focus');
    await kp.keyboard.press('Escape');
    await kp.locator(`${P} .panel`).waitFor({ state: 'hidden' });
    assert.ok((await active()).launcher, 'Escape closes and focus returns to the launcher');
    await kp.context().close();
  });

  test('axe-core: no serious or critical violations with the panel open (light and dark)', async () => {
    for (const theme of ['light', 'dark']) {
      const ap = await L.newPage(browser);
      await ap.goto(site.page(`/axe-${theme}`, b.html(b.panelTag(srv.base, fx.ops[0].token, { theme }))));
      await L.waitState(ap, 'ready');
      await ap.locator(`${P} .launcher`).click();
      await ap.locator(`${P} [data-chat-id="${vb.chatId}"]`).click();
      await L.poll(async () => (await L.transcript(ap)).length > 10, 'transcript');
      await ap.addScriptTag({ path: AXE });
      const res = await ap.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
      });
      assert.deepEqual(res, [], `${theme}: ${res.join('\n')}`);
      await ap.context().close();
    }
  });

  test('inline in a CRM container with a chat-id deep link, in Ukrainian', async () => {
    const cp = await L.newPage(browser);
    await cp.goto(site.page('/crm-inline', b.html(`<div id="crm-box"></div>${b.panelTag(srv.base, fx.ops[0].token,
      { container: '#crm-box', 'chat-id': vb.chatId, lang: 'uk' })}`, { lang: 'en' })));
    await L.waitState(cp, 'ready');
    await L.poll(async () => (await L.transcript(cp)).length >= 50, 'the deep-linked chat is open');
    assert.equal(await cp.locator('#crm-box [data-operator-panel] .panel').isVisible(), true, 'rendered inside the container');
    assert.equal(await cp.locator(`${P} .launcher`).count(), 0, 'no launcher inline');
    assert.equal(await cp.locator(`${P} textarea`).getAttribute('aria-label'), 'Повідомлення');
    await cp.context().close();
  });

  test('screenshots: light/dark × desktop/375 px', async () => {
    for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['375', { width: 375, height: 740 }]]) {
      for (const theme of ['light', 'dark']) {
        const sp = await L.newPage(browser, { viewport });
        await sp.goto(site.page(`/shot-${theme}-${name}`, b.html(b.panelTag(srv.base, fx.ops[0].token, { theme }))));
        await L.waitState(sp, 'ready');
        await sp.locator(`${P} .launcher`).click();
        await sp.locator(`${P} [data-chat-id="${vb.chatId}"]`).click();
        await L.poll(async () => (await L.transcript(sp)).length > 10, 'transcript');
        if (name === '375') {
          const box = await sp.locator(`${P} .panel`).boundingBox();
          assert.ok(box.width >= 370 && box.height >= 700, `full screen on a narrow viewport: ${JSON.stringify(box)}`);
        }
        await b.screenshot(sp, `panel-${theme}-${name}`);
        await sp.context().close();
      }
    }
  });
});
