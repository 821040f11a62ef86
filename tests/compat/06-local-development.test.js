'use strict';
// The guide's "Local Development" snippet, as published, in a browser page
// that loads the panel with the guide's "Dynamic Injection" function: against
// `serve --demo` (what `make run` starts) the literal development token opens
// the operator chat panel as the demo operator; anywhere else it is refused.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('../browser/lib/browser');
const L = require('../browser/19-panel-lib');
const { snippet } = require('./lib/compat');

// The page an integrator's development build produces: the two snippets, with
// what they leave undefined (process.env of the bundler, loadWidget,
// getProductionToken).
function page(base) {
  return b.html(`<script>
const process = { env: { NODE_ENV: 'development' } };
async function getProductionToken() { throw new Error('a development build never asks for it'); }
${snippet('guide-dynamic-injection.js', base)}
function loadWidget(token) { loadChatHubWidget(token); }
(async () => {
${snippet('guide-local-development.js', base)}
})();
</script>`, { title: 'Local development' });
}

describe("the guide's development token", () => {
  let browser;
  let site;
  const servers = [];
  before(async () => {
    browser = await b.launch();
    site = await b.startSite();
    site.page('/favicon.ico', '', { type: 'image/x-icon' }); // the host site's, so no console error is ours
  });
  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    for (const s of servers) await s.stop();
  });

  test('with --demo the panel opens as the demo operator, without an error', async () => {
    const srv = await b.startServer({ args: ['--demo'], env: b.hub.HUB_ENV });
    servers.push(srv);
    const p = await L.newPage(browser);
    await p.goto(site.page('/dev', page(srv.base)));
    await L.waitState(p, 'ready');
    const [ready] = await L.events(p, 'chathub:ready');
    assert.ok(ready && ready.detail.operatorId > 0, JSON.stringify(ready));
    const col = await b.api(srv.base, 'GET', '/api/operator/colleagues', { token: 'test-token-for-development' });
    assert.equal(col.json.find((o) => o.id === ready.detail.operatorId).name, 'Alice');
    assert.deepEqual(p.log.errors, []);
    assert.deepEqual(p.log.console, []);
    assert.deepEqual(p.log.csp, []);
    await p.context().close();
  });

  test('without --demo the same page shows invalid_token', async () => {
    const srv = await b.startServer({ env: b.hub.HUB_ENV });
    servers.push(srv);
    const p = await L.newPage(browser);
    await p.goto(site.page('/dev-prod', page(srv.base)));
    await L.waitState(p, 'error');
    const errors = await L.events(p, 'chathub:error');
    assert.ok(errors.some((e) => e.detail.code === 'invalid_token'), JSON.stringify(errors));
    await p.context().close();
  });
});
