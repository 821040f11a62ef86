// The company account: the password change and when the database was last backed up.
// A password change revokes every company token issued before it; the API answers
// a new one, which the console keeps using, so it stays signed in.
import { t, getLang, addStrings } from '../i18n.js';
import { el, api, status, session, signOut } from '../lib.js';

export default { id: 'account', label: 'account', render: pageAccount };

addStrings({
  en: {
    account: 'Account', lastBackup: 'Last backup', never: 'never', pwChange: 'Change the password', pwSubmit: 'Change password',
    pwCurrent: 'Current password', pwNew: 'New password', pwRepeat: 'Repeat the new password',
    pwMismatch: 'The new passwords do not match.', pwWrong: 'The current password is wrong.',
    pwChanged: 'Password changed. Every other session of this company has been signed out.',
    backupHelp: 'Made with chathub backup on the server (see the deployment guide).',
  },
  uk: {
    account: 'Обліковий запис', lastBackup: 'Остання резервна копія', never: 'ніколи', pwChange: 'Зміна пароля', pwSubmit: 'Змінити пароль',
    pwCurrent: 'Поточний пароль', pwNew: 'Новий пароль', pwRepeat: 'Повторіть новий пароль',
    pwMismatch: 'Нові паролі не збігаються.', pwWrong: 'Поточний пароль неправильний.',
    pwChanged: 'Пароль змінено. Усі інші сеанси цієї компанії завершено.',
    backupHelp: 'Створюється командою chathub backup на сервері (див. посібник із розгортання).',
  },
});

async function pageAccount(main) {
  const st = await api('GET', '/api/company/status');
  const at = st && st.lastBackupAt;
  const when = at ? el('time', { datetime: at, text: new Date(at).toLocaleString(getLang()) }) : t('never');
  main.append(el('h2', { text: t('account') }),
    el('p', { id: 'last-backup' }, `${t('lastBackup')}: `, when),
    el('p', { class: 'muted', text: t('backupHelp') }),
    passwordForm());
}

function passwordForm() {
  const pw = (name, label, ac) => el('label', {}, label,
    el('input', { type: 'password', name, autocomplete: ac, required: true, maxlength: 1024 }));
  const f = el('form', { id: 'pw-form', class: 'stack', 'aria-labelledby': 'pw-h' },
    el('h3', { id: 'pw-h', text: t('pwChange') }),
    pw('current', t('pwCurrent'), 'current-password'), pw('next', t('pwNew'), 'new-password'),
    pw('repeat', t('pwRepeat'), 'new-password'), el('button', { class: 'primary', text: t('pwSubmit') }));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status('', '');
    const { current, next, repeat } = f.elements;
    if (next.value !== repeat.value) { status(t('pwMismatch')); repeat.focus(); return; }
    try {
      session.token = await changePassword(current.value, next.value);
      f.reset();
      status(t('pwChanged'), 'notice');
    } catch (e) { if (session.token) status(e.message); }
  });
  return f;
}

/* POST /api/company/password; the new company token. Not through api(): a wrong
 * current password answers 401 too, which must not sign the console out. */
async function changePassword(currentPassword, newPassword) {
  let res;
  try {
    res = await fetch('/api/company/password', { method: 'POST',
      headers: { Authorization: `Bearer ${session.token}`, 'Content-Type': 'application/json', Accept: 'text/plain' },
      body: JSON.stringify({ currentPassword, newPassword }) });
  } catch { throw new Error(t('cannotReach')); }
  const text = (await res.text()).trim();
  if (res.ok) return text;
  let err = {};
  try { err = JSON.parse(text); } catch { /* not JSON */ }
  if (err.code === 2004) throw new Error(t('pwWrong'));
  if (res.status === 401) { signOut(t('sessionEnded')); throw new Error(t('sessionEnded')); }
  throw new Error(err.message || `HTTP ${res.status}`);
}
