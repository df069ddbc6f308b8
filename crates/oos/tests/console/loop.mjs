// A running loop: its items counted by status and filtered, then the execution cancelled from
// the view.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { AUTHOR_USER, AUTHOR_PASSWORD } = process.env;

await run('cancel a running loop', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, AUTHOR_USER, AUTHOR_PASSWORD);
  await opened.goto(`${CONSOLE}#/templates/slow-loop/start`);
  await opened.waitForSelector('#start-execution');
  await opened.click('#start-execution');
  await opened.waitForSelector('#task-graph .loop');
  await opened.waitForFunction(() => /\d+ success/.test(document.querySelector('.loop .loop-counts')?.textContent || ''), null, { timeout: 30000 });
  const total = await opened.textContent('.loop strong');
  check(total.includes('Loop:'), `the loop shows its items: ${total}`);
  await opened.click('.loop .filters button[data-filter="Success"]');
  await opened.waitForSelector('.loop .filters button.on[data-filter="Success"]');
  const statuses = await opened.$$eval('.loop table.grid tbody .pill', (pills) => pills.map((pill) => pill.textContent));
  check(statuses.length > 0 && statuses.every((status) => status === 'Success'), `the filter keeps Success items only: ${statuses}`);
  await shot(opened, 'execution-loop');

  await opened.click('#cancel-execution');
  await opened.waitForSelector('#execution-status .s-cancelled', { timeout: 30000 });
  const counts = await opened.textContent('.loop .loop-counts');
  check(!counts.includes('30 success'), `the loop stopped before its end: ${counts}`);
  await shot(opened, 'execution-cancelled');
  noErrors(opened);
});
