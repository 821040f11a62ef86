'use strict';
// The operator panel embedded in a company's page (another origin) by every
// pattern of the public integration guide: static tag, dynamic injection,
// remove-then-append with a fresh token, mount/unmount 20× as the React / Vue /
// Angular samples do, "load once", and two organizations with suffixed ids.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

// Counts live timers and window/document listeners (wrapped before any module runs).
const COUNTERS = `
  (() => {
    const live = { timeouts: new Set(), intervals: new Set(), listeners: 0 };
    window.__live = live;
    const st = window.setTimeout, ct = window.clearTimeout, si = window.setInterval, ci = window.clearInterval;
    window.setTimeout = function (fn, ms, ...a) {
      const id = st.call(window, (...x) => { live.timeouts.delete(id); if (typeof fn === 'function') fn(...x); }, ms, ...a);
      live.timeouts.add(id); return id;
    };
    window.clearTimeout = function (id) { live.timeouts.delete(id); return ct.call(window, id); };
    window.setInterval = function (...a) { const id = si.apply(window, a); live.intervals.add(id); return id; };
    window.clearInterval = function (id) { live.intervals.delete(id); return ci.call(window, id); };
    for (const target of [window, document]) {
      const add = target.addEventListener, rem = target.removeEventListener;
      const keys = new Set();
      target.addEventListener = function (type, fn, opts) {
        const k = type + '|' + (typeof opts === 'object' ? !!opts.capture : !!opts);
        const key = { k, fn };
        live.listeners++;
        keys.add(key);
        if (opts && typeof opts === 'object' && opts.signal) {
          opts.signal.addEventListener('abort', () => { if (keys.delete(key)) live.listeners--; });
        }
        return add.call(this, type, fn, opts);
      };
      target.removeEventListener = function (type, fn, opts) {
        const k = type + '|' + (typeof opts === 'object' ? !!opts.capture : !!opts);
        for (const key of keys) if (key.k === k && key.fn === fn) { keys.delete(key); live.listeners--; break; }
        return rem.call(this, type, fn, opts);
      };
    }
  })();
`;

// The guide's loadChatHubWidget(), parameterised with the server's URL.
const LOADER = (src) => `
  window.loadChatHubWidget = function (operatorToken, id) {
    const existing = document.getElementById(id || 'operator-chat-panel-script');
    if (existing) existing.remove();
    const script = document.createElement('script');
    script.type = 'module';
    script.id = id || 'operator-chat-panel-script';
    script.src = ${JSON.stringify(src)};
    script.setAttribute('token', operatorToken);
    script.__events = [];
    for (const n of ['chathub:ready', 'chathub:error']) script.addEventListener(n, (e) => script.__events.push(n));
    document.body.appendChild(script);
    return script;
  };
`;

describe('operator panel: embed patterns', () => {
  let srv;
  let site;
  let browser;
  let fx;
  let fx2;         // a second organization of the same company
  let src;
  const visitors = [];

  before(async () => {
    srv = await b.startServer({ env: b.hub.HUB_ENV });
    site = await b.startSite();
    fx = await b.hub.makeOrgFixture(srv, 'embedco', { operators: 1 });
    fx2 = await b.hub.addOrg(srv, fx.company, 'Embed sales', { operators: 1 });
    src = `${srv.base}/operator-chat-panel/widget-script.js`;
    browser = await b.launch();
  });
  after(async () => {
    for (const v of visitors) await v.stop();
    if (browser) await browser.close();
    await b.hub.closeAllClients();
    if (srv) await srv.stop();
    if (site) await site.close();
  });

  async function pageWith(body, opts) {
    const page = await L.newPage(browser, opts);
    await page.addInitScript(COUNTERS);
    await page.addInitScript(LOADER(src));
    await page.goto(site.page(`/p${Math.random().toString(36).slice(2)}`, b.html(body)));
    return page;
  }

  async function connectionsBack(n) {
    let last;
    await L.poll(async () => { last = await b.hubConnections(srv); return last === n; },
      () => `hub connections back to ${n} (last ${last})`);
  }

  test('static tag: the panel connects, says chathub:ready, and CSS of the host cannot break it', async () => {
    const hostile = '<style>* { all: unset } body { font: 40px serif }</style>';
    const page = await pageWith(`${hostile}${b.panelTag(srv.base, fx.ops[0].token)}`);
    await L.waitState(page, 'ready');
    assert.equal((await L.events(page, 'chathub:ready')).length, 1);
    const launcher = page.locator(`${L.PANEL()} .launcher`);
    await launcher.click();
    const box = await page.locator(`${L.PANEL()} .panel`).boundingBox();
    assert.ok(box && box.width > 300 && box.height > 300, `panel visible and sized: ${JSON.stringify(box)}`);
    const font = await page.locator(`${L.PANEL()} .root`).evaluate((el) => getComputedStyle(el).fontSize);
    assert.equal(font, '14px', 'host font does not leak in');
    assert.deepEqual(page.log.errors, []);
    await connectionsBack(1);
    await page.context().close();
    await connectionsBack(0);
  });

  test('strict CSP (only the ChatHub origin): ready with zero violations; a changed token attribute reconnects', async () => {
    const ws = srv.base.replace(/^http/, 'ws');
    const csp = `default-src 'none'; script-src ${srv.base}; style-src ${srv.base}; connect-src ${srv.base} ${ws}; ` +
      `img-src ${srv.base} data:`;
    const page = await L.newPage(browser);
    await page.goto(site.page('/csp', b.html(b.panelTag(srv.base, fx.ops[0].token)), { csp }));
    await L.waitState(page, 'ready');
    await page.locator(`${L.PANEL()} .launcher`).click();
    await page.locator(`${L.PANEL()} .panel`).waitFor({ state: 'visible' });
    // token attribute changed in place → the panel reconnects with it (old connection closed)
    const fresh = await b.operatorToken(srv, fx.token, fx.ops[0].id, b.isoIn(5400e3));
    const before = (await L.events(page, 'chathub:ready')).length;
    await page.evaluate((t) => document.getElementById('operator-chat-panel-script').setAttribute('token', t), fresh);
    await L.poll(async () => (await L.events(page, 'chathub:ready')).length === before + 1, 'ready again with the new token');
    await L.waitState(page, 'ready');
    await connectionsBack(1);
    const bg = await page.locator(`${L.PANEL()} .panel`).evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'styled by the adopted stylesheet under the CSP');
    assert.deepEqual(page.log.csp, [], 'no CSP violation');
    assert.deepEqual(page.log.errors, []);
    await page.context().close();
    await connectionsBack(0);
  });

  test('dynamic injection (loadChatHubWidget) and remove-then-append with a fresh token', async () => {
    const page = await pageWith('<p>SPA</p>');
    await page.evaluate((t) => { window.first = window.loadChatHubWidget(t); }, fx.ops[0].token);
    await L.waitState(page, 'ready');
    assert.deepEqual(await page.evaluate(() => window.first.__events), ['chathub:ready'], 'ready on the element');
    await connectionsBack(1);

    // token refresh: the guide removes the element and appends a new one
    const fresh = await b.operatorToken(srv, fx.token, fx.ops[0].id, b.isoIn(7200e3));
    assert.notEqual(fresh, fx.ops[0].token);
    await page.evaluate((t) => { window.second = window.loadChatHubWidget(t); }, fresh);
    await L.poll(() => page.evaluate(() => window.second.__events.includes('chathub:ready')), 'second panel ready');
    assert.equal(await page.locator('[data-operator-panel]').count(), 1, 'one panel after the refresh');
    await connectionsBack(1);
    assert.equal(await page.evaluate(() => window.first.isConnected), false);

    // and it works: a new visitor chat reaches the refreshed panel
    const v = await b.hub.visitorChat(srv, fx.guid, 'after refresh', { name: 'Refresh Rita' });
    visitors.push(v);
    await L.poll(async () => (await L.chatItems(page)).some((c) => c.id === v.chatId && /Refresh Rita/.test(c.text)),
      'the visitor chat in the refreshed panel');
    await v.stop();
    await page.context().close();
    await connectionsBack(0);
  });

  test('mount/unmount 20× (React/Vue/Angular samples): no connection, DOM, timer or listener left', async () => {
    const page = await pageWith('<div id="app"></div>');
    await page.evaluate((s) => { window.__src = s; }, src);
    const baseline = await page.evaluate(() => ({ t: window.__live.timeouts.size, i: window.__live.intervals.size,
      l: window.__live.listeners }));
    for (let i = 0; i < 20; i++) {
      // useEffect: append; cleanup: getElementById(...).remove()
      await page.evaluate((t) => {
        const script = document.createElement('script');
        script.type = 'module';
        script.id = 'operator-chat-panel-script';
        script.src = window.__src;
        script.setAttribute('token', t);
        document.body.appendChild(script);
      }, fx.ops[0].token);
      if (i % 4 === 3) await L.waitState(page, 'ready');
      await page.evaluate(() => { const el = document.getElementById('operator-chat-panel-script'); if (el) el.remove(); });
    }
    await connectionsBack(0);
    assert.equal(await page.locator('[data-operator-panel]').count(), 0, 'no panel DOM left');
    let live;
    await L.poll(async () => {
      live = await page.evaluate(() => ({ t: window.__live.timeouts.size, i: window.__live.intervals.size,
        l: window.__live.listeners }));
      return live.t <= baseline.t && live.i <= baseline.i && live.l <= baseline.l + 0;
    }, () => `no timers/listeners left: ${JSON.stringify(live)} vs ${JSON.stringify(baseline)}`);
    assert.equal(await page.title(), 'Host page', 'title restored');
    assert.deepEqual(page.log.errors, []);
    await page.context().close();
  });

  test('"load once": several tags removed, one added → exactly one panel and one connection', async () => {
    const page = await pageWith(b.panelTag(srv.base, fx.ops[0].token) +
      b.panelTag(srv.base, fx.ops[0].token, { id: 'operator-chat-panel-script-2' }));
    await L.waitState(page, 'ready');
    await L.waitState(page, 'ready', { id: 'operator-chat-panel-script-2' });
    await connectionsBack(2);
    await page.evaluate((t) => {
      document.querySelectorAll('script[id^="operator-chat-panel-script"]').forEach((s) => s.remove());
      window.loadChatHubWidget(t);
    }, fx.ops[0].token);
    await L.waitState(page, 'ready');
    assert.equal(await page.locator('[data-operator-panel]').count(), 1);
    await connectionsBack(1);
    await page.context().close();
    await connectionsBack(0);
  });

  test('two organizations with suffixed ids: two independent panels, each sees only its own chats', async () => {
    const page = await pageWith('<div id="support-box"></div><div id="sales-box"></div>');
    await page.evaluate(([a, c]) => {
      window.loadChatHubWidget(a, 'operator-chat-panel-script-support').setAttribute('container', '#support-box');
      window.loadChatHubWidget(c, 'operator-chat-panel-script-sales');
    }, [fx.ops[0].token, fx2.ops[0].token]);
    await L.waitState(page, 'ready', { id: 'operator-chat-panel-script-support' });
    await L.waitState(page, 'ready', { id: 'operator-chat-panel-script-sales' });
    await connectionsBack(2);
    const vs = await b.hub.visitorChat(srv, fx.guid, 'support question', { name: 'Support Sam' });
    const vl = await b.hub.visitorChat(srv, fx2.guid, 'sales question', { name: 'Sales Sara' });
    visitors.push(vs, vl);
    const has = async (id, chatId) => (await L.chatItems(page, id)).some((c) => c.id === chatId);
    await L.poll(() => has('operator-chat-panel-script-support', vs.chatId), 'support chat in support panel');
    await L.poll(() => has('operator-chat-panel-script-sales', vl.chatId), 'sales chat in sales panel');
    assert.equal(await has('operator-chat-panel-script-support', vl.chatId), false, 'no sales chat in support');
    assert.equal(await has('operator-chat-panel-script-sales', vs.chatId), false, 'no support chat in sales');
    // removing one leaves the other working
    await page.evaluate(() => document.getElementById('operator-chat-panel-script-sales').remove());
    assert.equal(await page.locator('[data-operator-panel]').count(), 1);
    assert.equal(await L.state(page, 'operator-chat-panel-script-support'), 'ready');
    await vs.stop();
    await vl.stop();
    await connectionsBack(1);
    await page.context().close();
    await connectionsBack(0);
  });
});
