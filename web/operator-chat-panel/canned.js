// operator-chat-panel/canned.js — canned responses in the panel: the list of
// the operator's responses (organization-wide first, then personal, as the
// API answers them), the picker that opens when the operator types `/` at the
// start of the composer or after whitespace (filtered by shortcut and title;
// ArrowUp/ArrowDown, Enter or Tab inserts, Esc closes; mouse works too), and
// the management view that lists, adds, edits and deletes them.
//
// ARIA: the composer keeps its textbox role (a textarea allows no other) with
// aria-autocomplete="list", aria-controls naming the listbox while it is shown
// and aria-activedescendant naming the highlighted option, so a screen reader
// follows the highlight while focus stays in the composer.
// Placeholders {{client.name}} and {{operator.name}} are filled on insertion;
// the server stores and answers them as written.
import { h, replace } from '../shared/dom.js';

let seq = 0;
const FRESH_MS = 60000;

/** Fills the placeholders of a canned response's text. */
export function fill(text, vars) {
  return String(text).replace(/\{\{\s*(client\.name|operator\.name)\s*\}\}/g,
    (_, k) => (k === 'client.name' ? vars.clientName : vars.operatorName) || '');
}

/** The responses matching `q`: shortcut prefix first, then shortcut or title containing it. */
export function match(items, q) {
  const s = q.toLowerCase();
  if (!s) return items.slice();
  const pre = []; const mid = [];
  for (const c of items) {
    const sc = c.shortcut.toLowerCase();
    if (sc.startsWith(s)) pre.push(c);
    else if (sc.includes(s) || c.title.toLowerCase().includes(s)) mid.push(c);
  }
  return pre.concat(mid);
}

/** The canned responses of the panel's operator, over REST with the operator token. */
export class CannedStore {
  /** @param {(path: string, init?: object) => Promise<{ok, status, body}>} api */
  constructor(api) {
    this.api = api;
    this.items = null; // null: not loaded yet
    this.at = 0;       // when it was loaded
    this.loading = null;
  }

  /** The list; fetched again when `force`d or older than FRESH_MS (colleagues change shared ones). */
  load(force) {
    if (this.items && !force && Date.now() - this.at < FRESH_MS) return Promise.resolve(this.items);
    if (!this.loading) {
      this.loading = this.api('api/canned-responses').then((r) => {
        if (!r.ok) throw r;
        this.items = Array.isArray(r.body) ? r.body : [];
        this.at = Date.now();
        return this.items;
      }).finally(() => { this.loading = null; });
    }
    return this.loading;
  }

  /** Creates (no id) or replaces a response; resolves the saved one, rejects {status, body}. */
  async save(id, fields) {
    const r = id
      ? await this.api(`api/canned-responses/${id}`, { method: 'PUT', body: fields })
      : await this.api('api/canned-responses', { method: 'POST', body: fields });
    if (!r.ok) throw r;
    await this.load(true).catch(() => {});
    return r.body;
  }

  async remove(id) {
    const r = await this.api(`api/canned-responses/${id}`, { method: 'DELETE' });
    if (!r.ok && r.status !== 404) throw r;
    await this.load(true).catch(() => {});
  }
}

/** A failed API answer as words for the operator. */
export function cannedError(t, r) {
  const msg = r && r.body && r.body.message;
  if (r && r.status === 403) return t.cannedForbidden;
  if (r && r.status === 409) return t.cannedConflict;
  if (r && r.status === 404) return t.cannedGone;
  if (r && r.status === 400) return `${t.cannedBad}${msg ? ` (${msg})` : ''}`;
  return msg || (r && r.message) || t.err.network;
}

/**
 * The `/` picker of a composer textarea. `vars()` gives the placeholder values
 * at insertion time. The picker's popup element is `picker.el` (placed above
 * the composer by the caller).
 */
export class CannedPicker {
  constructor({ store, input, t, vars, onInsert }) {
    Object.assign(this, { store, input, t, vars, onInsert });
    this.id = `chathub-canned-${++seq}`;
    this.open = false;
    this.items = [];
    this.active = 0;
    this.from = 0; // where the `/` is in the textarea
    this.listbox = h('ul', { role: 'listbox', id: this.id, class: 'canned-list', 'aria-label': t.cannedList });
    this.empty = h('p', { class: 'muted canned-empty', role: 'status' });
    this.el = h('div', { class: 'canned-pop', hidden: true, 'data-canned-picker': '' }, this.listbox, this.empty);
    input.setAttribute('aria-autocomplete', 'list');
    input.addEventListener('keydown', (e) => this.onKey(e));
    input.addEventListener('input', () => this.check());
    input.addEventListener('click', () => this.check());
    input.addEventListener('blur', () => this.close());
  }

  /** The `/query` just before the caret, or null. */
  trigger() {
    const i = this.input;
    if (i.selectionStart !== i.selectionEnd) return null;
    const before = i.value.slice(0, i.selectionStart);
    const m = /(^|\s)\/([\w-]{0,32})$/.exec(before);
    return m ? { from: before.length - m[2].length - 1, q: m[2] } : null;
  }

  check() {
    const tr = this.trigger();
    if (!tr) { this.close(); return; }
    this.from = tr.from;
    this.show(tr.q);
  }

  /** Opens the list from a shortcut: a `/` is typed at the caret (after a space when needed). */
  openHere() {
    const i = this.input;
    i.focus();
    if (this.trigger()) { this.check(); return; }
    const at = i.selectionStart;
    const pre = at > 0 && !/\s/.test(i.value[at - 1]) ? ' /' : '/';
    i.setRangeText(pre, at, i.selectionEnd, 'end');
    this.check();
  }

  async show(q) {
    const first = !this.store.items;
    this.q = q;
    if (first) {
      try { await this.store.load(); } catch { this.store.items = null; }
      if (this.q !== q || !this.trigger()) return;
    } else {
      // shown at once from what is known; redrawn if a refresh brings changes
      const had = this.store.items;
      this.store.load().then((items) => { if (items !== had && this.open && this.q === q) this.show(q); }, () => {});
    }
    const all = this.store.items || [];
    const prevId = this.open && this.items[this.active] && this.items[this.active].id;
    this.items = match(all, q);
    const keep = this.items.findIndex((c) => c.id === prevId);
    this.active = keep >= 0 ? keep : 0;
    this.open = true;
    this.draw();
  }

  draw() {
    const t = this.t;
    this.el.hidden = false;
    replace(this.listbox, this.items.map((c, i) => h('li', {
      role: 'option', id: `${this.id}-${i}`, class: 'canned-opt', 'aria-selected': String(i === this.active),
      'data-shortcut': c.shortcut,
      onmousedown: (e) => e.preventDefault(), // keep the caret in the composer
      onclick: () => this.insert(i),
    }, h('span', { class: 'sc', text: `/${c.shortcut}` }), h('span', { class: 'ti', text: c.title }),
    h('span', { class: 'tx', text: c.text.slice(0, 120) }))));
    this.listbox.hidden = !this.items.length;
    this.empty.textContent = this.items.length ? '' : (this.store.items && this.store.items.length ? t.cannedNone : t.cannedEmpty);
    this.empty.hidden = !!this.items.length;
    if (this.items.length) {
      this.input.setAttribute('aria-controls', this.id);
      this.input.setAttribute('aria-activedescendant', `${this.id}-${this.active}`);
      const a = this.listbox.children[this.active];
      if (a && a.scrollIntoView) a.scrollIntoView({ block: 'nearest' });
    } else {
      this.input.removeAttribute('aria-activedescendant');
      this.input.removeAttribute('aria-controls');
    }
  }

  close() {
    if (!this.open) return;
    this.open = false;
    this.el.hidden = true;
    this.input.removeAttribute('aria-activedescendant');
    this.input.removeAttribute('aria-controls');
  }

  onKey(e) {
    if (!this.open || e.isComposing) return;
    const n = this.items.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!n) return;
      e.preventDefault();
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.draw();
    } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      if (!n) { if (e.key === 'Tab') this.close(); return; }
      e.preventDefault();
      e.stopImmediatePropagation(); // not a send
      this.insert(this.active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation(); // the list closes, not the panel
      this.close();
    }
  }

  insert(i) {
    const c = this.items[i];
    if (!c) return;
    const inp = this.input;
    const text = fill(c.text, this.vars());
    inp.setRangeText(text, this.from, inp.selectionStart, 'end');
    this.close();
    inp.focus();
    if (this.onInsert) this.onInsert(c);
  }
}
