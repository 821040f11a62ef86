// Labels of one organization: list, create (name and colour), delete.
import { t, addStrings } from '../i18n.js';
import { el, api, guard, status, field, table, rerender, state, orgChoice } from '../lib.js';

export default { id: 'labels', label: 'labels', render: pageLabels };

addStrings({
  en: {
    labels: 'Labels', colour: 'Colour', newLabel: 'New label',
    labelsHelp: 'Operators put labels on chats to sort and find them. Deleting a label takes it off every chat.',
  },
  uk: {
    labels: 'Мітки', colour: 'Колір', newLabel: 'Нова мітка',
    labelsHelp: 'Оператори ставлять мітки на чати, щоб упорядковувати й шукати їх. Видалена мітка зникає з усіх чатів.',
  },
});

/* The colour offered for the next label (the user may pick any other). */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

async function pageLabels(main) {
  const { picker } = await orgChoice('lb-org');
  main.append(el('h2', { text: t('labels') }));
  if (!picker) { main.append(el('p', { text: t('chooseOrg') })); return; }
  const labels = await api('GET', `/api/labels?organizationId=${state.org}`);
  const create = el('form', { class: 'inline', id: 'lb-create', 'aria-label': t('newLabel') },
    field(t('name'), { name: 'name', required: true, maxlength: 64, autocomplete: 'off' }),
    field(t('colour'), { name: 'color', type: 'color', value: PALETTE[labels.length % PALETTE.length] }),
    el('button', { class: 'primary', text: t('create') }));
  create.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    await api('POST', '/api/labels', { organizationId: state.org, name: create.elements.name.value,
      color: create.elements.color.value });
    await rerender(); status(t('saved'), 'notice');
  }); });
  const rows = labels.map((l) => {
    // the style property (CSSOM), not a style attribute: the CSP allows only the former
    const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = l.color;
    return [el('span', { class: 'label-name' }, swatch, l.name), l.color,
      el('button', { type: 'button', text: t('del'), 'aria-label': `${t('del')} ${l.name}`, onclick: () => guard(async () => {
        await api('DELETE', `/api/labels/${l.id}`); await rerender(); status(t('saved'), 'notice');
      }) })];
  });
  main.append(picker, el('p', { class: 'muted', text: t('labelsHelp') }), create,
    table([t('name'), t('colour'), t('actions')], rows));
}
