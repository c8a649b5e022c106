// Fleet overview: KPI cards and the machine table, refreshed every 5 s.

import { api } from '../api.js';
import { el, loading, moneySpan, pill, section, table, timeCell } from '../dom.js';
import { count, money } from '../format.js';

const REFRESH_MS = 5000;

function kpi(id, label, value, display, { href, kind } = {}) {
  const body = [el('span', { class: 'kpi-label', text: label }), el('span', { class: 'kpi-value', text: display })];
  const attrs = { class: `kpi${kind ? ` kpi-${kind}` : ''}`, testid: `kpi-${id}`, dataset: { value: String(value) } };
  return href ? el('a', { ...attrs, href, 'data-link': '' }, ...body) : el('div', attrs, ...body);
}

export function machineColumns() {
  return [
    { label: 'Machine', cell: (m) => el('a', { href: `/machines/${encodeURIComponent(m.id)}`, 'data-link': '', class: 'strong', testid: `machine-link-${m.id}`, text: m.id }) },
    { label: 'Presence', cell: (m) => pill(m.online ? 'online' : 'offline', m.online ? 'ok' : 'bad', `presence-${m.id}`) },
    { label: 'Last seen', cell: (m) => timeCell(m.last_seen, { empty: 'never' }) },
    { label: 'Agent', cell: (m) => el('span', { class: 'mono', text: m.agent_version || '–' }) },
    { label: 'Outbox lag', num: true, cell: (m) => (m.outbox_lag === null || m.outbox_lag === undefined ? '–' : count(m.outbox_lag)) },
    { label: 'Pending cmds', num: true, cell: (m) => count(m.pending_commands) },
    { label: 'Orders today', num: true, cell: (m) => count(m.today_orders) },
    { label: 'Sales today', num: true, cell: (m) => moneySpan(m.today_cents, `sales-${m.id}`) },
    { label: 'Alerts', num: true, cell: (m) => (m.alerts > 0 ? pill(String(m.alerts), 'bad', `alerts-${m.id}`) : el('span', { class: 'muted', text: '0' })) },
  ];
}

export async function render(ctx) {
  ctx.title('Fleet overview');
  ctx.main.replaceChildren(loading());
  const kpis = el('div', { class: 'kpis', testid: 'kpis' });
  const machines = el('div', { testid: 'machines' });
  const stamp = el('span', { class: 'muted small', testid: 'refreshed-at' });

  async function load() {
    const [o, m] = await Promise.all([api('GET', '/overview'), api('GET', '/machines')]);
    if (!ctx.alive()) return;
    kpis.replaceChildren(
      kpi('machines', 'Machines', o.machines, count(o.machines)),
      kpi('online', 'Online', o.online, `${count(o.online)} / ${count(o.machines)}`, { kind: o.online < o.machines ? 'warn' : 'ok' }),
      kpi('orders', "Today's orders", o.today_orders, count(o.today_orders)),
      kpi('revenue', "Today's revenue", o.today_cents, money(o.today_cents)),
      kpi('alerts', 'Open alerts', o.alerts, count(o.alerts), { href: '/alerts', kind: o.alerts > 0 ? 'bad' : 'ok' }),
      ctx.isAdmin ? kpi('pending-accounts', 'Pending accounts', o.pending_accounts, count(o.pending_accounts), { href: '/accounts?status=pending', kind: o.pending_accounts > 0 ? 'warn' : null }) : null);
    machines.replaceChildren(table(machineColumns(), m.machines, {
      testid: 'machine-table',
      empty: 'No machines yet. Add one with `vend-cloud machine add ID`.',
      rowAttrs: (r) => ({ testid: `machine-row-${r.id}`, dataset: { online: String(r.online) } }),
    }));
    stamp.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_MS / 1000} s`;
  }

  await load();
  ctx.main.replaceChildren(kpis, section('Machines', el('div', { class: 'card-sub' }, stamp), machines));
  let inFlight = false;
  ctx.every(REFRESH_MS, async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      await load();
    } catch (e) {
      if (!ctx.handleAuth(e)) stamp.textContent = `Refresh failed: ${e.message}`;
    } finally {
      inFlight = false;
    }
  });
}
