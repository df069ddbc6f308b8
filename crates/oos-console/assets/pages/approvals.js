// The approvals inbox: every execution waiting for a decision (an ACS::Approve, or a high-risk call
// under SafetyCheck), with its template, who started it, the approval message, the approvals needed
// and given so far, and Approve / Reject with a comment (NotifyExecution).

import { call, callAll } from '../api.js';
import { h, replace, panel, heading, button, link, time, json, parsed, toast } from '../ui.js';

export const route = 'approvals';

const REFRESH_MS = 5000;
const APPROVE = 'ACS::Approve';
const DECIDED = [APPROVE, 'ACS::ExecuteApi'];

/** `name` of `object`, whatever its case (templates write `approvers` and `Approvers`). */
function property(object, name) {
  const key = Object.keys(object || {}).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

/** The message of an approval's webhook: a DingTalk text or markdown body, or the content as it is. */
function approvalMessage(properties) {
  let content = property(property(properties, 'WebHook'), 'Content');
  if (typeof content === 'string' && content.trim().startsWith('{')) content = parsed(content);
  if (!content || typeof content !== 'object') return content ? String(content) : '';
  const text = property(property(content, 'text'), 'content') || property(property(content, 'markdown'), 'text');
  return text ? String(text) : JSON.stringify(content, null, 2);
}

/** What a waiting task asks for: its rule (who, how many) and what it shows. */
function describe(task) {
  const properties = parsed(task.Properties);
  const approvedBy = parsed(task.Outputs).ApprovedBy || [];
  if (task.TaskAction !== APPROVE) {
    const api = `${property(properties, 'Service') || ''}.${property(properties, 'API') || ''}`;
    return { approvers: [], required: 1, approvedBy, message: `High-risk call ${api} waits for a confirmation.`, details: property(properties, 'Parameters') };
  }
  const approvers = property(properties, 'Approvers') || [];
  const required = Math.max(1, Number(property(properties, 'MinRequiredApprovals')) || 1);
  return { approvers, required, approvedBy, message: approvalMessage(properties) };
}

/** Who started `execution`: its own ExecutedBy, or its top-level parent's (children carry none). */
async function starter(execution) {
  let current = execution;
  for (let depth = 0; !current.ExecutedBy && current.ParentExecutionId && depth < 16; depth += 1) {
    const [parent] = (await call('ListExecutions', { ExecutionId: current.ParentExecutionId })).Executions || [];
    if (!parent) break;
    current = parent;
  }
  return current.ExecutedBy || '';
}

/** Executions waiting for a decision, each with its waiting tasks. */
async function pending() {
  const executions = await callAll('ListExecutions', { Status: 'Waiting', IncludeChildExecution: true }, 'Executions');
  const waiting = executions.filter((execution) => (execution.Category || 'Other') === 'Other');
  await Promise.all(waiting.map(async (execution) => { execution.StartedBy = await starter(execution); }));
  const withTasks = await Promise.all(waiting.map(async (execution) => {
    const reply = await call('ListTaskExecutions', { ExecutionId: execution.ExecutionId, Status: 'Waiting', IncludeChildTaskExecution: true, MaxResults: 100 });
    const tasks = (reply.TaskExecutions || []).filter((task) => DECIDED.includes(task.TaskAction));
    return tasks.map((task) => ({ execution, task }));
  }));
  return withTasks.flat();
}

function card({ execution, task }, me, reload) {
  const rule = describe(task);
  const comment = h('textarea.approval-comment', { placeholder: 'Comment (sent as the note of your decision)', rows: 2 });
  const given = rule.approvedBy.length;
  const decide = (NotifyType) => async () => {
    await call('NotifyExecution', { ExecutionId: task.ExecutionId, TaskExecutionId: task.TaskExecutionId, NotifyType, NotifyNote: comment.value.trim() });
    toast(`${NotifyType === 'Approve' ? 'Approval' : 'Rejection'} sent for ${task.TaskName}.`, 'ok');
    setTimeout(reload, 800);
  };
  const mine = rule.approvedBy.includes(me);
  return h('section.panel.approval-card', { dataset: { execution: task.ExecutionId, task: task.TaskName } },
    h('div.approval',
      h('div',
        h('div.row',
          h('strong', link(`executions/${task.ExecutionId}`, execution.TemplateName)),
          h('span.mono.muted', task.ExecutionId),
          h('span.spacer'),
          h('span.count', { class: given >= rule.required ? 'met' : '' }, `${given} of ${rule.required} approvals`)),
        h('dl.kv',
          h('dt', 'Task'), h('dd', task.TaskName, ' ', h('span.muted.mono', task.TaskAction)),
          h('dt', 'Started by'), h('dd', execution.StartedBy || '—'),
          h('dt', 'Waiting since'), h('dd', time(task.StartDate || task.CreateDate)),
          h('dt', 'Approvers'), h('dd', rule.approvers.length ? rule.approvers.join(', ') : 'anyone allowed oos:NotifyExecution'),
          h('dt', 'Approved by'), h('dd.approved-by', given ? rule.approvedBy.join(', ') : '—')),
        rule.message ? h('div.message', rule.message) : null,
        rule.details ? json(rule.details) : null),
      h('div.decide',
        comment,
        mine ? h('div.muted', 'Your approval is counted.') : null,
        h('div.row',
          button('Approve', decide('Approve'), { kind: 'primary' }),
          button('Reject', decide('Reject'), { kind: 'danger' })))));
}

export async function render(root, { session }) {
  const me = session?.User?.UserName || '';
  const list = h('div.approvals');
  replace(root, heading('Approvals', button('Refresh', () => load())), list);

  async function load() {
    const items = await pending();
    items.sort((a, b) => String(a.task.StartDate).localeCompare(String(b.task.StartDate)));
    if (!items.length) {
      replace(list, panel(null, h('div.muted.empty-inbox', 'Nothing waits for a decision.')));
      return;
    }
    replace(list, items.map((item) => card(item, me, () => load().catch((error) => toast(error, 'error')))));
  }

  await load();
  // Refresh only while no comment is being written.
  const timer = setInterval(() => {
    if (!list.querySelector('textarea:focus') && ![...list.querySelectorAll('textarea')].some((area) => area.value)) load().catch(() => {});
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
