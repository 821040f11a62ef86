// The admin console: signs in with the company login, keeps the company token
// in this module's memory only (never storage or the URL), and drives the
// company API. Any 401 drops the token and shows the sign-in form again.
import { t, getLang, setLang, LANGS } from './i18n.js';

let token = null;
let endedMessage = '';
const app = document.getElementById('app');

function el(tag, attrs = {}, ...kids) {
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

class ApiError extends Error {}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch { throw new ApiError(t('cannotReach')); }
  const text = await res.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* a plain-text answer */ }
  if (res.status === 401 && token) { signOut(t('sessionEnded')); throw new ApiError(t('sessionEnded')); }
  if (!res.ok) throw new ApiError((data && data.message) || `HTTP ${res.status}`);
  return data;
}

function signOut(message = '') { token = null; endedMessage = message; location.hash = ''; render(); }

function status(msg, kind = 'error') {
  const s = document.getElementById('status');
  if (!s) return;
  s.className = kind; s.textContent = msg;
}

/* Runs fn, showing its error (the API's message) in the status line. */
async function guard(fn) {
  status('', ''); // a stale "Saved." must not stand for this action's outcome
  try { await fn(); } catch (e) { if (token) status(e.message); }
}

function signInForm() {
  const msg = el('p', { id: 'signin-msg', role: 'alert', class: 'error', text: endedMessage });
  const login = el('input', { id: 'login', name: 'login', autocomplete: 'username', required: true });
  const pw = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = el('form', { class: 'signin', 'aria-labelledby': 'signin-h' },
    el('h1', { id: 'signin-h', text: t('title') }),
    el('label', {}, t('login'), login), el('label', {}, t('password'), pw),
    el('button', { class: 'primary', type: 'submit', text: t('signIn') }), msg, langSwitch());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const tok = await api('POST', '/api/company/get-token', { login: login.value, password: pw.value });
      token = typeof tok === 'string' ? tok.trim() : String(tok);
      endedMessage = '';
      location.hash = '#orgs';
      render();
    } catch (e) { msg.textContent = /2004|login|password/i.test(e.message) ? t('badLogin') : e.message; }
  });
  app.replaceChildren(el('main', {}, form));
  login.focus();
}

function langSwitch() {
  const sel = el('select', { id: 'lang', 'aria-label': t('language') },
    Object.entries(LANGS).map(([k, v]) => el('option', { value: k, selected: k === getLang() }, v)));
  sel.addEventListener('change', () => { setLang(sel.value); render(); });
  return sel;
}

const PAGES = [['orgs', 'orgs'], ['operators', 'operators'], ['keys', 'keys'], ['webhooks', 'webhooks']];

function shell(page) {
  const nav = el('nav', { 'aria-label': t('title') }, el('ul', {}, PAGES.map(([id, label]) =>
    el('li', {}, el('a', { href: `#${id}`, 'aria-current': id === page ? 'page' : null, text: t(label) })))));
  const main = el('main', { id: 'main' }, el('p', { id: 'status', role: 'status', 'aria-live': 'polite' }));
  app.replaceChildren(el('header', {}, el('h1', { text: t('title') }), nav, langSwitch(),
    el('button', { id: 'signout', type: 'button', onclick: () => signOut(), text: t('signOut') })), main);
  return main;
}

function table(cols, rows) {
  if (!rows.length) return el('p', { class: 'muted', text: t('none') });
  return el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: c })))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))))));
}

function field(label, attrs) { return el('label', {}, label, el(attrs.tag || 'input', { ...attrs, tag: null })); }

async function pageOrgs(main) {
  const list = await api('GET', '/api/company/organization');
  const orgs = await Promise.all(list.map((o) => api('GET', `/api/company/organization/${o.id}`)));
  const create = el('form', { class: 'inline', id: 'org-create' },
    field(t('name'), { name: 'name', required: true }), el('button', { class: 'primary', text: t('create') }));
  create.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    await api('POST', '/api/company/organization', { name: create.elements.name.value });
    await render(); status(t('saved'), 'notice');
  }); });
  const rows = orgs.map((o) => {
    const f = el('form', { class: 'inline', 'data-org': o.id, 'aria-label': `${t('edit')} ${o.name}` },
      field(t('name'), { name: 'name', value: o.name, required: true }),
      field(t('origins'), { tag: 'textarea', name: 'origins', rows: 2 }),
      field(t('capacity'), { name: 'cap', type: 'number', min: 1, max: 1000, value: o.maxChatsPerOperator }),
      el('button', { text: t('save') }));
    f.elements.origins.value = (o.allowedOrigins || []).join('\n');
    f.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
      await api('PUT', `/api/company/organization/${o.id}`, { name: f.elements.name.value,
        allowedOrigins: f.elements.origins.value.split(/\s+/).filter(Boolean),
        maxChatsPerOperator: Number(f.elements.cap.value) });
      await render(); status(t('saved'), 'notice');
    }); });
    return [String(o.id), f];
  });
  main.append(el('h2', { text: t('orgs') }), create, table([t('id'), t('edit')], rows));
}

let currentOrg = null;

async function pageOperators(main) {
  const orgs = await api('GET', '/api/company/organization');
  main.append(el('h2', { text: t('operators') }));
  if (!orgs.length) { main.append(el('p', { text: t('chooseOrg') })); return; }
  if (!orgs.some((o) => o.id === currentOrg)) currentOrg = orgs[0].id;
  const pick = el('select', { id: 'op-org' }, orgs.map((o) => el('option', { value: o.id, selected: o.id === currentOrg }, o.name)));
  pick.addEventListener('change', () => { currentOrg = Number(pick.value); render(); });
  const add = el('form', { class: 'inline', id: 'op-add' },
    field(t('name'), { name: 'name', required: true }), el('button', { class: 'primary', text: t('add') }));
  add.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    await api('POST', '/api/operator/synchronize', [{ organizationId: currentOrg, name: add.elements.name.value,
      externalId: `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}` }]);
    await render(); status(t('saved'), 'notice');
  }); });
  const out = el('div', { id: 'op-token', 'aria-live': 'polite' });
  const ops = await api('GET', `/api/operator?organizationId=${currentOrg}&includeDeleted=true`);
  const rows = ops.map((o) => {
    const name = el('input', { value: o.name, 'aria-label': `${t('name')} ${o.id}` });
    const st = el('select', { 'aria-label': `${t('status')} ${o.name}` },
      [0, 1, 2].map((s) => el('option', { value: s, selected: s === o.status }, t(`st${s}`))));
    const acts = el('div', { class: 'row-actions' },
      el('button', { type: 'button', text: t('rename'), onclick: () => guard(async () => {
        // synchronize updates by externalId; a row without one would add an operator
        if (!o.externalId) throw new Error(t('noExternalId'));
        await api('POST', '/api/operator/synchronize', [{ organizationId: currentOrg, name: name.value, externalId: o.externalId }]);
        await render(); status(t('saved'), 'notice');
      }) }),
      el('button', { type: 'button', text: t('setStatus'), onclick: () => guard(async () => {
        await api('POST', '/api/operator/status', { id: o.id, status: Number(st.value) });
        await render(); status(t('saved'), 'notice');
      }) }),
      el('button', { type: 'button', text: t('getToken'), onclick: () => guard(async () => {
        const exp = new Date(Date.now() + 8 * 3600e3).toISOString();
        let tok = await api('POST', '/api/operator/get-token', { id: o.id, expiresAt: exp });
        if (tok && typeof tok === 'object') tok = tok.token;
        out.replaceChildren(el('h3', { text: t('tokenFor', { name: o.name }) }), el('p', { class: 'secret', text: tok }),
          el('a', { href: `/operator-chat-panel/#token=${encodeURIComponent(tok)}`, target: '_blank', rel: 'noopener', text: t('openPanel') }));
      }) }));
    return [String(o.id), name, st, acts];
  });
  main.append(el('label', {}, t('organization'), pick), add,
    table([t('id'), t('name'), t('status'), t('actions')], rows), out);
}

async function pageKeys(main) {
  const keys = await api('GET', '/api/company/api-keys');
  const shown = el('div', { id: 'key-shown', 'aria-live': 'polite' });
  const create = el('form', { class: 'inline', id: 'key-create' },
    field(t('name'), { name: 'name', required: true }), el('button', { class: 'primary', text: t('create') }));
  create.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const k = await api('POST', '/api/company/api-keys', { name: create.elements.name.value });
    await render();
    document.getElementById('key-shown').replaceChildren(el('p', { text: t('shownOnce') }), el('p', { class: 'secret', id: 'new-key', text: k.key }));
  }); });
  const rows = keys.map((k) => [k.name, k.prefix, k.createdAt, el('button', { type: 'button', text: t('revoke'),
    'aria-label': `${t('revoke')} ${k.name}`, onclick: () => guard(async () => {
      await api('DELETE', `/api/company/api-keys/${k.id}`); await render(); status(t('saved'), 'notice');
    }) })]);
  main.append(el('h2', { text: t('keys') }), create, shown, table([t('name'), t('prefix'), t('created'), t('actions')], rows));
}

async function pageWebhooks(main) {
  const [hooks, orgs] = await Promise.all([api('GET', '/api/company/webhooks'), api('GET', '/api/company/organization')]);
  const shown = el('div', { id: 'hook-shown', 'aria-live': 'polite' });
  const orgSel = el('select', { name: 'org' }, el('option', { value: '' }, t('allOrgs')),
    orgs.map((o) => el('option', { value: o.id }, o.name)));
  const create = el('form', { class: 'inline', id: 'hook-create' },
    field(t('url'), { name: 'url', type: 'url', required: true, size: 40 }), el('label', {}, t('organization'), orgSel),
    el('button', { class: 'primary', text: t('create') }));
  create.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const body = { url: create.elements.url.value, events: [] };
    if (orgSel.value) body.organizationId = Number(orgSel.value);
    const w = await api('POST', '/api/company/webhooks', body);
    await render();
    document.getElementById('hook-shown').replaceChildren(el('p', { text: t('shownOnce') }), el('p', { class: 'secret', id: 'new-secret', text: w.secret }));
  }); });
  const rows = hooks.map((w) => [w.url, w.status, w.lastError || '', el('div', { class: 'row-actions' },
    el('button', { type: 'button', text: t('sendTest'), 'aria-label': `${t('sendTest')} ${w.url}`, onclick: () => guard(async () => {
      const r = await api('POST', `/api/company/webhooks/${w.id}/test`);
      status(r.ok ? t('testOk', { status: r.status }) : t('testFail', { error: r.error || `HTTP ${r.status}` }), r.ok ? 'notice' : 'error');
    }) }),
    w.status !== 'active' ? el('button', { type: 'button', text: t('enable'), onclick: () => guard(async () => {
      await api('POST', `/api/company/webhooks/${w.id}/enable`); await render(); status(t('saved'), 'notice');
    }) }) : null,
    el('button', { type: 'button', text: t('del'), 'aria-label': `${t('del')} ${w.url}`, onclick: () => guard(async () => {
      await api('DELETE', `/api/company/webhooks/${w.id}`); await render(); status(t('saved'), 'notice');
    }) }))]);
  main.append(el('h2', { text: t('webhooks') }), create, shown,
    table([t('url'), t('status'), t('lastError'), t('actions')], rows));
}

const RENDER = { orgs: pageOrgs, operators: pageOperators, keys: pageKeys, webhooks: pageWebhooks };

async function render() {
  document.title = t('title');
  if (!token) { signInForm(); return; }
  const page = RENDER[location.hash.slice(1)] ? location.hash.slice(1) : 'orgs';
  const main = shell(page);
  try { await RENDER[page](main); } catch (e) { if (token) status(e.message); }
}

window.addEventListener('hashchange', () => render());
render();
