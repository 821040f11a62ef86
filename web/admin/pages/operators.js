// Operators of an organization: add, rename, status, operator token and panel link.
import { t } from '../i18n.js';
import { el, api, guard, status, field, table, rerender, state, orgChoice } from '../lib.js';

export default { id: 'operators', label: 'operators', render: pageOperators };

async function pageOperators(main) {
  const { picker } = await orgChoice('op-org');
  main.append(el('h2', { text: t('operators') }));
  if (!picker) { main.append(el('p', { text: t('chooseOrg') })); return; }
  const add = el('form', { class: 'inline', id: 'op-add' },
    field(t('name'), { name: 'name', required: true }), el('button', { class: 'primary', text: t('add') }));
  add.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    await api('POST', '/api/operator/synchronize', [{ organizationId: state.org, name: add.elements.name.value,
      externalId: `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}` }]);
    await rerender(); status(t('saved'), 'notice');
  }); });
  const out = el('div', { id: 'op-token', 'aria-live': 'polite' });
  const ops = await api('GET', `/api/operator?organizationId=${state.org}&includeDeleted=true`);
  const rows = ops.map((o) => {
    const name = el('input', { value: o.name, 'aria-label': `${t('name')} ${o.id}` });
    const st = el('select', { 'aria-label': `${t('status')} ${o.name}` },
      [0, 1, 2].map((s) => el('option', { value: s, selected: s === o.status }, t(`st${s}`))));
    const acts = el('div', { class: 'row-actions' },
      el('button', { type: 'button', text: t('rename'), onclick: () => guard(async () => {
        // synchronize updates by externalId; a row without one would add an operator
        if (!o.externalId) throw new Error(t('noExternalId'));
        await api('POST', '/api/operator/synchronize', [{ organizationId: state.org, name: name.value, externalId: o.externalId }]);
        await rerender(); status(t('saved'), 'notice');
      }) }),
      el('button', { type: 'button', text: t('setStatus'), onclick: () => guard(async () => {
        await api('POST', '/api/operator/status', { id: o.id, status: Number(st.value) });
        await rerender(); status(t('saved'), 'notice');
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
  main.append(picker, add,
    table([t('id'), t('name'), t('status'), t('actions')], rows), out);
}

