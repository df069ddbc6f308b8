// Debug and FailurePause from the execution view: a run started in Debug mode from the start form
// is stepped with "Execute task" and "Skip"; a FailurePause run whose task fails is retried, then
// skipped. Each execution id is printed (`EXECUTION <mode> <id>`) for the harness to check the
// same statuses through the API.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { AUTHOR_USER, AUTHOR_PASSWORD } = process.env;

/** Starts `template` from its form in `mode`; the execution id once its view is drawn. */
async function start(opened, template, mode) {
  await opened.goto(`${CONSOLE}#/templates/${template}/start`);
  await opened.waitForSelector('#start-execution');
  await opened.click(`#mode label:has(input[value="${mode}"])`);
  check(await opened.isChecked(`#mode input[value="${mode}"]`), `the ${mode} mode is chosen`);
  await opened.click('#start-execution');
  await opened.waitForSelector('#task-graph .node');
  const id = decodeURIComponent(opened.url().split('#/executions/')[1]);
  console.log(`EXECUTION ${mode} ${id}`);
  return id;
}

/** Waits until the graph's runs are `expected` (`Task=Status` in order) and the execution is `status`. */
async function settle(opened, expected, status) {
  await opened.waitForFunction(([runs, wanted]) => {
    const shown = [...document.querySelectorAll('#task-graph .node:not(.planned)')].map((node) => `${node.dataset.task}=${node.dataset.status}`);
    const pill = document.querySelector('#execution-status .pill')?.textContent;
    return shown.join(',') === runs.join(',') && pill === wanted;
  }, [expected, status], { timeout: 30000 });
}

/** Clicks the head's button `label` (shown while a Debug execution waits between tasks). */
async function headButton(opened, label) {
  await opened.click(`.page-head button:has-text("${label}")`);
}

await run('Debug mode: execute, skip, execute, finish', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, AUTHOR_USER, AUTHOR_PASSWORD);
  await start(opened, 'three-steps', 'Debug');
  await settle(opened, [], 'Waiting');
  check((await opened.textContent('.page-head')).includes('Paused before the next task'), 'the head says the execution waits before a task');
  check(await opened.$$eval('#task-graph .node.planned', (nodes) => nodes.length) === 3, 'the three tasks are planned, none ran');
  await headButton(opened, 'Execute task');
  await settle(opened, ['First=Success'], 'Waiting');
  await headButton(opened, 'Skip');
  await settle(opened, ['First=Success', 'Second=Skipped'], 'Waiting');
  check((await opened.textContent('#task-graph .node[data-task="Second"]')).includes('Skipped in Debug mode'), 'the skipped task says why');
  await headButton(opened, 'Execute task');
  await settle(opened, ['First=Success', 'Second=Skipped', 'Third=Success'], 'Waiting');
  await shot(opened, 'execution-debug');
  await headButton(opened, 'Execute task');
  await settle(opened, ['First=Success', 'Second=Skipped', 'Third=Success'], 'Success');
  check(!(await opened.$('.page-head button:has-text("Execute task")')), 'no Debug buttons once the execution ended');
  noErrors(opened);
});

await run('FailurePause: a failed task retried, then skipped', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, AUTHOR_USER, AUTHOR_PASSWORD);
  await start(opened, 'stop-a-ghost', 'FailurePause');
  await settle(opened, ['StopGhost=Failed'], 'Waiting');
  check(!(await opened.$('.page-head button:has-text("Execute task")')), 'no Debug buttons in FailurePause mode');
  await opened.click('#task-graph .node[data-task="StopGhost"] button:has-text("Retry")');
  await settle(opened, ['StopGhost=Failed', 'StopGhost=Failed'], 'Waiting');
  const offered = await opened.$$eval('#task-graph .node[data-task="StopGhost"]', (nodes) => nodes.map((node) => node.querySelectorAll('.actions button').length));
  check(offered.join(',') === '0,2', `only the latest failed run offers Retry and Skip: ${offered}`);
  await shot(opened, 'execution-failure-pause');
  await opened.locator('#task-graph .node[data-task="StopGhost"]').last().locator('button:has-text("Skip")').click();
  await settle(opened, ['StopGhost=Failed', 'StopGhost=Failed', 'After=Success'], 'Success');
  check(await opened.$$eval('#task-graph .actions button', (buttons) => buttons.length) === 0, 'no task actions once the execution ended');
  noErrors(opened);
});
