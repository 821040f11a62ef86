// The console's strings in English and Ukrainian (pages add their own with
// addStrings; the Channels page's are here). The language is the one the
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
    // Channels (pages/channels.js)
    channels: 'Channels', chList: 'Connected bots', chConnect: 'Connect a bot', chType: 'Type', chToken: 'Bot token',
    chHelp: 'Connect a Telegram or Viber bot to this organization: what people write to the bot arrives as chats in '
      + 'the operator panel, and the operators\' replies go back through the bot. The server registers the bot\'s '
      + 'webhook with the platform when you connect it.',
    chTokenHelp: 'Telegram: the token @BotFather gave you. Viber: the token of your bot on partners.viber.com. '
      + 'It is stored encrypted and never shown again.',
    chConnectBtn: 'Connect', chConnecting: 'Connecting: the server is registering the webhook with the platform…',
    chConnected: 'Connected: {name}.', chTokenCol: 'Token', chWebhook: 'Webhook URL', chHealth: 'Health',
    chRegistered: 'Webhook registered', chNotRegistered: 'Webhook not registered',
    chLastInbound: 'Last message from a customer', chNever: 'never', chNone: 'No bot is connected yet.',
    chCopy: 'Copy', chCopyUrl: 'Copy the webhook URL of {name}', chCopied: 'Copied.',
    chCopyFail: 'Copying is not allowed here: select the URL and copy it.',
    chRemove: 'Remove', chRemoveOf: 'Remove {name}', chCancel: 'Cancel', chConfirmYes: 'Yes, remove',
    chConfirmYesOf: 'Yes, remove {name}',
    chConfirm: 'Remove the bot {name}? Its messages stop arriving here and replies in its chats fail; the chats stay.',
    chRemoved: 'Removed: {name}.',
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
    // Channels (pages/channels.js)
    channels: 'Канали', chList: 'Підключені боти', chConnect: 'Підключити бота', chType: 'Тип', chToken: 'Токен бота',
    chHelp: 'Підключіть бота Telegram або Viber до цієї організації: те, що люди пишуть боту, надходить як чати '
      + 'в панель оператора, а відповіді операторів повертаються через бота. Під час підключення сервер реєструє '
      + 'вебхук бота на платформі.',
    chTokenHelp: 'Telegram: токен, який видав @BotFather. Viber: токен вашого бота на partners.viber.com. '
      + 'Він зберігається зашифрованим і більше не показується.',
    chConnectBtn: 'Підключити', chConnecting: 'Підключення: сервер реєструє вебхук на платформі…',
    chConnected: 'Підключено: {name}.', chTokenCol: 'Токен', chWebhook: 'URL вебхука', chHealth: 'Стан',
    chRegistered: 'Вебхук зареєстровано', chNotRegistered: 'Вебхук не зареєстровано',
    chLastInbound: 'Останнє повідомлення клієнта', chNever: 'ніколи', chNone: 'Жодного бота ще не підключено.',
    chCopy: 'Копіювати', chCopyUrl: 'Копіювати URL вебхука {name}', chCopied: 'Скопійовано.',
    chCopyFail: 'Копіювання тут заборонене: виділіть URL і скопіюйте його.',
    chRemove: 'Вилучити', chRemoveOf: 'Вилучити {name}', chCancel: 'Скасувати', chConfirmYes: 'Так, вилучити',
    chConfirmYesOf: 'Так, вилучити {name}',
    chConfirm: 'Вилучити бота {name}? Його повідомлення більше не надходитимуть сюди, а відповіді в його чатах не '
      + 'доходитимуть; самі чати залишаться.',
    chRemoved: 'Вилучено: {name}.',
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
