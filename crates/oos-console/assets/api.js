// The console's one door to the server: the session (sign in, sign out) and API calls as the
// signed API answers them, with the session cookie and the CSRF token of the session.

/** API versions by product. */
export const OOS = '2019-06-01';
export const RAM = '2015-05-01';
export const ECS = '2014-05-26';

const SESSION_PATH = '/console/api/session';

let csrfToken = '';

/** An error as the server names it: Code, Message and RequestId, shown to the user verbatim. */
export class ApiError extends Error {
  constructor({ Code, Message, RequestId, HostId }, status) {
    super(Message || Code || `HTTP ${status}`);
    this.code = Code || `HTTP.${status}`;
    this.requestId = RequestId || '';
    this.status = status;
    this.host = HostId || '';
  }
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { Code: `HTTP.${response.status}`, Message: text.slice(0, 500) };
  }
}

async function answer(response) {
  const body = await readJson(response);
  if (response.ok) return body;
  const error = new ApiError(body, response.status);
  if (response.status === 401 && !error.code.startsWith('MFA.')) {
    window.dispatchEvent(new CustomEvent('oos:signed-out', { detail: error }));
  }
  if (error.code === 'Console.PasswordResetRequired') {
    window.dispatchEvent(new CustomEvent('oos:password-reset', { detail: error }));
  }
  throw error;
}

function remember(session) {
  csrfToken = session.CsrfToken || '';
  return session;
}

/** The current session, or null when nobody is signed in. */
export async function currentSession() {
  const response = await fetch(SESSION_PATH, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (response.status === 401 || response.status === 404) return null;
  return remember(await answer(response));
}

/** Signs in; throws ApiError (`MFA.Required`, `Account.Locked`…) when the server refuses. */
export async function signIn(UserName, Password, MFACode) {
  const body = { UserName, Password };
  if (MFACode) body.MFACode = MFACode;
  const response = await fetch(SESSION_PATH, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await readJson(response);
  if (!response.ok) throw new ApiError(json, response.status);
  return remember(json);
}

export async function signOut() {
  await fetch(SESSION_PATH, { method: 'DELETE', credentials: 'same-origin', headers: { 'X-OOS-CSRF-Token': csrfToken } });
  csrfToken = '';
}

/** The form value of one parameter: lists and objects travel as JSON text, as the API takes them. */
function formValue(value) {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Calls `action` of `version` with `params` (undefined and null are left out); the JSON reply. */
export async function call(action, params = {}, version = OOS) {
  const form = new URLSearchParams({ Action: action, Version: version });
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') form.append(name, formValue(value));
  }
  const response = await fetch('/', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'X-OOS-CSRF-Token': csrfToken },
    body: form,
  });
  return answer(response);
}

/** Every page of a list action that pages with NextToken: the concatenated `key` arrays. */
export async function callAll(action, params, key, version = OOS, limit = 1000) {
  const items = [];
  let NextToken;
  do {
    const reply = await call(action, { ...params, MaxResults: 100, NextToken }, version);
    items.push(...(reply[key] || []));
    NextToken = reply.NextToken;
  } while (NextToken && items.length < limit);
  return items;
}

/** The EventSource's own events: they carry no data. */
const CONNECTION_EVENTS = ['open', 'error'];

/**
 * Opens the live progress of an execution: the server-sent events `status` (the execution's),
 * `task` (one task execution as ListTaskExecutions lists it, whenever it changes), `log` and `end`,
 * and the connection's `open` and `error`; `on` maps event names to handlers of their parsed data.
 * Returns the EventSource (close it when leaving).
 */
export function watchExecution(executionId, on) {
  const query = new URLSearchParams({ Action: 'ListExecutionLogs', Version: OOS, ExecutionId: executionId });
  const source = new EventSource(`/stream?${query}`, { withCredentials: true });
  for (const [name, handler] of Object.entries(on)) {
    if (CONNECTION_EVENTS.includes(name)) source.addEventListener(name, () => handler());
    else source.addEventListener(name, (event) => handler(JSON.parse(event.data)));
  }
  return source;
}
