// operator-chat-panel/panel.js — one operator panel: the hub connection and its
// state (chats, colleagues, presence), the chat list, the selected chat's
// header and actions, and the views around them. The parts live in their own
// modules: transcript.js (history and messages), composer.js (sending, the
// canned picker), canned.js / canned-manage.js (canned responses), shortcuts.js
// (keys and the `?` overlay), notify.js (title badge, sound, desktop
// notifications), notes.js (private notes: the Note mode, the `@` list, notes
// in the transcript), profile.js (the client's profile pane), labels.js
// (chips, the label picker), search.js (the search box and the label filter
// over all chats). Each view has a module of its own and a place in build();
// `onEvent` is where its hub events arrive. A bot chat's channel is its icon
// (../shared/bot-icon.js), a widget or API chat's the word.
//
// Rules: everything renders in the Shadow DOM, styled only by the adopted
// stylesheet (strict-CSP safe); user text only as text; every listener on
// window/document takes `this.ac.signal` and every timer goes through later(),
// so unmount() leaves nothing behind.
import { h, icon, shadowHost, emit, pickLang, replace } from '../shared/dom.js';
import { HubClient } from '../shared/hub-client.js';
import { CSS } from './style.js';
import { T, P, chatTitle } from './i18n.js';
import { botIcon } from '../shared/bot-icon.js';
import { setBadge, Notifier } from './notify.js';
import { PAGE, loadEarlier, earlier, renderLog, reveal } from './transcript.js';
import { buildComposer, send } from './composer.js';
import { loadNotes, addNote, drawMode } from './notes.js';
import { ProfilePane } from './profile.js';
import { LabelStore, LabelPicker, chips } from './labels.js';
import { Search } from './search.js';
import { CannedStore } from './canned.js';
import { CannedManager } from './canned-manage.js';
import { shortcutOf, HelpOverlay } from './shortcuts.js';

const SERVER = new URL('..', import.meta.url);
const HUB_URL = new URL('chathub', SERVER).toString();
const READ_EVERY_MS = 300; // MarkRead at most this often per chat (a burst of messages is one read)
const WIDE_PX = 880;       // a panel this wide shows the profile beside the transcript by default

function claims(token) {
  try {
    const p = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(p + '='.repeat((4 - (p.length % 4)) % 4)));
  } catch { return null; }
}

let launchers = 0;

/** The visitor's rating of a closed chat (CSAT) as "★ 4" (null when none). */
function csatBadge(csat, t) {
  if (!csat || !csat.rating) return null;
  return h('span', { class: 'csat', 'data-csat': csat.rating, role: 'img', 'aria-label': t.csat(csat.rating),
    title: csat.comment || t.csat(csat.rating) }, `★ ${csat.rating}`);
}

export class Panel {
  constructor(script) {
    this.el = script;
    this.server = SERVER;
    this.ac = new AbortController();
    this.timers = new Set();
    this.lang = pickLang(script.getAttribute('lang'), ['en', 'uk']);
    this.t = T[this.lang];
    const sel = script.getAttribute('container');
    this.container = sel ? document.querySelector(sel) : null;
    this.inline = !!this.container;
    this.slot = this.inline ? 0 : launchers++;
    this.open = this.inline;
    this.order = [];
    this.canned = new CannedStore((path, init) => this.api(path, init));
    this.labels = new LabelStore((path, init) => this.api(path, init));
    this.profileOpen = null; // null: shown when the panel is wide (WIDE_PX), else as the operator chose
    this.notifier = new Notifier({ onOpen: (id) => this.openChat(id) });
    this.build();
  }

  // ---------- lifecycle ----------
  start() {
    this.reset();
    const token = this.el.getAttribute('token') || '';
    this.token = token;
    const c = token ? claims(token) : null;
    // a token that is not a JWT (the guide's development token) is the server's to judge
    const opaque = /^[\w-]+$/.test(token);
    if (!opaque && (!c || c.typ && !/op/i.test(String(c.typ)))) { this.fail('invalid_token', 'invalid token'); return; }
    this.me = c ? Number(c.sub) : null;
    if (c && c.exp && c.exp * 1000 <= Date.now()) { this.fail('token_expired', 'token expired'); return; }
    this.setState('loading');
    const client = new HubClient({
      url: HUB_URL, token: () => this.token,
      onEvent: (n, a) => { if (this.client === client) this.onEvent(n, a); },
      onState: (s, info) => { if (this.client === client) this.onHubState(s, info); },
      onReconnected: () => { if (this.client === client) this.sync(); },
    });
    this.client = client;
    client.start().then(() => { if (this.client === client) this.loaded(); }, () => {});
  }

  reset() {
    const c = this.client;
    this.client = null;
    if (c) c.stop();
    this.chats = new Map();
    this.colleagues = new Map();
    this.selected = null;
    this.presence = 'online';
    this.connected = false;
    this.netWarned = false;
    this.canned.items = null; // another token may be another operator
    this.labels.items = null;
    this.render();
  }

  update(attr) {
    if (attr === 'token') this.start();
    else if (attr === 'lang') { this.lang = pickLang(this.el.getAttribute('lang'), ['en', 'uk']); this.t = T[this.lang]; }
    else if (attr === 'theme') this.applyTheme();
  }

  unmount() {
    const c = this.client;
    this.client = null;
    if (c) c.stop();
    this.ac.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.host.remove();
    setBadge(this, 0);
    this.notifier.close();
    if (!this.inline) launchers = Math.max(0, launchers - 1);
  }

  later(fn, ms) {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
    return t;
  }

  /** A REST call with the operator token: {ok, status, body} (body: parsed JSON, text, or null). */
  async api(path, { method = 'GET', body } = {}) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(new URL(path, SERVER), { method, headers, signal: this.ac.signal,
      body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let parsed = text || null;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* plain text ("OK") */ }
    return { ok: r.ok, status: r.status, body: parsed };
  }

  /** The organization's operators with status and presence (the transfer list). */
  async loadColleagues() {
    try {
      const r = await this.api('api/operator/colleagues');
      if (!r.ok) return;
      for (const o of r.body) {
        this.colleagues.set(o.id, { ...this.colleagues.get(o.id), name: o.name, status: o.status, presence: o.presence });
      }
      if (this.selected) this.render();
    } catch { /* offline or unmounted: presence events keep the list */ }
  }

  async loaded() {
    this.connected = true;
    this.loadColleagues();
    this.search.fillFilter().then(() => this.render(), () => {});
    await this.sync(true);
    this.setState('ready');
    emit(this.el, 'chathub:ready', { operatorId: this.me });
    const deep = Number(this.el.getAttribute('chat-id'));
    if (deep) { if (!this.chats.has(deep)) await this.fetchChat(deep); if (this.chats.has(deep)) this.select(deep); }
  }

  onHubState(s, info) {
    if (s === 'connected') { if (this.state !== 'loading') this.setState('ready'); this.connected = true; }
    else if (s === 'reconnecting') {
      if (!this.connected && info && info.attempt >= 2 && !this.netWarned) {
        this.netWarned = true;
        emit(this.el, 'chathub:error', { code: 'network', message: this.t.err.network });
      }
      this.setState(this.connected ? 'reconnecting' : 'loading');
    } else if (s === 'error') this.fail(info.code, info.message);
  }

  fail(code, message) {
    this.setState('error');
    this.render();
    this.errText.textContent = this.t.err[code] || message;
    emit(this.el, 'chathub:error', { code, message: `${this.t.err[code] || ''} (${message})` });
    if (code === 'token_expired') {
      window.dispatchEvent(new ErrorEvent('error', { message: `ChatHub: token expired (${message})` }));
    }
  }

  setState(s) {
    this.state = s;
    this.root.setAttribute('data-state', s);
    this.banner.hidden = s !== 'reconnecting' && s !== 'loading';
    this.banner.textContent = s === 'loading' ? this.t.loading : this.t.reconnecting;
    this.errBox.hidden = s !== 'error';
  }

  // ---------- data ----------
  chat(c) {
    let x = this.chats.get(c.id);
    if (!x) { x = { msgs: new Map(), pending: new Map(), show: PAGE, loaded: false, readSeq: 0 }; this.chats.set(c.id, x); }
    const isNew = !x.c;
    x.c = { ...x.c, ...c };
    if (c.operator) this.colleagues.set(c.operator.id, { ...this.colleagues.get(c.operator.id), name: c.operator.name });
    return { x, isNew };
  }

  async sync(first) {
    if (!this.client) return;
    const want = {};
    for (const [id, x] of this.chats) if (x.loaded) want[id] = this.contig(x);
    try {
      const r = await this.client.invokeReliable('Sync', { chats: want });
      if (r.operatorId) this.me = r.operatorId;
      for (const c of r.chats || []) this.chat(c);
      for (const m of r.messages || []) this.addMsg(m, !first);
      // notes written while this connection was away come back with GetNotes
      if (!first) for (const [id, x] of this.chats) if (x.loaded) loadNotes(this, id).then(() => this.render());
      const moved = Object.entries(want).some(([id, seq]) => this.contig(this.chats.get(Number(id))) > seq);
      if (r.truncated && moved) { await this.sync(first); return; }
      this.client.invoke('SetPresence', this.presence).catch(() => {});
    } catch { /* state shows it */ }
    this.render();
  }

  async fetchChat(id) {
    try {
      const r = await this.client.invokeReliable('Sync', { chats: { [id]: 2147483647 } });
      for (const c of r.chats || []) this.chat(c);
    } catch { /* not visible */ }
  }

  contig(x) {
    const seqs = [...x.msgs.keys()].sort((a, b) => a - b);
    let top = seqs.length ? seqs[0] - 1 : 0;
    for (const s of seqs) { if (s !== top + 1) break; top = s; }
    return top;
  }

  addMsg(m, live) {
    let x = this.chats.get(m.chatId);
    if (!x) { this.fetchChat(m.chatId).then(() => this.render()); return; }
    if (m.clientMessageId) x.pending.delete(m.clientMessageId);
    if (m.operator) this.colleagues.set(m.operator.id, { ...this.colleagues.get(m.operator.id), name: m.operator.name });
    if (x.msgs.has(m.seq)) { x.msgs.set(m.seq, { ...x.msgs.get(m.seq), ...m }); return; }
    if (!x.loaded && live) { /* not opened: keep the summary only */ } else x.msgs.set(m.seq, m);
    const known = m.seq <= (x.c.lastSeq || 0); // already counted in the chat's countUnread
    if (!known) {
      x.c.lastSeq = m.seq;
      x.c.lastMessage = m.textMessage || (m.media ? m.media.name : '');
      x.c.lastMessageAt = m.createdAt;
    }
    if (m.author === 1 && live && !known && m.seq > x.readSeq) {
      if (this.viewing(m.chatId)) this.markRead(m.chatId); else x.c.countUnread = (x.c.countUnread || 0) + 1;
      if (x.c.operator && x.c.operator.id === this.me) {
        this.notifier.show({ title: `${this.t.newMessage} ${chatTitle(x.c, this.t)}`, body: x.c.lastMessage, chatId: m.chatId });
      }
    }
  }

  viewing(id) {
    return this.selected === id && this.open && !document.hidden && this.state !== 'error';
  }

  markRead(id) {
    const x = this.chats.get(id);
    if (!x || !this.client) return;
    let top = 0;
    for (const m of x.msgs.values()) if (m.author === 1 && m.seq > top) top = m.seq;
    x.c.countUnread = 0;
    if (top > x.readSeq) { x.readSeq = top; this.client.latest(`read:${id}`, READ_EVERY_MS, 'MarkRead', id, top); }
  }

  onEvent(name, a) {
    switch (name) {
      case 'ChatCreated': case 'ChatAssigned': {
        const c = a[0];
        const before = this.chats.get(c.id);
        const wasMine = !!(before && before.c && before.c.operator && before.c.operator.id === this.me);
        const { isNew, x } = this.chat(c);
        const toMe = name === 'ChatAssigned' && c.operator && c.operator.id === this.me && !wasMine;
        // a new chat routed to me at once is ChatCreated then ChatAssigned: one alert
        if (isNew || (toMe && Date.now() - (x.alertedAt || 0) > 5000)) {
          x.alertedAt = Date.now();
          this.notifier.beep();
          this.notifier.show({ title: `${this.t.newChat}: ${chatTitle(x.c, this.t)}`, body: x.c.lastMessage, chatId: c.id });
        }
        break;
      }
      case 'ReceiveMessage': case 'ReceiveMediaMessage': this.addMsg(a[0], true); break;
      case 'MessageRedacted': { // the tombstone at the same seq: text and media gone
        const m = a[0]; const x = m && this.chats.get(m.chatId);
        if (!x) break;
        if (x.msgs.has(m.seq)) x.msgs.set(m.seq, { ...m });
        if (m.seq === x.c.lastSeq) x.c.lastMessage = '';
        break;
      }
      case 'ClientErased': { // an erasure of more than 1,000 messages: every message of these chats is a tombstone
        for (const id of (a[0] && a[0].chatIds) || []) {
          const x = this.chats.get(id);
          if (!x) continue;
          for (const [seq, m] of x.msgs) {
            if (!m.redacted) x.msgs.set(seq, { ...m, textMessage: '', message: '', media: null, redacted: { at: null, by: null } });
          }
          x.c.lastMessage = '';
          x.c.theme = '';
        }
        break;
      }
      case 'ChatStatusChanged': { const x = this.chats.get(a[0]); if (x) x.c.chatStatus = a[1]; break; }
      case 'ChatRated': { const c = a[0]; const x = c && this.chats.get(c.id); if (x) x.c.csat = c.csat; break; }
      case 'MessagesRead': { // (chatId, seq, reader): the client read the operator side's messages up to seq
        const x = a[2] === 'client' && this.chats.get(a[0]);
        // a message the platform refused (2, Rejected) stays not delivered
        if (x) for (const m of x.msgs.values()) if (m.author !== 1 && m.seq <= a[1] && (m.status || 0) < 3 && m.status !== 2) m.status = 3;
        break;
      }
      case 'MessageStatusChanged': if (!this.msgStatus(a[0], a[1])) return; break;
      case 'Typing':
        if (a[0] === this.selected && a[1] === 1) {
          this.typing.hidden = false;
          clearTimeout(this.typingT); this.timers.delete(this.typingT);
          this.typingT = this.later(() => { this.typing.hidden = true; }, 4000);
        }
        return;
      case 'OperatorPresence':
        if (a[0] && a[0] !== this.me) this.colleagues.set(a[0], { ...this.colleagues.get(a[0]), presence: a[1] });
        else if (a[0] === this.me) this.presence = a[1] === 'away' ? 'away' : 'online';
        break;
      case 'NoteAdded': if (!addNote(this, a[0])) return; break;
      case 'ChatLabelsChanged': this.chatLabels(a[0], a[1] || []); return;
      case 'ClientUpdated': this.clientChanged(a[0]); return;
      case 'Mentioned': this.onMention(a[0]); break;
      default: return;
    }
    this.render();
  }

  /** MessageStatusChanged(messageId, status) of a loaded message: statuses only move forward, and Rejected
   * (2: a bot channel refused the reply) is final. False when nothing shown changed. */
  msgStatus(id, st) {
    for (const x of this.chats.values()) {
      for (const m of x.msgs.values()) {
        if (m.id !== id) continue;
        if (m.status === 2 || (st !== 2 && st <= (m.status || 0))) return false;
        m.status = st;
        return x.c && x.c.id === this.selected;
      }
    }
    return false;
  }

  /** Where a chat comes from: a bot's labelled icon (source 1 Viber, 2 Telegram), else the source's word. */
  channel(source) {
    return botIcon(source) || this.t.src[source] || '';
  }

  /** A colleague's note mentions this operator (Mentioned(note)): a desktop notification; the notes view hooks here. */
  onMention(note) {
    if (!note) return;
    const who = (note.operator && note.operator.name) || this.t.operator;
    this.notifier.show({ title: `${who} ${this.t.mention}`, body: note.text, chatId: note.chatId, tag: `chathub-note-${note.id}` });
    const mark = () => {
      const x = this.chats.get(note.chatId);
      if (!x) return;
      addNote(this, note);
      if (!this.viewing(note.chatId)) x.mentioned = true;
      this.flash(`${who} ${this.t.mentionedYou} ${chatTitle(x.c, this.t)}`);
      this.render();
    };
    if (this.chats.has(note.chatId) || !this.client) mark(); else this.fetchChat(note.chatId).then(mark);
  }

  /** A chat's labels changed (ChatLabelsChanged, or the picker's own PUT). */
  chatLabels(id, labels) {
    const x = this.chats.get(id);
    if (x) x.c.labels = labels;
    const r = this.search.results;
    if (r) for (const it of r.items) if (it.id === id) it.labels = labels;
    this.search.labelsChanged();
    if (id === this.selected) this.labelPicker.draw();
    this.render();
  }

  /** A client's profile changed (ClientUpdated, or the profile form): titles and the pane follow. */
  clientChanged(cl) {
    if (!cl) return;
    for (const x of this.chats.values()) {
      if (x.c && x.c.client && x.c.client.id === cl.id) x.c.client = { ...x.c.client, name: cl.name, phone: cl.phone };
    }
    this.profile.updated(cl);
    this.render();
  }

  /** Opens a chat found elsewhere (a search result, a client's previous chat), on message `seq` when given. */
  async openFound(found, seq) {
    const { match, ...c } = found;
    const { x } = this.chat(c);
    if (seq) { x.hit = seq; x.hitScroll = true; }
    await this.select(c.id);
    if (seq && !x.msgs.has(seq)) { await reveal(this, c.id, seq); this.render(); }
  }

  setProfile(on) {
    this.profileOpen = on;
    this.render();
    queueMicrotask(() => {
      const b = on ? this.profile.closeBtn : this.convHead.querySelector('[data-profile-toggle]');
      if (b) b.focus();
    });
  }

  profileShown() {
    return this.profileOpen ?? this.panel.clientWidth >= WIDE_PX;
  }

  // ---------- actions ----------
  async act(fn) {
    try { const c = await fn(); if (c && c.id) this.chat(c); } catch (e) { this.flash(e.message); }
    this.render();
  }

  flash(text) {
    this.note.textContent = text;
    this.later(() => { this.note.textContent = ''; }, 5000);
  }

  /** Opens the panel on a chat (a notification's click). */
  async openChat(id) {
    if (!this.open) this.setOpen(true);
    if (this.managing) this.setManaging(false);
    if (!this.chats.has(id) && this.client) await this.fetchChat(id);
    if (this.chats.has(id)) this.select(id);
  }

  async select(id) {
    if (id !== this.selected) this.labelPicker.close();
    this.selected = id;
    this.typing.hidden = true;
    this.picker.close();
    this.mention.close();
    const x = this.chats.get(id);
    if (x) x.mentioned = false;
    this.root.classList.add('has-chat');
    this.render();
    if (x && !x.loaded) {
      x.loaded = true;
      await Promise.all([loadEarlier(this, id, null), loadNotes(this, id)]);
    }
    if (this.viewing(id)) this.markRead(id);
    this.render(true);
    this.input.focus();
  }

  /** The next chat with unread messages after the selected one, in list order (wrapping). */
  nextUnread() {
    const ids = this.order.filter((id) => (this.chats.get(id).c.countUnread || 0) > 0);
    if (!ids.length) return;
    const at = this.order.indexOf(this.selected);
    const next = ids.find((id) => this.order.indexOf(id) > at) || ids[0];
    if (next !== this.selected) this.select(next);
  }

  send() { send(this); }

  earlier() { return earlier(this); }

  setOpen(open) {
    if (this.inline) return;
    this.open = open;
    this.panel.hidden = !open;
    this.launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      if (this.selected) this.markRead(this.selected);
      (this.shadow.querySelector('.list button') || this.closeBtn).focus();
    } else { this.help.hide(); this.launcher.focus(); }
    this.render();
  }

  setManaging(on) {
    this.managing = on;
    this.bodyEl.hidden = on;
    this.manageBtn.setAttribute('aria-pressed', String(on));
    if (on) {
      // attached on first use: its alert region is not one of the panel's until the view exists
      if (!this.manager.el.isConnected) this.bodyEl.after(this.manager.el);
      this.picker.close();
      this.manager.show();
    } else {
      this.manager.hide();
      this.manageBtn.focus();
    }
  }

  async askNotify() {
    await this.notifier.ask();
    this.render();
  }

  // ---------- DOM ----------
  build() {
    const t = this.t;
    const { host, root } = shadowHost(CSS, { inline: this.inline });
    this.host = host;
    host.setAttribute('data-operator-panel', this.el.id);
    this.shadow = root;
    const sig = { signal: this.ac.signal };
    this.banner = h('div', { class: 'banner', role: 'status' });
    this.errText = h('p', { class: 'errtext' });
    this.errBox = h('div', { class: 'error', role: 'alert', hidden: true }, this.errText);
    this.note = h('div', { class: 'note', role: 'status', 'aria-live': 'polite' });
    this.presenceBtn = h('button', { type: 'button', class: 'presence', 'aria-pressed': 'true',
      onclick: () => {
        const p = this.presence === 'online' ? 'away' : 'online';
        this.presence = p;
        this.render();
        if (this.client) this.client.invoke('SetPresence', p).catch((e) => this.flash(e.message));
      } });
    this.notifyBtn = h('button', { type: 'button', class: 'icon', 'data-notify': '', 'aria-label': t.notifyOn,
      title: t.notifyOn, hidden: true, onclick: () => this.askNotify() }, icon(P.bell));
    this.manageBtn = h('button', { type: 'button', class: 'icon', 'data-canned-manage': '', 'aria-label': t.manage,
      title: t.manage, 'aria-pressed': 'false', onclick: () => this.setManaging(!this.managing) }, icon(P.canned));
    this.helpBtn = h('button', { type: 'button', class: 'icon', 'data-help-open': '', 'aria-label': t.keysHelp,
      title: t.keysHelp, onclick: () => this.help.show() }, icon(P.keys));
    this.closeBtn = this.inline ? null : h('button', { type: 'button', class: 'icon', 'aria-label': t.close,
      onclick: () => this.setOpen(false) }, icon(P.close));
    this.search = new Search(this);
    this.listBody = h('div', { class: 'listbody' });
    this.list = h('nav', { class: 'list', 'aria-label': t.chats }, this.search.el, this.listBody);
    this.convHead = h('div', { class: 'convhead' });
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.conversation, tabindex: '0' });
    this.log.addEventListener('scroll', () => {
      const x = this.chats.get(this.selected);
      if (this.log.scrollTop < 4 && x && !this.loadingEarlier && (x.msgs.size > x.show || !x.complete)
        && x.msgs.size) {
        this.loadingEarlier = true;
        earlier(this).finally(() => { this.loadingEarlier = false; });
      }
    });
    this.typing = h('div', { class: 'typing', 'data-typing': '', hidden: true, 'aria-live': 'polite' }, t.typing);
    this.composer = buildComposer(this);
    this.readOnly = h('p', { class: 'readonly', 'data-read-only': '', hidden: true, text: t.readOnly });
    this.labelPicker = new LabelPicker(this);
    this.profile = new ProfilePane(this);
    // the picker and the profile are attached on first use: their alert regions are not the panel's until then
    this.conv = h('section', { class: 'conv', 'aria-label': t.conversation }, this.convHead, this.log,
      this.typing, this.composer, this.readOnly);
    this.manager = new CannedManager({ store: this.canned, t, onClose: () => this.setManaging(false) });
    this.bodyEl = h('div', { class: 'body' }, this.list, this.conv);
    this.panel = h('div', { class: 'panel', tabindex: '-1', role: this.inline ? 'region' : 'dialog', 'aria-label': t.title,
      'aria-modal': this.inline ? null : 'true', hidden: !this.open },
    h('header', { class: 'top' }, h('h2', { text: t.title }), this.presenceBtn, this.notifyBtn, this.manageBtn,
      this.helpBtn, this.closeBtn),
    this.banner, this.errBox, this.note, this.bodyEl);
    this.help = new HelpOverlay({ t, container: this.panel, getFocus: () => this.shadow.activeElement });
    this.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' }); // the launcher's name says it
    this.launcher = this.inline ? null : h('button', { type: 'button', class: 'launcher', 'aria-label': t.open,
      'aria-expanded': 'false', onclick: () => this.setOpen(!this.open) }, icon(P.chat), this.badge);
    if (this.launcher && this.slot) this.launcher.style.setProperty('--slot', String(this.slot));
    this.root = h('div', { class: `root ${this.inline ? 'inline' : 'float'}`, lang: this.lang }, this.launcher, this.panel);
    root.append(this.root);
    this.applyTheme();
    this.root.addEventListener('keydown', (e) => this.onKey(e));
    document.addEventListener('keydown', (e) => {
      const a = document.activeElement;
      if (e.key === 'Escape' && this.open && !this.inline && (!a || a === document.body)) this.setOpen(false);
    }, sig);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.selected && this.open) this.markRead(this.selected);
      this.render();
    }, sig);
    (this.container || document.body).append(host);
  }

  applyTheme() {
    const th = this.el.getAttribute('theme') || 'auto';
    this.root.classList.remove('light', 'dark', 'auto');
    this.root.classList.add(['light', 'dark'].includes(th) ? th : 'auto');
  }

  /** A keyboard shortcut (shortcuts.js); true when the key was one. */
  shortcut(e) {
    const id = this.open && this.state !== 'error' ? shortcutOf(e) : null;
    if (!id) return false;
    e.preventDefault();
    const x = this.chats.get(this.selected);
    if (id === 'help') this.help.show();
    else if (id === 'next') { if (this.managing) this.setManaging(false); this.nextUnread(); }
    else if (id === 'close') {
      if (x && x.c.chatStatus !== 4) this.act(() => this.client.invoke('SetChatStatus', x.c.id, 4));
    } else if (id === 'search') {
      const box = this.shadow.querySelector('[data-search]'); // the search view provides it
      if (box) box.focus();
    } else if (id === 'canned' && x && !this.managing) this.picker.openHere();
    return true;
  }

  onKey(e) {
    if (this.shortcut(e)) return;
    if (e.key === 'Escape' && !this.inline && this.open) { e.preventDefault(); this.setOpen(false); return; }
    if (e.key !== 'Tab' || this.inline || !this.open) return;
    const f = [...this.panel.querySelectorAll('button, textarea, select, input, [tabindex="0"]')]
      .filter((x) => !x.disabled && x.getClientRects().length && !x.closest('[hidden]'));
    if (!f.length) return;
    const a = this.shadow.activeElement;
    if (e.shiftKey && (a === f[0] || !this.panel.contains(a))) { e.preventDefault(); f[f.length - 1].focus(); }
    else if (!e.shiftKey && (a === f[f.length - 1] || !this.panel.contains(a))) { e.preventDefault(); f[0].focus(); }
  }

  render(stick) {
    if (this.renderQ) { this.renderStick = this.renderStick || stick; return; }
    this.renderQ = true;
    this.renderStick = stick;
    queueMicrotask(() => {
      this.renderQ = false;
      if (this.ac.signal.aborted) return;
      const a = this.shadow.activeElement;
      const had = a && this.panel.contains(a);
      this.draw(this.renderStick);
      // re-rendering must never drop the keyboard user's focus out of the panel
      if (had && !this.shadow.activeElement && this.open) {
        (this.list.querySelector('[aria-current="true"]') || this.list.querySelector('button') || this.panel).focus();
      }
    });
  }

  drawList() {
    const t = this.t;
    const visible = [...this.chats.values()].filter((x) => x.c);
    const queue = visible.filter((x) => !x.c.operator && x.c.chatStatus !== 4);
    const mine = visible.filter((x) => x.c.operator && x.c.operator.id === this.me);
    const byTime = (a, b) => String(b.c.lastMessageAt || b.c.createdAt).localeCompare(String(a.c.lastMessageAt || a.c.createdAt));
    queue.sort(byTime);
    mine.sort(byTime);
    this.order = [...queue, ...mine].map((x) => x.c.id);
    const item = (x) => {
      const c = x.c;
      const n = c.countUnread || 0;
      return h('li', null, h('button', { type: 'button', class: 'item', 'data-chat-id': c.id,
        'aria-current': c.id === this.selected ? 'true' : null, onclick: () => this.select(c.id) },
      h('span', { class: 'row' }, h('b', { class: 'name', 'data-title': '', text: chatTitle(c, t) }),
        x.mentioned ? h('span', { class: 'at', 'data-mentioned': '', role: 'img', 'aria-label': t.mentionedMark }, '@') : null,
        n ? h('span', { class: 'count', 'data-unread': n, 'aria-label': `${n} ${t.unread}` }, String(n)) : null),
      h('span', { class: 'meta' }, this.channel(c.source), ` · ${t.st[c.chatStatus] || ''}`),
      chips(c.labels, t), csatBadge(c.csat, t),
      h('span', { class: 'last', text: c.lastMessage || '' })));
    };
    const section = (label, key, arr) => h('div', { class: 'sect', 'data-list': key },
      h('h3', { text: `${label} (${arr.length})` }),
      arr.length ? h('ul', null, arr.map(item)) : h('p', { class: 'muted', text: t.empty }));
    const fa = this.shadow.activeElement;
    const inBody = fa && this.listBody.contains(fa);
    const focusAttr = inBody && ['data-chat-id', 'data-result-id'].find((k) => fa.hasAttribute(k));
    const focusId = focusAttr && fa.getAttribute(focusAttr);
    // a search or a label filter shows its results in place of the sections
    if (this.search.active) replace(this.listBody, this.search.draw());
    else replace(this.listBody, section(t.queue, 'queue', queue), section(t.mine, 'mine', mine));
    if (inBody && !this.listBody.contains(this.shadow.activeElement)) {
      const nb = focusAttr && this.listBody.querySelector(`[${focusAttr}="${focusId}"]`);
      (nb || this.listBody.querySelector('button') || this.search.input).focus();
    }
    return [...queue, ...mine].reduce((a, x) => a + (x.c.countUnread || 0), 0);
  }

  draw(stick) {
    const t = this.t;
    const unread = this.drawList();
    this.presenceBtn.textContent = this.presence === 'online' ? t.online : t.away;
    this.presenceBtn.setAttribute('aria-pressed', String(this.presence === 'online'));
    this.presenceBtn.setAttribute('aria-label', `${t.presence}: ${this.presenceBtn.textContent}`);
    this.presenceBtn.className = `presence ${this.presence}`;
    // the bell is there only while the browser can still ask (never asked, never refused)
    this.notifyBtn.hidden = this.notifier.permission !== 'default';

    if (this.badge) {
      const err = this.state === 'error';
      this.badge.hidden = !unread && !err;
      this.badge.textContent = err ? '!' : String(unread);
      if (this.launcher) this.launcher.setAttribute('aria-label', unread && !err ? `${t.open}, ${t.unread}: ${unread}` : t.open);
    }
    setBadge(this, unread && (!this.open || document.hidden) && this.state !== 'error' ? unread : 0);

    const x = this.chats.get(this.selected);
    this.conv.hidden = !x;
    if (!x) this.profile.el.hidden = true;
    this.root.classList.toggle('has-chat', !!x);
    if (!x) return;
    this.drawHead(x.c);
    // a Closed chat is read-only (a search result, a previous chat): Reopen first
    const closed = x.c.chatStatus === 4;
    this.composer.hidden = closed;
    this.readOnly.hidden = !closed;
    if (closed) { this.picker.close(); this.mention.close(); }
    drawMode(this);
    const showProfile = this.profileShown();
    this.profile.el.hidden = !showProfile;
    if (showProfile && !this.profile.el.isConnected) this.conv.after(this.profile.el);
    if (showProfile) this.profile.show(x.c);
    renderLog(this, stick);
  }

  drawHead(c) {
    const t = this.t;
    const acts = [];
    const btn = (label, fn, key) => h('button', { type: 'button', class: 'act', 'data-action': key,
      onclick: () => this.act(fn) }, label);
    const id = c.id;
    const cl = this.client;
    if (!c.operator || c.operator.id !== this.me) acts.push(btn(t.take, () => cl.invoke('TakeChat', id), 'take'));
    if (c.chatStatus === 4) acts.push(btn(t.reopen, () => cl.invoke('SetChatStatus', id, 1), 'reopen'));
    else {
      if (c.chatStatus === 3) acts.push(btn(t.resume, () => cl.invoke('SetChatStatus', id, 1), 'resume'));
      else acts.push(btn(t.pause, () => cl.invoke('SetChatStatus', id, 3), 'pause'));
      acts.push(btn(t.closeChat, () => cl.invoke('SetChatStatus', id, 4), 'close'));
    }
    // Active colleagues (status 0; unknown status = seen live, so active), online first
    const rank = { online: 0, away: 1 };
    const others = [...this.colleagues].filter(([oid, o]) => oid !== this.me && (o.status ?? 0) === 0)
      .sort((a, b) => (rank[a[1].presence] ?? 2) - (rank[b[1].presence] ?? 2));
    if (others.length) {
      const sel = h('select', { 'aria-label': t.transferTo, class: 'to' },
        others.map(([oid, o]) => h('option', { value: oid,
          text: `${o.name || `${t.operator} #${oid}`}${o.presence && o.presence !== 'online' ? ` (${t[o.presence] || o.presence})` : ''}` })));
      acts.push(sel, btn(t.transfer, () => cl.invoke('TransferChat', id, Number(sel.value)), 'transfer'));
    }
    acts.push(this.labelPicker.button());
    const shown = this.profileShown();
    acts.push(h('button', { type: 'button', class: 'icon', 'data-profile-toggle': '', 'aria-expanded': String(shown),
      'aria-controls': this.profile.id, 'aria-label': shown ? t.profileHide : t.profileShow,
      title: shown ? t.profileHide : t.profileShow, onclick: () => this.setProfile(!this.profileShown()) }, icon(P.person)));
    const keep = this.shadow.activeElement;
    const keepKey = keep && keep.getAttribute && (['data-action', 'data-labels-open', 'data-profile-toggle']
      .map((k) => keep.hasAttribute(k) && (keep.getAttribute(k) ? `[${k}="${keep.getAttribute(k)}"]` : `[${k}]`))
      .find(Boolean));
    replace(this.convHead,
      this.inline ? null : h('button', { type: 'button', class: 'icon back', 'aria-label': t.back,
        onclick: () => { this.selected = null; this.render(); (this.list.querySelector('button') || this.closeBtn).focus(); } },
      icon(P.back)),
      h('div', { class: 'who' }, h('h3', { 'data-title': '', text: chatTitle(c, t) }),
        h('span', { class: 'meta', 'data-status-label': c.chatStatus }, this.channel(c.source),
          ` · ${t.st[c.chatStatus] || ''}${c.operator ? ` · ${c.operator.name}` : ''}`), chips(c.labels, t), csatBadge(c.csat, t),
        c.csat && c.csat.comment ? h('p', { class: 'csat-c', 'data-csat-comment': '', 'aria-label': t.csatComment,
          text: `“${c.csat.comment}”` }) : null),
      h('div', { class: 'acts' }, acts));
    if (keepKey) { const b = this.convHead.querySelector(keepKey); if (b) b.focus(); }
  }
}
