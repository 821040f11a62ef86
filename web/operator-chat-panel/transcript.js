// operator-chat-panel/transcript.js — the selected chat's transcript: history
// paging (GetMessages, PAGE at a time) and rendering. The DOM holds at most
// MAX_DOM messages; paging further back moves that window, "Show latest"
// returns to the end. Every piece of user text goes through richText (text
// nodes and safe http(s) links only). Functions take the panel instance.
import { h, richText, clock, replace } from '../shared/dom.js';

export const PAGE = 50;      // messages per history page
export const MAX_DOM = 300;  // messages rendered at most

export async function loadEarlier(p, id, before) {
  const x = p.chats.get(id);
  try {
    const ms = await p.client.invoke('GetMessages', id, before, PAGE);
    for (const m of ms) if (!x.msgs.has(m.seq)) x.msgs.set(m.seq, m);
    if (ms.length < PAGE) x.complete = true;
  } catch { x.loaded = before !== null; }
}

export async function earlier(p) {
  const x = p.chats.get(p.selected);
  if (!x) return;
  const log = p.log;
  const fromBottom = log.scrollHeight - log.scrollTop;
  if (x.msgs.size <= x.show && !x.complete) {
    const first = Math.min(...x.msgs.keys());
    await loadEarlier(p, p.selected, Number.isFinite(first) ? first : null);
  }
  x.show = Math.min(x.msgs.size, x.show + PAGE);
  renderLog(p);
  log.scrollTop = log.scrollHeight - fromBottom;
}

function media(m, server) {
  if (!m.media) return null;
  const url = m.media.url ? new URL(m.media.url, server).toString() : null;
  if (url && m.media.type === 1) {
    return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' },
      h('img', { src: url, alt: m.media.name || '', class: 'photo' }));
  }
  if (url) return h('a', { class: 'fileln', href: url, target: '_blank', rel: 'noopener noreferrer', text: m.media.name || 'file' });
  return h('span', { class: 'fileln', text: m.media.name || 'file' });
}

function message(p, m, pending) {
  const t = p.t;
  const mine = m.author === 0;
  const st = pending ? null : m.status || 0;
  const mark = pending ? '…' : st === 3 ? '✓✓' : st === 2 ? '!' : '✓';
  const label = pending ? t.pending : st === 3 ? t.read : st === 2 ? t.rejected : t.sent;
  return h('div', { class: `msg a${m.author}`, 'data-seq': pending ? null : m.seq, 'data-author': m.author,
    'data-status': pending ? 0 : st, 'data-pending': pending ? '' : null,
    'data-client-message-id': m.clientMessageId || null },
  m.author === 0 && m.operator && m.operator.id !== p.me ? h('span', { class: 'by', text: m.operator.name }) : null,
  media(m, p.server), m.textMessage ? h('div', { class: 'text' }, richText(m.textMessage)) : null,
  h('span', { class: 'time' }, pending ? '' : clock(m.createdAt, p.lang),
    mine ? h('span', { class: 'tick', role: 'img', 'aria-label': label }, ` ${mark}`) : null));
}

export function renderLog(p, stick) {
  const x = p.chats.get(p.selected);
  if (!x) return;
  const log = p.log;
  const atBottom = stick || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const seqs = [...x.msgs.keys()].sort((a, b) => a - b);
  // the DOM holds at most MAX_DOM messages: paging further back moves the window
  const shown = seqs.slice(-x.show).slice(0, MAX_DOM);
  const windowed = x.show > MAX_DOM;
  const more = seqs.length > x.show || (!x.complete && seqs.length && seqs[0] > 1);
  const refocus = p.shadow.activeElement && p.shadow.activeElement.classList.contains('earlier');
  replace(log,
    more ? h('button', { type: 'button', class: 'earlier', onclick: () => earlier(p) }, p.t.earlier) : null,
    shown.map((s) => message(p, x.msgs.get(s), false)),
    windowed ? h('button', { type: 'button', class: 'earlier', 'data-latest': '',
      onclick: () => { x.show = PAGE; renderLog(p, true); } }, p.t.latest) : null,
    windowed ? null : [...x.pending.values()].map((m) => message(p, m, true)));
  if (atBottom) log.scrollTop = log.scrollHeight;
  if (refocus) (log.querySelector('.earlier') || log).focus();
}
