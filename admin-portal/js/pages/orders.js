// Orders across the fleet: filters kept in the URL, keyset pagination (Newer/Older with
// a stack of the cursors already visited), CSV export of the same filters, and the
// detail page of one order.

import { api, toQuery } from '../api.js';
import { el, loading, moneySpan, section, statusPill, table, timeCell } from '../dom.js';
import { absoluteTime, count } from '../format.js';

const PAGE = 50;
const FILTERS = ['machine', 'product', 'customer', 'status', 'from', 'to'];

/** URL filters (dates as YYYY-MM-DD) → API query (dates as UTC ISO bounds of those days). */
export function apiFilters(q) {
  const f = {};
  for (const k of ['machine', 'product', 'customer', 'status']) if (q.get(k)) f[k] = q.get(k);
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (day.test(q.get('from') || '')) f.from = `${q.get('from')}T00:00:00.000Z`;
  if (day.test(q.get('to') || '')) f.to = `${q.get('to')}T23:59:59.999Z`;
  return f;
}

function field(label, input) {
  return el('label', { class: 'field field-compact' }, el('span', { class: 'field-label', text: label }), input);
}

function select(name, options, value, testid) {
  return el('select', { name, testid }, options.map(([v, label]) => el('option', { value: v, text: label, selected: v === value })));
}

export const list = {
  async render(ctx) {
    ctx.title('Orders');
    ctx.main.replaceChildren(loading());
    const q = ctx.query;
    const [machines, products] = await Promise.all([
      api('GET', '/machines'),
      api('GET', '/products', { query: { include_removed: 'true' } }),
    ]);
    if (!ctx.alive()) return;

    const form = el('form', { class: 'filters', testid: 'order-filters', novalidate: true },
      field('Machine', select('machine', [['', 'All machines'], ...machines.machines.map((m) => [m.id, m.id])], q.get('machine') || '', 'filter-machine')),
      field('Product', select('product', [['', 'All products'], ...products.products.map((p) => [String(p.id), `${p.name} (#${p.id})`])], q.get('product') || '', 'filter-product')),
      field('Customer', el('input', { name: 'customer', value: q.get('customer') || '', testid: 'filter-customer', placeholder: 'kiosk user name', maxlength: '64', autocomplete: 'off' })),
      field('Status', select('status', [['', 'Any'], ['paid', 'Paid'], ['refunded', 'Refunded']], q.get('status') || '', 'filter-status')),
      field('From (UTC)', el('input', { type: 'date', name: 'from', value: q.get('from') || '', testid: 'filter-from' })),
      field('To (UTC)', el('input', { type: 'date', name: 'to', value: q.get('to') || '', testid: 'filter-to' })),
      el('div', { class: 'filter-actions' },
        el('button', { type: 'submit', class: 'btn btn-primary', testid: 'filter-apply', text: 'Apply' }),
        el('a', { href: '/orders', 'data-link': '', class: 'btn btn-ghost', testid: 'filter-reset', text: 'Reset' })));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const next = {};
      for (const k of FILTERS) next[k] = String(data.get(k) || '').trim();
      const qs = toQuery(next);
      ctx.navigate(`/orders${qs ? `?${qs}` : ''}`);
    });

    const filters = apiFilters(q);
    const csvQuery = toQuery(filters);
    const csv = el('a', { class: 'btn', href: `/api/v1/orders.csv${csvQuery ? `?${csvQuery}` : ''}`, download: '', testid: 'orders-csv', text: '⤓ Download CSV' });
    const listBox = el('div', {});
    const pager = el('div', { class: 'pager' });
    const stack = []; // cursors of the pages before the current one ('' = first page)
    let cursor = '';

    async function show() {
      listBox.replaceChildren(loading());
      const r = await api('GET', '/orders', { query: { ...filters, limit: PAGE, cursor } });
      if (!ctx.alive()) return;
      listBox.replaceChildren(table([
        { label: 'Time', cell: (o) => timeCell(o.created_at) },
        { label: 'Machine', cell: (o) => el('a', { href: `/machines/${encodeURIComponent(o.machine)}`, 'data-link': '', text: o.machine }) },
        { label: 'Order', num: true, cell: (o) => el('a', { href: `/orders/${encodeURIComponent(o.uuid)}`, 'data-link': '', testid: `order-link-${o.uuid}`, text: `#${o.order_id}` }) },
        { label: 'Customer', cell: (o) => el('span', {}, el('span', { class: 'mono small', text: o.user_name || '' }), el('span', { class: 'muted small', text: ` #${o.customer_id}` })) },
        { label: 'Product', cell: (o) => o.product_name || `#${o.product_id}` },
        { label: 'Status', cell: (o) => statusPill(o.status, `order-status-${o.uuid}`) },
        { label: 'Price', num: true, cell: (o) => moneySpan(o.price, `order-price-${o.uuid}`) },
        { label: 'Refunded', num: true, cell: (o) => (o.refund_amount === null || o.refund_amount === undefined ? el('span', { class: 'muted', text: '–' }) : moneySpan(o.refund_amount)) },
      ], r.orders || [], {
        testid: 'orders-table',
        empty: Object.keys(filters).length ? 'No orders match these filters.' : 'No orders yet.',
        rowAttrs: (o) => ({ testid: `order-row-${o.uuid}`, dataset: { machine: o.machine, product: String(o.product_id), status: o.status, price: String(o.price) } }),
      }));
      const page = stack.length + 1;
      pager.replaceChildren(
        el('button', {
          type: 'button', class: 'btn', testid: 'orders-newer', text: '← Newer', disabled: stack.length === 0,
          onclick: () => { cursor = stack.pop() ?? ''; show().catch(ctx.fail); },
        }),
        el('span', { class: 'muted small', testid: 'orders-page', dataset: { page: String(page) }, text: `Page ${page} · ${count((r.orders || []).length)} orders` }),
        el('button', {
          type: 'button', class: 'btn', testid: 'orders-older', text: 'Older →', disabled: !r.next_cursor,
          onclick: () => { stack.push(cursor); cursor = r.next_cursor; show().catch(ctx.fail); },
        }));
    }

    await show();
    ctx.main.replaceChildren(section('Filter', form), section('Orders', el('div', { class: 'toolbar' }, el('span', { class: 'muted small', text: 'Newest first. The CSV has every order matching the filters (up to 100,000).' }), csv), listBox, pager));
  },
};

function fact(label, value, testid) {
  return el('div', { class: 'fact', testid }, el('span', { class: 'fact-label', text: label }), el('span', { class: 'fact-value' }, value));
}

export const detail = {
  async render(ctx) {
    const uuid = ctx.params[0];
    ctx.title('Order');
    ctx.main.replaceChildren(loading());
    const { order: o } = await api('GET', `/orders/${encodeURIComponent(uuid)}`);
    if (!ctx.alive()) return;
    ctx.title(`Order #${o.order_id} on ${o.machine}`);
    ctx.main.replaceChildren(
      el('div', { class: 'page-head' }, el('a', { href: '/orders', 'data-link': '', class: 'back', text: '← Orders' }), el('h1', { text: `Order #${o.order_id}` }), statusPill(o.status, 'order-status')),
      section(null, el('div', { class: 'facts', testid: 'order-detail', dataset: { uuid: o.uuid } },
        fact('UUID', el('code', { text: o.uuid })),
        fact('Machine', el('a', { href: `/machines/${encodeURIComponent(o.machine)}`, 'data-link': '', text: o.machine })),
        fact('Order id on the machine', String(o.order_id)),
        fact('Created', el('span', {}, timeCell(o.created_at), el('span', { class: 'sr-only', text: absoluteTime(o.created_at) }))),
        fact('Customer', el('span', {}, el('span', { class: 'mono', text: o.user_name || '' }), el('span', { class: 'muted', text: ` #${o.customer_id}` }))),
        fact('Product', el('span', {}, o.product_name || '', el('span', { class: 'muted', text: ` #${o.product_id}` }))),
        fact('Price', moneySpan(o.price, 'order-price')),
        fact('Status', statusPill(o.status)),
        fact('Refunded at', timeCell(o.refunded_at, { empty: 'not refunded' })),
        fact('Refund', o.refund_amount === null || o.refund_amount === undefined ? '–' : moneySpan(o.refund_amount)))));
  },
};
