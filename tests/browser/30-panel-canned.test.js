'use strict';
// Canned responses in the operator panel (another origin than the server):
// the `/` picker answered with the keyboard alone (filter, arrows, Esc, Enter,
// placeholders filled, the visitor receives the filled text), the mouse, the
// management view (add, edit, delete; an organization-wide one refused with a
// clear message until the organization allows it; a colliding shortcut),
// axe-core with the list and the view open, and screenshots (light and dark).

const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const b = require('./lib/browser');
const L = require('./19-panel-lib');

const AXE = path.join(b.REPO || path.join(__dirname, '..', '..'), 'node_modules', 'axe-core', 'axe.min.js');

describe('operator panel: canned responses', () => {
  let srv;
  let site;
  let browser;
  let fx;
  let va;     // visitor Anna
  let page;   // op1's panel, launcher mode
  const P = L.PANEL();

  const stage = b.stage('cannedco', { operators: 1 });
  before(() => { ({ srv, site, fx, browser } = stage); });

  const api = (method, p, token, body) => b.api(srv.base, method, p, { token, body });
  const listApi = async () => (await api('GET', '/api/canned-responses', fx.ops[0].token)).json;
  const composer = () => page.locator(`${P} textarea[data-composer]`);
  const options = () => page.evaluate((sel) => {
    const root = document.querySelector(sel).shadowRoot;
    const pop = root.querySelector('[data-canned-picker]');
    const ta = root.querySelector('textarea[data-composer]');
    return { open: !pop.hidden, controls: ta.getAttribute('aria-controls'), active: ta.getAttribute('aria-activedescendant'),
      autocomplete: ta.getAttribute('aria-autocomplete'), listId: pop.querySelector('[role="listbox"]').id,
      opts: [...pop.querySelectorAll('[role="option"]')].map((o) => ({ id: o.id, sc: o.getAttribute('data-shortcut'),
        sel: o.getAttribute('aria-selected') })), empty: pop.querySelector('.canned-empty').textContent };
  }, P);
  async function axe(p, what) {
    await p.addScriptTag({ path: AXE });
    const res = await p.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    });
    assert.deepEqual(res, [], `${what}: ${res.join('\n')}`);
  }

  test('set-up: an organization-wide and two personal canned responses', async () => {
    let r = await api('POST', '/api/canned-responses', fx.token, { organizationId: fx.orgId, shortcut: 'hello',
      title: 'Greeting', text: 'Hello {{client.name}}, this is {{ operator.name }}. How can I help?' });
    assert.equal(r.status, 201);
    r = await api('POST', '/api/canned-responses', fx.ops[0].token, { shortcut: 'bye', title: 'Farewell',
      text: 'Bye {{client.name}}!' });
    assert.equal(r.status, 201);
    r = await api('POST', '/api/canned-responses', fx.ops[0].token, { shortcut: 'refund', title: 'Refund policy',
      text: 'Refunds take 5 days.' });
    assert.equal(r.status, 201);
    assert.deepEqual((await listApi()).map((c) => c.shortcut), ['hello', 'bye', 'refund']);
  });

  test('keyboard only: `/` opens the filtered list, arrows move, Esc closes, Enter inserts the filled text', async () => {
    page = await L.newPage(browser);
    await page.goto(site.page('/crm', b.html(b.panelTag(srv.base, fx.ops[0].token))));
    await L.waitState(page, 'ready');
    va = await b.hub.visitorChat(srv, fx.guid, 'I need help', { name: 'Anna' });
    const active = () => page.evaluate((sel) => {
      const a = document.querySelector(sel).shadowRoot.activeElement;
      return a ? { chat: a.getAttribute('data-chat-id'), composer: a.hasAttribute('data-composer'),
        launcher: a.classList.contains('launcher') } : {};
    }, P);
    for (let i = 0; i < 5 && !(await active()).launcher; i++) await page.keyboard.press('Tab');
    assert.ok((await active()).launcher, 'Tab reaches the launcher');
    await page.keyboard.press('Enter');
    await L.poll(async () => (await L.chatItems(page)).some((c) => c.id === va.chatId), 'the chat is listed');
    for (let i = 0; i < 30 && (await active()).chat !== String(va.chatId); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await L.poll(async () => (await active()).composer, 'focus in the composer');

    await page.keyboard.type('/');
    await L.poll(async () => (await options()).opts.length === 3, 'the whole list after `/`');
    let o = await options();
    assert.equal(o.autocomplete, 'list');
    assert.equal(o.controls, o.listId, 'the composer controls the listbox while it is shown');
    assert.deepEqual(o.opts.map((x) => x.sc), ['hello', 'bye', 'refund'], 'organization-wide first, then personal');
    assert.equal(o.active, o.opts[0].id);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    o = await options();
    assert.equal(o.active, o.opts[2].id, 'ArrowDown moves the highlight');
    assert.deepEqual(o.opts.map((x) => x.sel), ['false', 'false', 'true']);
    await page.keyboard.press('ArrowDown');
    assert.equal((await options()).active, o.opts[0].id, 'and wraps');
    await page.keyboard.press('ArrowUp');
    assert.equal((await options()).active, o.opts[2].id);

    // by title: "pol" matches "Refund policy" only; by shortcut prefix: "he" → hello
    await page.keyboard.type('pol');
    await L.poll(async () => JSON.stringify((await options()).opts.map((x) => x.sc)) === '["refund"]', 'filtered by title');
    await page.keyboard.type('zz');
    await L.poll(async () => (await options()).opts.length === 0, 'nothing matches');
    assert.match((await options()).empty, /No canned response matches/);
    for (let i = 0; i < 5; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('he');
    await L.poll(async () => JSON.stringify((await options()).opts.map((x) => x.sc)) === '["hello"]', 'filtered by shortcut');

    await page.keyboard.press('Escape');
    await L.poll(async () => !(await options()).open, 'Esc closes the list');
    assert.equal(await page.locator(`${P} .panel`).isVisible(), true, 'the panel stays open');
    assert.equal((await options()).active, null, 'no active descendant once closed');
    assert.equal(await composer().inputValue(), '/he', 'the typed text stays');
    await page.keyboard.press('Backspace');
    await L.poll(async () => (await options()).open, 'typing again reopens it');
    await page.keyboard.press('Enter');
    const opName = fx.ops[0].name;
    const want = `Hello Anna, this is ${opName}. How can I help?`;
    await L.poll(async () => (await composer().inputValue()) === want, async () => `filled text (${await composer().inputValue()})`);
    assert.equal((await options()).open, false);
    await page.keyboard.press('Enter');
    const [m] = await va.waitFor('ReceiveMessage', (x) => x.chatId === va.chatId && x.author === 0, { ms: 15000 });
    assert.equal(m.textMessage, want, 'the visitor receives the filled text');
    assert.equal(await composer().inputValue(), '');
  });

  test('`/` only at the start or after whitespace; the mouse picks too', async () => {
    await composer().focus();
    await page.keyboard.type('see a/b');
    await b.sleep(100);
    assert.equal((await options()).open, false, 'a slash inside a word is text');
    await composer().fill('');
    await page.keyboard.type('Thanks! /by');
    await L.poll(async () => (await options()).opts.length === 1, 'the list after a space');
    await page.locator(`${P} [role="option"][data-shortcut="bye"]`).click();
    assert.equal(await composer().inputValue(), 'Thanks! Bye Anna!');
    assert.equal(await page.evaluate((sel) => document.querySelector(sel).shadowRoot.activeElement.hasAttribute('data-composer'), P),
      true, 'focus stays in the composer');
    await composer().fill('');
  });

  test('axe-core and screenshots with the canned list open (light and dark)', async () => {
    for (const theme of ['light', 'dark']) {
      const sp = await L.newPage(browser);
      await sp.goto(site.page(`/canned-${theme}`, b.html(b.panelTag(srv.base, fx.ops[0].token, { theme, 'chat-id': va.chatId }))));
      await L.waitState(sp, 'ready');
      await sp.locator(`${P} .launcher`).click();
      await L.poll(async () => (await L.transcript(sp)).length >= 2, 'transcript');
      await sp.locator(`${P} textarea[data-composer]`).focus();
      await sp.keyboard.type('/');
      await sp.locator(`${P} [role="option"]`).first().waitFor();
      await axe(sp, `${theme}, list open`);
      await b.screenshot(sp, `panel-canned-list-${theme}`);
      await sp.context().close();
    }
  });

  test('management view: lists, adds, edits and deletes personal responses', async () => {
    await page.locator(`${P} [data-canned-manage]`).click();
    const view = page.locator(`${P} [data-canned-manager]`);
    await view.waitFor();
    assert.equal(await page.locator(`${P} .body`).isVisible(), false, 'the view replaces the chats');
    const rows = () => page.evaluate((sel) => [...document.querySelector(sel).shadowRoot
      .querySelectorAll('[data-canned-manager] [data-canned-id]')].map((li) => ({ id: Number(li.getAttribute('data-canned-id')),
      sc: li.querySelector('.sc').textContent, scope: li.querySelector('[data-scope]').getAttribute('data-scope') })), P);
    await L.poll(async () => (await rows()).length === 3, 'three responses listed');
    assert.deepEqual((await rows()).map((r) => `${r.sc} ${r.scope}`), ['/hello org', '/bye personal', '/refund personal']);

    // add
    await page.locator(`${P} [data-canned-add]`).click();
    const form = page.locator(`${P} [data-canned-manager] form`);
    await form.locator('input[name="shortcut"]').fill('ship');
    await form.locator('input[name="title"]').fill('Shipping');
    await form.locator('textarea[name="text"]').fill('We ship in 2 days, {{client.name}}.');
    await form.locator('[data-canned-save]').click();
    await L.poll(async () => (await rows()).some((r) => r.sc === '/ship'), 'added');
    const added = (await listApi()).find((c) => c.shortcut === 'ship');
    assert.equal(added.operatorId, fx.ops[0].id, 'a personal response');
    assert.equal(added.text, 'We ship in 2 days, {{client.name}}.', 'placeholders stored as written');
    assert.match(await page.locator(`${P} [data-canned-manager] [role="status"]`).textContent(), /Saved/);

    // edit
    await page.locator(`${P} [data-canned-edit="${added.id}"]`).click();
    assert.equal(await form.locator('input[name="shortcut"]').inputValue(), 'ship');
    await form.locator('textarea[name="text"]').fill('We ship in 1 day.');
    await form.locator('[data-canned-save]').click();
    await L.poll(async () => (await listApi()).find((c) => c.id === added.id).text === 'We ship in 1 day.', 'edited');
    await L.poll(async () => (await page.locator(`${P} [data-canned-id="${added.id}"] .tx`).textContent()) === 'We ship in 1 day.',
      'the edit is shown');

    // a colliding shortcut is refused with a clear message
    await page.locator(`${P} [data-canned-add]`).click();
    await form.locator('input[name="shortcut"]').fill('bye');
    await form.locator('input[name="title"]').fill('Again');
    await form.locator('textarea[name="text"]').fill('x');
    await form.locator('[data-canned-save]').click();
    const alert = page.locator(`${P} [data-canned-manager] [role="alert"]`);
    await L.poll(async () => /already taken/.test(await alert.textContent()), 'conflict shown');
    await page.keyboard.press('Escape');
    await form.waitFor({ state: 'hidden' });
    assert.equal(await page.locator(`${P} .panel`).isVisible(), true, 'Esc cancels the form, not the panel');

    // delete: a second click confirms
    const del = page.locator(`${P} [data-canned-delete="${added.id}"]`);
    await del.click();
    assert.match(await del.textContent(), /Delete\?/);
    assert.ok((await listApi()).some((c) => c.id === added.id), 'not yet deleted');
    await del.click();
    await L.poll(async () => !(await listApi()).some((c) => c.id === added.id), 'deleted');
    await L.poll(async () => !(await rows()).some((r) => r.id === added.id), 'gone from the view');
  });

  test('organization-wide: refused with a clear message until the organization allows operators', async () => {
    const form = page.locator(`${P} [data-canned-manager] form`);
    const alert = page.locator(`${P} [data-canned-manager] [role="alert"]`);
    await page.locator(`${P} [data-canned-add]`).click();
    await form.locator('input[name="shortcut"]').fill('hours');
    await form.locator('input[name="title"]').fill('Opening hours');
    await form.locator('textarea[name="text"]').fill('We are open 9–18.');
    await form.locator('select[name="scope"]').selectOption('org');
    await form.locator('[data-canned-save]').click();
    await L.poll(async () => /does not let operators manage organization-wide/.test(await alert.textContent()),
      'the 403 is shown');
    assert.ok(!(await listApi()).some((c) => c.shortcut === 'hours'));
    // editing the organization-wide one is refused the same way
    const hello = (await listApi()).find((c) => c.shortcut === 'hello');
    await page.locator(`${P} [data-canned-edit="${hello.id}"]`).click();
    await form.locator('input[name="title"]').fill('Greeting!');
    await form.locator('[data-canned-save]').click();
    await L.poll(async () => /does not let operators/.test(await alert.textContent()), 'the 403 on edit');

    await b.hub.putOrg(srv, fx.token, fx.orgId, { operatorsManageCanned: true });
    await form.locator('[data-canned-save]').click();
    await L.poll(async () => (await listApi()).find((c) => c.id === hello.id).title === 'Greeting!', 'allowed now');
    await page.locator(`${P} [data-canned-add]`).click();
    await form.locator('input[name="shortcut"]').fill('hours');
    await form.locator('input[name="title"]').fill('Opening hours');
    await form.locator('textarea[name="text"]').fill('We are open 9–18.');
    await form.locator('select[name="scope"]').selectOption('org');
    await form.locator('[data-canned-save]').click();
    await L.poll(async () => (await listApi()).some((c) => c.shortcut === 'hours' && c.operatorId === null), 'org-wide added');
    assert.equal(await alert.textContent(), '');
    await page.locator(`${P} [data-canned-done]`).click();
    await page.locator(`${P} .body`).waitFor();
    assert.deepEqual(page.log.errors, []);
    await page.context().close();
  });

  test('axe-core and screenshots of the management view (light and dark)', async () => {
    for (const theme of ['light', 'dark']) {
      const sp = await L.newPage(browser);
      await sp.goto(site.page(`/manage-${theme}`, b.html(b.panelTag(srv.base, fx.ops[0].token, { theme }))));
      await L.waitState(sp, 'ready');
      await sp.locator(`${P} .launcher`).click();
      await sp.locator(`${P} [data-canned-manage]`).click();
      await sp.locator(`${P} [data-canned-id]`).first().waitFor();
      await sp.locator(`${P} [data-canned-add]`).click();
      await axe(sp, `${theme}, management view`);
      await b.screenshot(sp, `panel-canned-manage-${theme}`);
      await sp.context().close();
    }
  });
});
