// The execution list: filtered by status and template, newest first, a page at a time.

import { call } from '../api.js';
import { h, replace, table, pill, time, duration, heading, panel, link, select, debounce } from '../ui.js';

export const route = 'executions';

const STATUSES = ['', 'Running', 'Waiting', 'Success', 'Failed', 'Cancelled', 'Queued'];

export async function render(root, { query }) {
  const status = select(STATUSES.map((s) => [s, s || 'Any status']), query.get('status') || '', { id: 'execution-status-filter' });
  const template = h('input.search', { type: 'search', placeholder: 'Template name', value: query.get('template') || '' });
  const list = h('div');
  const pager = h('div.row');
  replace(root, heading('Executions'), panel(null, h('div.row', status, template, h('span.spacer'), pager), list));
  const pages = [undefined];

  async function load() {
    const reply = await call('ListExecutions', {
      Status: status.value || undefined,
      TemplateName: template.value.trim() || undefined,
      MaxResults: 50,
      NextToken: pages.at(-1),
    });
    replace(list, table([
      { title: 'Execution', render: (e) => link(`executions/${e.ExecutionId}`, e.ExecutionId), class: 'mono' },
      { title: 'Template', key: 'TemplateName' },
      { title: 'Status', render: (e) => pill(e.Status) },
      { title: 'Mode', key: 'Mode' },
      { title: 'Started', render: (e) => time(e.StartDate || e.CreateDate) },
      { title: 'Took', render: (e) => duration(e.StartDate || e.CreateDate, e.EndDate), class: 'num' },
      { title: 'By', render: (e) => h('span.muted', e.ExecutedBy) },
    ], reply.Executions || [], { empty: 'No executions match.', onrow: (e) => { location.hash = `#/executions/${e.ExecutionId}`; } }));
    replace(pager,
      h('span.muted', `${reply.TotalCount ?? ''} in all`),
      pages.length > 1 ? h('button.btn', { type: 'button', onclick: () => { pages.pop(); load(); } }, '‹ Newer') : null,
      reply.NextToken ? h('button.btn', { type: 'button', onclick: () => { pages.push(reply.NextToken); load(); } }, 'Older ›') : null);
  }
  const reload = () => {
    pages.length = 1;
    load();
  };
  status.addEventListener('change', reload);
  template.addEventListener('input', debounce(reload, 250));
  await load();
}
