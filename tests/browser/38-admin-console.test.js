'use strict';
// The admin console (/admin/). Acceptance 1 of the console, in order: sign in
// with the company login, create an organization, add two operators, set the
// widget's colour (the live preview follows) and an allowed origin (a visitor
// widget on another origin is refused, on the allowed one it works), an API key,
// a webhook with a test delivery to a local receiver, the password change (the
// old token and password stop working, the new password signs in). Also: a
// wrong password; a revoked token back to the sign-in form; the token never in
// storage or the URL; no CSP violation; axe-core; screenshots of every page,
// light and dark, desktop and 375 px.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const b = require('./lib/browser');

const PAGES = ['orgs', 'operators', 'keys', 'webhooks', 'widget', 'account'];

describe('admin console', () => {
  let srv; let fx; let browser; let site; let receiver; let received = 0; let hookUrl;
  const stage = b.stage('adminco', { operators: 0, env: { CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true' } });
  before(async () => {
    ({ srv, fx, browser, site } = stage);
    receiver = http.createServer((req, res) => { received++; req.resume(); req.on('end', () => res.end('ok')); });
    const port = await b.freePort();
    await new Promise((r) => receiver.listen(port, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${port}/hook`;
  });
  after(() => new Promise((r) => (receiver ? receiver.close(r) : r())));

  async function open({ colorScheme = 'light', viewport = { width: 1280, height: 800 } } = {}) {
    const ctx = await browser.newContext({ colorScheme, viewport, locale: 'en-US' });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(`${srv.base}/admin/`);
    return { page, log, ctx };
  }
  async function signIn(page, password = fx.password) {
    await page.getByLabel('Login').fill(fx.login);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  const statusText = (page) => page.locator('#status');

  test('a wrong password shows the error and keeps the form', async () => {
    const { page, log, ctx } = await open();
    await signIn(page, 'wrong-password');
    await page.locator('#signin-msg', { hasText: 'Wrong login or password.' }).waitFor();
    assert.equal(await page.getByLabel('Password').count(), 1);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  /* The launcher's computed background in the widget preview of the Widget page. */
  const previewColor = (page) => page.locator('.widget-stage [data-chathub] .launcher')
    .evaluate((n) => getComputedStyle(n).backgroundColor);
  /* A website page embedding the organization's widget, opened at origin; resolves with the widget's state. */
  async function visitorWidget(origin, guid) {
    site.page('/shop', b.html(b.widgetTag(srv.base, guid, { lang: 'en' }), { title: 'Shop' }));
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${origin}/shop`);
    const w = page.locator('[data-chathub] .w');
    await w.and(page.locator('[data-state="ready"], [data-state="error"]')).waitFor({ timeout: 15000 });
    const state = await w.getAttribute('data-state');
    const error = state === 'error' ? await page.locator('[data-chathub] .err').textContent() : '';
    await ctx.close();
    return { state, error };
  }

  test('acceptance: sign in, organization, two operators, widget colour and origin, API key, webhook, password', async () => {
    const { page, log, ctx } = await open();
    await signIn(page);
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();

    await page.locator('#org-create').getByLabel('Name').fill('Acme support');
    await page.locator('#org-create').getByRole('button', { name: 'Create' }).click();
    const form = page.locator('form[aria-label="Edit Acme support"]');
    await form.waitFor();
    await form.getByLabel('Chats per operator').fill('7');
    await form.getByRole('button', { name: 'Save' }).click();
    await statusText(page).filter({ hasText: 'Saved.' }).waitFor();
    const orgs = (await b.api(srv.base, 'GET', '/api/company/organization', { token: fx.token })).json;
    const acme = orgs.find((o) => o.name === 'Acme support');
    const info = (await b.api(srv.base, 'GET', `/api/company/organization/${acme.id}`, { token: fx.token })).json;
    assert.equal(info.maxChatsPerOperator, 7);

    await page.getByRole('link', { name: 'Operators' }).click();
    await page.locator('#op-org').selectOption({ label: 'Acme support' });
    for (const name of ['Anna', 'Boris']) {
      await page.locator('#op-add').getByLabel('Name').fill(name);
      await page.locator('#op-add').getByRole('button', { name: 'Add' }).click();
      await page.locator('tbody tr input[value="' + name + '"]').waitFor();
    }
    let ops = (await b.api(srv.base, 'GET', `/api/operator?organizationId=${acme.id}`, { token: fx.token })).json;
    assert.deepEqual(ops.map((o) => o.name).sort(), ['Anna', 'Boris']);
    const anna = ops.find((o) => o.name === 'Anna');
    const boris = ops.find((o) => o.name === 'Boris');
    await page.getByLabel(`Name ${anna.id}`).fill('Anna K');
    await page.locator('tbody tr', { has: page.getByLabel(`Name ${anna.id}`) }).getByRole('button', { name: 'Rename' }).click();
    await statusText(page).filter({ hasText: 'Saved.' }).waitFor();
    await page.getByLabel('Status Boris').selectOption('1');
    await page.locator('tbody tr', { has: page.getByLabel('Status Boris') }).getByRole('button', { name: 'Set status' }).click();
    await statusText(page).filter({ hasText: 'Saved.' }).waitFor();
    ops = (await b.api(srv.base, 'GET', `/api/operator?organizationId=${acme.id}`, { token: fx.token })).json;
    assert.equal(ops.find((o) => o.id === anna.id).name, 'Anna K');
    assert.equal(ops.find((o) => o.id === boris.id).status, 1);
    await page.locator('tbody tr', { has: page.getByLabel(`Name ${anna.id}`) }).getByRole('button', { name: 'Operator token' }).click();
    const link = page.getByRole('link', { name: 'Open the operator panel' });
    await link.waitFor();
    const href = await link.getAttribute('href');
    assert.match(href, /^\/operator-chat-panel\/#token=/);
    const opTok = decodeURIComponent(href.split('#token=')[1]);
    const v = await b.api(srv.base, 'POST', '/api/operator/validate-token', { token: fx.token, body: { token: opTok } });
    assert.equal(v.json.operatorId, anna.id);
    // an inactive operator gets no token: the API's message is shown
    await page.locator('tbody tr', { has: page.getByLabel('Status Boris') }).getByRole('button', { name: 'Operator token' }).click();
    await page.locator('#status.error').waitFor();
    assert.match(await statusText(page).textContent(), /\S/);

    // the widget: its colour in the live preview, the embed snippet, an allowed origin
    await page.getByRole('link', { name: 'Widget' }).click();
    await page.getByRole('heading', { name: 'Widget' }).waitFor();
    assert.equal(await page.locator('#widget-org').inputValue(), String(acme.id));
    await page.locator('.widget-stage [data-chathub] .w[data-state="preview"]').waitFor();
    assert.equal(await previewColor(page), 'rgb(10, 95, 214)'); // the widget's default
    await page.getByLabel('Main colour', { exact: true }).fill('#c8102e');
    await b.expectAttr(page.locator('#chat-widget-script-preview'), 'main-color', '#c8102e');
    const deadline = Date.now() + 5000;
    while (await previewColor(page) !== 'rgb(200, 16, 46)') { assert.ok(Date.now() < deadline, await previewColor(page)); await b.sleep(50); }
    await page.getByLabel('Main colour: picker').fill('#1d6b2a'); // the picker fills the text field too
    assert.equal(await page.getByLabel('Main colour', { exact: true }).inputValue(), '#1d6b2a');
    while (await previewColor(page) !== 'rgb(29, 107, 42)') { assert.ok(Date.now() < deadline, await previewColor(page)); await b.sleep(50); }
    await page.getByLabel('Theme').selectOption('dark');
    await page.locator('.widget-stage [data-chathub] .w.td').waitFor();
    // theme="dark" in a light browser: the widget's dark set, the main colour standing for the dark one
    assert.equal(await page.locator('.widget-stage [data-chathub] .panel').evaluate((n) => getComputedStyle(n).backgroundColor), 'rgb(27, 31, 36)');
    assert.equal(await previewColor(page), 'rgb(29, 107, 42)');
    await page.getByLabel('Main colour (dark)', { exact: true }).fill('not-a-colour');
    await page.locator('#status.error', { hasText: 'Not a colour: not-a-colour' }).waitFor();
    await page.getByLabel('Main colour (dark)', { exact: true }).fill('');
    assert.equal(await page.locator('[data-chathub] .msg').count(), 2, 'two sample messages');
    const snippet = await page.locator('#widget-snippet').textContent();
    assert.equal(snippet, '<script type="module" id="chat-widget-script"\n'
      + `        src="${srv.base}/chat-widget/widget-script.js"\n        guid="${info.guid}"\n`
      + '        main-color="#1d6b2a"\n        theme="dark"></script>');
    await page.getByLabel('Widget language').selectOption('uk');
    await page.locator('.widget-stage [data-chathub] .msg', { hasText: 'Вітаю! Чим можу допомогти?' }).waitFor();
    assert.match(await page.locator('#widget-snippet').textContent(), /\n {8}lang="uk"><\/script>$/);
    await page.getByLabel('Widget language').selectOption('');
    await page.locator('.widget-stage [data-chathub] .msg', { hasText: 'Hello! How can I help you?' }).waitFor();
    await page.getByRole('button', { name: 'Copy' }).click();
    await statusText(page).filter({ hasText: /Copied\.|Copying is not allowed/ }).waitFor();
    // a bad origin: the API's message is shown
    await page.locator('#widget-origins').fill('not an origin');
    await page.locator('#widget-origins-form').getByRole('button', { name: 'Save' }).click();
    await page.locator('#status.error', { hasText: /origin/i }).waitFor();
    await page.locator('#widget-origins').fill(site.origin);
    await page.locator('#widget-origins-form').getByRole('button', { name: 'Save' }).click();
    await statusText(page).filter({ hasText: 'Saved.' }).waitFor();
    const saved = (await b.api(srv.base, 'GET', `/api/company/organization/${acme.id}`, { token: fx.token })).json;
    assert.deepEqual(saved.allowedOrigins, [site.origin]);
    assert.equal(await page.locator('#widget-origins').inputValue(), site.origin);
    assert.equal(await page.getByLabel('Main colour', { exact: true }).inputValue(), '#1d6b2a', 'the choice stays');

    // a visitor widget on another origin is refused; on the allowed one it works
    const other = `http://127.0.0.1:${site.port}`; // the same website under another origin
    assert.notEqual(other, site.origin);
    assert.deepEqual(await visitorWidget(other, info.guid), { state: 'error', error: 'Chat is unavailable right now.' });
    const refused = await b.api(srv.base, 'POST', `/api/widget/${info.guid}/session`, { body: {}, headers: { Origin: other } });
    assert.equal(refused.headers.get('access-control-allow-origin'), null, 'no CORS grant for another origin');
    assert.deepEqual(await visitorWidget(site.origin, info.guid), { state: 'ready', error: '' });

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('#key-create').getByLabel('Name').fill('CRM backend');
    await page.locator('#key-create').getByRole('button', { name: 'Create' }).click();
    const key = (await page.locator('#new-key').textContent()).trim();
    assert.match(key, /^chk_/);
    assert.equal((await b.api(srv.base, 'GET', '/api/company/organization', { token: key })).status, 200);
    await page.getByRole('cell', { name: 'CRM backend', exact: true }).waitFor();

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.locator('#hook-create').getByLabel('URL').fill(hookUrl);
    await page.locator('#hook-create').getByRole('button', { name: 'Create' }).click();
    assert.match((await page.locator('#new-secret').textContent()).trim(), /^whsec_/);
    await page.getByRole('button', { name: `Send test ${hookUrl}` }).click();
    await statusText(page).filter({ hasText: 'Test delivered: HTTP 200.' }).waitFor();
    assert.ok(received >= 1, 'the receiver got the test');

    // the token lives in memory only
    const leak = await page.evaluate(() => JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage }, u: location.href }));
    assert.ok(!leak.includes(fx.token.slice(0, 20)) && !/eyJ/.test(leak), leak);

    // the account: the last backup, then the password change
    await page.getByRole('link', { name: 'Account' }).click();
    await page.locator('#last-backup', { hasText: 'Last backup: never' }).waitFor();
    const oldTok = (await b.api(srv.base, 'POST', '/api/company/get-token', { body: { login: fx.login, password: fx.password } })).text.trim();
    assert.equal((await b.api(srv.base, 'GET', '/api/company/organization', { token: oldTok })).status, 200);
    const NEW = 'a new and longer password';
    const pwForm = page.locator('#pw-form');
    const changePw = async (current, next, repeat = next) => {
      await pwForm.getByLabel('Current password').fill(current);
      await pwForm.getByLabel('New password', { exact: true }).fill(next);
      await pwForm.getByLabel('Repeat the new password').fill(repeat);
      await pwForm.getByRole('button', { name: 'Change password' }).click();
    };
    await changePw(fx.password, NEW, 'something else');
    await page.locator('#status.error', { hasText: 'The new passwords do not match.' }).waitFor();
    await changePw('not the password', NEW);
    await page.locator('#status.error', { hasText: 'The current password is wrong.' }).waitFor();
    assert.equal(await page.locator('#signin-msg').count(), 0, 'a wrong current password keeps the console signed in');
    await changePw(fx.password, NEW);
    await statusText(page).filter({ hasText: 'Password changed.' }).waitFor();
    for (const tok of [oldTok, fx.token]) {
      assert.equal((await b.api(srv.base, 'GET', '/api/company/organization', { token: tok })).status, 401, 'an old token is revoked');
    }
    assert.equal((await b.api(srv.base, 'POST', '/api/company/get-token', { body: { login: fx.login, password: fx.password } })).status, 401);
    // the console goes on with the token the change answered
    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.locator('form[aria-label="Edit Acme support"]').waitFor();
    assert.equal(await page.locator('#signin-msg').count(), 0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, fx.password);
    await page.locator('#signin-msg', { hasText: 'Wrong login or password.' }).waitFor();
    await signIn(page, NEW);
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();

    // the other tests sign in with the fixture's password
    const tok = (await b.api(srv.base, 'POST', '/api/company/get-token', { body: { login: fx.login, password: NEW } })).text.trim();
    const back = await b.api(srv.base, 'POST', '/api/company/password', { token: tok, body: { currentPassword: NEW, newPassword: fx.password } });
    assert.equal(back.status, 200, back.text);
  });

  test('the last backup on the Account page', async () => {
    const file = path.join(os.tmpdir(), `adminco-backup-${process.pid}.db`);
    const r = await b.cli(['backup', file], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    fs.rmSync(file, { force: true });
    const token = (await b.api(srv.base, 'POST', '/api/company/get-token', { body: { login: fx.login, password: fx.password } })).text.trim();
    const st = (await b.api(srv.base, 'GET', '/api/company/status', { token })).json;
    assert.match(String(st.lastBackupAt), /^\d{4}-\d\d-\d\dT/);
    const { page, log, ctx } = await open();
    await signIn(page);
    await page.getByRole('link', { name: 'Account' }).click();
    await b.expectAttr(page.locator('#last-backup time'), 'datetime', st.lastBackupAt);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('a revoked token returns to the sign-in form with a message', async () => {
    const { page, log, ctx } = await open();
    await signIn(page);
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();
    const r = await b.cli(['company', 'revoke-tokens', '--login', fx.login], { dataDir: srv.dataDir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const deadline = Date.now() + 10000;
    while (await page.locator('#signin-msg').count() === 0) {
      assert.ok(Date.now() < deadline, 'still signed in after revoke-tokens');
      await page.getByRole('link', { name: 'API keys' }).click({ timeout: 500 }).catch(() => {});
      await page.getByRole('link', { name: 'Organizations' }).click({ timeout: 500 }).catch(() => {});
      await b.sleep(200);
    }
    await page.locator('#signin-msg', { hasText: 'Your session has ended; sign in again.' }).waitFor();
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('keyboard alone: sign in, move between pages, sign out; /admin redirects to /admin/', async () => {
    const r = await fetch(`${srv.base}/admin`, { redirect: 'manual' });
    assert.equal(r.status, 301);
    const { page, log, ctx } = await open();
    await page.keyboard.type(fx.login); // the login field has the focus
    await page.keyboard.press('Tab');
    await page.keyboard.type(fx.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();
    await page.getByRole('link', { name: 'API keys' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('Ukrainian from the browser language', async () => {
    const ctx = await browser.newContext({ locale: 'uk-UA' });
    const page = await ctx.newPage();
    await page.goto(`${srv.base}/admin/`);
    await page.getByRole('button', { name: 'Увійти' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'uk');
    await ctx.close();
  });

  // Every page the navigation lists (a new page is covered without changing this test), and the sign-in form.
  test('axe-core and screenshots of every page: light/dark × desktop/375 px', async () => {
    const axe = async (page, what) => {
      const res = await b.axeViolations(page);
      assert.deepEqual(res, [], `${what}: ${res.join('\n')}`);
    };
    for (const [size, viewport] of [['desktop', { width: 1280, height: 800 }], ['375', { width: 375, height: 740 }]]) {
      for (const theme of ['light', 'dark']) {
        const { page, log, ctx } = await open({ colorScheme: theme, viewport });
        await page.locator('#login').waitFor();
        await b.screenshot(page, `admin-${theme}-${size}-signin`);
        await axe(page, `${theme} ${size} sign-in`);
        await signIn(page);
        await page.locator('nav a').first().waitFor();
        const pages = await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href').slice(1)));
        assert.ok(pages.length >= PAGES.length, `navigation lists ${pages.join(', ')}`);
        for (const p of pages) {
          await page.locator(`nav a[href="#${p}"]`).click();
          await page.locator(`nav a[href="#${p}"][aria-current="page"]`).waitFor();
          await page.locator('main h2').first().waitFor();
          await page.waitForLoadState('networkidle');
          await b.screenshot(page, `admin-${theme}-${size}-${p}`);
          await axe(page, `${theme} ${size} ${p}`);
        }
        assert.deepEqual(log.csp, []);
        await ctx.close();
      }
    }
  });
});
