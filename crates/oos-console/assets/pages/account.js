// The signed-in user's own account: who they are, their console password (ChangePassword, which
// asks for the current one) and their MFA device. A user whose password must be reset is brought
// here by the shell and can do nothing else until it is changed.

import { call, RAM } from '../api.js';
import { h, replace, heading, panel, field, errorBox, toast } from '../ui.js';
import { userMfa, section } from './iam.js';

export const route = 'account';

/** The change-password form; `changed()` runs once the server accepted the new password. */
function passwordForm(changed) {
  const password = (id, autocomplete) => h(`input#${id}`, { type: 'password', autocomplete, required: true });
  const current = password('old-password', 'current-password');
  const fresh = password('new-password', 'new-password');
  const again = password('confirm-password', 'new-password');
  const message = h('div.message');
  const submit = h('button.btn.primary#change-password', { type: 'submit' }, 'Change password');
  const form = h('form.password-form',
    field('Current password', current),
    field('New password', fresh, '8 to 32 characters, three of lower case, upper case, digits and symbols, not your user name.'),
    field('New password again', again),
    message,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(message);
    if (fresh.value !== again.value) {
      replace(message, errorBox({ code: 'Console.PasswordsDiffer', message: 'The two new passwords differ.' }));
      return;
    }
    submit.disabled = true;
    try {
      await call('ChangePassword', { OldPassword: current.value, NewPassword: fresh.value }, RAM);
      form.reset();
      toast('Your password is changed.', 'ok');
      await changed();
    } catch (error) {
      replace(message, errorBox(error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function render(root, { session, query, passwordChanged }) {
  const user = session?.User || {};
  const forced = session?.Challenge === 'Console.PasswordResetRequired';
  const changed = () => passwordChanged(forced ? query.get('next') || '' : undefined);
  if (forced) {
    replace(root,
      heading('Change your password'),
      h('div.notice#password-reset-required', 'Your administrator requires a new password before you go on. Choose one now.'),
      panel('Password', passwordForm(changed)));
    return;
  }
  const reload = () => render(root, { session, query, passwordChanged }).catch((error) => toast(error, 'error'));
  replace(root,
    heading('Account'),
    panel(null, h('dl.kv',
      h('dt', 'User name'), h('dd#account-user', user.UserName || ''),
      h('dt', 'ARN'), h('dd', h('code', user.Arn || '')),
      h('dt', 'Signed in with MFA'), h('dd', session?.MFAPresent ? 'yes' : 'no'))),
    h('div.grid-2',
      panel('Password', passwordForm(changed)),
      await section('MFA device', () => userMfa(user.UserName, reload))));
}
