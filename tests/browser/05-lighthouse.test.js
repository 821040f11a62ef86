'use strict';
// Lighthouse (pinned in package-lock.json; its programmatic API on Debian's
// chromium, started by chrome-launcher with the browser tier's flags — never a
// downloaded browser) on the demo's company website (/demo/site.html with the
// visitor widget) served by `serve --demo`: performance ≥ 95 under
// Lighthouse's default mobile profile (simulated slow 4G, 4× CPU slowdown),
// best practices 100, and no console error. The scores, the metrics and what
// each request transferred are printed as diagnostics.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const b = require('./lib/browser');

const RUN_MS = 120000; // one Lighthouse run, at most

describe('Lighthouse on the demo website', () => {
  let srv;

  before(async () => { srv = await b.startServer({ args: ['--demo'], env: b.hub.HUB_ENV }); });
  after(async () => {
    await b.hub.closeAllClients();
    if (srv) await srv.stop();
  });

  test('performance ≥ 95, best practices 100, no console error', { timeout: RUN_MS + 30000 }, async (t) => {
    assert.ok(fs.existsSync(b.CHROMIUM), `${b.CHROMIUM} is missing: scripts/deps.sh test installs Debian's chromium`);
    const { default: lighthouse } = await import('lighthouse');
    const launcher = await import('chrome-launcher');
    const chrome = await launcher.launch({ chromePath: b.CHROMIUM, chromeFlags: ['--headless', ...b.FLAGS] });
    let lhr;
    let timer;
    try {
      const run = lighthouse(`${srv.base}/demo/site.html`, {
        port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'best-practices'],
        maxWaitForLoad: 45000,
      });
      const limit = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Lighthouse did not finish within ${RUN_MS} ms`)), RUN_MS);
      });
      ({ lhr } = await Promise.race([run, limit]));
    } finally {
      clearTimeout(timer);
      await chrome.kill();
    }

    const score = (c) => Math.round(lhr.categories[c].score * 100);
    const a = lhr.audits;
    t.diagnostic(`Lighthouse ${lhr.lighthouseVersion} (${lhr.configSettings.formFactor}, ${lhr.configSettings.throttlingMethod}` +
      ` throttling) on ${lhr.finalDisplayedUrl}: performance ${score('performance')}, best practices ${score('best-practices')}`);
    t.diagnostic(['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift',
      'speed-index'].map((k) => `${a[k].title} ${a[k].displayValue}`).join('; '));
    const requests = a['network-requests'].details.items;
    t.diagnostic(`${requests.length} requests: ` + requests.map((r) => `${new URL(r.url).pathname} ` +
      `${r.transferSize}/${r.resourceSize} B`).join(', '));
    for (const w of lhr.runWarnings) t.diagnostic(`warning: ${w}`);

    const failing = Object.entries(a)
      .filter(([, x]) => typeof x.score === 'number' && x.score < 1 && !['informative', 'notApplicable', 'manual'].includes(x.scoreDisplayMode))
      .map(([k, x]) => `${k} ${x.score} ${x.displayValue || ''}`);
    assert.equal(lhr.runtimeError, undefined, `Lighthouse failed: ${JSON.stringify(lhr.runtimeError)}`);
    assert.deepEqual(a['errors-in-console'].details?.items ?? [], [], 'no console error');
    assert.ok(score('performance') >= 95, `performance ${score('performance')} < 95; audits below 1: ${failing.join('; ')}`);
    assert.equal(score('best-practices'), 100, `best practices ${score('best-practices')}; audits below 1: ${failing.join('; ')}`);
    const widget = requests.find((r) => r.url.endsWith('/chat-widget/widget-script.js'));
    assert.ok(widget, 'the page loaded the visitor widget');
    assert.ok(widget.transferSize < widget.resourceSize / 2, `the widget arrives compressed: ${JSON.stringify(widget)}`);
  });
});
