// Sign-in: user name and password, then the MFA code when the server answers `MFA.Required`;
// lock-outs and every other refusal are shown as the server words them.

import { signIn } from '../api.js';
import { h, replace, errorBox } from '../ui.js';

export const route = 'signin';

export async function render(root, { query, signedIn }) {
  const user = h('input#username', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input#password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input#mfa', { name: 'mfa', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 });
  const mfaField = h('label', { hidden: true }, 'MFA code', code, h('span.note', 'Enter the 6-digit code from your authenticator app.'));
  const message = h('div.message');
  const submit = h('button.btn.primary', { type: 'submit' }, 'Sign in');
  const form = h('form.signin', { autocomplete: 'on' },
    h('div.brand', h('span.logo', 'OOS'), h('span', 'OpenOOS console')),
    h('label', 'User name', user, h('span.note', 'Your RAM user name.')),
    h('label', 'Password', password),
    mfaField,
    message,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(message);
    try {
      const session = await signIn(user.value.trim(), password.value, mfaField.hidden ? '' : code.value.trim());
      signedIn(session, query.get('next'));
    } catch (error) {
      if (error.code === 'MFA.Required' && mfaField.hidden) {
        mfaField.hidden = false;
        user.readOnly = true;
        password.readOnly = true;
        code.focus();
        replace(message, h('div.note', 'Multi-factor authentication is on for this user.'));
      } else {
        replace(message, errorBox(error));
        if (!mfaField.hidden) code.select();
      }
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, form);
}
