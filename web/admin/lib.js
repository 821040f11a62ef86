// What every console page shares: the session (the company token, in this
// module's memory only — never storage or the URL), the API call that turns
// any 401 into a return to the sign-in form, and small DOM builders.
import { t } from './i18n.js';

export const session = { token: null, endedMessage: '' };
/* The organization the pages that work on one organization show (one choice for all of them). */
export const state = { org: null };

let renderHook = () => {};
/* admin.js registers its render: pages call rerender() after a change. */
export function setRenderer(fn) { renderHook = fn; }
export function rerender() { return renderHook(); }

export function el(tag, attrs = {}, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else if (k === 'text') n.textContent = v;
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null) n.append(c instanceof Node ? c : String(c));
  return n;
}

export class ApiError extends Error {}

export function signOut(message = '') {
  session.token = null; session.endedMessage = message; location.hash = ''; rerender();
}

/* Calls the API with the company token. accept 'text/csv' answers the text. */
export async function api(method, path, body, accept = 'application/json') {
  const headers = { Accept: accept };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch { throw new ApiError(t('cannotReach')); }
  const text = await res.text();
  let data = text;
  try { data = text && accept === 'application/json' ? JSON.parse(text) : text || null; } catch { /* plain text */ }
  if (res.status === 401 && session.token) { signOut(t('sessionEnded')); throw new ApiError(t('sessionEnded')); }
  if (!res.ok) {
    let msg = data && data.message;
    if (!msg && typeof data === 'string') { try { msg = JSON.parse(data).message; } catch { /* not JSON */ } }
    throw new ApiError(msg || `HTTP ${res.status}`);
  }
  return data;
}

export function status(msg, kind = 'error') {
  const s = document.getElementById('status');
  if (!s) return;
  s.className = kind; s.textContent = msg;
}

/* Runs fn, showing its error (the API's message) in the status line. */
export async function guard(fn) {
  status('', ''); // a stale "Saved." must not stand for this action's outcome
  try { await fn(); } catch (e) { if (session.token) status(e.message); }
}

export function table(cols, rows) {
  if (!rows.length) return el('p', { class: 'muted', text: t('none') });
  return el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: c })))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))))));
}

export function field(label, attrs) { return el('label', {}, label, el(attrs.tag || 'input', { ...attrs, tag: null })); }

/* The organization choice of a page that works on one organization: loads the
 * list, keeps state.org valid, and returns {orgs, picker} (picker null when
 * there is none yet; the page then says so). */
export async function orgChoice(id) {
  const orgs = await api('GET', '/api/company/organization');
  if (!orgs.length) return { orgs, picker: null };
  if (!orgs.some((o) => o.id === state.org)) state.org = orgs[0].id;
  const pick = el('select', { id }, orgs.map((o) => el('option', { value: o.id, selected: o.id === state.org }, o.name)));
  pick.addEventListener('change', () => { state.org = Number(pick.value); rerender(); });
  return { orgs, picker: el('label', {}, t('organization'), pick) };
}
