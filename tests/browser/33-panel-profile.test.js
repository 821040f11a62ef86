'use strict';
// The client's profile in the operator panel (a company page on another
// origin): the visitor's pre-chat form (name, e-mail, phone) and page (URL as a
// safe link, referrer, language, browser) shown beside the transcript, custom
// attributes set elsewhere arriving live (ClientUpdated), the edit form, the
// client's chats; the pane collapses, and is a drawer on a narrow screen;
// axe-core and screenshots (light and dark, desktop and 375 px wide).

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

describe('operator panel: the client profile', () => {
  let srv; let site; let browser; let fx;
  let chatId; let clientId; let shopUrl;
  let page;
  const P = L.PANEL();
  const pane = (s = '') => page.locator(`${P} [data-profile] ${s}`);
  const field = (k) => pane(`[data-field="${k}"] dd`);

  const stage = b.stage('profpanel', { operators: 1, orgName: 'Profile Panel' });
  before(async () => {
    ({ srv, site, fx, browser } = stage);
    await b.hub.putOrg(srv, fx.token, fx.orgId, { prechatForm: true });
  });

  test('set-up: a visitor fills the pre-chat form and writes', async () => {
    const ctx = await browser.newContext({ locale: 'uk-UA' });
    const wp = await ctx.newPage();
    site.page('/shop', b.html(b.widgetTag(srv.base, fx.guid)));
    shopUrl = site.url('/shop?item=7');
    await wp.goto(shopUrl, { referer: 'https://search.example/' });
    await wp.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await wp.locator('[data-chathub] .launcher').click();
    await wp.getByLabel('Name').fill('Pat Profile');
    await wp.getByLabel('Email').fill('pat@example.com');
    await wp.getByLabel('Phone (optional)').fill('+380 44 123 45 67');
    await wp.getByRole('button', { name: 'Start chat' }).click();
    const box = wp.getByRole('textbox', { name: 'Message' });
    await box.waitFor({ timeout: T });
    await box.fill('where is my order?');
    await box.press('Enter');
    const l = await b.hub.pollUntil(async () => {
      const r = await b.hub.listChats(srv, fx.token);
      return r.total === 1 && r;
    }, { ms: T, what: 'the chat' });
    chatId = l.items[0].id;
    clientId = l.items[0].client.id;
  });

  test('the profile beside the transcript: e-mail, phone, page URL as a safe link, language, browser', async () => {
    page = await L.newPage(browser);
    await page.goto(site.page('/crm', crm(srv, fx.ops[0].token)));
    await L.waitState(page, 'ready');
    await L.poll(async () => (await L.chatItems(page)).some((c) => c.id === chatId), 'the chat is listed');
    await page.locator(`${P} [data-chat-id="${chatId}"]`).click();
    await L.poll(async () => (await field('email').count()) && (await field('email').textContent()) === 'pat@example.com',
      'the e-mail from the pre-chat form');
    assert.equal(await field('name').textContent(), 'Pat Profile');
    assert.equal(await field('phone').textContent(), '+380 44 123 45 67');
    const link = field('pageUrl').locator('a');
    assert.equal(await link.getAttribute('href'), shopUrl);
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.textContent(), shopUrl);
    assert.equal(await field('language').textContent(), 'uk-UA');
    assert.match(await field('userAgent').textContent(), /Mozilla\/5\.0/);
    assert.equal(await field('chatsCount').textContent(), '1');
    assert.notEqual(await field('firstSeenAt').textContent(), '—');
    // beside the transcript, not over it
    const pb = await pane().boundingBox();
    const lb = await page.locator(`${P} [role="log"]`).boundingBox();
    assert.ok(pb.x >= lb.x + lb.width - 1, 'a column to the right of the transcript');
    const toggle = page.locator(`${P} [data-profile-toggle]`);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    // the client's chats: this one, marked
    assert.equal(await pane(`[data-client-chat-id="${chatId}"]`).getAttribute('aria-current'), 'true');
  });

  test('attributes and a name set elsewhere arrive live (ClientUpdated)', async () => {
    let r = await b.api(srv.base, 'PUT', `/api/client/${clientId}`, { token: fx.token,
      body: { attributes: { plan: 'pro', seats: 12, trial: false } } });
    assert.equal(r.status, 200);
    await L.poll(async () => (await pane('[data-attr="plan"] dd').count()) === 1, 'the attributes arrive live');
    assert.equal(await pane('[data-attr="seats"] dd').textContent(), '12');
    assert.equal(await pane('[data-attr="trial"] dd').textContent(), 'false');
    assert.equal(await pane('[data-verified]').count(), 0, 'none verified (no userJWT)');
    r = await b.api(srv.base, 'PUT', `/api/client/${clientId}`, { token: fx.token, body: { name: 'Pat P.' } });
    await L.poll(async () => (await field('name').textContent()) === 'Pat P.', 'the name follows');
    await L.poll(async () => (await page.locator(`${P} .convhead [data-title]`).textContent()) === 'Pat P.', 'the title too');
  });

  test('the edit form changes the profile (PUT /api/client/{id})', async () => {
    await pane('[data-profile-edit]').click();
    const form = pane('[data-profile-form]');
    await form.locator('input[name="phone"]').fill('+380 50 000 00 00');
    await form.locator('input[name="attr-seats"]').fill('15');
    await form.locator('input[name="newKey"]').fill('segment');
    await form.locator('input[name="newValue"]').fill('retail');
    await form.locator('[data-profile-save]').click();
    await L.poll(async () => /Profile saved/.test(await pane('[role="status"]').textContent()), 'saved');
    const r = await b.api(srv.base, 'GET', `/api/client/${clientId}`, { token: fx.token });
    assert.equal(r.json.phone, '+380 50 000 00 00');
    assert.deepEqual(r.json.attributes, { plan: 'pro', seats: 15, trial: false, segment: 'retail' }, 'a number stays a number');
    assert.equal(await field('phone').textContent(), '+380 50 000 00 00');
    // a bad attribute key is refused with the server's words
    await pane('[data-profile-edit]').click();
    await form.locator('input[name="newKey"]').fill('bad key');
    await form.locator('input[name="newValue"]').fill('x');
    await form.locator('[data-profile-save]').click();
    await L.poll(async () => /Check the fields/.test(await pane('[role="alert"]').textContent()), 'the 400 is shown');
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'hidden' });
    assert.equal(await page.locator(`${P} .panel`).isVisible(), true);
  });

  test('the pane collapses and comes back; focus follows', async () => {
    const toggle = page.locator(`${P} [data-profile-toggle]`);
    await toggle.click();
    await pane().waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    await pane().waitFor();
    await page.keyboard.press('Escape');
    await pane().waitFor({ state: 'hidden' });
    await toggle.click();
    await pane().waitFor();
    assert.deepEqual(page.log.errors, []);
  });

  test('axe-core and screenshots with the profile (light and dark, desktop and 375 px)', async () => {
    for (const theme of ['light', 'dark']) {
      for (const width of [1280, 375]) {
        const sp = await L.newPage(browser, { viewport: { width, height: 760 } });
        await sp.goto(site.page(`/profile-${theme}-${width}`, b.html(b.panelTag(srv.base, fx.ops[0].token,
          { theme, 'chat-id': chatId }))));
        await L.waitState(sp, 'ready');
        await sp.locator(`${P} .launcher`).click();
        await L.poll(async () => (await L.transcript(sp)).length >= 1, 'transcript');
        const pn = sp.locator(`${P} [data-profile]`);
        if (width < 600) {
          assert.equal(await pn.isVisible(), false, 'collapsed by default on a narrow screen');
          await sp.locator(`${P} [data-profile-toggle]`).click();
          const pb = await pn.boundingBox();
          assert.ok(pb.x + pb.width <= width + 1, 'a drawer inside the screen');
        }
        await sp.locator(`${P} [data-profile] [data-field="email"]`).waitFor();
        await axe(sp, `${theme} ${width}px, profile`);
        await b.screenshot(sp, `panel-profile-${theme}-${width}`);
        await sp.context().close();
      }
    }
  });
});
