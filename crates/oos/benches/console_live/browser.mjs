// The browser side of benches/console_live.rs: headless Chromium through the console tests'
// lib.mjs, in one of three modes (argv[2]), each printing one JSON line per result on stdout.
//   latency: opens PAGE_URL (an execution's view; PEER=prefect: a Prefect flow run's page, on its Task
//            Runs tab) and records, with a MutationObserver, the wall-clock time (Date.now()) at
//            which each task first shows as finished (the console: div.node[data-task] with
//            data-status Success), until TASKS (comma-separated) all have or 120 s passed; prints
//            {ready, seen: {task: ms}, graph, all} (graph: Prefect's graph data, see watchGraph).
//   open:    RUNS times, opens EXECUTION's view (a finished loop) from another page and times it
//            until the loop's counts and its first page of items are drawn; prints {ms: [...]}.
//   idle:    opens one browser context (own connections, the signed-in cookie) per URL of URLS
//            (newline-separated) and waits for READY_SELECTOR in each; prints {ready: n}, then
//            holds the pages open until a line arrives on stdin, and closes them.
// Sign-in (CONSOLE_USER, CONSOLE_PASSWORD) happens when CONSOLE_USER is set.

import { createInterface } from 'node:readline';
import { run, page, check, signIn, CONSOLE } from '../../tests/console/lib.mjs';

const { PAGE_URL, PEER, EXECUTION, TASKS, RUNS, URLS, READY_SELECTOR, CONSOLE_USER, CONSOLE_PASSWORD } = process.env;
const mode = process.argv[2];
const BOUND_MS = 120000;

/** A page of a fresh context, signed in when a user is given. */
async function signedIn(browser) {
  const opened = await page(browser);
  if (CONSOLE_USER) await signIn(opened, CONSOLE_USER, CONSOLE_PASSWORD);
  return opened;
}

/**
 * Installed in the page: the first time each task shows as finished, in window.__seen. `peer`
 * "oos": the console's task nodes; "prefect": the rows of Prefect's Task Runs tab, named
 * `<task>-<3 hex>`.
 */
function observeSuccess(peer) {
  window.__seen = {};
  const finished = peer === 'oos'
    ? () => [...document.querySelectorAll('div.node[data-task][data-status="Success"]')].map((node) => node.dataset.task)
    : () => [...document.querySelectorAll('.task-run-list-item .state-list-item--completed')]
      .map((row) => row.querySelector('a.p-link span')?.textContent.replace(/-[0-9a-f]{3}$/, ''));
  const scan = () => {
    for (const task of finished()) if (task && !(task in window.__seen)) window.__seen[task] = Date.now();
  };
  new MutationObserver(scan).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

/** Prefect's flow-run graph is a canvas: the time each graph-v2 answer first holding a task as COMPLETED arrived. */
function watchGraph(opened) {
  const graph = {};
  opened.on('response', async (response) => {
    if (!response.url().endsWith('/graph-v2')) return;
    const arrived = Date.now();
    const body = await response.json().catch(() => ({ nodes: [] }));
    for (const [, node] of body.nodes) {
      const task = node.label.replace(/-[0-9a-f]{3}$/, '');
      if (node.state_type === 'COMPLETED' && !(task in graph)) graph[task] = arrived;
    }
  });
  return graph;
}

async function latency(browser) {
  const opened = await signedIn(browser);
  const peer = PEER || 'oos';
  const graph = watchGraph(opened);
  if (peer === 'oos') {
    await opened.evaluate(observeSuccess, peer);
    await opened.goto(PAGE_URL);
    await opened.waitForSelector('#task-graph div.node');
  } else {
    await opened.goto(PAGE_URL);
    await opened.getByText('Task Runs', { exact: true }).first().click();
    await opened.evaluate(observeSuccess, peer);
  }
  const ready = await opened.evaluate(() => Date.now());
  const tasks = TASKS.split(',');
  const all = await opened.waitForFunction((names) => names.every((name) => name in window.__seen), tasks, { timeout: BOUND_MS, polling: 100 })
    .then(() => true, () => false);
  const seen = await opened.evaluate(() => window.__seen);
  console.log(JSON.stringify({ ready, seen, graph, all }));
}

async function open(browser) {
  const opened = await signedIn(browser);
  const ms = [];
  for (let at = 0; at < Number(RUNS); at += 1) {
    await opened.goto(`${CONSOLE}#/executions`);
    await opened.waitForSelector('table');
    const started = Date.now();
    await opened.goto(`${CONSOLE}#/executions/${EXECUTION}`);
    await opened.waitForFunction(() => /\d+ success/.test(document.querySelector('.loop .loop-counts')?.textContent || '')
      && document.querySelector('.loop table.grid tbody tr'), null, { timeout: BOUND_MS });
    ms.push(Date.now() - started);
  }
  console.log(JSON.stringify({ ms }));
}

async function idle(browser) {
  const first = await signedIn(browser);
  const storageState = await first.context().storageState();
  await first.context().close();
  const urls = URLS.split('\n').filter(Boolean);
  const pages = [];
  for (const url of urls) {
    const context = await browser.newContext({ storageState, viewport: { width: 1360, height: 860 } });
    const opened = await context.newPage();
    await opened.goto(url);
    pages.push(opened);
  }
  for (const opened of pages) await opened.waitForSelector(READY_SELECTOR, { timeout: BOUND_MS });
  const visible = await Promise.all(pages.map((opened) => opened.evaluate(() => document.visibilityState)));
  check(visible.every((state) => state === 'visible'), `every page counts as visible (the console polls only then): ${visible}`);
  console.log(JSON.stringify({ ready: pages.length }));
  const lines = createInterface({ input: process.stdin });
  for await (const _ of lines) break;
}

const modes = { latency, open, idle };
check(mode in modes, `mode is one of ${Object.keys(modes)}: ${mode}`);
await run(`console_live ${mode}`, modes[mode]);
