'use strict';
// The admin console's Channels page, against the real server and its REST
// API (GET/POST /api/company/organization/{id}/channels, DELETE
// …/channels/{channelId}); the platforms are small local stand-ins of the
// Telegram Bot API and the Viber REST API (telegram_api_url / viber_api_url
// point at them): a Telegram bot and a Viber bot connected through the form
// (the token a password field, cleared after, in no answer); each row's type,
// name, token hint, webhook URL (the one the platform was given) with its copy
// button and health (registered, last message from a customer, last error with
// its time); a token the platform refuses shows the API's own message and
// stores nothing; remove asks first and Cancel keeps the bot; Ukrainian; no CSP
// violation; axe-core and screenshots (light/dark × desktop/375 px).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const b = require('./lib/browser');

const GOOD_TG = '123456789:AAGood-telegram-token-ABCD';
const BAD_TG = '987654321:AABad-telegram-token-0000';
const GOOD_VB = '4a1b2c3d4e5f6a7b-viber-token-WXYZ';
const BLOCKED = 'Forbidden: bot was blocked by the user';

/* Reads a request's body. */
const body = (req) => new Promise((r) => { const c = []; req.on('data', (d) => c.push(d)); req.on('end', () => r(Buffer.concat(c))); });

/*
 * The two platforms, as far as this page needs them. Telegram: POST /bot<token>/<method>;
 * a token other than GOOD_TG answers 401 Unauthorized; sendMessage answers 403 (the user blocked the bot).
 * Viber: POST /pa/<method> with X-Viber-Auth-Token; set_webhook first posts the signed "webhook" event to
 * the URL (as Viber does) and fails unless it answers 200. Every call is recorded.
 */
async function platforms() {
  const calls = [];
  const json = (res, status, obj) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(obj)); };
  const server = http.createServer(async (req, res) => {
    const raw = await body(req);
    const u = new URL(req.url, 'http://x');
    // the Bot API takes JSON, a form or the query string alike
    const payload = Object.fromEntries(u.searchParams);
    try { Object.assign(payload, JSON.parse(raw.toString() || '{}')); } catch {
      if (/urlencoded/.test(req.headers['content-type'] || '')) Object.assign(payload, Object.fromEntries(new URLSearchParams(raw.toString())));
    }
    const tg = /^\/bot([^/]+)\/(\w+)$/.exec(u.pathname);
    if (tg) {
      const [, token, method] = tg;
      calls.push({ platform: 'telegram', token, method, payload });
      if (token !== GOOD_TG) return json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      if (method === 'sendMessage') return json(res, 403, { ok: false, error_code: 403, description: BLOCKED });
      if (method === 'getMe') return json(res, 200, { ok: true, result: { id: 123456789, is_bot: true, first_name: 'Support', username: 'support_bot' } });
      return json(res, 200, { ok: true, result: true, description: 'Webhook was set' });
    }
    const vb = /^\/pa\/(\w+)$/.exec(u.pathname);
    if (vb) {
      const token = req.headers['x-viber-auth-token'] || '';
      calls.push({ platform: 'viber', token, method: vb[1], payload });
      if (token !== GOOD_VB) return json(res, 200, { status: 2, status_message: 'invalidAuthToken' });
      if (vb[1] === 'set_webhook' && payload.url) {
        const event = Buffer.from(JSON.stringify({ event: 'webhook', timestamp: Date.now(), chat_hostname: 'SN-CHAT-01_',
          message_token: Number(`5${Date.now()}`) }));
        const sig = crypto.createHmac('sha256', token).update(event).digest('hex');
        const ok = await fetch(payload.url, { method: 'POST', body: event,
          headers: { 'Content-Type': 'application/json', 'X-Viber-Content-Signature': sig } })
          .then((r) => r.status === 200, () => false);
        if (!ok) return json(res, 200, { status: 1, status_message: 'Result[HttpRequest failed]' });
        return json(res, 200, { status: 0, status_message: 'ok', event_types: ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'] });
      }
      return json(res, 200, { status: 0, status_message: 'ok', message_token: Date.now(), chat_hostname: 'SN-CHAT-01_' });
    }
    return json(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
  });
  const port = await b.freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { calls, base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('admin console: channels', () => {
  let srv; let fx; let browser; let fake;
  const env = { CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true' };
  // the platforms first: the server's environment names them (the stage reads env when it starts)
  before(async () => {
    fake = await platforms();
    env.CHATHUB_TELEGRAM_API_URL = fake.base;
    env.CHATHUB_VIBER_API_URL = `${fake.base}/pa`;
  });
  const stage = b.stage('adminchan', { operators: 1, orgName: 'Bots Support', env });
  before(() => { ({ srv, fx, browser } = stage); });
  after(() => (fake ? fake.close() : undefined));

  const list = async () => {
    const r = await b.api(srv.base, 'GET', `/api/company/organization/${fx.orgId}/channels`, { token: fx.token });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };

  async function open({ colorScheme = 'light', viewport = { width: 1280, height: 900 }, locale = 'en-US' } = {}) {
    const ctx = await browser.newContext({ colorScheme, viewport, locale });
    const page = await ctx.newPage();
    const log = b.watchPage(page);
    await page.goto(`${srv.base}/admin/`);
    await page.locator('#login').fill(fx.login);
    await page.locator('#password').fill(fx.password);
    await page.locator('form.signin button[type="submit"]').click();
    await page.locator('nav a[href="#channels"]').click();
    await page.locator('nav a[href="#channels"][aria-current="page"]').waitFor();
    await page.locator('#ch-create').waitFor();
    return { page, log, ctx };
  }
  const statusText = (page) => page.locator('#status');
  const row = (page, name) => page.locator('tbody tr', { has: page.getByRole('cell', { name, exact: true }) });
  async function connect(page, type, name, token) {
    const f = page.locator('#ch-create');
    await f.getByLabel('Type').selectOption({ label: type });
    await f.getByLabel('Name').fill(name);
    await f.getByLabel('Bot token').fill(token);
    await f.getByRole('button', { name: 'Connect' }).click();
  }

  test('connect a Telegram and a Viber bot; the list shows type, name, token hint, webhook URL and health', async () => {
    const { page, log, ctx } = await open();
    await page.getByRole('heading', { name: 'Channels' }).waitFor();
    await page.locator('#ch-none', { hasText: 'No bot is connected yet.' }).waitFor();
    assert.equal(await page.locator('#ch-create').getByLabel('Bot token').getAttribute('type'), 'password');

    await connect(page, 'Telegram', 'Support bot', GOOD_TG);
    await statusText(page).filter({ hasText: 'Connected: Support bot.' }).waitFor({ timeout: 20000 });
    let conns = await list();
    assert.equal(conns.length, 1);
    const tg = conns[0];
    assert.equal(tg.type, 'telegram');
    assert.match(tg.webhookUrl, /\/api\/channels\/telegram\/[0-9a-f]{32}$/);
    assert.equal(tg.health.webhookRegistered, true);
    const set = fake.calls.find((c) => c.platform === 'telegram' && c.method === 'setWebhook');
    assert.ok(set, 'the server registered the webhook');
    assert.equal(set.payload.url, tg.webhookUrl, 'the URL the page shows is the one Telegram calls');
    assert.match(set.payload.secret_token, /^[0-9a-f]{64}$/);

    const r = row(page, 'Support bot');
    await r.waitFor();
    await r.getByText('Telegram', { exact: true }).waitFor();
    assert.equal(await r.locator('svg[data-channel="telegram"]').count(), 1, 'the type icon');
    assert.match(await r.locator('td').nth(2).textContent(), /ABCD/, 'the token hint');
    assert.equal(await r.locator('.hook-url').textContent(), tg.webhookUrl);
    await r.locator('[data-health="webhook"]', { hasText: 'Webhook registered' }).waitFor();
    await r.locator('[data-health="inbound"]', { hasText: 'Last message from a customer: never' }).waitFor();
    assert.equal(await r.locator('[data-health="error"]').count(), 0);
    await r.getByRole('button', { name: 'Copy the webhook URL of Support bot' }).click();
    await statusText(page).filter({ hasText: /Copied\.|Copying is not allowed/ }).waitFor();
    // the token went into a password field, is gone from it, and no answer carries it
    assert.equal(await page.locator('#ch-create').getByLabel('Bot token').inputValue(), '');
    assert.ok(!JSON.stringify(conns).includes(GOOD_TG.slice(0, 20)), 'the token is never returned');
    assert.ok(!(await page.content()).includes(GOOD_TG), 'the token is nowhere in the page');

    await connect(page, 'Viber', 'Viber bot', GOOD_VB);
    await statusText(page).filter({ hasText: 'Connected: Viber bot.' }).waitFor({ timeout: 20000 });
    const vr = row(page, 'Viber bot');
    await vr.getByText('Viber', { exact: true }).waitFor();
    assert.match(await vr.locator('td').nth(2).textContent(), /WXYZ/);
    assert.match(await vr.locator('.hook-url').textContent(), /\/api\/channels\/viber\/[0-9a-f]{32}$/);
    await vr.locator('[data-health="webhook"]', { hasText: 'Webhook registered' }).waitFor();
    conns = await list();
    assert.deepEqual(conns.map((c) => [c.type, c.name]), [['telegram', 'Support bot'], ['viber', 'Viber bot']]);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('a token the platform refuses: the API\'s message, nothing stored', async () => {
    const { page, log, ctx } = await open();
    await connect(page, 'Telegram', 'Wrong token', BAD_TG);
    await page.locator('#status.error').waitFor({ timeout: 20000 });
    const shown = (await statusText(page).textContent()).trim();
    const direct = await b.api(srv.base, 'POST', `/api/company/organization/${fx.orgId}/channels`,
      { token: fx.token, body: { type: 'telegram', name: 'Wrong token', token: BAD_TG } });
    assert.equal(direct.status, 400, direct.text);
    assert.equal(shown, direct.json.message, 'the console shows the API\'s words');
    assert.match(shown, /Unauthorized/, 'the platform\'s description');
    assert.equal((await list()).length, 2, 'nothing stored');
    assert.equal(await row(page, 'Wrong token').count(), 0);
    // an empty name is the API's to refuse too (the form requires one: send it around the form)
    const noName = await b.api(srv.base, 'POST', `/api/company/organization/${fx.orgId}/channels`,
      { token: fx.token, body: { type: 'telegram', name: '', token: GOOD_TG } });
    assert.equal(noName.status, 400);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('health: the last message from a customer, and the last error with its time', async () => {
    const [tg] = await list();
    const secret = fake.calls.find((c) => c.method === 'setWebhook' && c.payload.url === tg.webhookUrl).payload.secret_token;
    const update = { update_id: 1001, message: { message_id: 7, date: Math.floor(Date.now() / 1000), text: 'Hello bot',
      from: { id: 4242, is_bot: false, first_name: 'Taras' }, chat: { id: 4242, type: 'private', first_name: 'Taras' } } };
    const r = await fetch(tg.webhookUrl, { method: 'POST', body: JSON.stringify(update),
      headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret } });
    assert.equal(r.status, 200);
    // the operator answers; Telegram refuses (the user blocked the bot): the connection's last error
    const op = await b.hub.connectHub(srv.base, fx.ops[0].token);
    let chatId;
    await b.hub.pollUntil(async () => {
      const chats = await b.hub.listChats(srv, fx.token, `organizationId=${fx.orgId}&per_page=100`);
      const c = chats.items.find((x) => x.source === 2);
      chatId = c && c.id;
      return !!chatId;
    }, { ms: 15000, what: 'the Telegram chat' });
    await op.invoke('TakeChat', chatId).catch(() => {});
    await op.invoke('SendMessage', chatId, 'Hello Taras', crypto.randomUUID());
    let health;
    await b.hub.pollUntil(async () => {
      health = (await list()).find((c) => c.id === tg.id).health;
      return health.lastInboundAt && health.lastError;
    }, { ms: 30000, what: 'lastInboundAt and lastError in the health' });
    await op.stop();
    assert.match(health.lastError, /blocked by the user/);
    assert.match(health.lastErrorAt, /^\d{4}-\d\d-\d\dT/);

    const { page, log, ctx } = await open();
    const row0 = row(page, 'Support bot');
    await b.expectAttr(row0.locator('[data-health="inbound"] time'), 'datetime', health.lastInboundAt);
    const err = row0.locator('[data-health="error"]');
    await err.filter({ hasText: health.lastError }).waitFor();
    await b.expectAttr(err.locator('time'), 'datetime', health.lastErrorAt);
    assert.match(await err.textContent(), /^Last error \(.+\): /);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('remove asks first: Cancel keeps the bot, "Yes, remove" removes it', async () => {
    const { page, log, ctx } = await open();
    const r = row(page, 'Viber bot');
    await r.getByRole('button', { name: 'Remove Viber bot' }).click();
    await r.getByText('Remove the bot Viber bot?').waitFor();
    await r.getByRole('button', { name: 'Cancel' }).click();
    await r.getByRole('button', { name: 'Remove Viber bot' }).waitFor();
    assert.equal((await list()).length, 2, 'Cancel removes nothing');
    // with the keyboard: the question takes the focus to Cancel; Shift+Tab reaches "Yes, remove"
    await r.getByRole('button', { name: 'Remove Viber bot' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Yes, remove');
    await page.keyboard.press('Enter');
    await statusText(page).filter({ hasText: 'Removed: Viber bot.' }).waitFor();
    assert.equal(await row(page, 'Viber bot').count(), 0);
    assert.deepEqual((await list()).map((c) => c.name), ['Support bot']);
    assert.deepEqual(log.csp, []);
    await ctx.close();
  });

  test('Ukrainian', async () => {
    const { page, ctx } = await open({ locale: 'uk-UA' });
    await page.getByRole('heading', { name: 'Канали' }).waitFor();
    await page.locator('#ch-create').getByRole('button', { name: 'Підключити' }).waitFor();
    await row(page, 'Support bot').locator('[data-health="webhook"]', { hasText: 'Вебхук зареєстровано' }).waitFor();
    await ctx.close();
  });

  test('axe-core and screenshots: light/dark × desktop/375 px', async () => {
    for (const [size, viewport] of [['desktop', { width: 1280, height: 900 }], ['375', { width: 375, height: 740 }]]) {
      for (const theme of ['light', 'dark']) {
        const { page, log, ctx } = await open({ colorScheme: theme, viewport });
        await row(page, 'Support bot').waitFor();
        await page.waitForLoadState('networkidle');
        await b.screenshot(page, `admin-channels-${theme}-${size}`);
        const res = await b.axeViolations(page);
        assert.deepEqual(res, [], `${theme} ${size}: ${res.join('\n')}`);
        assert.deepEqual(log.csp, []);
        await ctx.close();
      }
    }
  });
});
