// A loop task's items: counts by status (one small call per status, however many items), a
// bar of them, and one page of items, filtered by status; refreshed at most every 300 ms while its
// items change live.

import { call } from './api.js';
import { h, replace, table, pill, link, duration, throttle, toast } from './ui.js';

const STATUSES = ['Success', 'Failed', 'Running', 'Waiting', 'Cancelled', 'Skipped', 'Queued'];
const PAGE = 20;
const LIVE_MS = 300;

/** The panel of loop task `parent` of execution `executionId`: `{ element, refresh(), refreshSoon() }`. */
export function loopPanel(executionId, parent) {
  const element = h('div.loop', { dataset: { loop: parent } });
  const state = { filter: '', counts: {}, total: 0, items: [], token: undefined, pages: [undefined] };

  async function count(Status) {
    const reply = await call('ListTaskExecutions', { ExecutionId: executionId, ParentTaskExecutionId: parent, Status, MaxResults: 1 });
    return reply.TotalCount || 0;
  }

  async function page(NextToken) {
    const reply = await call('ListTaskExecutions', {
      ExecutionId: executionId, ParentTaskExecutionId: parent, Status: state.filter || undefined, MaxResults: PAGE, NextToken, SortOrder: 'Ascending',
    });
    state.items = reply.TaskExecutions;
    state.token = reply.NextToken;
  }

  function draw() {
    const bar = h('div.bar', STATUSES.filter((status) => state.counts[status]).map((status) => {
      const span = h('span', { class: `b-${status.toLowerCase()}`, title: `${state.counts[status]} ${status}` });
      span.style.width = `${(100 * state.counts[status]) / Math.max(1, state.total)}%`;
      return span;
    }));
    const filter = (status, text) => h('button', {
      type: 'button',
      class: state.filter === status ? 'on' : '',
      dataset: { filter: status || 'All' },
      onclick: async () => {
        state.filter = status;
        state.pages = [undefined];
        await page(undefined);
        draw();
      },
    }, text);
    const index = state.pages.length - 1;
    const pager = h('div.row',
      h('span.muted', `page ${index + 1}`),
      index > 0 ? h('button.btn', { type: 'button', onclick: async () => { state.pages.pop(); await page(state.pages.at(-1)); draw(); } }, '‹ Previous') : null,
      state.token ? h('button.btn', { type: 'button', onclick: async () => { state.pages.push(state.token); await page(state.token); draw(); } }, 'Next ›') : null);
    replace(element,
      h('div.row', h('strong', `Loop: ${state.total} item${state.total === 1 ? '' : 's'}`), h('span.spacer'),
        h('span.muted.loop-counts', STATUSES.filter((status) => state.counts[status]).map((status) => `${state.counts[status]} ${status.toLowerCase()}`).join(' · '))),
      bar,
      h('div.filters', filter('', `All ${state.total}`), STATUSES.filter((status) => state.counts[status]).map((status) => filter(status, `${status} ${state.counts[status]}`))),
      table([
        { title: 'Item', render: (task) => h('code', String(task.LoopItem ?? '').slice(0, 80)) },
        { title: 'Status', render: (task) => pill(task.Status) },
        { title: 'Took', render: (task) => duration(task.StartDate, task.EndDate), class: 'num' },
        { title: 'Child', render: (task) => (task.ChildExecutionId ? link(`executions/${task.ChildExecutionId}`, task.ChildExecutionId) : '') },
        { title: 'Message', render: (task) => h('span.muted', (task.StatusMessage || '').slice(0, 140)) },
      ], state.items, { empty: 'No items with this status.' }),
      pager);
  }

  async function refresh() {
    const [total, ...counts] = await Promise.all([count(undefined), ...STATUSES.map(count)]);
    state.total = total;
    state.counts = Object.fromEntries(STATUSES.map((status, index) => [status, counts[index]]));
    await page(state.pages.at(-1));
    draw();
  }

  let refreshing = Promise.resolve();
  /** A refresh after a live change of an item, at most one every LIVE_MS however many change. */
  const refreshSoon = throttle(() => {
    refreshing = refreshing.then(refresh).catch((error) => toast(error, 'error'));
  }, LIVE_MS);

  return { element, refresh, refreshSoon, final: false };
}
