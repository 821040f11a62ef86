// Channels of one organization: its Telegram and Viber bots
// (GET/POST /api/company/organization/{id}/channels, DELETE …/channels/{channelId}).
// The list shows each bot's type, name, the last characters of its token, the
// webhook URL the platform calls (with a copy button) and its health; the form
// connects a bot (the server registers the webhook before it answers, so a
// token the platform refuses comes back as the API's message); remove asks
// first, in place. The token is a password field and never comes back.
import { t, getLang } from '../i18n.js';
import { el, api, guard, status, table, rerender, state, orgChoice } from '../lib.js';
import { botIcon, botName } from '../../shared/bot-icon.js';

export default { id: 'channels', label: 'channels', render: pageChannels };

const TYPES = ['telegram', 'viber'];
const base = (org) => `/api/company/organization/${org}/channels`;

async function pageChannels(main) {
  const { picker } = await orgChoice('ch-org');
  main.append(el('h2', { text: t('channels') }));
  if (!picker) { main.append(el('p', { text: t('chooseOrg') })); return; }
  const org = state.org;
  main.append(picker, el('p', { class: 'muted', text: t('chHelp') }), connectForm(org));
  const list = await api('GET', base(org));
  const rows = list.map((c) => [
    el('span', { class: 'bot-type' }, botIcon(c.type, { size: 20, decorative: true }), botName(c.type) || c.type),
    c.name, el('code', { text: c.tokenHint || '' }), webhookCell(c), health(c.health || {}), removeCell(org, c)]);
  main.append(el('h3', { text: t('chList') }), list.length ? table([t('chType'), t('name'), t('chTokenCol'),
    t('chWebhook'), t('chHealth'), t('actions')], rows) : el('p', { class: 'muted', id: 'ch-none', text: t('chNone') }));
}

function connectForm(org) {
  const type = el('select', { name: 'type' }, TYPES.map((v) => el('option', { value: v }, botName(v))));
  const f = el('form', { class: 'inline', id: 'ch-create', 'aria-labelledby': 'ch-create-h' },
    el('h3', { id: 'ch-create-h', class: 'form-h', text: t('chConnect') }),
    el('label', {}, t('chType'), type),
    el('label', {}, t('name'), el('input', { name: 'name', required: true, maxlength: 256, autocomplete: 'off' })),
    el('label', {}, t('chToken'), el('input', { name: 'token', type: 'password', required: true, maxlength: 256,
      autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'ch-token-help' })),
    el('button', { class: 'primary', text: t('chConnectBtn') }),
    el('p', { class: 'muted form-help', id: 'ch-token-help', text: t('chTokenHelp') }));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const btn = f.querySelector('button');
    btn.disabled = true; // registration talks to the platform: one request at a time
    status(t('chConnecting'), 'notice');
    try {
      const c = await api('POST', base(org), { type: type.value, name: f.elements.name.value, token: f.elements.token.value });
      f.elements.token.value = '';
      await rerender();
      status(t('chConnected', { name: c.name }), 'notice');
    } finally { btn.disabled = false; }
  }); });
  return f;
}

function webhookCell(c) {
  const url = el('code', { class: 'hook-url', text: c.webhookUrl || '' });
  const copy = el('button', { type: 'button', text: t('chCopy'), 'aria-label': t('chCopyUrl', { name: c.name }),
    onclick: () => guard(async () => {
      try { await navigator.clipboard.writeText(c.webhookUrl); status(t('chCopied'), 'notice'); }
      catch { getSelection().selectAllChildren(url); throw new Error(t('chCopyFail')); }
    }) });
  return el('div', { class: 'hook' }, url, copy);
}

const when = (iso) => el('time', { datetime: iso, text: new Date(iso).toLocaleString(getLang()) });

function health(hl) {
  return el('ul', { class: 'health' },
    el('li', { class: hl.webhookRegistered ? 'ok' : 'error', 'data-health': 'webhook' },
      hl.webhookRegistered ? t('chRegistered') : t('chNotRegistered'),
      hl.webhookRegistered && hl.registeredAt ? [' ', when(hl.registeredAt)] : null),
    el('li', { 'data-health': 'inbound' }, `${t('chLastInbound')}: `, hl.lastInboundAt ? when(hl.lastInboundAt) : t('chNever')),
    hl.lastError ? el('li', { class: 'error', 'data-health': 'error' }, `${t('lastError')}`,
      hl.lastErrorAt ? [' (', when(hl.lastErrorAt), ')'] : null, `: ${hl.lastError}`) : null);
}

/* Remove asks in place: the button becomes the question with "Yes, remove" and "Cancel". */
function removeCell(org, c) {
  const cell = el('div', { class: 'row-actions' });
  const ask = () => {
    const no = el('button', { type: 'button', text: t('chCancel'), onclick: () => { cell.replaceChildren(start()); cell.firstChild.focus(); } });
    cell.replaceChildren(el('p', { class: 'confirm', role: 'alert', text: t('chConfirm', { name: c.name }) }),
      el('button', { type: 'button', class: 'danger', text: t('chConfirmYes'), 'aria-label': t('chConfirmYesOf', { name: c.name }),
        onclick: () => guard(async () => {
          await api('DELETE', `${base(org)}/${c.id}`);
          await rerender();
          status(t('chRemoved', { name: c.name }), 'notice');
        }) }), no);
    no.focus();
  };
  const start = () => el('button', { type: 'button', text: t('chRemove'), 'aria-label': t('chRemoveOf', { name: c.name }), onclick: ask });
  cell.append(start());
  return cell;
}
