// Operators of an organization: add, rename, photo, status, operator token and panel link.
import { t, addStrings } from '../i18n.js';
import { el, api, guard, status, field, table, rerender, state, orgChoice } from '../lib.js';

export default { id: 'operators', label: 'operators', render: pageOperators };

addStrings({
  en: { photo: 'Photo', setPhoto: 'Set photo', photoLink: 'Photo of {name} (opens another site)', photoAlt: 'Photo of {name}' },
  uk: { photo: 'Фото', setPhoto: 'Змінити фото', photoLink: 'Фото {name} (відкриває інший сайт)', photoAlt: 'Фото {name}' },
});

/* The console's CSP loads images of its own origin only (img-src 'self' data:):
 * a photo elsewhere is a link, so no third party learns when the console is open. */
function photoView(o) {
  if (!o.photo) return null;
  let local = false;
  try { local = new URL(o.photo).origin === location.origin; } catch { /* shown as a link */ }
  if (local) return el('img', { class: 'photo', src: o.photo, alt: t('photoAlt', { name: o.name }), width: 32, height: 32 });
  return el('a', { href: o.photo, target: '_blank', rel: 'noopener noreferrer', text: t('photoLink', { name: o.name }) });
}

function photoCell(o) {
  const input = el('input', { type: 'url', value: o.photo || '', 'aria-label': `${t('photo')} ${o.name}`, size: 24 });
  return el('div', { class: 'row-actions' }, photoView(o), input,
    el('button', { type: 'button', text: t('setPhoto'), 'aria-label': `${t('setPhoto')} ${o.name}`, onclick: () => guard(async () => {
      if (!o.externalId) throw new Error(t('noExternalId'));
      // "" removes the photo; the stored name is sent so that this changes the photo alone
      await api('POST', '/api/operator/synchronize', [{ organizationId: state.org, name: o.name,
        externalId: o.externalId, photo: input.value.trim() }]);
      await rerender(); status(t('saved'), 'notice');
    }) }));
}

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
    return [String(o.id), name, photoCell(o), st, acts];
  });
  main.append(picker, add,
    table([t('id'), t('name'), t('photo'), t('status'), t('actions')], rows), out);
}

