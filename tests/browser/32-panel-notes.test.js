'use strict';
// Private notes in the operator panel (a company page on another origin): an
// operator writes a note in Note mode with an `@` mention completed from the
// colleagues' list; a colleague's panel in another browser context shows it
// live (and is told of the mention); the visitor's widget, in a third context,
// never receives it — neither in its DOM nor in any frame of its hub
// connection — and the visitor's transcript stays 1, 2, 3…; notes come back
// after a reload; system messages are centered lines; axe-core and screenshots.

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const AXE = path.join(b.REPO || path.join(__dirname, '..', '..'), 'node_modules', 'axe-core', 'axe.min.js');
const T = 15000;

/** The panel inline in a CRM page (no launcher to open). */
function crm(srv, token, attrs = {}) {
  return b.html(`<div id="crm" style="height:700px"></div>${b.panelTag(srv.base, token, { container: '#crm', ...attrs })}`);
}

async function axe(p, what) {
  await p.addScriptTag({ path: AXE });
  const res = await p.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(res, [], `${what}: ${res.join('\n')}`);
}

/** The notes shown in a panel's transcript: [{id, afterSeq, text}] in DOM order. */
function notes(page) {
  return page.evaluate((sel) => [...document.querySelector(sel).shadowRoot.querySelectorAll('[role="log"] .pnote')]
    .map((el) => ({ id: Number(el.getAttribute('data-note-id')), afterSeq: Number(el.getAttribute('data-after-seq')),
      text: el.querySelector('.text').textContent, prev: el.previousElementSibling && el.previousElementSibling.getAttribute('data-seq') })),
  L.PANEL());
}

describe('operator panel: private notes', () => {
  let srv; let site; let browser; let fx;
  let wp;       // the visitor's widget page
  const frames = [];
  let chatId;
  let p1; let p2; // op1's and op2's panels, each in its own browser context
  const P = L.PANEL();

  const stage = b.stage('notesco', { operators: 2, orgName: 'Notes Support',
    env: { CHATHUB_AUTO_CLOSE_INTERVAL_SECONDS: '1' } });
  before(() => { ({ srv, site, fx, browser } = stage); });

  test('set-up: a visitor chats from the widget (its hub traffic recorded)', async () => {
    const ctx = await browser.newContext();
    wp = await ctx.newPage();
    wp.log = b.watchPage(wp);
    wp.on('websocket', (ws) => {
      ws.on('framereceived', (f) => frames.push(String(f.payload)));
      ws.on('framesent', (f) => frames.push(String(f.payload)));
    });
    await wp.goto(site.page('/shop', b.html(b.widgetTag(srv.base, fx.guid))));
    await wp.locator('[data-chathub] .w[data-state="ready"]').waitFor({ timeout: T });
    await wp.getByRole('button', { name: 'Open chat' }).click();
    const box = wp.getByRole('textbox', { name: 'Message' });
    await box.fill('my order 1234 is late');
    await box.press('Enter');
    const l = await b.hub.pollUntil(async () => {
      const r = await b.hub.listChats(srv, fx.token);
      return r.total === 1 && r;
    }, { ms: T, what: 'the chat' });
    chatId = l.items[0].id;
    await b.hub.postMessage(srv, fx.token, chatId, { textMessage: 'Looking into it' });
    await wp.locator('[role="log"] [data-seq="2"]').waitFor({ timeout: T });
  });

  test('Note mode: a yellow "Private note" composer, `@` completes a colleague, the note sits after its message', async () => {
    p1 = await L.newPage(browser);
    await p1.goto(site.page('/crm1', crm(srv, fx.ops[0].token, { 'chat-id': chatId })));
    await L.waitState(p1, 'ready');
    await L.poll(async () => (await L.transcript(p1)).length === 2, 'op1 sees the transcript');
    p2 = await L.newPage(browser);
    await p2.goto(site.page('/crm2', crm(srv, fx.ops[1].token, { 'chat-id': chatId })));
    await L.waitState(p2, 'ready');
    await L.poll(async () => (await L.transcript(p2)).length === 2, 'op2 sees the transcript');

    const toggle = p1.locator(`${P} [data-note-toggle]`);
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const box = p1.locator(`${P} [data-composer-box]`);
    assert.match(await box.getAttribute('class'), /notemode/);
    const ta = p1.locator(`${P} textarea[data-composer]`);
    assert.equal(await ta.getAttribute('aria-label'), 'Private note');
    assert.equal(await p1.locator(`${P} .notetag`).isVisible(), true, 'the "Private note" label shows');
    const bg = await box.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(bg, 'rgb(255, 243, 176)', 'a yellow composer');

    await ta.focus();
    await p1.keyboard.type('VIP, please call back after 5pm @');
    const opts = () => p1.evaluate((sel) => [...document.querySelector(sel).shadowRoot
      .querySelectorAll('[data-mention-picker] [role="option"]')].map((o) => o.textContent), P);
    await L.poll(async () => (await opts()).length === 1, 'the colleagues list after `@`');
    assert.deepEqual(await opts(), [`@${fx.ops[1].name}`], 'colleagues only, not oneself');
    await p1.keyboard.type('no');
    await L.poll(async () => (await opts()).length === 1, 'filtered by what is typed');
    await p1.keyboard.press('Enter'); // completes, does not send
    assert.equal(await ta.inputValue(), `VIP, please call back after 5pm @${fx.ops[1].name} `);
    await p1.keyboard.type('thanks');
    await p1.keyboard.press('Enter');
    const text = `VIP, please call back after 5pm @${fx.ops[1].name} thanks`;
    await L.poll(async () => (await notes(p1)).length === 1, 'the note in op1\'s transcript');
    const [n] = await notes(p1);
    assert.deepEqual([n.text, n.afterSeq, n.prev], [text, 2, '2'], 'after message 2');
    assert.equal(await ta.inputValue(), '');
    const api = await b.api(srv.base, 'GET', `/api/chat/${chatId}/notes`, { token: fx.token });
    assert.equal(api.json.length, 1);
    assert.deepEqual(api.json[0].mentions, [fx.ops[1].id], 'the completed name is a mention');
    const card = p1.locator(`${P} .pnote`);
    assert.match(await card.textContent(), /^Private note/);
    assert.equal(await card.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(255, 243, 176)');

    // the colleague's panel, in another browser context: live, and told of the mention
    await L.poll(async () => (await notes(p2)).some((x) => x.text === text), 'op2 sees the note live');
    await L.poll(async () => /mentioned you/.test(await p2.locator(`${P} .note`).textContent()), 'op2 is told of the mention');
  });

  test('the visitor never receives a note: not in the widget, not on its hub connection; seq stays 1, 2, 3', async () => {
    await b.hub.postMessage(srv, fx.ops[0].token, chatId, { textMessage: 'We will call you' });
    await wp.locator('[role="log"] [data-seq="3"]').waitFor({ timeout: T });
    await b.sleep(300);
    const dom = await wp.evaluate(() => [...document.querySelectorAll('[data-chathub]')]
      .map((el) => (el.shadowRoot ? el.shadowRoot.textContent : el.textContent)).join('\n'));
    assert.match(dom, /We will call you/);
    assert.doesNotMatch(dom, /VIP|call back|Private note/, 'nothing of the note in the widget');
    const all = frames.join('\n');
    assert.match(all, /We will call you/, 'the recorder saw the hub traffic');
    assert.doesNotMatch(all, /NoteAdded|Mentioned|call back after 5pm|afterSeq/, 'no note in any hub frame');
    const seqs = await wp.evaluate(() => [...document.querySelector('[data-chathub]').shadowRoot
      .querySelectorAll('[role="log"] [data-seq]')].map((el) => Number(el.getAttribute('data-seq'))));
    assert.deepEqual(seqs, [1, 2, 3]);
    assert.deepEqual(wp.log.errors, []);
  });

  test('a note written while op2 watches arrives live; notes come back after a reload', async () => {
    await p2.locator(`${P} [data-note-toggle]`).click();
    await p2.locator(`${P} textarea[data-composer]`).fill('Called, no answer');
    await p2.locator(`${P} textarea[data-composer]`).press('Enter');
    await L.poll(async () => (await notes(p1)).length === 2, 'op1 sees op2\'s note live');
    const ns = await notes(p1);
    assert.equal(ns[1].text, 'Called, no answer');
    assert.equal(ns[1].afterSeq, 3);
    await p1.reload();
    await L.waitState(p1, 'ready');
    await L.poll(async () => (await notes(p1)).length === 2, 'notes after a reload (GetNotes)');
    assert.deepEqual((await L.transcript(p1)).map((m) => m.seq), [1, 2, 3], 'notes are not messages');
    assert.deepEqual(p1.log.errors, []);
    assert.deepEqual(p2.log.errors, []);
  });

  test('a system message (auto-close) is a centered line; a Closed chat is read-only', async () => {
    // a Waiting chat silent past its organization's minutes: its times moved back in the database
    await b.hub.putOrg(srv, fx.token, fx.orgId, { autoCloseWaitingMinutes: 1 });
    const d = 5 * 60000;
    execFileSync('sqlite3', ['-cmd', '.timeout 20000', srv.dbPath, `UPDATE chats SET activity_at = activity_at - ${d}, `
      + `last_message_at = last_message_at - ${d}, status_at = CASE WHEN status_at > 0 THEN status_at - ${d} ELSE 0 END `
      + `WHERE id = ${chatId}`]);
    const sys = p1.locator(`${P} [role="log"] .msg.sys`);
    await sys.waitFor({ timeout: T });
    assert.match(await sys.textContent(), /^System message: Closed automatically: no reply from the client for 1 minute/);
    const box = await sys.boundingBox();
    const log = await p1.locator(`${P} [role="log"]`).boundingBox();
    assert.ok(Math.abs((box.x + box.width / 2) - (log.x + log.width / 2)) < 20, 'centered');
    assert.equal(Number(await sys.getAttribute('data-author')), 2);
    await L.poll(async () => (await p1.locator(`${P} [data-read-only]`).isVisible()), 'read-only once Closed');
    assert.equal(await p1.locator(`${P} [data-composer-box]`).isVisible(), false, 'no composer on a Closed chat');
    assert.match(await p1.locator(`${P} [data-read-only]`).textContent(), /closed/);
    await p1.locator(`${P} [data-action="reopen"]`).click();
    await L.poll(async () => (await p1.locator(`${P} [data-composer-box]`).isVisible()), 'the composer after Reopen');
    await b.hub.putOrg(srv, fx.token, fx.orgId, { autoCloseWaitingMinutes: 1440 });
  });

  test('axe-core and screenshots with notes and the Note mode (light and dark)', async () => {
    for (const theme of ['light', 'dark']) {
      const sp = await L.newPage(browser, { colorScheme: theme });
      await sp.goto(site.page(`/notes-${theme}`, crm(srv, fx.ops[0].token, { theme, 'chat-id': chatId })));
      await L.waitState(sp, 'ready');
      await L.poll(async () => (await notes(sp)).length === 2, 'notes');
      await sp.locator(`${P} [data-note-toggle]`).click();
      await sp.locator(`${P} textarea[data-composer]`).focus();
      await sp.keyboard.type('Ask @');
      await sp.locator(`${P} [data-mention-picker] [role="option"]`).first().waitFor();
      await axe(sp, `${theme}, notes`);
      await b.screenshot(sp, `panel-notes-${theme}`);
      await sp.context().close();
    }
  });

  test("a redacted message: both panels and the visitor's widget show the tombstone at its seq, live", async () => {
    const r = await b.api(srv.base, 'DELETE', `/api/chat/${chatId}/messages/${await firstId()}`, { token: fx.token });
    assert.equal(r.status, 200);
    for (const [pg, who] of [[p1, 'op1'], [p2, 'op2']]) {
      await L.poll(async () => (await pg.locator(`${P} [role="log"] [data-seq="1"] [data-redacted]`).count()) === 1,
        `${who}: the tombstone at seq 1`);
      assert.doesNotMatch(await pg.locator(`${P} [role="log"]`).textContent(), /my order 1234/, `${who}: the text is gone`);
    }
    await wp.locator('[role="log"] [data-seq="1"] [data-redacted]').waitFor({ timeout: T });
    assert.doesNotMatch(await wp.locator('[role="log"]').textContent(), /my order 1234/, 'the widget: the text is gone');
    assert.match(await wp.locator('[role="log"] [data-seq="1"]').textContent(), /Message removed/);
    assert.deepEqual(wp.log.errors, []);
  });

  async function firstId() {
    const r = await b.api(srv.base, 'GET', `/api/chat/${chatId}/messages?limit=1&afterSeq=0`, { token: fx.token });
    return (r.json.items || r.json)[0].id;
  }
});
