'use strict';
// Operator panel errors, as a host page sees them: an expiring token (while
// connected, then before connecting), an invalid token, a revoked operator
// (before and while connected) and a missing token attribute each give a clear
// message inside the panel, chathub:error with its code on the element and on
// window, and for expiry the guide's `window 'error'` snippet fires.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

describe('operator panel: errors', () => {
  let srv;
  let site;
  let browser;
  let fx;

  const stage = b.stage('errco', { operators: 3 });
  before(() => { ({ srv, site, fx, browser } = stage); });

  // A page whose element records its own events; `container` renders inline.
  async function embed(token, { inline = false } = {}) {
    const page = await L.newPage(browser);
    const tag = token === null
      ? `<script type="module" id="operator-chat-panel-script" src="${srv.base}/operator-chat-panel/widget-script.js"></script>`
      : b.panelTag(srv.base, token, inline ? { container: '#crm' } : {});
    // a classic script after the module tag runs first (modules are deferred) and listens on the element
    const listen = '<script>const s = document.getElementById("operator-chat-panel-script"); s.__events = [];' +
      'for (const n of ["chathub:ready","chathub:error"]) s.addEventListener(n, (e) => s.__events.push({name: n, ' +
      'detail: e.detail || null}));</script>';
    await page.goto(site.page(`/e${Math.random().toString(36).slice(2)}`, b.html(`<div id="crm"></div>${tag}${listen}`)));
    return page;
  }

  async function expectError(page, code, textRe) {
    await L.waitState(page, 'error');
    let errs;
    await L.poll(async () => { errs = await L.events(page, 'chathub:error'); return errs.length > 0; }, 'chathub:error');
    assert.equal(errs[errs.length - 1].detail.code, code, JSON.stringify(errs));
    assert.equal(typeof errs[errs.length - 1].detail.message, 'string');
    const onEl = await page.evaluate(() => document.getElementById('operator-chat-panel-script').__events);
    assert.ok(onEl.some((e) => e.name === 'chathub:error' && e.detail.code === code), `on the element: ${JSON.stringify(onEl)}`);
    // visible text inside the panel (open it first when it is behind the launcher)
    const launcher = page.locator(`${L.PANEL()} .launcher`);
    if (await launcher.count()) await launcher.click();
    const msg = page.locator(`${L.PANEL()} [role="alert"]`);
    await msg.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await msg.textContent(), textRe);
  }

  test('a 5-second token: ready, then token_expired, a window error "token expired", a message', async () => {
    // a warm page first (the module already loaded by an unrelated panel), then the short token injected
    const page = await embed(fx.ops[1].token, { inline: true });
    await L.waitState(page, 'ready');
    await page.evaluate(() => document.getElementById('operator-chat-panel-script').remove());
    const t = await b.operatorToken(srv, fx.token, fx.ops[0].id, b.isoIn(5000));
    await page.evaluate(([tok, src]) => {
      window.__events.length = 0;
      const s = document.createElement('script');
      s.type = 'module';
      s.id = 'operator-chat-panel-script';
      s.src = src;
      s.setAttribute('token', tok);
      s.setAttribute('container', '#crm');
      s.__events = [];
      for (const n of ['chathub:ready', 'chathub:error']) s.addEventListener(n, (e) => s.__events.push({ name: n, detail: e.detail }));
      document.body.append(s);
    }, [t, `${srv.base}/operator-chat-panel/widget-script.js`]);
    await expectError(page, 'token_expired', /expired/i);
    const seen = (await page.evaluate(() => window.__events)).map((e) => e.name);
    assert.deepEqual(seen, ['chathub:ready', 'chathub:error'], 'connected first, then expired');
    const winErr = await page.evaluate(() => window.__winErrors);
    assert.ok(winErr.some((m) => m.includes('token expired')), `window error: ${JSON.stringify(winErr)}`);
    await page.context().close();

    // the same token once expired: refused before connecting, same signals
    const again = await embed(t);
    await expectError(again, 'token_expired', /expired/i);
    assert.ok((await again.evaluate(() => window.__winErrors)).some((m) => m.includes('token expired')));
    await again.context().close();
  });

  test('an invalid token (garbage, then a bad signature) → invalid_token and a message', async () => {
    const page = await embed('not-a-token');
    await expectError(page, 'invalid_token', /invalid/i);
    await page.context().close();
    const good = fx.ops[1].token;
    const forged = `${good.slice(0, good.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;
    const page2 = await embed(forged, { inline: true });
    await expectError(page2, 'invalid_token', /invalid/i);
    assert.equal(await L.state(page2), 'error');
    await page2.context().close();
  });

  test('a missing token attribute → invalid_token and a message', async () => {
    const page = await embed(null);
    await expectError(page, 'invalid_token', /missing|invalid/i);
    await page.context().close();
  });

  test('a revoked operator: while connected, and before connecting → token_revoked', async () => {
    const t = await b.operatorToken(srv, fx.token, fx.ops[2].id);
    const page = await embed(t, { inline: true });
    await L.waitState(page, 'ready');
    await b.setStatus(srv, fx.token, fx.ops[2].id, 1);
    await expectError(page, 'token_revoked', /deactivated|revoked/i);
    await page.context().close();
    const page2 = await embed(t);
    await expectError(page2, 'token_revoked', /deactivated|revoked/i);
    await page2.context().close();
  });
});
