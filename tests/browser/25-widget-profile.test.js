'use strict';
// The visitor widget feeds the client's profile: the pre-chat form's name, email
// and phone, the page it runs on (URL, referrer, language, User-Agent), and the
// page's own setAttributes({...}) on the script element (docs/widgets.md), which
// the operator side reads with GET /api/client/{id}.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');

const { hub } = b;
const T = 15000;

describe('visitor widget: the client profile', () => {
  let srv; let site; let browser; let fx;

  const stage = b.stage('wprof', { operators: 1, orgName: 'Profile Support' });
  before(async () => {
    ({ srv, site, fx, browser } = stage);
    await hub.putOrg(srv, fx.token, fx.orgId, { prechatForm: true });
    // the embed pattern of docs/widgets.md: call setAttributes when the method is there
    const snippet = `<script type="module">
      const el = document.getElementById('chat-widget-script');
      const attrs = { plan: 'pro', cartItems: 3, newsletter: true };
      const set = () => el.setAttributes(attrs).then((r) => { window.attrsAnswer = r; }, (e) => { window.attrsError = e.message; });
      if (el.setAttributes) set(); else el.addEventListener('chathub:ready', set, { once: true });
    </script>`;
    site.page('/shop', b.html(b.widgetTag(srv.base, fx.guid) + snippet));
  });

  test('pre-chat form, page and setAttributes reach the profile', async () => {
    const ctx = await browser.newContext({ locale: 'uk-UA' });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    const url = site.url('/shop?item=7');
    await page.goto(url, { referer: 'https://search.example/' });
    await page.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await page.locator('[data-chathub] .launcher').click();
    await page.getByLabel('Name').fill('Pat Profile');
    await page.getByLabel('Email').fill('pat@example.com');
    await page.getByLabel('Phone (optional)').fill('+380 44 123 45 67');
    await page.getByRole('button', { name: 'Start chat' }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor({ timeout: T });
    await box.fill('where is my order?');
    await box.press('Enter');
    const list = await hub.pollUntil(async () => {
      const l = await hub.listChats(srv, fx.ops[0].token);
      return l.total === 1 && l;
    }, { ms: T, what: 'the chat' });
    const id = list.items[0].client.id;
    const c = await hub.pollUntil(async () => {
      const r = await b.api(srv.base, 'GET', `/api/client/${id}`, { token: fx.ops[0].token });
      return r.status === 200 && r.json.attributes.plan === 'pro' && r.json;
    }, { ms: T, what: 'the attributes on the profile' });
    assert.equal(c.name, 'Pat Profile');
    assert.equal(c.email, 'pat@example.com');
    assert.equal(c.phone, '+380 44 123 45 67');
    assert.equal(c.pageUrl, url);
    assert.equal(c.referrer, await page.evaluate(() => document.referrer));
    assert.equal(c.language, 'uk-UA');
    assert.match(c.userAgent, /Mozilla\/5\.0/);
    assert.deepEqual(c.attributes, { plan: 'pro', cartItems: 3, newsletter: true });
    assert.deepEqual(await page.evaluate(() => window.attrsAnswer && window.attrsAnswer.attributes), c.attributes,
      'the promise resolves with the server answer');

    // a later call: null deletes; a bad one rejects with the server's message
    const after = await page.evaluate(() => document.getElementById('chat-widget-script').setAttributes({ cartItems: null }));
    assert.deepEqual(after.attributes, { plan: 'pro', newsletter: true });
    const err = await page.evaluate(() => document.getElementById('chat-widget-script')
      .setAttributes({ 'bad key': 1 }).then(() => null, (e) => ({ message: e.message, status: e.status, code: e.code })));
    assert.deepEqual({ status: err.status, code: err.code }, { status: 400, code: 1003 });
    assert.match(err.message, /key/);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });
});
