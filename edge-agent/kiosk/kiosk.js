// VendFleet kiosk: the touch screen of one vending machine.
//
// One customer at a time. A customer is a user whose random user_name is made here and
// registered with vend-edge; that name is the customer's only credential, so it is kept
// in memory only and forgotten when the customer taps "Done".
//
// vend-edge is the source of truth for money and stock: the page shows what the API
// last returned and never computes a balance or a count itself. Every response is tied
// to the session ("epoch") that sent it, so a slow reply for the previous customer can
// never change what the next customer sees.

const API = 'api/v1';
const IMAGES = 'images/';
const PLACEHOLDER = IMAGES + 'placeholder.svg';
const REFRESH_MS = 10_000;       // product grid poll (stock changes at other kiosks/admin)
const REQUEST_TIMEOUT_MS = 10_000;
const IDLE_RESET_MS = 120_000;   // an abandoned screen with no credit goes back to a fresh customer
const LOW_STOCK = 2;

// Coins and notes the acceptor takes, in cents.
const MONEY = [
  { cents: 25, label: '25¢', kind: 'coin' },
  { cents: 50, label: '50¢', kind: 'coin' },
  { cents: 100, label: '$1', kind: 'coin' },
  { cents: 200, label: '$2', kind: 'coin' },
  { cents: 500, label: '$5', kind: 'note' },
  { cents: 1000, label: '$10', kind: 'note' },
];

// ---------------------------------------------------------------------------------
// Helpers

/** "$1,234.05" from integer cents; integer arithmetic only, no float rounding. */
export function formatCents(cents) {
  const n = Number.isSafeInteger(cents) ? cents : 0;
  const abs = Math.abs(n);
  const dollars = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const rest = String(abs % 100).padStart(2, '0');
  return `${n < 0 ? '-' : ''}$${dollars}.${rest}`;
}

/** RFC 4122 v4 id. crypto.randomUUID needs a secure context; getRandomValues does not. */
function randomId() {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) {
    return crypto.randomUUID();
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function formatTime(createdAt) {
  let d = null;
  if (typeof createdAt === 'number') d = new Date(createdAt < 1e12 ? createdAt * 1000 : createdAt);
  else if (typeof createdAt === 'string' && createdAt) d = new Date(createdAt);
  if (!d || Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// ---------------------------------------------------------------------------------
// API client

class ApiError extends Error {
  /** status 0 = no HTTP answer at all (network down, timeout). */
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  let res;
  let text = '';
  try {
    res = await fetch(API + path, {
      method,
      headers: body === undefined
        ? { Accept: 'application/json' }
        : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      signal: ctl.signal,
    });
    text = await res.text();
  } catch {
    throw new ApiError(0, 'network', 'no answer from the machine');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = (data && typeof data === 'object' && data.error) || {};
    throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText);
  }
  if (data === null) throw new ApiError(res.status, 'bad_response', 'unreadable answer');
  return data;
}

const q = (name) => `user_name=${encodeURIComponent(name)}`;

// ---------------------------------------------------------------------------------
// State

const state = {
  epoch: 0,              // bumped for every new customer
  session: null,         // {id, user_name, balance} once registered
  products: new Map(),   // id -> product, in API order
  orders: [],
  pending: new Set(),    // keys of requests in flight ("buy-3", "refund-17", "insert")
  productsSeq: 0,        // latest products request sent
  productsApplied: 0,    // latest products response shown
  ordersSeq: 0,
  ordersApplied: 0,
  lastActivity: Date.now(),
};

const $ = (sel) => document.querySelector(sel);
const ui = {};

// ---------------------------------------------------------------------------------
// Messages

let messageTimer = 0;
let messageSeq = 0;

/** kind: "success" | "error" | "info". The text stays in the DOM until replaced. */
function showMessage(kind, text) {
  const m = ui.message;
  m.textContent = text;
  m.dataset.kind = kind;
  m.dataset.seq = String(++messageSeq);
  m.classList.remove('show');
  void m.offsetWidth; // restart the entrance animation
  m.classList.add('show');
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => m.classList.remove('show'), kind === 'error' ? 9000 : 6000);
}

function clearMessage() {
  clearTimeout(messageTimer);
  ui.message.classList.remove('show');
  ui.message.textContent = '';
  ui.message.dataset.kind = '';
}

/** A sentence a customer understands, for any failure of `action` on `product`. */
function describeError(err, action, product) {
  const name = product ? product.name : 'this item';
  switch (err.code) {
    case 'insufficient_funds': {
      const balance = state.session ? state.session.balance : 0;
      const missing = product ? product.price - balance : 0;
      return missing > 0
        ? `Not enough money for ${name}: it costs ${formatCents(product.price)} and you have ${formatCents(balance)}. Please insert ${formatCents(missing)} more.`
        : `Not enough money for ${name}. Please insert more money.`;
    }
    case 'out_of_stock':
      return `Sorry, ${name} is sold out. Please choose something else.`;
    case 'not_refundable':
      return `Sorry, ${name} can't be refunded.`;
    case 'already_refunded':
      return `This ${name} purchase has already been refunded.`;
    case 'idempotency_conflict':
      return 'That tap was already handled. Please check your purchases before trying again.';
    case 'not_found':
      if (action === 'buy') return `Sorry, ${name} is no longer available.`;
      if (action === 'refund') return `That ${name} purchase can't be found, so it can't be refunded.`;
      return 'Your session has expired. Please tap Done to start again.';
    case 'unauthorized':
    case 'forbidden':
      return 'Your session is no longer valid. Please tap Done to start again.';
    case 'network':
      return "Can't reach the machine right now. Please wait a moment and try again.";
    case 'bad_request':
      if (action === 'insert') return "Sorry, this machine can't accept that amount.";
      return 'The machine did not understand that request. Please try again.';
    default:
      if (err.status >= 500 || err.status === 0) {
        return 'Something went wrong inside the machine. Please try again; your credit and purchases are shown on screen.';
      }
      return `Sorry, that didn't work (${err.message || err.code}). Please try again.`;
  }
}

// ---------------------------------------------------------------------------------
// Rendering

function setBalance(cents) {
  if (!state.session) return;
  state.session.balance = cents;
  renderBalance();
  renderAffordability();
}

function renderBalance() {
  const cents = state.session ? state.session.balance : 0;
  ui.balance.dataset.cents = String(cents);
  ui.balanceAmount.textContent = formatCents(cents);
  ui.balance.classList.toggle('has-credit', cents > 0);
}

function renderSession() {
  const s = state.session;
  ui.session.dataset.userId = s ? String(s.id) : '';
  ui.session.dataset.userName = s ? s.user_name : '';
  ui.session.textContent = s ? `Customer ${s.user_name.replace(/^kiosk-/, '').slice(0, 8)}` : '';
  const ready = !!s;
  document.body.dataset.state = ready ? 'ready' : 'starting';
  for (const b of ui.coins.querySelectorAll('button')) b.disabled = !ready || state.pending.has('insert');
  ui.done.disabled = !ready;
  renderButtons();
}

function imageUrl(image) {
  if (typeof image !== 'string' || !image || image.includes('/') || image.includes('\\')) return PLACEHOLDER;
  return IMAGES + encodeURIComponent(image);
}

function buildCard(p) {
  const img = el('img', { 'data-testid': `image-${p.id}`, alt: '', draggable: 'false', decoding: 'async' });
  img.addEventListener('error', () => {
    // Fall back once: a broken placeholder must not loop.
    if (!img.src.endsWith(PLACEHOLDER)) img.src = PLACEHOLDER;
  });
  const card = el('article', { class: 'card', 'data-testid': `product-${p.id}`, 'data-product-id': p.id },
    el('div', { class: 'media' },
      img,
      el('span', { class: 'tag refundable', 'data-testid': `refundable-${p.id}`, text: 'Refundable' }),
      el('span', { class: 'ribbon', 'data-testid': `soldout-${p.id}`, text: 'Sold out' })),
    el('div', { class: 'info' },
      el('h3', { class: 'name', 'data-testid': `name-${p.id}` }),
      el('div', { class: 'meta' },
        el('span', { class: 'price', 'data-testid': `price-${p.id}` }),
        el('span', { class: 'stock', 'data-testid': `stock-${p.id}` }))),
    el('button', { type: 'button', class: 'buy', 'data-testid': `buy-${p.id}`, 'data-product-id': p.id }));
  return card;
}

function updateCard(card, p) {
  const count = Number.isSafeInteger(p.count) && p.count > 0 ? p.count : 0;
  const soldOut = count === 0;
  card.dataset.price = String(p.price);
  card.dataset.count = String(count);
  card.classList.toggle('sold-out', soldOut);
  card.classList.toggle('low', !soldOut && count <= LOW_STOCK);

  const img = card.querySelector('img');
  const want = imageUrl(p.image);
  if (img.dataset.image !== want) {
    img.dataset.image = want;
    img.src = want;
  }
  img.alt = p.name;

  card.querySelector('.name').textContent = p.name;
  const price = card.querySelector('.price');
  price.textContent = formatCents(p.price);
  price.dataset.cents = String(p.price);
  const stock = card.querySelector('.stock');
  stock.dataset.count = String(count);
  stock.textContent = soldOut ? 'Sold out' : count <= LOW_STOCK ? `Only ${count} left` : `${count} left`;
  card.querySelector('.refundable').hidden = !p.is_refundable;
  card.querySelector('.ribbon').hidden = !soldOut;
}

function renderProducts() {
  const grid = ui.grid;
  const seen = new Set();
  let prev = null;
  for (const p of state.products.values()) {
    const key = String(p.id);
    seen.add(key);
    let card = grid.querySelector(`:scope > [data-product-id="${CSS.escape(key)}"]`);
    if (!card) card = buildCard(p);
    updateCard(card, p);
    // Keep API order without re-inserting nodes that are already in place.
    const want = prev ? prev.nextElementSibling : grid.firstElementChild;
    if (want !== card) grid.insertBefore(card, want);
    prev = card;
  }
  for (const card of [...grid.children]) {
    if (!seen.has(card.dataset.productId)) card.remove();
  }
  ui.catalogEmpty.hidden = state.products.size > 0;
  ui.catalogEmpty.textContent = state.productsApplied ? 'No products in this machine right now.' : 'Loading products…';
  renderButtons();
  renderAffordability();
  renderOrders(); // order names come from the catalog
}

function renderButtons() {
  const ready = !!state.session;
  for (const p of state.products.values()) {
    const btn = ui.grid.querySelector(`[data-testid="buy-${CSS.escape(String(p.id))}"]`);
    if (!btn) continue;
    const soldOut = !(p.count > 0);
    const busy = state.pending.has(`buy-${p.id}`);
    btn.disabled = !ready || soldOut || busy;
    btn.classList.toggle('busy', busy);
    btn.textContent = soldOut ? 'Sold out' : busy ? 'Dispensing…' : `Buy ${formatCents(p.price)}`;
    btn.setAttribute('aria-label', soldOut ? `${p.name}, sold out` : `Buy ${p.name} for ${formatCents(p.price)}`);
  }
}

function renderAffordability() {
  const balance = state.session ? state.session.balance : 0;
  for (const p of state.products.values()) {
    const card = ui.grid.querySelector(`[data-testid="product-${CSS.escape(String(p.id))}"]`);
    if (card) card.classList.toggle('affordable', p.count > 0 && p.price <= balance);
  }
}

function renderOrders() {
  const list = ui.orders;
  list.replaceChildren();
  for (const o of state.orders) {
    const p = state.products.get(o.product_id);
    const name = p ? p.name : `Product #${o.product_id}`;
    const refunded = o.status === 'refunded';
    const li = el('li', { class: `order ${refunded ? 'refunded' : 'paid'}`, 'data-testid': `order-${o.id}`, 'data-status': o.status, 'data-product-id': o.product_id },
      el('img', { class: 'order-thumb', alt: '', src: p ? imageUrl(p.image) : PLACEHOLDER }),
      el('div', { class: 'order-main' },
        el('span', { class: 'order-name', text: name }),
        el('span', { class: 'order-sub', text: [formatCents(o.price), formatTime(o.created_at)].filter(Boolean).join(' · ') })));
    const thumb = li.querySelector('img');
    thumb.addEventListener('error', () => { if (!thumb.src.endsWith(PLACEHOLDER)) thumb.src = PLACEHOLDER; });

    if (refunded) {
      li.append(el('span', { class: 'status refunded', text: 'Refunded' }));
    } else if (o.status === 'paid' && p && p.is_refundable) {
      const busy = state.pending.has(`refund-${o.id}`);
      li.append(el('button', {
        type: 'button', class: 'refund', 'data-testid': `refund-order-${o.id}`, 'data-order-id': o.id,
        disabled: busy || !state.session, text: busy ? 'Refunding…' : 'Refund',
        'aria-label': `Refund ${name}, ${formatCents(o.price)}`,
      }));
    } else {
      li.append(el('span', { class: 'status', text: o.status === 'paid' ? 'Paid' : o.status }));
    }
    list.append(li);
  }
  ui.ordersEmpty.hidden = state.orders.length > 0;
}

function setOnline(online) {
  ui.connection.dataset.online = String(online);
}

// ---------------------------------------------------------------------------------
// Loading

async function refreshProducts() {
  const seq = ++state.productsSeq;
  try {
    const list = await api('GET', '/products');
    if (!Array.isArray(list)) throw new ApiError(200, 'bad_response', 'products is not a list');
    // Replies can overtake each other; an older snapshot never replaces a newer one.
    if (seq < state.productsApplied) return;
    state.productsApplied = seq;
    const next = new Map();
    for (const p of list) {
      if (p && (typeof p.id === 'number' || typeof p.id === 'string')) next.set(p.id, p);
    }
    state.products = next;
    setOnline(true);
    renderProducts();
  } catch (err) {
    // Keep showing the last grid; the next poll or action retries.
    if (err.status === 0 || err.status >= 500) setOnline(false);
  }
}

async function refreshOrders() {
  const s = state.session;
  if (!s) return;
  const epoch = state.epoch;
  const seq = ++state.ordersSeq;
  try {
    const list = await api('GET', `/users/${encodeURIComponent(s.id)}/orders?${q(s.user_name)}`);
    if (epoch !== state.epoch || seq < state.ordersApplied || !Array.isArray(list)) return;
    state.ordersApplied = seq;
    state.orders = list;
    renderOrders();
  } catch {
    // The list is informational; the next buy/refund reloads it.
  }
}

// ---------------------------------------------------------------------------------
// Customer actions

function touch() {
  state.lastActivity = Date.now();
}

function setPending(key, on) {
  if (on) state.pending.add(key); else state.pending.delete(key);
}

async function insertMoney(cents) {
  const s = state.session;
  if (!s || state.pending.has('insert')) return;
  const epoch = state.epoch;
  setPending('insert', true);
  renderSession();
  try {
    const u = await api('POST', `/users/${encodeURIComponent(s.id)}/add_balance`, { user_name: s.user_name, amount: cents });
    if (epoch !== state.epoch) return;
    setBalance(u.balance);
    setOnline(true);
    showMessage('success', `${formatCents(cents)} added. Your credit: ${formatCents(u.balance)}.`);
  } catch (err) {
    if (epoch !== state.epoch) return;
    if (err.status === 0) setOnline(false);
    showMessage('error', describeError(err, 'insert', null));
  } finally {
    setPending('insert', false);
    if (epoch === state.epoch) renderSession();
  }
}

async function buy(productId) {
  const s = state.session;
  const key = `buy-${productId}`;
  const product = state.products.get(productId);
  if (!s || !product || state.pending.has(key)) return;
  const epoch = state.epoch;
  // One key per tap: a retry of this tap is safe, a second tap is a second purchase.
  const idempotencyKey = randomId();
  const body = { user_name: s.user_name, product_id: product.id, idempotency_key: idempotencyKey };
  setPending(key, true);
  renderButtons();
  try {
    let r;
    try {
      r = await api('POST', `/products/${encodeURIComponent(product.id)}/buy`, body);
    } catch (err) {
      if (err.status !== 0) throw err;
      await sleep(800); // lost answer: the same key makes the retry charge at most once
      r = await api('POST', `/products/${encodeURIComponent(product.id)}/buy`, body);
    }
    if (epoch !== state.epoch) return;
    setBalance(r.balance);
    setOnline(true);
    showMessage('success', `Enjoy your ${product.name}! Please take it from the tray below.`);
  } catch (err) {
    if (epoch !== state.epoch) return;
    if (err.status === 0) setOnline(false);
    showMessage('error', describeError(err, 'buy', product));
  } finally {
    setPending(key, false);
    renderButtons();
    refreshProducts();
    refreshOrders();
  }
}

async function refund(orderId) {
  const s = state.session;
  const key = `refund-${orderId}`;
  const order = state.orders.find((o) => String(o.id) === String(orderId));
  if (!s || !order || state.pending.has(key)) return;
  const product = state.products.get(order.product_id) || { id: order.product_id, name: 'this item' };
  const epoch = state.epoch;
  setPending(key, true);
  renderOrders();
  try {
    const r = await api('POST', `/products/${encodeURIComponent(order.product_id)}/refund`, {
      user_name: s.user_name, product_id: order.product_id, order_id: order.id,
    });
    if (epoch !== state.epoch) return;
    setBalance(r.balance);
    setOnline(true);
    showMessage('success', `${product.name} refunded: ${formatCents(order.price)} is back in your credit.`);
  } catch (err) {
    if (epoch !== state.epoch) return;
    if (err.status === 0) setOnline(false);
    showMessage('error', describeError(err, 'refund', product));
  } finally {
    setPending(key, false);
    if (epoch === state.epoch) renderOrders();
    refreshProducts();
    refreshOrders();
  }
}

/** Forget the current customer and register a new one; retries until vend-edge answers. */
async function startSession() {
  const epoch = ++state.epoch;
  state.session = null;
  state.orders = [];
  state.pending.clear();
  renderSession();
  renderBalance();
  renderOrders();
  touch();
  for (let attempt = 0; epoch === state.epoch; attempt++) {
    const userName = `kiosk-${randomId()}`;
    try {
      const u = await api('POST', '/users', { user_name: userName });
      if (epoch !== state.epoch) return;
      state.session = { id: u.id, user_name: u.user_name || userName, balance: Number.isSafeInteger(u.balance) ? u.balance : 0 };
      setOnline(true);
      break;
    } catch (err) {
      if (epoch !== state.epoch) return;
      if (err.status === 0 || err.status >= 500) setOnline(false);
      ui.startingText.textContent = 'Machine is connecting… please wait';
      await sleep(Math.min(1000 * 2 ** attempt, 10_000));
    }
  }
  ui.startingText.textContent = 'Getting ready for you…';
  renderSession();
  renderBalance();
  renderAffordability();
  renderOrders();
}

function askDone() {
  const s = state.session;
  if (!s) return;
  if (s.balance > 0) {
    ui.doneText.textContent = `You still have ${formatCents(s.balance)} credit. Keep shopping to use it: once you finish, it can no longer be spent on this screen.`;
    ui.doneDialog.hidden = false;
    ui.doneConfirm.focus();
    return;
  }
  finishSession();
}

function finishSession() {
  ui.doneDialog.hidden = true;
  clearMessage();
  showMessage('info', 'Thank you! Have a nice day.');
  startSession().then(() => refreshProducts());
}

// ---------------------------------------------------------------------------------
// Wiring

function init() {
  ui.balance = $('[data-testid="balance"]');
  ui.balanceAmount = $('[data-testid="balance-amount"]');
  ui.grid = $('[data-testid="product-grid"]');
  ui.catalogEmpty = $('[data-testid="catalog-empty"]');
  ui.coins = $('[data-testid="coins"]');
  ui.orders = $('[data-testid="orders"]');
  ui.ordersEmpty = $('[data-testid="orders-empty"]');
  ui.done = $('[data-testid="done"]');
  ui.session = $('[data-testid="session"]');
  ui.message = $('[data-testid="message"]');
  ui.connection = $('[data-testid="connection"]');
  ui.doneDialog = $('[data-testid="done-dialog"]');
  ui.doneText = $('[data-testid="done-dialog-text"]');
  ui.doneConfirm = $('[data-testid="done-confirm"]');
  ui.startingText = $('.starting-text');

  for (const m of MONEY) {
    ui.coins.append(el('button', {
      type: 'button', class: `money ${m.kind}`, 'data-testid': `insert-${m.cents}`, 'data-cents': m.cents,
      'aria-label': `Insert ${m.label}`, disabled: true,
    }, el('span', { class: 'money-value', text: m.label }), el('span', { class: 'money-kind', text: m.kind })));
  }

  ui.coins.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-cents]');
    if (b && !b.disabled) insertMoney(Number(b.dataset.cents));
  });
  ui.grid.addEventListener('click', (e) => {
    const b = e.target.closest('button.buy');
    if (!b || b.disabled) return;
    const key = [...state.products.keys()].find((k) => String(k) === b.dataset.productId);
    if (key !== undefined) buy(key);
  });
  ui.orders.addEventListener('click', (e) => {
    const b = e.target.closest('button.refund');
    if (b && !b.disabled) refund(b.dataset.orderId);
  });
  ui.done.addEventListener('click', askDone);
  ui.doneConfirm.addEventListener('click', finishSession);
  $('[data-testid="done-cancel"]').addEventListener('click', () => { ui.doneDialog.hidden = true; });
  ui.message.addEventListener('click', () => ui.message.classList.remove('show'));

  for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, touch, { passive: true });
  // Kiosk screens: no long-press context menu, no pinch/double-tap zoom side effects.
  document.addEventListener('contextmenu', (e) => e.preventDefault());

  setInterval(() => {
    refreshProducts();
    const s = state.session;
    if (s && s.balance === 0 && ui.doneDialog.hidden && state.pending.size === 0 &&
        Date.now() - state.lastActivity > IDLE_RESET_MS && state.orders.length > 0) {
      // The last customer walked away without tapping Done and has no credit left.
      startSession();
    }
  }, REFRESH_MS);

  renderBalance();
  startSession();
  refreshProducts();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
