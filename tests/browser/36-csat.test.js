'use strict';
// CSAT in the browser: a visitor chats from the widget; when the chat is
// closed the widget asks for a 1–5 rating (a radio group, used here with the
// keyboard) and an optional comment, sends it and thanks; the operator's panel
// (a company page on another origin) shows "★ 4" and the comment live, and
// again after a reload (from the chat object); the chat object and the
// organization's event (GET /api/events: csat.submitted) show it. A
// failed send says so and can be retried; the Ukrainian widget asks in
// Ukrainian; axe-core finds nothing serious in the rating form.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const AXE = path.join(b.REPO || path.join(__dirname, '..', '..'), 'node_modules', 'axe-core', 'axe.min.js');
const T = 15000;

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

/** A visitor's widget page whose first message started a chat; its chat id. */
async function visitorPage(browser, site, srv, fx, text, attrs = { lang: 'en' }) {
  const ctx = await browser.newContext();
  const wp = await ctx.newPage();
  wp.log = b.watchPage(wp);
  await wp.goto(site.page(`/shop-${Math.random().toString(36).slice(2)}`, b.html(b.widgetTag(srv.base, fx.guid, attrs))));
  await wp.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
  await wp.locator('.launcher').click();
  const box = wp.locator('textarea[aria-label]').first();
  await box.fill(text);
  await box.press('Enter');
  await wp.locator('[role="log"] [data-seq="1"]:not([data-pending])').waitFor({ timeout: T });
  const chatId = await b.hub.pollUntil(async () => {
    const l = await b.hub.listChats(srv, fx.token, 'per_page=100');
    const c = l.items.find((x) => x.lastMessage === text);
    return c && c.id;
  }, { ms: T, what: 'the chat' });
  return { wp, chatId };
}

describe('CSAT: the visitor rates a closed chat', () => {
  let srv; let site; let browser; let fx;
  let wp; let chatId; let panel;
  const P = L.PANEL();

  const stage = b.stage('csatbrowser', { operators: 1, orgName: 'Rated Support' });
  before(() => { ({ srv, site, fx, browser } = stage); });

  test('closed: the widget asks for a rating, the keyboard picks 4 stars, the comment is sent, thanks', async () => {
    ({ wp, chatId } = await visitorPage(browser, site, srv, fx, 'where is my parcel?'));
    panel = await L.newPage(browser);
    await panel.goto(site.page('/crm', crm(srv, fx.ops[0].token, { 'chat-id': chatId })));
    await L.waitState(panel, 'ready');
    await L.poll(async () => (await L.transcript(panel)).length === 1, 'the panel shows the chat');
    assert.equal(await panel.locator(`${P} [data-csat]`).count(), 0, 'no rating yet');
    assert.equal(await wp.locator('[data-csat]').isVisible(), false, 'an open chat asks nothing');

    const r = await b.hub.setChatStatus(srv, fx.token, chatId, 4);
    assert.equal(r.status, 200);
    const group = wp.getByRole('group', { name: 'How was this conversation?' });
    await group.waitFor({ timeout: T });
    const radios = wp.getByRole('radio');
    assert.equal(await radios.count(), 5);
    for (let n = 1; n <= 5; n++) assert.equal(await wp.getByRole('radio', { name: `${n} of 5` }).count(), 1);
    await axe(wp, 'the widget with its rating form');
    // the form checks for a rating first
    await wp.getByRole('button', { name: 'Send rating' }).click();
    await L.poll(async () => /Choose a rating from 1 to 5/.test(await wp.locator('[data-csat] .ferr').textContent()),
      'asked to choose a rating');
    // keyboard: the first radio, then arrows move the choice within the group
    await wp.getByRole('radio', { name: '1 of 5' }).focus();
    await wp.keyboard.press('Space');
    for (let i = 0; i < 3; i++) await wp.keyboard.press('ArrowRight');
    assert.equal(await wp.getByRole('radio', { name: '4 of 5' }).isChecked(), true, 'arrows chose 4');
    await wp.keyboard.press('Tab');
    await wp.keyboard.type('Very helpful, thanks');
    await wp.getByRole('button', { name: 'Send rating' }).click();
    await wp.getByText('Thank you for your feedback!').waitFor({ timeout: T });
    assert.equal(await wp.getByRole('radio').count(), 0, 'the form is gone');

    const c = await b.hub.getChat(srv, fx.token, chatId);
    assert.equal(c.csat.rating, 4, 'the chat object has the rating');
    assert.equal(c.csat.comment, 'Very helpful, thanks');
    // the organization's event: csat.submitted with the rating, the chat (and its comment) attached
    const ev = await b.api(srv.base, 'GET', `/api/events?organizationId=${fx.orgId}&after=0&limit=1000`, { token: fx.token });
    assert.equal(ev.status, 200);
    const rated = ev.json.events.filter((e) => e.type === 'csat.submitted');
    assert.equal(rated.length, 1);
    assert.deepEqual(rated[0].data, { rating: 4 });
    assert.equal(rated[0].chat.id, chatId);
    assert.equal(rated[0].chat.csat.comment, 'Very helpful, thanks');
    assert.deepEqual(wp.log.errors, []);
  });

  test('the panel shows the rating and the comment live, and after a reload', async () => {
    const badge = panel.locator(`${P} .conv [data-csat="4"], ${P} [data-csat="4"]`).first();
    await badge.waitFor({ timeout: T });
    assert.equal((await badge.textContent()).trim(), '★ 4');
    assert.equal(await badge.getAttribute('aria-label'), "Visitor's rating: 4 of 5");
    const comment = panel.locator(`${P} [data-csat-comment]`);
    await comment.waitFor({ timeout: T });
    assert.match(await comment.textContent(), /Very helpful, thanks/);
    await panel.reload();
    await L.waitState(panel, 'ready');
    await panel.locator(`${P} [data-csat="4"]`).first().waitFor({ timeout: T });
    assert.match(await panel.locator(`${P} [data-csat-comment]`).textContent(), /Very helpful, thanks/);
    assert.deepEqual(panel.log.errors, []);
  });

  test('a failed send says so; a retry sends it; the Ukrainian widget asks in Ukrainian', async () => {
    const v = await visitorPage(browser, site, srv, fx, 'друга розмова', { lang: 'uk' });
    assert.equal((await b.hub.setChatStatus(srv, fx.token, v.chatId, 4)).status, 200);
    await v.wp.getByRole('group', { name: 'Як вам ця розмова?' }).waitFor({ timeout: T });
    await v.wp.route('**/csat', (route) => route.fulfill({ status: 503, contentType: 'application/json',
      body: JSON.stringify({ status: 503, error: 'Service Unavailable', message: 'server busy, retry later', code: 5003 }) }));
    await v.wp.getByRole('radio', { name: '2 з 5' }).check();
    await v.wp.getByRole('button', { name: 'Надіслати оцінку' }).click();
    await L.poll(async () => /Оцінку не надіслано/.test(await v.wp.locator('[data-csat] .ferr').textContent()),
      'the failure is said');
    assert.equal((await b.hub.getChat(srv, fx.token, v.chatId)).csat, null, 'nothing was stored');
    await v.wp.unroute('**/csat');
    await v.wp.getByRole('button', { name: 'Надіслати оцінку' }).click();
    await v.wp.getByText('Дякуємо за відгук!').waitFor({ timeout: T });
    const c = await b.hub.getChat(srv, fx.token, v.chatId);
    assert.equal(c.csat.rating, 2);
    assert.equal(c.csat.comment, null);
  });
});
