// The console's shell: the session, the sidebar and the hash router (`#/templates/MyTemplate`).
//
// Page-module contract: each page is `pages/<name>.js`, listed in PAGES below, and exports
//   - `route`: a pattern or an array of patterns, e.g. 'templates/:name' (`:x` is a named
//     segment, matched after decodeURIComponent);
//   - `async render(root, params)`: fills `root` (an empty element) for `params`, which holds the
//     named segments and `query` (URLSearchParams of the part after `?` in the hash). It may return
//     a function, called when the user leaves the page (close streams, stop timers).
// Errors thrown by render are shown in the page as the server named them (ui.errorBox).
// The sidebar is NAV: one entry per line, grouped; a second UI page adds its module to PAGES and
// its entry to NAV. Shared helpers live in ui.js (DOM) and api.js (calls, sessions, streams).

import { currentSession, signOut } from './api.js';
import { h, replace, errorBox } from './ui.js';

const PAGES = [
  './pages/signin.js',
  './pages/dashboard.js',
  './pages/templates.js',
  './pages/template.js',
  './pages/editor.js',
  './pages/start.js',
  './pages/executions.js',
  './pages/execution.js',
  './pages/approvals.js',
  './pages/triggers.js',
  './pages/instances.js',
  './pages/parameters.js',
  './pages/iam.js',
  './pages/audit.js',
  './pages/account.js',
];

const NAV = [
  { group: 'Operate', title: 'Dashboard', href: 'dashboard' },
  { group: 'Operate', title: 'Executions', href: 'executions' },
  { group: 'Operate', title: 'Approvals', href: 'approvals' },
  { group: 'Operate', title: 'Schedules and triggers', href: 'triggers' },
  { group: 'Author', title: 'Templates', href: 'templates' },
  { group: 'Resources', title: 'Managed instances', href: 'instances' },
  { group: 'Resources', title: 'Parameter store', href: 'parameters' },
  { group: 'Security', title: 'IAM', href: 'iam' },
  { group: 'Security', title: 'Audit trail', href: 'audit' },
  { group: 'Security', title: 'Account', href: 'account' },
];

/** What the sign-in answers (`Challenge`) when the user must change their password first. */
const PASSWORD_RESET = 'Console.PasswordResetRequired';

const state = { session: null, routes: [], leave: null };

function compile(pattern, module) {
  const names = [];
  const source = pattern.split('/').map((part) => {
    if (part.startsWith(':')) {
      names.push(part.slice(1));
      return '([^/]+)';
    }
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }).join('/');
  return { regex: new RegExp(`^${source}$`), names, module };
}

function match(hash) {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  for (const route of state.routes) {
    const found = route.regex.exec(path);
    if (!found) continue;
    const params = { query: new URLSearchParams(query) };
    route.names.forEach((name, index) => { params[name] = decodeURIComponent(found[index + 1]); });
    return { module: route.module, params, path };
  }
  return null;
}

function sidebar(current) {
  const groups = [...new Set(NAV.map((entry) => entry.group))];
  return h('nav.sidebar',
    h('a.brand', { href: '#/dashboard' }, h('span.logo', 'OOS'), h('span', 'OpenOOS')),
    groups.map((group) => h('div.nav-group',
      h('div.nav-title', group),
      NAV.filter((entry) => entry.group === group).map((entry) => h('a.nav-item', {
        href: `#/${entry.href}`,
        class: current === entry.href || current.startsWith(`${entry.href}/`) ? 'active' : '',
      }, entry.title)))));
}

function topbar() {
  const user = state.session?.User || {};
  return h('header.topbar',
    h('div.crumbs', location.hash.replace(/^#\/?/, '').split('?')[0].split('/').map(decodeURIComponent).join(' / ')),
    h('div.whoami',
      state.session?.MFAPresent ? h('span.badge', { title: 'Signed in with MFA' }, 'MFA') : null,
      h('span.user', user.DisplayName || user.UserName || ''),
      h('button.btn.ghost', { type: 'button', onclick: leaveSession }, 'Sign out')));
}

async function leaveSession() {
  await signOut().catch(() => {});
  state.session = null;
  location.hash = '#/signin';
}

async function show() {
  state.leave?.();
  state.leave = null;
  const app = document.getElementById('app');
  if (!state.session && !location.hash.startsWith('#/signin')) {
    const back = location.hash && location.hash !== '#/' ? `?next=${encodeURIComponent(location.hash.slice(2))}` : '';
    location.replace(`#/signin${back}`);
    return;
  }
  const found = match(location.hash || '#/dashboard') || match('#/dashboard');
  if (state.session?.Challenge === PASSWORD_RESET && found.path !== 'account' && found.path !== 'signin') {
    // Nothing but the password change until it is done.
    location.replace(`#/account?next=${encodeURIComponent(found.path === 'dashboard' ? '' : location.hash.slice(2))}`);
    return;
  }
  const root = h('main.page');
  if (found.path === 'signin') {
    replace(app, root);
    app.classList.add('bare');
  } else {
    app.classList.remove('bare');
    replace(app, sidebar(found.path), h('div.main', topbar(), root));
  }
  try {
    const leave = await found.module.render(root, { ...found.params, session: state.session, signedIn: onSignedIn, passwordChanged: onPasswordChanged });
    if (typeof leave === 'function') state.leave = leave;
  } catch (error) {
    console.error(error);
    root.append(errorBox(error));
  }
}

function onSignedIn(session, next) {
  state.session = session;
  location.hash = `#/${next || 'dashboard'}`;
}

/** After ChangePassword: the session as it is now (no longer challenged); then `next`, when given. */
async function onPasswordChanged(next) {
  state.session = await currentSession().catch(() => state.session);
  if (next !== undefined) location.hash = `#/${next || 'dashboard'}`;
}

async function start() {
  const modules = await Promise.all(PAGES.map((path) => import(path)));
  state.routes = modules.flatMap((module) => [].concat(module.route).map((pattern) => compile(pattern, module)));
  state.session = await currentSession().catch(() => null);
  window.addEventListener('hashchange', show);
  window.addEventListener('oos:password-reset', () => {
    if (!state.session || state.session.Challenge === PASSWORD_RESET) return;
    state.session = { ...state.session, Challenge: PASSWORD_RESET };
    show();
  });
  window.addEventListener('oos:signed-out', () => {
    if (!state.session) return;
    state.session = null;
    show();
  });
  if (!location.hash || location.hash === '#/') location.replace('#/dashboard');
  else await show();
}

start();
