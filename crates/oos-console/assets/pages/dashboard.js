// The dashboard: executions running and waiting, recent failures, and the next scheduled firings
// of timer triggers.

import { call } from '../api.js';
import { h, replace, table, pill, time, duration, link, panel, heading, button } from '../ui.js';

export const route = 'dashboard';

const REFRESH_MS = 5000;

function executionRows(onrow) {
  return [
    { title: 'Execution', render: (e) => link(`executions/${e.ExecutionId}`, e.ExecutionId), class: 'mono' },
    { title: 'Template', render: (e) => link(`templates/${encodeURIComponent(e.TemplateName)}`, e.TemplateName) },
    { title: 'Status', render: (e) => pill(e.Status) },
    { title: 'Current task', render: (e) => (e.CurrentTasks || []).map((task) => task.TaskName).join(', ') },
    { title: 'Started', render: (e) => time(e.StartDate || e.CreateDate) },
    { title: 'Took', render: (e) => duration(e.StartDate || e.CreateDate, e.EndDate), class: 'num' },
    { title: 'By', key: 'ExecutedBy' },
  ].filter((column) => !onrow || column.title !== 'By');
}

async function list(params) {
  const reply = await call('ListExecutions', { MaxResults: 20, ...params });
  return reply.Executions || [];
}

export async function render(root) {
  const stats = h('div.stats');
  const active = h('div');
  const failures = h('div');
  const firings = h('div');
  replace(root,
    heading('Dashboard', button('Refresh', () => load()), h('a.btn.primary', { href: '#/templates' }, 'Start execution')),
    stats,
    panel('Running and waiting', active),
    h('div.grid-2', panel('Recent failures', failures), panel('Next scheduled firings', firings)));

  async function load() {
    const [running, waiting, failed, timers] = await Promise.all([
      list({ Status: 'Running' }),
      list({ Status: 'Waiting' }),
      list({ Status: 'Failed', SortField: 'EndDate', MaxResults: 10 }),
      list({ Category: 'TimerTrigger', Status: 'Running', MaxResults: 50 }),
    ]);
    const byStatus = (status) => h('div.stat', h('div.n', status.n), h('div.t', status.t));
    replace(stats,
      byStatus({ n: running.length, t: 'running' }),
      byStatus({ n: waiting.length, t: 'waiting for approval or input' }),
      byStatus({ n: failed.length, t: 'recent failures' }),
      byStatus({ n: timers.length, t: 'active schedules' }));
    const columns = executionRows();
    replace(active, table(columns, [...waiting, ...running].filter((e) => e.Category !== 'TimerTrigger'), { empty: 'Nothing is running.' }));
    replace(failures, table([
      { title: 'Execution', render: (e) => link(`executions/${e.ExecutionId}`, e.ExecutionId), class: 'mono' },
      { title: 'Template', key: 'TemplateName' },
      { title: 'Ended', render: (e) => time(e.EndDate || e.UpdateDate) },
      { title: 'Why', render: (e) => h('span.muted', (e.StatusMessage || '').slice(0, 160)) },
    ], failed, { empty: 'No failures.' }));
    const next = timers.filter((e) => e.NextScheduleTime).sort((a, b) => a.NextScheduleTime.localeCompare(b.NextScheduleTime)).slice(0, 10);
    replace(firings, table([
      { title: 'Next firing', render: (e) => time(e.NextScheduleTime) },
      { title: 'Template', key: 'TemplateName' },
      { title: 'Trigger', render: (e) => link(`executions/${e.ExecutionId}`, e.ExecutionId), class: 'mono' },
      { title: 'Fired', key: 'TriggerCount', class: 'num' },
      { title: 'Last', render: (e) => (e.LastTriggerStatus ? pill(e.LastTriggerStatus) : '—') },
    ], next, { empty: 'No schedules.' }));
  }

  await load();
  const timer = setInterval(() => load().catch(() => {}), REFRESH_MS);
  return () => clearInterval(timer);
}
