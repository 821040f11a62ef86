// Settings of one organization: the chat settings PUT /api/company/organization/{id}
// takes beyond the Organizations page's (pre-chat form, canned responses, CSAT,
// auto-close, retention, outbound URL), the identity and channel secrets (made
// in the browser, shown once, never shown again) and the business hours.
import { t, addStrings } from '../i18n.js';
import { el, api, guard, status, field, rerender, state, orgChoice } from '../lib.js';

export default { id: 'settings', label: 'settings', render: pageSettings };

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MINUTES_MAX = 525600; // a year, the API's bound of autoClose*Minutes
const SECRETS = [['identitySecret', 'identity'], ['channelSecret', 'channel']];

addStrings({
  en: {
    settings: 'Settings', setChats: 'Chats', prechatForm: 'Ask the visitor for a name and e-mail before the chat',
    operatorsManageCanned: 'Operators may manage the organization-wide canned responses',
    csatEnabled: 'Ask the visitor to rate a closed chat (CSAT)',
    autoCloseWaitingMinutes: 'Close a Waiting chat after minutes without a reply (0: never)',
    autoCloseOpenMinutes: 'Close an Open chat after minutes without an answer (0: never)',
    autoCloseOnPauseMinutes: 'Close a chat on pause after minutes (0: never)',
    retentionDays: 'Erase closed chats after days (0: keep forever)',
    outboundUrl: 'Outbound URL of the messaging channel (empty: none)',
    setSecrets: 'Secrets', identitySecret: 'Identity secret', channelSecret: 'Channel secret',
    identityHelp: 'Verifies the userJWT of the visitor widget.', channelHelp: 'Signs the requests of the messaging channel.',
    secretSet: 'Set. It is never shown again; generate a new one to replace it.', secretUnset: 'Not set.',
    genIdentity: 'Generate new identity secret', genChannel: 'Generate new channel secret',
    replaceWarn: 'A new secret replaces the old one at once: update every system that uses it.',
    newSecret: 'New {what}', bh: 'Business hours', bhEnabled: 'Keep business hours (else always open)',
    timeZone: 'Time zone (IANA, for example Europe/Kyiv)',
    bhHelp: 'Opening hours per day as ranges, for example 09:00-13:00, 14:00-18:00; empty: closed.',
    mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday',
    holidays: 'Holidays (YYYY-MM-DD, one per line)', awayMessage: 'Away message', autoReply: 'Send the away message as an automatic reply while closed',
  },
  uk: {
    settings: 'Налаштування', setChats: 'Чати', prechatForm: 'Питати у відвідувача ім’я та e-mail перед чатом',
    operatorsManageCanned: 'Оператори можуть керувати шаблонами відповідей організації',
    csatEnabled: 'Просити відвідувача оцінити закритий чат (CSAT)',
    autoCloseWaitingMinutes: 'Закривати чат «Очікує» через хвилин без відповіді (0: ніколи)',
    autoCloseOpenMinutes: 'Закривати відкритий чат через хвилин без відповіді (0: ніколи)',
    autoCloseOnPauseMinutes: 'Закривати чат на паузі через хвилин (0: ніколи)',
    retentionDays: 'Стирати закриті чати через днів (0: зберігати завжди)',
    outboundUrl: 'Вихідний URL каналу повідомлень (порожньо: немає)',
    setSecrets: 'Секрети', identitySecret: 'Секрет ідентичності', channelSecret: 'Секрет каналу',
    identityHelp: 'Перевіряє userJWT віджета відвідувача.', channelHelp: 'Підписує запити каналу повідомлень.',
    secretSet: 'Задано. Його більше не показано; створіть новий, щоб замінити.', secretUnset: 'Не задано.',
    genIdentity: 'Створити новий секрет ідентичності', genChannel: 'Створити новий секрет каналу',
    replaceWarn: 'Новий секрет одразу замінює старий: оновіть кожну систему, що ним користується.',
    newSecret: 'Новий: {what}', bh: 'Робочі години', bhEnabled: 'Дотримуватися робочих годин (інакше завжди відкрито)',
    timeZone: 'Часовий пояс (IANA, наприклад Europe/Kyiv)',
    bhHelp: 'Години роботи на день як проміжки, наприклад 09:00-13:00, 14:00-18:00; порожньо: зачинено.',
    mon: 'Понеділок', tue: 'Вівторок', wed: 'Середа', thu: 'Четвер', fri: 'П’ятниця', sat: 'Субота', sun: 'Неділя',
    holidays: 'Вихідні дні (РРРР-ММ-ДД, по одному в рядку)', awayMessage: 'Повідомлення про відсутність',
    autoReply: 'Надсилати повідомлення про відсутність як автовідповідь, коли зачинено',
  },
});

async function pageSettings(main) {
  const { picker } = await orgChoice('set-org');
  main.append(el('h2', { text: t('settings') }));
  if (!picker) { main.append(el('p', { text: t('chooseOrg') })); return; }
  const [org, hours] = await Promise.all([api('GET', `/api/company/organization/${state.org}`),
    api('GET', `/api/company/organization/${state.org}/business-hours`)]);
  main.append(picker, chatsForm(org), secretsSection(org), hoursForm(hours));
}

function check(name, checked) {
  return el('label', { class: 'check' }, el('input', { type: 'checkbox', name, checked }), t(name));
}

function chatsForm(org) {
  const num = (name, max) => field(t(name), { name, type: 'number', min: 0, max, required: true, value: org[name] });
  const f = el('form', { id: 'set-chats', class: 'stack', 'aria-labelledby': 'set-chats-h' },
    el('h3', { id: 'set-chats-h', text: t('setChats') }),
    check('prechatForm', org.prechatForm), check('operatorsManageCanned', org.operatorsManageCanned),
    check('csatEnabled', org.csatEnabled),
    num('autoCloseWaitingMinutes', MINUTES_MAX), num('autoCloseOpenMinutes', MINUTES_MAX),
    num('autoCloseOnPauseMinutes', MINUTES_MAX), num('retentionDays', 3650),
    field(t('outboundUrl'), { name: 'outboundUrl', type: 'url', value: org.outboundUrl || '', size: 40 }),
    el('button', { class: 'primary', text: t('save') }));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const e = f.elements;
    const body = { outboundUrl: e.outboundUrl.value.trim() };
    for (const k of ['prechatForm', 'operatorsManageCanned', 'csatEnabled']) body[k] = e[k].checked;
    for (const k of ['autoCloseWaitingMinutes', 'autoCloseOpenMinutes', 'autoCloseOnPauseMinutes', 'retentionDays']) {
      body[k] = Number(e[k].value);
    }
    await api('PUT', `/api/company/organization/${state.org}`, body);
    await rerender(); status(t('saved'), 'notice');
  }); });
  return f;
}

/* 48 characters of base64url from 36 random bytes (288 bits); the API takes 16–64. */
function newSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(36));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}

/* The secrets are never put on the page: only whether one is set. A new one
 * is shown once, right after it is stored, until the page is drawn again. */
function secretsSection(org) {
  const shown = el('div', { id: 'secret-shown', 'aria-live': 'polite' });
  const rows = SECRETS.map(([key, what]) => {
    const id = `${what}-secret`;
    return el('div', { class: 'secret-row', id: `${id}-row` },
      el('h4', { text: t(key) }), el('p', { class: 'muted', text: t(`${what}Help`) }),
      el('p', { id: `${id}-state`, text: org[`${key}Set`] ? t('secretSet') : t('secretUnset') }),
      el('button', { type: 'button', id: `gen-${id}`, text: t(what === 'identity' ? 'genIdentity' : 'genChannel'),
        onclick: () => guard(async () => {
          const secret = newSecret();
          await api('PUT', `/api/company/organization/${state.org}`, { [key]: secret });
          await rerender();
          document.getElementById('secret-shown').replaceChildren(
            el('h4', { text: t('newSecret', { what: t(key) }) }), el('p', { text: t('shownOnce') }),
            el('p', { class: 'secret', id: `new-${id}`, text: secret }));
          status(t('saved'), 'notice');
        }) }));
  });
  return el('section', { 'aria-labelledby': 'set-secrets-h' }, el('h3', { id: 'set-secrets-h', text: t('setSecrets') }),
    el('p', { class: 'muted', text: t('replaceWarn') }), shown, rows);
}

/* "09:00-13:00, 14:00-18:00" ↔ [["09:00","13:00"],["14:00","18:00"]]. A range the
 * text cannot split is sent as it is, so that the API's message names it. */
const rangesText = (day) => (day || []).map((r) => r.join('-')).join(', ');
const parseRanges = (s) => s.split(/[,;]/).map((r) => r.trim()).filter(Boolean)
  .map((r) => r.split(/\s*[-–]\s*/));

function hoursForm(h) {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const err = el('p', { id: 'bh-error', class: 'error' });
  const days = DAYS.map((d) => field(t(d), { name: d, value: rangesText(h.weekly[d]), 'aria-describedby': 'bh-help',
    autocomplete: 'off' }));
  const f = el('form', { id: 'bh-form', class: 'stack', 'aria-labelledby': 'bh-h' },
    el('h3', { id: 'bh-h', text: t('bh') }), check('bhEnabled', h.enabled),
    field(t('timeZone'), { name: 'timeZone', value: h.timeZone, list: 'bh-zones', autocomplete: 'off', required: true }),
    el('datalist', { id: 'bh-zones' }, zones.map((z) => el('option', { value: z }))),
    el('p', { id: 'bh-help', class: 'muted', text: t('bhHelp') }), days,
    field(t('holidays'), { tag: 'textarea', name: 'holidays', rows: 3 }),
    field(t('awayMessage'), { tag: 'textarea', name: 'awayMessage', rows: 3, maxlength: 1000 }),
    check('autoReply', h.autoReply), el('button', { class: 'primary', text: t('save') }), err);
  f.elements.holidays.value = (h.holidays || []).join('\n');
  f.elements.awayMessage.value = h.awayMessage || '';
  f.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const e = f.elements;
    err.textContent = '';
    for (const n of f.querySelectorAll('[aria-invalid]')) {
      n.removeAttribute('aria-invalid');
      if (DAYS.includes(n.name)) n.setAttribute('aria-describedby', 'bh-help'); else n.removeAttribute('aria-describedby');
    }
    const body = { enabled: e.bhEnabled.checked, timeZone: e.timeZone.value.trim(), weekly: {},
      holidays: e.holidays.value.split(/[\s,]+/).filter(Boolean), awayMessage: e.awayMessage.value,
      autoReply: e.autoReply.checked };
    for (const d of DAYS) body.weekly[d] = parseRanges(e[d].value);
    try {
      await api('PUT', `/api/company/organization/${state.org}/business-hours`, body);
    } catch (x) { showFieldError(f, err, x.message); throw x; }
    await rerender(); status(t('saved'), 'notice');
  }); });
  return f;
}

/* The API names the field first ("weekly.mon[0]: …", "timeZone: …"): that
 * control is marked invalid, described by the message, and focused. */
function showFieldError(f, err, message) {
  err.textContent = message;
  const m = /^(?:weekly\.)?([A-Za-z]+)/.exec(message);
  const ctl = m && f.elements[m[1]];
  if (!ctl || !ctl.setAttribute) return;
  ctl.setAttribute('aria-invalid', 'true');
  ctl.setAttribute('aria-describedby', 'bh-error');
  ctl.focus();
}
