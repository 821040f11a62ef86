// The console's strings in English and Ukrainian. The language is the one the
// user picked in this tab, else the browser's (uk* → Ukrainian), else English.
const STRINGS = {
  en: {
    title: 'ChatHub admin', signIn: 'Sign in', login: 'Login', password: 'Password', signOut: 'Sign out',
    language: 'Language', orgs: 'Organizations', operators: 'Operators', keys: 'API keys', webhooks: 'Webhooks',
    name: 'Name', create: 'Create', save: 'Save', id: 'ID', origins: 'Allowed origins (one per line)',
    capacity: 'Chats per operator', actions: 'Actions', edit: 'Edit', organization: 'Organization',
    status: 'Status', add: 'Add', rename: 'Rename', getToken: 'Operator token', openPanel: 'Open the operator panel',
    st0: 'Active', st1: 'Inactive', st2: 'Deleted', setStatus: 'Set status', prefix: 'Prefix', created: 'Created',
    revoke: 'Revoke', shownOnce: 'Copy it now: it is shown only once.', url: 'URL', lastError: 'Last error',
    del: 'Delete', enable: 'Enable', sendTest: 'Send test', allOrgs: 'All organizations', none: 'Nothing yet.',
    sessionEnded: 'Your session has ended; sign in again.', badLogin: 'Wrong login or password.',
    saved: 'Saved.', testOk: 'Test delivered: HTTP {status}.', testFail: 'Test failed: {error}',
    chooseOrg: 'Create an organization first.', loading: 'Loading…', newKey: 'New API key', newHook: 'New webhook',
    tokenFor: 'Token for {name}', cannotReach: 'The server cannot be reached.',
    noExternalId: 'This operator has no externalId: rename it where it was created.',
  },
  uk: {
    title: 'Адміністрування ChatHub', signIn: 'Увійти', login: 'Логін', password: 'Пароль', signOut: 'Вийти',
    language: 'Мова', orgs: 'Організації', operators: 'Оператори', keys: 'API-ключі', webhooks: 'Вебхуки',
    name: 'Назва', create: 'Створити', save: 'Зберегти', id: 'ID', origins: 'Дозволені джерела (по одному в рядку)',
    capacity: 'Чатів на оператора', actions: 'Дії', edit: 'Змінити', organization: 'Організація',
    status: 'Стан', add: 'Додати', rename: 'Перейменувати', getToken: 'Токен оператора',
    openPanel: 'Відкрити панель оператора', st0: 'Активний', st1: 'Неактивний', st2: 'Видалений',
    setStatus: 'Змінити стан', prefix: 'Префікс', created: 'Створено', revoke: 'Відкликати',
    shownOnce: 'Скопіюйте зараз: його показано лише один раз.', url: 'URL', lastError: 'Остання помилка',
    del: 'Видалити', enable: 'Увімкнути', sendTest: 'Надіслати тест', allOrgs: 'Усі організації', none: 'Поки нічого.',
    sessionEnded: 'Сеанс завершено; увійдіть знову.', badLogin: 'Неправильний логін або пароль.',
    saved: 'Збережено.', testOk: 'Тест доставлено: HTTP {status}.', testFail: 'Тест не вдався: {error}',
    chooseOrg: 'Спершу створіть організацію.', loading: 'Завантаження…', newKey: 'Новий API-ключ',
    newHook: 'Новий вебхук', tokenFor: 'Токен для {name}', cannotReach: 'Сервер недоступний.',
    noExternalId: 'У цього оператора немає externalId: перейменуйте його там, де його створено.',
  },
};

let lang = /^uk\b/i.test(navigator.language || '') ? 'uk' : 'en';

export const LANGS = { en: 'English', uk: 'Українська' };
export function getLang() { return lang; }
export function setLang(l) { if (STRINGS[l]) { lang = l; document.documentElement.lang = l; } }
/* A page adds its own strings: {en: {...}, uk: {...}}. */
export function addStrings(dict) {
  for (const [l, s] of Object.entries(dict)) Object.assign(STRINGS[l], s);
}
export function t(key, vars = {}) {
  const s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}
setLang(lang);
