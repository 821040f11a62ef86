'use strict';
// Labels in the operator panel (a company page on another origin): the label
// picker of the open chat sets labels (PUT /api/chat/{id}/labels) with the
// keyboard; chips show in the list and the header, in a colleague's panel too
// (ChatLabelsChanged); the list's filter by label (label=) shows only the
// chats with it; axe-core and screenshots of the picker (light and dark,
// desktop and 375 px).

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
      .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.failureSummary} ${n.html}`).join(' | ')}`);
  });
  assert.deepEqual(res, [], `${what}: ${res.join('\n')}`);
}

/** The label names shown on a chat's list item and in the header. */
function chipsOf(page, chatId) {
  return page.evaluate(([sel, id]) => {
    const root = document.querySelector(sel).shadowRoot;
    const names = (el) => (el ? [...el.querySelectorAll('.chip')].map((c) => c.textContent) : null);
    return { list: names(root.querySelector(`[data-list] [data-chat-id="${id}"]`)), head: names(root.querySelector('.convhead')) };
  }, [L.PANEL(), chatId]);
}

describe('operator panel: labels', () => {
  let srv; let site; let browser; let fx;
  let va; let vb;
  let vip; let urgent; let billing;
  let page; let p2;
  const P = L.PANEL();

  const stage = b.stage('labelsco', { operators: 2, orgName: 'Labels Support' });
  before(() => { ({ srv, site, fx, browser } = stage); });

  test('set-up: three labels, two chats', async () => {
    const mk = async (name, color) => {
      const r = await b.api(srv.base, 'POST', '/api/labels', { token: fx.token, body: { organizationId: fx.orgId, name, color } });
      assert.equal(r.status, 201);
      return r.json;
    };
    vip = await mk('VIP', '#ffaa00');
    urgent = await mk('Urgent', '#b3261e');
    billing = await mk('Billing', '#0b57d0');
    va = await b.hub.visitorChat(srv, fx.guid, 'Hello', { name: 'Anna' });
    vb = await b.hub.visitorChat(srv, fx.guid, 'Hi', { name: 'Boris' });
    // both chats op1's (another operator's chats are not in one's list)
    const op = await b.hub.connectHub(srv.base, fx.ops[0].token);
    for (const v of [va, vb]) {
      const c = await op.invoke('TakeChat', v.chatId);
      assert.equal(c.operator.id, fx.ops[0].id);
    }
    await op.stop();
  });

  test('the picker sets labels with the keyboard; chips in the list and the header, live in a colleague\'s panel', async () => {
    page = await L.newPage(browser);
    await page.goto(site.page('/crm', crm(srv, fx.ops[0].token)));
    await L.waitState(page, 'ready');
    p2 = await L.newPage(browser);
    await p2.goto(site.page('/crm2', crm(srv, fx.ops[1].token, { 'chat-id': va.chatId })));
    await L.waitState(p2, 'ready');
    await L.poll(async () => (await L.chatItems(page)).length === 2, 'both chats listed');
    // the list is redrawn as events arrive: click until the chat is the selected one
    const item = page.locator(`${P} [data-chat-id="${va.chatId}"]`);
    await L.poll(async () => {
      await item.click();
      return (await item.getAttribute('aria-current')) === 'true';
    }, 'chat A opened');
    const open = page.locator(`${P} [data-labels-open]`);
    await open.click();
    assert.equal(await open.getAttribute('aria-expanded'), 'true');
    const picker = page.locator(`${P} [data-label-picker]`);
    await picker.locator('input[type="checkbox"]').first().waitFor();
    const boxes = await picker.locator('.lbox').allTextContents();
    assert.deepEqual(boxes, ['Billing', 'Urgent', 'VIP'], 'the organization\'s labels by name');
    // keyboard: focus is on the first checkbox; Tab to VIP, Space checks it
    const focusedLabel = () => page.evaluate((sel) => {
      const a = document.querySelector(sel).shadowRoot.activeElement;
      return a && a.getAttribute('data-label-id');
    }, P);
    assert.equal(await focusedLabel(), String(billing.id));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await focusedLabel(), String(vip.id));
    await page.keyboard.press('Space');
    await L.poll(async () => JSON.stringify((await chipsOf(page, va.chatId)).list) === '["VIP"]', 'VIP in the list');
    assert.deepEqual((await chipsOf(page, va.chatId)).head, ['VIP'], 'and in the header');
    assert.match(await picker.locator('[role="status"]').textContent(), /Labels saved/);
    assert.equal(await focusedLabel(), String(vip.id), 'focus stays on the checkbox');
    const chat = await b.hub.getChat(srv, fx.token, va.chatId);
    assert.deepEqual(chat.labels.map((l) => l.name), ['VIP']);
    // the colleague's panel shows it live
    await L.poll(async () => JSON.stringify((await chipsOf(p2, va.chatId)).head) === '["VIP"]', 'op2 sees the chip live');
    // the chip's text is readable on its color
    const colors = await page.locator(`${P} [data-list] [data-chat-id="${va.chatId}"] .chip`).evaluate((el) => {
      const s = getComputedStyle(el);
      return [s.backgroundColor, s.color];
    });
    assert.deepEqual(colors, ['rgb(255, 170, 0)', 'rgb(0, 0, 0)']);

    await page.keyboard.press('Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Space'); // Urgent
    await L.poll(async () => (await chipsOf(page, va.chatId)).list.length === 2, 'two labels');
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'hidden' });
    assert.equal(await open.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.evaluate((sel) => document.querySelector(sel).shadowRoot.activeElement.hasAttribute('data-labels-open'), P),
      true, 'focus back on the button');
  });

  test('a change made elsewhere arrives live (ChatLabelsChanged)', async () => {
    const r = await b.api(srv.base, 'PUT', `/api/chat/${vb.chatId}/labels`, { token: fx.token, body: { labelIds: [billing.id] } });
    assert.equal(r.status, 200);
    await L.poll(async () => JSON.stringify((await chipsOf(page, vb.chatId)).list) === '["Billing"]', 'Billing on chat B');
  });

  test('the filter by label shows only the chats with it', async () => {
    const filter = page.locator(`${P} select[data-label-filter]`);
    await filter.selectOption(String(billing.id));
    const results = () => page.evaluate((sel) => [...document.querySelector(sel).shadowRoot
      .querySelectorAll('[data-search-results] [data-result-id]')].map((el) => Number(el.getAttribute('data-result-id'))), P);
    await L.poll(async () => JSON.stringify(await results()) === JSON.stringify([vb.chatId]), 'only chat B');
    await filter.selectOption(String(vip.id));
    await L.poll(async () => JSON.stringify(await results()) === JSON.stringify([va.chatId]), 'only chat A');
    // taking the label off a chat takes it out of the filtered list
    const r = await b.api(srv.base, 'PUT', `/api/chat/${va.chatId}/labels`, { token: fx.token, body: { labelIds: [urgent.id] } });
    assert.equal(r.status, 200);
    await L.poll(async () => (await results()).length === 0, 'nothing with VIP now');
    await filter.selectOption('0');
    await L.poll(async () => (await L.chatItems(page)).length === 2, 'the usual sections again');
    assert.deepEqual(page.log.errors, []);
    assert.deepEqual(p2.log.errors, []);
  });

  test('axe-core and screenshots with the label picker (light and dark, desktop and 375 px)', async () => {
    for (const theme of ['light', 'dark']) {
      for (const width of [1280, 375]) {
        const sp = await L.newPage(browser, { viewport: { width, height: 760 } });
        await sp.goto(site.page(`/labels-${theme}-${width}`, b.html(b.panelTag(srv.base, fx.ops[0].token,
          { theme, 'chat-id': va.chatId }))));
        await L.waitState(sp, 'ready');
        await sp.locator(`${P} .launcher`).click();
        await L.poll(async () => (await L.transcript(sp)).length >= 1, 'transcript');
        await sp.locator(`${P} [data-labels-open]`).click();
        await sp.locator(`${P} [data-label-picker] input`).first().waitFor();
        await axe(sp, `${theme} ${width}px, label picker`);
        await b.screenshot(sp, `panel-labels-${theme}-${width}`);
        await sp.context().close();
      }
    }
  });
});
