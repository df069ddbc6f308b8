// The audit page after the other scripts ran against the same server: queried by action (and by
// actor), it shows each thing they did — the sign-ins, the template created, the execution started,
// the approvals, the cancel and the refused start — with who did it and the outcome.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { AUDITOR_USER, AUDITOR_PASSWORD } = process.env;
/** `[action, actor, result prefix]`: each must be a row of the query for its action. */
const EXPECTED = JSON.parse(process.env.AUDIT_EXPECTED);

/** The rows the page shows for `filters` (control id → value), every page loaded. */
async function query(opened, filters) {
  for (const id of ['audit-principal', 'audit-action', 'audit-execution']) await opened.fill(`#${id}`, filters[id] || '');
  await opened.click('button:has-text("Query")');
  await opened.waitForFunction(() => !document.querySelector('button.busy'));
  while (await opened.$('button:has-text("Load more")')) {
    await opened.click('button:has-text("Load more")');
    await opened.waitForFunction(() => !document.querySelector('button.busy'));
  }
  return opened.$$eval('tr.audit-row', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent.trim())));
}

await run('the audit page shows every console action', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, AUDITOR_USER, AUDITOR_PASSWORD);
  await opened.goto(`${CONSOLE}#/audit`);
  await opened.waitForSelector('tr.audit-row');
  for (const [action, actor, result] of EXPECTED) {
    const rows = await query(opened, { 'audit-action': action, 'audit-principal': actor });
    // Columns: Seq, Time, Kind, Actor, Action, Execution, Result.
    const found = rows.some((cells) => cells[4] === action && cells[3].includes(actor) && cells[6].startsWith(result));
    check(found, `${action} by ${actor} (${result}) is shown: ${JSON.stringify(rows.slice(-5))}`);
  }
  const approvals = await query(opened, { 'audit-action': 'NotifyExecution' });
  const seqs = approvals.map((cells) => Number(cells[0]));
  check(seqs.every((seq, index) => index === 0 || seq < seqs[index - 1]), `the newest record first: ${seqs}`);
  // The newest decision is the second approver's, which counted.
  await opened.click('tr.audit-row:nth-child(1)');
  check((await opened.textContent('pre.json')).includes('"Approval"'), 'a decision\'s record shows the approval it counted');
  await shot(opened, 'audit-query');
  noErrors(opened);
});
