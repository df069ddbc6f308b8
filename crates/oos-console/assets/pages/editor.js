// The template editor: a text area with line numbers, validated as you type by the server's own
// ValidateTemplateContent, every diagnostic it names marked in the gutter at its line and listed
// with line and column (a click moves the cursor there); creates a template (`templates/new/edit`)
// or a new version of one.

import { call } from '../api.js';
import { h, replace, heading, panel, button, toast, field, debounce } from '../ui.js';

export const route = 'templates/:name/edit';

const VALIDATE_AFTER_MS = 400;
const STARTER = `FormatVersion: OOS-2019-06-01
Description: Describe an ECS instance.
Parameters:
  RegionId:
    Type: String
    Default: cn-hangzhou
  InstanceId:
    Type: String
    AssociationProperty: ALIYUN::ECS::Instance::InstanceId
Tasks:
  - Name: Describe
    Action: ACS::ExecuteAPI
    Properties:
      Service: ECS
      API: DescribeInstances
      Parameters:
        RegionId: '{{ RegionId }}'
        InstanceIds: ['{{ InstanceId }}']
Outputs:
  Status:
    Type: String
    Value: '{{ Describe.Instances.Instance[0].Status }}'
`;

/** A diagnostic's first line: `3:5: error[Code]: message (at path)`, the place optional. */
const DIAGNOSTIC = /(?:(\d+):(\d+): )?(error|warning)\[([^\]]+)\]: (.*)$/s;
/** Where the next diagnostic of a message starts: the server lists one a line after the first. */
const NEXT_DIAGNOSTIC = /\n(?=(?:\d+:\d+: )?(?:error|warning)\[)/;

/** Every diagnostic of a server message (`The template is invalid (2 errors): 3:5: error[…]…`). */
export function diagnosticsOf(error) {
  const found = (error.message || '').split(NEXT_DIAGNOSTIC).map((piece) => DIAGNOSTIC.exec(piece)).filter(Boolean);
  if (!found.length) return [{ severity: 'error', code: error.code, message: error.message, requestId: error.requestId }];
  return found.map(([, line, column, severity, code, message]) => ({ line: line && Number(line), column: column && Number(column), severity, code, message }));
}

export async function render(root, { name }) {
  const creating = name === 'new';
  const existing = creating ? null : await call('GetTemplate', { TemplateName: name });
  const nameInput = h('input#template-name', { value: creating ? '' : name, disabled: !creating, placeholder: 'MyTemplate', required: true });
  const versionName = h('input#version-name', { placeholder: 'optional' });
  const textarea = h('textarea#template-editor', { spellcheck: 'false', autocomplete: 'off', wrap: 'off', value: existing ? existing.Content : STARTER });
  const gutter = h('div.gutter');
  const status = h('div.row#validation-status');
  const list = h('ul.diagnostics#diagnostics');
  let diagnostics = [];

  function drawGutter() {
    const count = textarea.value.split('\n').length;
    const marked = Map.groupBy(diagnostics.filter((d) => d.line), (d) => d.line);
    const lines = [];
    for (let line = 1; line <= count; line++) {
      const marks = marked.get(line);
      const severity = marks?.some((d) => d.severity === 'error') ? 'error' : 'warning';
      lines.push(h('div', { class: marks ? `mark ${severity}` : '', title: marks ? marks.map((d) => `${d.code}: ${d.message}`).join('\n') : null, dataset: { line } }, marks ? `● ${line}` : String(line)));
    }
    replace(gutter, lines);
    gutter.scrollTop = textarea.scrollTop;
  }

  function goTo(line, column = 1) {
    const lines = textarea.value.split('\n');
    const offset = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + column - 1;
    textarea.focus();
    textarea.setSelectionRange(offset, offset);
    textarea.scrollTop = Math.max(0, (line - 5) * 18);
  }

  let generation = 0;
  async function validate() {
    const mine = ++generation;
    replace(status, h('span.muted', 'Validating…'));
    let found = [];
    let summary;
    try {
      const reply = await call('ValidateTemplateContent', { Content: textarea.value });
      summary = h('span.valid', `Valid: ${reply.Tasks.length} task${reply.Tasks.length === 1 ? '' : 's'}, ${Object.keys(JSON.parse(reply.Parameters || '{}')).length} parameters`);
    } catch (error) {
      if (error.status === 401 || error.status === 403) throw error;
      found = diagnosticsOf(error);
      summary = h('span', h('span.error-code', error.code), found.length > 1 ? h('span.muted', ` ${found.length} errors`) : null);
    }
    if (mine !== generation) return;
    diagnostics = found;
    replace(status, summary);
    replace(list, diagnostics.map((d) => h('li', { class: d.severity, dataset: d.line ? { line: d.line, column: d.column } : {}, onclick: () => d.line && goTo(d.line, d.column) },
      h('span.at', d.line ? `${d.line}:${d.column}` : '—'),
      h('span', h('span.code', d.code), ' ', d.message))));
    drawGutter();
  }
  const validateSoon = debounce(() => validate().catch((error) => toast(error, 'error')), VALIDATE_AFTER_MS);

  textarea.addEventListener('input', () => {
    drawGutter();
    validateSoon();
  });
  textarea.addEventListener('scroll', () => { gutter.scrollTop = textarea.scrollTop; });
  textarea.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    event.preventDefault();
    textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionEnd, 'end');
    textarea.dispatchEvent(new Event('input'));
  });

  const save = button(creating ? 'Create' : 'Save new version', async () => {
    const templateName = nameInput.value.trim();
    const params = { TemplateName: templateName, Content: textarea.value, VersionName: versionName.value.trim() || undefined };
    const reply = await call(creating ? 'CreateTemplate' : 'UpdateTemplate', params);
    toast(`${templateName} ${reply.Template.TemplateVersion} saved.`, 'ok');
    location.hash = `#/templates/${encodeURIComponent(templateName)}`;
  }, { kind: 'primary' });
  save.id = 'save-template';

  replace(root,
    heading(creating ? 'New template' : `Edit ${name}`, save, h('a.btn', { href: creating ? '#/templates' : `#/templates/${encodeURIComponent(name)}` }, 'Cancel')),
    panel(null, field('Name', nameInput), field('Version name', versionName)),
    panel(null, h('div.row', status), list, h('div.editor', gutter, textarea)));
  drawGutter();
  await validate();
}
