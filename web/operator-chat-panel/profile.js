// operator-chat-panel/profile.js — the client's profile beside the transcript
// (docs/api.md, Client profile): contact fields, the page and browser the chat
// came from, first seen, the number of chats, custom attributes (the ones a
// signed userJWT set marked verified), the client's chats (any status; one
// opens in the panel, read-only when Closed) and a form that edits the profile
// (PUT /api/client/{id}). ClientUpdated keeps it current while it is shown.
//
// The pane is a column beside the transcript when the panel is wide enough
// and a drawer over it when it is not (a container query in style.js); the
// operator shows and hides it with the header's profile button. User text is
// rendered as text; the page URL and referrer are links only when http(s),
// opened in a new tab without a referrer or an opener.
import { h, icon, replace } from '../shared/dom.js';
import { P } from './i18n.js';

let seq = 0;
const PREV_CHATS = 20;

/** An http(s) URL as a safe link, anything else as text. */
function safeLink(url) {
  let ok = false;
  try { ok = /^https?:$/.test(new URL(url).protocol); } catch { ok = false; }
  return ok ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: url }) : h('span', { text: url });
}

/** An attribute value typed in the form, read back as the type it had (number, boolean), else a string. */
function typed(text, before) {
  if (typeof before === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (typeof before === 'boolean' && /^(true|false)$/.test(text.trim())) return text.trim() === 'true';
  return text;
}

export class ProfilePane {
  /** @param {object} p the panel */
  constructor(p) {
    this.p = p;
    this.t = p.t;
    this.id = `chathub-profile-${++seq}`;
    this.client = null;  // the client shown
    this.chats = null;   // its chats (GET /api/client/{id}/chats)
    this.editing = false;
    this.body = h('div', { class: 'pbody' });
    this.status = h('p', { class: 'mstatus', role: 'status', 'aria-live': 'polite' });
    this.alert = h('p', { class: 'merror', role: 'alert' });
    this.closeBtn = h('button', { type: 'button', class: 'icon', 'aria-label': this.t.profileHide,
      onclick: () => p.setProfile(false) }, icon(P.close));
    this.el = h('aside', { class: 'profile', id: this.id, 'aria-label': this.t.profile, 'data-profile': '', hidden: true,
      onkeydown: (e) => this.onKey(e) },
    h('div', { class: 'mhead' }, h('h3', { text: this.t.profile }), this.closeBtn), this.alert, this.status, this.body);
  }

  /** Shows the client of chat `c` (fetched when it is another client or `force`). */
  async show(c, force) {
    const cid = c && c.client && c.client.id;
    if (!cid) { this.client = null; replace(this.body); return; }
    if (this.client && this.client.id === cid && !force) {
      // another chat of the same client: its list marks the current one
      if (this.shownFor !== this.p.selected && !this.editing) this.draw();
      this.shownFor = this.p.selected;
      return;
    }
    this.shownFor = this.p.selected;
    if (!this.client || this.client.id !== cid) { this.editing = false; this.say('', ''); }
    this.client = { id: cid, name: c.client.name, phone: c.client.phone, loading: true };
    this.chats = null;
    this.draw();
    const [r, l] = await Promise.all([this.p.api(`api/client/${cid}`),
      this.p.api(`api/client/${cid}/chats?per_page=${PREV_CHATS}`)]).catch(() => [null, null]);
    if (!this.client || this.client.id !== cid) return; // another chat was opened meanwhile
    if (!r || !r.ok) { this.client.loading = false; this.say('', this.t.pError); this.draw(); return; }
    this.client = r.body;
    this.chats = l && l.ok && l.body && Array.isArray(l.body.items) ? l.body : { total: 0, items: [] };
    this.draw();
  }

  /** ClientUpdated(client): the profile shown follows it (a form being edited keeps what is typed). */
  updated(client) {
    if (!client || !this.client || this.client.id !== client.id) return;
    this.client = client;
    // erased: every message of its chats is a tombstone, so no chat has a preview any more
    if (client.erased && this.chats) for (const ch of this.chats.items) { ch.lastMessage = ''; ch.theme = ''; }
    if (!this.editing) this.draw();
  }

  say(status, error) {
    this.status.textContent = status || '';
    this.alert.textContent = error || '';
  }

  onKey(e) {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    if (this.editing) { this.editing = false; this.draw(); this.editBtn && this.editBtn.focus(); } else this.p.setProfile(false);
  }

  draw() {
    const t = this.t;
    const c = this.client;
    if (!c) { replace(this.body); return; }
    if (c.loading) { replace(this.body, h('p', { class: 'muted', text: t.pLoading })); return; }
    const row = (label, value, key) => h('div', { class: 'prow', 'data-field': key }, h('dt', { text: label }),
      h('dd', null, value === '' || value === null || value === undefined ? t.pNone : value));
    const attrs = Object.entries(c.attributes || {});
    const verified = new Set(c.verifiedAttributes || []);
    this.editBtn = h('button', { type: 'button', class: 'act', 'data-profile-edit': '', 'aria-expanded': String(this.editing),
      onclick: () => { this.editing = !this.editing; this.say('', ''); this.draw(); if (this.editing) this.fName.focus(); } },
    t.pEdit);
    const first = c.firstSeenAt ? new Date(c.firstSeenAt) : null;
    replace(this.body,
      h('dl', { class: 'pfields' },
        row(t.pName, c.name, 'name'), row(t.pEmail, c.email, 'email'), row(t.pPhone, c.phone, 'phone'),
        row(t.pPage, c.pageUrl ? safeLink(c.pageUrl) : '', 'pageUrl'),
        row(t.pReferrer, c.referrer ? safeLink(c.referrer) : '', 'referrer'),
        row(t.pLanguage, c.language, 'language'), row(t.pAgent, c.userAgent, 'userAgent'),
        row(t.pFirstSeen, first && !Number.isNaN(first.getTime()) ? first.toLocaleString(this.p.lang) : '', 'firstSeenAt'),
        row(t.pChats, c.chatsCount === undefined ? '' : String(c.chatsCount), 'chatsCount')),
      h('h4', { text: t.pAttrs }),
      attrs.length ? h('dl', { class: 'pfields pattrs' }, attrs.map(([k, v]) => h('div', { class: 'prow', 'data-attr': k },
        h('dt', { text: k }), h('dd', null, String(v),
          verified.has(k) ? h('span', { class: 'verified', 'data-verified': '', text: `✓ ${t.verified}` }) : null))))
        : h('p', { class: 'muted', text: t.pNone }),
      h('div', { class: 'acts' }, this.editBtn),
      this.editing ? this.form() : null,
      h('h4', { text: t.pPrev }),
      this.prevChats());
  }

  prevChats() {
    const t = this.t;
    const items = (this.chats && this.chats.items) || [];
    if (!items.length) return h('p', { class: 'muted', text: t.pNone });
    return h('ul', { class: 'pchats', 'data-client-chats': '' }, items.map((ch) => {
      const when = new Date(ch.lastMessageAt || ch.createdAt);
      const cur = ch.id === this.p.selected;
      return h('li', null, h('button', { type: 'button', class: 'item', 'data-client-chat-id': ch.id,
        'aria-current': cur ? 'true' : null, onclick: () => this.p.openFound(ch) },
      h('span', { class: 'row' }, h('b', { class: 'name', text: `#${ch.id} · ${t.st[ch.chatStatus] || ''}` }),
        h('span', { class: 'meta', text: Number.isNaN(when.getTime()) ? '' : when.toLocaleDateString(this.p.lang) })),
      h('span', { class: 'last', text: ch.lastMessage || '' })));
    }));
  }

  form() {
    const t = this.t;
    const c = this.client;
    const field = (label, el) => h('label', { class: 'field' }, h('span', { text: label }), el);
    this.fName = h('input', { type: 'text', name: 'name', maxlength: '256', autocomplete: 'off', value: c.name || '' });
    this.fEmail = h('input', { type: 'email', name: 'email', maxlength: '256', autocomplete: 'off', value: c.email || '' });
    this.fPhone = h('input', { type: 'tel', name: 'phone', maxlength: '64', autocomplete: 'off', value: c.phone || '' });
    this.removed = new Set();
    this.fAttrs = Object.entries(c.attributes || {}).map(([k, v]) => {
      const input = h('input', { type: 'text', name: `attr-${k}`, value: String(v), autocomplete: 'off' });
      const rowEl = h('div', { class: 'attrrow' }, field(k, input),
        h('button', { type: 'button', class: 'act', 'aria-label': `${t.pRemove} ${k}`,
          onclick: () => { this.removed.add(k); rowEl.hidden = true; this.fName.focus(); } }, t.pRemove));
      return { k, v, input, rowEl };
    });
    this.fNewKey = h('input', { type: 'text', name: 'newKey', maxlength: '64', autocomplete: 'off', spellcheck: 'false' });
    this.fNewValue = h('input', { type: 'text', name: 'newValue', autocomplete: 'off' });
    return h('form', { class: 'mform', 'data-profile-form': '', novalidate: true,
      onsubmit: (e) => { e.preventDefault(); this.submit(); } },
    field(t.pName, this.fName), field(t.pEmail, this.fEmail), field(t.pPhone, this.fPhone),
    this.fAttrs.map((a) => a.rowEl),
    h('div', { class: 'attrrow' }, field(t.pAttrKey, this.fNewKey), field(t.pAttrValue, this.fNewValue)),
    h('div', { class: 'acts' }, h('button', { type: 'submit', class: 'act primary', 'data-profile-save': '' }, t.save),
      h('button', { type: 'button', class: 'act', onclick: () => { this.editing = false; this.draw(); this.editBtn.focus(); } },
        t.cancel)));
  }

  async submit() {
    const t = this.t;
    const c = this.client;
    const body = { name: this.fName.value.trim(), email: this.fEmail.value.trim(), phone: this.fPhone.value.trim() };
    const attributes = {};
    for (const a of this.fAttrs) {
      if (this.removed.has(a.k)) attributes[a.k] = null;
      else if (a.input.value !== String(a.v)) attributes[a.k] = typed(a.input.value, a.v);
    }
    const nk = this.fNewKey.value.trim();
    if (nk) attributes[nk] = this.fNewValue.value;
    if (Object.keys(attributes).length) body.attributes = attributes;
    let r;
    try { r = await this.p.api(`api/client/${c.id}`, { method: 'PUT', body }); } catch (e) { r = { status: 0, body: { message: e.message } }; }
    if (!r.ok) {
      const msg = r.body && r.body.message;
      this.say('', r.status === 400 ? `${t.pBad}${msg ? ` (${msg})` : ''}` : msg || t.err.network);
      return;
    }
    this.client = r.body;
    this.editing = false;
    this.say(t.pSaved, '');
    this.p.clientChanged(r.body);
    this.draw();
    this.editBtn.focus();
  }
}
