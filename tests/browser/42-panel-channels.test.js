'use strict';
// Bot channels in the operator panel (a company page on another origin): a
// chat's channel by its source — a Telegram icon (2) and a Viber icon (1),
// inline SVG named "Telegram" / "Viber" for assistive technology, the widget's
// as the word it always was — in the chat list and the open chat's header,
// with no request to any other site; an operator reply a channel refused
// (MessageStatusChanged(id, 2), Rejected) shows as not delivered, in words,
// and a later read receipt does not turn it into Read. The bot chats come in
// through the signed channel API (POST /api/channel/{guid}/inbound, `source`
// 1 and 2), as a bot bridge would post them. Axe-core and screenshots (light
// and dark).

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const SECRET = 'panel-channel-secret-0123456789';

function crm(srv, token, attrs = {}) {
  return b.html(`<div id="crm" style="height:700px"></div>${b.panelTag(srv.base, token, { container: '#crm', ...attrs })}`);
}

describe('operator panel: bot channels', () => {
  let srv; let site; let browser; let fx;
  let tg; let vb; let web;
  const P = L.PANEL();
  const stage = b.stage('panelchan', { operators: 1, orgName: 'Bots Support' });
  before(() => { ({ srv, site, fx, browser } = stage); });

  /* A chat of a bot user, through the organization's signed channel API. */
  async function inbound(source, user, name, text) {
    const body = Buffer.from(JSON.stringify({ externalUserId: user, name, text, externalMessageId: `${user}-1`, source }));
    const r = await b.api(srv.base, 'POST', `/api/channel/${fx.guid}/inbound`, { rawBody: body, headers: {
      'Content-Type': 'application/json',
      'X-ChatHub-Signature': `sha256=${crypto.createHmac('sha256', SECRET).update(body).digest('hex')}` } });
    assert.equal(r.status, 200, r.text);
    return r.json.chatId;
  }

  test('set-up: a Telegram chat, a Viber chat and a widget chat', async () => {
    await b.hub.putOrg(srv, fx.token, fx.orgId, { channelSecret: SECRET });
    tg = await inbound(2, 'tg-1001', 'Taras', 'Привіт з Telegram');
    vb = await inbound(1, 'vb-2002', 'Olena', 'Hello from Viber');
    web = (await b.hub.visitorChat(srv, fx.guid, 'Hello from the website', { name: 'Wanda' })).chatId;
    assert.equal((await b.hub.getChat(srv, fx.token, tg)).source, 2);
    assert.equal((await b.hub.getChat(srv, fx.token, vb)).source, 1);
  });

  /* What the list item or the header says about a chat's channel. */
  const channelOf = (page, scope) => page.evaluate(([sel, s]) => {
    const el = document.querySelector(sel).shadowRoot.querySelector(s);
    if (!el) return null;
    const meta = el.querySelector('.meta');
    const svg = meta.querySelector('svg.chan');
    return { channel: svg && svg.getAttribute('data-channel'), role: svg && svg.getAttribute('role'),
      name: svg && svg.getAttribute('aria-label'), text: meta.textContent,
      external: [...el.querySelectorAll('[href], [src], image, use')].map((n) => n.getAttribute('href') || n.getAttribute('src')) };
  }, [P, scope]);

  test('list and header: the Telegram and Viber icons with their names, the widget as before; nothing fetched elsewhere', async () => {
    const page = await L.newPage(browser);
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(site.page('/crm', crm(srv, fx.ops[0].token)));
    await L.waitState(page, 'ready');
    await L.poll(async () => (await L.chatItems(page)).length === 3, 'three chats listed');

    const item = (id) => `[data-list] [data-chat-id="${id}"]`;
    const t = await channelOf(page, item(tg));
    assert.deepEqual([t.channel, t.role, t.name], ['telegram', 'img', 'Telegram']);
    assert.deepEqual(t.external, []);
    const v = await channelOf(page, item(vb));
    assert.deepEqual([v.channel, v.role, v.name], ['viber', 'img', 'Viber']);
    const w = await channelOf(page, item(web));
    assert.equal(w.channel, null, 'a widget chat has no bot icon');
    assert.match(w.text, /^Widget · /);
    // the names reach the accessibility tree: the list item's button is named with its channel
    await page.locator(`${P} ${item(tg)}`).getByRole('img', { name: 'Telegram' }).waitFor();
    await page.locator(`${P} ${item(vb)}`).getByRole('img', { name: 'Viber' }).waitFor();
    assert.match(await page.locator(`${P} ${item(tg)}`).evaluate((n) => n.textContent), /Taras/);

    for (const [id, name] of [[tg, 'Telegram'], [vb, 'Viber']]) {
      await L.poll(async () => {
        await page.locator(`${P} ${item(id)}`).click().catch(() => {});
        const head = await channelOf(page, '.convhead');
        return head && head.name === name;
      }, `the ${name} chat's header`);
      await page.locator(`${P} .convhead`).getByRole('img', { name }).waitFor();
    }
    await L.poll(async () => {
      await page.locator(`${P} ${item(web)}`).click().catch(() => {});
      const head = await channelOf(page, '.convhead');
      return head && /^Widget · /.test(head.text) && head.channel === null;
    }, 'the widget chat\'s header');

    const foreign = requests.filter((u) => ![srv.base, site.origin].includes(new URL(u).origin) && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'the icons are inline: no request to another site');
    assert.deepEqual(page.log.csp, []);
    assert.deepEqual(page.log.errors, []);
    await page.context().close();
  });

  test('a reply the channel refused (status 2) shows as not delivered, and stays so after a read receipt', async () => {
    // The hub connection is the server's own; the test adds the events a channel's
    // refusal sends (MessageStatusChanged(id, 2)) and a later read receipt to it.
    const page = await L.newPage(browser);
    let sock = null;
    await page.routeWebSocket(/\/chathub\b/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => ws.send(m));
      sock = ws;
    });
    await page.goto(site.page('/crm-rej', crm(srv, fx.ops[0].token, { 'chat-id': tg })));
    await L.waitState(page, 'ready');
    await page.locator(`${P} .convhead`).getByRole('img', { name: 'Telegram' }).waitFor();
    await page.locator(`${P} textarea[aria-label="Message"]`).fill('Sorry for the wait, Taras');
    await page.keyboard.press('Enter');
    let mine;
    await L.poll(async () => {
      mine = (await b.hub.allMessages(srv, fx.token, tg)).find((m) => m.author === 0);
      return mine && (await L.transcript(page)).some((x) => x.seq === mine.seq && !x.pending && x.status === 1);
    }, 'the reply acknowledged');
    const tick = page.locator(`${P} .msg[data-seq="${mine.seq}"] .tick`);
    assert.equal(await tick.getAttribute('aria-label'), 'Sent');

    const event = (target, args) => sock.send(`${JSON.stringify({ type: 1, target, arguments: args })}\x1e`);
    event('MessageStatusChanged', [mine.id, 2]);
    await L.poll(async () => (await L.transcript(page)).some((x) => x.seq === mine.seq && x.status === 2), 'status 2 shown');
    assert.equal(await tick.getAttribute('aria-label'), 'Not delivered');
    assert.match(await tick.textContent(), /Not delivered/, 'said in words, not only by a mark');
    await page.locator(`${P} .msg[data-seq="${mine.seq}"]`).getByRole('img', { name: 'Not delivered' }).waitFor();

    event('MessagesRead', [tg, mine.seq, 'client']);
    event('MessageStatusChanged', [mine.id, 3]);
    await b.sleep(300);
    const after = (await L.transcript(page)).find((x) => x.seq === mine.seq);
    assert.equal(after.status, 2, 'a refused message never becomes Read');
    assert.equal(await tick.getAttribute('aria-label'), 'Not delivered');
    assert.deepEqual(page.log.errors, []);
    await page.context().close();
  });

  test('axe-core and screenshots: light and dark', async () => {
    for (const theme of ['light', 'dark']) {
      const page = await L.newPage(browser, { colorScheme: theme });
      await page.goto(site.page(`/crm-${theme}`, crm(srv, fx.ops[0].token, { 'chat-id': tg })));
      await L.waitState(page, 'ready');
      await page.locator(`${P} .convhead`).getByRole('img', { name: 'Telegram' }).waitFor();
      await L.poll(async () => (await L.chatItems(page)).length === 3, 'three chats listed');
      await b.screenshot(page, `panel-channels-${theme}`);
      const res = await b.axeViolations(page);
      assert.deepEqual(res, [], `${theme}: ${res.join('\n')}`);
      assert.deepEqual(page.log.csp, []);
      await page.context().close();
    }
  });
});
