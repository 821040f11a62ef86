'use strict';
// The visitor widget outside business hours (docs/widgets.md): the offline
// line shows the organization's away message even with an operator online,
// and a visitor's message gets the auto-reply in the conversation, once; an
// organization without business hours shows no offline line while its
// operator is online.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');

const { hub } = b;
const T = 15000;
const AWAY = 'Closed for the holidays: we answer on Monday.';
const CLOSED = { enabled: true, timeZone: 'Europe/Kyiv', weekly: {}, awayMessage: AWAY, autoReply: true };

describe('visitor widget: business hours', () => {
  let srv; let site; let browser; let closed; let open;

  before(async () => {
    srv = await b.startServer({ env: hub.HUB_ENV });
    const co = await b.makeCompany(srv, 'whours');
    closed = await hub.addOrg(srv, co, 'Closed shop');
    open = await hub.addOrg(srv, co, 'Open shop');
    const r = await b.api(srv.base, 'PUT', `/api/company/organization/${closed.orgId}/business-hours`,
      { token: co.token, body: CLOSED });
    b.assertOk(r);
    await hub.connectHub(srv.base, closed.ops[0].token, { label: 'closed op' });
    await hub.connectHub(srv.base, open.ops[0].token, { label: 'open op' });
    site = await b.startSite();
    browser = await b.launch();
    site.page('/closed', b.html(b.widgetTag(srv.base, closed.guid, { lang: 'en' })));
    site.page('/open', b.html(b.widgetTag(srv.base, open.guid, { lang: 'en' })));
  });
  after(async () => {
    if (browser) await browser.close();
    await hub.closeAllClients();
    if (site) await site.close();
    if (srv) await srv.stop();
  });

  async function openWidget(path, title) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(site.url(path));
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('dialog', { name: title }).waitFor({ timeout: T });
    return { ctx, page, log };
  }

  test('closed: the offline line says the away message; the auto-reply comes once', async () => {
    const { ctx, page, log } = await openWidget('/closed', 'Closed shop');
    const off = page.locator('[data-chathub] .off');
    await off.waitFor({ state: 'visible', timeout: T });
    assert.equal(await off.textContent(), AWAY);
    assert.equal(await off.getAttribute('data-hours'), 'closed');
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Is anyone there?');
    await box.press('Enter');
    const reply = page.locator('[role="log"] [data-seq="2"][data-author="2"]');
    await reply.waitFor({ timeout: T });
    assert.match(await reply.textContent(), /Closed for the holidays/);
    await box.fill('Hello again');
    await box.press('Enter');
    await page.locator('[role="log"] [data-seq="3"][data-author="1"]').waitFor({ timeout: T });
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[role="log"] [data-author="2"]').count(), 1, 'one auto-reply');
    assert.deepEqual(log.errors, [], 'no page errors');
    await ctx.close();
  });

  test('open, with an operator online: no offline line', async () => {
    const { ctx, page } = await openWidget('/open', 'Open shop');
    await b.hub.pollUntil(async () => (await page.locator('[data-chathub] .off').getAttribute('data-hours')) === 'open',
      { ms: T, what: 'hours applied' });
    assert.equal(await page.locator('[data-chathub] .off').isVisible(), false);
    await ctx.close();
  });
});
