'use strict';
// The operator panel across a server restart: a visible "reconnecting" state,
// a message typed while offline shown as pending and delivered exactly once,
// and after the reconnect (Sync) the transcript holds every message once, in
// seq order, including those the visitor sent while the panel was away.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

describe('operator panel: reconnect', () => {
  let srv;
  let site;
  let browser;
  let fx;

  const stage = b.stage('reconnco', { operators: 1 });
  before(() => { ({ srv, site, fx, browser } = stage); });

  test('restart: reconnecting banner, offline send delivered once, Sync fills the gap', async () => {
    const P = L.PANEL();
    const page = await L.newPage(browser);
    await page.goto(site.page('/crm', b.html(`<div id="crm"></div>${b.panelTag(srv.base, fx.ops[0].token, { container: '#crm' })}`)));
    await L.waitState(page, 'ready');
    const v = await b.hub.visitorChat(srv, fx.guid, 'before restart', { name: 'Rick' });
    await L.poll(async () => (await L.chatItems(page)).some((c) => c.id === v.chatId), 'chat listed');
    await page.locator(`${P} [data-chat-id="${v.chatId}"]`).click();
    await L.poll(async () => (await L.transcript(page)).some((m) => m.seq === 1), 'first message');
    await v.stop();

    await srv.kill9();
    await L.waitState(page, 'reconnecting');
    const banner = page.locator(`${P} .banner`);
    assert.ok(await banner.isVisible(), 'a visible reconnecting banner');
    assert.match(await banner.textContent(), /reconnect/i);
    await page.locator(`${P} textarea`).fill('typed while offline');
    await page.keyboard.press('Enter');
    await L.poll(async () => (await L.transcript(page)).some((m) => m.pending && /typed while offline/.test(m.text)),
      'shown as pending');

    await srv.restart();
    // the visitor writes again as soon as the server is back (the panel may still be waiting to retry)
    const v2 = await b.hub.connectHub(srv.base, v.session.visitorToken, { label: 'visitor again' });
    await v2.invoke('SendMessage', v.chatId, 'while you were away', 'away-1');
    await L.waitState(page, 'ready', { ms: 40000 });
    await L.poll(async () => {
      const t = await L.transcript(page);
      return t.some((m) => /typed while offline/.test(m.text) && !m.pending) && t.some((m) => /while you were away/.test(m.text));
    }, 'offline send acknowledged and the missed message synced', 20000);
    const t = await L.transcript(page);
    const seqs = t.map((m) => m.seq);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), `seqs once each, in order: ${seqs}`);
    assert.equal(seqs.length, 3);
    const all = await b.hub.allMessages(srv, fx.token, v.chatId);
    assert.equal(all.filter((m) => m.textMessage === 'typed while offline').length, 1, 'stored exactly once');
    assert.deepEqual(page.log.errors, []);
    await v2.stop();
    await page.context().close();
  });
});
