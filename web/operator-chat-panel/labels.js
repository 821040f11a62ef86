// operator-chat-panel/labels.js — labels in the panel (docs/api.md, Labels):
// the organization's labels (GET /api/labels, read again when the picker opens
// if older than a minute: an administrator adds them elsewhere), chips on the
// chats of the list, of the search results and of the header, and the picker
// of the open chat: a group of checkboxes, each change a PUT
// /api/chat/{id}/labels of the whole set. ChatLabelsChanged reaches the panel's
// chats in panel.js; the list's filter by label is search.js's.
//
// A chip's color is the label's; its text is black or white, whichever reads
// better on it (WCAG contrast), set through the CSSOM (no style attribute: the
// panel runs under strict CSPs).
import { h, replace } from '../shared/dom.js';

let seq = 0;
const FRESH_MS = 60000;

/** Relative luminance of #rrggbb (WCAG). */
function lum(hex) {
  const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}

/** A label as a chip. */
export function chip(l) {
  const color = /^#[0-9a-f]{6}$/i.test(l.color || '') ? l.color : '#6b7280';
  const L = lum(color);
  const el = h('span', { class: 'chip', 'data-label-id': l.id, text: l.name });
  el.style.setProperty('--chip', color);
  el.style.setProperty('--chipfg', (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? '#000' : '#fff');
  return el;
}

/** A chat's labels as chips (null when it has none). */
export function chips(labels, t) {
  if (!labels || !labels.length) return null;
  return h('span', { class: 'chips', role: 'list', 'aria-label': t.labels }, labels.map((l) => {
    const c = chip(l);
    c.setAttribute('role', 'listitem');
    return c;
  }));
}

/** The organization's labels over REST with the operator token. */
export class LabelStore {
  constructor(api) {
    this.api = api;
    this.items = null;
    this.at = 0;
    this.loading = null;
  }

  load(force) {
    if (this.items && !force && Date.now() - this.at < FRESH_MS) return Promise.resolve(this.items);
    if (!this.loading) {
      this.loading = this.api('api/labels').then((r) => {
        if (!r.ok) throw r;
        this.items = Array.isArray(r.body) ? r.body : [];
        this.at = Date.now();
        return this.items;
      }).finally(() => { this.loading = null; });
    }
    return this.loading;
  }
}

/**
 * The open chat's label picker: a popover under the chat's header with one
 * checkbox per organization label; Esc or the button closes it and focus goes
 * back to the button.
 */
export class LabelPicker {
  /** @param {object} p the panel */
  constructor(p) {
    this.p = p;
    this.t = p.t;
    this.id = `chathub-labels-${++seq}`;
    this.open = false;
    this.status = h('p', { class: 'mstatus', role: 'status', 'aria-live': 'polite' });
    this.alert = h('p', { class: 'merror', role: 'alert' });
    this.boxes = h('div', { class: 'lboxes' });
    this.el = h('div', { class: 'lpop', id: this.id, hidden: true, 'data-label-picker': '', onkeydown: (e) => this.onKey(e) },
      h('fieldset', null, h('legend', { text: this.t.labelsEdit }), this.boxes), this.alert, this.status);
  }

  /** The header's button that opens and closes it. */
  button() {
    const t = this.t;
    return h('button', { type: 'button', class: 'act', 'data-labels-open': '', 'aria-expanded': String(this.open),
      'aria-controls': this.id, onclick: () => (this.open ? this.close(true) : this.show()) }, t.labels);
  }

  async show() {
    if (!this.el.isConnected) this.p.convHead.after(this.el);
    this.open = true;
    this.el.hidden = false;
    this.status.textContent = '';
    this.alert.textContent = '';
    this.p.render();
    try { await this.p.labels.load(); } catch (r) { this.alert.textContent = (r && r.body && r.body.message) || this.t.err.network; }
    if (!this.open) return;
    this.draw();
    const first = this.boxes.querySelector('input');
    (first || this.el).focus();
  }

  close(refocus) {
    if (!this.open) return;
    this.open = false;
    this.el.hidden = true;
    this.p.render();
    if (refocus) queueMicrotask(() => { const b = this.p.convHead.querySelector('[data-labels-open]'); if (b) b.focus(); });
  }

  /** Redraws the checkboxes for the selected chat (after a change arrives), keeping focus on the same one. */
  draw() {
    if (!this.open) return;
    const t = this.t;
    const x = this.p.chats.get(this.p.selected);
    if (!x) { this.close(); return; }
    const on = new Set((x.c.labels || []).map((l) => l.id));
    const a = this.p.shadow.activeElement;
    const keep = a && this.boxes.contains(a) && a.getAttribute('data-label-id');
    const all = this.p.labels.items || [];
    replace(this.boxes, all.length ? all.map((l) => h('label', { class: 'lbox' },
      h('input', { type: 'checkbox', 'data-label-id': l.id, checked: on.has(l.id), onchange: () => this.save() }), chip(l)))
      : h('p', { class: 'muted', text: t.labelsNone }));
    if (keep) { const b = this.boxes.querySelector(`input[data-label-id="${keep}"]`); if (b) b.focus(); }
  }

  async save() {
    const id = this.p.selected;
    const ids = [...this.boxes.querySelectorAll('input:checked')].map((i) => Number(i.getAttribute('data-label-id')));
    this.alert.textContent = '';
    let r;
    try { r = await this.p.api(`api/chat/${id}/labels`, { method: 'PUT', body: { labelIds: ids } }); } catch (e) {
      r = { status: 0, body: { message: e.message } };
    }
    if (!r.ok) {
      this.alert.textContent = (r.body && r.body.message) || this.t.err.network;
      if (r.status === 404) this.p.labels.load(true).then(() => this.draw(), () => {});
      else this.draw();
      return;
    }
    this.status.textContent = this.t.labelsSaved;
    this.p.chatLabels(id, r.body.labels || []);
  }

  onKey(e) {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    this.close(true);
  }
}
