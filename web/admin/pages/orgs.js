// Organizations: list, create, rename, allowed origins, capacity.
import { t } from '../i18n.js';
import { el, api, guard, status, field, table, rerender } from '../lib.js';

export default { id: 'orgs', label: 'orgs', render: pageOrgs };

async function pageOrgs(main) {
  const list = await api('GET', '/api/company/organization');
  const orgs = await Promise.all(list.map((o) => api('GET', `/api/company/organization/${o.id}`)));
  const create = el('form', { class: 'inline', id: 'org-create' },
    field(t('name'), { name: 'name', required: true }), el('button', { class: 'primary', text: t('create') }));
  create.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    await api('POST', '/api/company/organization', { name: create.elements.name.value });
    await rerender(); status(t('saved'), 'notice');
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
      await rerender(); status(t('saved'), 'notice');
    }); });
    return [String(o.id), f];
  });
  main.append(el('h2', { text: t('orgs') }), create, table([t('id'), t('edit')], rows));
}

