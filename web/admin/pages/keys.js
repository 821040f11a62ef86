// Company API keys: list, create (the key shown once), revoke.
import { t } from '../i18n.js';
import { el, api, guard, status, field, table, rerender } from '../lib.js';

export default { id: 'keys', label: 'keys', render: pageKeys };

async function pageKeys(main) {
  const keys = await api('GET', '/api/company/api-keys');
  const shown = el('div', { id: 'key-shown', 'aria-live': 'polite' });
  const create = el('form', { class: 'inline', id: 'key-create' },
    field(t('name'), { name: 'name', required: true }), el('button', { class: 'primary', text: t('create') }));
  create.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const k = await api('POST', '/api/company/api-keys', { name: create.elements.name.value });
    await rerender();
    document.getElementById('key-shown').replaceChildren(el('p', { text: t('shownOnce') }), el('p', { class: 'secret', id: 'new-key', text: k.key }));
  }); });
  const rows = keys.map((k) => [k.name, k.prefix, k.createdAt, el('button', { type: 'button', text: t('revoke'),
    'aria-label': `${t('revoke')} ${k.name}`, onclick: () => guard(async () => {
      await api('DELETE', `/api/company/api-keys/${k.id}`); await rerender(); status(t('saved'), 'notice');
    }) })]);
  main.append(el('h2', { text: t('keys') }), create, shown, table([t('name'), t('prefix'), t('created'), t('actions')], rows));
}

