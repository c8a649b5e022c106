// Portal accounts: everyone approved can see the list; admins approve new accounts,
// revoke approval and change roles (never their own: the API answers 409 self_change).

import { api } from '../api.js';
import { busy, confirmDialog, el, loading, pill, section, table, timeCell, toast } from '../dom.js';
import { ROLE_ADMIN, ROLE_OPERATOR, roleName } from '../format.js';

const TABS = [['', 'All'], ['pending', 'Waiting for approval'], ['approved', 'Approved']];

export async function render(ctx) {
  ctx.title('Accounts');
  ctx.main.replaceChildren(loading());
  const status = ['pending', 'approved'].includes(ctx.query.get('status')) ? ctx.query.get('status') : '';
  const listBox = el('div', {});

  async function load() {
    const r = await api('GET', '/accounts', { query: { status } });
    if (!ctx.alive()) return;
    const controls = (a) => {
      if (a.id === ctx.me.id) return el('span', { class: 'muted small', text: 'you' });
      const err = el('div', { class: 'row-error', role: 'alert', testid: `row-error-${a.username}` });
      const patch = async (button, body, what) => {
        err.textContent = '';
        await busy(button, async () => {
          try {
            await api('PATCH', `/accounts/${a.id}`, { body });
            toast(what);
            await load();
          } catch (e) {
            if (!ctx.handleAuth(e)) err.textContent = e.message;
          }
        });
      };
      const role = el('select', { testid: `role-select-${a.username}`, 'aria-label': `Role of ${a.username}`, 'data-mutating': '' },
        [ROLE_OPERATOR, ROLE_ADMIN].map((v) => el('option', { value: String(v), text: roleName(v), selected: a.role === v })));
      const saveRole = el('button', { type: 'button', class: 'btn btn-small', testid: `role-save-${a.username}`, 'data-mutating': '', text: 'Change role', disabled: true });
      role.addEventListener('change', () => { saveRole.disabled = Number(role.value) === a.role; });
      saveRole.addEventListener('click', () => patch(saveRole, { role: Number(role.value) }, `${a.username} is now ${roleName(Number(role.value))}`));
      const approval = a.approved
        ? el('button', {
          type: 'button', class: 'btn btn-small btn-danger-ghost', testid: `revoke-${a.username}`, 'data-mutating': '', text: 'Revoke',
          onclick: async (e) => {
            const b = e.currentTarget;
            if (await confirmDialog({ title: `Revoke ${a.username}?`, text: `${a.username} can no longer see the fleet until approved again.`, ok: 'Revoke' })) {
              patch(b, { approved: false }, `${a.username} is no longer approved`);
            }
          },
        })
        : el('button', {
          type: 'button', class: 'btn btn-small btn-primary', testid: `approve-${a.username}`, 'data-mutating': '', text: 'Approve',
          onclick: (e) => patch(e.currentTarget, { approved: true }, `${a.username} approved`),
        });
      return el('div', {}, el('div', { class: 'row-actions' }, approval, role, saveRole), err);
    };
    const cols = [
      { label: 'Username', cell: (a) => el('span', { class: 'strong', text: a.username }) },
      { label: 'Email', cell: (a) => a.email },
      { label: 'Role', cell: (a) => pill(roleName(a.role), a.role === ROLE_ADMIN ? 'info' : 'muted', `role-${a.username}`) },
      { label: 'Status', cell: (a) => (a.approved ? pill('approved', 'ok', `status-${a.username}`) : pill('pending', 'warn', `status-${a.username}`)) },
      { label: 'Registered', cell: (a) => timeCell(a.created_at) },
    ];
    if (ctx.isAdmin) cols.push({ label: 'Actions', cell: controls });
    listBox.replaceChildren(table(cols, r.accounts || [], {
      testid: 'accounts-table',
      empty: status === 'pending' ? 'Nobody is waiting for approval.' : 'No accounts.',
      rowAttrs: (a) => ({ testid: `account-row-${a.username}`, dataset: { approved: String(a.approved), role: String(a.role) } }),
    }));
  }

  await load();
  const tabs = el('div', { class: 'tabs', role: 'tablist' }, TABS.map(([v, label]) => el('a', {
    href: v ? `/accounts?status=${v}` : '/accounts', 'data-link': '', role: 'tab', class: v === status ? 'tab active' : 'tab',
    'aria-selected': String(v === status), testid: `accounts-tab-${v || 'all'}`, text: label,
  })));
  ctx.main.replaceChildren(section('Accounts', tabs, listBox));
}
