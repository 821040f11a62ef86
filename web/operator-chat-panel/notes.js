// operator-chat-panel/notes.js — private notes in the panel: the operator side's
// remarks on a chat, which the client never sees (docs/api.md, Private notes).
// A chat's notes are read with GetNotes when it is opened and after every
// reconnect, and arrive live as NoteAdded; the transcript shows each one after
// the message it followed (`afterSeq`), styled unlike any message (a yellow
// card labelled "Private note"). The composer's Note mode writes them with
// AddNote (never SendMessage: a note typed there can only become a note), and
// in that mode `@` opens a list of colleagues whose name completes the mention.
// Functions take the panel instance.
import { h, richText, clock, replace } from '../shared/dom.js';

let seq = 0;
const MAX_MENTIONS = 8; // colleagues listed at once

/** The chat's notes (GetNotes), merged into what is known; false when they could not be read. */
export async function loadNotes(p, id) {
  const x = p.chats.get(id);
  if (!x || !p.client) return false;
  try {
    const notes = await p.client.invokeReliable('GetNotes', id);
    for (const n of notes || []) addNote(p, n);
    return true;
  } catch { return false; }
}

/** Keeps a note (NoteAdded, AddNote's completion, GetNotes); true when it is new. */
export function addNote(p, n) {
  const x = n && p.chats.get(n.chatId);
  if (!x) return false;
  if (!x.notes) x.notes = new Map();
  const isNew = !x.notes.has(n.id);
  x.notes.set(n.id, n);
  if (n.operator) p.colleagues.set(n.operator.id, { ...p.colleagues.get(n.operator.id), name: n.operator.name });
  return isNew;
}

/** The chat's notes grouped by `afterSeq`, each group oldest first. */
export function notesBySeq(x) {
  const by = new Map();
  const all = x.notes ? [...x.notes.values()].sort((a, b) => a.id - b.id) : [];
  for (const n of all) {
    if (!by.has(n.afterSeq)) by.set(n.afterSeq, []);
    by.get(n.afterSeq).push(n);
  }
  return by;
}

/** A note in the transcript: never a `.msg`, so nothing reads it as a message. */
export function noteEl(p, n) {
  const t = p.t;
  const who = n.operator ? n.operator.name : t.companyNote;
  return h('div', { class: 'pnote', 'data-note-id': n.id, 'data-after-seq': n.afterSeq },
    h('span', { class: 'ntag' }, h('b', { text: t.noteLabel }), ` · ${who}`),
    h('div', { class: 'text' }, richText(n.text)),
    h('span', { class: 'time', text: clock(n.createdAt, p.lang) }));
}

/** Writes the composer's text as a note of the selected chat. */
export function sendNote(p) {
  const id = p.selected;
  const text = p.input.value.trim();
  if (!id || !text || !p.client) return;
  p.input.value = '';
  p.mention.close();
  // not invokeReliable: AddNote has no idempotency key, so a resend could write it twice
  p.client.invoke('AddNote', id, text).then((n) => {
    addNote(p, n);
    p.render(true);
  }, (e) => {
    if (!p.input.value) p.input.value = text; // nothing typed is lost
    p.flash(e.message);
  });
}

/** Note mode of the selected chat on or off (per chat: the mode is part of what the operator sees there). */
export function setNoteMode(p, on) {
  const x = p.chats.get(p.selected);
  if (x) x.noteMode = on;
  drawMode(p);
  p.input.focus();
}

/** The composer's look and words for the current mode. */
export function drawMode(p) {
  const t = p.t;
  const x = p.chats.get(p.selected);
  const on = !!(x && x.noteMode);
  p.composer.classList.toggle('notemode', on);
  p.noteBtn.setAttribute('aria-pressed', String(on));
  p.noteTag.hidden = !on;
  p.attachBtn.hidden = on; // a note is text only
  p.input.setAttribute('aria-label', on ? t.noteLabel : t.message);
  p.input.setAttribute('placeholder', on ? t.notePlaceholder : t.message);
  p.sendBtn.setAttribute('aria-label', on ? t.noteSend : t.send);
  if (!on) p.mention.close();
}

/**
 * The `@` list of a composer in note mode: the organization's Active
 * colleagues whose name starts with what follows the `@` (case ignored).
 * Keyboard and ARIA as the canned picker: arrows, Enter or Tab, Esc; the
 * textarea keeps focus and names the highlighted option.
 */
export class MentionPicker {
  /** @param {{input, t, people: () => Array<{id, name}>, enabled: () => boolean}} o */
  constructor({ input, t, people, enabled }) {
    Object.assign(this, { input, t, people, enabled });
    this.id = `chathub-mention-${++seq}`;
    this.open = false;
    this.items = [];
    this.active = 0;
    this.from = 0;
    this.listbox = h('ul', { role: 'listbox', id: this.id, class: 'canned-list', 'aria-label': t.mentionList });
    this.el = h('div', { class: 'canned-pop', hidden: true, 'data-mention-picker': '' }, this.listbox);
    input.addEventListener('keydown', (e) => this.onKey(e));
    input.addEventListener('input', () => this.check());
    input.addEventListener('blur', () => this.close());
  }

  /** The `@query` just before the caret, or null. */
  trigger() {
    const i = this.input;
    if (!this.enabled() || i.selectionStart !== i.selectionEnd) return null;
    const before = i.value.slice(0, i.selectionStart);
    const m = /(^|[^\p{L}\p{N}_])@([\p{L}\p{N}_ .'-]{0,64})$/u.exec(before);
    return m ? { from: before.length - m[2].length, q: m[2] } : null;
  }

  check() {
    const tr = this.trigger();
    const q = tr ? tr.q.toLocaleLowerCase() : '';
    const items = tr ? this.people().filter((o) => o.name && o.name.toLocaleLowerCase().startsWith(q))
      .sort((a, b) => a.name.localeCompare(b.name)).slice(0, MAX_MENTIONS) : [];
    if (!items.length) { this.close(); return; }
    const prev = this.open && this.items[this.active] && this.items[this.active].id;
    this.from = tr.from;
    this.items = items;
    const keep = items.findIndex((o) => o.id === prev);
    this.active = keep >= 0 ? keep : 0;
    this.open = true;
    this.draw();
  }

  draw() {
    this.el.hidden = false;
    replace(this.listbox, this.items.map((o, i) => h('li', {
      role: 'option', id: `${this.id}-${i}`, class: 'canned-opt', 'aria-selected': String(i === this.active),
      'data-mention-id': o.id, onmousedown: (e) => e.preventDefault(), onclick: () => this.insert(i),
    }, h('span', { class: 'ti', text: `@${o.name}` }))));
    this.input.setAttribute('aria-controls', this.id);
    this.input.setAttribute('aria-activedescendant', `${this.id}-${this.active}`);
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
      e.preventDefault();
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.draw();
    } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      e.preventDefault();
      e.stopImmediatePropagation();
      this.insert(this.active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    }
  }

  insert(i) {
    const o = this.items[i];
    if (!o) return;
    this.input.setRangeText(`${o.name} `, this.from, this.input.selectionStart, 'end');
    this.close();
    this.input.focus();
  }
}
