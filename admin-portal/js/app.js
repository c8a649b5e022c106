// VendFleet admin portal: session, router and page shell.
//
// Routes use the History API; vend-cloud answers every extension-less path with
// index.html, so a reload of /machines/M-1 lands here again. Each navigation gets a
// fresh page context whose timers and listeners are dropped when the user leaves, and
// whose late responses are ignored (ctx.alive()).

import { api, ApiError, setCsrfToken } from './api.js';
import { el, refreshRelativeTimes, toast } from './dom.js';
import { ROLE_ADMIN, roleName } from './format.js';
import * as accounts from './pages/accounts.js';
import * as alerts from './pages/alerts.js';
import * as audit from './pages/audit.js';
import * as auth from './pages/auth.js';
import * as catalog from './pages/catalog.js';
import * as errors from './pages/errors.js';
import * as machine from './pages/machine.js';
import * as orders from './pages/orders.js';
import * as overview from './pages/overview.js';

const ROUTES = [
  { re: /^\/$/, page: overview, nav: 'overview' },
  { re: /^\/machines\/([^/]+)$/, page: machine, nav: 'overview' },
  { re: /^\/catalog$/, page: catalog, nav: 'catalog' },
  { re: /^\/orders$/, page: orders.list, nav: 'orders' },
  { re: /^\/orders\/([^/]+)$/, page: orders.detail, nav: 'orders' },
  { re: /^\/accounts$/, page: accounts, nav: 'accounts' },
  { re: /^\/audit$/, page: audit, nav: 'audit' },
  { re: /^\/alerts$/, page: alerts, nav: 'alerts' },
];

const NAV = [
  { id: 'overview', href: '/', label: 'Fleet overview', icon: '▦' },
  { id: 'catalog', href: '/catalog', label: 'Catalog', icon: '◧' },
  { id: 'orders', href: '/orders', label: 'Orders', icon: '≡' },
  { id: 'alerts', href: '/alerts', label: 'Alerts', icon: '△' },
  { id: 'accounts', href: '/accounts', label: 'Accounts', icon: '◉' },
  { id: 'audit', href: '/audit', label: 'Audit log', icon: '◷' },
];

const state = {
  me: null, // the signed-in account, or null
  flash: '', // a message for the next login page (e.g. "your session ended")
  generation: 0, // bumped on every navigation
  cleanups: [],
};

const root = () => document.getElementById('app');

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

async function loadMe() {
  try {
    const r = await api('GET', '/auth/me');
    state.me = r.account;
    setCsrfToken(r.csrf_token);
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 403)) throw e;
    state.me = null;
    setCsrfToken('');
  }
}

export async function signedIn(account, csrf) {
  state.me = account;
  setCsrfToken(csrf);
  state.flash = '';
}

export async function logout() {
  try {
    await api('POST', '/auth/logout');
  } catch {
    // Leaving anyway: the cookie is HttpOnly, the server ends it with the session.
  }
  state.me = null;
  setCsrfToken('');
  state.flash = 'You are signed out.';
  navigate('/login', { replace: true });
}

function leavePage() {
  state.generation += 1;
  for (const fn of state.cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // A cleanup must not stop the next page.
    }
  }
  for (const d of document.querySelectorAll('dialog')) d.remove();
}

function makeContext(main, params) {
  const gen = state.generation;
  const isAdmin = state.me?.role === ROLE_ADMIN && state.me?.approved === true;
  const ctx = {
    main,
    params,
    query: new URLSearchParams(location.search),
    me: state.me,
    isAdmin,
    alive: () => gen === state.generation,
    onCleanup: (fn) => state.cleanups.push(fn),
    every(ms, fn) {
      const id = setInterval(() => {
        if (ctx.alive() && document.visibilityState !== 'hidden') fn();
      }, ms);
      state.cleanups.push(() => clearInterval(id));
    },
    title(text) {
      document.title = `${text} · VendFleet Admin`;
    },
    navigate,
    /** Shows the error view for a failed page load (401 goes to the login page). */
    fail(err) {
      if (!ctx.alive()) return;
      showError(main, err);
    },
    /** For failed mutations: 401 goes to login, anything else is returned for inline display. */
    handleAuth(err) {
      if (err instanceof ApiError && err.status === 401) {
        sessionEnded();
        return true;
      }
      if (err instanceof ApiError && err.code === 'not_approved') {
        route();
        return true;
      }
      return false;
    },
  };
  return ctx;
}

function sessionEnded() {
  state.me = null;
  setCsrfToken('');
  state.flash = 'Your session has ended. Please sign in again.';
  const here = location.pathname + location.search;
  navigate(`/login${here && here !== '/' && here !== '/login' ? `?next=${encodeURIComponent(here)}` : ''}`, { replace: true });
}

function showError(main, err) {
  if (err instanceof ApiError && err.status === 401) {
    sessionEnded();
    return;
  }
  if (err instanceof ApiError && err.code === 'not_approved') {
    loadMe().then(route, () => route());
    return;
  }
  main.replaceChildren(errors.view(err));
  document.body.dataset.state = 'error';
}

function shell(active) {
  const me = state.me;
  const isAdmin = me.role === ROLE_ADMIN;
  const nav = el('nav', { class: 'nav', 'aria-label': 'Main', testid: 'nav' },
    el('a', { class: 'brand', href: '/', 'data-link': '' }, brandLogo(), el('span', { class: 'brand-text' }, el('strong', { text: 'VendFleet' }), el('small', { text: 'Admin' }))),
    el('ul', { class: 'nav-links' }, NAV.map((n) => el('li', {},
      el('a', {
        href: n.href, 'data-link': '', testid: `nav-${n.id}`, class: n.id === active ? 'active' : null,
        'aria-current': n.id === active ? 'page' : null,
      }, el('span', { class: 'nav-icon', 'aria-hidden': 'true', text: n.icon }), el('span', { text: n.label }))))));
  const header = el('header', { class: 'topbar' },
    el('div', { class: 'topbar-title', testid: 'page-title' }),
    el('div', { class: 'user', testid: 'current-user', dataset: { username: me.username, role: String(me.role) } },
      !isAdmin ? el('span', { class: 'badge badge-readonly', testid: 'readonly-badge', title: 'Operators can look at everything but change nothing', text: 'Read-only' }) : null,
      el('span', { class: 'avatar', 'aria-hidden': 'true', text: me.username.slice(0, 1).toUpperCase() }),
      el('span', { class: 'user-name', testid: 'user-name', text: me.username }),
      el('span', { class: `badge ${isAdmin ? 'badge-admin' : 'badge-operator'}`, testid: 'role-badge', text: roleName(me.role) }),
      el('button', { type: 'button', class: 'btn btn-ghost btn-small', testid: 'logout', text: 'Log out', onclick: logout })));
  const main = el('main', { class: 'content', id: 'main', tabindex: '-1' });
  const frame = el('div', { class: 'shell' }, nav, header, main);
  return { frame, main, header };
}

export function brandLogo() {
  const ns = 'http://www.w3.org/2000/svg';
  const s = document.createElementNS(ns, 'svg');
  s.setAttribute('viewBox', '0 0 48 48');
  s.setAttribute('class', 'brand-logo');
  s.setAttribute('aria-hidden', 'true');
  const rects = [
    [6, 3, 36, 42, 7, '#2f7cf6'], [11, 8, 18, 26, 3, '#dbe8ff'], [14, 12, 5, 5, 1, '#ff6b6b'],
    [21, 12, 5, 5, 1, '#ffd23f'], [14, 21, 5, 5, 1, '#4cd4a0'], [21, 21, 5, 5, 1, '#ff9f43'],
    [32, 10, 6, 3, 1.5, '#dbe8ff'], [32, 16, 6, 6, 1.5, '#0f1b33'], [11, 37, 26, 4, 2, '#0f1b33'],
  ];
  for (const [x, y, w, h, rx, fill] of rects) {
    const r = document.createElementNS(ns, 'rect');
    for (const [k, v] of Object.entries({ x, y, width: w, height: h, rx, fill })) r.setAttribute(k, String(v));
    s.append(r);
  }
  return s;
}

async function route() {
  leavePage();
  const gen = state.generation;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  document.body.dataset.state = 'loading';

  if (path === '/login' || path === '/register') {
    if (state.me?.approved) {
      navigate(safeNext(new URLSearchParams(location.search).get('next')), { replace: true });
      return;
    }
    const flash = state.flash;
    state.flash = '';
    const ctx = makeContext(null, []);
    root().replaceChildren(path === '/login' ? auth.login(ctx, flash) : auth.register(ctx));
    document.body.dataset.state = 'ready';
    document.body.dataset.page = path.slice(1);
    return;
  }
  if (!state.me) {
    navigate(`/login${path !== '/' ? `?next=${encodeURIComponent(path + location.search)}` : ''}`, { replace: true });
    return;
  }
  if (!state.me.approved) {
    root().replaceChildren(auth.waiting(state.me, logout));
    document.body.dataset.state = 'ready';
    document.body.dataset.page = 'waiting';
    document.title = 'Waiting for approval · VendFleet Admin';
    return;
  }

  const match = ROUTES.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);
  const { frame, main, header } = shell(match ? match.r.nav : '');
  root().replaceChildren(frame);
  const ctx = makeContext(main, match ? match.m.slice(1).map((s) => decodeURIComponent(s)) : []);
  const baseTitle = ctx.title;
  ctx.title = (text) => {
    baseTitle(text);
    header.querySelector('[data-testid="page-title"]').textContent = text;
  };
  if (!match) {
    ctx.title('Not found');
    main.replaceChildren(errors.view(new ApiError(404, 'not_found', `There is no page at ${path}.`)));
    document.body.dataset.state = 'error';
    document.body.dataset.page = 'not-found';
    return;
  }
  document.body.dataset.page = match.r.nav;
  try {
    await match.r.page.render(ctx);
    if (gen === state.generation && document.body.dataset.state === 'loading') document.body.dataset.state = 'ready';
  } catch (e) {
    if (gen !== state.generation) return;
    if (!(e instanceof ApiError)) console.error(e);
    showError(main, e instanceof ApiError ? e : new ApiError(500, 'client_error', String(e?.message || e)));
  }
}

/** Only same-site paths are followed after login (no open redirect). */
export function safeNext(next) {
  if (typeof next === 'string' && /^\/(?!\/)[^\\]*$/.test(next) && !next.startsWith('/login') && !next.startsWith('/register')) return next;
  return '/';
}

function onClick(e) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.hasAttribute('download') || a.target || !a.hasAttribute('data-link')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}

async function boot() {
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', route);
  setInterval(() => refreshRelativeTimes(), 15_000);
  try {
    await loadMe();
  } catch (e) {
    root().replaceChildren(el('div', { class: 'auth-page' }, errors.view(e)));
    document.body.dataset.state = 'error';
    toast('Could not reach the server.', 'error');
    return;
  }
  await route();
}

boot();
