// The visitor widget of one organization: its embed attributes (colours, theme,
// language: attributes of the <script> tag, not server settings) with a live
// preview and the embed snippet, and the organization's allowed origins (a
// server setting). The preview is the widget itself in its preview mode
// (docs/widgets.md: `preview` renders in place, never connects), loaded from
// this server like any module, so the console's strict CSP allows it.
import { t, addStrings } from '../i18n.js';
import { el, api, guard, status, rerender, state, orgChoice } from '../lib.js';

export default { id: 'widget', label: 'widget', render: pageWidget };

addStrings({
  en: {
    widget: 'Widget', wAppearance: 'Appearance', wPreview: 'Preview of the visitor widget',
    wSnippet: 'Embed code', wSnippetHelp: 'Put this tag into every page of your website that shows the chat.',
    wCopy: 'Copy', wCopied: 'Copied.', wCopyFail: 'Copying is not allowed here: select the code and copy it.',
    wColorHelp: 'Any CSS colour; empty for the default. Dark variants apply in the dark theme.',
    wPicker: '{name}: picker', wTheme: 'Theme', wLang: 'Widget language', wAuto: 'Automatic',
    wThemeLight: 'Light', wThemeDark: 'Dark', wOriginsH: 'Allowed origins',
    wOriginsHelp: 'Websites that may use the widget, one per line (scheme://host[:port]); empty allows every origin.',
    wBadColor: 'Not a colour: {value}',
    'main-color': 'Main colour', 'main-dark-color': 'Main colour (dark)', 'icon-color': 'Icon colour',
    'icon-dark-color': 'Icon colour (dark)', 'operator-message-color': 'Operator message colour',
    'operator-message-dark-color': 'Operator message colour (dark)',
    'operator-message-text-color': 'Operator message text', 'operator-message-text-dark-color': 'Operator message text (dark)',
  },
  uk: {
    widget: 'Віджет', wAppearance: 'Вигляд', wPreview: 'Попередній перегляд віджета відвідувача',
    wSnippet: 'Код для вставлення', wSnippetHelp: 'Вставте цей тег у кожну сторінку вашого сайту, де має бути чат.',
    wCopy: 'Копіювати', wCopied: 'Скопійовано.', wCopyFail: 'Копіювання тут заборонене: виділіть код і скопіюйте його.',
    wColorHelp: 'Будь-який колір CSS; порожньо — типовий. Темні варіанти діють у темній темі.',
    wPicker: '{name}: вибір', wTheme: 'Тема', wLang: 'Мова віджета', wAuto: 'Автоматично',
    wThemeLight: 'Світла', wThemeDark: 'Темна', wOriginsH: 'Дозволені джерела',
    wOriginsHelp: 'Сайти, яким дозволено віджет, по одному в рядку (scheme://host[:port]); порожньо — будь-які.',
    wBadColor: 'Це не колір: {value}',
    'main-color': 'Основний колір', 'main-dark-color': 'Основний колір (темна тема)', 'icon-color': 'Колір значка',
    'icon-dark-color': 'Колір значка (темна тема)', 'operator-message-color': 'Колір повідомлень оператора',
    'operator-message-dark-color': 'Колір повідомлень оператора (темна тема)',
    'operator-message-text-color': 'Текст повідомлень оператора',
    'operator-message-text-dark-color': 'Текст повідомлень оператора (темна тема)',
  },
});

/* The colour attributes with the widget's defaults (web/chat-widget/widget-script.js, applyColors; '' =
 * the readable one on its background); a dark variant left empty takes the light one if set. */
const COLORS = { 'main-color': '#0a5fd6', 'main-dark-color': '#3d8bff', 'icon-color': '', 'icon-dark-color': '',
  'operator-message-color': '#eef1f5', 'operator-message-dark-color': '#2c3440', 'operator-message-text-color': '',
  'operator-message-text-dark-color': '' };
/* The attributes chosen per organization, kept while the console is open (they live in the embed, not the server). */
const chosen = new Map();

const okColor = (v) => CSS.supports('color', v);
/* #rrggbb of a CSS colour, for the colour picker (which takes nothing else). */
function hex(v) {
  const c = document.createElement('canvas').getContext('2d');
  if (!c || !v || !okColor(v)) return '#000000';
  c.fillStyle = v;
  const s = c.fillStyle;
  if (s[0] === '#') return s;
  const m = /(\d+),\s*(\d+),\s*(\d+)/.exec(s);
  return m ? `#${m.slice(1, 4).map((x) => Number(x).toString(16).padStart(2, '0')).join('')}` : '#000000';
}

const esc = (v) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/* The documented embed tag (docs/widgets.md) with the organization's guid and the chosen attributes. */
export function snippet(guid, attrs) {
  const lines = [`<script type="module" id="chat-widget-script"`,
    `        src="${esc(new URL('/chat-widget/widget-script.js', location.href).href)}"`, `        guid="${esc(guid)}"`];
  for (const [k, v] of Object.entries(attrs)) if (v) lines.push(`        ${k}="${esc(v)}"`);
  return `${lines.join('\n')}></script>`;
}

async function pageWidget(main) {
  const { picker } = await orgChoice('widget-org');
  main.append(el('h2', { text: t('widget') }));
  if (!picker) { main.append(el('p', { text: t('chooseOrg') })); return; }
  const org = await api('GET', `/api/company/organization/${state.org}`);
  if (!chosen.has(org.id)) chosen.set(org.id, {});
  const attrs = chosen.get(org.id);

  const tag = el('script', { type: 'module', id: 'chat-widget-script-preview', src: '/chat-widget/widget-script.js',
    guid: org.guid, preview: org.name });
  const code = el('code', { id: 'widget-snippet' });
  const apply = () => {
    for (const k of [...Object.keys(COLORS), 'theme', 'lang']) {
      if (attrs[k]) tag.setAttribute(k, attrs[k]); else tag.removeAttribute(k);
    }
    code.textContent = snippet(org.guid, attrs);
  };

  const colors = Object.keys(COLORS).map((k) => colorRow(k, attrs, apply));
  const theme = choice('widget-theme', t('wTheme'), [['', t('wAuto')], ['light', t('wThemeLight')], ['dark', t('wThemeDark')]],
    attrs.theme, (v) => { attrs.theme = v; apply(); });
  const lang = choice('widget-lang', t('wLang'), [['', t('wAuto')], ['en', 'English'], ['uk', 'Українська']],
    attrs.lang, (v) => { attrs.lang = v; apply(); });
  const copy = el('button', { type: 'button', id: 'widget-copy', text: t('wCopy'), onclick: () => guard(async () => {
    try { await navigator.clipboard.writeText(code.textContent); status(t('wCopied'), 'notice'); }
    catch { getSelection().selectAllChildren(code); throw new Error(t('wCopyFail')); }
  }) });

  apply();
  main.append(picker,
    el('div', { class: 'widget-grid' },
      el('fieldset', { class: 'widget-look' }, el('legend', { text: t('wAppearance') }),
        el('p', { class: 'muted', id: 'widget-color-help', text: t('wColorHelp') }), colors, theme, lang),
      el('figure', { class: 'widget-preview' },
        el('figcaption', { text: t('wPreview') }),
        // a picture of the widget, not a control of this page: out of the tab order and the accessibility tree
        el('div', { class: 'widget-stage', inert: true }, tag))),
    el('h3', { text: t('wSnippet') }), el('p', { class: 'muted', text: t('wSnippetHelp') }),
    el('pre', { class: 'secret', tabindex: '0', 'aria-label': t('wSnippet') }, code), copy,
    originsForm(org));
}

function colorRow(k, attrs, apply) {
  const text = el('input', { id: `wc-${k}`, name: k, value: attrs[k] || '', placeholder: COLORS[k] || t('wAuto'), size: 12,
    'aria-describedby': 'widget-color-help', autocomplete: 'off', spellcheck: 'false' });
  const pick = el('input', { type: 'color', value: hex(attrs[k] || COLORS[k]), 'aria-label': t('wPicker', { name: t(k) }) });
  text.addEventListener('input', () => {
    const v = text.value.trim();
    const ok = !v || okColor(v);
    text.setAttribute('aria-invalid', ok ? 'false' : 'true');
    if (!ok) { status(t('wBadColor', { value: v })); return; }
    status('', '');
    attrs[k] = v;
    pick.value = hex(v || COLORS[k]);
    apply();
  });
  pick.addEventListener('input', () => { text.value = pick.value; text.dispatchEvent(new Event('input')); });
  return el('div', { class: 'color-row' }, el('label', { for: `wc-${k}`, text: t(k) }), el('div', {}, text, pick));
}

function choice(id, label, opts, value, onchange) {
  const sel = el('select', { id }, opts.map(([v, n]) => el('option', { value: v, selected: v === (value || '') }, n)));
  sel.addEventListener('change', () => onchange(sel.value));
  return el('label', {}, label, sel);
}

function originsForm(org) {
  const ta = el('textarea', { id: 'widget-origins', name: 'origins', rows: 3, cols: 40, 'aria-describedby': 'widget-origins-help' });
  ta.value = (org.allowedOrigins || []).join('\n');
  const f = el('form', { id: 'widget-origins-form', 'aria-labelledby': 'widget-origins-h' },
    el('h3', { id: 'widget-origins-h', text: t('wOriginsH') }),
    el('p', { class: 'muted', id: 'widget-origins-help', text: t('wOriginsHelp') }),
    el('label', {}, t('origins'), ta), el('button', { class: 'primary', text: t('save') }));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    await api('PUT', `/api/company/organization/${org.id}`, { allowedOrigins: ta.value.split(/\s+/).filter(Boolean) });
    await rerender(); status(t('saved'), 'notice');
  }); });
  return f;
}
