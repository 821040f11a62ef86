// Canned responses of one organization: the organization-wide ones (a company
// token manages those; operators' personal responses are their own, in the
// operator panel): list, create, edit, delete.
import { t, addStrings } from '../i18n.js';
import { el, api, guard, status, field, table, rerender, state, orgChoice } from '../lib.js';

export default { id: 'canned', label: 'canned', render: pageCanned };

addStrings({
  en: {
    canned: 'Canned responses', shortcut: 'Shortcut', cannedTitle: 'Title', cannedText: 'Text',
    cannedHelp: 'Responses every operator of the organization can insert while chatting. Placeholders such as ' +
      '{{client.name}} and {{operator.name}} are filled in by the operator panel. Operators keep their personal ' +
      'responses in the operator panel.',
    cannedOps: 'Operators may also manage these (Settings): {v}.', yes: 'yes', no: 'no', newCanned: 'New canned response',
  },
  uk: {
    canned: 'Шаблони відповідей', shortcut: 'Скорочення', cannedTitle: 'Заголовок', cannedText: 'Текст',
    cannedHelp: 'Відповіді, які кожен оператор організації може вставити в чат. Підстановки на кшталт ' +
      '{{client.name}} і {{operator.name}} заповнює панель оператора. Особисті шаблони оператори ведуть у ' +
      'панелі оператора.',
    cannedOps: 'Оператори теж можуть ними керувати (Налаштування): {v}.', yes: 'так', no: 'ні',
    newCanned: 'Новий шаблон відповіді',
  },
});

/* The API checks the shortcut (1–32 of A-Z a-z 0-9 _ -) and its message names it. */
const SHORTCUT = { maxlength: 32, required: true, autocomplete: 'off' };

async function pageCanned(main) {
  const { picker } = await orgChoice('cr-org');
  main.append(el('h2', { text: t('canned') }));
  if (!picker) { main.append(el('p', { text: t('chooseOrg') })); return; }
  const [list, org] = await Promise.all([api('GET', `/api/canned-responses?organizationId=${state.org}`),
    api('GET', `/api/company/organization/${state.org}`)]);
  const create = el('form', { class: 'inline', id: 'cr-create', 'aria-label': t('newCanned') },
    field(t('shortcut'), { name: 'shortcut', ...SHORTCUT, size: 12 }),
    field(t('cannedTitle'), { name: 'title', required: true, maxlength: 256 }),
    field(t('cannedText'), { tag: 'textarea', name: 'text', required: true, rows: 2, cols: 40 }),
    el('button', { class: 'primary', text: t('create') }));
  create.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const e = create.elements;
    await api('POST', '/api/canned-responses', { organizationId: state.org, shortcut: e.shortcut.value.trim(),
      title: e.title.value, text: e.text.value });
    await rerender(); status(t('saved'), 'notice');
  }); });
  const rows = list.filter((r) => r.operatorId == null).map((r) => [editForm(r)]);
  main.append(picker, el('p', { class: 'muted', text: t('cannedHelp') }),
    el('p', { class: 'muted', text: t('cannedOps', { v: t(org.operatorsManageCanned ? 'yes' : 'no') }) }),
    create, table([t('canned')], rows));
}

function editForm(r) {
  const f = el('form', { class: 'inline', 'data-canned': r.id, 'aria-label': `${t('edit')} ${r.shortcut}` },
    field(t('shortcut'), { name: 'shortcut', ...SHORTCUT, size: 12, value: r.shortcut }),
    field(t('cannedTitle'), { name: 'title', required: true, maxlength: 256, value: r.title }),
    field(t('cannedText'), { tag: 'textarea', name: 'text', required: true, rows: 2, cols: 40 }),
    el('div', { class: 'row-actions' }, el('button', { text: t('save') }),
      el('button', { type: 'button', text: t('del'), 'aria-label': `${t('del')} ${r.shortcut}`, onclick: () => guard(async () => {
        await api('DELETE', `/api/canned-responses/${r.id}`); await rerender(); status(t('saved'), 'notice');
      }) })));
  f.elements.text.value = r.text;
  f.addEventListener('submit', (ev) => { ev.preventDefault(); guard(async () => {
    const e = f.elements;
    await api('PUT', `/api/canned-responses/${r.id}`, { shortcut: e.shortcut.value.trim(), title: e.title.value,
      text: e.text.value });
    await rerender(); status(t('saved'), 'notice');
  }); });
  return f;
}
