// operator-chat-panel/widget-script.js — the operator's real-time console,
// embedded with <script type="module" id="operator-chat-panel-script" token="…">.
// One panel per matching script element (watchScripts): removed element →
// panel unmounted (connection, timers, listeners, DOM, title badge); `token`
// changed → reconnect with the new token. Everything renders in a Shadow DOM
// styled only through a constructable stylesheet (strict-CSP safe).
import { h, icon, shadowHost, richText, newId, emit, clock, pickLang, watchScripts, replace, readMedia }
  from '../shared/dom.js';
import { HubClient } from '../shared/hub-client.js';
import { CSS } from './style.js';

const SERVER = new URL('..', import.meta.url);
const HUB_URL = new URL('chathub', SERVER).toString();
const PAGE = 50;          // messages per history page
const MAX_DOM = 300;      // messages rendered at most
const MAX_FILE = 10 * 1024 * 1024; // the server's default media_max_bytes; a smaller limit answers 413
const READ_EVERY_MS = 300; // MarkRead at most this often per chat (a burst of messages is one read)

const T = {
  en: {
    title: 'Chats', open: 'Open chats', close: 'Close panel', queue: 'Queue', mine: 'My chats', empty: 'No chats',
    pick: 'Select a chat', message: 'Message', send: 'Send', attach: 'Attach file', loading: 'Connecting…',
    reconnecting: 'Reconnecting…', earlier: 'Load earlier', latest: 'Show latest', take: 'Take', pause: 'Pause', resume: 'Resume',
    closeChat: 'Close chat', reopen: 'Reopen', transfer: 'Transfer', transferTo: 'Transfer to', online: 'Online',
    away: 'Away', offline: 'Offline', presence: 'Presence', typing: 'Client is typing…', unread: 'unread', back: 'Back to chats',
    st: ['New', 'Open', 'Waiting', 'On pause', 'Closed'], src: ['', 'Viber', 'Telegram', 'Widget', 'API'],
    sent: 'Sent', read: 'Read', rejected: 'Not delivered', pending: 'Sending', operator: 'Operator',
    tooBig: 'File too large', conversation: 'Conversation', chats: 'Chat list',
    err: { invalid_token: 'The operator token is missing or invalid.', token_expired: 'The operator token has expired.',
      token_revoked: 'This operator has been deactivated (token revoked).', network: 'Cannot reach the chat server.',
      server: 'The chat server refused the connection.' },
  },
  uk: {
    title: 'Чати', open: 'Відкрити чати', close: 'Закрити панель', queue: 'Черга', mine: 'Мої чати', empty: 'Немає чатів',
    pick: 'Оберіть чат', message: 'Повідомлення', send: 'Надіслати', attach: 'Прикріпити файл', loading: 'Підключення…',
    reconnecting: 'Перепідключення…', earlier: 'Завантажити раніші', latest: 'Показати останні', take: 'Взяти', pause: 'Пауза',
    resume: 'Продовжити', closeChat: 'Закрити чат', reopen: 'Відкрити знову', transfer: 'Передати',
    transferTo: 'Передати оператору', online: 'Онлайн', away: 'Відійшов', offline: 'Не в мережі', presence: 'Присутність',
    typing: 'Клієнт друкує…', unread: 'непрочитаних', back: 'До списку чатів',
    st: ['Новий', 'Відкритий', 'Очікує', 'На паузі', 'Закритий'], src: ['', 'Viber', 'Telegram', 'Віджет', 'API'],
    sent: 'Надіслано', read: 'Прочитано', rejected: 'Не доставлено', pending: 'Надсилається', operator: 'Оператор',
    tooBig: 'Файл завеликий', conversation: 'Розмова', chats: 'Список чатів',
    err: { invalid_token: 'Токен оператора відсутній або недійсний.', token_expired: 'Термін дії токена оператора минув.',
      token_revoked: 'Оператора деактивовано (токен відкликано).', network: 'Немає зʼєднання з сервером чату.',
      server: 'Сервер чату відхилив зʼєднання.' },
  },
};

const P = {
  chat: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z',
  close: 'M19 6.4L17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z',
  send: 'M2 21l21-9L2 3v7l15 2-15 2z',
  clip: 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z',
  back: 'M15.4 7.4L14 6l-6 6 6 6 1.4-1.4L10.8 12z',
};

// ---- title badge shared by all panels of the page ----
const badges = new Map();
function setBadge(inst, n) {
  const before = [...badges.values()].reduce((a, b) => a + b, 0);
  if (n > 0) badges.set(inst, n); else badges.delete(inst);
  const total = [...badges.values()].reduce((a, b) => a + b, 0);
  if (total === before && (total === 0 || /^\(\d+\) /.test(document.title))) return;
  const bare = document.title.replace(/^\(\d+\) /, '');
  document.title = total ? `(${total}) ${bare}` : bare;
}

function claims(token) {
  try {
    const p = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(p + '='.repeat((4 - (p.length % 4)) % 4)));
  } catch { return null; }
}

let launchers = 0;

function mount(script) {
  const inst = new Panel(script);
  inst.start();
  return inst;
}

class Panel {
  constructor(script) {
    this.el = script;
    this.ac = new AbortController();
    this.timers = new Set();
    this.lang = pickLang(script.getAttribute('lang'), ['en', 'uk']);
    this.t = T[this.lang];
    const sel = script.getAttribute('container');
    this.container = sel ? document.querySelector(sel) : null;
    this.inline = !!this.container;
    this.slot = this.inline ? 0 : launchers++;
    this.open = this.inline;
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
    if (this.audio) this.audio.close().catch(() => {});
    if (!this.inline) launchers = Math.max(0, launchers - 1);
  }

  later(fn, ms) {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
    return t;
  }

  /** The organization's operators with status and presence (the transfer list). */
  async loadColleagues() {
    try {
      const r = await fetch(new URL('api/operator/colleagues', SERVER),
        { headers: { Authorization: `Bearer ${this.token}` }, signal: this.ac.signal });
      if (!r.ok) return;
      for (const o of await r.json()) {
        this.colleagues.set(o.id, { ...this.colleagues.get(o.id), name: o.name, status: o.status, presence: o.presence });
      }
      if (this.selected) this.render();
    } catch { /* offline or unmounted: presence events keep the list */ }
  }

  async loaded() {
    this.connected = true;
    this.loadColleagues();
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
        const { isNew } = this.chat(a[0]);
        const c = a[0];
        if (isNew || (name === 'ChatAssigned' && c.operator && c.operator.id === this.me)) this.beep();
        break;
      }
      case 'ReceiveMessage': case 'ReceiveMediaMessage': this.addMsg(a[0], true); break;
      case 'ChatStatusChanged': { const x = this.chats.get(a[0]); if (x) x.c.chatStatus = a[1]; break; }
      case 'MessagesRead': { // (chatId, seq, reader): the client read the operator side's messages up to seq
        const x = a[2] === 'client' && this.chats.get(a[0]);
        if (x) for (const m of x.msgs.values()) if (m.author !== 1 && m.seq <= a[1] && (m.status || 0) < 3) m.status = 3;
        break;
      }
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
      default: return;
    }
    this.render();
  }

  beep() {
    try {
      this.audio = this.audio || new AudioContext();
      const o = this.audio.createOscillator();
      const g = this.audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.05;
      o.connect(g); g.connect(this.audio.destination);
      o.start(); o.stop(this.audio.currentTime + 0.15);
    } catch { /* no audio */ }
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

  async select(id) {
    this.selected = id;
    this.typing.hidden = true;
    const x = this.chats.get(id);
    this.root.classList.add('has-chat');
    this.render();
    if (x && !x.loaded) {
      x.loaded = true;
      await this.loadEarlier(id, null);
    }
    if (this.viewing(id)) this.markRead(id);
    this.render(true);
    this.input.focus();
  }

  async loadEarlier(id, before) {
    const x = this.chats.get(id);
    try {
      const ms = await this.client.invoke('GetMessages', id, before, PAGE);
      for (const m of ms) if (!x.msgs.has(m.seq)) x.msgs.set(m.seq, m);
      if (ms.length < PAGE) x.complete = true;
    } catch { x.loaded = before !== null; }
  }

  async earlier() {
    const x = this.chats.get(this.selected);
    if (!x) return;
    const log = this.log;
    const fromBottom = log.scrollHeight - log.scrollTop;
    const n = x.msgs.size;
    if (n <= x.show && !x.complete) {
      const first = Math.min(...x.msgs.keys());
      await this.loadEarlier(this.selected, Number.isFinite(first) ? first : null);
    }
    x.show = Math.min(x.msgs.size, x.show + PAGE);
    this.renderLog();
    log.scrollTop = log.scrollHeight - fromBottom;
  }

  send() {
    const id = this.selected;
    const text = this.input.value.trim();
    if (!id || !text || !this.client) return;
    this.input.value = '';
    const x = this.chats.get(id);
    if (x.show > MAX_DOM) x.show = PAGE;
    const cmid = newId();
    x.pending.set(cmid, { textMessage: text, clientMessageId: cmid, author: 0, createdAt: new Date().toISOString() });
    this.render(true);
    this.client.invokeReliable('SendMessage', id, text, cmid).then((m) => {
      if (m) this.addMsg(m, false);
      this.render(true);
    }, (e) => { x.pending.delete(cmid); this.flash(e.message); this.render(); });
  }

  async sendFile(file) {
    const id = this.selected;
    if (!id || !file) return;
    if (file.size > MAX_FILE) { this.flash(this.t.tooBig); return; }
    const md = await readMedia(file);
    const cmid = newId();
    const x = this.chats.get(id);
    x.pending.set(cmid, { textMessage: '', author: 0, clientMessageId: cmid, media: { name: file.name } });
    this.render(true);
    try {
      const r = await fetch(new URL(`api/chat/${id}/message`, SERVER), {
        method: 'POST', headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ author: 0, textMessage: '', clientMessageId: cmid,
          media: { name: md.Name, format: md.Format, dataBase64: md.DataBase64, type: md.Type } }),
      });
      const m = await r.json();
      if (!r.ok) throw new Error(m.message || r.statusText);
      this.addMsg(m, false);
    } catch (e) { x.pending.delete(cmid); this.flash(e.message); }
    this.render(true);
  }

  onInput() {
    const now = Date.now();
    if (this.selected && this.client && now - (this.lastTyping || 0) > 2000) {
      this.lastTyping = now;
      this.client.invoke('Typing', this.selected).catch(() => {});
    }
  }

  setOpen(open) {
    if (this.inline) return;
    this.open = open;
    this.panel.hidden = !open;
    this.launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      if (this.selected) this.markRead(this.selected);
      (this.shadow.querySelector('.list button') || this.closeBtn).focus();
    } else this.launcher.focus();
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
    this.closeBtn = this.inline ? null : h('button', { type: 'button', class: 'icon', 'aria-label': t.close,
      onclick: () => this.setOpen(false) }, icon(P.close));
    this.list = h('nav', { class: 'list', 'aria-label': t.chats });
    this.convHead = h('div', { class: 'convhead' });
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.conversation, tabindex: '0' });
    this.log.addEventListener('scroll', () => {
      const x = this.chats.get(this.selected);
      if (this.log.scrollTop < 4 && x && !this.loadingEarlier && (x.msgs.size > x.show || !x.complete)
        && x.msgs.size) {
        this.loadingEarlier = true;
        this.earlier().finally(() => { this.loadingEarlier = false; });
      }
    });
    this.typing = h('div', { class: 'typing', 'data-typing': '', hidden: true, 'aria-live': 'polite' }, t.typing);
    this.input = h('textarea', { 'aria-label': t.message, rows: '2', placeholder: t.message,
      oninput: () => this.onInput(),
      onkeydown: (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.send(); } } });
    this.file = h('input', { type: 'file', class: 'file', tabindex: '-1', 'aria-hidden': 'true',
      onchange: () => { const f = this.file.files[0]; this.file.value = ''; this.sendFile(f); } });
    this.composer = h('div', { class: 'composer' },
      h('button', { type: 'button', class: 'icon', 'aria-label': t.attach, onclick: () => this.file.click() }, icon(P.clip)),
      this.file, this.input,
      h('button', { type: 'button', class: 'icon primary', 'aria-label': t.send, onclick: () => this.send() }, icon(P.send)));
    this.conv = h('section', { class: 'conv', 'aria-label': t.conversation }, this.convHead, this.log, this.typing,
      this.composer);
    this.panel = h('div', { class: 'panel', tabindex: '-1', role: this.inline ? 'region' : 'dialog', 'aria-label': t.title,
      'aria-modal': this.inline ? null : 'true', hidden: !this.open },
    h('header', { class: 'top' }, h('h2', { text: t.title }), this.presenceBtn, this.closeBtn),
    this.banner, this.errBox, this.note,
    h('div', { class: 'body' }, this.list, this.conv));
    this.badge = h('span', { class: 'badge', hidden: true });
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

  onKey(e) {
    if (e.key === 'Escape' && !this.inline && this.open) { e.preventDefault(); this.setOpen(false); return; }
    if (e.key !== 'Tab' || this.inline || !this.open) return;
    const f = [...this.panel.querySelectorAll('button, textarea, select, [tabindex="0"]')]
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

  draw(stick) {
    const t = this.t;
    const visible = [...this.chats.values()].filter((x) => x.c);
    const queue = visible.filter((x) => !x.c.operator && x.c.chatStatus !== 4);
    const mine = visible.filter((x) => x.c.operator && x.c.operator.id === this.me);
    const byTime = (a, b) => String(b.c.lastMessageAt || b.c.createdAt).localeCompare(String(a.c.lastMessageAt || a.c.createdAt));
    const item = (x) => {
      const c = x.c;
      const n = c.countUnread || 0;
      return h('li', null, h('button', { type: 'button', class: 'item', 'data-chat-id': c.id,
        'aria-current': c.id === this.selected ? 'true' : null, onclick: () => this.select(c.id) },
      h('span', { class: 'row' }, h('b', { class: 'name', text: (c.client && c.client.name) || c.theme || `#${c.id}` }),
        n ? h('span', { class: 'count', 'data-unread': n, 'aria-label': `${n} ${t.unread}` }, String(n)) : null),
      h('span', { class: 'meta', text: `${t.src[c.source] || ''} · ${t.st[c.chatStatus] || ''}` }),
      h('span', { class: 'last', text: c.lastMessage || '' })));
    };
    const section = (label, key, arr) => h('div', { class: 'sect', 'data-list': key },
      h('h3', { text: `${label} (${arr.length})` }),
      arr.length ? h('ul', null, arr.sort(byTime).map(item)) : h('p', { class: 'muted', text: t.empty }));
    const fa = this.shadow.activeElement;
    const focusChat = fa && this.list.contains(fa) && fa.getAttribute('data-chat-id');
    replace(this.list, section(t.queue, 'queue', queue), section(t.mine, 'mine', mine));
    if (focusChat) {
      const nb = this.list.querySelector(`[data-chat-id="${focusChat}"]`);
      (nb || this.list.querySelector('button') || this.panel).focus();
    }

    this.presenceBtn.textContent = this.presence === 'online' ? t.online : t.away;
    this.presenceBtn.setAttribute('aria-pressed', String(this.presence === 'online'));
    this.presenceBtn.setAttribute('aria-label', `${t.presence}: ${this.presenceBtn.textContent}`);
    this.presenceBtn.className = `presence ${this.presence}`;

    const unread = [...queue, ...mine].reduce((a, x) => a + (x.c.countUnread || 0), 0);
    if (this.badge) {
      const err = this.state === 'error';
      this.badge.hidden = !unread && !err;
      this.badge.textContent = err ? '!' : String(unread);
    }
    setBadge(this, unread && (!this.open || document.hidden) && this.state !== 'error' ? unread : 0);

    const x = this.chats.get(this.selected);
    this.conv.hidden = !x;
    this.root.classList.toggle('has-chat', !!x);
    if (!x) return;
    const c = x.c;
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
    const keep = this.shadow.activeElement;
    const keepKey = keep && keep.getAttribute && keep.getAttribute('data-action');
    replace(this.convHead,
      this.inline ? null : h('button', { type: 'button', class: 'icon back', 'aria-label': t.back,
        onclick: () => { this.selected = null; this.render(); (this.list.querySelector('button') || this.closeBtn).focus(); } },
      icon(P.back)),
      h('div', { class: 'who' }, h('h3', { text: (c.client && c.client.name) || c.theme || `#${c.id}` }),
        h('span', { class: 'meta', 'data-status-label': c.chatStatus, text: `${t.src[c.source] || ''} · ${t.st[c.chatStatus] || ''}` +
          (c.operator ? ` · ${c.operator.name}` : '') })),
      h('div', { class: 'acts' }, acts));
    if (keepKey) { const b = this.convHead.querySelector(`[data-action="${keepKey}"]`); if (b) b.focus(); }
    this.renderLog(stick);
  }

  renderLog(stick) {
    const x = this.chats.get(this.selected);
    if (!x) return;
    const t = this.t;
    const log = this.log;
    const atBottom = stick || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const seqs = [...x.msgs.keys()].sort((a, b) => a - b);
    // the DOM holds at most MAX_DOM messages: paging further back moves the window
    const shown = seqs.slice(-x.show).slice(0, MAX_DOM);
    const windowed = x.show > MAX_DOM;
    const more = seqs.length > x.show || (!x.complete && seqs.length && seqs[0] > 1);
    const msg = (m, pending) => {
      const mine = m.author === 0;
      const st = pending ? null : m.status || 0;
      const mark = pending ? '…' : st === 3 ? '✓✓' : st === 2 ? '!' : '✓';
      const label = pending ? t.pending : st === 3 ? t.read : st === 2 ? t.rejected : t.sent;
      const media = m.media ? (m.media.url && m.media.type === 1
        ? h('a', { href: new URL(m.media.url, SERVER).toString(), target: '_blank', rel: 'noopener noreferrer' },
          h('img', { src: new URL(m.media.url, SERVER).toString(), alt: m.media.name || '', class: 'photo' }))
        : m.media.url ? h('a', { class: 'fileln', href: new URL(m.media.url, SERVER).toString(), target: '_blank',
          rel: 'noopener noreferrer', text: m.media.name || 'file' })
          : h('span', { class: 'fileln', text: m.media.name || 'file' })) : null;
      return h('div', { class: `msg a${m.author}`, 'data-seq': pending ? null : m.seq, 'data-author': m.author,
        'data-status': pending ? 0 : st, 'data-pending': pending ? '' : null,
        'data-client-message-id': m.clientMessageId || null },
      m.author === 0 && m.operator && m.operator.id !== this.me ? h('span', { class: 'by', text: m.operator.name }) : null,
      media, m.textMessage ? h('div', { class: 'text' }, richText(m.textMessage)) : null,
      h('span', { class: 'time' }, pending ? '' : clock(m.createdAt, this.lang),
        mine ? h('span', { class: 'tick', role: 'img', 'aria-label': label }, ` ${mark}`) : null));
    };
    const refocus = this.shadow.activeElement && this.shadow.activeElement.classList.contains('earlier');
    replace(log,
      more ? h('button', { type: 'button', class: 'earlier', onclick: () => this.earlier() }, t.earlier) : null,
      shown.map((s) => msg(x.msgs.get(s), false)),
      windowed ? h('button', { type: 'button', class: 'earlier', 'data-latest': '',
        onclick: () => { x.show = PAGE; this.renderLog(true); } }, t.latest) : null,
      windowed ? null : [...x.pending.values()].map((m) => msg(m, true)));
    if (atBottom) log.scrollTop = log.scrollHeight;
    if (refocus) (log.querySelector('.earlier') || log).focus();
  }
}

watchScripts('script[id^="operator-chat-panel-script"]', ['token', 'lang', 'theme'], {
  mount,
  unmount: (inst) => inst.unmount(),
  update: (inst, attr) => inst.update(attr),
});
