// operator-chat-panel/composer.js — the message composer: text (Enter sends,
// Shift+Enter a new line), a file or photo over REST, the typing signal, and
// the canned responses picker (canned.js) that `/` opens, and the Note mode
// (notes.js: a toggle; the text becomes a private note, `@` completes a
// colleague's name). A Closed chat is read-only: no composer. Sends carry a
// clientMessageId and go through invokeReliable, so one typed offline is sent
// once when the connection is back. Functions take the panel instance.
import { h, icon, newId, readMedia } from '../shared/dom.js';
import { P } from './i18n.js';
import { CannedPicker } from './canned.js';
import { MAX_DOM, PAGE } from './transcript.js';
import { MentionPicker, sendNote, setNoteMode } from './notes.js';

const MAX_FILE = 10 * 1024 * 1024; // the server's default media_max_bytes; a smaller limit answers 413

/** Builds the composer; sets p.input, p.file, p.picker, p.mention, p.noteBtn, p.noteTag, p.sendBtn; returns the element. */
export function buildComposer(p) {
  const t = p.t;
  p.input = h('textarea', { 'aria-label': t.message, rows: '2', placeholder: t.message, 'data-composer': '',
    oninput: () => onInput(p),
    onkeydown: (e) => {
      if (p.picker.open || p.mention.open) return; // the list takes Enter, arrows and Esc
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(p); }
    } });
  p.picker = new CannedPicker({ store: p.canned, input: p.input, t,
    vars: () => {
      const x = p.chats.get(p.selected);
      const c = x && x.c;
      const me = p.colleagues.get(p.me);
      return { clientName: (c && c.client && c.client.name) || '', operatorName: (me && me.name) || '' };
    } });
  p.mention = new MentionPicker({ input: p.input, t,
    enabled: () => { const x = p.chats.get(p.selected); return !!(x && x.noteMode); },
    people: () => [...p.colleagues].filter(([id, o]) => id !== p.me && (o.status ?? 0) === 0)
      .map(([id, o]) => ({ id, name: o.name })) });
  p.noteBtn = h('button', { type: 'button', class: 'icon notebtn', 'data-note-toggle': '', 'aria-pressed': 'false',
    'aria-label': t.noteModeHint, title: t.noteModeHint, onclick: () => {
      const x = p.chats.get(p.selected);
      setNoteMode(p, !(x && x.noteMode));
    } }, icon(P.note));
  p.noteTag = h('span', { class: 'notetag', hidden: true, 'aria-hidden': 'true', text: t.noteLabel });
  p.sendBtn = h('button', { type: 'button', class: 'icon primary', 'aria-label': t.send, onclick: () => send(p) }, icon(P.send));
  p.file = h('input', { type: 'file', class: 'file', tabindex: '-1', 'aria-hidden': 'true',
    onchange: () => { const f = p.file.files[0]; p.file.value = ''; sendFile(p, f); } });
  p.attachBtn = h('button', { type: 'button', class: 'icon', 'aria-label': t.attach, onclick: () => p.file.click() }, icon(P.clip));
  return h('div', { class: 'composer', 'data-composer-box': '' }, p.picker.el, p.mention.el, p.noteTag, p.noteBtn,
    p.attachBtn, p.file, p.input, p.sendBtn);
}

export function send(p) {
  const id = p.selected;
  const cur = p.chats.get(id);
  if (cur && cur.noteMode) { sendNote(p); return; }
  const text = p.input.value.trim();
  if (!id || !text || !p.client) return;
  p.input.value = '';
  p.picker.close();
  const x = p.chats.get(id);
  if (x.show > MAX_DOM) x.show = PAGE;
  const cmid = newId();
  x.pending.set(cmid, { textMessage: text, clientMessageId: cmid, author: 0, createdAt: new Date().toISOString() });
  p.render(true);
  p.client.invokeReliable('SendMessage', id, text, cmid).then((m) => {
    if (m) p.addMsg(m, false);
    p.render(true);
  }, (e) => { x.pending.delete(cmid); p.flash(e.message); p.render(); });
}

export async function sendFile(p, file) {
  const id = p.selected;
  if (!id || !file) return;
  if (file.size > MAX_FILE) { p.flash(p.t.tooBig); return; }
  const md = await readMedia(file);
  const cmid = newId();
  const x = p.chats.get(id);
  x.pending.set(cmid, { textMessage: '', author: 0, clientMessageId: cmid, media: { name: file.name } });
  p.render(true);
  try {
    const r = await p.api(`api/chat/${id}/message`, { method: 'POST',
      body: { author: 0, textMessage: '', clientMessageId: cmid,
        media: { name: md.Name, format: md.Format, dataBase64: md.DataBase64, type: md.Type } } });
    if (!r.ok) throw new Error((r.body && r.body.message) || String(r.status));
    p.addMsg(r.body, false);
  } catch (e) { x.pending.delete(cmid); p.flash(e.message); }
  p.render(true);
}

function onInput(p) {
  const now = Date.now();
  if (p.selected && p.client && now - (p.lastTyping || 0) > 2000) {
    p.lastTyping = now;
    p.client.invoke('Typing', p.selected).catch(() => {});
  }
}
