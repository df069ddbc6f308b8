// One execution, live: its tasks as a graph in template order (branches, loops with their items
// counted by status and listed a page at a time, child executions), its outputs and logs, kept
// current by the events of /stream (a changed task redrawn in place), and the actions its mode and
// state allow.

import { call, watchExecution } from '../api.js';
import { h, replace, heading, panel, pill, time, duration, button, toast, json, link, debounce } from '../ui.js';
import { loopPanel } from '../loop.js';

export const route = 'executions/:id';

const FINAL = ['Success', 'Failed', 'Cancelled'];
const REFRESH_AFTER_MS = 120;

function parsed(text) {
  if (typeof text !== 'string') return text || {};
  try {
    return JSON.parse(text || '{}');
  } catch {
    return {};
  }
}

/** Where a task may go next, read from its properties (ACS::Choice) as small text. */
function branches(plan) {
  const properties = parsed(plan.Properties);
  const choices = (properties.Choices || []).map((choice) => choice.NextTask).filter(Boolean);
  if (properties.DefaultTask) choices.push(`${properties.DefaultTask} (default)`);
  return choices.length ? h('div.branches', `→ ${choices.join(' | ')}`) : null;
}

export async function render(root, { id }) {
  const head = h('div');
  const graph = h('div.graph#task-graph');
  const details = h('div');
  const outputs = h('div#outputs');
  const logs = h('div.logs#logs');
  const live = h('span.live#live', 'live');
  replace(root, head, h('div.layout-exec',
    h('div', panel(h('span', 'Tasks ', live), graph)),
    h('div.col', panel('Details', details), panel('Outputs', outputs), panel('Logs', logs))));

  const content = await call('GetExecutionTemplate', { ExecutionId: id });
  const plan = await call('ValidateTemplateContent', { Content: content.Content }).then((reply) => reply.Tasks).catch(() => []);
  const plannedByName = new Map(plan.map((planned) => [planned.Name, planned]));
  const loops = new Map();
  let execution;
  let failedOn = null;
  let loadingNow = false;
  let finished = false;

  /** A button sending `NotifyType` (for `task` when given), then re-reading the view. */
  function notifyButton(NotifyType, label, kind, task) {
    return button(label, async () => {
      await call('NotifyExecution', { ExecutionId: id, NotifyType, TaskName: task?.TaskName, TaskExecutionId: task?.TaskExecutionId });
      toast(`${label}: sent.`, 'ok');
      refresh();
    }, { kind });
  }

  /** The run a FailurePause execution waits on: its latest failed top-level task. */
  function pausedOnFailure(tasks) {
    if (execution.Mode !== 'FailurePause' || execution.Status !== 'Waiting') return null;
    return tasks.findLast((task) => task.Status === 'Failed' && !task.ParentTaskExecutionId)?.TaskExecutionId;
  }

  function taskActions(task) {
    if (execution.Status !== 'Waiting' && execution.Status !== 'Running') return null;
    const buttons = [];
    if (task.Status === 'Waiting' && task.TaskAction === 'ACS::Approve') buttons.push(notifyButton('Approve', 'Approve', 'primary', task), notifyButton('Reject', 'Reject', 'danger', task));
    else if (task.Status === 'Waiting') buttons.push(notifyButton('Resume', 'Resume', 'primary', task));
    if (task.TaskExecutionId === failedOn) buttons.push(notifyButton('RetryTask', 'Retry', 'primary', task), notifyButton('SkipTask', 'Skip', '', task));
    return buttons.length ? h('div.actions', buttons) : null;
  }

  function node(task, planned) {
    const status = task ? task.Status : 'Queued';
    const name = task ? task.TaskName : planned.Name;
    const action = task ? task.TaskAction : planned.Type;
    const card = h('div.card',
      h('div.task-head', h('span.task-name', name), pill(status), h('span.task-action', action),
        task?.StartDate ? h('span.task-meta', time(task.StartDate), ' · ', duration(task.StartDate, task.EndDate)) : null),
      planned ? branches(planned) : null,
      task?.StatusMessage && status !== 'Success' ? h('div.task-message', task.StatusMessage) : null,
      task?.ChildExecutionId ? h('div.task-meta', 'Child execution ', link(`executions/${task.ChildExecutionId}`, task.ChildExecutionId)) : null,
      task && loops.get(task.TaskExecutionId)?.element,
      task ? taskActions(task) : null);
    const dataset = task ? { task: name, status, taskExecutionId: task.TaskExecutionId } : { task: name, status };
    return h('div.node', { class: `n-${status.toLowerCase()}${task ? '' : ' planned'}`, dataset }, h('div.rail', h('span.dot')), card);
  }

  async function readTasks() {
    const tasks = [];
    let NextToken;
    do {
      const reply = await call('ListTaskExecutions', { ExecutionId: id, MaxResults: 100, NextToken, SortOrder: 'Ascending' });
      tasks.push(...reply.TaskExecutions);
      NextToken = reply.NextToken;
    } while (NextToken && tasks.length < 1000);
    return tasks;
  }

  /** Finds which tasks are loops (they have items) and refreshes those not yet final. */
  async function readLoops(tasks) {
    await Promise.all(tasks.map(async (task) => {
      const known = loops.get(task.TaskExecutionId);
      if (known === null || task.Status === 'Queued' || task.Status === 'Skipped') return;
      if (known && known.final) return;
      if (!known) {
        const probe = await call('ListTaskExecutions', { ExecutionId: id, ParentTaskExecutionId: task.TaskExecutionId, MaxResults: 1 });
        if (!probe.TotalCount) {
          if (FINAL.includes(task.Status)) loops.set(task.TaskExecutionId, null);
          return;
        }
        loops.set(task.TaskExecutionId, loopPanel(id, task.TaskExecutionId));
      }
      const loop = loops.get(task.TaskExecutionId);
      await loop.refresh();
      loop.final = FINAL.includes(task.Status);
    }));
  }

  async function readExecution() {
    const listed = await call('ListExecutions', { ExecutionId: id, IncludeChildExecution: true });
    execution = listed.Executions[0];
    if (!execution) throw new Error(`The execution ${id} does not exist.`);
  }

  async function load() {
    loadingNow = true;
    try {
      await draw();
    } finally {
      loadingNow = false;
    }
  }

  /** Reads the execution and its tasks and draws the whole view. */
  async function draw() {
    const [, tasks] = await Promise.all([readExecution(), readTasks()]);
    failedOn = pausedOnFailure(tasks);
    await readLoops(tasks);
    const byName = new Map();
    for (const task of tasks) byName.set(task.TaskName, [...(byName.get(task.TaskName) || []), task]);
    const nodes = plan.flatMap((planned) => {
      const ran = byName.get(planned.Name) || [];
      byName.delete(planned.Name);
      return ran.length ? ran.map((task) => node(task, planned)) : [node(null, planned)];
    });
    for (const rest of byName.values()) nodes.push(...rest.map((task) => node(task, null)));
    replace(graph, nodes);
    drawHead();
    drawDetails();
  }

  /** What a wait between tasks allows: run or skip the next task in Debug mode, else Resume. */
  function betweenTasks() {
    if (execution.Status !== 'Waiting' || execution.CurrentTasks?.length || failedOn) return null;
    if (execution.Mode !== 'Debug') return notifyButton('Resume', 'Resume');
    return [h('span.sub', 'Paused before the next task'), notifyButton('ExecuteTask', 'Execute task', 'primary'), notifyButton('SkipTask', 'Skip')];
  }

  function drawHead() {
    const active = !FINAL.includes(execution.Status);
    const cancel = button('Cancel', async () => {
      await call('CancelExecution', { ExecutionId: id });
      toast('Cancelling.', 'ok');
    }, { kind: 'danger' });
    cancel.id = 'cancel-execution';
    replace(head, heading(h('span', 'Execution ', h('code', id)),
      h('span#execution-status', pill(execution.Status)),
      h('span.sub', `${execution.Mode} mode`),
      betweenTasks(),
      active ? cancel : null,
      h('a.btn', { href: `#/templates/${encodeURIComponent(execution.TemplateName)}/start` }, 'Run again')));
  }

  function drawDetails() {
    const counters = execution.Counters || {};
    replace(details, h('dl.kv',
      h('dt', 'Template'), h('dd', link(`templates/${encodeURIComponent(execution.TemplateName)}`, execution.TemplateName), ' ', h('span.muted', execution.TemplateVersion)),
      h('dt', 'Status'), h('dd', pill(execution.Status), execution.StatusMessage ? h('div.task-message', execution.StatusMessage) : null),
      h('dt', 'Started'), h('dd', time(execution.StartDate || execution.CreateDate), ' by ', execution.ExecutedBy),
      h('dt', 'Duration'), h('dd', duration(execution.StartDate || execution.CreateDate, execution.EndDate)),
      h('dt', 'Tasks'), h('dd', Object.entries(counters).filter(([key, n]) => n && key !== 'Total').map(([key, n]) => `${n} ${key.toLowerCase()}`).join(', ') || '—'),
      execution.ParentExecutionId ? [h('dt', 'Parent'), h('dd', link(`executions/${execution.ParentExecutionId}`, execution.ParentExecutionId))] : null,
      h('dt', 'Parameters'), h('dd', json(parsed(execution.Parameters)))));
    const shown = Object.fromEntries(Object.entries(parsed(execution.Outputs)).map(([key, value]) => [key, typeof value === 'string' && /^[[{]/.test(value) ? parsed(value) : value]));
  replace(outputs, FINAL.includes(execution.Status) || Object.keys(shown).length ? json(shown) : h('span.muted', 'When it ends.'));
  }

  function logLine(entry) {
    const line = h('div.log', { class: `lt-${String(entry.LogType || '').toLowerCase()}` }, h('span.ts', entry.Timestamp.slice(11, 19)), entry.Message);
    const atEnd = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
    logs.append(line);
    if (atEnd) logs.scrollTop = logs.scrollHeight;
  }

  let loading = Promise.resolve();
  const later = (work) => debounce(() => {
    loading = loading.then(work).catch((error) => toast(error, 'error'));
  }, REFRESH_AFTER_MS);
  const refresh = later(load);
  /** The head and details only (their counters and buttons), after a task changed in place. */
  const refreshExecution = later(async () => {
    await readExecution();
    drawHead();
    drawDetails();
  });

  /**
   * A `task` event: a run already drawn is redrawn at once in place; a new run, or an item of a
   * loop not drawn yet, waits for the next refresh; an item of a drawn loop refreshes its panel.
   */
  function applyTask(task) {
    if (task.ParentTaskExecutionId) {
      const loop = loops.get(task.ParentTaskExecutionId);
      if (loop) loop.refreshSoon();
      else refresh();
      return;
    }
    const drawn = [...graph.children].find((shown) => shown.dataset.taskExecutionId === task.TaskExecutionId);
    if (!drawn) {
      refresh();
      return;
    }
    drawn.replaceWith(node(task, plannedByName.get(task.TaskName) || null));
    refreshExecution();
    // A load in flight may have read the task before this change: read it again after.
    if (loadingNow) refresh();
  }

  await load();
  const source = watchExecution(id, {
    status: refresh,
    task: applyTask,
    log: logLine,
    end: () => {
      finished = true;
      source.close();
      live.classList.add('off');
      live.textContent = 'ended';
      refresh();
    },
    error: () => {
      if (finished) return;
      live.classList.add('off');
      live.textContent = 'reconnecting';
    },
    // The stream sends the logs from the start; what changed between the load and now, once.
    open: () => {
      live.classList.remove('off');
      live.textContent = 'live';
      replace(logs);
      refresh();
    },
  });
  return () => source.close();
}
