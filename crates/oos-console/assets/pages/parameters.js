// The parameter store: common parameters (String, StringList) and secret parameters; list, create,
// update and delete. A secret's value is never read back here: the page shows its metadata only and
// takes a new value in a password field (GetSecretParameter is never called).

import { call } from '../api.js';
import { h, replace, table, time, heading, panel, button, confirmButton, field, select, tabs, debounce, toast, fieldError } from '../ui.js';

export const route = ['parameters', 'parameters/:store'];

const KINDS = {
  common: { list: 'ListParameters', create: 'CreateParameter', update: 'UpdateParameter', remove: 'DeleteParameter', types: ['String', 'StringList'] },
  secret: { list: 'ListSecretParameters', create: 'CreateSecretParameter', update: 'UpdateSecretParameter', remove: 'DeleteSecretParameter', types: ['Secret'] },
};

/** The form that creates a parameter (`existing` absent) or updates `existing`. */
function editor(kind, secret, existing, done) {
  const name = h('input.param-name', { type: 'text', value: existing?.Name || '', disabled: Boolean(existing), placeholder: 'e.g. /ops/db/host' });
  const type = select(kind.types, existing?.Type || kind.types[0]);
  type.disabled = Boolean(existing) || kind.types.length === 1;
  const value = secret
    ? h('input.param-value', { type: 'password', autocomplete: 'new-password', placeholder: existing ? 'New value (left empty: kept)' : 'Value' })
    : h('textarea.param-value', { rows: 3, placeholder: 'Value (StringList: comma-separated)' });
  const description = h('input', { type: 'text', value: existing?.Description || '' });
  const constraints = h('input', { type: 'text', placeholder: '{"AllowedPattern": "^[a-z]+$"}' });
  const save = button(existing ? 'Save' : 'Create', async () => {
    fieldError(name, '');
    if (!existing && !name.value.trim()) return fieldError(name, 'A name is required.');
    if (!existing && !value.value) return fieldError(value, 'A value is required.');
    const params = { Name: existing?.Name || name.value.trim(), Description: description.value };
    if (value.value) params.Value = value.value;
    if (!existing) {
      params.Type = type.value;
      if (constraints.value.trim()) params.Constraints = constraints.value.trim();
    }
    await call(existing ? kind.update : kind.create, params);
    value.value = '';
    toast(`${params.Name} ${existing ? 'updated' : 'created'}.`, 'ok');
    done();
  }, { kind: 'primary' });
  return h('div.param-editor',
    field('Name', name),
    field('Type', type),
    field('Value', value, secret ? 'Stored sealed; the console never shows it.' : null),
    field('Description', description),
    existing ? null : field('Constraints', constraints, 'Optional JSON: AllowedValues, AllowedPattern, MinLength, MaxLength…'),
    h('div.row', save));
}

/** The value of a common parameter, fetched when asked for. */
function valueCell(p) {
  const cell = h('span.param-shown');
  cell.append(button('Show', async () => {
    const reply = await call('GetParameter', { Name: p.Name });
    replace(cell, h('code', reply.Parameter.Value));
  }));
  return cell;
}

export async function render(root, { store }) {
  const secret = store === 'secret';
  const path = secret ? 'parameters/secret' : 'parameters';
  const kind = KINDS[secret ? 'secret' : 'common'];
  const search = h('input.search', { type: 'search', placeholder: 'Name contains' });
  const list = h('div');
  const more = h('div.row');
  const side = h('div');
  const showCreate = () => replace(side, panel(secret ? 'New secret parameter' : 'New parameter', editor(kind, secret, null, () => load(false))));
  replace(root,
    heading('Parameter store', button(secret ? 'New secret parameter' : 'New parameter', async () => showCreate(), { kind: 'primary' })),
    tabs([['parameters', 'Parameters'], ['parameters/secret', 'Secret parameters']], path),
    side,
    panel(null, h('div.row', search, h('span.spacer'), more), list));

  let token;
  let rows = [];
  async function load(append) {
    const reply = await call(kind.list, { Name: search.value.trim(), SortField: 'Name', SortOrder: 'Ascending', MaxResults: 50, NextToken: append ? token : undefined });
    token = reply.NextToken;
    rows = append ? rows.concat(reply.Parameters || []) : reply.Parameters || [];
    const edit = (p) => replace(side, panel(`Update ${p.Name}`, editor(kind, secret, p, () => load(false))));
    replace(list, table([
      { title: 'Name', key: 'Name', class: 'mono' },
      { title: 'Type', key: 'Type' },
      { title: 'Version', key: 'ParameterVersion', class: 'num' },
      secret ? { title: 'Value', render: () => h('span.muted', 'hidden') } : { title: 'Value', render: valueCell },
      { title: 'Description', render: (p) => h('span.muted', p.Description || '') },
      { title: 'Updated', render: (p) => time(p.UpdatedDate) },
      { title: 'By', render: (p) => h('span.muted', p.UpdatedBy || '') },
      { title: '', render: (p) => h('div.actions',
        button('Edit', async () => edit(p)),
        confirmButton('Delete', async () => {
          await call(kind.remove, { Name: p.Name });
          toast(`${p.Name} deleted.`, 'ok');
          await load(false);
        })) },
    ], rows, { empty: secret ? 'No secret parameters.' : 'No parameters.', rowClass: (p) => `param-row param-${p.Name.replace(/[^A-Za-z0-9_-]/g, '_')}` }));
    replace(more, token ? button('Load more', () => load(true)) : h('span.muted', `${rows.length} shown`));
  }
  search.addEventListener('input', debounce(() => load(false).catch((error) => toast(error, 'error')), 250));
  await load(false);
}
