// operator-chat-panel/search.js — finding chats from the list: a search box
// (`[data-search]`, which Alt+K focuses) over message text, client names,
// phones and e-mails, and a filter by label; either one replaces the Queue and
// My chats sections with the matching chats of any status (GET
// /api/chat/chats?search=&label=, newest activity first), each with the
// snippet that matched, its terms highlighted (the server wraps them in U+0002
// … U+0003; they become <mark> elements around text nodes, never HTML). A
// result opens its chat's transcript in the panel, read-only when Closed, on
// the matching message when the server names one. Esc in the box clears it.
import { h, replace } from '../shared/dom.js';
import { chatTitle } from './i18n.js';
import { chips } from './labels.js';

const DEBOUNCE_MS = 300;
const PER_PAGE = 50;

/** A snippet as text nodes, each U+0002…U+0003 span a <mark>. */
export function snippet(text) {
  const out = h('span', { class: 'snip' });
  const s = String(text || '');
  let i = 0;
  while (i < s.length) {
    const a = s.indexOf('\u0002', i);
    if (a < 0) { out.append(s.slice(i)); break; }
    if (a > i) out.append(s.slice(i, a));
    let b = s.indexOf('\u0003', a + 1);
    if (b < 0) b = s.length;
    out.append(h('mark', { text: s.slice(a + 1, b) }));
    i = b + 1;
  }
  return out;
}

export class Search {
  /** @param {object} p the panel */
  constructor(p) {
    this.p = p;
    this.t = p.t;
    this.q = '';
    this.label = 0;
    this.results = null; // {total, items} of the current query; null while none ran
    this.busy = false;
    this.run = 0;
    this.timer = null;
    const t = this.t;
    this.input = h('input', { type: 'search', 'data-search': '', 'aria-label': t.search, placeholder: t.searchPh,
      autocomplete: 'off', spellcheck: 'false', maxlength: '200',
      oninput: () => this.typed(), onkeydown: (e) => this.onKey(e) });
    this.filter = h('select', { 'data-label-filter': '', 'aria-label': t.labelFilter,
      onfocus: () => this.fillFilter(), onchange: () => { this.label = Number(this.filter.value) || 0; this.query(); } });
    this.fillFilter(true);
    this.el = h('form', { class: 'finder', role: 'search', 'aria-label': t.search,
      onsubmit: (e) => { e.preventDefault(); this.query(); } }, this.input, this.filter);
  }

  get active() { return !!(this.q || this.label); }

  /** The filter's options: every label of the organization (read when the filter is first used). */
  async fillFilter(first) {
    const t = this.t;
    const store = this.p.labels;
    if (!first) { try { await store.load(); } catch { /* keeps what it has */ } }
    const items = store.items || [];
    const want = ['0', ...items.map((l) => String(l.id))];
    const have = [...this.filter.options].map((o) => o.value);
    if (want.join() === have.join()) return;
    replace(this.filter, h('option', { value: '0', text: t.allLabels }),
      items.map((l) => h('option', { value: l.id, text: l.name })));
    this.filter.value = String(this.label);
  }

  typed() {
    clearTimeout(this.timer);
    this.p.timers.delete(this.timer);
    this.timer = this.p.later(() => this.query(), DEBOUNCE_MS);
  }

  onKey(e) {
    if (e.key === 'Escape' && this.input.value) {
      e.preventDefault();
      e.stopPropagation(); // clears the search, the panel stays open
      this.input.value = '';
      this.query();
    }
  }

  /** Runs the box's words and the label filter (an older answer arriving late is dropped). */
  async query() {
    clearTimeout(this.timer);
    this.p.timers.delete(this.timer);
    this.q = this.input.value.trim();
    const run = ++this.run;
    if (!this.active) { this.results = null; this.busy = false; this.p.render(); return; }
    this.busy = true;
    this.p.render();
    const qs = new URLSearchParams({ per_page: String(PER_PAGE) });
    if (this.q) qs.set('search', this.q);
    if (this.label) qs.set('label', String(this.label));
    let r;
    try { r = await this.p.api(`api/chat/chats?${qs}`); } catch (e) { r = { ok: false, body: { message: e.message } }; }
    if (run !== this.run) return;
    this.busy = false;
    this.results = r.ok && r.body && Array.isArray(r.body.items) ? r.body
      : { total: 0, items: [], error: (r.body && r.body.message) || this.t.err.network };
    this.p.render();
  }

  /** A label change of a chat: with a label filter on, the results are asked again. */
  labelsChanged() {
    if (this.label) this.typed();
  }

  /** The list's body while a search or filter is on. */
  draw() {
    const t = this.t;
    const r = this.results;
    const items = r ? r.items : [];
    const head = h('h3', { text: this.busy && !r ? t.searching : `${t.results} (${r ? r.total : 0})` });
    const body = r && r.error ? h('p', { class: 'merror', role: 'alert', text: r.error })
      : items.length ? h('ul', null, items.map((it) => this.item(it)))
        : h('p', { class: 'muted', role: 'status', text: this.busy ? t.searching : t.noResults });
    return h('div', { class: 'sect', 'data-search-results': '', 'aria-busy': String(this.busy) }, head, body);
  }

  item(it) {
    const t = this.t;
    const live = this.p.chats.get(it.id);
    const c = { ...it, ...(live && live.c ? live.c : {}) }; // live status, labels and name
    const m = it.match;
    return h('li', null, h('button', { type: 'button', class: 'item', 'data-result-id': c.id,
      'aria-current': c.id === this.p.selected ? 'true' : null, onclick: () => this.p.openFound(it, m && m.seq) },
    h('span', { class: 'row' }, h('b', { class: 'name', 'data-title': '', text: chatTitle(c, t) }), chips(c.labels, t)),
    h('span', { class: 'meta', 'data-status': c.chatStatus,
      text: `${t.st[c.chatStatus] || ''}${m && t.mField[m.field] ? ` · ${t.mField[m.field]}` : ''}` }),
    m && m.snippet ? h('span', { class: 'last', 'data-snippet': '' }, snippet(m.snippet))
      : h('span', { class: 'last', text: c.lastMessage || '' })));
  }
}
