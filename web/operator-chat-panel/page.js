// operator-chat-panel/page.js — the operator chat panel as a page of its own,
// for a CRM to link to (index.html; docs/widgets.md):
//   /operator-chat-panel/#token=<operator token>&chat-id=<chat id>[&lang=uk][&theme=dark]
// The token travels in the URL's fragment, which a browser never sends to any
// server (no access log, no proxy, no Referer). It is removed from the address
// bar, and from the history entry, before anything else happens; the panel
// then gets it the way every embed does, as the `token` attribute of its
// script element (widget-script.js next to this file), rendered inline and
// filling the page. A new fragment (the CRM opening another chat in the same
// tab) mounts the panel again with it; one with only a chat-id keeps the
// token of the panel shown. A token in the query string is never used: it has
// already reached the server's logs.

const OPTIONAL = ['chat-id', 'lang', 'theme'];
const panelUrl = new URL('widget-script.js', import.meta.url).href;

/** The link's parameters, and the address bar without them. */
function takeParams() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const leaked = query.has('token');
  if (location.hash || leaked) {
    for (const k of ['token', ...OPTIONAL]) query.delete(k);
    const q = query.toString();
    history.replaceState(history.state, '', location.pathname + (q ? `?${q}` : ''));
  }
  return { hash, leaked };
}

function showNotice(why) {
  document.getElementById('chathub-panel').replaceChildren();
  document.getElementById('no-token-why').textContent = why;
  document.getElementById('no-token').hidden = false;
}

function mount() {
  const { hash, leaked } = takeParams();
  const shown = document.getElementById('operator-chat-panel-script');
  const token = hash.get('token') || (!leaked && shown ? shown.getAttribute('token') : null);
  if (!token) {
    shown?.remove();
    showNotice(leaked
      ? 'This link carries the token in its query string (?token=…), where it reaches server logs; it was not ' +
        'used. Links to this page carry it in the fragment (#token=…), which browsers never send.'
      : 'This page shows the operator chat panel for the operator token in its link, and this link has none.');
    return;
  }
  document.getElementById('no-token').hidden = true;
  shown?.remove();
  const s = document.createElement('script');
  s.type = 'module';
  s.id = 'operator-chat-panel-script';
  s.src = panelUrl;
  s.setAttribute('token', token);
  s.setAttribute('container', '#chathub-panel');
  for (const k of OPTIONAL) {
    const v = hash.get(k);
    if (v) s.setAttribute(k, v);
  }
  document.body.append(s);
}

window.addEventListener('hashchange', () => { if (location.hash) mount(); });
mount();
