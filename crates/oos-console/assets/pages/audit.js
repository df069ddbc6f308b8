// The audit trail: query (time range, actor, action, execution, kind; newest first, 100 a page),
// export of everything the query matches as JSON lines (oldest first), and verification of the
// hash chain.

import { call } from '../api.js';
import { h, replace, table, time, heading, panel, button, select, json, toast } from '../ui.js';

export const route = 'audit';

const KINDS = [['', 'Any kind'], 'ApiCall', 'CloudCall', 'HttpCall', 'Agent', 'Trigger'];
const PAGE = 100;
const EXPORT_LIMIT = 100000;
const DAY_MS = 86400000;

/** A `datetime-local` control's value (local time) as the API's UTC date, or undefined. */
function utc(value) {
  if (!value) return undefined;
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `date` as a `datetime-local` value in local time. */
function local(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** What the record says happened, in one line. */
function outcome(event) {
  const code = event.ResultCode || '';
  if (!code) return '';
  return h(`span.pill.${code === 'Success' ? 's-success' : 's-failed'}`, code);
}

function actor(event) {
  return event.User || event.Principal || '';
}

export async function render(root, { query }) {
  const controls = {
    StartTime: h('input#audit-start', { type: 'datetime-local', value: query.get('from') || local(new Date(Date.now() - DAY_MS)) }),
    EndTime: h('input#audit-end', { type: 'datetime-local', value: query.get('to') || '' }),
    Principal: h('input#audit-principal', { type: 'search', placeholder: 'User, role or ARN', value: query.get('principal') || '' }),
    EventAction: h('input#audit-action', { type: 'search', placeholder: 'Action, e.g. StartExecution', value: query.get('action') || '' }),
    ExecutionId: h('input#audit-execution', { type: 'search', placeholder: 'exec-…', value: query.get('execution') || '' }),
    Kind: select(KINDS, query.get('kind') || '', { id: 'audit-kind' }),
  };
  const verdict = h('div.verify');
  const list = h('div');
  const more = h('div.row');
  const detail = h('div');
  replace(root,
    heading('Audit trail',
      button('Verify chain', () => verify()),
      button('Export JSON lines', () => exportLines())),
    verdict,
    panel(null,
      h('div.inline-form',
        h('label', 'From', controls.StartTime),
        h('label', 'To', controls.EndTime),
        h('label', 'Actor', controls.Principal),
        h('label', 'Action', controls.EventAction),
        h('label', 'Execution', controls.ExecutionId),
        h('label', 'Kind', controls.Kind),
        button('Query', () => load(false), { kind: 'primary' })),
      list, more),
    detail);

  function filters() {
    const text = (name) => controls[name].value.trim() || undefined;
    return {
      StartTime: utc(controls.StartTime.value),
      EndTime: utc(controls.EndTime.value),
      Principal: text('Principal'),
      EventAction: text('EventAction'),
      ExecutionId: text('ExecutionId'),
      Kind: controls.Kind.value || undefined,
    };
  }

  let token;
  let rows = [];
  /** Newest first; records written since the first page push the next pages down, so a page may
   * repeat the end of the one before it: rows already shown (by Seq) are dropped. */
  async function load(append) {
    const reply = await call('ListAuditEvents', { ...filters(), SortOrder: 'Descending', MaxResults: PAGE, NextToken: append ? token : undefined });
    token = reply.NextToken;
    const shown = new Set(append ? rows.map((r) => r.Seq) : []);
    const fresh = (reply.AuditEvents || []).filter((r) => !shown.has(r.Seq));
    rows = append ? rows.concat(fresh) : fresh;
    replace(list, table([
      { title: 'Seq', key: 'Seq', class: 'num' },
      { title: 'Time', render: (r) => time(r.EventTime) },
      { title: 'Kind', key: 'Kind' },
      { title: 'Actor', render: (r) => actor(r.Event) },
      { title: 'Action', render: (r) => h('span.mono', r.Event.Action || '') },
      { title: 'Execution', render: (r) => (r.Event.ExecutionId ? h('a.mono', { href: `#/executions/${r.Event.ExecutionId}` }, r.Event.ExecutionId) : '') },
      { title: 'Result', render: (r) => outcome(r.Event) },
    ], rows, {
      empty: 'No records match.',
      rowClass: (r) => `audit-row audit-${r.Kind}`,
      onrow: (r) => {
        replace(detail, panel(`Record ${r.Seq}`, h('dl.kv', h('dt', 'Hash'), h('dd.mono', r.Hash), h('dt', 'Previous'), h('dd.mono', r.PrevHash)), json(r.Event)));
        detail.scrollIntoView({ block: 'nearest' });
      },
    }));
    replace(more, token ? button('Load more', () => load(true)) : h('span.muted', `${rows.length} record${rows.length === 1 ? '' : 's'}`));
  }

  /** Every record the query matches, one JSON object a line (oldest first, the chain's order), saved as a file. */
  async function exportLines() {
    const lines = [];
    let NextToken;
    do {
      const reply = await call('ListAuditEvents', { ...filters(), MaxResults: PAGE, NextToken });
      for (const record of reply.AuditEvents || []) lines.push(JSON.stringify(record));
      NextToken = reply.NextToken;
    } while (NextToken && lines.length < EXPORT_LIMIT);
    const blob = new Blob(lines.map((line) => `${line}\n`), { type: 'application/x-ndjson' });
    const url = URL.createObjectURL(blob);
    const anchor = h('a', { href: url, download: `oos-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl` });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    toast(`${lines.length} records exported${NextToken ? ` (stopped at ${EXPORT_LIMIT}: narrow the query)` : ''}.`, 'ok');
  }

  async function verify() {
    const reply = await call('VerifyAuditTrail');
    const facts = h('dl.kv',
      h('dt', 'Records'), h('dd', String(reply.RecordCount)),
      h('dt', 'Sequence'), h('dd', `${reply.FirstSeq} – ${reply.HeadSeq}`),
      h('dt', 'Head hash'), h('dd.mono', reply.HeadHash));
    replace(verdict, panel('Chain verification',
      reply.Valid
        ? h('div.verify-ok', 'The chain is intact: every record links to the one before it.')
        : h('div.verify-bad', `Broken at record ${reply.BrokenSeq}: ${reply.Reason}. ${reply.Detail || ''}`),
      facts));
  }

  await load(false);
}
