// An operator whose policy lacks oos:StartExecution: the start form is shown, and the start is
// refused with the server's code and its RAM reason, verbatim.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { OPERATOR_USER, OPERATOR_PASSWORD, LAB_INSTANCE } = process.env;

await run('start refused by RAM', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, OPERATOR_USER, OPERATOR_PASSWORD);
  await opened.goto(`${CONSOLE}#/templates/lab/start`);
  await opened.waitForSelector('#param-RegionId');
  await opened.fill('#param-RegionId', 'cn-hangzhou');
  await opened.fill('#param-InstanceId', LAB_INSTANCE);
  await opened.click('#start-execution');
  const box = await opened.waitForSelector('.toast .error-box');
  const code = await box.$eval('.error-code', (element) => element.textContent);
  const message = await box.$eval('.error-message', (element) => element.textContent);
  check(code.startsWith('Forbidden'), `the code is the server's: ${code}`);
  check(message.includes('oos:StartExecution'), `the RAM reason names the action: ${message}`);
  check(await box.$('.error-request code'), 'the RequestId is shown');
  check((await opened.url()).includes('/start'), 'no execution was opened');
  await shot(opened, 'start-refused');
  noErrors(opened);
});
