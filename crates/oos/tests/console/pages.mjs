// The pages beside the executions: schedules (pause, resume), managed instances (a command run on
// a real agent, its output shown), the parameter store (a secret's value never reaches the page
// nor is asked for), IAM (an AccessKey's secret shown once), and the audit trail (verify, export).
import { readFile } from 'node:fs/promises';
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { ADMIN_USER, ADMIN_PASSWORD, VIEWER_USER, TRIGGER_EXECUTION, MANAGED_INSTANCE } = process.env;
const SECRET = 'never-shown-7f3c9a';

/** The form bodies the page sent, to check what it asked the server. */
function requests(opened) {
  const sent = [];
  opened.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/') sent.push(new URLSearchParams(request.postData() || ''));
  });
  return sent;
}

async function schedules(opened) {
  await opened.goto(`${CONSOLE}#/triggers`);
  const row = `tr:has(a:text("${TRIGGER_EXECUTION}"))`;
  await opened.waitForSelector(row);
  check((await opened.textContent(row)).includes('Timer'), 'the timer trigger is listed');
  await shot(opened, 'triggers');
  await opened.click(`${row} button:has-text("Pause")`);
  await opened.waitForSelector(`${row} .s-paused`, { timeout: 15000 });
  await opened.click(`${row} button:has-text("Resume")`);
  await opened.waitForSelector(`${row} .s-active`, { timeout: 15000 });
  await opened.goto(`${CONSOLE}#/triggers/${TRIGGER_EXECUTION}`);
  await opened.waitForSelector('dd.mono');
  check((await opened.textContent('dd.mono')).includes('rate'), 'the schedule is shown');
  await shot(opened, 'trigger');
}

async function instances(opened) {
  await opened.goto(`${CONSOLE}#/instances`);
  await opened.waitForSelector(`a:text("${MANAGED_INSTANCE}")`);
  await shot(opened, 'instances');
  await opened.goto(`${CONSOLE}#/instances/${MANAGED_INSTANCE}`);
  await opened.waitForSelector('h2:text("Recent invocations")');
  await opened.fill('#command-content', 'echo console-says-$((6*7))');
  await opened.click('.run-command button:has-text("Run")');
  const result = `.result[data-instance="${MANAGED_INSTANCE}"][data-status="Success"]`;
  await opened.waitForSelector(result, { timeout: 30000 });
  check((await opened.textContent(`${result} .output`)).includes('console-says-42'), 'the command ran and its output is shown');
  await shot(opened, 'instance');
}

async function parameters(opened, sent) {
  await opened.goto(`${CONSOLE}#/parameters`);
  await opened.click('button:has-text("New parameter")');
  await opened.fill('.param-editor .param-name', 'console/region');
  await opened.fill('.param-editor .param-value', 'cn-hangzhou');
  await opened.click('.param-editor button:has-text("Create")');
  await opened.waitForSelector('tr.param-console_region');
  await opened.click('tr.param-console_region button:has-text("Show")');
  await opened.waitForSelector('tr.param-console_region code:text("cn-hangzhou")');
  await shot(opened, 'parameters');

  await opened.goto(`${CONSOLE}#/parameters/secret`);
  await opened.click('button:has-text("New secret parameter")');
  await opened.fill('.param-editor .param-name', 'console/db-password');
  await opened.fill('.param-editor .param-value', SECRET);
  check(await opened.$eval('.param-editor .param-value', (input) => input.type === 'password'), 'a secret value is typed in a password field');
  await opened.click('.param-editor button:has-text("Create")');
  await opened.waitForSelector('tr.param-console_db-password');
  await opened.click('tr.param-console_db-password button:has-text("Edit")');
  await opened.fill('.param-editor .param-value', `${SECRET}-2`);
  await opened.click('.param-editor button:has-text("Save")');
  await opened.waitForSelector('tr.param-console_db-password td.num:text("2")', { timeout: 10000 });
  await opened.reload();
  await opened.waitForSelector('tr.param-console_db-password');
  check(!(await opened.content()).includes(SECRET), 'the secret value is nowhere on the page');
  const read = sent.filter((form) => /^GetSecretParameters?$|^GetSecretParametersByPath$/.test(form.get('Action')));
  check(read.length === 0, `the page never reads a secret value (${read.map(String)})`);
  check(!sent.some((form) => form.get('WithDecryption')), 'the page never asks to decrypt');
  await shot(opened, 'secret-parameters');
}

async function accessKeys(opened) {
  await opened.goto(`${CONSOLE}#/iam/users/${ADMIN_USER}`);
  await opened.click('button:has-text("Create AccessKey")');
  const box = await opened.waitForSelector('.secret-once');
  const [id, secret] = await box.$$eval('.secret-value', (values) => values.map((value) => value.textContent));
  check(id.startsWith('LTAI') || id.length >= 16, `the new key id is shown: ${id}`);
  check(secret.length >= 20, 'the new secret is shown once');
  await shot(opened, 'iam-access-key');
  await opened.click('.secret-dismiss');
  await opened.waitForSelector('.secret-once', { state: 'detached' });
  check(!(await opened.content()).includes(secret), 'dismissed, the secret is gone from the page');
  await opened.reload();
  await opened.waitForSelector(`td:text("${id}")`);
  check(!(await opened.content()).includes(secret), 'the secret is never shown again');
  await opened.click(`tr:has(td:text("${id}")) button:has-text("Disable")`);
  await opened.waitForSelector(`tr:has(td:text("${id}")) .s-inactive`);
  await opened.goto(`${CONSOLE}#/iam/policies`);
  await opened.waitForSelector('a:text("AdministratorAccess")');
  await shot(opened, 'iam-policies');
  await opened.click('a:text("AdministratorAccess")');
  await opened.waitForSelector('pre.json');
  check((await opened.textContent('pre.json')).includes('Statement'), 'a policy document is shown');
}

async function audit(opened) {
  await opened.goto(`${CONSOLE}#/audit`);
  await opened.waitForSelector('tr.audit-row');
  const seqs = await opened.$$eval('tr.audit-row', (rows) => rows.map((row) => Number(row.cells[0].textContent)));
  check(seqs.length > 5 && seqs.every((seq, index) => index === 0 || seq < seqs[index - 1]), `the newest record first: ${seqs.slice(0, 10)}`);
  await opened.click('button:has-text("Verify chain")');
  await opened.waitForSelector('.verify-ok');
  const [download] = await Promise.all([opened.waitForEvent('download'), opened.click('button:has-text("Export JSON lines")')]);
  const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
  check(lines.length > 5 && lines.every((record, index) => record.Seq && record.Hash && (index === 0 || record.Seq > lines[index - 1].Seq)), `the export holds the records, oldest first (${lines.length})`);
  check(lines.some((record) => record.Event.Action === 'CreateSecretParameter'), 'the export holds this session\'s actions');
  check(!JSON.stringify(lines).includes(SECRET), 'no secret value in the audit trail');
  await shot(opened, 'audit');
}

/** A user who may only list executions is refused IAM and a new parameter, with RAM's reason. */
async function refusals(browser) {
  const opened = await page(browser);
  await signIn(opened, VIEWER_USER, ADMIN_PASSWORD);
  await opened.goto(`${CONSOLE}#/iam/users`);
  const box = await opened.waitForSelector('main .error-box');
  check((await box.textContent()).includes('ram:ListUsers'), `the IAM refusal names the action: ${await box.textContent()}`);
  check((await box.$eval('.error-code', (element) => element.textContent)) === 'Forbidden.RAM', 'the code is the server\'s');
  await shot(opened, 'iam-refused');
  await opened.goto(`${CONSOLE}#/parameters`);
  await opened.waitForFunction(() => document.querySelector('main .error-box')?.textContent.includes('oos:ListParameters'));
  noErrors(opened);
}

await run('schedules, instances, parameters, IAM and audit pages', async (browser) => {
  await refusals(browser);
  const opened = await page(browser);
  const sent = requests(opened);
  await signIn(opened, ADMIN_USER, ADMIN_PASSWORD);
  await schedules(opened);
  await instances(opened);
  await parameters(opened, sent);
  await accessKeys(opened);
  await audit(opened);
  noErrors(opened);
});
