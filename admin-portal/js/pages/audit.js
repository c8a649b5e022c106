// The audit log of admin actions, newest first, with a before/after diff of each entry.

import { api, toQuery } from '../api.js';
import { el, loading, pill, section, table, timeCell } from '../dom.js';
import { count } from '../format.js';

const PAGE = 50;

/** Flattens {a:{b:1}} to [["a.b", 1]] so nested changes line up key by key. */
function flatten(value, prefix = '', out = new Map()) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (!keys.length && prefix) out.set(prefix, {});
    for (const k of keys) flatten(value[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, value);
  } else if (value !== null && value !== undefined) {
    out.set('(value)', value);
  }
  return out;
}

const show = (v) => (v === undefined ? '' : JSON.stringify(v));

export function diffView(before, after, testid) {
  const b = flatten(before ?? null);
  const a = flatten(after ?? null);
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort();
  if (!keys.length) return el('p', { class: 'muted small', testid, text: 'No details recorded.' });
  return el('table', { class: 'diff', testid },
    el('thead', {}, el('tr', {}, el('th', { text: 'Field' }), el('th', { text: 'Before' }), el('th', { text: 'After' }))),
    el('tbody', {}, keys.map((k) => {
      const changed = show(b.get(k)) !== show(a.get(k));
      return el('tr', { class: changed ? 'changed' : null, dataset: { field: k, changed: String(changed) } },
        el('td', { class: 'mono', text: k }),
        el('td', { class: 'mono before', text: b.has(k) ? show(b.get(k)) : '—' }),
        el('td', { class: 'mono after', text: a.has(k) ? show(a.get(k)) : '—' }));
    })));
}

export async function render(ctx) {
  ctx.title('Audit log');
  ctx.main.replaceChildren(loading());
  const actor = ctx.query.get('actor') || '';
  const action = ctx.query.get('action') || '';
  const listBox = el('div', {});
  const pager = el('div', { class: 'pager' });
  const stack = [];
  let cursor = '';

  async function load() {
    const r = await api('GET', '/audit', { query: { actor, action, limit: PAGE, cursor } });
    if (!ctx.alive()) return;
    const entries = r.entries || [];
    const tbody = el('tbody', {});
    for (const e of entries) {
      const diffRow = el('tr', { class: 'diff-row', hidden: true }, el('td', { colspan: '6' }, diffView(e.before, e.after, `audit-diff-${e.id}`)));
      const toggle = el('button', {
        type: 'button', class: 'btn btn-small btn-ghost', testid: `audit-toggle-${e.id}`, 'aria-expanded': 'false', text: 'Show changes',
        onclick: () => {
          diffRow.hidden = !diffRow.hidden;
          toggle.setAttribute('aria-expanded', String(!diffRow.hidden));
          toggle.textContent = diffRow.hidden ? 'Show changes' : 'Hide changes';
        },
      });
      tbody.append(el('tr', { testid: `audit-row-${e.id}`, dataset: { action: e.action, actor: e.actor || '', target: e.target || '' } },
        el('td', {}, timeCell(e.at)),
        el('td', { class: 'strong', text: e.actor || '–' }),
        el('td', {}, pill(e.action, 'info')),
        el('td', { class: 'mono', text: e.target || '' }),
        el('td', { class: 'mono small muted', text: e.request_id || '' }),
        el('td', {}, toggle)), diffRow);
    }
    listBox.replaceChildren(entries.length
      ? el('div', { class: 'table-wrap' }, el('table', { class: 'data', testid: 'audit-table' },
        el('thead', {}, el('tr', {}, ['Time', 'Actor', 'Action', 'Target', 'Request id', ''].map((h) => el('th', { scope: 'col', text: h })))), tbody))
      : el('div', { class: 'empty', testid: 'audit-empty' }, el('p', { text: actor || action ? 'No entries match.' : 'Nothing has been changed yet.' })));
    const page = stack.length + 1;
    pager.replaceChildren(
      el('button', { type: 'button', class: 'btn', testid: 'audit-newer', text: '← Newer', disabled: !stack.length, onclick: () => { cursor = stack.pop() ?? ''; load().catch(ctx.fail); } }),
      el('span', { class: 'muted small', text: `Page ${page} · ${count(entries.length)} entries` }),
      el('button', { type: 'button', class: 'btn', testid: 'audit-older', text: 'Older →', disabled: !r.next_cursor, onclick: () => { stack.push(cursor); cursor = r.next_cursor; load().catch(ctx.fail); } }));
  }

  await load();
  const form = el('form', { class: 'filters', novalidate: true },
    el('label', { class: 'field field-compact' }, el('span', { class: 'field-label', text: 'Actor' }), el('input', { name: 'actor', value: actor, placeholder: 'username', testid: 'audit-actor' })),
    el('label', { class: 'field field-compact' }, el('span', { class: 'field-label', text: 'Action' }), el('input', { name: 'action', value: action, placeholder: 'e.g. price.set', testid: 'audit-action' })),
    el('div', { class: 'filter-actions' }, el('button', { type: 'submit', class: 'btn btn-primary', text: 'Apply' }), el('a', { href: '/audit', 'data-link': '', class: 'btn btn-ghost', text: 'Reset' })));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(form);
    const qs = toQuery({ actor: String(d.get('actor') || '').trim(), action: String(d.get('action') || '').trim() });
    ctx.navigate(`/audit${qs ? `?${qs}` : ''}`);
  });
  ctx.main.replaceChildren(section('Filter', form), section('Changes made by admins', listBox, pager));
}
