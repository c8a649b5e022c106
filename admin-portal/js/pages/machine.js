// One machine: status and sync lag, stock with admin controls (set count, restock,
// price override), temperature and sales charts, recent orders, kiosk balances and the
// commands still waiting for the machine's ack.

import { api, ApiError } from '../api.js';
import { barChart, lineChart } from '../charts.js';
import { busy, confirmDialog, el, errorBox, loading, moneySpan, pill, section, statusPill, table, timeCell, toast } from '../dom.js';
import { count, money, parseDollars, parseTime } from '../format.js';

const REFRESH_MS = 5000;
const MAX_SET = 1_000_000;

function fact(label, value, testid) {
  return el('div', { class: 'fact', testid }, el('span', { class: 'fact-label', text: label }), el('span', { class: 'fact-value' }, value));
}

function summary(m) {
  return el('div', { class: 'facts', testid: 'machine-summary' },
    fact('Presence', pill(m.online ? 'online' : 'offline', m.online ? 'ok' : 'bad', 'machine-presence'), 'fact-presence'),
    fact('Last seen', timeCell(m.last_seen, { empty: 'never' })),
    fact('Agent version', el('span', { class: 'mono', text: m.agent_version || '–' })),
    fact('Temperature', m.temperature_c === null || m.temperature_c === undefined ? '–' : `${Number(m.temperature_c).toFixed(1)} °C`),
    fact('Door', m.door_open === null || m.door_open === undefined ? '–' : (m.door_open ? pill('open', 'warn') : pill('closed', 'muted'))),
    fact('Outbox lag', m.outbox_lag === null || m.outbox_lag === undefined ? '–' : `${count(m.outbox_lag)} events`, 'fact-outbox-lag'),
    fact('Watermark', count(m.watermark)),
    fact('Pending commands', count(m.pending_commands), 'fact-pending-commands'),
    fact("Today's sales", el('span', {}, moneySpan(m.today_cents), ` · ${count(m.today_orders)} order${m.today_orders === 1 ? '' : 's'}`)),
    fact('Alerts', m.alerts > 0 ? pill(String(m.alerts), 'bad') : '0'));
}

function parseCount(text, { allowNegative = false } = {}) {
  const t = String(text).trim();
  if (!/^[+-]?\d{1,7}$/.test(t)) return null;
  const n = Number(t);
  if (!allowNegative && n < 0) return null;
  return Math.abs(n) <= MAX_SET ? n : null;
}

function commandsTable(cmds) {
  return table([
    { label: 'Issued', cell: (c) => timeCell(c.issued_at) },
    { label: 'Type', cell: (c) => el('span', { class: 'mono', text: c.type }) },
    { label: 'Data', cell: (c) => el('code', { class: 'small', text: JSON.stringify(c.data ?? {}) }) },
    { label: 'Status', cell: (c) => statusPill(c.status) },
    { label: 'Sent', num: true, cell: (c) => count(c.sent_count) },
    { label: 'Last sent', cell: (c) => timeCell(c.last_sent_at, { empty: 'not yet' }) },
  ], cmds, { testid: 'commands-table', empty: 'No commands waiting: the machine has acknowledged everything.', rowAttrs: (c) => ({ testid: `command-row-${c.id}` }) });
}

export async function render(ctx) {
  const id = ctx.params[0];
  ctx.title(`Machine ${id}`);
  ctx.main.replaceChildren(loading());
  const base = `/machines/${encodeURIComponent(id)}`;
  const detail = await api('GET', base);
  if (!ctx.alive()) return;

  const summaryBox = el('div', {}, summary(detail.machine));
  const stockBox = el('div', {});
  const commandsBox = el('div', {}, commandsTable(detail.pending_commands || []));
  const tempBox = el('div', { class: 'chart-box' }, loading());
  const salesBox = el('div', { class: 'chart-box' }, loading());
  const ordersBox = el('div', {}, loading());
  const balancesBox = el('div', {}, loading());
  const rows = new Map(); // product_id -> {update(s)}

  function stockRow(s) {
    const countCell = el('span', { testid: `stock-count-${s.product_id}` });
    const lowCell = el('span', {});
    const priceCell = el('span', {});
    const overrideCell = el('span', {});
    const err = el('div', { class: 'row-error', role: 'alert', testid: `row-error-${s.product_id}` });
    let current = s;

    const tr = el('tr', { testid: `stock-row-${s.product_id}` });
    const update = (row) => {
      current = row;
      tr.dataset.count = row.count === null || row.count === undefined ? '' : String(row.count);
      tr.dataset.price = String(row.price);
      tr.dataset.override = row.price_override === null || row.price_override === undefined ? '' : String(row.price_override);
      countCell.textContent = row.count === null || row.count === undefined ? 'not reported' : count(row.count);
      countCell.className = row.count === null || row.count === undefined ? 'muted' : 'strong';
      lowCell.replaceChildren(row.low ? pill(row.count === 0 ? 'empty' : 'low', row.count === 0 ? 'bad' : 'warn', `low-${row.product_id}`) : '');
      priceCell.replaceChildren(moneySpan(row.price, `stock-price-${row.product_id}`));
      overrideCell.replaceChildren(row.price_override === null || row.price_override === undefined
        ? el('span', { class: 'muted small', text: `catalog ${money(row.catalog_price)}` })
        : el('span', { class: 'small' }, pill('override', 'info'), ` catalog ${money(row.catalog_price)}`));
      if (clearBtn) clearBtn.hidden = row.price_override === null || row.price_override === undefined;
    };

    let clearBtn = null;
    let controls = null;
    if (ctx.isAdmin) {
      const setIn = el('input', { class: 'input-small', inputmode: 'numeric', placeholder: 'count', 'aria-label': `New count of ${s.name}`, testid: `set-count-input-${s.product_id}`, 'data-mutating': '' });
      const setBtn = el('button', { type: 'submit', class: 'btn btn-small', text: 'Set count', testid: `set-count-${s.product_id}`, 'data-mutating': '' });
      const addIn = el('input', { class: 'input-small', inputmode: 'numeric', placeholder: '+N', 'aria-label': `Items to add to ${s.name}`, testid: `restock-input-${s.product_id}`, 'data-mutating': '' });
      const addBtn = el('button', { type: 'submit', class: 'btn btn-small', text: 'Restock', testid: `restock-${s.product_id}`, 'data-mutating': '' });
      const priceIn = el('input', { class: 'input-small', inputmode: 'decimal', placeholder: '$', 'aria-label': `Price of ${s.name} on this machine`, testid: `price-input-${s.product_id}`, 'data-mutating': '' });
      const priceBtn = el('button', { type: 'submit', class: 'btn btn-small', text: 'Set price', testid: `price-set-${s.product_id}`, 'data-mutating': '' });
      clearBtn = el('button', { type: 'button', class: 'btn btn-small btn-ghost', text: 'Clear override', testid: `price-clear-${s.product_id}`, 'data-mutating': '' });

      const send = async (button, method, path, body, what) => {
        err.textContent = '';
        await busy(button, async () => {
          try {
            const r = await api(method, path, { body });
            toast(`${what} — command ${String(r?.command_id || '').slice(0, 8)} queued for ${id}`);
            await refresh();
          } catch (e) {
            if (!ctx.handleAuth(e)) err.textContent = e.message;
          }
        });
      };
      const setForm = el('form', { class: 'inline-form', novalidate: true }, setIn, setBtn);
      setForm.addEventListener('submit', (e) => {
        e.preventDefault();
        const n = parseCount(setIn.value);
        if (n === null) { err.textContent = `Enter a count from 0 to ${count(MAX_SET)}.`; return; }
        send(setBtn, 'POST', `${base}/stock`, { product_id: s.product_id, set: n }, `${s.name}: count set to ${n}`).then(() => { setIn.value = ''; });
      });
      const addForm = el('form', { class: 'inline-form', novalidate: true }, addIn, addBtn);
      addForm.addEventListener('submit', (e) => {
        e.preventDefault();
        const n = parseCount(addIn.value, { allowNegative: true });
        if (n === null || n === 0) { err.textContent = 'Enter a non-zero number of items to add (negative removes).'; return; }
        send(addBtn, 'POST', `${base}/stock`, { product_id: s.product_id, add: n }, `${s.name}: ${n > 0 ? '+' : ''}${n} items`).then(() => { addIn.value = ''; });
      });
      const priceForm = el('form', { class: 'inline-form', novalidate: true }, priceIn, priceBtn, clearBtn);
      priceForm.addEventListener('submit', (e) => {
        e.preventDefault();
        const cents = parseDollars(priceIn.value);
        if (cents === null) { err.textContent = 'Enter a price like 1.50 (at most $1,000,000.00).'; return; }
        send(priceBtn, 'PUT', `${base}/prices/${s.product_id}`, { price: cents }, `${s.name}: price ${money(cents)}`).then(() => { priceIn.value = ''; });
      });
      clearBtn.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: 'Clear the price override?', text: `${s.name} on ${id} goes back to the catalog price ${money(current.catalog_price)}.`, ok: 'Clear override' });
        if (ok) send(clearBtn, 'DELETE', `${base}/prices/${s.product_id}`, undefined, `${s.name}: back to the catalog price`);
      });
      controls = el('td', { class: 'controls' }, el('div', { class: 'control-row' }, setForm, addForm, priceForm), err);
    }
    tr.append(
      el('td', {}, el('span', { class: 'strong', text: s.name }), el('span', { class: 'muted small', text: ` #${s.product_id}` })),
      el('td', { class: 'num' }, countCell, ' ', lowCell),
      el('td', { class: 'num' }, el('span', { class: 'muted', text: count(s.low_stock_threshold) })),
      el('td', { class: 'num' }, priceCell),
      el('td', {}, overrideCell));
    if (controls) tr.append(controls);
    update(s);
    return { tr, update, inputs: () => [...tr.querySelectorAll('input')] };
  }

  function renderStock(stock) {
    rows.clear();
    if (!stock.length) {
      stockBox.replaceChildren(el('div', { class: 'empty', testid: 'stock-empty' }, el('p', { text: 'The catalog is empty: add products on the Catalog page.' })));
      return;
    }
    const head = ['Product', 'Count', 'Low at', 'Price', 'Override'];
    if (ctx.isAdmin) head.push('Change');
    const tbody = el('tbody', {});
    for (const s of stock) {
      const r = stockRow(s);
      rows.set(s.product_id, r);
      tbody.append(r.tr);
    }
    stockBox.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'data', testid: 'stock-table' },
      el('thead', {}, el('tr', {}, head.map((h, i) => el('th', { scope: 'col', class: i >= 1 && i <= 3 ? 'num' : null, text: h })))), tbody)));
  }

  async function refresh() {
    const d = await api('GET', base);
    if (!ctx.alive()) return;
    summaryBox.replaceChildren(summary(d.machine));
    commandsBox.replaceChildren(commandsTable(d.pending_commands || []));
    const same = d.stock.length === rows.size && d.stock.every((s) => rows.has(s.product_id));
    const typing = [...rows.values()].some((r) => r.inputs().some((i) => i.value !== ''));
    if (same || typing) {
      for (const s of d.stock) rows.get(s.product_id)?.update(s);
    } else {
      renderStock(d.stock);
    }
  }

  renderStock(detail.stock || []);

  ctx.main.replaceChildren(
    el('div', { class: 'page-head' },
      el('a', { href: '/', 'data-link': '', class: 'back', text: '← Fleet' }),
      el('h1', { testid: 'machine-id', text: id })),
    section(null, summaryBox),
    section('Stock and prices', ctx.isAdmin
      ? el('p', { class: 'card-sub muted small', text: 'Changes are sent to the machine as commands; the count updates once the machine reports back.' })
      : null, stockBox),
    el('div', { class: 'grid-2' },
      section('Temperature (last 24 h)', tempBox),
      section('Daily sales (14 days)', salesBox)),
    el('div', { class: 'grid-2' },
      section('Recent orders', ordersBox, el('p', {}, el('a', { href: `/orders?machine=${encodeURIComponent(id)}`, 'data-link': '', text: 'All orders of this machine →' }))),
      section('Kiosk balances', balancesBox)),
    section('Pending commands', commandsBox));

  // The secondary panels load in parallel; one failing shows its own error only.
  const panel = async (box, fn) => {
    try {
      const node = await fn();
      if (ctx.alive()) box.replaceChildren(node);
    } catch (e) {
      if (!ctx.alive() || ctx.handleAuth(e)) return;
      box.replaceChildren(errorBox(`Could not load: ${e.message}${e instanceof ApiError && e.requestId ? ` (request ${e.requestId})` : ''}`, 'panel-error'));
    }
  };
  await Promise.all([
    panel(tempBox, async () => {
      const t = await api('GET', `${base}/telemetry`);
      const pts = (t.points || []).map((p) => ({ t: parseTime(p.at), v: p.temperature_c === null ? NaN : Number(p.temperature_c) }));
      const min = t.temp_min_c ?? detail.machine.temp_min_c;
      const max = t.temp_max_c ?? detail.machine.temp_max_c;
      const band = Number.isFinite(min) && Number.isFinite(max) ? { min, max } : null;
      return lineChart(pts, { unit: '°C', band, label: `Temperature of ${id}`, testid: 'temperature-chart' });
    }),
    panel(salesBox, async () => {
      const s = await api('GET', `${base}/sales`, { query: { days: 14 } });
      const days = s.days || [];
      const total = days.reduce((a, d) => a + (d.cents || 0), 0);
      const orders = days.reduce((a, d) => a + (d.orders || 0), 0);
      return el('div', {}, barChart(days, { label: `Daily sales of ${id}`, testid: 'sales-chart' }),
        el('p', { class: 'muted small', text: `${count(orders)} order${orders === 1 ? '' : 's'}, ${money(total)} in ${days.length} days` }));
    }),
    panel(ordersBox, async () => {
      const o = await api('GET', '/orders', { query: { machine: id, limit: 10 } });
      return table([
        { label: 'Time', cell: (r) => timeCell(r.created_at) },
        { label: 'Product', cell: (r) => el('a', { href: `/orders/${encodeURIComponent(r.uuid)}`, 'data-link': '', text: r.product_name || `#${r.product_id}` }) },
        { label: 'Status', cell: (r) => statusPill(r.status) },
        { label: 'Price', num: true, cell: (r) => moneySpan(r.price) },
      ], o.orders || [], { testid: 'machine-orders', empty: 'No orders yet.', rowAttrs: (r) => ({ testid: `machine-order-${r.uuid}` }) });
    }),
    panel(balancesBox, async () => {
      const b = await api('GET', `${base}/balances`);
      const customers = b.customers || [];
      return el('div', {}, table([
        { label: 'Customer', cell: (c) => el('span', {}, el('span', { class: 'mono small', text: c.user_name || '' }), el('span', { class: 'muted small', text: ` #${c.customer_id}` })) },
        { label: 'Updated', cell: (c) => timeCell(c.updated_at) },
        { label: 'Balance', num: true, cell: (c) => moneySpan(c.balance) },
      ], customers.slice(0, 50), { testid: 'balances', empty: 'No customer holds credit on this machine.' }),
      el('p', { class: 'total' }, 'Total credit held: ', moneySpan(b.total, 'balances-total'),
        customers.length > 50 ? el('span', { class: 'muted small', text: ` (showing 50 of ${customers.length})` }) : null));
    }),
  ]);

  let inFlight = false;
  ctx.every(REFRESH_MS, async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      await refresh();
    } catch (e) {
      ctx.handleAuth(e);
    } finally {
      inFlight = false;
    }
  });
}

