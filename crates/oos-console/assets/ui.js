// Small DOM helpers every page uses: an element builder, tables, status pills, form fields,
// error boxes, toasts and times.

/**
 * Builds an element: `h('a.link', { href, onclick }, 'text', child, [more])`. The tag may carry
 * `.class` and `#id`; attributes named `on…` become listeners, `class` adds classes, `dataset`
 * sets data attributes, `value`/`checked`/`disabled`/`selected` are set as properties; children
 * are nodes, strings, numbers, arrays of those, or null/false (left out).
 */
export function h(tag, attrs = {}, ...children) {
  const [name, ...parts] = tag.split(/(?=[.#])/);
  const element = document.createElement(name || 'div');
  for (const part of parts) {
    if (part[0] === '.') element.classList.add(part.slice(1));
    else element.id = part.slice(1);
  }
  if (attrs instanceof Node || typeof attrs !== 'object' || Array.isArray(attrs) || attrs === null) {
    children.unshift(attrs);
    attrs = {};
  }
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.classList.add(...String(value).split(/\s+/).filter(Boolean));
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (['value', 'checked', 'disabled', 'selected', 'multiple', 'hidden'].includes(key)) element[key] = value;
    else element.setAttribute(key, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Empties `element` and fills it with `children`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/**
 * A table: `columns` are `{ title, render(row) | key, class }`; `rows` objects. `empty` is the text
 * shown when there are none; `onrow(row)` makes rows clickable.
 */
export function table(columns, rows, { empty = 'Nothing here.', onrow, rowClass } = {}) {
  const head = h('thead', h('tr', columns.map((column) => h('th', { class: column.class }, column.title))));
  const body = h('tbody');
  if (!rows.length) body.append(h('tr.empty', h('td', { colspan: columns.length }, empty)));
  for (const row of rows) {
    const cells = columns.map((column) => h('td', { class: column.class }, column.render ? column.render(row) : row[column.key] ?? ''));
    const tr = h('tr', { class: rowClass?.(row) }, cells);
    if (onrow) {
      tr.classList.add('clickable');
      tr.addEventListener('click', (event) => {
        if (!event.target.closest('a,button,input,select')) onrow(row);
      });
    }
    body.append(tr);
  }
  return h('table.grid', head, body);
}

/** A status pill coloured by status (Success, Failed, Running, Waiting, Cancelled…). */
export function pill(status) {
  const name = String(status || 'Unknown');
  return h(`span.pill.s-${name.toLowerCase().replace(/[^a-z]/g, '')}`, name);
}

/** A labelled form field around `control`, with optional help text and an error slot. */
export function field(label, control, help) {
  return h('label.field', h('span.label', label), control, help ? h('span.help', help) : null, h('span.field-error'));
}

/** Marks the field around `control` as wrong (or right again with an empty message). */
export function fieldError(control, message) {
  const slot = control.closest('.field')?.querySelector('.field-error');
  if (slot) slot.textContent = message || '';
  control.classList.toggle('invalid', Boolean(message));
}

/** A select of `options` (strings or `[value, text]`), `selected` chosen. */
export function select(options, selected, attrs = {}) {
  return h('select', attrs, options.map((option) => {
    const [value, text] = Array.isArray(option) ? option : [option, option];
    return h('option', { value, selected: String(value) === String(selected) }, text);
  }));
}

/** A button that shows it is busy while `action` runs; errors go to a toast. */
export function button(text, action, { kind = '', title } = {}) {
  const element = h(`button.btn${kind ? `.${kind}` : ''}`, { type: 'button', title }, text);
  element.addEventListener('click', async () => {
    element.disabled = true;
    element.classList.add('busy');
    try {
      await action(element);
    } catch (error) {
      toast(error, 'error');
    } finally {
      element.disabled = false;
      element.classList.remove('busy');
    }
  });
  return element;
}

/** An error as the server named it: its Code, its Message verbatim and its RequestId. */
export function errorBox(error) {
  return h('div.error-box', { role: 'alert' },
    h('div.error-code', error.code || error.name || 'Error'),
    h('div.error-message', error.message || String(error)),
    error.requestId ? h('div.error-request', 'RequestId ', h('code', error.requestId)) : null);
}

/** A short-lived message at the bottom right; errors stay until clicked. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const content = message instanceof Error ? errorBox(message) : h('div', String(message));
  const item = h(`div.toast.${kind}`, { onclick: () => item.remove() }, content);
  box.append(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 4000);
  return item;
}

/** A page heading with actions on the right. */
export function heading(title, ...actions) {
  return h('div.page-head', h('h1', title), h('div.actions', actions));
}

/** A titled panel. */
export function panel(title, ...children) {
  return h('section.panel', title ? h('h2', title) : null, children);
}

/** `iso` as local date and time, `—` when absent. */
export function time(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return h('time', { datetime: iso, title: date.toISOString() }, date.toLocaleString('sv-SE'));
}

/** How long from `start` to `end` (or now), as `1h 2m 3s`. */
export function duration(start, end) {
  if (!start) return '';
  const ms = (end ? new Date(end) : new Date()) - new Date(start);
  if (!(ms >= 0)) return '';
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 3600), 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']];
  const shown = parts.filter(([n], i) => n || i === 2).map(([n, unit]) => `${n}${unit}`);
  return shown.slice(0, 2).join(' ');
}

/** `fn` called once `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** `fn` run at most once every `ms`: the calls within a wait fold into one run at its end. */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

/** A link inside the console. */
export function link(route, text) {
  return h('a', { href: `#/${route}` }, text);
}

/** Pretty JSON in a code block. */
export function json(value) {
  return h('pre.json', JSON.stringify(value, null, 2));
}

/**
 * A secret shown once (a new AccessKey's secret, an MFA device's seed): each of `fields`
 * (`[label, value]`) with a copy button, and a button that dismisses the box for good; the values
 * are nowhere else on the page and are not kept once it is dismissed.
 */
export function secretOnce(title, fields, note = 'This is the only time the secret is shown: copy it now.') {
  const box = h('div.secret-once', { role: 'alert' },
    h('div.secret-title', title),
    h('div.secret-note', note),
    fields.map(([label, value]) => h('div.secret-field',
      h('span.label', label),
      h('code.secret-value', value),
      h('button.btn', { type: 'button', onclick: () => copyText(value) }, 'Copy'))),
    h('div.row', h('button.btn.primary.secret-dismiss', { type: 'button', onclick: () => box.remove() }, 'I have saved it')));
  return box;
}

/** Copies `text` to the clipboard and says so. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Copied.', 'ok');
  } catch (error) {
    toast(`Could not copy: ${error.message || error}`, 'error');
  }
}

/** A danger button that asks for a second click (within 4 s) before it runs `action`. */
export function confirmButton(text, action, { confirm = `Click again to ${text.toLowerCase()}` } = {}) {
  let armed = false;
  let timer;
  return button(text, async (element) => {
    if (!armed) {
      armed = true;
      element.textContent = confirm;
      timer = setTimeout(() => { armed = false; element.textContent = text; }, 4000);
      return;
    }
    clearTimeout(timer);
    armed = false;
    element.textContent = text;
    await action(element);
  }, { kind: 'danger' });
}

/** Tabs as links: `tabs([[route, title]…], current)`. */
export function tabs(entries, current) {
  return h('div.tabs', entries.map(([route, title]) => h('a.tab', { href: `#/${route}`, class: route === current ? 'on' : '' }, title)));
}

/** A JSON document stored as text, parsed (an empty object when unreadable). */
export function parsed(text) {
  if (text && typeof text === 'object') return text;
  try {
    return JSON.parse(text || '{}') ?? {};
  } catch {
    return {};
  }
}
