'use strict';
// The admin console's Settings, Canned responses and Labels pages and the
// operator photo: every organization setting set through the form and read
// back through the API; an identity and a channel secret generated in the
// browser, shown once and gone after a reload; business hours round trip and
// the API's message naming the field of an invalid one; canned responses and
// labels created, edited and deleted through the console and checked through
// the API; no CSP violation; axe-core and screenshots of the pages with
// content (light/dark, desktop/375 px).

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');


describe('admin console: settings, canned responses, labels, photos', () => {
  let srv; let fx; let browser;
  const stage = b.stage('adminset', { operators: 0 });
  before(() => { ({ srv, fx, browser } = stage); });

  const get = async (p) => (await b.api(srv.base, 'GET', p, { token: fx.token })).json;
  const orgInfo = () => get(`/api/company/organization/${fx.orgId}`);

  async function open() {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(`${srv.base}/admin/`);
    return { page, log, ctx };
  }
  async function signIn(page, hash) {
    await page.getByLabel('Login').fill(fx.login);
    await page.getByLabel('Password').fill(fx.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();
    if (hash) {
      await page.locator(`nav a[href="#${hash}"]`).click();
      await page.locator(`nav a[href="#${hash}"][aria-current="page"]`).waitFor();
    }
  }
  const saved = (page) => page.locator('#status.notice', { hasText: 'Saved.' }).waitFor();

  test('every chat setting set through the form and read back', async () => {
    const { page, log, ctx } = await open();
    await signIn(page, 'settings');
    const f = page.locator('#set-chats');
    await f.waitFor();
    const before0 = await orgInfo();
    assert.equal(await f.getByLabel('Ask the visitor to rate a closed chat').isChecked(), before0.csatEnabled);
    assert.equal(await f.getByLabel('Close a Waiting chat').inputValue(), String(before0.autoCloseWaitingMinutes));

    await f.getByLabel('Ask the visitor for a name and e-mail').check();
    await f.getByLabel('Operators may manage the organization-wide canned responses').check();
    await f.getByLabel('Ask the visitor to rate a closed chat').uncheck();
    await f.getByLabel('Close a Waiting chat').fill('120');
    await f.getByLabel('Close an Open chat').fill('45');
    await f.getByLabel('Close a chat on pause').fill('600');
    await f.getByLabel('Erase closed chats after days').fill('90');
    await f.getByLabel('Outbound URL').fill('https://bridge.example.com/out');
    await f.getByRole('button', { name: 'Save' }).click();
    await saved(page);
    let o = await orgInfo();
    assert.deepEqual([o.prechatForm, o.operatorsManageCanned, o.csatEnabled, o.autoCloseWaitingMinutes,
      o.autoCloseOpenMinutes, o.autoCloseOnPauseMinutes, o.retentionDays, o.outboundUrl],
    [true, true, false, 120, 45, 600, 90, 'https://bridge.example.com/out']);
    // the form shows what is stored
    assert.equal(await f.getByLabel('Ask the visitor for a name and e-mail').isChecked(), true);
    assert.equal(await f.getByLabel('Close an Open chat').inputValue(), '45');

    // back, and the outbound URL cleared
    await f.getByLabel('Ask the visitor for a name and e-mail').uncheck();
    await f.getByLabel('Ask the visitor to rate a closed chat').check();
    await f.getByLabel('Close a chat on pause').fill('0');
    await f.getByLabel('Outbound URL').fill('');
    await f.getByRole('button', { name: 'Save' }).click();
    await saved(page);
    o = await orgInfo();
    assert.deepEqual([o.prechatForm, o.csatEnabled, o.autoCloseOnPauseMinutes, o.outboundUrl], [false, true, 0, '']);

    // the API's refusal is shown with its message
    await f.getByLabel('Outbound URL').fill('http://127.0.0.1/hook');
    await f.getByRole('button', { name: 'Save' }).click();
    await page.locator('#status.error', { hasText: 'outboundUrl: 127.0.0.1 is a loopback address' }).waitFor();
    assert.equal((await orgInfo()).outboundUrl, '');
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('identity and channel secrets: generated, shown once, gone after a reload', async () => {
    const { page, log, ctx } = await open();
    await signIn(page, 'settings');
    assert.equal(await page.locator('#identity-secret-state').textContent(), 'Not set.');
    await page.getByRole('button', { name: 'Generate new identity secret' }).click();
    const shown = page.locator('#new-identity-secret');
    await shown.waitFor();
    const secret = (await shown.textContent()).trim();
    assert.match(secret, /^[A-Za-z0-9_-]{32,64}$/);
    assert.match(await page.locator('#secret-shown').textContent(), /Copy it now: it is shown only once\./);
    const info = await orgInfo();
    assert.equal(info.identitySecretSet, true);
    assert.ok(!JSON.stringify(info).includes(secret), 'the API never answers the secret');
    assert.match(await page.locator('#identity-secret-state').textContent(), /^Set\./);

    // a visitor's userJWT signed with it is accepted: the secret works as given
    const jwt = b.hub.hs256({ sub: 'u-1', name: 'Ann', exp: Math.floor(Date.now() / 1000) + 600 }, secret);
    const s = await b.api(srv.base, 'POST', `/api/widget/${fx.guid}/session`, { body: { userJWT: jwt } });
    assert.equal(s.status, 200, JSON.stringify(s.json));

    await page.getByRole('button', { name: 'Generate new channel secret' }).click();
    await page.locator('#new-channel-secret').waitFor();
    const channel = (await page.locator('#new-channel-secret').textContent()).trim();
    const info2 = await orgInfo();
    assert.equal(info2.channelSecretSet, true);
    assert.ok(!JSON.stringify(info2).includes(channel), 'the API never answers the secret');
    assert.notEqual(channel, secret);
    // the identity secret is no longer on the page once another action redrew it
    assert.ok(!(await page.content()).includes(secret));

    await page.reload();
    await signIn(page, 'settings');
    await page.locator('#set-chats').waitFor();
    const html = await page.content();
    assert.ok(!html.includes(secret) && !html.includes(channel), 'a secret is on the page after a reload');
    assert.match(await page.locator('#identity-secret-state').textContent(), /^Set\./);
    assert.match(await page.locator('#channel-secret-state').textContent(), /^Set\./);
    assert.equal(await page.locator('#new-identity-secret').count(), 0);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('business hours round trip, and an invalid range names its field', async () => {
    const { page, log, ctx } = await open();
    await signIn(page, 'settings');
    const f = page.locator('#bh-form');
    await f.waitFor();
    await f.getByLabel('Keep business hours').check();
    await f.getByLabel('Time zone').fill('Europe/Kyiv');
    await f.getByLabel('Monday').fill('09:00-13:00, 14:00-18:00');
    await f.getByLabel('Tuesday').fill('09:00-18:00');
    await f.getByLabel('Friday').fill('10:00 - 17:00');
    await f.getByLabel('Holidays').fill('2027-01-01\n2026-12-25');
    await f.getByLabel('Away message', { exact: true }).fill('We are closed; we answer from 9:00 Kyiv time.');
    await f.getByLabel('Send the away message as an automatic reply').check();
    await f.getByRole('button', { name: 'Save' }).click();
    await saved(page);
    const bh = await get(`/api/company/organization/${fx.orgId}/business-hours`);
    assert.deepEqual(bh, { enabled: true, timeZone: 'Europe/Kyiv',
      weekly: { mon: [['09:00', '13:00'], ['14:00', '18:00']], tue: [['09:00', '18:00']], wed: [], thu: [],
        fri: [['10:00', '17:00']], sat: [], sun: [] },
      holidays: ['2026-12-25', '2027-01-01'], awayMessage: 'We are closed; we answer from 9:00 Kyiv time.',
      autoReply: true });
    // drawn again from what is stored
    assert.equal(await f.getByLabel('Monday').inputValue(), '09:00-13:00, 14:00-18:00');
    assert.equal(await f.getByLabel('Holidays').inputValue(), '2026-12-25\n2027-01-01');

    // an end past 24:00: the API's message names the field, which is marked and focused
    await f.getByLabel('Wednesday').fill('09:00-25:00');
    await f.getByRole('button', { name: 'Save' }).click();
    await page.locator('#status.error', { hasText: 'weekly.wed[0]: end: not a time' }).waitFor();
    assert.match(await page.locator('#bh-error').textContent(), /^weekly\.wed\[0\]: end/);
    assert.equal(await f.getByLabel('Wednesday').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'wed');
    // an unknown zone, likewise
    await f.getByLabel('Wednesday').fill('');
    await f.getByLabel('Time zone').fill('Mars/Olympus_Mons');
    await f.getByRole('button', { name: 'Save' }).click();
    await page.locator('#status.error', { hasText: 'timeZone: unknown time zone "Mars/Olympus_Mons"' }).waitFor();
    assert.equal(await f.getByLabel('Time zone').getAttribute('aria-invalid'), 'true');
    assert.equal((await get(`/api/company/organization/${fx.orgId}/business-hours`)).timeZone, 'Europe/Kyiv');
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('an operator photo: set, shown, replaced by a link elsewhere, removed', async () => {
    const { page, log, ctx } = await open();
    await signIn(page, 'operators');
    await page.locator('#op-add').getByLabel('Name').fill('Olga');
    await page.locator('#op-add').getByRole('button', { name: 'Add' }).click();
    await page.getByLabel('Photo Olga', { exact: true }).waitFor();
    const local = `${srv.base}/favicon.ico`;
    await page.getByLabel('Photo Olga', { exact: true }).fill(local);
    await page.getByRole('button', { name: 'Set photo Olga' }).click();
    await saved(page);
    let olga = (await get(`/api/operator?organizationId=${fx.orgId}`)).find((o) => o.name === 'Olga');
    assert.equal(olga.photo, local);
    const img = page.getByRole('img', { name: 'Photo of Olga' });
    await img.waitFor();
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the photo of this origin loads');

    const far = 'https://cdn.example.com/olga.png';
    await page.getByLabel('Photo Olga', { exact: true }).fill(far);
    await page.getByRole('button', { name: 'Set photo Olga' }).click();
    await saved(page);
    assert.equal(await page.getByRole('link', { name: /Photo of Olga/ }).getAttribute('href'), far);
    assert.equal(await page.getByRole('img', { name: 'Photo of Olga' }).count(), 0);
    olga = (await get(`/api/operator?organizationId=${fx.orgId}`)).find((o) => o.id === olga.id);
    assert.equal(olga.photo, far);

    await page.getByLabel('Photo Olga', { exact: true }).fill('javascript:alert(1)');
    await page.getByRole('button', { name: 'Set photo Olga' }).click();
    await page.locator('#status.error', { hasText: '[0].photo: must be an http:// or https:// URL' }).waitFor();

    await page.getByLabel('Photo Olga', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Set photo Olga' }).click();
    await saved(page);
    olga = (await get(`/api/operator?organizationId=${fx.orgId}`)).find((o) => o.id === olga.id);
    assert.equal(olga.photo, null);
    assert.equal(olga.name, 'Olga');
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('canned responses: create, edit, delete; the API\'s message for a bad shortcut', async () => {
    const { page, log, ctx } = await open();
    await signIn(page, 'canned');
    const c = page.locator('#cr-create');
    await c.getByLabel('Shortcut').fill('hello');
    await c.getByLabel('Title').fill('Greeting');
    await c.getByLabel('Text').fill('Hello {{client.name}}!');
    await c.getByRole('button', { name: 'Create' }).click();
    await saved(page);
    let list = await get(`/api/canned-responses?organizationId=${fx.orgId}`);
    assert.deepEqual(list.map((r) => [r.shortcut, r.title, r.text, r.operatorId]),
      [['hello', 'Greeting', 'Hello {{client.name}}!', null]]);

    const f = page.locator('form[aria-label="Edit hello"]');
    await f.getByLabel('Shortcut').fill('hi');
    await f.getByLabel('Text').fill('Hi {{client.name}}, how can I help?');
    await f.getByRole('button', { name: 'Save' }).click();
    await saved(page);
    list = await get(`/api/canned-responses?organizationId=${fx.orgId}`);
    assert.deepEqual(list.map((r) => [r.id, r.shortcut, r.title, r.text]),
      [[list[0].id, 'hi', 'Greeting', 'Hi {{client.name}}, how can I help?']]);

    await c.getByLabel('Shortcut').fill('bad shortcut');
    await c.getByLabel('Title').fill('x');
    await c.getByLabel('Text').fill('x');
    await c.getByRole('button', { name: 'Create' }).click();
    await page.locator('#status.error', { hasText: /shortcut/ }).waitFor();
    assert.equal((await get(`/api/canned-responses?organizationId=${fx.orgId}`)).length, 1);

    await page.getByRole('button', { name: 'Delete hi' }).click();
    await saved(page);
    assert.deepEqual(await get(`/api/canned-responses?organizationId=${fx.orgId}`), []);
    await page.locator('main', { hasText: 'Nothing yet.' }).waitFor();
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('labels: create with a colour, a duplicate refused, delete', async () => {
    const { page, log, ctx } = await open();
    await signIn(page, 'labels');
    const c = page.locator('#lb-create');
    await c.getByLabel('Name').fill('VIP');
    await c.getByLabel('Colour').fill('#ffaa00');
    await c.getByRole('button', { name: 'Create' }).click();
    await saved(page);
    await c.getByLabel('Name').fill('Срочно');
    await c.getByRole('button', { name: 'Create' }).click();
    await saved(page);
    let labels = await get(`/api/labels?organizationId=${fx.orgId}`);
    assert.deepEqual(labels.map((l) => l.name), ['VIP', 'Срочно']);
    assert.equal(labels[0].color, '#ffaa00');
    assert.match(labels[1].color, /^#[0-9a-f]{6}$/);
    await page.getByRole('cell', { name: '#ffaa00' }).waitFor();
    assert.equal(await page.locator('tbody tr').first().locator('.swatch').evaluate((s) => getComputedStyle(s).backgroundColor),
      'rgb(255, 170, 0)');

    await c.getByLabel('Name').fill('vip');
    await c.getByRole('button', { name: 'Create' }).click();
    await page.locator('#status.error').waitFor();
    assert.equal((await get(`/api/labels?organizationId=${fx.orgId}`)).length, 2);

    await page.getByRole('button', { name: 'Delete VIP' }).click();
    await saved(page);
    labels = await get(`/api/labels?organizationId=${fx.orgId}`);
    assert.deepEqual(labels.map((l) => l.name), ['Срочно']);
    assert.equal(await page.getByRole('button', { name: 'Delete VIP' }).count(), 0);
    assert.deepEqual(log.csp, []);
    assert.deepEqual(log.errors, []);
    await ctx.close();
  });

  test('Ukrainian: the new pages speak it', async () => {
    const ctx = await browser.newContext({ locale: 'uk-UA' });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(`${srv.base}/admin/`);
    await page.getByLabel('Логін').fill(fx.login);
    await page.getByLabel('Пароль').fill(fx.password);
    await page.getByRole('button', { name: 'Увійти' }).click();
    for (const [hash, h2] of [['settings', 'Налаштування'], ['canned', 'Шаблони відповідей'], ['labels', 'Мітки']]) {
      await page.getByRole('link', { name: h2 }).click();
      await page.getByRole('heading', { level: 2, name: h2 }).waitFor();
      assert.equal(new URL(page.url()).hash, `#${hash}`);
    }
    await page.getByRole('link', { name: 'Налаштування' }).click();
    await page.getByRole('heading', { name: 'Робочі години' }).waitFor();
    await page.getByLabel('Понеділок').waitFor();
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  // Test 38 checks every page as a new company shows it; these are the pages with content.
  test('axe-core and screenshots of the pages with content: light/dark × desktop/375 px', async () => {
    const api = (m, p, body) => b.api(srv.base, m, p, { token: fx.token, body });
    await api('POST', '/api/operator/synchronize', [{ organizationId: fx.orgId, name: 'Petro', externalId: 'ax-petro',
      photo: `${srv.base}/favicon.ico` }, { organizationId: fx.orgId, name: 'Iryna', externalId: 'ax-iryna',
      photo: 'https://cdn.example.com/iryna.png' }]);
    await api('POST', '/api/canned-responses', { organizationId: fx.orgId, shortcut: 'bye', title: 'Goodbye',
      text: 'Thank you, {{client.name}}!' });
    for (const [name, color] of [['Billing', '#2ca02c'], ['Bug', '#d62728']]) {
      await api('POST', '/api/labels', { organizationId: fx.orgId, name, color });
    }
    const axe = async (page, what) => {
      const res = await b.axeViolations(page);
      assert.deepEqual(res, [], `${what}: ${res.join('\n')}`);
    };
    for (const [size, viewport] of [['desktop', { width: 1280, height: 1600 }], ['375', { width: 375, height: 1600 }]]) {
      for (const theme of ['light', 'dark']) {
        const ctx = await browser.newContext({ colorScheme: theme, viewport, locale: 'en-US' });
        const page = await ctx.newPage();
        const log = b.watchPage(page);
        await page.goto(`${srv.base}/admin/`);
        await signIn(page, 'settings');
        // a secret just made (a new one each time: shown once), and an error on a business-hours field
        await page.getByRole('button', { name: 'Generate new channel secret' }).click();
        await page.locator('#new-channel-secret').waitFor();
        await page.locator('#bh-form').getByLabel('Saturday').fill('10:00');
        await page.locator('#bh-form').getByRole('button', { name: 'Save' }).click();
        await page.locator('#bh-error', { hasText: 'weekly.sat[0]' }).waitFor();
        await b.screenshot(page, `admin-${theme}-${size}-settings-filled`);
        await axe(page, `${theme} ${size} settings`);
        for (const p of ['operators', 'canned', 'labels']) {
          await page.locator(`nav a[href="#${p}"]`).click();
          await page.locator('main tbody tr').first().waitFor();
          await page.waitForLoadState('networkidle');
          await b.screenshot(page, `admin-${theme}-${size}-${p}-filled`);
          await axe(page, `${theme} ${size} ${p}`);
        }
        assert.deepEqual(log.csp, []);
        assert.deepEqual(log.errors, []);
        await ctx.close();
      }
    }
  });
});
