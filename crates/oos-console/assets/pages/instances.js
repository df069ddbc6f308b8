// Managed instances (Cloud Assistant, ECS 2014-05-26): the list, one instance with its inventory
// and recent invocations, and a "run command" form (RunCommand) whose results are followed with
// DescribeInvocationResults until every instance has finished.

import { call, ECS } from '../api.js';
import { h, replace, table, pill, time, heading, panel, button, select, field, link, toast } from '../ui.js';

export const route = ['instances', 'instances/:id'];

const COMMAND_TYPES = ['RunShellScript', 'RunPythonScript', 'RunPerlScript', 'RunPowerShellScript', 'RunBatScript'];
const FINISHED = ['Success', 'Failed', 'Stopped', 'Error', 'Timeout', 'Invalid', 'Aborted', 'Terminated', 'Cancelled'];
const POLL_MS = 1000;

/** Every managed instance, through ECS's page numbers. */
async function instances() {
  const all = [];
  for (let PageNumber = 1; ; PageNumber += 1) {
    const reply = await call('DescribeManagedInstances', { PageNumber, PageSize: 50 }, ECS);
    all.push(...(reply.Instances || []));
    if (!reply.Instances?.length || all.length >= (reply.TotalCount || 0)) return all;
  }
}

/** Base64 output as text (UTF-8, invalid bytes replaced). */
function decode(base64) {
  if (!base64) return '';
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function connected(instance) {
  return pill(instance.Connected ? 'Connected' : 'Disconnected');
}

/** The results of invocation `invokeId`, one block per instance, polled until all have finished. */
function invocationResults(invokeId) {
  const box = h('div.invocation', { dataset: { invokeId } });
  let timer;
  async function poll() {
    const reply = await call('DescribeInvocationResults', { InvokeId: invokeId, PageSize: 50 }, ECS);
    const results = reply.Invocation?.InvocationResults?.InvocationResult || [];
    replace(box,
      h('div.row', h('span.muted', 'Invocation'), h('code', invokeId)),
      results.map((result) => h('div.result', { dataset: { instance: result.InstanceId, status: result.InvocationStatus } },
        h('div.row',
          h('strong.mono', result.InstanceId),
          pill(result.InvocationStatus),
          result.ExitCode === null || result.ExitCode === undefined ? null : h('span.muted', `exit code ${result.ExitCode}`),
          result.ErrorInfo ? h('span.muted', `${result.ErrorCode}: ${result.ErrorInfo}`) : null),
        h('pre.output', decode(result.Output) || ' '))));
    const done = results.length && results.every((result) => FINISHED.includes(result.InvocationStatus));
    if (!done) timer = setTimeout(() => poll().catch((error) => box.append(h('div.muted', error.message))), POLL_MS);
  }
  poll().catch((error) => toast(error, 'error'));
  box.stop = () => clearTimeout(timer);
  return box;
}

/** The "run command" form for the instances `chosen()` returns; results appear under it. */
function runCommandForm(chosen, stops) {
  const type = select(COMMAND_TYPES, 'RunShellScript', { name: 'Type' });
  const content = h('textarea#command-content', { rows: 6, placeholder: 'echo hello from $(hostname)' });
  const timeout = h('input', { type: 'number', min: 1, max: 86400, value: 60 });
  const workingDir = h('input', { type: 'text', placeholder: 'default: the agent\'s' });
  const username = h('input', { type: 'text', placeholder: 'default: the agent\'s user' });
  const results = h('div');
  const run = button('Run', async () => {
    const ids = chosen();
    if (!ids.length) throw Object.assign(new Error('Choose at least one instance.'), { code: 'InstanceId' });
    const reply = await call('RunCommand', {
      InstanceId: ids,
      Type: type.value,
      CommandContent: content.value,
      Timeout: timeout.value,
      WorkingDir: workingDir.value.trim(),
      Username: username.value.trim(),
    }, ECS);
    const shown = invocationResults(reply.InvokeId);
    stops.push(shown.stop);
    results.prepend(shown);
  }, { kind: 'primary' });
  return h('div.run-command',
    field('Type', type),
    field('Command', content),
    field('Timeout (s)', timeout),
    field('Working directory', workingDir),
    field('User', username),
    h('div.row', run),
    results);
}

async function list(root, stops) {
  const body = h('div');
  const chosen = new Set();
  replace(root,
    heading('Managed instances', button('Refresh', () => load())),
    panel(null, body),
    panel('Run command on the chosen instances', runCommandForm(() => [...chosen], stops)));
  async function load() {
    const rows = await instances();
    replace(body, table([
      { title: '', render: (i) => h('input', { type: 'checkbox', checked: chosen.has(i.InstanceId), onchange: (event) => (event.target.checked ? chosen.add(i.InstanceId) : chosen.delete(i.InstanceId)), 'aria-label': `choose ${i.InstanceId}` }) },
      { title: 'Instance', render: (i) => link(`instances/${i.InstanceId}`, i.InstanceId), class: 'mono' },
      { title: 'Name', key: 'InstanceName' },
      { title: 'Host', key: 'Hostname' },
      { title: 'OS', render: (i) => `${i.OsType || ''} ${i.OsVersion || ''}`.trim() },
      { title: 'IP', key: 'IntranetIp', class: 'mono' },
      { title: 'Agent', key: 'AgentVersion', class: 'mono' },
      { title: 'State', render: connected },
      { title: 'Registered', render: (i) => time(i.RegistrationTime) },
    ], rows, { empty: 'No managed instances. Register one with `oos agent` and an activation code (docs/managed-instances.md).' }));
  }
  await load();
}

/** The inventory of instance `id`: a type picker and the entries of the chosen type. */
async function inventory(id) {
  const schemas = (await call('GetInventorySchema', { MaxResults: 100 })).Schemas || [];
  const names = schemas.map((schema) => schema.TypeName);
  const picker = select(names, names[0], { 'aria-label': 'Inventory type' });
  const entries = h('div');
  async function load() {
    const reply = await call('ListInventoryEntries', { InstanceId: id, TypeName: picker.value, MaxResults: 50 });
    const rows = reply.Entries || [];
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].map((key) => ({ title: key, render: (row) => String(row[key] ?? '') }));
    replace(entries,
      h('div.muted', reply.CaptureTime ? ['Captured ', time(reply.CaptureTime)] : 'Not collected yet: a state configuration of ACS:Inventory collects it.'),
      columns.length ? table(columns, rows) : null);
  }
  picker.addEventListener('change', () => load().catch((error) => toast(error, 'error')));
  if (names.length) await load();
  return h('div', h('div.row', picker), entries);
}

async function one(root, id, stops) {
  const [instance] = (await call('DescribeManagedInstances', { InstanceId: id }, ECS)).Instances || [];
  if (!instance) throw Object.assign(new Error(`The managed instance ${id} does not exist.`), { code: 'InvalidInstance.NotFound' });
  const invocations = (await call('DescribeInvocations', { InstanceId: id, PageSize: 10 }, ECS)).Invocations?.Invocation || [];
  replace(root,
    heading(`${instance.InstanceName || instance.Hostname || id}`, connected(instance)),
    h('div.grid-2',
      panel('Instance', h('dl.kv',
        h('dt', 'Instance'), h('dd.mono', instance.InstanceId),
        h('dt', 'Host'), h('dd', instance.Hostname),
        h('dt', 'OS'), h('dd', `${instance.OsType} ${instance.OsVersion}`),
        h('dt', 'IP'), h('dd.mono', instance.IntranetIp),
        h('dt', 'Agent'), h('dd.mono', instance.AgentVersion),
        h('dt', 'Activation'), h('dd.mono', instance.ActivationId),
        h('dt', 'Registered'), h('dd', time(instance.RegistrationTime)),
        h('dt', 'Tags'), h('dd', (instance.Tags || []).map((tag) => h('span.tag', `${tag.TagKey}=${tag.TagValue}`))))),
      panel('Run command', runCommandForm(() => [id], stops))),
    panel('Inventory', await inventory(id)),
    panel('Recent invocations', table([
      { title: 'Invocation', key: 'InvokeId', class: 'mono' },
      { title: 'Command', render: (i) => i.CommandName || i.CommandType },
      { title: 'Status', render: (i) => pill(i.InvocationStatus) },
      { title: 'Created', render: (i) => time(i.CreationTime) },
    ], invocations, { empty: 'No invocations yet.' })));
}

export async function render(root, { id }) {
  const stops = [];
  await (id ? one(root, id, stops) : list(root, stops));
  return () => stops.forEach((stop) => stop());
}
