// operator-chat-panel/composer.js — the message composer: text (Enter sends,
// Shift+Enter a new line), a file or photo over REST, the typing signal, and
// the canned responses picker (canned.js) that `/` opens. Sends carry a
// clientMessageId and go through invokeReliable, so one typed offline is sent
// once when the connection is back. Functions take the panel instance.
import { h, icon, newId, readMedia } from '../shared/dom.js';
import { P } from './i18n.js';
import { CannedPicker } from './canned.js';
import { MAX_DOM, PAGE } from './transcript.js';

const MAX_FILE = 10 * 1024 * 1024; // the server's default media_max_bytes; a smaller limit answers 413

/** Builds the composer; sets p.input, p.file, p.picker; returns the element. */
export function buildComposer(p) {
  const t = p.t;
  p.input = h('textarea', { 'aria-label': t.message, rows: '2', placeholder: t.message, 'data-composer': '',
    oninput: () => onInput(p),
    onkeydown: (e) => {
      if (p.picker.open) return; // the picker takes Enter, arrows and Esc
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(p); }
    } });
  p.picker = new CannedPicker({ store: p.canned, input: p.input, t,
    vars: () => {
      const x = p.chats.get(p.selected);
      const c = x && x.c;
      const me = p.colleagues.get(p.me);
      return { clientName: (c && c.client && c.client.name) || '', operatorName: (me && me.name) || '' };
    } });
  p.file = h('input', { type: 'file', class: 'file', tabindex: '-1', 'aria-hidden': 'true',
    onchange: () => { const f = p.file.files[0]; p.file.value = ''; sendFile(p, f); } });
  return h('div', { class: 'composer' }, p.picker.el,
    h('button', { type: 'button', class: 'icon', 'aria-label': t.attach, onclick: () => p.file.click() }, icon(P.clip)),
    p.file, p.input,
    h('button', { type: 'button', class: 'icon primary', 'aria-label': t.send, onclick: () => send(p) }, icon(P.send)));
}

export function send(p) {
  const id = p.selected;
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
