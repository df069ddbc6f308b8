// The start form of a template, generated from its Parameters: constraints checked before
// submitting, a mode (Automatic, Debug, FailurePause), and a dry look at the parameters JSON.

import { call } from '../api.js';
import { h, replace, heading, panel, field, button, toast, json } from '../ui.js';
import { control } from '../params.js';

export const route = 'templates/:name/start';

const MODES = [['Automatic', 'Run every task'], ['Debug', 'Pause before each task'], ['FailurePause', 'Pause when a task fails']];

export async function render(root, { name, query }) {
  const got = await call('GetTemplate', { TemplateName: name, TemplateVersion: query.get('version') || undefined });
  const validated = await call('ValidateTemplateContent', { Content: got.Content });
  const specs = JSON.parse(validated.Parameters || '{}');
  const controls = {};
  const regionControl = () => controls.RegionId?.peek();
  const fields = Object.entries(specs).map(([parameter, spec]) => {
    controls[parameter] = control(parameter, spec, () => regionControl());
    const help = [spec.Description, spec.NoEcho ? 'Secret: never shown again.' : null].filter(Boolean).join(' ');
    const typeNote = h('span.muted', ` ${spec.Type || 'String'}`);
    return field(h('span', parameter, typeNote), controls[parameter].element, help);
  });
  const mode = h('div.segmented#mode', MODES.map(([value, title], index) => h('label', { title }, h('input', { type: 'radio', name: 'mode', value, checked: index === 0 }), value)));
  const description = h('input#execution-description', { placeholder: 'Why this run (optional)' });
  const dry = h('div#dry-run');

  /** The parameters as they would be sent (secrets masked when `masked`), or null when one is wrong. */
  function collect(masked) {
    const values = {};
    let wrong = 0;
    for (const [parameter, { check }] of Object.entries(controls)) {
      const { value, error } = check();
      if (error) wrong++;
      else if (value !== undefined) values[parameter] = masked && specs[parameter].NoEcho ? '******' : value;
    }
    return wrong ? null : values;
  }
  const chosenMode = () => mode.querySelector('input:checked').value;

  const preview = button('Preview parameters', async () => {
    const values = collect(true);
    replace(dry, values ? json({ TemplateName: name, TemplateVersion: got.Template.TemplateVersion, Mode: chosenMode(), Parameters: values }) : h('span.field-error', 'Fix the marked parameters first.'));
  });
  const start = button('Start execution', async () => {
    const values = collect(false);
    if (!values) {
      toast('Some parameters break their constraints; they are marked.', 'info');
      return;
    }
    const reply = await call('StartExecution', {
      TemplateName: name,
      TemplateVersion: got.Template.TemplateVersion,
      Parameters: values,
      Mode: chosenMode(),
      Description: description.value.trim() || undefined,
      ClientToken: crypto.randomUUID(),
    });
    location.hash = `#/executions/${reply.Execution.ExecutionId}`;
  }, { kind: 'primary' });
  start.id = 'start-execution';

  replace(root,
    heading(`Start ${name}`, h('span.sub', got.Template.TemplateVersion), start),
    got.Template.Description ? h('div.muted', got.Template.Description) : null,
    panel('Parameters', fields.length ? fields : h('div.muted', 'This template takes no parameters.')),
    panel('Run', field('Mode', mode), field('Description', description)),
    panel('Dry run', h('div.row', preview), dry));
}
