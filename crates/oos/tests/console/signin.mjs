// Sign-in: a wrong password is refused with the server's words; a user with MFA is asked for the
// code after the password and signed in with it; the console then shows who is signed in.
import { run, page, check, shot, noErrors, CONSOLE, totp } from './lib.mjs';

const { MFA_USER, MFA_PASSWORD, MFA_SEED } = process.env;

await run('sign-in with MFA', async (browser) => {
  const opened = await page(browser);
  await opened.goto(CONSOLE);
  await opened.waitForSelector('#username');
  check((await opened.url()).includes('#/signin'), 'an anonymous visitor lands on the sign-in page');
  await shot(opened, 'signin');
  await opened.fill('#username', MFA_USER);
  await opened.fill('#password', 'not-the-password');
  await opened.click('button[type=submit]');
  const refused = await opened.waitForSelector('.signin .error-box');
  check(/\S/.test(await refused.textContent()), 'the refusal is shown');

  await opened.fill('#password', MFA_PASSWORD);
  await opened.click('button[type=submit]');
  await opened.waitForSelector('#mfa', { state: 'visible' });
  check(await opened.isVisible('#mfa'), 'the MFA code is asked for after the password');
  await opened.fill('#mfa', String((Number(totp(MFA_SEED)) + 1) % 1000000).padStart(6, '0'));
  await opened.click('button[type=submit]');
  await opened.waitForSelector('.signin .error-box');
  await shot(opened, 'signin-mfa');
  // The codes of the binding are spent: wait for the next time step.
  await new Promise((resolve) => setTimeout(resolve, 30000 - (Date.now() % 30000) + 500));
  await opened.fill('#mfa', totp(MFA_SEED));
  await opened.click('button[type=submit]');
  await opened.waitForSelector('nav.sidebar');
  await opened.waitForSelector('.stats .stat');
  check((await opened.textContent('.whoami')).includes(MFA_USER.split('@')[0]), 'the signed-in user is shown');
  check(await opened.isVisible('.whoami .badge'), 'the MFA badge is shown');
  await shot(opened, 'dashboard');
  noErrors(opened);

  await opened.click('.whoami button');
  await opened.waitForSelector('#username');
  await opened.goto(`${CONSOLE}#/templates`);
  await opened.waitForSelector('#username');
  check((await opened.url()).includes('#/signin'), 'after signing out the console asks to sign in again');
});

