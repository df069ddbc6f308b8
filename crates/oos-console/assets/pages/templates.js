// The template list: search by name, filter by tag, newest first; links to view, edit and start.

import { call } from '../api.js';
import { h, replace, table, time, heading, panel, debounce, link } from '../ui.js';

export const route = 'templates';

function tags(value) {
  return Object.entries(value || {}).map(([key, tag]) => h('span.tag', `${key}=${tag}`));
}

/** `key=value, key2=value2` as a Tags filter object. */
function tagFilter(text) {
  const pairs = text.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
    const [key, ...rest] = pair.split('=');
    return [key.trim(), rest.join('=').trim()];
  });
  return pairs.length ? Object.fromEntries(pairs) : undefined;
}

export async function render(root, { query }) {
  const search = h('input.search#template-search', { type: 'search', placeholder: 'Search by name', value: query.get('q') || '' });
  const tagInput = h('input.search#template-tags', { type: 'search', placeholder: 'Tags: team=ops, env=prod', value: query.get('tags') || '' });
  const list = h('div');
  const more = h('div.row');
  replace(root,
    heading('Templates', h('a.btn.primary', { href: '#/templates/new/edit' }, 'Create template')),
    panel(null, h('div.row', search, tagInput, h('span.spacer'), more), list));

  let token;
  let rows = [];
  async function load(append) {
    const reply = await call('ListTemplates', {
      TemplateName: search.value.trim() || undefined,
      Tags: tagFilter(tagInput.value),
      SortField: 'UpdatedDate',
      SortOrder: 'Descending',
      MaxResults: 50,
      NextToken: append ? token : undefined,
    });
    token = reply.NextToken;
    rows = append ? rows.concat(reply.Templates || []) : reply.Templates || [];
    replace(list, table([
      { title: 'Name', render: (t) => link(`templates/${encodeURIComponent(t.TemplateName)}`, t.TemplateName) },
      { title: 'Version', key: 'TemplateVersion', class: 'mono' },
      { title: 'Description', render: (t) => h('span.muted', (t.Description || '').slice(0, 120)) },
      { title: 'Tags', render: (t) => tags(t.Tags) },
      { title: 'Executions', key: 'TotalExecutionCount', class: 'num' },
      { title: 'Updated', render: (t) => time(t.UpdatedDate) },
      { title: 'By', render: (t) => h('span.muted', t.UpdatedBy) },
      { title: '', render: (t) => h('a.btn', { href: `#/templates/${encodeURIComponent(t.TemplateName)}/start` }, 'Start') },
    ], rows, { empty: 'No templates match.', onrow: (t) => { location.hash = `#/templates/${encodeURIComponent(t.TemplateName)}`; } }));
    replace(more, token ? h('button.btn', { type: 'button', onclick: () => load(true) }, 'Load more') : h('span.muted', `${rows.length} shown`));
  }
  const reload = debounce(() => load(false).catch(() => {}), 250);
  search.addEventListener('input', reload);
  tagInput.addEventListener('input', reload);
  await load(false);
}

export { tags as tagList };
