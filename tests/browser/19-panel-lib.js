'use strict';
// Helpers shared by the operator panel's browser tests (10–12): page set-up and
// reads of the panel's shadow DOM (Playwright's CSS locators pierce open roots).

const assert = require('node:assert/strict');
const b = require('./lib/browser');

const PANEL = (id = 'operator-chat-panel-script') => `[data-operator-panel="${id}"]`;

/** The panel's data-state ('' while it has not mounted). */
function state(page, id) {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel);
    const root = host && host.shadowRoot && host.shadowRoot.querySelector('.root');
    return root ? root.getAttribute('data-state') : '';
  }, PANEL(id));
}

async function waitState(page, want, { id, ms = 15000 } = {}) {
  let last;
  await poll(async () => { last = await state(page, id); return last === want; },
    () => `panel ${id || ''} state ${want} (last: ${last})`, ms);
}

/** Records chathub:* events and window errors on the page (init script, before any module runs). */
const RECORDER = `
  window.__events = [];
  for (const n of ['chathub:ready', 'chathub:error']) {
    window.addEventListener(n, (e) => window.__events.push({ name: n, detail: e.detail || null }));
  }
  window.__winErrors = [];
  window.addEventListener('error', (e) => window.__winErrors.push(String(e.message)));
`;

async function newPage(browser, { viewport = { width: 1280, height: 800 }, colorScheme } = {}) {
  const ctx = await browser.newContext({ viewport, colorScheme });
  const page = await ctx.newPage();
  await page.addInitScript(RECORDER);
  page.log = b.watchPage(page);
  return page;
}

function events(page, name) {
  return page.evaluate((n) => window.__events.filter((e) => e.name === n), name);
}

/** Text of the panel's chat list items: [{id, list, text, unread}]. */
function chatItems(page, id) {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel).shadowRoot;
    return [...root.querySelectorAll('[data-list] [data-chat-id]')].map((el) => ({
      id: Number(el.getAttribute('data-chat-id')),
      list: el.closest('[data-list]').getAttribute('data-list'),
      text: el.textContent,
      unread: Number((el.querySelector('[data-unread]') || { getAttribute: () => 0 }).getAttribute('data-unread')),
    }));
  }, PANEL(id));
}

/** The rendered transcript: [{seq, author, status, pending, text}]. */
function transcript(page, id) {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel).shadowRoot;
    return [...root.querySelectorAll('[role="log"] .msg')].map((el) => ({
      seq: el.hasAttribute('data-seq') ? Number(el.getAttribute('data-seq')) : null,
      author: Number(el.getAttribute('data-author')),
      status: Number(el.getAttribute('data-status')),
      pending: el.hasAttribute('data-pending'),
      text: el.textContent,
    }));
  }, PANEL(id));
}

/** Polls fn until truthy; `what` may be a function (called on failure, so it can show the last value). */
async function poll(fn, what, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`${typeof what === 'function' ? what() : what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

module.exports = { PANEL, state, waitState, newPage, events, chatItems, transcript, poll, RECORDER };
