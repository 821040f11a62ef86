'use strict';
// The admin console's Reports page (/admin/#reports): a small history made
// through the API (two chats with an operator's replies, closes and ratings),
// then the page shows the numbers of GET /api/reports/summary and
// /api/reports/heatmap (the same JSON, cell by cell), draws its uPlot charts
// (the build's copy, served from /admin/vendor/ with its brotli variant, under
// the page's strict CSP), and each Download CSV saves the bytes the server
// answers with Accept: text/csv. Without uPlot the page says so and keeps its
// tables. Another company reads none of it. axe-core with figures shown.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const b = require('./lib/browser');

const { hub } = b;

// The page's default range: the last 7 days by the browser's calendar (the browser runs in UTC here, as the
// organization does: no business hours).
const DAY = 86400e3;
const ymd = (ms) => new Date(ms).toISOString().slice(0, 10);
const TO = ymd(Date.now());
const FROM = ymd(Date.now() - 6 * DAY);

const hms = (s) => (s == null ? '—'
  : `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`);
const num = (v) => (v == null ? '—' : String(v));
const FIGURES = {
  conversationsStarted: num, conversationsClosed: num, conversationsReopened: num, messagesIn: num, messagesOut: num,
  'timeInQueue.median': hms, 'timeInQueue.p90': hms, 'firstResponseTime.median': hms, 'firstResponseTime.p90': hms,
  'resolutionTime.median': hms, 'resolutionTime.p90': hms, 'csat.average': num, 'csat.count': num,
};
const pick = (o, dotted) => dotted.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o);

describe('admin console: Reports', () => {
  let srv; let fx; let browser; let rival;
  const clientAt = []; // createdAt of every client message
  const stage = b.stage('adminreports', { operators: 1, orgName: 'Reports Support' });
  const q = () => `organizationId=${fx.orgId}&from=${FROM}&to=${TO}`;
  const get = (path, accept = 'application/json', token = fx.token) =>
    fetch(`${srv.base}${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: accept } });

  before(async () => {
    ({ srv, fx, browser } = stage);
    const op = fx.ops[0];
    await hub.connectHub(srv.base, op.token, { label: 'operator' });
    for (const [text, rating] of [['Where is my parcel?', 4], ['Hello', 5]]) {
      const v = await hub.visitorChat(srv, fx.guid, text);
      await hub.pollUntil(async () => (await hub.getChat(srv, fx.token, v.chatId)).operator, { what: 'chat assigned' });
      await hub.postMessage(srv, op.token, v.chatId, { textMessage: 'Let me check' });
      const m = await v.invoke('SendMessage', v.chatId, 'Thanks!', crypto.randomUUID());
      assert.equal(m.chatId, v.chatId);
      b.assertOk(await hub.setChatStatus(srv, rating === 4 ? op.token : fx.token, v.chatId, 4));
      b.assertOk(await b.api(srv.base, 'POST', `/api/widget/${fx.guid}/csat`,
        { token: v.session.visitorToken, body: { chatId: v.chatId, rating } }));
      for (const msg of await hub.allMessages(srv, fx.token, v.chatId)) if (msg.author === 1) clientAt.push(msg.createdAt);
    }
    rival = await b.makeCompany(srv, 'adminreportsrival', { orgName: 'Rival Support' });
  });

  async function open(opts = {}) {
    const ctx = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 }, ...opts });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(`${srv.base}/admin/`);
    return { page, log, ctx };
  }
  async function signInToReports(page, who = fx) {
    await page.getByLabel('Login').fill(who.login);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
  }

  test('the tables show the JSON of the summary and the heat map; the charts are drawn', async () => {
    const { page, log, ctx } = await open();
    await signInToReports(page);
    await page.locator('#rep-figures-table').waitFor();
    assert.equal(await page.locator('#rep-from').inputValue(), FROM);
    assert.equal(await page.locator('#rep-to').inputValue(), TO);
    assert.match(await page.locator('#rep-zone-note').textContent(), /organization's time zone/);

    const sum = await (await get(`/api/reports/summary?${q()}`)).json();
    const heat = await (await get(`/api/reports/heatmap?${q()}`)).json();
    // the history as made
    const org = sum.organization;
    assert.deepEqual([org.conversationsStarted, org.conversationsClosed, org.messagesIn, org.messagesOut], [2, 2, 4, 2]);
    assert.deepEqual(org.csat, { count: 2, average: 4.5, distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 } });
    assert.deepEqual(sum.operators.map((o) => o.operatorId), [fx.ops[0].id]);
    const utc = (iso) => iso.slice(0, 16).replace('T', ' ');
    assert.equal(await page.locator('#rep-range').textContent(),
      `Days in UTC: from ${utc(sum.rangeStart)} to ${utc(sum.rangeEnd)} UTC (${sum.eventsRead} events read).`);
    assert.equal(sum.rangeStart, `${FROM}T00:00:00.000Z`);

    // every cell of the figures table: the organization, then each operator
    const rows = [[page.locator('tr[data-scope="organization"]'), org],
      ...sum.operators.map((o) => [page.locator(`tr[data-operator-id="${o.operatorId}"]`), o])];
    assert.equal(await page.locator('#rep-figures-table tbody tr').count(), rows.length);
    for (const [row, figs] of rows) {
      for (const [name, fmt] of Object.entries(FIGURES)) {
        assert.equal(await row.locator(`td[data-figure="${name}"]`).textContent(), fmt(pick(figs, name)), name);
      }
    }
    assert.match(await rows[1][0].locator('th').textContent(), new RegExp(`\\(#${fx.ops[0].id}\\)`));
    for (let r = 1; r <= 5; r++) {
      assert.equal(await page.locator(`#rep-csat-table td[data-rating="${r}"]`).textContent(), String(org.csat.distribution[r]));
    }

    // the heat map: every cell equals the JSON; the hour of the client messages holds their count
    const cells = await page.locator('#rep-heat-table td[data-day]').evaluateAll((tds) =>
      tds.map((td) => [Number(td.dataset.day), Number(td.dataset.hour), Number(td.textContent)]));
    assert.equal(cells.length, 168);
    for (const [d, hr, n] of cells) assert.equal(n, heat.counts[d][hr], `day ${d} hour ${hr}`);
    const mine = new Map();
    for (const at of clientAt) {
      const t = new Date(at);
      const key = `${(t.getUTCDay() + 6) % 7}/${t.getUTCHours()}`;
      mine.set(key, (mine.get(key) || 0) + 1);
    }
    for (const [key, n] of mine) {
      const [d, hr] = key.split('/');
      assert.equal(await page.locator(`#rep-heat-table td[data-day="${d}"][data-hour="${hr}"]`).textContent(), String(n), key);
    }
    assert.equal(cells.reduce((a, c) => a + c[2], 0), 4);

    // the charts: uPlot loaded from /admin/vendor/ and drew on its canvases
    assert.equal(await page.locator('#rep-nocharts').count(), 0);
    for (const id of ['csat-chart', 'hour-chart']) {
      const drawn = await page.locator(`#${id} canvas`).evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]) painted++;
        return { w: c.width, painted };
      });
      assert.ok(drawn.w > 0 && drawn.painted > 100, `${id}: ${JSON.stringify(drawn)}`);
    }
    assert.equal(await page.locator('link[href$="/admin/vendor/uPlot.min.css"]').count(), 1);

    // one operator: the organization's row and that operator's
    await page.locator('#rep-op').selectOption(String(fx.ops[0].id));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('#rep-figures-table tbody tr').nth(1).waitFor();
    assert.equal(await page.locator('#rep-figures-table tbody tr').count(), 2);
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.console, []);
    await ctx.close();
  });

  test('each Download CSV saves the bytes of the same request with Accept: text/csv', async () => {
    const { page, log, ctx } = await open();
    await signInToReports(page);
    for (const [id, path] of [['csv-summary', 'summary'], ['csv-heatmap', 'heatmap']]) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(`#${id}`).click()]);
      assert.equal(dl.suggestedFilename(), `chathub-${path}-${fx.orgId}-${FROM}-${TO}.csv`);
      const saved = fs.readFileSync(await dl.path());
      const res = await get(`/api/reports/${path}?${q()}`, 'text/csv');
      assert.match(res.headers.get('content-type'), /^text\/csv/);
      const want = Buffer.from(await res.arrayBuffer());
      assert.ok(want.length > 100, `${path}: ${want.length} bytes`);
      assert.ok(saved.equals(want), `${path}: the download differs from the server's CSV`);
    }
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('the build\'s uPlot copy is served at /admin/vendor/ with its brotli variant', async () => {
    const dist = path.join(b.REPO, 'node_modules', 'uplot', 'dist');
    for (const [name, type] of [['uPlot.esm.js', /^text\/javascript/], ['uPlot.min.css', /^text\/css/]]) {
      const r = await fetch(`${srv.base}/admin/vendor/${name}`, { headers: { 'Accept-Encoding': 'br' } });
      assert.equal(r.status, 200, name);
      assert.match(r.headers.get('content-type'), type);
      assert.equal(r.headers.get('content-encoding'), 'br', name);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(fs.readFileSync(path.join(dist, name))), `${name}: the npm file`);
    }
  });

  test('without the uPlot copy the page says so and keeps its tables', async () => {
    const { page, log, ctx } = await open();
    await page.route('**/admin/vendor/**', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
    await signInToReports(page);
    await page.locator('#rep-nocharts', { hasText: 'The charts are not available' }).waitFor();
    await page.locator('#rep-figures-table').waitFor();
    assert.equal(await page.locator('#rep-heat-table td[data-day]').count(), 168);
    assert.equal(await page.locator('canvas').count(), 0);
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('another company: 404 from the API, and its console lists none of the organizations', async () => {
    for (const p of ['summary', 'heatmap']) {
      for (const accept of ['application/json', 'text/csv']) {
        const r = await get(`/api/reports/${p}?${q()}`, accept, rival.token);
        assert.equal(r.status, 404, `${p} ${accept}`);
        assert.equal((await r.json()).code, 3001);
      }
    }
    const { page, log, ctx } = await open();
    await signInToReports(page, rival);
    await page.locator('#rep-figures-table').waitFor();
    const opts = await page.locator('#rep-org option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
    assert.deepEqual(opts, [[String(rival.orgId), 'Rival Support']]);
    assert.equal(await page.locator('tr[data-scope="organization"] td[data-figure="messagesIn"]').textContent(), '0');
    assert.equal(await page.locator('#rep-figures-table tbody tr').count(), 1);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('axe-core with the figures shown: light and dark, desktop and 375 px (full-page screenshots)', async () => {
    fs.mkdirSync(b.SCREENSHOTS, { recursive: true });
    for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 740 }]) {
      for (const colorScheme of ['light', 'dark']) {
        const { page, log, ctx } = await open({ colorScheme, viewport });
        await signInToReports(page);
        await page.locator('#hour-chart canvas').waitFor();
        const res = await b.axeViolations(page);
        assert.deepEqual(res, [], `${colorScheme} ${viewport.width}: ${res.join('\n')}`);
        await page.screenshot({ path: path.join(b.SCREENSHOTS, `admin-reports-${colorScheme}-${viewport.width}.png`), fullPage: true });
        assert.deepEqual(log.csp, []);
        await ctx.close();
      }
    }
  });

  test('Ukrainian: the page and its weekday names', async () => {
    const { page, ctx } = await open({ locale: 'uk-UA' });
    await page.getByLabel('Логін').fill(fx.login);
    await page.getByLabel('Пароль').fill(fx.password);
    await page.getByRole('button', { name: 'Увійти' }).click();
    await page.getByRole('link', { name: 'Звіти' }).click();
    await page.getByRole('heading', { name: 'Звіти' }).waitFor();
    await page.locator('#rep-heat-table').waitFor();
    assert.equal(await page.locator('#rep-heat-table tbody th').first().textContent(), 'пн');
    await page.getByRole('button', { name: 'Завантажити CSV: Показники' }).waitFor();
    await ctx.close();
  });
});
