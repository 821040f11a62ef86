// widget-script.js — the visitor chat widget (docs: docs/widgets.md, "The visitor chat widget").
//
//   <script type="module" id="chat-widget-script" src="…/chat-widget/widget-script.js"
//           guid="<organization widget guid>" main-color="#0a7cff"></script>
//
// One widget per script[id^="chat-widget-script"]; removing the element unmounts it
// (connection stopped, timers and listeners gone). Renders in an open shadow root,
// styled only by a constructable stylesheet; user text only as text nodes.

import { h, icon, replace, richText, readMedia, newId, emit, clock, pickLang, watchScripts, shadowHost }
  from '../shared/dom.js';
import { HubClient } from '../shared/hub-client.js';
import { STYLE } from './style.js';

const BASE = new URL('..', import.meta.url);
const COLOR_ATTRS = ['main-color', 'main-dark-color', 'icon-color', 'icon-dark-color', 'operator-message-color',
  'operator-message-dark-color', 'operatoe-message-dark-color', 'operator-message-text-color',
  'operator-message-text-dark-color'];
const LOOK = [...COLOR_ATTRS, 'theme']; // applied live, without a restart
const ATTRS = ['guid', 'userjwt', 'lang', 'preview', ...LOOK];
const WINDOW = 300; // message elements kept in the DOM at most
const PAGE = 50;    // older/newer history per GetMessages
const FIRST = 100;  // the latest messages shown on load
const TYPING_SHOW_MS = 4000;
const TYPING_SEND_MS = 2000;
const READ_EVERY_MS = 300; // MarkRead at most this often per chat (a burst of messages is one read)
const FAIL_AFTER = 3; // failed first-connect attempts before the visible error

const I = {
  chat: 'M20 2H4c-1.1 0-2 .9-2 2v18l4-4h14c1.1 0 2-.9 2-2V4c0-1.1-.9-2-2-2z',
  close: 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z',
  send: 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z',
  clip: 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z',
};

const T = {
  en: {
    open: 'Open chat', close: 'Close chat', message: 'Message', send: 'Send', attach: 'Attach file',
    messages: 'Messages', typing: 'Operator is typing…', offline: 'We are offline — leave a message',
    online: 'We usually reply in a few minutes', reconnecting: 'Reconnecting…', loading: 'Loading…',
    removed: 'Message removed', ended: 'The conversation has ended. Write to start a new one.', unread: (n) => `${n} unread`,
    noGuid: 'Chat is unavailable: the widget has no valid guid.', network: 'Chat is unavailable right now.',
    identity: 'Chat is unavailable: the sign-in could not be verified.',
    tooBig: 'The file is too large (max 10 MB).', upFail: 'The file was not sent: ', failed: 'Not delivered',
    newer: 'New messages',
    st: ['Sent', 'Delivered', 'Not delivered', 'Read'], sending: 'Sending', you: 'You',
    name: 'Name', email: 'Email', phone: 'Phone (optional)', start: 'Start chat', badEmail: 'Please enter a valid email address.',
    intro: 'Please introduce yourself', chatWith: (n) => `Operator: ${n}`,
    rateQ: 'How was this conversation?', rateN: (n) => `${n} of 5`, rateLow: 'bad', rateHigh: 'excellent',
    rateComment: 'Comment (optional)', rateSend: 'Send rating', rateNeed: 'Choose a rating from 1 to 5.',
    rateThanks: 'Thank you for your feedback!', rateFail: 'The rating was not sent. Please try again.',
    pv: ['Hello! How can I help you?', 'Hi, where is my order?'],
  },
  uk: {
    open: 'Відкрити чат', close: 'Закрити чат', message: 'Повідомлення', send: 'Надіслати',
    attach: 'Прикріпити файл', messages: 'Повідомлення', typing: 'Оператор друкує…',
    offline: 'Ми зараз офлайн — залиште повідомлення', online: 'Зазвичай відповідаємо за кілька хвилин',
    reconnecting: 'Повторне з’єднання…', loading: 'Завантаження…', removed: 'Повідомлення видалено',
    ended: 'Розмову завершено. Напишіть, щоб почати нову.', unread: (n) => `${n} непрочитаних`,
    noGuid: 'Чат недоступний: віджет не має дійсного guid.', network: 'Чат зараз недоступний.',
    identity: 'Чат недоступний: не вдалося перевірити вхід.',
    tooBig: 'Файл завеликий (максимум 10 МБ).', upFail: 'Файл не надіслано: ', failed: 'Не доставлено',
    newer: 'Нові повідомлення',
    st: ['Надіслано', 'Доставлено', 'Не доставлено', 'Прочитано'], sending: 'Надсилається', you: 'Ви',
    name: 'Ім’я', email: 'Email', phone: 'Телефон (необов’язково)', start: 'Почати чат', badEmail: 'Введіть коректну адресу email.',
    intro: 'Будь ласка, представтеся', chatWith: (n) => `Оператор: ${n}`,
    rateQ: 'Як вам ця розмова?', rateN: (n) => `${n} з 5`, rateLow: 'погано', rateHigh: 'чудово',
    rateComment: 'Коментар (необов’язково)', rateSend: 'Надіслати оцінку', rateNeed: 'Оберіть оцінку від 1 до 5.',
    rateThanks: 'Дякуємо за відгук!', rateFail: 'Оцінку не надіслано. Спробуйте ще раз.',
    pv: ['Вітаю! Чим можу допомогти?', 'Привіт, де моє замовлення?'],
  },
};
const TICKS = ['✓', '✓', '!', '✓✓'];

// ---- colours ------------------------------------------------------------------
let ctx2d;
/** [r, g, b] of a CSS colour (via canvas parsing), or null. */
function rgb(c) {
  ctx2d = ctx2d || document.createElement('canvas').getContext('2d');
  if (!ctx2d) return null;
  ctx2d.fillStyle = '#000';
  ctx2d.fillStyle = c;
  const v = ctx2d.fillStyle;
  if (v[0] === '#') return [1, 3, 5].map((i) => parseInt(v.slice(i, i + 2), 16));
  const m = /(\d+),\s*(\d+),\s*(\d+)/.exec(v);
  return m ? m.slice(1, 4).map(Number) : null;
}
function lum(c) {
  const v = rgb(c);
  if (!v) return 0;
  const [r, g, b] = v.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
/** White or near-black text, whichever reads better on `bg`. */
function fg(bg) {
  const l = lum(bg) + 0.05;
  const white = 1.05 / l;
  return white >= 4.5 || white >= l / 0.0556 ? '#ffffff' : '#111111';
}
const okColor = (v) => !!v && typeof CSS !== 'undefined' && CSS.supports('color', v) ? v.trim() : null;

// ---- storage --------------------------------------------------------------------
function jwtSub(t) {
  try {
    const p = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return p.sub ? String(p.sub) : '';
  } catch { return ''; }
}
const store = {
  get(k) { try { return JSON.parse(localStorage.getItem(k)) || {}; } catch { return {}; } },
  set(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch { /* storage blocked */ } },
  del(k) { try { localStorage.removeItem(k); } catch { /* storage blocked */ } },
};

async function api(path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(new URL(path, BASE), body === undefined ? {} : {
    method: 'POST', headers, body: JSON.stringify(body) });
  let json = null;
  try { json = await r.json(); } catch { /* empty */ }
  return { status: r.status, json };
}

// ---- the widget ------------------------------------------------------------------
class Widget {
  constructor(el) {
    this.el = el;
    this.gen = 0;
    this.attrs = {};    // setAttributes() not sent yet (kept across restarts)
    this.attrsWait = [];
    el.setAttributes = (a) => this.setAttributes(a);
    const { host, root } = shadowHost(STYLE);
    this.host = host;
    this.root = root;
    (document.body || document.documentElement).append(host);
    try { this.start(); } catch (e) { this.fail('server', T.en.network, e); }
  }

  attr(n) { return this.el.getAttribute(n); }

  start() {
    const gen = ++this.gen;
    this.t = T[pickLang(this.attr('lang'), ['en', 'uk'])];
    this.guid = (this.attr('guid') || '').trim();
    this.jwt = (this.attr('userjwt') || '').trim();
    this.key = `chathub-widget:${this.guid}${this.jwt ? `:${jwtSub(this.jwt)}` : ''}`;
    this.msgs = new Map();  // id → {m, el}
    this.cmids = new Map(); // clientMessageId → {m, el}
    this.chats = new Map(); // chatId → chat
    this.lastSeq = new Map();
    this.timers = new Set();
    this.chatId = null;
    this.token = null;
    this.isOpen = false;
    this.lastTyping = 0;
    this.pre = null;
    this.opName = null;
    this.gap = false;  // the DOM lacks the newest messages (dropped after loading older ones)
    this.busy = false;
    this.connected = false;
    this.build();
    this.applyColors();
    if (this.el.hasAttribute('preview')) { this.preview(); return; }
    this.onVis = () => this.markRead();
    document.addEventListener('visibilitychange', this.onVis);
    this.boot(gen).catch((e) => { if (gen === this.gen) this.fail('network', this.t.network, e); });
  }

  stop() {
    this.gen++;
    if (this.hub) { this.hub.stop(); this.hub = null; }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    document.removeEventListener('visibilitychange', this.onVis);
    this.root.replaceChildren();
  }

  destroy() {
    this.stop();
    this.host.remove();
    delete this.el.setAttributes;
    for (const [, no] of this.attrsWait) no(new Error('the widget was removed'));
  }

  // The page's el.setAttributes({key: value}) (docs/widgets.md): merged into what is
  // pending and sent once the visitor has a session; resolves with the server's answer.
  setAttributes(a) {
    if (!a || typeof a !== 'object' || Array.isArray(a)) {
      return Promise.reject(new TypeError('setAttributes: pass an object'));
    }
    Object.assign(this.attrs, a);
    const p = new Promise((ok, no) => this.attrsWait.push([ok, no]));
    if (this.token) this.flushAttrs();
    return p;
  }

  async flushAttrs() {
    const waits = this.attrsWait;
    if (!waits.length) return;
    const attributes = this.attrs;
    this.attrs = {};
    this.attrsWait = [];
    let r;
    try { r = await api(`api/widget/${encodeURIComponent(this.guid)}/attributes`, { attributes }, this.token); }
    catch (e) { r = { status: 0, json: { message: e.message } }; }
    for (const [ok, no] of waits) {
      if (r.status === 200) ok(r.json);
      else no(Object.assign(new Error((r.json && r.json.message) || `HTTP ${r.status}`), { status: r.status, code: r.json && r.json.code }));
    }
  }

  later(fn, ms) {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
    return t;
  }

  setState(s) { this.w.setAttribute('data-state', s); }

  // ---- DOM ----
  build() {
    const t = this.t;
    const id = `chw-${newId().slice(0, 8)}`;
    this.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
    this.launcher = h('button', { type: 'button', class: 'launcher', 'aria-label': t.open, 'aria-expanded': 'false',
      'aria-controls': id, onclick: () => (this.isOpen ? this.close() : this.open()) }, icon(I.chat), this.badge);
    this.title = h('h2', { class: 'title' });
    this.sub = h('p', { class: 'sub' });
    this.banner = h('p', { class: 'banner', role: 'status', hidden: true });
    this.off = h('p', { class: 'off', hidden: true }, t.offline);
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.messages, tabindex: '0',
      onscroll: () => this.scrolled() });
    this.newBtn = h('button', { type: 'button', class: 'newer', hidden: true, onclick: () => this.toLatest() },
      `${t.newer} ↓`);
    this.typing = h('p', { class: 'typing', 'data-typing': '', hidden: true }, t.typing);
    this.note = h('p', { class: 'note', role: 'alert', hidden: true });
    this.rate = h('div', { class: 'rate', 'data-csat': '', hidden: true });
    this.input = h('textarea', { rows: '1', 'aria-label': t.message, placeholder: t.message,
      onkeydown: (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); }
      },
      oninput: () => this.typed() });
    this.file = h('input', { type: 'file', class: 'file', tabindex: '-1', 'aria-hidden': 'true',
      onchange: () => this.sendFile() });
    this.composer = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      h('button', { type: 'button', class: 'icon', 'aria-label': t.attach, onclick: () => this.file.click() },
        icon(I.clip)),
      this.file, this.input,
      h('button', { type: 'submit', class: 'icon send', 'aria-label': t.send }, icon(I.send)));
    this.foot = h('div', { class: 'foot' }, this.composer);
    this.panel = h('div', { class: 'panel', id, role: 'dialog', 'aria-modal': 'true', hidden: true,
      onkeydown: (e) => this.panelKey(e) },
    h('div', { class: 'head' }, h('div', { class: 'hd' }, this.title, this.sub),
      h('button', { type: 'button', class: 'icon x', 'aria-label': t.close, onclick: () => this.close() },
        icon(I.close))),
    this.banner, this.off, h('div', { class: 'lw' }, this.log, this.newBtn), this.typing, this.note, this.rate, this.foot);
    this.err = h('p', { class: 'err', role: 'alert', hidden: true });
    this.w = h('div', { class: 'w', 'data-state': 'loading', lang: this.t === T.uk ? 'uk' : 'en' },
      this.panel, this.err, this.launcher);
    this.root.replaceChildren(this.w);
    this.title.textContent = this.t.loading;
  }

  applyColors() {
    const a = (n) => okColor(this.attr(n));
    const main = a('main-color') || '#0a5fd6';
    const mainD = a('main-dark-color') || a('main-color') || '#3d8bff';
    const om = a('operator-message-color');
    const omD = a('operator-message-dark-color') || a('operatoe-message-dark-color');
    const omL = om || '#eef1f5';
    const omDk = omD || '#2c3440';
    const set = {
      '--main': main, '--main-fg': fg(main), '--main-d': mainD, '--main-fg-d': fg(mainD),
      '--icon': a('icon-color') || fg(main), '--icon-d': a('icon-dark-color') || a('icon-color') || fg(mainD),
      '--om': omL, '--om-fg': a('operator-message-text-color') || fg(omL),
      '--om-d': omDk, '--om-fg-d': a('operator-message-text-dark-color') || fg(omDk),
    };
    for (const [k, v] of Object.entries(set)) this.w.style.setProperty(k, v);
    const th = this.attr('theme');
    this.w.classList.toggle('tl', th === 'light');
    this.w.classList.toggle('td', th === 'dark');
  }

  // The preview mode (docs/widgets.md, for a settings page): in place after the
  // script element, open, two sample messages, the title from the attribute;
  // never connects and stores nothing.
  preview() {
    this.el.after(this.host);
    this.w.classList.add('pv');
    this.title.textContent = this.attr('preview') || this.t.messages;
    this.panel.setAttribute('aria-label', this.title.textContent);
    this.panel.removeAttribute('aria-modal');
    this.panel.hidden = false;
    this.isOpen = true;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.online = true;
    this.chatId = 1;
    this.t.pv.forEach((text, i) => this.add({ id: i + 1, chatId: 1, seq: i + 1, author: i, status: 3, textMessage: text,
      createdAt: new Date().toISOString() }));
    this.renderSub();
    this.setState('preview');
  }

  open() {
    this.isOpen = true;
    this.panel.hidden = false;
    this.launcher.setAttribute('aria-expanded', 'true');
    this.w.classList.add('open');
    this.scroll();
    const f = this.panel.querySelector('input:not(.file), textarea');
    (f || this.panel.querySelector('button')).focus();
    this.markRead();
  }

  close() {
    this.isOpen = false;
    this.panel.hidden = true;
    this.w.classList.remove('open');
    this.launcher.setAttribute('aria-expanded', 'false');
    this.launcher.focus();
  }

  panelKey(e) {
    if (e.key === 'Escape') { e.preventDefault(); this.close(); return; }
    if (e.key !== 'Tab') return;
    const f = [...this.panel.querySelectorAll('button, textarea, input:not(.file), a[href], [tabindex="0"]')]
      .filter((x) => !x.disabled && x.offsetParent !== null);
    if (!f.length) return;
    const cur = this.root.activeElement;
    if (e.shiftKey && cur === f[0]) { e.preventDefault(); f[f.length - 1].focus(); }
    else if (!e.shiftKey && cur === f[f.length - 1]) { e.preventDefault(); f[0].focus(); }
  }

  fail(code, text, cause, soft) {
    if (!this.err) { emit(this.el, 'chathub:error', { code, message: text }); return; }
    this.setState('error');
    this.err.textContent = text;
    this.err.hidden = false;
    if (!soft) {
      this.title.textContent = text;
      this.foot.hidden = true;
      if (this.hub) { this.hub.stop(); this.hub = null; }
    }
    const detail = { code, message: text };
    if (cause && cause.message) detail.cause = cause.message;
    emit(this.el, 'chathub:error', detail);
  }

  // ---- flow ----
  async boot(gen) {
    const t = this.t;
    if (!this.guid) { this.fail('invalid_guid', t.noGuid); return; }
    const cfg = await api(`api/widget/${encodeURIComponent(this.guid)}/config`);
    if (gen !== this.gen) return;
    if (cfg.status === 404 || cfg.status === 400) { this.fail('invalid_guid', t.noGuid); return; }
    if (cfg.status !== 200 || !cfg.json) { this.fail('server', t.network); return; }
    this.cfg = cfg.json;
    this.title.textContent = this.cfg.title || '';
    this.panel.setAttribute('aria-label', this.cfg.title || t.messages);
    this.online = !!this.cfg.operatorsOnline;
    this.applyHours(this.cfg.businessHours, gen);
    const saved = store.get(this.key);
    if (!saved.visitorToken && this.cfg.prechatForm && !this.jwt) {
      this.prechat(gen);
      this.setState('ready');
      emit(this.el, 'chathub:ready', { guid: this.guid });
      return;
    }
    await this.session(gen, {});
  }

  prechat(gen) {
    const t = this.t;
    const name = h('input', { id: 'chw-name', name: 'name', autocomplete: 'name', required: true });
    const email = h('input', { id: 'chw-email', name: 'email', type: 'email', autocomplete: 'email', required: true });
    const phone = h('input', { id: 'chw-phone', name: 'phone', type: 'tel', autocomplete: 'tel', maxlength: 64 });
    const msg = h('p', { class: 'ferr', role: 'alert' });
    const go = h('button', { type: 'submit', class: 'btn' }, t.start);
    const form = h('form', { class: 'pre', novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      const n = name.value.trim();
      const m = email.value.trim();
      if (!n) { msg.textContent = t.name; name.focus(); return; }
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(m)) {
        msg.textContent = t.badEmail; email.setAttribute('aria-invalid', 'true'); email.focus(); return;
      }
      msg.textContent = '';
      go.disabled = true;
      const p = phone.value.trim();
      try { await this.session(gen, p ? { name: n, email: m, phone: p } : { name: n, email: m }); }
      catch (err) { if (gen === this.gen) this.fail('network', t.network, err); }
    } },
    h('p', { class: 'intro' }, t.intro),
    h('label', { for: 'chw-name' }, t.name), name,
    h('label', { for: 'chw-email' }, t.email), email,
    h('label', { for: 'chw-phone' }, t.phone), phone, msg,
    go);
    this.pre = form;
    this.foot.hidden = true;
    this.log.after(form);
  }

  async session(gen, extra) {
    const saved = store.get(this.key);
    // the page this session comes from, for the operator's view of the client
    const body = { ...extra, pageUrl: location.href, referrer: document.referrer, language: navigator.language };
    if (saved.visitorToken) body.visitorToken = saved.visitorToken;
    if (this.jwt) body.userJWT = this.jwt;
    let r = await api(`api/widget/${encodeURIComponent(this.guid)}/session`, body);
    if (gen !== this.gen) return;
    if (r.status === 401 && body.visitorToken) { // a stale visitor token: start afresh
      delete body.visitorToken;
      store.del(this.key);
      r = await api(`api/widget/${encodeURIComponent(this.guid)}/session`, body);
      if (gen !== this.gen) return;
    }
    if (r.status === 401) { this.fail('invalid_token', this.t.identity); return; }
    if (r.status === 404) { this.fail('invalid_guid', this.t.noGuid); return; }
    if (r.status !== 200 || !r.json || !r.json.visitorToken) { this.fail('server', this.t.network); return; }
    this.token = r.json.visitorToken;
    this.chatId = r.json.chatId || (body.visitorToken ? saved.chatId : null) || null;
    this.save();
    this.flushAttrs();
    this.hub = new HubClient({
      url: new URL('chathub', BASE).toString(),
      token: () => this.token,
      onEvent: (n, a) => this.event(n, a),
      onState: (s, info) => this.hubState(s, info),
      onReconnected: () => this.sync(),
    });
    if (this.pre) { // the pre-chat form is done: the composer takes its place
      this.pre.remove();
      this.pre = null;
      this.foot.hidden = false;
      this.input.focus();
    }
    await this.hub.start();
    if (gen !== this.gen) return;
    this.connected = true;
    this.err.hidden = true;
    await this.sync();
    if (gen !== this.gen) return;
    this.setState('ready');
    emit(this.el, 'chathub:ready', { guid: this.guid, chatId: this.chatId });
  }

  save() { store.set(this.key, { visitorToken: this.token, chatId: this.chatId }); }

  hubState(s, info) {
    // not connected yet (a CSP-blocked WebSocket, say): the client keeps retrying;
    // after a few attempts say so visibly instead of loading forever
    if (s === 'reconnecting' && !this.connected) {
      if (info && info.attempt === FAIL_AFTER) this.fail('network', this.t.network, null, true);
      return;
    }
    if (s === 'reconnecting') { this.setState('reconnecting'); this.banner.textContent = this.t.reconnecting; }
    if (s === 'connected') { if (this.w.dataset.state === 'reconnecting') this.setState('ready'); }
    this.banner.hidden = s !== 'reconnecting';
    if (s === 'error') {
      this.hub = null;
      if (info && /token/.test(info.code || '')) store.del(this.key);
      this.fail(info && info.code ? info.code : 'server', this.t.network);
    }
  }

  /** Sync the chat we hold (from its last seq) plus whatever the server says is open. */
  async sync() {
    const hub = this.hub;
    if (!hub) return;
    const at = this.atBottom();
    let below = false;
    for (let round = 0; round < 50; round++) {
      // a chat we hold nothing of starts from its latest page, not from seq 1
      if (this.chatId && !this.lastSeq.has(this.chatId) && !(await this.latest(hub))) return;
      const chats = {};
      if (this.chatId) chats[this.chatId] = this.lastSeq.get(this.chatId) || 0;
      const r = await hub.invokeReliable('Sync', { chats });
      if (hub !== this.hub || !r) return;
      for (const c of r.chats || []) this.chats.set(c.id, c);
      for (const m of r.messages || []) below = this.add(m) || below;
      const cur = this.chats.get(this.chatId);
      const open = (r.chats || []).filter((c) => c.chatStatus !== 4 && c.id !== this.chatId);
      if ((!cur || cur.chatStatus === 4) && open.length) { // another tab started a new chat
        this.chatId = open[open.length - 1].id;
        this.save();
        continue;
      }
      if (!r.truncated) break;
    }
    this.renderChat();
    this.follow(at, below);
  }

  /** Replaces the transcript (pending sends stay) with the latest page of the current chat. */
  async latest(hub) {
    let ms;
    try { ms = await hub.invokeReliable('GetMessages', this.chatId, null, FIRST); } catch { ms = []; }
    if (hub !== this.hub) return false;
    for (const x of [...this.log.children]) if (!x.hasAttribute('data-pending')) x.remove();
    for (const [k, e] of this.msgs) if (!e.el.isConnected) this.msgs.delete(k);
    for (const [k, e] of this.cmids) if (!e.el.isConnected) this.cmids.delete(k);
    this.gap = false;
    if (!this.lastSeq.has(this.chatId)) this.lastSeq.set(this.chatId, 0);
    for (const m of ms || []) this.add(m, true);
    this.scroll();
    return true;
  }

  atBottom() { const l = this.log; return l.scrollHeight - l.scrollTop - l.clientHeight < 40; }

  /** After messages arrived: follow them if the visitor was at the bottom, else offer a jump. */
  follow(at, below) {
    if (!below) return;
    if (at && !this.gap) this.scroll();
    else this.newBtn.hidden = false;
  }

  toLatest() {
    this.newBtn.hidden = true;
    if (this.gap && this.hub) this.latest(this.hub);
    else this.scroll();
  }

  scrolled() {
    if (this.log.scrollTop < 60) this.older();
    if (this.atBottom()) {
      if (this.gap) this.newer();
      else this.newBtn.hidden = true;
    }
  }

  /** The first or last rendered (acknowledged) message element. */
  edge(last) {
    const all = this.log.querySelectorAll('[data-seq]:not([data-pending])');
    return all[last ? all.length - 1 : 0] || null;
  }

  async page(fn) {
    if (this.busy || !this.hub) return;
    this.busy = true;
    try { await fn(this.hub); } catch { /* offline: the next scroll retries */ } finally { this.busy = false; }
  }

  older() {
    const first = this.edge(false);
    if (!first || Number(first.dataset.seq) <= 1) return;
    this.page(async (hub) => {
      const ms = await hub.invoke('GetMessages', Number(first.dataset.chat), Number(first.dataset.seq), PAGE);
      if (hub !== this.hub || first !== this.edge(false)) return;
      const l = this.log;
      const h0 = l.scrollHeight;
      for (const m of ms || []) this.add(m, true);
      l.scrollTop += l.scrollHeight - h0;
      this.trim(false);
    });
  }

  newer() {
    const last = this.edge(true);
    if (!last || Number(last.dataset.chat) !== this.chatId) { this.toLatest(); return; }
    const seq = Number(last.dataset.seq);
    this.page(async (hub) => {
      const ms = await hub.invoke('GetMessages', this.chatId, seq + PAGE + 1, PAGE);
      if (hub !== this.hub || last !== this.edge(true)) return;
      for (const m of ms || []) this.add(m, true);
      const end = this.edge(true);
      if (!end || Number(end.dataset.seq) >= (this.lastSeq.get(this.chatId) || 0)) this.gap = false;
      this.trim(true);
    });
  }

  /** Keeps at most WINDOW message elements: drops the far end from the top or the bottom. */
  trim(top) {
    const l = this.log;
    const n = l.childElementCount - WINDOW;
    if (n <= 0) return;
    const all = [...l.querySelectorAll('.msg:not([data-pending])')];
    const h0 = l.scrollHeight;
    for (const x of top ? all.slice(0, n) : all.slice(-n)) {
      x.remove();
      const e = this.msgs.get(Number(x.dataset.id));
      this.msgs.delete(Number(x.dataset.id));
      if (e && e.m.clientMessageId) this.cmids.delete(e.m.clientMessageId);
    }
    if (top) l.scrollTop -= h0 - l.scrollHeight;
    else this.gap = true;
  }

  event(name, a) {
    switch (name) {
      case 'ReceiveMessage': case 'ReceiveMediaMessage': {
        const at = this.atBottom();
        this.follow(at, this.add(a[0]));
        this.renderChat();
        break;
      }
      case 'MessageStatusChanged': this.status(a[0], a[1]); break;
      case 'MessageRedacted': { const e = a[0] && this.msgs.get(a[0].id); if (e) { e.m = a[0]; this.fill(e); } break; }
      case 'MessagesRead': if (a[2] === 'operator') this.readUpTo(a[0], a[1]); break;
      case 'Typing': if (a[0] === this.chatId && a[1] === 0) this.showTyping(); break;
      case 'ChatStatusChanged': {
        const c = this.chats.get(a[0]) || { id: a[0] };
        c.chatStatus = a[1];
        this.chats.set(a[0], c);
        if (a[0] === this.chatId) { this.renderChat(); this.sync(); }
        break;
      }
      case 'ChatRated': { // this tab or another rated it: the chat object with its csat
        const c = a[0];
        if (c && c.id) { this.chats.set(c.id, { ...(this.chats.get(c.id) || {}), ...c }); if (c.id === this.chatId) this.renderChat(); }
        break;
      }
      case 'OperatorPresence': if (a[0] === 0) { this.online = a[1] === 'online'; this.renderSub(); } break;
      default:
    }
  }

  // ---- transcript ----
  /** Adds (or acknowledges) a message; true when it was rendered as the newest one. With `paged`
   *  it comes from a history page; live ones beyond a gap are only counted, not rendered. */
  add(m, paged) {
    if (!m || !m.id) return false;
    const had = this.msgs.get(m.id);
    if (had) { if (m.status > had.m.status) this.setStatus(had, m.status); return false; }
    let e = m.clientMessageId ? this.cmids.get(m.clientMessageId) : null;
    if (e && e.m.id) return false;
    if ((this.lastSeq.get(m.chatId) || 0) < m.seq) this.lastSeq.set(m.chatId, m.seq);
    if (!e && !paged && this.gap) return true;
    if (e) {
      e.m = m;
      e.el.removeAttribute('data-pending');
      this.fill(e);
    } else {
      e = { m, el: h('div', { class: 'msg' }) };
      this.fill(e);
      if (m.clientMessageId) this.cmids.set(m.clientMessageId, e);
    }
    this.msgs.set(m.id, e);
    this.place(e);
    if (!this.chatId || (this.chatId !== m.chatId && (this.chats.get(this.chatId) || {}).chatStatus === 4
        && m.chatId > this.chatId)) {
      this.chatId = m.chatId;
      this.save();
    }
    if (m.author === 0) {
      if (m.operator && m.operator.name) this.opName = m.operator.name;
      this.typing.hidden = true;
      this.markRead();
    }
    const below = !paged && this.edge(true) === e.el;
    if (below) this.trim(true);
    return below;
  }

  /** Fills a message element from e.m (text, media, status, time). */
  fill(e) {
    const { m, el } = e;
    el.className = `msg a${m.author}`;
    el.setAttribute('data-author', m.author);
    el.setAttribute('data-status', m.status || 0);
    if (m.id) el.setAttribute('data-id', m.id);
    if (m.seq) el.setAttribute('data-seq', m.seq);
    if (m.chatId) el.setAttribute('data-chat', m.chatId);
    const body = h('div', { class: 'bubble' });
    if (m.media) body.append(this.media(m.media));
    if (m.textMessage) body.append(h('p', { class: 'text' }, richText(m.textMessage)));
    if (m.redacted) body.append(h('p', { class: 'text removed', 'data-redacted': '' }, this.t.removed));
    e.tick = m.author === 1 ? h('span', { class: 'tick', role: 'img' }) : null;
    const who = m.author === 0 && m.operator && m.operator.name ? h('span', { class: 'who' }, m.operator.name) : null;
    replace(el, body, h('div', { class: 'meta' }, who, m.createdAt ? clock(m.createdAt, this.t === T.uk ? 'uk' : 'en') : '',
      e.tick));
    this.setStatus(e, m.status || 0);
  }

  media(md) {
    let url = null;
    try { const u = new URL(md.url, BASE); if (/^https?:$/.test(u.protocol)) url = u.href; } catch { url = null; }
    const name = String(md.name || 'file');
    if (md.type === 1 && url) return h('img', { class: 'photo', src: url, alt: name, loading: 'lazy' });
    return url ? h('a', { class: 'fileln', href: url, target: '_blank', rel: 'noopener noreferrer', download: name },
      icon(I.clip), name) : h('span', { class: 'fileln' }, name);
  }

  setStatus(e, st) {
    e.m.status = st;
    e.el.setAttribute('data-status', st);
    if (!e.tick) return;
    const pending = e.el.hasAttribute('data-pending');
    e.tick.textContent = pending ? '…' : TICKS[st];
    e.tick.setAttribute('aria-label', pending ? this.t.sending : this.t.st[st]);
    e.tick.classList.toggle('read', st === 3);
  }

  /** Inserts e.el in (chatId, seq) order; pending messages stay last. */
  place(e) {
    const { chatId, seq } = e.m;
    let before = null; // scan from the end: most messages are the newest
    if (seq) {
      for (let x = this.log.lastElementChild; x; x = x.previousElementSibling) {
        if (x === e.el) continue;
        const c = Number(x.getAttribute('data-chat'));
        const s = Number(x.getAttribute('data-seq'));
        if (x.hasAttribute('data-pending') || c > chatId || (c === chatId && s > seq)) before = x;
        else break;
      }
    }
    if (!e.el.isConnected || (before !== e.el && e.el.nextElementSibling !== before)) this.log.insertBefore(e.el, before);
  }

  status(id, st) {
    const e = this.msgs.get(id);
    if (e) this.setStatus(e, st);
  }

  /** MessagesRead from the operator side: every own message up to seq is read. */
  readUpTo(chatId, seq) {
    for (const x of this.msgs.values()) {
      if (x.m.chatId === chatId && x.m.author === 1 && x.m.seq <= seq && x.m.status !== 3) this.setStatus(x, 3);
    }
  }

  scroll() { this.log.scrollTop = this.log.scrollHeight; }

  markRead() {
    let unread = 0;
    let top = 0;
    for (const e of this.msgs.values()) {
      if (e.m.author === 0 && e.m.chatId === this.chatId && e.m.status !== 3) { unread++; top = Math.max(top, e.m.seq); }
    }
    if (unread && this.isOpen && document.visibilityState !== 'hidden' && this.hub) {
      for (const e of this.msgs.values()) if (e.m.author === 0 && e.m.chatId === this.chatId) this.setStatus(e, 3);
      this.hub.latest(`read:${this.chatId}`, READ_EVERY_MS, 'MarkRead', this.chatId, top);
      unread = 0;
    }
    this.badge.textContent = unread > 9 ? '9+' : String(unread);
    this.badge.hidden = !unread;
    this.launcher.setAttribute('aria-label', unread ? `${this.t.open} (${this.t.unread(unread)})` : this.t.open);
  }

  renderSub() {
    const t = this.t;
    const c = this.chats.get(this.chatId);
    const name = (c && c.operator && c.operator.name) || this.opName;
    const open = this.online && !this.closed;
    this.sub.textContent = name && this.chatId && !this.ended ? t.chatWith(name) : (open ? t.online : '');
    this.off.hidden = open;
  }

  // Business hours (docs/widgets.md): while the organization is closed the
  // offline line shows, with its away message when it has one, whoever is
  // online; the configuration is read again around the opening.
  applyHours(bh, gen) {
    this.closed = !!(bh && bh.open === false);
    this.off.textContent = this.closed && bh.awayMessage ? bh.awayMessage : this.t.offline;
    this.off.setAttribute('data-hours', this.closed ? 'closed' : 'open');
    this.renderSub();
    if (!this.closed) return;
    const wait = bh.nextOpenAt ? Date.parse(bh.nextOpenAt) - Date.now() + 1000 : 600000;
    this.later(async () => {
      if (gen !== this.gen) return;
      let cfg = null;
      try { cfg = await api(`api/widget/${encodeURIComponent(this.guid)}/config`); } catch { /* next time */ }
      if (gen !== this.gen) return;
      this.applyHours(cfg && cfg.status === 200 && cfg.json ? cfg.json.businessHours : bh, gen);
    }, Math.min(Math.max(wait, 30000), 600000));
  }

  renderChat() {
    const c = this.chats.get(this.chatId);
    this.ended = !!(c && c.chatStatus === 4);
    this.note.hidden = !this.ended;
    this.note.setAttribute('role', 'status');
    if (this.ended) this.note.textContent = this.t.ended;
    this.renderRate(c);
    this.renderSub();
    this.markRead();
  }

  // ---- CSAT: a closed chat asks for a 1–5 rating (when the organization wants one) ----
  /** Not rated since it was last closed: no rating, or one older than its newest message (reopened since). */
  askRate(c) {
    return !!(this.ended && this.cfg && this.cfg.csatEnabled && c && (!c.csat || (c.lastMessageAt && c.lastMessageAt > c.csat.at)));
  }

  renderRate(c) {
    const t = this.t;
    if (this.rated === this.chatId && this.ended && c && c.csat && !this.askRate(c)) { // rated here: thanks
      if (this.rate.dataset.state !== 'thanks') {
        this.rate.dataset.state = 'thanks';
        replace(this.rate, h('p', { class: 'thanks', role: 'status' }, t.rateThanks));
      }
      this.rate.hidden = false;
      return;
    }
    if (!this.askRate(c)) { this.rate.hidden = true; this.rate.dataset.state = ''; return; }
    this.rate.hidden = false;
    if (this.rate.dataset.state === `ask:${c.id}`) return; // keep what the visitor has chosen
    this.rate.dataset.state = `ask:${c.id}`;
    const group = `chw-rate-${c.id}`;
    const stars = [1, 2, 3, 4, 5].map((n) => h('label', { class: 'star' },
      h('input', { type: 'radio', name: group, value: String(n), 'aria-label': t.rateN(n),
        onchange: () => { for (const s of stars) s.classList.toggle('on', Number(s.firstChild.value) <= n); } }),
      h('span', { 'aria-hidden': 'true' }, '★')));
    const comment = h('textarea', { id: `${group}-c`, rows: '2', maxlength: '1000' });
    const msg = h('p', { class: 'ferr', role: 'alert' });
    const go = h('button', { type: 'submit', class: 'btn' }, t.rateSend);
    replace(this.rate, h('form', { class: 'rf', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      const pick = this.rate.querySelector('input[type=radio]:checked');
      if (!pick) { msg.textContent = t.rateNeed; stars[0].firstChild.focus(); return; }
      msg.textContent = '';
      go.disabled = true;
      this.sendRate(c.id, Number(pick.value), comment.value.trim(), msg).finally(() => { go.disabled = false; });
    } },
    h('fieldset', {}, h('legend', {}, t.rateQ),
      h('div', { class: 'stars' }, h('span', { class: 'rl' }, t.rateLow), stars, h('span', { class: 'rl' }, t.rateHigh))),
    h('label', { for: `${group}-c` }, t.rateComment), comment, msg, go));
  }

  async sendRate(chatId, rating, comment, msg) {
    let r = null;
    try {
      r = await api(`api/widget/${encodeURIComponent(this.guid)}/csat`,
        comment ? { chatId, rating, comment } : { chatId, rating }, this.token);
    } catch { /* the network: said below */ }
    const done = r && (r.status === 200 || (r.status === 409 && /already rated/.test((r.json && r.json.message) || '')));
    if (!done) { msg.textContent = this.t.rateFail; return; }
    const c = this.chats.get(chatId) || { id: chatId };
    if (r.status === 200 && r.json) Object.assign(c, r.json);
    else c.csat = c.csat || { rating };
    this.chats.set(chatId, c);
    this.rated = chatId;
    if (chatId === this.chatId) this.renderChat();
    emit(this.el, 'chathub:rated', { chatId, rating });
  }

  showTyping() {
    this.typing.hidden = false;
    if (this.typingTimer) { clearTimeout(this.typingTimer); this.timers.delete(this.typingTimer); }
    this.typingTimer = this.later(() => { this.typing.hidden = true; }, TYPING_SHOW_MS);
  }

  typed() {
    const now = Date.now();
    if (!this.chatId || this.ended || !this.hub || this.hub.state !== 'connected' || now - this.lastTyping < TYPING_SEND_MS) return;
    this.lastTyping = now;
    this.hub.invoke('Typing', this.chatId).catch(() => {});
  }

  /** The chat a new message goes to: null starts (or continues) the visitor's open chat. */
  target() { return this.ended ? null : this.chatId; }

  pending(text) {
    const cmid = newId();
    const e = { m: { id: 0, chatId: this.target(), author: 1, status: 0, textMessage: text, clientMessageId: cmid,
      createdAt: new Date().toISOString() }, el: h('div', { class: 'msg', 'data-pending': '' }) };
    this.fill(e);
    this.cmids.set(cmid, e);
    this.log.append(e.el);
    this.note.hidden = true;
    if (this.gap) this.toLatest();
    this.newBtn.hidden = true;
    this.scroll();
    return e;
  }

  delivered(e, p) {
    p.then((m) => { this.add(m); this.renderChat(); }).catch((err) => {
      if (!e.el.isConnected || e.m.id) return;
      e.el.removeAttribute('data-pending');
      this.setStatus(e, 2);
      e.el.append(h('p', { class: 'ferr' }, this.t.failed, err && err.hub ? ` (${err.message})` : ''));
    });
  }

  submit() {
    const text = this.input.value.trim();
    if (!text || !this.hub) return;
    this.input.value = '';
    const e = this.pending(text);
    this.delivered(e, this.hub.invokeReliable('SendMessage', e.m.chatId, text, e.m.clientMessageId));
  }

  async sendFile() {
    const f = this.file.files && this.file.files[0];
    this.file.value = '';
    if (!f || !this.hub) return;
    this.note.hidden = true;
    let p;
    try { p = await readMedia(f); } catch { return; }
    const e = this.pending('');
    e.m.media = { name: p.Name, type: p.Type };
    this.fill(e);
    const body = JSON.stringify({ chatId: e.m.chatId, clientMessageId: e.m.clientMessageId,
      media: { name: p.Name, format: p.Format, dataBase64: p.DataBase64, type: p.Type } });
    const gen = this.gen;
    // over HTTP (a hub message holds 64 KiB at most); the same clientMessageId on every
    // retry, so a network failure or 5xx retried with backoff stores it exactly once
    for (let i = 1; gen === this.gen; i++) {
      let r = null;
      try {
        r = await fetch(new URL(`api/widget/${encodeURIComponent(this.guid)}/message`, BASE), { method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` }, body });
      } catch { /* offline: retry */ }
      if (gen !== this.gen) return;
      if (r && r.ok) {
        const m = await r.json().catch(() => null);
        if (m && m.id) { this.add(m); this.renderChat(); }
        return;
      }
      if (r && r.status < 500 && r.status !== 429) {
        const j = await r.json().catch(() => ({}));
        e.el.remove();
        this.cmids.delete(e.m.clientMessageId);
        this.note.setAttribute('role', 'alert');
        this.note.textContent = r.status === 413 ? this.t.tooBig : this.t.upFail + (j.message || r.status);
        this.note.hidden = false;
        return;
      }
      await new Promise((res) => this.later(res, Math.random() * Math.min(15000, 500 * 2 ** Math.min(i, 10))));
    }
  }
}

watchScripts('script[id^="chat-widget-script"]', ATTRS, {
  mount: (el) => new Widget(el),
  unmount: (w) => w.destroy(),
  update: (w, attr) => { if (LOOK.includes(attr)) w.applyColors(); else { w.stop(); w.start(); } },
});
