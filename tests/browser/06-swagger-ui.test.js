'use strict';
// The API documentation page: Swagger UI (swagger-ui-dist, copied into the
// build) at /index.html and /swagger, under the page's strict CSP (scripts of
// the server's origin only, no inline script): it loads with no console error
// and no securitypolicyviolation, renders exactly the operations of `chathub
// routes`, and "Try it out" of GET /api/company/organization with a company
// token entered in the Authorize dialog shows 200 and the organizations.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');

describe('Swagger UI', () => {
  let srv, co, browser, routes;

  before(async () => {
    srv = await b.startServer();
    co = await b.makeCompany(srv, 'swaggerco', { orgName: 'Swagger support' });
    await b.createOrg(srv, co.token, 'Swagger sales');
    const r = await b.cli(['routes']);
    assert.equal(r.code, 0, r.stderr);
    routes = JSON.parse(r.stdout).map((x) => `${x.method} ${x.path}`).sort();
    browser = await b.launch();
  });
  after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.stop();
  });

  async function open(path) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const log = b.watchPage(page);
    const failed = [];
    page.on('requestfailed', (req) => failed.push(`${req.url()} ${req.failure() && req.failure().errorText}`));
    page.on('response', (res) => { if (res.status() >= 400) failed.push(`${res.url()} ${res.status()}`); });
    await page.goto(srv.base + path);
    await page.locator('.opblock').first().waitFor({ timeout: 20000 });
    return { page, log, failed };
  }

  /** METHOD /path of every operation the page renders. */
  async function rendered(page) {
    const ops = await page.locator('.opblock .opblock-summary').evaluateAll((els) => els.map((e) => {
      const method = e.querySelector('.opblock-summary-method').textContent.trim();
      const p = e.querySelector('.opblock-summary-path');
      return `${method} ${(p.getAttribute('data-path') || p.textContent).replace(/\u200b/g, '').trim()}`;
    }));
    return ops.sort();
  }

  async function clean(page, log, failed, where) {
    await b.sleep(300); // late errors (a lazily loaded resource) still count
    assert.deepEqual(log.errors, [], `${where}: page errors`);
    assert.deepEqual(log.console, [], `${where}: console errors`);
    assert.deepEqual(log.csp, [], `${where}: CSP messages on the console`);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], `${where}: securitypolicyviolation events`);
    assert.deepEqual(failed, [], `${where}: failed requests`);
  }

  for (const path of ['/index.html', '/swagger', '/swagger/']) {
    test(`${path}: every route of the server, no console error, no CSP violation`, async () => {
      const { page, log, failed } = await open(path);
      assert.equal(await page.title(), 'ChatHub API');
      assert.match(await page.locator('.info .title').textContent(), /ChatHub API/);
      assert.deepEqual(await rendered(page), routes, 'the operations Swagger UI lists are the route table');
      if (path === '/swagger') assert.equal(page.url(), `${srv.base}/swagger/`, 'redirected to the directory');
      await clean(page, log, failed, path);
      await page.context().close();
    });
  }

  test('/docs/: the compact reference lists every route, with no console error or CSP violation', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const log = b.watchPage(page);
    await page.goto(`${srv.base}/docs/`);
    await page.locator('#api section').first().waitFor();
    const listed = await page.locator('#api section h2').evaluateAll((els) => els.map((e) => e.textContent.replace(/^(\w+)/, (m) => `${m.toUpperCase()} `)));
    assert.deepEqual(listed.sort(), routes);
    await clean(page, log, [], '/docs/');
    await context.close();
  });

  test('Try it out: GET /api/company/organization with a company token shows 200 and the organizations', async () => {
    const { page, log, failed } = await open('/index.html');
    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.modal-ux');
    await dialog.waitFor();
    const bearer = dialog.locator('.auth-container').filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
    await bearer.locator('#auth-bearer-value').fill(co.token);
    await bearer.locator('button.authorize').click();
    await bearer.getByText('Authorized', { exact: true }).waitFor();
    await dialog.locator('.close-modal').click();

    const op = page.locator('#operations-Company-organizationList');
    await op.locator('.opblock-summary').click();
    await op.getByRole('button', { name: 'Try it out' }).click();
    await op.getByRole('button', { name: 'Execute' }).click();
    const live = op.locator('.live-responses-table .response');
    await live.first().waitFor({ timeout: 15000 });
    assert.equal((await live.first().locator('.response-col_status').textContent()).trim(), '200');
    const body = await live.first().locator('.response-col_description pre, .response-col_description code').first().textContent();
    const orgs = JSON.parse(body);
    assert.deepEqual(orgs.map((o) => o.name).sort(), ['Swagger sales', 'Swagger support']);
    const curl = await op.locator('.curl-command').textContent();
    assert.match(curl, /Authorization: Bearer /, 'the request carried the token as a Bearer header');
    await b.screenshot(page, 'swagger-ui-try-it-out');
    await clean(page, log, failed, 'Try it out');
    await page.context().close();
  });
});
