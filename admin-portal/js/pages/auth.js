// Login, registration and the "waiting for approval" page.

import { api, ApiError } from '../api.js';
import { brandLogo, navigate, safeNext, signedIn } from '../app.js';
import { busy, el, errorBox } from '../dom.js';

function authCard(title, subtitle, ...body) {
  return el('div', { class: 'auth-page' },
    el('div', { class: 'auth-card card' },
      el('div', { class: 'auth-brand' }, brandLogo(), el('div', {}, el('strong', { text: 'VendFleet' }), el('small', { text: 'Fleet administration' }))),
      el('h1', { text: title }),
      subtitle ? el('p', { class: 'muted', text: subtitle }) : null,
      ...body));
}

function field(label, input, hint) {
  return el('label', { class: 'field' }, el('span', { class: 'field-label', text: label }), input,
    hint ? el('span', { class: 'field-hint', text: hint }) : null);
}

function showError(form, message, testid) {
  form.querySelector('.form-error')?.remove();
  if (message) form.querySelector('.form-actions').before(errorBox(message, testid));
}

export function login(ctx, flash) {
  document.title = 'Sign in · VendFleet Admin';
  const username = el('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 32, testid: 'login-username', autofocus: true });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 128, testid: 'login-password' });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit', text: 'Sign in' });
  const form = el('form', { class: 'form', testid: 'login-form', novalidate: true },
    flash ? el('p', { class: 'notice', testid: 'login-flash', role: 'status', text: flash }) : null,
    field('Username', username), field('Password', password),
    el('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!username.value.trim() || !password.value) {
      showError(form, 'Enter your username and password.', 'login-error');
      return;
    }
    busy(submit, async () => {
      try {
        const r = await api('POST', '/auth/login', { body: { username: username.value.trim(), password: password.value } });
        await signedIn(r.account, r.csrf_token);
        navigate(safeNext(new URLSearchParams(location.search).get('next')), { replace: true });
      } catch (err) {
        let msg = err.message;
        if (err instanceof ApiError && err.status === 401) msg = 'Wrong username or password.';
        if (err instanceof ApiError && err.status === 429) {
          const s = Number(err.retryAfter);
          msg = `Too many failed attempts. Try again in ${Number.isFinite(s) && s > 0 ? `${Math.ceil(s / 60)} min` : 'a few minutes'}.`;
        }
        showError(form, msg, 'login-error');
        password.value = '';
        password.focus();
      }
    });
  });
  return authCard('Sign in', null, form,
    el('p', { class: 'auth-switch' }, 'No account yet? ', el('a', { href: '/register', 'data-link': '', testid: 'to-register', text: 'Request access' })));
}

export function register(ctx) {
  document.title = 'Request access · VendFleet Admin';
  const username = el('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 32, pattern: '[A-Za-z0-9_.\\-]{3,32}', testid: 'register-username', autofocus: true });
  const email = el('input', { name: 'email', type: 'email', autocomplete: 'email', required: true, maxlength: 254, testid: 'register-email' });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 128, testid: 'register-password' });
  const confirm = el('input', { name: 'confirm', type: 'password', autocomplete: 'new-password', required: true, maxlength: 128, testid: 'register-confirm' });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'register-submit', text: 'Request access' });
  const form = el('form', { class: 'form', testid: 'register-form', novalidate: true },
    field('Username', username, '3–32 letters, digits, dot, dash or underscore'),
    field('Email', email),
    field('Password', password, 'At least 10 characters'),
    field('Repeat password', confirm),
    el('div', { class: 'form-actions' }, submit));
  const page = authCard('Request access', 'An admin approves new accounts before they can see the fleet.', form,
    el('p', { class: 'auth-switch' }, 'Already have an account? ', el('a', { href: '/login', 'data-link': '', testid: 'to-login', text: 'Sign in' })));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const u = username.value.trim();
    if (!/^[A-Za-z0-9_.-]{3,32}$/.test(u)) return showError(form, 'The username must be 3–32 letters, digits, dot, dash or underscore.', 'register-error');
    if (!/^[^\s@]+@[^\s@]+$/.test(email.value.trim())) return showError(form, 'Enter a valid email address.', 'register-error');
    if (password.value.length < 10) return showError(form, 'The password needs at least 10 characters.', 'register-error');
    if (password.value !== confirm.value) return showError(form, 'The two passwords differ.', 'register-error');
    return busy(submit, async () => {
      try {
        await api('POST', '/auth/register', { body: { username: u, email: email.value.trim(), password: password.value } });
        form.replaceWith(el('div', { class: 'notice notice-ok', testid: 'register-done', role: 'status' },
          el('p', {}, 'Account ', el('strong', { text: u }), ' created. An admin has to approve it before you can sign in and see the fleet.'),
          el('p', {}, el('a', { href: '/login', 'data-link': '', class: 'btn btn-primary', text: 'Go to sign in' }))));
      } catch (err) {
        showError(form, err.message, 'register-error');
      }
    });
  });
  return page;
}

export function waiting(me, logout) {
  return authCard('Waiting for approval', null,
    el('div', { class: 'notice', testid: 'waiting-approval' },
      el('p', {}, 'Hello ', el('strong', { text: me.username }), '. Your account is registered but an admin has not approved it yet.'),
      el('p', { text: 'Once approved, sign in again (or reload this page) to see the fleet.' })),
    el('div', { class: 'form-actions' },
      el('button', { type: 'button', class: 'btn', text: 'Check again', onclick: () => location.reload() }),
      el('button', { type: 'button', class: 'btn btn-primary', testid: 'logout', text: 'Log out', onclick: logout })));
}
