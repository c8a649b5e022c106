// The 403 / 404 / 500 views (401 never shows: it sends the user to the login page).

import { el } from '../dom.js';

export function view(err) {
  const status = err?.status ?? 500;
  let title;
  let text;
  if (status === 403) {
    title = 'You do not have access';
    text = err.message && err.code !== 'forbidden' ? err.message : 'This needs the admin role. Ask an admin if you need it.';
  } else if (status === 404) {
    title = 'Not found';
    text = err.message || 'There is nothing here.';
  } else if (status === 0) {
    title = 'The server did not answer';
    text = 'Check the connection and reload the page.';
  } else {
    title = 'Something went wrong';
    text = 'The server could not complete the request. If it keeps happening, give this request id to whoever runs VendFleet.';
  }
  const code = status === 0 ? '—' : String(status);
  return el('div', { class: 'error-view', testid: 'error-view', dataset: { status: String(status), code: err?.code || '' } },
    el('div', { class: 'error-code', 'aria-hidden': 'true', text: code }),
    el('h1', { testid: 'error-title', text: title }),
    el('p', { testid: 'error-message', text }),
    status >= 500 || (status !== 403 && status !== 404 && err?.requestId)
      ? el('p', { class: 'request-id' }, 'Request id: ', el('code', { testid: 'error-request-id', text: err?.requestId || 'unknown' }))
      : null,
    el('p', {}, el('a', { href: '/', 'data-link': '', class: 'btn btn-primary', text: 'Back to the fleet overview' })));
}
