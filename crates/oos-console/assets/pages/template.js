// One template: its details, its content at any version, the diff between any two versions, and
// edit, start and delete.

import { call, callAll } from '../api.js';
import { h, replace, table, time, heading, panel, select, button, toast, errorBox } from '../ui.js';
import { diffView } from '../diff.js';
import { tagList } from './templates.js';

export const route = 'templates/:name';

export async function render(root, { name, query }) {
  const [got, versions] = await Promise.all([
    call('GetTemplate', { TemplateName: name, TemplateVersion: query.get('version') || undefined }),
    callAll('ListTemplateVersions', { TemplateName: name }, 'TemplateVersions'),
  ]);
  const template = got.Template;
  const number = (version) => Number(String(version.TemplateVersion).replace(/^v/, '')) || 0;
  versions.sort((a, b) => number(b) - number(a));
  const encoded = encodeURIComponent(name);
  const names = versions.map((v) => v.TemplateVersion);
  const library = template.ShareType === 'Public';
  const remove = button('Delete', async () => {
    if (!confirm(`Delete template ${name} and all its versions?`)) return;
    await call('DeleteTemplate', { TemplateName: name });
    toast(`Deleted ${name}.`, 'ok');
    location.hash = '#/templates';
  }, { kind: 'danger' });

  const viewVersion = select(names, template.TemplateVersion, { id: 'view-version' });
  const content = h('pre.code#template-content', got.Content);
  viewVersion.addEventListener('change', async () => {
    const other = await call('GetTemplate', { TemplateName: name, TemplateVersion: viewVersion.value });
    content.textContent = other.Content;
  });

  const from = select(names, names[1] || names[0], { id: 'diff-from' });
  const to = select(names, names[0], { id: 'diff-to' });
  const diffBox = h('div');
  const summary = h('span.muted');
  async function showDiff() {
    try {
      const [a, b] = await Promise.all([from.value, to.value].map((version) => call('GetTemplate', { TemplateName: name, TemplateVersion: version })));
      const { element, added, removed } = diffView(a.Content, b.Content);
      summary.textContent = `+${added} −${removed}`;
      replace(diffBox, element);
    } catch (error) {
      replace(diffBox, errorBox(error));
    }
  }
  from.addEventListener('change', showDiff);
  to.addEventListener('change', showDiff);

  replace(root,
    heading(name,
      h('a.btn.primary', { href: `#/templates/${encoded}/start` }, 'Start execution'),
      library ? null : h('a.btn', { href: `#/templates/${encoded}/edit` }, 'Edit'),
      library ? null : remove),
    h('div.grid-2',
      panel('Details', h('dl.kv',
        h('dt', 'Version'), h('dd.mono', template.TemplateVersion),
        h('dt', 'Description'), h('dd', template.Description || '—'),
        h('dt', 'Format'), h('dd', template.TemplateFormat),
        h('dt', 'Tags'), h('dd', tagList(template.Tags).length ? tagList(template.Tags) : '—'),
        h('dt', 'Created'), h('dd', time(template.CreatedDate), ' by ', template.CreatedBy),
        h('dt', 'Updated'), h('dd', time(template.UpdatedDate), ' by ', template.UpdatedBy),
        h('dt', 'Executions'), h('dd', String(template.TotalExecutionCount ?? 0)),
        h('dt', 'Hash'), h('dd.mono', template.Hash))),
      panel('Versions', table([
        { title: 'Version', key: 'TemplateVersion', class: 'mono' },
        { title: 'Name', key: 'VersionName' },
        { title: 'Updated', render: (v) => time(v.UpdatedDate) },
        { title: 'By', key: 'UpdatedBy' },
      ], versions, { onrow: (v) => { viewVersion.value = v.TemplateVersion; viewVersion.dispatchEvent(new Event('change')); } }))),
    panel('Content', h('div.row', 'Version', viewVersion), content),
    names.length > 1 ? panel('Compare versions', h('div.row', 'From', from, 'to', to, summary), diffBox) : null);
  if (names.length > 1) await showDiff();
}
