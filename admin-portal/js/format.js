// Formatting of money, times and numbers. Money is integer cents end to end: the page
// never does arithmetic on a float amount.

const CURRENCY = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const COUNT = new Intl.NumberFormat('en-US');
const MAX_CENTS = 100_000_000; // the API's price limit: $1,000,000.00

/** "$1,234.05" from integer cents. The decimal string keeps Intl away from float maths. */
export function money(cents) {
  if (!Number.isSafeInteger(cents)) return '–';
  const abs = Math.abs(cents);
  const dec = `${cents < 0 ? '-' : ''}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return CURRENCY.format(dec);
}

/** Dollars as typed ("1.5", "$2", "1,000.25") → integer cents, or null when not a valid amount. */
export function parseDollars(text) {
  const m = /^\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{0,2}))?\s*$/.exec(String(text ?? ''));
  if (!m) return null;
  const whole = m[1].replace(/,/g, '');
  if (whole.length > 7) return null;
  const cents = Number(whole) * 100 + Number((m[2] || '').padEnd(2, '0'));
  return Number.isSafeInteger(cents) && cents <= MAX_CENTS ? cents : null;
}

/** Integer cents → "12.50" for an input field. */
export function centsToInput(cents) {
  if (!Number.isSafeInteger(cents) || cents < 0) return '';
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function count(n) {
  return Number.isFinite(n) ? COUNT.format(n) : '–';
}

export function parseTime(iso) {
  if (typeof iso !== 'string' || !iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2026-11-26 20:03:51 UTC" */
export function absoluteTime(iso) {
  const d = parseTime(iso);
  if (!d) return '';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", "in 4 min". */
export function relativeTime(iso, now = Date.now()) {
  const d = parseTime(iso);
  if (!d) return '';
  const s = Math.round((now - d.getTime()) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  let text;
  if (a < 10) return 'just now';
  if (a < 60) text = `${a} s`;
  else if (a < 3600) text = `${Math.floor(a / 60)} min`;
  else if (a < 86400) text = `${Math.floor(a / 3600)} h`;
  else text = `${Math.floor(a / 86400)} day${a >= 172800 ? 's' : ''}`;
  return future ? `in ${text}` : `${text} ago`;
}

export const ROLE_ADMIN = 300;
export const ROLE_OPERATOR = 100;

export function roleName(role) {
  if (role === ROLE_ADMIN) return 'Admin';
  if (role === ROLE_OPERATOR) return 'Operator';
  return `Role ${role}`;
}
