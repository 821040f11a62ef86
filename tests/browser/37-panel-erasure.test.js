'use strict';
// A client's erasure (DELETE /api/client/{id}) seen by an operator's panel and
// the visitor's widget (a company page and a shop on another origin): every
// message of the chat turns into "Message removed" at its seq, live, in both;
// the panel's title and profile lose the client's name. An erasure of more
// than 1,000 messages arrives as one ClientErased event: the panel turns
// every message it holds of that chat into a tombstone too.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const T = 15000;

function crm(srv, token, attrs = {}) {
  return b.html(`<div id="crm" style="height:700px"></div>${b.panelTag(srv.base, token, { container: '#crm', ...attrs })}`);
}

describe('erasure in the operator panel and the widget', () => {
  let srv; let site; let browser; let fx;
  const P = L.PANEL();
  const stage = b.stage('erasepanel', { operators: 1, orgName: 'Erasure Panel' });
  before(() => { ({ srv, site, fx, browser } = stage); });

  test('the panel and the widget show every message as removed, live; the name is gone', async () => {
    const word = `kiwi${crypto.randomBytes(3).toString('hex')}`;
    const ctx = await browser.newContext();
    const wp = await ctx.newPage();
    await wp.goto(site.page('/shop', b.html(b.widgetTag(srv.base, fx.guid))));
    await wp.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await wp.getByRole('button', { name: 'Open chat' }).click();
    const box = wp.getByRole('textbox', { name: 'Message' });
    await box.fill(`my passport is ${word}`);
    await box.press('Enter');
    const l = await b.hub.pollUntil(async () => {
      const r = await b.hub.listChats(srv, fx.token);
      return r.total === 1 && r;
    }, { ms: T, what: 'the chat' });
    const chatId = l.items[0].id;
    const clientId = l.items[0].client.id;
    await b.api(srv.base, 'PUT', `/api/client/${clientId}`, { token: fx.token, body: { name: `Kim ${word}` } });
    await b.hub.postMessage(srv, fx.token, chatId, { textMessage: `noted, ${word}` });
    await wp.locator('[role="log"] [data-seq="2"]').waitFor({ timeout: T });

    const page = await L.newPage(browser);
    await page.goto(site.page('/crm', crm(srv, fx.ops[0].token, { 'chat-id': chatId })));
    await L.waitState(page, 'ready');
    await L.poll(async () => (await L.transcript(page)).length === 2, 'the panel shows the transcript');
    assert.match(await page.locator(`${P} [role="log"]`).textContent(), new RegExp(word));

    const r = await b.api(srv.base, 'DELETE', `/api/client/${clientId}`, { token: fx.token });
    assert.equal(r.status, 200);
    assert.equal(r.json.messages, 2);
    await L.poll(async () => (await page.locator(`${P} [role="log"] [data-redacted]`).count()) === 2,
      'the panel: both messages removed');
    await L.poll(async () => !(await page.locator(P).evaluate((el) => el.shadowRoot.textContent)).includes(word),
      'the panel holds nothing of the client any more (transcript, title, list, profile)');
    const seqs = (await L.transcript(page)).map((m) => m.seq);
    assert.deepEqual(seqs, [1, 2], 'the tombstones keep their seqs');
    await wp.locator('[role="log"] [data-seq="2"] [data-redacted]').waitFor({ timeout: T });
    assert.doesNotMatch(await wp.locator('[role="log"]').textContent(), new RegExp(word), 'the widget: the text is gone');
    await ctx.close();
    await page.close();
  });

  test('more than 1,000 messages: ClientErased, and the panel removes what it shows', async () => {
    const v = await b.hub.visitorChat(srv, fx.guid, 'first of many');
    for (let i = 0; i < 1000; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => b.api(srv.base, 'POST', `/api/chat/${v.chatId}/message`,
        { token: fx.token, body: { textMessage: `line ${i + k}` } })));
    }
    const page = await L.newPage(browser);
    await page.goto(site.page('/crm2', crm(srv, fx.ops[0].token, { 'chat-id': v.chatId })));
    await L.waitState(page, 'ready');
    await L.poll(async () => (await L.transcript(page)).some((m) => m.seq === 1001), 'the panel shows the latest page');
    const r = await b.api(srv.base, 'DELETE', `/api/client/${v.session.clientId}`, { token: fx.token });
    assert.equal(r.status, 200);
    assert.equal(r.json.messages, 1001);
    await L.poll(async () => {
      const t = await L.transcript(page);
      return t.length > 0 && t.every((m) => !/line \d+/.test(m.text));
    }, 'every message the panel shows is removed');
    const shown = await L.transcript(page);
    assert.equal(await page.locator(`${P} [role="log"] [data-redacted]`).count(), shown.length);
    await page.close();
  });
});
