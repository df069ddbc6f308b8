// Schedules and triggers: the trigger executions (timer, event, alarm) with their next and last
// firings, pause, resume, fire now and stop; one trigger with its schedule and recent firings.

import { call, callAll } from '../api.js';
import { h, replace, table, pill, time, heading, panel, button, confirmButton, link, json, parsed, toast } from '../ui.js';

export const route = ['triggers', 'triggers/:id'];

const CATEGORIES = ['TimerTrigger', 'EventTrigger', 'AlarmTrigger'];
const FIRE_TYPES = { TimerTrigger: 'Timer', EventTrigger: 'Event', AlarmTrigger: 'Alarm' };
const REFRESH_MS = 5000;

async function triggers() {
  const lists = await Promise.all(CATEGORIES.map((Category) => callAll('ListExecutions', { Category }, 'Executions')));
  return lists.flat().filter((execution) => !['Success', 'Failed', 'Cancelled'].includes(execution.Status));
}

/** The buttons that act on trigger execution `e`; `done` runs after one succeeded. */
function controls(e, done) {
  const act = (action, params, said) => async () => {
    await call(action, { ExecutionId: e.ExecutionId, ...params });
    toast(said, 'ok');
    setTimeout(done, 600);
  };
  const paused = e.TriggerStatus === 'Paused';
  return h('div.actions',
    paused
      ? button('Resume', act('ResumeTrigger', {}, `Trigger ${e.ExecutionId} resumed.`), { kind: 'primary' })
      : button('Pause', act('PauseTrigger', {}, `Trigger ${e.ExecutionId} paused.`)),
    button('Fire now', act('TriggerExecution', { Type: FIRE_TYPES[e.Category] }, `Trigger ${e.ExecutionId} fired.`)),
    confirmButton('Stop', act('CancelExecution', {}, `Trigger ${e.ExecutionId} stopped.`)));
}

/** What the trigger waits for, from its trigger task's properties. */
function schedule(category, properties) {
  const p = parsed(properties);
  if (category === 'TimerTrigger') {
    const zone = p.TimeZone ? ` (${p.TimeZone})` : '';
    const end = p.EndDate ? `, until ${p.EndDate}` : '';
    return `${p.Type || 'cron'} ${p.Expression || ''}${zone}${end}`;
  }
  if (category === 'EventTrigger') return `${p.Product || ''} ${[].concat(p.Name || []).join(', ')}`.trim();
  return `${p.Namespace || ''} ${p.MetricName || ''} ${p.ComparisonOperator || ''} ${p.Threshold ?? ''}`.trim();
}

async function list(root) {
  const body = h('div');
  replace(root, heading('Schedules and triggers', button('Refresh', () => load())), panel(null, body));
  async function load() {
    const rows = await triggers();
    rows.sort((a, b) => String(a.NextScheduleTime || '~').localeCompare(String(b.NextScheduleTime || '~')));
    replace(body, table([
      { title: 'Trigger', render: (e) => link(`triggers/${e.ExecutionId}`, e.ExecutionId), class: 'mono' },
      { title: 'Template', render: (e) => link(`templates/${encodeURIComponent(e.TemplateName)}`, e.TemplateName) },
      { title: 'Kind', render: (e) => FIRE_TYPES[e.Category] },
      { title: 'State', render: (e) => pill(e.TriggerStatus || e.Status) },
      { title: 'Next firing', render: (e) => time(e.NextScheduleTime) },
      { title: 'Last firing', render: (e) => time(e.LastTriggerTime) },
      { title: 'Last run', render: (e) => (e.LastTriggerStatus ? pill(e.LastTriggerStatus) : '—') },
      { title: 'Fired', key: 'TriggerCount', class: 'num' },
      { title: '', render: (e) => controls(e, () => load().catch(() => {})) },
    ], rows, { empty: 'No schedules or triggers. A template whose first task is ACS::TimerTrigger, ACS::EventTrigger or ACS::AlarmTrigger makes one when started.' }));
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), REFRESH_MS);
  return () => clearInterval(timer);
}

async function one(root, id) {
  const head = h('div');
  const about = h('div');
  const firings = h('div');
  replace(root, head, panel('Trigger', about), panel('Recent firings', firings));
  async function load() {
    const [execution] = (await call('ListExecutions', { ExecutionId: id })).Executions || [];
    if (!execution) throw Object.assign(new Error(`The execution ${id} does not exist.`), { code: 'ExecutionNotFound' });
    const tasks = (await call('ListTaskExecutions', { ExecutionId: id, MaxResults: 1, SortOrder: 'Ascending' })).TaskExecutions || [];
    const task = tasks[0] || {};
    const runs = (await call('ListExecutions', { ParentExecutionId: id, MaxResults: 20, SortField: 'StartDate' })).Executions || [];
    replace(head, heading(`Trigger ${id}`, controls(execution, () => load().catch(() => {}))));
    replace(about, h('dl.kv',
      h('dt', 'Template'), h('dd', link(`templates/${encodeURIComponent(execution.TemplateName)}`, execution.TemplateName)),
      h('dt', 'Kind'), h('dd', FIRE_TYPES[execution.Category] || execution.Category),
      h('dt', 'State'), h('dd', pill(execution.TriggerStatus || execution.Status)),
      h('dt', 'Waits for'), h('dd.mono', schedule(execution.Category, task.Properties)),
      h('dt', 'Next firing'), h('dd', time(execution.NextScheduleTime)),
      h('dt', 'Last firing'), h('dd', time(execution.LastTriggerTime)),
      h('dt', 'Last success'), h('dd', time(execution.LastSuccessfulTriggerTime)),
      h('dt', 'Fired'), h('dd', String(execution.TriggerCount ?? 0)),
      h('dt', 'Started by'), h('dd', execution.ExecutedBy || '—'),
      h('dt', 'Execution'), h('dd', link(`executions/${id}`, id))),
    execution.LastTriggerOutputs && execution.LastTriggerOutputs !== '{}' ? [h('h2', 'Last outputs'), json(parsed(execution.LastTriggerOutputs))] : null);
    replace(firings, table([
      { title: 'Run', render: (e) => link(`executions/${e.ExecutionId}`, e.ExecutionId), class: 'mono' },
      { title: 'Status', render: (e) => pill(e.Status) },
      { title: 'Started', render: (e) => time(e.StartDate || e.CreateDate) },
      { title: 'Ended', render: (e) => time(e.EndDate) },
      { title: 'Message', render: (e) => h('span.muted', (e.StatusMessage || '').slice(0, 160)) },
    ], runs, { empty: 'It has not fired yet.' }));
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), REFRESH_MS);
  return () => clearInterval(timer);
}

export async function render(root, { id }) {
  return id ? one(root, id) : list(root);
}
