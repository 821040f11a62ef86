// operator-chat-panel/canned-manage.js — the panel's view that lists, adds,
// edits and deletes canned responses. An operator manages its personal ones;
// organization-wide ones only when the organization allows it, which the
// panel learns from the API: a 403 is shown in the view as a clear sentence
// (role="alert"), never swallowed. Delete asks for a second click.
import { h, replace } from '../shared/dom.js';
import { cannedError } from './canned.js';

export class CannedManager {
  /** @param {{store, t, onClose: () => void}} o */
  constructor({ store, t, onClose }) {
    Object.assign(this, { store, t, onClose });
    this.editing = null; // null: no form; {}: a new one; a response: editing it
    this.armed = null;   // id whose delete awaits confirmation
    this.status = h('p', { class: 'mstatus', role: 'status', 'aria-live': 'polite' });
    this.alert = h('p', { class: 'merror', role: 'alert' });
    this.list = h('ul', { class: 'mlist', 'aria-label': t.canned });
    this.form = h('form', { class: 'mform', hidden: true, novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(); } });
    this.heading = h('h3', { text: t.canned, tabindex: '-1' });
    this.addBtn = h('button', { type: 'button', class: 'act', 'data-canned-add': '', onclick: () => this.edit({}) }, t.add);
    this.el = h('section', { class: 'manage', hidden: true, 'aria-label': t.canned, 'data-canned-manager': '',
      onkeydown: (e) => this.onKey(e) },
    h('div', { class: 'mhead' }, this.heading, this.addBtn,
      h('button', { type: 'button', class: 'act', 'data-canned-done': '', onclick: () => this.onClose() }, t.done)),
    this.alert, this.status, this.form, this.list);
  }

  async show() {
    this.el.hidden = false;
    this.editing = null;
    this.say('', '');
    this.heading.focus();
    try { await this.store.load(true); } catch (r) { this.say('', cannedError(this.t, r)); }
    this.draw();
  }

  hide() { this.el.hidden = true; this.editing = null; this.armed = null; }

  say(status, error) {
    this.status.textContent = status || '';
    this.alert.textContent = error || '';
  }

  onKey(e) {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    if (this.editing) { this.editing = null; this.draw(); this.addBtn.focus(); } else this.onClose();
  }

  draw() {
    const t = this.t;
    const items = this.store.items || [];
    replace(this.list, items.length ? items.map((c) => h('li', { class: 'mitem', 'data-canned-id': c.id },
      h('div', { class: 'mrow' }, h('b', { class: 'sc', text: `/${c.shortcut}` }), h('span', { class: 'ti', text: c.title }),
        h('span', { class: 'scope', 'data-scope': c.operatorId === null ? 'org' : 'personal',
          text: c.operatorId === null ? t.orgWide : t.personal })),
      h('p', { class: 'tx', text: c.text }),
      h('div', { class: 'acts' },
        h('button', { type: 'button', class: 'act', 'data-canned-edit': c.id, 'aria-label': `${t.edit} /${c.shortcut}`,
          onclick: () => this.edit(c) }, t.edit),
        h('button', { type: 'button', class: 'act', 'data-canned-delete': c.id,
          'aria-label': `${this.armed === c.id ? t.confirmDel : t.del} /${c.shortcut}`,
          onclick: () => this.del(c) }, this.armed === c.id ? t.confirmDel : t.del))))
      : h('li', { class: 'muted', text: t.cannedEmpty }));
    this.drawForm();
  }

  drawForm() {
    const t = this.t;
    const c = this.editing;
    this.form.hidden = !c;
    if (!c) { replace(this.form); return; }
    const field = (label, el) => h('label', { class: 'field' }, h('span', { text: label }), el);
    this.fShortcut = h('input', { type: 'text', name: 'shortcut', maxlength: '32', required: true, autocomplete: 'off',
      spellcheck: 'false', pattern: '[A-Za-z0-9_-]{1,32}', value: c.shortcut || '' });
    this.fTitle = h('input', { type: 'text', name: 'title', maxlength: '256', required: true, autocomplete: 'off',
      value: c.title || '' });
    this.fText = h('textarea', { name: 'text', rows: '4', required: true, maxlength: '16384' });
    this.fText.value = c.text || '';
    this.fScope = c.id ? null : h('select', { name: 'scope' },
      h('option', { value: 'personal', text: t.personal }), h('option', { value: 'org', text: t.orgWide }));
    replace(this.form,
      h('h4', { text: c.id ? t.editCanned : t.newCanned }),
      field(t.shortcut, this.fShortcut), field(t.cTitle, this.fTitle), field(t.cText, this.fText),
      h('p', { class: 'muted', text: t.placeholders }),
      this.fScope ? field(t.scope, this.fScope) : null,
      h('div', { class: 'acts' }, h('button', { type: 'submit', class: 'act primary', 'data-canned-save': '' }, t.save),
        h('button', { type: 'button', class: 'act', onclick: () => { this.editing = null; this.draw(); this.addBtn.focus(); } },
          t.cancel)));
  }

  edit(c) {
    this.editing = c;
    this.armed = null;
    this.say('', '');
    this.draw();
    this.fShortcut.focus();
  }

  async submit() {
    const c = this.editing;
    const body = { shortcut: this.fShortcut.value.trim(), title: this.fTitle.value.trim(), text: this.fText.value };
    if (this.fScope && this.fScope.value === 'org') body.organizationWide = true;
    try {
      await this.store.save(c.id, body);
    } catch (r) { this.say('', cannedError(this.t, r)); return; }
    this.editing = null;
    this.say(this.t.cannedSaved, '');
    this.draw();
    this.addBtn.focus();
  }

  async del(c) {
    if (this.armed !== c.id) {
      this.armed = c.id;
      this.draw();
      const b = this.list.querySelector(`[data-canned-delete="${c.id}"]`);
      if (b) b.focus();
      return;
    }
    this.armed = null;
    try {
      await this.store.remove(c.id);
      this.say(this.t.cannedDeleted, '');
    } catch (r) { this.say('', cannedError(this.t, r)); }
    this.draw();
    this.addBtn.focus();
  }
}
