// operator-chat-panel/i18n.js — the panel's strings (en, uk) and icon paths.
// Every module of the panel (notes, search, profile and labels too) takes its
// words from here.

export const T = {
  en: {
    title: 'Chats', open: 'Open chats', close: 'Close panel', queue: 'Queue', mine: 'My chats', empty: 'No chats',
    pick: 'Select a chat', message: 'Message', send: 'Send', attach: 'Attach file', loading: 'Connecting…',
    reconnecting: 'Reconnecting…', earlier: 'Load earlier', latest: 'Show latest', take: 'Take', pause: 'Pause', resume: 'Resume',
    closeChat: 'Close chat', reopen: 'Reopen', transfer: 'Transfer', transferTo: 'Transfer to', online: 'Online',
    away: 'Away', offline: 'Offline', presence: 'Presence', typing: 'Client is typing…', unread: 'unread', back: 'Back to chats',
    st: ['New', 'Open', 'Waiting', 'On pause', 'Closed'], src: ['', 'Viber', 'Telegram', 'Widget', 'API'],
    sent: 'Sent', read: 'Read', rejected: 'Not delivered', pending: 'Sending', operator: 'Operator',
    tooBig: 'File too large', conversation: 'Conversation', chats: 'Chat list', visitor: 'Visitor',
    canned: 'Canned responses', cannedList: 'Canned responses matching', cannedNone: 'No canned response matches',
    cannedEmpty: 'No canned responses yet', manage: 'Manage canned responses', shortcut: 'Shortcut', cTitle: 'Title',
    cText: 'Text', scope: 'Visible to', personal: 'Only me', orgWide: 'Whole organization', add: 'Add', save: 'Save',
    cancel: 'Cancel', edit: 'Edit', del: 'Delete', newCanned: 'New canned response', editCanned: 'Edit canned response',
    done: 'Back to chats', placeholders: 'Placeholders: {{client.name}}, {{operator.name}}',
    cannedForbidden: 'Your organization does not let operators manage organization-wide canned responses; ask an administrator.',
    cannedConflict: 'This shortcut is already taken (or the limit of canned responses is reached).',
    cannedBad: 'Check the fields: the shortcut is 1–32 letters, digits, _ or -.',
    cannedGone: 'This canned response no longer exists.',
    cannedSaved: 'Saved', cannedDeleted: 'Deleted', confirmDel: 'Delete?',
    notifyOn: 'Enable desktop notifications', notifyBlocked: 'Notifications are blocked in this browser',
    newChat: 'New chat', newMessage: 'New message from', mention: 'mentioned you',
    keys: 'Keyboard shortcuts', closeHelp: 'Close', keysHelp: 'Keyboard shortcuts (?)',
    kNext: 'Next unread chat', kClose: 'Close the current chat', kSearch: 'Focus the search box',
    kCanned: 'Open the canned responses list', kHelp: 'Show this help', kEsc: 'Close a list, this help or the panel',
    kSlash: 'In the message box: canned responses by shortcut',
    noteMode: 'Private note', noteModeHint: 'Write a private note (only colleagues see it)', noteLabel: 'Private note',
    notePlaceholder: 'Private note — only colleagues see it; @name mentions a colleague', noteSend: 'Add note',
    mentionList: 'Colleagues to mention', mentionedYou: 'mentioned you in', mentionedMark: 'You were mentioned',
    csat: (n) => `Visitor's rating: ${n} of 5`, csatComment: "Visitor's comment",
    removed: 'Message removed', system: 'System message', readOnly: 'This chat is closed: reopen it to write.', companyNote: 'Administrator',
    profile: 'Client profile', profileShow: 'Show the client profile', profileHide: 'Hide the client profile',
    pName: 'Name', pEmail: 'E-mail', pPhone: 'Phone', pPage: 'Page', pReferrer: 'Referrer', pLanguage: 'Language',
    pAgent: 'Browser', pFirstSeen: 'First seen', pChats: 'Chats', pAttrs: 'Attributes', verified: 'verified',
    pPrev: 'Chats of this client', pNone: '—', pEdit: 'Edit profile', pSaved: 'Profile saved', pLoading: 'Loading…',
    pAttrKey: 'New attribute', pAttrValue: 'Value', pRemove: 'Remove', pCurrent: 'this chat',
    pError: 'The profile could not be loaded.', pBad: 'Check the fields',
    labels: 'Labels', labelsEdit: 'Set labels', labelsNone: 'This organization has no labels yet (an administrator creates them).',
    labelFilter: 'Filter by label', allLabels: 'All labels', labelsSaved: 'Labels saved',
    search: 'Search chats', searchPh: 'Search messages, names, phones, e-mails', results: 'Results',
    noResults: 'No chat matches', searching: 'Searching…', clearSearch: 'Clear search',
    mField: { message: 'Message', name: 'Name', phone: 'Phone', email: 'E-mail' },
    err: { invalid_token: 'The operator token is missing or invalid.', token_expired: 'The operator token has expired.',
      token_revoked: 'This operator has been deactivated (token revoked).', network: 'Cannot reach the chat server.',
      server: 'The chat server refused the connection.' },
  },
  uk: {
    title: 'Чати', open: 'Відкрити чати', close: 'Закрити панель', queue: 'Черга', mine: 'Мої чати', empty: 'Немає чатів',
    pick: 'Оберіть чат', message: 'Повідомлення', send: 'Надіслати', attach: 'Прикріпити файл', loading: 'Підключення…',
    reconnecting: 'Перепідключення…', earlier: 'Завантажити раніші', latest: 'Показати останні', take: 'Взяти', pause: 'Пауза',
    resume: 'Продовжити', closeChat: 'Закрити чат', reopen: 'Відкрити знову', transfer: 'Передати',
    transferTo: 'Передати оператору', online: 'Онлайн', away: 'Відійшов', offline: 'Не в мережі', presence: 'Присутність',
    typing: 'Клієнт друкує…', unread: 'непрочитаних', back: 'До списку чатів',
    st: ['Новий', 'Відкритий', 'Очікує', 'На паузі', 'Закритий'], src: ['', 'Viber', 'Telegram', 'Віджет', 'API'],
    sent: 'Надіслано', read: 'Прочитано', rejected: 'Не доставлено', pending: 'Надсилається', operator: 'Оператор',
    tooBig: 'Файл завеликий', conversation: 'Розмова', chats: 'Список чатів', visitor: 'Відвідувач',
    canned: 'Шаблони відповідей', cannedList: 'Шаблони відповідей за запитом', cannedNone: 'Немає відповідного шаблону',
    cannedEmpty: 'Шаблонів ще немає', manage: 'Керувати шаблонами відповідей', shortcut: 'Скорочення', cTitle: 'Назва',
    cText: 'Текст', scope: 'Кому доступно', personal: 'Лише мені', orgWide: 'Усій організації', add: 'Додати',
    save: 'Зберегти', cancel: 'Скасувати', edit: 'Змінити', del: 'Видалити', newCanned: 'Новий шаблон',
    editCanned: 'Змінити шаблон', done: 'До чатів', placeholders: 'Підстановки: {{client.name}}, {{operator.name}}',
    cannedForbidden: 'Ваша організація не дозволяє операторам керувати спільними шаблонами; зверніться до адміністратора.',
    cannedConflict: 'Це скорочення вже зайняте (або досягнуто ліміту шаблонів).',
    cannedBad: 'Перевірте поля: скорочення — 1–32 літери, цифри, _ або -.',
    cannedGone: 'Цього шаблону вже немає.',
    cannedSaved: 'Збережено', cannedDeleted: 'Видалено', confirmDel: 'Видалити?',
    notifyOn: 'Увімкнути сповіщення', notifyBlocked: 'Сповіщення заблоковано в цьому браузері',
    newChat: 'Новий чат', newMessage: 'Нове повідомлення від', mention: 'згадує вас',
    keys: 'Клавіатурні скорочення', closeHelp: 'Закрити', keysHelp: 'Клавіатурні скорочення (?)',
    kNext: 'Наступний непрочитаний чат', kClose: 'Закрити поточний чат', kSearch: 'Перейти до пошуку',
    kCanned: 'Відкрити список шаблонів', kHelp: 'Показати цю довідку', kEsc: 'Закрити список, довідку або панель',
    kSlash: 'У полі повідомлення: шаблони за скороченням',
    noteMode: 'Приватна нотатка', noteModeHint: 'Написати приватну нотатку (бачать лише колеги)', noteLabel: 'Приватна нотатка',
    notePlaceholder: 'Приватна нотатка — бачать лише колеги; @імʼя згадує колегу', noteSend: 'Додати нотатку',
    mentionList: 'Колеги для згадки', mentionedYou: 'згадує вас у чаті', mentionedMark: 'Вас згадали',
    csat: (n) => `Оцінка відвідувача: ${n} з 5`, csatComment: 'Коментар відвідувача',
    removed: 'Повідомлення видалено', system: 'Системне повідомлення', readOnly: 'Чат закрито: відкрийте його знову, щоб писати.', companyNote: 'Адміністратор',
    profile: 'Профіль клієнта', profileShow: 'Показати профіль клієнта', profileHide: 'Сховати профіль клієнта',
    pName: 'Імʼя', pEmail: 'Ел. пошта', pPhone: 'Телефон', pPage: 'Сторінка', pReferrer: 'Джерело переходу', pLanguage: 'Мова',
    pAgent: 'Браузер', pFirstSeen: 'Уперше', pChats: 'Чатів', pAttrs: 'Атрибути', verified: 'перевірено',
    pPrev: 'Чати цього клієнта', pNone: '—', pEdit: 'Змінити профіль', pSaved: 'Профіль збережено', pLoading: 'Завантаження…',
    pAttrKey: 'Новий атрибут', pAttrValue: 'Значення', pRemove: 'Прибрати', pCurrent: 'цей чат',
    pError: 'Не вдалося завантажити профіль.', pBad: 'Перевірте поля',
    labels: 'Мітки', labelsEdit: 'Призначити мітки', labelsNone: 'В організації ще немає міток (їх створює адміністратор).',
    labelFilter: 'Фільтр за міткою', allLabels: 'Усі мітки', labelsSaved: 'Мітки збережено',
    search: 'Пошук чатів', searchPh: 'Пошук у повідомленнях, іменах, телефонах, адресах', results: 'Результати',
    noResults: 'Жоден чат не знайдено', searching: 'Пошук…', clearSearch: 'Очистити пошук',
    mField: { message: 'Повідомлення', name: 'Імʼя', phone: 'Телефон', email: 'Ел. пошта' },
    err: { invalid_token: 'Токен оператора відсутній або недійсний.', token_expired: 'Термін дії токена оператора минув.',
      token_revoked: 'Оператора деактивовано (токен відкликано).', network: 'Немає зʼєднання з сервером чату.',
      server: 'Сервер чату відхилив зʼєднання.' },
  },
};

export const P = {
  chat: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z',
  close: 'M19 6.4L17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z',
  send: 'M2 21l21-9L2 3v7l15 2-15 2z',
  clip: 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z',
  back: 'M15.4 7.4L14 6l-6 6 6 6 1.4-1.4L10.8 12z',
  canned: 'M4 4h16v2H4zm0 5h16v2H4zm0 5h10v2H4zm12 0l4 3-4 3z',
  bell: 'M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11a6 6 0 0 0-5-5.9V4a1 1 0 0 0-2 0v1.1A6 6 0 0 0 6 11v5l-2 2v1h16v-1z',
  note: 'M3 3h18v12l-6 6H3zm12 12v4.2l4.2-4.2zM6 7v2h12V7zm0 4v2h8v-2z',
  person: 'M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-4 0-8 2-8 5v2h16v-2c0-3-4-5-8-5z',
  label: 'M21.4 11.6l-9-9A2 2 0 0 0 11 2H4a2 2 0 0 0-2 2v7a2 2 0 0 0 .6 1.4l9 9a2 2 0 0 0 2.8 0l7-7a2 2 0 0 0 0-2.8zM6.5 8a1.5 1.5 0 1 1 0-3 1.5 1.5 0 0 1 0 3z',
  keys: 'M20 5H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zM11 8h2v2h-2zm0 3h2v2h-2zM8 8h2v2H8zm0 3h2v2H8zm-3 0h2v2H5zm0-3h2v2H5zm11 8H8v-2h8zm0-3h-2v-2h2zm0-3h-2V8h2zm3 3h-2v-2h2zm0-3h-2V8h2z',
};

/**
 * The chat's title: the client's name, else "Visitor #<client id>". The server's
 * `theme` is only ever its default (the client's name, else the first words of
 * the first message), never one somebody chose, so it is not a title; an
 * explicitly set theme (`themeSet`, when the server grows one) would win.
 */
export function chatTitle(c, t) {
  const name = c.client && c.client.name;
  if (c.themeSet && c.theme) return c.theme;
  if (name) return name;
  const cid = c.client && c.client.id;
  return cid ? `${t.visitor} #${cid}` : `${t.visitor} #${c.id}`;
}
