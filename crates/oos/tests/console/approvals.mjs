// A 2-of-3 approval decided in the approvals inbox by two approvers, each signed in in a browser
// context of their own: an outsider's approval is refused with the server's code, the first
// approval is counted (1 of 2), the second completes it and the execution leaves the inbox.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { APPROVAL_EXECUTION, APPROVER_1, APPROVER_2, OUTSIDER, APPROVAL_PASSWORD } = process.env;
const CARD = `.approval-card[data-execution="${APPROVAL_EXECUTION}"]`;

/** Signs `user` in in a context of its own and opens the inbox at the waiting approval. */
async function inbox(browser, user) {
  const opened = await page(browser);
  await signIn(opened, user, APPROVAL_PASSWORD);
  await opened.goto(`${CONSOLE}#/approvals`);
  await opened.waitForSelector(CARD);
  return opened;
}

async function approve(opened, comment) {
  await opened.fill(`${CARD} .approval-comment`, comment);
  await opened.click(`${CARD} button:has-text("Approve")`);
}

await run('2-of-3 approval by two users', async (browser) => {
  const outsider = await inbox(browser, OUTSIDER);
  await approve(outsider, 'not mine to decide');
  const refused = await outsider.waitForSelector('.toast .error-box');
  const code = await refused.$eval('.error-code', (element) => element.textContent);
  check(code === 'Forbidden.NotApprover', `an outsider is refused with the server's code: ${code}`);
  check((await refused.textContent()).includes(OUTSIDER), 'the refusal names the outsider');

  const first = await inbox(browser, APPROVER_1);
  const card = await first.textContent(CARD);
  check(card.includes('0 of 2 approvals'), `the rule is shown: ${card}`);
  check(card.includes('Reboot the lab fleet tonight?'), `the approval message is shown: ${card}`);
  check([APPROVER_1, APPROVER_2].every((name) => card.includes(name)), 'the approvers are listed');
  check(card.includes('acs:ram::'), `who started it is shown: ${card}`);
  await shot(first, 'approvals');
  await approve(first, 'looks fine');
  await first.waitForFunction((selector) => document.querySelector(selector)?.textContent.includes('1 of 2 approvals'), CARD, { timeout: 15000 });
  check((await first.textContent(`${CARD} .approved-by`)).includes(APPROVER_1), 'the first approval is counted');

  const second = await inbox(browser, APPROVER_2);
  check((await second.textContent(CARD)).includes('1 of 2 approvals'), 'the second approver sees the first approval');
  await approve(second, 'go ahead');
  await second.waitForSelector(CARD, { state: 'detached', timeout: 15000 });
  await second.waitForSelector('.empty-inbox');
  noErrors(outsider);
  noErrors(first);
  noErrors(second);
});
