// Open alerts across the fleet (offline, low stock, temperature), most severe first.

import { api } from '../api.js';
import { el, loading, pill, section, statusPill, table, timeCell } from '../dom.js';

const KIND = { offline: 'Offline', low_stock: 'Low stock', temperature: 'Temperature' };

export async function render(ctx) {
  ctx.title('Alerts');
  ctx.main.replaceChildren(loading());
  const machine = ctx.query.get('machine') || '';
  const box = el('div', {});
  async function load() {
    const r = await api('GET', '/alerts', { query: { machine } });
    if (!ctx.alive()) return;
    const rank = (a) => (a.severity === 'critical' ? 0 : 1);
    const alerts = [...(r.alerts || [])].sort((a, b) => rank(a) - rank(b) || String(a.machine).localeCompare(String(b.machine)));
    box.replaceChildren(table([
      { label: 'Severity', cell: (a) => statusPill(a.severity) },
      { label: 'Kind', cell: (a) => pill(KIND[a.kind] || a.kind, 'muted') },
      { label: 'Machine', cell: (a) => el('a', { href: `/machines/${encodeURIComponent(a.machine)}`, 'data-link': '', text: a.machine }) },
      { label: 'What', cell: (a) => a.message },
      { label: 'Since', cell: (a) => timeCell(a.since, { empty: '–' }) },
    ], alerts, {
      testid: 'alerts-table',
      empty: machine ? `No open alerts for ${machine}.` : 'No open alerts. The fleet is healthy.',
      rowAttrs: (a) => ({ testid: `alert-${a.kind}-${a.machine}${a.product_id ? `-${a.product_id}` : ''}`, dataset: { severity: a.severity } }),
    }));
  }
  await load();
  ctx.main.replaceChildren(section(machine ? `Alerts of ${machine}` : 'Open alerts',
    machine ? el('p', {}, el('a', { href: '/alerts', 'data-link': '', text: 'Show all machines' })) : null, box));
  ctx.every(10_000, () => load().catch((e) => ctx.handleAuth(e)));
}
