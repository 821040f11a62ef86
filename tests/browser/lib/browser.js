'use strict';
// Browser-test harness: Debian's chromium driven by playwright-core (never a
// downloaded browser), a "company website" served from a different origin than
// the ChatHub server (another port), and fixtures built on the e2e harness.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { before, after } = require('node:test');
const { chromium } = require('playwright-core');
const h = require('../../e2e/lib/harness');
const hub = require('../../e2e/lib/hub');

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
const SCREENSHOTS = path.join(h.REPO, 'tests', 'screenshots');

async function launch() {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/deps.sh test installs Debian's chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/**
 * A website on its own port (a different origin than the ChatHub server).
 * site.page(path, html, {csp}) registers a page; site.url(path) is its address.
 * Files under /static/ can be registered the same way with a content type.
 */
async function startSite() {
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const p = pages.get(new URL(req.url, 'http://x').pathname);
    if (!p) { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('not found'); return; }
    const headers = { 'Content-Type': p.type || 'text/html; charset=utf-8', 'Cache-Control': 'no-store' };
    if (p.csp) headers['Content-Security-Policy'] = p.csp;
    res.writeHead(200, headers);
    res.end(typeof p.body === 'function' ? p.body(req) : p.body);
  });
  const port = await h.freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    // `localhost` while the ChatHub server is 127.0.0.1: a different origin, as on a real site.
    origin: `http://localhost:${port}`,
    page(p, body, opts = {}) { pages.set(p, { body, ...opts }); return `http://localhost:${port}${p}`; },
    url(p) { return `http://localhost:${port}${p}`; },
    close() { return new Promise((r) => server.close(r)); },
  };
}

/** An HTML page embedding the given tags in <body>. */
function html(body, { title = 'Host page', head = '', lang = 'en' } = {}) {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${title}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">${head}</head><body>` +
    `<h1>${title}</h1>${body}</body></html>`;
}

function panelTag(base, token, attrs = {}) {
  const extra = Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join('');
  return `<script type="module" id="${attrs.id || 'operator-chat-panel-script'}" ` +
    `src="${base}/operator-chat-panel/widget-script.js" token="${token}"${extra.replace(/ id="[^"]*"/, '')}></script>`;
}

function widgetTag(base, guid, attrs = {}) {
  const extra = Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join('');
  return `<script type="module" id="chat-widget-script" src="${base}/chat-widget/widget-script.js" ` +
    `guid="${guid}"${extra}></script>`;
}

/** Collects page errors, console errors and CSP violations of a page. */
function watchPage(page) {
  const log = { errors: [], console: [], csp: [] };
  page.on('pageerror', (e) => log.errors.push(String(e && e.message)));
  page.on('console', (m) => { if (m.type() === 'error') log.console.push(m.text()); });
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) log.csp.push(m.text()); });
  return log;
}

let axeSource = null;
/* axe-core's serious and critical violations on the page, as "rule: targets"
 * lines (evaluated by the test driver: a page's strict CSP rightly refuses an
 * injected script tag). */
async function axeViolations(page) {
  if (!axeSource) axeSource = fs.readFileSync(path.join(h.REPO, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')
      .map((x) => `${x.id}: ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** Open hub connections according to /metrics (the gauge name is matched loosely). */
async function hubConnections(srv) {
  const r = await fetch(`${srv.base}/metrics`);
  const t = await r.text();
  const m = /^chathub_hub_connections(?:\{[^}]*\})?\s+(\d+)/m.exec(t);
  assert.ok(m, `no chathub_hub_connections gauge in /metrics:\n${t.slice(0, 400)}`);
  return Number(m[1]);
}

/**
 * The usual stage of a browser test file, as before/after hooks: a ChatHub server
 * (hub timings of the e2e suite), a website on another origin, an organization
 * with `operators` operators (hub.makeOrgFixture) and chromium (`env`: more
 * of the server's environment). Returns the
 * object the hooks fill: {srv, site, fx, browser}.
 */
function stage(login, { operators = 1, orgName, env } = {}) {
  const s = {};
  before(async () => {
    s.srv = await h.startServer({ env: { ...hub.HUB_ENV, ...env } });
    s.site = await startSite();
    s.fx = await hub.makeOrgFixture(s.srv, login, { operators, orgName });
    s.browser = await launch();
  });
  after(async () => {
    if (s.browser) await s.browser.close();
    await hub.closeAllClients();
    if (s.srv) await s.srv.stop();
    if (s.site) await s.site.close();
  });
  return s;
}

/** Waits until the locator's attribute equals value (or matches a RegExp). */
async function expectAttr(locator, name, value, { timeout = 15000 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try { last = await locator.first().getAttribute(name, { timeout: 1000 }); } catch { last = undefined; }
    if (value instanceof RegExp ? value.test(last ?? '') : last === value) return last;
    if (Date.now() > deadline) assert.fail(`${locator}: ${name}=${JSON.stringify(last)}, expected ${value}`);
    await h.sleep(50);
  }
}

module.exports = {
  ...h, hub, CHROMIUM, FLAGS, SCREENSHOTS,
  launch, startSite, stage, html, panelTag, widgetTag, watchPage, screenshot, axeViolations, hubConnections, expectAttr,
};
