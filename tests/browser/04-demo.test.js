'use strict';
// The /demo/ of `make run` (serve --demo): the company website with the visitor
// widget and the operator CRM whose server side walks the public flow and
// embeds the panel — a chat between the two tabs works, and switching the
// CRM's operator re-embeds the panel with a fresh token.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');

describe('the /demo/ pages', () => {
  let srv, browser;

  before(async () => {
    srv = await b.startServer({ args: ['--demo'], env: b.hub.HUB_ENV });
    browser = await b.launch();
  });
  after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.stop();
  });

  test('a visitor on the demo website and Alice in the demo CRM chat', async () => {
    const crm = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const shop = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const errors = [b.watchPage(crm), b.watchPage(shop)];

    await crm.goto(`${srv.base}/demo/`);
    await crm.getByRole('link', { name: 'The operator CRM' }).waitFor();
    await crm.goto(`${srv.base}/demo/crm.html`);
    await b.expectAttr(crm.locator('[data-operator-panel] [data-state]').first(), 'data-state', 'ready');
    const steps = await crm.locator('#steps li').allTextContents();
    assert.deepEqual(steps.map((s) => s.replace(/ → .*/, '')), ['POST /api/company/get-token',
      'GET /api/company/organization', 'GET /api/company/organization/{id}', 'GET /api/operator?organizationId=…',
      'POST /api/operator/get-token'], 'the CRM page lists the public flow its server side walked');
    assert.ok(steps.every((s) => s.endsWith('→ 200')), steps.join('\n'));

    await shop.goto(`${srv.base}/demo/site.html`);
    await b.expectAttr(shop.locator('[data-chathub] [data-state]').first(), 'data-state', 'ready');
    await shop.locator('[data-chathub] button.launcher').click();
    const vInput = shop.getByRole('textbox', { name: 'Message' });
    await vInput.fill('Do you have city bikes in red?');
    await vInput.press('Enter');

    const item = crm.locator('[data-operator-panel] [data-chat-id]').first();
    await item.waitFor({ timeout: 15000 });
    await item.click();
    await crm.locator('[role="log"] [data-author="1"]', { hasText: 'city bikes in red' }).waitFor({ timeout: 15000 });
    const oInput = crm.getByRole('textbox', { name: 'Message' });
    await oInput.fill('Yes, three models. Which size?');
    await oInput.press('Enter');
    await shop.locator('[role="log"] [data-author="0"]', { hasText: 'Which size?' }).waitFor({ timeout: 15000 });

    // switching the operator: the tag is replaced with a fresh token, the panel reconnects as Bob
    const before = await crm.locator('#operator-chat-panel-script').getAttribute('token');
    await crm.locator('#operator').selectOption('Bob');
    await b.hub.pollUntil(async () => (await crm.locator('#operator-chat-panel-script').getAttribute('token')) !== before,
      { ms: 15000, what: 'a new operator token' });
    await b.expectAttr(crm.locator('[data-operator-panel] [data-state]').first(), 'data-state', 'ready');
    assert.equal(await crm.locator('[data-operator-panel]').count(), 1, 'one panel after the swap');
    await b.hub.pollUntil(async () => (await b.hubConnections(srv)) === 2, { ms: 15000, what: 'the old panel connection closed' });
    for (const e of errors) assert.deepEqual(e.errors, [], 'no page errors');
  });
});
