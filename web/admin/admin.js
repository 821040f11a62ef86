// The admin console: the sign-in form, the page shell and the router. Each
// page is a module of pages/ ({id, label, render(main)}); the session, the API
// call and the DOM builders are lib.js. Any 401 drops the token and shows the
// sign-in form again.
import { t, getLang, setLang, LANGS } from './i18n.js';
import { el, api, session, status, signOut, setRenderer, rerender } from './lib.js';
import orgs from './pages/orgs.js';
import operators from './pages/operators.js';
import keys from './pages/keys.js';
import webhooks from './pages/webhooks.js';
import settings from './pages/settings.js';
import canned from './pages/canned.js';
import labels from './pages/labels.js';
import reports from './pages/reports.js';
import widget from './pages/widget.js';
import channels from './pages/channels.js';
import account from './pages/account.js';

/* The navigation, in order. */
const PAGES = [orgs, operators, settings, widget, channels, canned, labels, reports, keys, webhooks, account];

const app = document.getElementById('app');

function signInForm() {
  const msg = el('p', { id: 'signin-msg', role: 'alert', class: 'error', text: session.endedMessage });
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
      session.token = typeof tok === 'string' ? tok.trim() : String(tok);
      session.endedMessage = '';
      location.hash = '#orgs';
      rerender();
    } catch (e) { msg.textContent = /2004|login|password/i.test(e.message) ? t('badLogin') : e.message; }
  });
  app.replaceChildren(el('main', {}, form));
  login.focus();
}

function langSwitch() {
  const sel = el('select', { id: 'lang', 'aria-label': t('language') },
    Object.entries(LANGS).map(([k, v]) => el('option', { value: k, selected: k === getLang() }, v)));
  sel.addEventListener('change', () => { setLang(sel.value); rerender(); });
  return sel;
}

function shell(page) {
  const nav = el('nav', { 'aria-label': t('title') }, el('ul', {}, PAGES.map(({ id, label }) =>
    el('li', {}, el('a', { href: `#${id}`, 'aria-current': id === page ? 'page' : null, text: t(label) })))));
  const main = el('main', { id: 'main' }, el('p', { id: 'status', role: 'status', 'aria-live': 'polite' }));
  app.replaceChildren(el('header', {}, el('h1', { text: t('title') }), nav, langSwitch(),
    el('button', { id: 'signout', type: 'button', onclick: () => signOut(), text: t('signOut') })), main);
  return main;
}

async function render() {
  document.title = t('title');
  if (!session.token) { signInForm(); return; }
  const page = PAGES.find((p) => p.id === location.hash.slice(1)) || PAGES[0];
  const main = shell(page.id);
  try { await page.render(main); } catch (e) { if (session.token) status(e.message); }
}

setRenderer(render);
window.addEventListener('hashchange', () => render());
render();
