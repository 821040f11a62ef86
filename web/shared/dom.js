// dom.js — the small UI kit both widgets share: element creation, constructable
// stylesheets (the only styling a strict CSP allows inside a shadow root),
// user text rendered as text with safe links, file → media payload, and the
// script-element lifecycle (one widget per matching <script>, unmounted when
// the element is removed, told when an attribute changes).
//
// Rules this file exists to keep: user text only ever reaches the DOM through
// text nodes; no innerHTML, no inline <style>, no style="" attributes.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * h('button', {class: 'send', type: 'button', 'aria-label': 'Send', onclick: fn}, 'text', child…)
 * Props: `class`, `text` (textContent), `on<event>` handlers, anything else is an attribute
 * (false/null/undefined skipped, true → ""). Children: nodes, strings (as text), arrays, falsy skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** An inline SVG icon from path data (24×24 viewBox), decorative unless labelled. */
export function icon(d, label) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('fill', 'currentColor');
  svg.setAttribute('focusable', 'false');
  if (label) { svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', label); }
  else svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(SVG_NS, 'path');
  p.setAttribute('d', d);
  svg.append(p);
  return svg;
}

function applyProps(el, props) {
  if (!props) return;
  for (const [k, v] of Object.entries(props)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return el;
}

/** Empties an element and fills it again. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const sheets = new Map();
/** A constructable stylesheet (cached per CSS text): passes `style-src <server>` CSPs. */
export function sheet(css) {
  let s = sheets.get(css);
  if (!s) { s = new CSSStyleSheet(); s.replaceSync(css); sheets.set(css, s); }
  return s;
}

/**
 * A host element with an open shadow root styled by `css`. The host's own box is
 * pinned through the CSSOM (allowed by CSP) so host-page rules like
 * `* { all: unset }` cannot hide or resize it.
 */
export function shadowHost(css, { inline = false } = {}) {
  const host = document.createElement('div');
  host.setAttribute('data-chathub', '');
  for (const [k, v] of Object.entries({ all: 'initial', display: inline ? 'block' : 'contents',
    width: inline ? '100%' : 'auto', height: inline ? '100%' : 'auto' })) host.style.setProperty(k, v, 'important');
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [sheet(css)];
  return { host, root };
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Text with http(s) URLs as safe links; everything else stays text. */
export function richText(text) {
  const frag = document.createDocumentFragment();
  const s = String(text ?? '');
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    let url = m[0].replace(/[.,;:!?)\]]+$/, '');
    if (m.index > last) frag.append(document.createTextNode(s.slice(last, m.index)));
    let ok = false;
    try { ok = /^https?:$/.test(new URL(url).protocol); } catch { ok = false; }
    frag.append(ok ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, url)
      : document.createTextNode(url));
    last = m.index + url.length;
  }
  if (last < s.length) frag.append(document.createTextNode(s.slice(last)));
  return frag;
}

/** Media type of the API: 1 photo, 2 video, 3 audio, 4 file. */
export function mediaType(mime) {
  if (/^image\//.test(mime)) return 1;
  if (/^video\//.test(mime)) return 2;
  if (/^audio\//.test(mime)) return 3;
  return 4;
}

/** A File → the hub's SendMediaMessage payload {Name, Format, DataBase64, Type}. */
export function readMedia(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onerror = () => reject(r.error || new Error('cannot read file'));
    r.onload = () => {
      const s = String(r.result);
      const format = file.type || 'application/octet-stream';
      resolve({ Name: file.name || 'file', Format: format, DataBase64: s.slice(s.indexOf(',') + 1),
        Type: mediaType(format) });
    };
    r.readAsDataURL(file);
  });
}

/** A client message id: unique per send, stable across resends. */
export function newId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}

/** Dispatches a CustomEvent on the element and, unless it bubbles there anyway, on window. */
export function emit(el, name, detail) {
  el.dispatchEvent(new CustomEvent(name, { detail }));
  window.dispatchEvent(new CustomEvent(name, { detail }));
}

/** Absolute URL of a server path (`/api/media/…`) relative to the widget's origin. */
export function serverUrl(base, path) {
  return new URL(path, base).toString();
}

/** hh:mm in the given language. */
export function clock(iso, lang) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
}

/** The widget language: `lang` attribute, else the page's, else the browser's; one of `supported`. */
export function pickLang(attr, supported) {
  for (const l of [attr, document.documentElement.lang, navigator.language]) {
    const k = String(l || '').toLowerCase().slice(0, 2);
    if (supported.includes(k)) return k;
  }
  return supported[0];
}

/**
 * Lifecycle driven by script elements: mounts one widget per element matching
 * `selector`, calls `unmount(instance)` when the element leaves the document and
 * `update(instance, attr)` when one of `attrs` changes. Returns a stop function.
 * A module runs once per URL, so this observer is what makes re-appended,
 * replaced and suffixed script tags work.
 */
export function watchScripts(selector, attrs, { mount, unmount, update }) {
  const live = new Map(); // element → instance
  const scan = () => {
    for (const [el, inst] of live) {
      if (!el.isConnected) { live.delete(el); unmount(inst); }
    }
    for (const el of document.querySelectorAll(selector)) {
      if (!live.has(el)) live.set(el, mount(el));
    }
  };
  const mo = new MutationObserver((records) => {
    let structural = false;
    for (const r of records) {
      if (r.type === 'attributes') {
        const inst = live.get(r.target);
        if (inst && r.target.getAttribute(r.attributeName) !== r.oldValue) update(inst, r.attributeName);
        else if (!inst) structural = true;
      } else structural = true;
    }
    if (structural) scan();
  });
  mo.observe(document.documentElement, { childList: true, subtree: true, attributes: true,
    attributeOldValue: true, attributeFilter: [...attrs, 'id'] });
  scan();
  return () => { mo.disconnect(); for (const inst of live.values()) unmount(inst); live.clear(); };
}
