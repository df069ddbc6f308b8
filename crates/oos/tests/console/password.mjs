// A user whose password must be reset signs in, is taken to the password change and can go nowhere
// else until it is done (a wrong current password is refused in the server's words); then the new
// password signs in and the old one no longer does.
import { run, page, check, shot, noErrors, CONSOLE } from './lib.mjs';

const { RESET_USER, RESET_PASSWORD, NEW_PASSWORD } = process.env;

async function submitSignIn(opened, user, password) {
  await opened.goto(CONSOLE);
  await opened.waitForSelector('#username');
  await opened.fill('#username', user);
  await opened.fill('#password', password);
  await opened.click('button[type=submit]');
}

async function changeTo(opened, current, fresh) {
  await opened.fill('#old-password', current);
  await opened.fill('#new-password', fresh);
  await opened.fill('#confirm-password', fresh);
  await opened.click('#change-password');
}

await run('a required password reset', async (browser) => {
  const opened = await page(browser);
  await submitSignIn(opened, RESET_USER, RESET_PASSWORD);
  await opened.waitForSelector('#password-reset-required');
  check((await opened.url()).includes('#/account'), 'the sign-in leads to the password change');
  await opened.goto(`${CONSOLE}#/executions`);
  await opened.waitForSelector('#password-reset-required');
  check((await opened.url()).includes('#/account'), 'no other page opens before the change');
  await shot(opened, 'password-reset');

  await changeTo(opened, 'Not-The-Passw0rd', NEW_PASSWORD);
  const refused = await opened.waitForSelector('.password-form .error-box');
  check((await refused.textContent()).includes('ChangePassword.InvalidOldPassword'), `a wrong current password is refused: ${await refused.textContent()}`);
  await changeTo(opened, RESET_PASSWORD, NEW_PASSWORD);
  await opened.waitForFunction(() => location.hash.startsWith('#/executions') && document.querySelector('main.page table'));
  check(!(await opened.$('#password-reset-required')), 'after the change the page asked for before opens');

  await opened.click('.whoami button');
  await opened.waitForSelector('#username');
  await submitSignIn(opened, RESET_USER, RESET_PASSWORD);
  const old = await opened.waitForSelector('.signin .error-box');
  check((await old.textContent()).includes('SignIn.InvalidCredentials'), 'the old password no longer signs in');
  await submitSignIn(opened, RESET_USER, NEW_PASSWORD);
  await opened.waitForSelector('.stats .stat');
  await opened.goto(`${CONSOLE}#/account`);
  await opened.waitForSelector('#account-user');
  check((await opened.textContent('#account-user')) === RESET_USER, 'the Account page shows the user');
  await shot(opened, 'account');
  noErrors(opened);
});
