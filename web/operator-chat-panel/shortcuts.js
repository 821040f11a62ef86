// operator-chat-panel/shortcuts.js — the panel's keyboard shortcuts and the
// `?` help overlay that lists them.
//
// Shortcuts listen on the panel only (the host page keeps its own keys). The
// Alt+letter ones are matched by physical key (`code`), so they work on any
// layout and Option on macOS, and they work from the composer too: they are
// meant for an operator who is typing. `?` never fires while the operator
// types in a field. Ctrl/Meta (and AltGr = Ctrl+Alt) never match, so no
// character an operator types is taken.
import { h, replace } from '../shared/dom.js';

/** [id, keys shown, string key of its description, matcher] */
export const SHORTCUTS = [
  ['next', 'Alt+N', 'kNext', (e) => alt(e, 'KeyN')],
  ['close', 'Alt+Shift+C', 'kClose', (e) => e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyC'],
  ['search', 'Alt+K', 'kSearch', (e) => alt(e, 'KeyK')],
  ['canned', 'Alt+R', 'kCanned', (e) => alt(e, 'KeyR')],
  ['help', '?', 'kHelp', (e, typing) => !typing && e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey],
];
const INFO = [['/', 'kSlash'], ['Esc', 'kEsc']];

function alt(e, code) { return e.altKey && !e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === code; }

/** Whether the event comes from a field the operator types in. */
export function typingIn(e) {
  const el = e.composedPath()[0];
  if (!el || !el.tagName) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !/^(button|submit|checkbox|radio|reset|file)$/i.test(el.type);
}

/** The shortcut id a keydown means, or null. */
export function shortcutOf(e) {
  if (e.isComposing || e.defaultPrevented) return null;
  const typing = typingIn(e);
  for (const [id, , , m] of SHORTCUTS) if (m(e, typing)) return id;
  return null;
}

/**
 * The help overlay: a modal dialog inside the panel; focus is trapped in it
 * while it is open, Esc closes it and focus returns where it was.
 */
export class HelpOverlay {
  constructor({ t, container, getFocus }) {
    Object.assign(this, { t, getFocus });
    this.title = h('h3', { id: `chathub-keys-${Math.random().toString(36).slice(2)}`, text: t.keys });
    this.closeBtn = h('button', { type: 'button', class: 'act', 'data-help-close': '', onclick: () => this.hide() }, t.closeHelp);
    this.table = h('dl', { class: 'keys' });
    this.box = h('div', { class: 'helpbox', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': this.title.id,
      tabindex: '-1', 'data-help': '' }, h('div', { class: 'mhead' }, this.title, this.closeBtn), this.table);
    this.el = h('div', { class: 'overlay', hidden: true, onkeydown: (e) => this.onKey(e),
      onclick: (e) => { if (e.target === this.el) this.hide(); } }, this.box);
    container.append(this.el);
  }

  get open() { return !this.el.hidden; }

  show() {
    const t = this.t;
    this.back = this.getFocus();
    replace(this.table, [...SHORTCUTS.map(([, k, d]) => [k, d]), ...INFO].map(([k, d]) =>
      h('div', { class: 'krow' }, h('dt', null, k.split('+').map((x, i) => [i ? '+' : null, h('kbd', { text: x })])),
        h('dd', { text: t[d] }))));
    this.el.hidden = false;
    this.box.focus();
  }

  hide() {
    if (!this.open) return;
    this.el.hidden = true;
    if (this.back && this.back.isConnected) this.back.focus();
    this.back = null;
  }

  onKey(e) {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.hide(); return; }
    if (e.key === 'Tab') {
      // one control inside: Tab and Shift+Tab stay on it
      e.preventDefault();
      e.stopPropagation();
      this.closeBtn.focus();
      return;
    }
    e.stopPropagation(); // no panel shortcut fires behind the dialog
  }
}
