// The controls of a template's parameters: one per parameter by its Type, AllowedValues, NoEcho
// and AssociationProperty, each able to say its value and check the parameter's constraints.

import { call, ECS } from './api.js';
import { h, select, fieldError } from './ui.js';

const INSTANCE_ID = 'ALIYUN::ECS::Instance::InstanceId';

/** The instances a picker offers: managed instances, and the cloud's when the server serves them. */
async function instances(regionId) {
  const found = [];
  const ask = async (action, key) => {
    try {
      const reply = await call(action, { RegionId: regionId || 'cn-hangzhou', MaxResults: 100, PageSize: 100 }, ECS);
      const list = reply.Instances?.Instance || reply.Instances || [];
      for (const instance of list) found.push({ id: instance.InstanceId, label: `${instance.InstanceName || instance.Hostname || ''} ${key}`.trim() });
    } catch {
      // This server or this user has no such listing: the picker still takes typed ids.
    }
  };
  await Promise.all([ask('DescribeManagedInstances', '(managed)'), ask('DescribeInstances', '(ECS)')]);
  return found;
}

let pickerCount = 0;

/** A text input with the known instances as suggestions (`region()` gives the RegionId). */
function instancePicker(attrs, region) {
  const id = `instances-${++pickerCount}`;
  const list = h('datalist', { id });
  const input = h('input', { ...attrs, list: id, placeholder: 'i-… or mi-…' });
  input.addEventListener('focus', async () => {
    if (list.childElementCount) return;
    const found = await instances(region());
    list.replaceChildren(...found.map((instance) => h('option', { value: instance.id }, instance.label)));
  }, { once: false });
  return h('div.control', input, list);
}

/** A list of values, one input per item, with add and remove. */
function multiValue(name, values, make) {
  const box = h('div.multi', { dataset: { name } });
  const add = (value = '') => {
    const input = make(value);
    const row = h('div.row', input, h('button.btn.ghost', { type: 'button', title: 'Remove', onclick: () => row.remove() }, '×'));
    box.insertBefore(row, adder);
  };
  const adder = h('button.btn', { type: 'button', onclick: () => add() }, '+ Add');
  box.append(adder);
  (values.length ? values : ['']).forEach((value) => add(value));
  return box;
}

/** The Targets of an execution: instance ids, or tags. */
function targetsControl(name, spec, region) {
  const kind = select([['ResourceIds', 'Instance ids'], ['Tags', 'Tags']], 'ResourceIds', { name: `${name}.Type` });
  const ids = multiValue(name, [], (value) => instancePicker({ value, name: `${name}.Id` }, region));
  const tags = h('input', { name: `${name}.Tags`, placeholder: 'key=value, key2=value2', hidden: true });
  kind.addEventListener('change', () => {
    ids.hidden = kind.value !== 'ResourceIds';
    tags.hidden = kind.value !== 'Tags';
  });
  const control = h('div.control.targets', h('div.row', kind), ids, tags);
  control.value = () => {
    const regionId = region() || undefined;
    if (kind.value === 'Tags') {
      const pairs = tags.value.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
        const [Key, ...rest] = pair.split('=');
        return { Key: Key.trim(), Value: rest.join('=').trim() };
      });
      return { Type: 'Tags', Tags: pairs, RegionId: regionId, ResourceType: spec.ResourceType || 'ALIYUN::ECS::Instance' };
    }
    const chosen = [...ids.querySelectorAll('input')].map((input) => input.value.trim()).filter(Boolean);
    return { Type: 'ResourceIds', ResourceIds: chosen, RegionId: regionId, ResourceType: spec.ResourceType || 'ALIYUN::ECS::Instance' };
  };
  return control;
}

/**
 * The control of parameter `name` (its template `spec`); `region()` gives the form's RegionId.
 * `check()` answers `{ value, error }` with the constraints checked (and marks the field);
 * `peek()` the value alone.
 */
export function control(name, spec, region) {
  const type = spec.Type || 'String';
  const allowed = spec.AllowedValues;
  const association = spec.AssociationProperty;
  const attrs = { name, id: `param-${name}` };
  const given = spec.Default;
  let element;
  let read;
  if (association === 'Targets') {
    element = targetsControl(name, spec, region);
    read = () => ({ value: element.value() });
  } else if (type === 'Boolean') {
    element = select([['true', 'true'], ['false', 'false']], String(given ?? false), attrs);
    read = () => ({ value: element.value === 'true' });
  } else if (type === 'List') {
    if (allowed) {
      element = h('select', { ...attrs, multiple: true, size: Math.min(allowed.length, 6) }, allowed.map((value) => h('option', { value, selected: (given || []).includes(value) }, String(value))));
      read = () => ({ value: [...element.selectedOptions].map((option) => option.value) });
    } else {
      const make = association === INSTANCE_ID ? (value) => instancePicker({ value }, region) : (value) => h('input', { value });
      element = multiValue(name, Array.isArray(given) ? given : [], make);
      element.id = attrs.id;
      read = () => ({ value: [...element.querySelectorAll('input')].map((input) => input.value.trim()).filter(Boolean) });
    }
  } else if (type === 'Json' || type === 'Object' || type === 'Map') {
    element = h('textarea', { ...attrs, rows: 4, value: given === undefined ? '' : JSON.stringify(given, null, 2) });
    read = () => {
      if (!element.value.trim()) return { value: undefined };
      try {
        return { value: JSON.parse(element.value) };
      } catch (error) {
        return { error: `is not JSON: ${error.message}` };
      }
    };
  } else if (allowed) {
    element = select(given === undefined ? [['', '— choose —'], ...allowed.map(String)] : allowed.map(String), given, attrs);
    read = () => ({ value: element.value === '' ? undefined : type === 'Number' ? Number(element.value) : element.value });
  } else if (association === INSTANCE_ID) {
    element = instancePicker({ ...attrs, value: given ?? '' }, region);
    const input = element.querySelector('input');
    read = () => ({ value: input.value.trim() || undefined });
  } else {
    element = h('input', { ...attrs, type: spec.NoEcho ? 'password' : type === 'Number' ? 'number' : 'text', value: given ?? '', autocomplete: spec.NoEcho ? 'new-password' : 'off' });
    read = () => {
      if (element.value === '') return { value: undefined };
      return { value: type === 'Number' ? Number(element.value) : element.value };
    };
  }
  const check = () => {
    const outcome = read();
    const error = outcome.error || constraintError(spec, outcome.value);
    const target = element.matches('input,select,textarea') ? element : element.querySelector('input,select,textarea') || element;
    fieldError(target, error);
    return { value: outcome.value, error };
  };
  return { element, check, peek: () => read().value };
}

/** Why `value` breaks the constraints of `spec`, or '' when it keeps them. */
export function constraintError(spec, value) {
  if (value === undefined) return spec.Default === undefined ? 'is required' : '';
  const values = Array.isArray(value) ? value : [value];
  if (spec.AllowedValues && !values.every((one) => spec.AllowedValues.map(String).includes(String(one)))) {
    return `must be one of ${spec.AllowedValues.join(', ')}`;
  }
  for (const one of values) {
    if (typeof one === 'string') {
      if (spec.AllowedPattern && !new RegExp(`^(?:${spec.AllowedPattern})$`).test(one)) return `must match ${spec.AllowedPattern}`;
      if (spec.MinLength !== undefined && one.length < spec.MinLength) return `must be at least ${spec.MinLength} characters`;
      if (spec.MaxLength !== undefined && one.length > spec.MaxLength) return `must be at most ${spec.MaxLength} characters`;
    }
    if (typeof one === 'number') {
      if (Number.isNaN(one)) return 'is not a number';
      if (spec.MinValue !== undefined && one < spec.MinValue) return `must be at least ${spec.MinValue}`;
      if (spec.MaxValue !== undefined && one > spec.MaxValue) return `must be at most ${spec.MaxValue}`;
    }
  }
  return '';
}
