// Webhooks: list with delivery status, create (secret shown once), test, enable, delete.
import { t } from '../i18n.js';
import { el, api, guard, status, field, table, rerender } from '../lib.js';

export default { id: 'webhooks', label: 'webhooks', render: pageWebhooks };

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
    await rerender();
    document.getElementById('hook-shown').replaceChildren(el('p', { text: t('shownOnce') }), el('p', { class: 'secret', id: 'new-secret', text: w.secret }));
  }); });
  const rows = hooks.map((w) => [w.url, w.status, w.lastError || '', el('div', { class: 'row-actions' },
    el('button', { type: 'button', text: t('sendTest'), 'aria-label': `${t('sendTest')} ${w.url}`, onclick: () => guard(async () => {
      const r = await api('POST', `/api/company/webhooks/${w.id}/test`);
      status(r.ok ? t('testOk', { status: r.status }) : t('testFail', { error: r.error || `HTTP ${r.status}` }), r.ok ? 'notice' : 'error');
    }) }),
    w.status !== 'active' ? el('button', { type: 'button', text: t('enable'), onclick: () => guard(async () => {
      await api('POST', `/api/company/webhooks/${w.id}/enable`); await rerender(); status(t('saved'), 'notice');
    }) }) : null,
    el('button', { type: 'button', text: t('del'), 'aria-label': `${t('del')} ${w.url}`, onclick: () => guard(async () => {
      await api('DELETE', `/api/company/webhooks/${w.id}`); await rerender(); status(t('saved'), 'notice');
    }) }))]);
  main.append(el('h2', { text: t('webhooks') }), create, shown,
    table([t('url'), t('status'), t('lastError'), t('actions')], rows));
}

