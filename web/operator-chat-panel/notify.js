// operator-chat-panel/notify.js — what tells the operator something happened
// while they look elsewhere: the page-wide title badge "(n) Title" shared by
// every panel of the page, the new-chat sound, and desktop notifications.
//
// Desktop notifications (Notification API) follow the browser's rules and the
// operator's: permission is asked only from a click on the panel's visible
// bell control (never on load), and a notification is shown only while the tab
// is hidden (a visible panel already shows the chat). Clicking one focuses the
// tab and opens the chat. Kinds: a new chat, a new client message in one's own
// chats, and a mention (a colleague's note naming the operator).

// ---- title badge shared by all panels of the page ----
const badges = new Map();
export function setBadge(inst, n) {
  const before = [...badges.values()].reduce((a, b) => a + b, 0);
  if (n > 0) badges.set(inst, n); else badges.delete(inst);
  const total = [...badges.values()].reduce((a, b) => a + b, 0);
  if (total === before && (total === 0 || /^\(\d+\) /.test(document.title))) return;
  const bare = document.title.replace(/^\(\d+\) /, '');
  document.title = total ? `(${total}) ${bare}` : bare;
}

/** The Notification API, when this browser has one. */
const api = () => (typeof window.Notification === 'function' ? window.Notification : null);

export class Notifier {
  /** @param {object} o {onOpen(chatId), lang} */
  constructor(o) {
    this.o = o;
    this.shown = new Set();
    this.audio = null;
  }

  /** 'unsupported' | 'default' | 'granted' | 'denied' */
  get permission() {
    const N = api();
    return N ? N.permission : 'unsupported';
  }

  /** Asks for permission; call only from a user's click. */
  async ask() {
    const N = api();
    if (!N || N.permission !== 'default') return this.permission;
    try { await N.requestPermission(); } catch { /* older callback form or refused */ }
    return this.permission;
  }

  /**
   * Shows `title`/`body` for `chatId` when the tab is hidden and permission is
   * granted; `tag` coalesces repeated notifications of one chat.
   */
  show({ title, body, chatId, tag }) {
    const N = api();
    if (!N || N.permission !== 'granted' || !document.hidden) return null;
    try {
      const n = new N(title, { body: String(body || '').slice(0, 200), tag: tag || `chathub-${chatId}` });
      this.shown.add(n);
      n.onclick = () => {
        try { window.focus(); } catch { /* not allowed */ }
        n.close();
        if (chatId) this.o.onOpen(chatId);
      };
      n.onclose = () => this.shown.delete(n);
      return n;
    } catch { return null; } // e.g. a page where only a service worker may notify
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

  close() {
    for (const n of this.shown) { try { n.close(); } catch { /* gone */ } }
    this.shown.clear();
    if (this.audio) this.audio.close().catch(() => {});
    this.audio = null;
  }
}
