// The lab template started from its generated form against the sandbox: a missing value is
// refused before submitting, the dry run shows the parameters, and the execution view turns every
// task green as it happens, with the logs streamed.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { AUTHOR_USER, AUTHOR_PASSWORD, LAB_INSTANCE } = process.env;
const TASKS = ['DescribeBefore', 'StopInstance', 'StartInstance', 'DescribeAfter'];

await run('lab template from the generated form', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, AUTHOR_USER, AUTHOR_PASSWORD);
  await opened.goto(`${CONSOLE}#/templates/lab/start`);
  await opened.waitForSelector('#param-RegionId');
  check(await opened.$eval('#param-DoStopStart', (select) => select.tagName === 'SELECT'), 'a Boolean is a select');
  await opened.click('#start-execution');
  await opened.waitForSelector('.field-error:not(:empty)');
  const missing = await opened.$$eval('.field-error', (errors) => errors.map((error) => error.textContent).filter(Boolean));
  check(missing.some((text) => text.includes('required')), `required parameters are refused before submitting: ${missing}`);

  await opened.fill('#param-RegionId', 'cn-hangzhou');
  await opened.fill('#param-InstanceId', LAB_INSTANCE);
  await opened.selectOption('#param-DoStopStart', 'true');
  await opened.click('text=Preview parameters');
  const dry = JSON.parse(await opened.textContent('#dry-run pre'));
  check(dry.Parameters.InstanceId === LAB_INSTANCE && dry.Parameters.DoStopStart === true, `the dry run shows the parameters: ${JSON.stringify(dry)}`);
  await shot(opened, 'start-form');

  await opened.click('#start-execution');
  await opened.waitForSelector('#task-graph .node');
  check((await opened.url()).includes('#/executions/exec-'), 'the execution is shown');
  const seen = await opened.evaluate(() => {
    window.graphChanges = 0;
    new MutationObserver(() => { window.graphChanges++; }).observe(document.getElementById('task-graph'), { childList: true, subtree: true });
    return [...document.querySelectorAll('#task-graph .node')].map((node) => node.dataset.status);
  });
  await opened.waitForFunction((names) => names.every((name) => document.querySelector(`#task-graph .node[data-task="${name}"]`)?.dataset.status === 'Success'), TASKS, { timeout: 30000 });
  await opened.waitForSelector('#execution-status .s-success');
  await opened.waitForSelector('#logs .log');
  const changes = await opened.evaluate(() => window.graphChanges);
  check(seen.every((status) => status === 'Success') || changes > 0, `the graph changed live (first seen ${seen}, ${changes} changes)`);
  check((await opened.textContent('#outputs')).includes('Before'), 'the outputs are shown');
  await shot(opened, 'execution');
  noErrors(opened);
});
