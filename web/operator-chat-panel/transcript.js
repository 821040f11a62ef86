// operator-chat-panel/transcript.js — the selected chat's transcript: history
// paging (GetMessages, PAGE at a time) and rendering. The DOM holds at most
// MAX_DOM messages; paging further back moves that window, "Show latest"
// returns to the end. Every piece of user text goes through richText (text
// nodes and safe http(s) links only). Private notes (notes.js) sit after the
// message they followed; system messages (author 2: an auto-close, …) are
// centered lines. Functions take the panel instance.
import { h, richText, clock, replace } from '../shared/dom.js';
import { notesBySeq, noteEl } from './notes.js';

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

const REVEAL_PAGES = 40; // a found message this many pages back is fetched; older ones are not

/** Loads history back to message `seq` of chat `id` (a search hit) and shows it with a few before it. */
export async function reveal(p, id, seq) {
  const x = p.chats.get(id);
  for (let i = 0; x && !x.msgs.has(seq) && !x.complete && i < REVEAL_PAGES; i++) {
    const first = Math.min(...x.msgs.keys());
    if (!Number.isFinite(first) || first <= seq) break;
    const n = x.msgs.size;
    await loadEarlier(p, id, first);
    if (x.msgs.size === n) break;
  }
  if (x && x.msgs.has(seq)) x.show = Math.max(x.show || PAGE, [...x.msgs.keys()].filter((s) => s >= seq - 5).length);
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
  if (m.author === 2) {
    return h('div', { class: 'msg a2 sys', 'data-seq': m.seq, 'data-author': 2, 'data-status': m.status || 0 },
      h('span', { class: 'sr', text: `${t.system}: ` }), h('span', { class: 'text' }, richText(m.textMessage || '')),
      h('span', { class: 'time', text: clock(m.createdAt, p.lang) }));
  }
  const mine = m.author === 0;
  const st = pending ? null : m.status || 0;
  const mark = pending ? '…' : st === 3 ? '✓✓' : st === 2 ? '!' : '✓';
  const label = pending ? t.pending : st === 3 ? t.read : st === 2 ? t.rejected : t.sent;
  return h('div', { class: `msg a${m.author}`, 'data-seq': pending ? null : m.seq, 'data-author': m.author,
    'data-status': pending ? 0 : st, 'data-pending': pending ? '' : null,
    'data-client-message-id': m.clientMessageId || null },
  m.author === 0 && m.operator && m.operator.id !== p.me ? h('span', { class: 'by', text: m.operator.name }) : null,
  media(m, p.server), m.textMessage ? h('div', { class: 'text' }, richText(m.textMessage)) : null,
  m.redacted ? h('div', { class: 'text removed', 'data-redacted': '', text: t.removed }) : null,
  h('span', { class: 'time' }, pending ? '' : clock(m.createdAt, p.lang),
    // Rejected (a bot channel refused it) says so in words too: the customer never got it
    mine ? h('span', { class: 'tick', role: 'img', 'aria-label': label, title: label },
      st === 2 ? ` ${mark} ${label}` : ` ${mark}`) : null));
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
  // notes after a shown message, those just before the first one shown, and
  // those after messages not loaded yet (at the end); older ones wait for paging
  const notes = notesBySeq(x);
  const first = shown.length ? shown[0] : Infinity;
  const last = shown.length ? shown[shown.length - 1] : 0;
  const at = (s) => (notes.get(s) || []).map((n) => noteEl(p, n));
  const head = [...notes.keys()].filter((s) => s === first - 1 || (!shown.length && s >= 0)).sort((a, b) => a - b);
  const tail = windowed ? [] : [...notes.keys()].filter((s) => s > last && shown.length).sort((a, b) => a - b);
  replace(log,
    more ? h('button', { type: 'button', class: 'earlier', onclick: () => earlier(p) }, p.t.earlier) : null,
    head.map(at),
    shown.map((s) => [message(p, x.msgs.get(s), false), at(s)]),
    tail.map(at),
    windowed ? h('button', { type: 'button', class: 'earlier', 'data-latest': '',
      onclick: () => { x.show = PAGE; renderLog(p, true); } }, p.t.latest) : null,
    windowed ? null : [...x.pending.values()].map((m) => message(p, m, true)));
  // a search result opened on its message: marked, and scrolled to once
  const hit = x.hit ? log.querySelector(`.msg[data-seq="${x.hit}"]`) : null;
  if (hit) hit.classList.add('hit');
  if (hit && x.hitScroll) { x.hitScroll = false; hit.scrollIntoView({ block: 'center' }); }
  else if (atBottom) log.scrollTop = log.scrollHeight;
  if (refocus) (log.querySelector('.earlier') || log).focus();
}
