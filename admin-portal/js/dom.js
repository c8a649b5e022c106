// DOM building. API data only ever reaches the page through textContent and attribute
// values set here: nothing from the server is parsed as HTML.

import { absoluteTime, money, relativeTime } from './format.js';

/**
 * el('a', {href: '/x', class: 'c', testid: 'link', text: 'Go', onclick: fn}, child...)
 * `text` sets textContent; `on*` functions become listeners; `dataset` sets data-*;
 * false/null/undefined attributes are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'testid') node.dataset.testid = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'value') node.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected') node[k] = Boolean(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.append(c);
    else node.append(document.createTextNode(String(c)));
  }
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'testid') node.setAttribute('data-testid', v);
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

/** Right-aligned money cell content with the exact cents in data-cents. */
export function moneySpan(cents, testid) {
  return el('span', { class: 'money', testid, dataset: { cents: String(cents ?? '') }, text: money(cents) });
}

/** "5 min ago" with the absolute UTC time under it (and in the tooltip). */
export function timeCell(iso, { empty = '–' } = {}) {
  if (!iso) return el('span', { class: 'muted', text: empty });
  return el('time', { class: 'when', datetime: iso, title: absoluteTime(iso), dataset: { rel: '1' } },
    el('span', { class: 'rel', text: relativeTime(iso) }),
    el('span', { class: 'abs', text: absoluteTime(iso) }));
}

/** Refreshes every relative time in `root` (called by the app's clock). */
export function refreshRelativeTimes(root = document) {
  for (const t of root.querySelectorAll('time[data-rel]')) {
    const r = t.querySelector('.rel');
    if (r) r.textContent = relativeTime(t.getAttribute('datetime'));
  }
}

/** A coloured status pill; `kind` picks the colour: ok, bad, warn, info, muted. */
export function pill(text, kind, testid) {
  return el('span', { class: `pill pill-${kind}`, testid, text });
}

const STATUS_KIND = {
  online: 'ok',
  offline: 'bad',
  paid: 'ok',
  refunded: 'warn',
  pending: 'warn',
  sent: 'info',
  applied: 'ok',
  rejected: 'bad',
  critical: 'bad',
  warning: 'warn',
  approved: 'ok',
};

export function statusPill(status, testid) {
  return pill(String(status), STATUS_KIND[status] || 'muted', testid);
}

/**
 * A table: columns = [{label, cell(row) → node|string, num: right-aligned, class}].
 * `rowAttrs(row)` gives attributes of each <tr>. Shows `empty` when there are no rows.
 */
export function table(columns, rows, { rowAttrs, empty = 'Nothing here yet.', testid, caption } = {}) {
  if (!rows.length) return emptyState(empty, testid ? `${testid}-empty` : undefined);
  return el('div', { class: 'table-wrap' },
    el('table', { class: 'data', testid },
      caption ? el('caption', { class: 'sr-only', text: caption }) : null,
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', {
        class: [c.num ? 'num' : '', c.class || ''].join(' ').trim() || null, scope: 'col', text: c.label,
      })))),
      el('tbody', {}, rows.map((r) => el('tr', rowAttrs ? rowAttrs(r) : {}, columns.map((c) => {
        const v = c.cell(r);
        return el('td', { class: [c.num ? 'num' : '', c.class || ''].join(' ').trim() || null },
          v instanceof Node || Array.isArray(v) ? v : String(v ?? ''));
      }))))));
}

export function emptyState(text, testid) {
  return el('div', { class: 'empty', testid: testid || 'empty' }, el('p', { text }));
}

export function loading(text = 'Loading…') {
  return el('div', { class: 'loading', testid: 'loading', role: 'status' },
    el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', { text }));
}

/** An inline error box (under a form or a section) with the API's message. */
export function errorBox(message, testid = 'form-error') {
  return el('p', { class: 'form-error', role: 'alert', testid, text: message });
}

export function section(title, ...children) {
  return el('section', { class: 'card' },
    title ? el('h2', { class: 'card-title', text: title }) : null, ...children);
}

// ---------------------------------------------------------------------------------- toast

let toastSeq = 0;
let toastTimer = null;

/** A short message at the bottom; data-seq grows with every message so tests can wait. */
export function toast(text, kind = 'ok') {
  const t = document.querySelector('[data-testid="toast"]');
  if (!t) return;
  toastSeq += 1;
  t.textContent = text;
  t.dataset.kind = kind;
  t.dataset.seq = String(toastSeq);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, kind === 'error' ? 8000 : 4000);
}

// ---------------------------------------------------------------------------------- dialogs

/** Asks before a destructive action; resolves true when confirmed. */
export function confirmDialog({ title, text, ok = 'Delete', danger = true }) {
  return new Promise((resolve) => {
    const dlg = el('dialog', { class: 'dialog', testid: 'confirm-dialog' });
    const done = (v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    dlg.append(
      el('h2', { text: title }),
      el('p', { class: 'dialog-text', testid: 'confirm-text', text }),
      el('div', { class: 'dialog-actions' },
        el('button', { type: 'button', class: 'btn', testid: 'confirm-cancel', text: 'Cancel', onclick: () => done(false) }),
        el('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', testid: 'confirm-ok', text: ok, onclick: () => done(true) })));
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector('[data-testid="confirm-cancel"]').focus();
  });
}

/** A modal holding `content`; returns {dialog, close}. */
export function modal(title, content, testid) {
  const dlg = el('dialog', { class: 'dialog dialog-wide', testid });
  const close = () => {
    dlg.close();
    dlg.remove();
  };
  dlg.append(el('div', { class: 'dialog-head' }, el('h2', { text: title }),
    el('button', { type: 'button', class: 'btn btn-ghost', 'aria-label': 'Close', text: '✕', onclick: close })), content);
  dlg.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  document.body.append(dlg);
  dlg.showModal();
  return { dialog: dlg, close };
}

/** Disables a button while `fn` runs. */
export async function busy(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}
