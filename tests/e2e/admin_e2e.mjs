// End-to-end test of the admin portal in headless Chromium against a real stack
// (vend-cloud + PostgreSQL + Mosquitto + two vend-edge agents), started by
// run_admin_e2e.sh.
//
// env: ADMIN_URL        vend-cloud base URL (serves the portal and /api/v1)
//      ADMIN_USER / ADMIN_PASSWORD   the first admin, created by vend-cloud from the env
//      EDGE1_URL, EDGE1_ID, EDGE2_URL, EDGE2_ID   the kiosk APIs and ids of the agents
//      SCREENSHOT_DIR   where to write PNGs (optional)
//      CHROMIUM         browser binary (default /usr/bin/chromium)
//
// Expects the catalog run_admin_e2e.sh seeds: Cola (1) 150 x10, Water (2) 100 x5,
// Chips (3) 225 x4 on both machines. Every change made in the browser is checked where
// it lands: the admin API, the edge's own kiosk API, the orders list and the CSV.

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ADMIN_URL = process.env.ADMIN_URL;
const ADMIN_USER = process.env.ADMIN_USER || 'admin';
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD;
const EDGE1 = { url: process.env.EDGE1_URL, id: process.env.EDGE1_ID || 'e2e-1' };
const EDGE2 = { url: process.env.EDGE2_URL, id: process.env.EDGE2_ID || 'e2e-2' };
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 10_000;
const SYNC_DEADLINE_MS = 30_000; // a command or an event crossing the broker
const OVERALL_TIMEOUT_MS = 230_000; // below the ctest TIMEOUT of 240 s, so we report first

const COLA = 1;
const WATER = 2;

class Failure extends Error {}

function check(cond, msg) {
  if (!cond) throw new Failure(msg);
}

function eq(actual, expected, what) {
  if (actual !== expected) {
    throw new Failure(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

function log(msg) {
  console.log(`  ${msg}`);
}

const tid = (id) => `[data-testid="${id}"]`;

/** Polls `fn` (async, returns a truthy value when done) until `deadline` ms pass. */
async function until(what, fn, deadlineMs = SYNC_DEADLINE_MS) {
  const end = Date.now() + deadlineMs;
  let last;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e instanceof Failure ? e.message : String(e);
    }
    if (Date.now() > end) throw new Failure(`timed out after ${deadlineMs / 1000} s waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

// ---------------------------------------------------------------------------- edge REST

async function edgeJson(edge, method, p, body, want) {
  const res = await fetch(new URL(p, edge.url), {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  check(res.status === want, `${edge.id} ${method} ${p}: expected HTTP ${want}, got ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

const edgeProduct = (edge, id) => edgeJson(edge, 'GET', `/api/v1/products/${id}`, undefined, 200);

/** A customer on the edge's kiosk API who deposits and buys one product. */
async function kioskSale(edge, productId, depositCents) {
  const user = await edgeJson(edge, 'POST', '/api/v1/users', { user_name: `e2e-buyer-${Date.now()}` }, 201);
  await edgeJson(edge, 'POST', `/api/v1/users/${user.id}/add_balance`, { user_name: user.user_name, amount: depositCents }, 200);
  const r = await edgeJson(edge, 'POST', `/api/v1/products/${productId}/buy`, { user_name: user.user_name, product_id: productId }, 201);
  return { user, order: r.order };
}

// ---------------------------------------------------------------------------- page helpers

async function waitFor(page, what, fn, arg, timeout = STEP_TIMEOUT_MS) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch {
    throw new Failure(`timed out waiting for ${what} on ${page.url()}`);
  }
}

async function visit(page, p, readySelector) {
  await page.goto(new URL(p, ADMIN_URL).href, { waitUntil: 'load' });
  await waitFor(page, `${p} to finish loading`, () => ['ready', 'error'].includes(document.body.dataset.state));
  if (readySelector) {
    try {
      await page.waitForSelector(readySelector, { timeout: STEP_TIMEOUT_MS });
    } catch {
      const err = await page.$eval(tid('error-view'), (e) => e.textContent).catch(() => '');
      throw new Failure(`${p}: ${readySelector} did not appear${err ? ` (error view: ${err.trim()})` : ''}`);
    }
  }
}

async function text(page, selector) {
  return (await page.textContent(selector, { timeout: STEP_TIMEOUT_MS })).trim();
}

/** Calls the admin API from inside the page, as the portal does (cookie + CSRF token). */
async function pageApi(page, method, p, body) {
  return page.evaluate(async ([m, url, b]) => {
    const me = await fetch('/api/v1/auth/me', { credentials: 'same-origin' }).then((r) => r.json());
    const res = await fetch(url, {
      method: m,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
      body: b === null ? undefined : JSON.stringify(b),
    });
    const t = await res.text();
    let json = null;
    try { json = JSON.parse(t); } catch { json = null; }
    return { status: res.status, json, requestId: res.headers.get('X-Request-Id') };
  }, [method, p, body ?? null]);
}

async function screenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.evaluate(() => document.querySelector('[data-testid="toast"]')?.setAttribute('hidden', ''));
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

async function login(page, user, password) {
  await visit(page, '/login', tid('login-form'));
  await page.fill(tid('login-username'), user);
  await page.fill(tid('login-password'), password);
  await page.click(tid('login-submit'));
  await waitFor(page, `${user} to be signed in`, () => location.pathname !== '/login' && document.body.dataset.state !== 'loading');
}

/** Every control that changes something carries data-mutating; an operator sees none. */
async function expectReadOnly(page, where) {
  const visible = await page.$$eval('[data-mutating]', (l) => l.map((e) => e.dataset.testid || e.textContent.trim()));
  eq(visible.length, 0, `${where}: mutating controls shown to an operator (${visible.join(', ')})`);
  check(await page.isVisible(tid('readonly-badge')), `${where}: the Read-only badge is shown`);
}

// ---------------------------------------------------------------------------- scenario

const NEW_USER = `olga_${Date.now().toString(36)}`;
const NEW_PASSWORD = 'operator-password-1';
const state = {};

async function testRegistrationAndApproval({ admin, operator }) {
  await visit(operator, '/register', tid('register-form'));
  await operator.fill(tid('register-username'), NEW_USER);
  await operator.fill(tid('register-email'), `${NEW_USER}@example.com`);
  await operator.fill(tid('register-password'), NEW_PASSWORD);
  await operator.fill(tid('register-confirm'), 'something-else');
  await operator.click(tid('register-submit'));
  check(/differ/.test(await text(operator, tid('register-error'))), 'mismatched passwords are refused in the form');
  await operator.fill(tid('register-confirm'), NEW_PASSWORD);
  await operator.click(tid('register-submit'));
  await operator.waitForSelector(tid('register-done'), { timeout: STEP_TIMEOUT_MS });
  log(`registered ${NEW_USER}`);

  // Registering the same name again shows the API's own message inline.
  await visit(operator, '/register', tid('register-form'));
  await operator.fill(tid('register-username'), NEW_USER);
  await operator.fill(tid('register-email'), `other-${NEW_USER}@example.com`);
  await operator.fill(tid('register-password'), NEW_PASSWORD);
  await operator.fill(tid('register-confirm'), NEW_PASSWORD);
  await operator.click(tid('register-submit'));
  const dup = await text(operator, tid('register-error'));
  check(dup.length > 0 && !/^HTTP/.test(dup), `a taken username shows the API's message, got "${dup}"`);

  await login(operator, NEW_USER, NEW_PASSWORD);
  await operator.waitForSelector(tid('waiting-approval'), { timeout: STEP_TIMEOUT_MS });
  eq(await operator.$(tid('nav')), null, 'navigation shown to an unapproved account');
  const blocked = await pageApi(operator, 'GET', '/api/v1/machines');
  eq(blocked.status, 403, 'GET /machines by an unapproved account');
  eq(blocked.json?.error?.code, 'not_approved', 'error code for an unapproved account');
  await screenshot(operator, 'admin-waiting-approval');
  log('unapproved account sees "waiting for approval"; the API answers 403 not_approved');

  // Wrong password: inline error, still on the login page.
  await visit(admin, '/login', tid('login-form'));
  await screenshot(admin, 'admin-login');
  await admin.fill(tid('login-username'), ADMIN_USER);
  await admin.fill(tid('login-password'), 'not-the-password');
  await admin.click(tid('login-submit'));
  check(/wrong username or password/i.test(await text(admin, tid('login-error'))), 'a wrong password shows an inline error');

  await login(admin, ADMIN_USER, ADMIN_PASSWORD);
  await admin.waitForSelector(tid('kpis'), { timeout: STEP_TIMEOUT_MS });
  eq(await text(admin, tid('role-badge')), 'Admin', 'role badge of the admin');
  eq(await admin.$(tid('readonly-badge')), null, 'Read-only badge for an admin');
  check(Number(await admin.getAttribute(tid('kpi-pending-accounts'), 'data-value')) >= 1, 'the pending-accounts KPI counts the new user');

  await visit(admin, '/accounts?status=pending', tid(`account-row-${NEW_USER}`));
  eq(await admin.getAttribute(tid(`account-row-${NEW_USER}`), 'data-approved'), 'false', 'new account before approval');
  await admin.click(tid(`approve-${NEW_USER}`));
  await visit(admin, '/accounts', tid(`account-row-${NEW_USER}`));
  await waitFor(admin, `${NEW_USER} approved`, (u) => document.querySelector(`[data-testid="account-row-${u}"]`)?.dataset.approved === 'true', NEW_USER);
  eq(await admin.getAttribute(tid(`account-row-${NEW_USER}`), 'data-role'), '100', 'role of the approved account');
  eq(await admin.$(tid(`approve-${ADMIN_USER}`)), null, 'approve/role controls on the admin\'s own row');
  await screenshot(admin, 'admin-accounts');
  log(`admin approved ${NEW_USER} on the accounts page`);
}

async function testOperatorIsReadOnly({ operator }) {
  await visit(operator, '/', tid('machine-table'));
  eq(await text(operator, tid('role-badge')), 'Operator', 'role badge of the operator');
  eq(await operator.$(tid('kpi-pending-accounts')), null, 'pending-accounts KPI for an operator');
  await expectReadOnly(operator, 'overview');
  for (const [p, sel] of [[`/machines/${EDGE1.id}`, 'stock-table'], ['/catalog', 'product-table'], ['/orders', 'order-filters'],
    ['/accounts', 'accounts-table'], ['/audit', 'page-title'], ['/alerts', 'page-title']]) {
    await visit(operator, p, tid(sel));
    await expectReadOnly(operator, p);
  }
  await visit(operator, `/machines/${EDGE1.id}`, tid('stock-table'));
  await screenshot(operator, 'admin-operator-machine');
  const r = await pageApi(operator, 'PUT', `/api/v1/machines/${EDGE1.id}/prices/${COLA}`, { price: 1 });
  eq(r.status, 403, 'an operator changing a price (with a valid CSRF token)');
  eq(r.json?.error?.code, 'forbidden', 'error code of an operator mutation');
  check(typeof r.requestId === 'string' && r.requestId.length > 0, 'the 403 carries X-Request-Id');
  const p = await pageApi(operator, 'POST', '/api/v1/products', { name: 'Nope', price: 1 });
  eq(p.status, 403, 'an operator creating a product');
  log('operator: every page without mutating controls, Read-only badge; API answers 403 forbidden');
}

async function testPriceAndRestock({ admin }) {
  // The seed's stock commands must have reached the edge before we compare counts.
  await until(`${EDGE1.id} to apply the seeded stock`, async () => (await edgeProduct(EDGE1, WATER)).count === 5);
  await until(`${EDGE1.id} to show online`, async () => {
    const r = await pageApi(admin, 'GET', `/api/v1/machines/${EDGE1.id}`);
    return r.status === 200 && r.json.machine.online;
  });

  await visit(admin, `/machines/${EDGE1.id}`, tid(`stock-row-${COLA}`));
  eq(await admin.getAttribute(tid(`stock-row-${COLA}`), 'data-price'), '150', 'Cola price on the machine page');
  eq(await text(admin, tid(`stock-price-${COLA}`)), '$1.50', 'Cola price text');

  // A bad price is refused in the form, nothing sent.
  await admin.fill(tid(`price-input-${COLA}`), '1.999');
  await admin.click(tid(`price-set-${COLA}`));
  check(/Enter a price/.test(await text(admin, tid(`row-error-${COLA}`))), 'an invalid price shows an inline error');

  await admin.fill(tid(`price-input-${COLA}`), '1.75');
  await admin.click(tid(`price-set-${COLA}`));
  await waitFor(admin, 'the Cola override in the stock table', (id) => document.querySelector(`[data-testid="stock-row-${id}"]`)?.dataset.override === '175', COLA);
  const t0 = Date.now();
  await until(`${EDGE1.id}'s kiosk API to sell Cola at 175`, async () => (await edgeProduct(EDGE1, COLA)).price === 175);
  log(`price override $1.75 on ${EDGE1.id} reached the edge in ${Date.now() - t0} ms`);
  eq((await edgeProduct(EDGE2, COLA)).price, 150, `Cola price on ${EDGE2.id} (no override there)`);

  const before = (await edgeProduct(EDGE1, WATER)).count;
  await admin.fill(tid(`restock-input-${WATER}`), '7');
  await admin.click(tid(`restock-${WATER}`));
  const t1 = Date.now();
  await until(`${EDGE1.id}'s Water count to rise by 7`, async () => (await edgeProduct(EDGE1, WATER)).count === before + 7);
  log(`restock +7 Water: edge count ${before} -> ${before + 7} in ${Date.now() - t1} ms`);
  await waitFor(admin, 'the machine page to show the new Water count',
    ([id, c]) => document.querySelector(`[data-testid="stock-row-${id}"]`)?.dataset.count === String(c), [WATER, before + 7], SYNC_DEADLINE_MS);

  const audit = await pageApi(admin, 'GET', '/api/v1/audit?action=price.set');
  check(audit.status === 200 && audit.json.entries.some((e) => e.actor === ADMIN_USER), 'the price change is in the audit log');
}

async function testSaleShowsInOrders({ admin }) {
  const { order, user } = await kioskSale(EDGE1, COLA, 500);
  eq(order.price, 175, 'the edge charged the overridden price');
  state.sale = { order, user };
  log(`kiosk sale on ${EDGE1.id}: order ${order.uuid} for 175`);

  await until('the sale to appear on the orders page', async () => {
    await visit(admin, `/orders?machine=${EDGE1.id}`, tid('order-filters'));
    return (await admin.$(tid(`order-row-${order.uuid}`))) !== null;
  });
  const row = tid(`order-row-${order.uuid}`);
  eq(await admin.getAttribute(row, 'data-price'), '175', 'price of the synced order');
  eq(await admin.getAttribute(row, 'data-status'), 'paid', 'status of the synced order');
  eq(await text(admin, tid(`order-price-${order.uuid}`)), '$1.75', 'price text of the synced order');
  // Only this machine's orders are listed under the filter.
  const machines = await admin.$$eval('[data-testid^="order-row-"]', (l) => [...new Set(l.map((r) => r.dataset.machine))]);
  eq(JSON.stringify(machines), JSON.stringify([EDGE1.id]), 'machines listed under the machine filter');
  await screenshot(admin, 'admin-orders');

  // CSV download built from the same filters contains the sale.
  const [download] = await Promise.all([admin.waitForEvent('download', { timeout: STEP_TIMEOUT_MS }), admin.click(tid('orders-csv'))]);
  const file = await download.path();
  const csv = fs.readFileSync(file, 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  eq(lines[0], 'uuid,machine,order_id,created_at,customer_id,user_name,product_id,product_name,price_cents,status,refunded_at,refund_cents', 'CSV header');
  const line = lines.find((l) => l.startsWith(`${order.uuid},`));
  check(line && line.includes(`,${EDGE1.id},`) && line.includes(',175,paid,'), `the CSV has the sale: ${line}`);
  check(/^orders-.*\.csv$/.test(download.suggestedFilename()), `CSV file name: ${download.suggestedFilename()}`);
  log(`CSV download (${lines.length - 1} rows) contains the sale`);

  await admin.click(tid(`order-link-${order.uuid}`));
  await admin.waitForSelector(tid('order-detail'), { timeout: STEP_TIMEOUT_MS });
  eq(await text(admin, tid('order-price')), '$1.75', 'price on the order detail page');

  await visit(admin, `/machines/${EDGE1.id}`, tid(`machine-order-${order.uuid}`));
  await waitFor(admin, "today's sale in the daily sales chart", (c) =>
    [...document.querySelectorAll('[data-testid="sales-chart"] rect.chart-bar')].some((b) => Number(b.dataset.cents) >= c), 175);
  await screenshot(admin, 'admin-machine');
}

// The smallest valid PNG: a 2x2 blue image.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001049444154789c63d0' +
  'aff906440c100a002a8e0685b8c22b620000000049454e44ae426082', 'hex');

async function testCatalog({ admin }) {
  await visit(admin, '/catalog', tid('product-table'));
  const name = `E2E Gum ${Date.now().toString(36)}`;
  await admin.click(tid('product-new'));
  await admin.fill(tid('product-name'), name);
  await admin.fill(tid('product-price'), '0.3');
  await admin.fill(tid('product-threshold'), '4');
  await admin.check(tid('product-refundable'));
  await admin.click(tid('product-save'));
  await admin.waitForSelector(tid('product-dialog'), { state: 'detached', timeout: STEP_TIMEOUT_MS });
  const list = await pageApi(admin, 'GET', '/api/v1/products');
  const p = list.json.products.find((x) => x.name === name);
  check(p, `the new product is in GET /products: ${JSON.stringify(list.json).slice(0, 300)}`);
  eq(p.price, 30, 'price of "0.3" in cents (no float error)');
  eq(p.low_stock_threshold, 4, 'low-stock threshold');
  eq(p.is_refundable, true, 'refundable flag');
  await admin.waitForSelector(tid(`product-row-${p.id}`), { timeout: STEP_TIMEOUT_MS });
  eq(await text(admin, tid(`product-price-${p.id}`)), '$0.30', 'price text of the new product');

  // A file whose bytes are not what its type claims: the API's message is shown.
  await admin.setInputFiles(tid(`image-input-${p.id}`), { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('this is not a png') });
  await waitFor(admin, 'an inline error for a bad image', (id) => document.querySelector(`[data-testid="row-error-${id}"]`)?.textContent.trim() !== '', p.id);
  const bad = await text(admin, tid(`row-error-${p.id}`));
  log(`bad image refused: "${bad}"`);

  await admin.setInputFiles(tid(`image-input-${p.id}`), { name: 'gum.png', mimeType: 'image/png', buffer: PNG });
  await waitFor(admin, 'the uploaded thumbnail to load', (id) => {
    const img = document.querySelector(`[data-testid="thumb-${id}"]`);
    return img && img.complete && img.naturalWidth === 2;
  }, p.id);
  log(`created ${name} (#${p.id}) at $0.30 and uploaded its image; the thumbnail loads`);

  // Edit the price, then delete with the confirm dialog (cancel first).
  await admin.click(tid(`product-edit-${p.id}`));
  await admin.fill(tid('product-price'), '1,000.05');
  await admin.click(tid('product-save'));
  await waitFor(admin, 'the edited price', (id) => document.querySelector(`[data-testid="product-row-${id}"]`)?.dataset.price === '100005', p.id);
  await screenshot(admin, 'admin-catalog');
  await admin.click(tid(`product-delete-${p.id}`));
  await admin.click(tid('confirm-cancel'));
  check(await admin.$(tid(`product-row-${p.id}`)), 'the product stays after Cancel');
  await admin.click(tid(`product-delete-${p.id}`));
  await admin.click(tid('confirm-ok'));
  await admin.waitForSelector(tid(`product-row-${p.id}`), { state: 'detached', timeout: STEP_TIMEOUT_MS });
  log('edited the price to $1,000.05 (100005 cents) and deleted it after confirming');
}

async function testAuditAndErrorViews({ admin, operator }) {
  await visit(admin, '/audit', tid('audit-table'));
  const first = await admin.$eval('[data-testid^="audit-row-"]', (r) => r.dataset.testid.slice('audit-row-'.length));
  const actions = await admin.$$eval('[data-testid^="audit-row-"]', (l) => l.map((r) => r.dataset.action));
  for (const a of ['account.approve', 'price.set', 'stock.add', 'product.create', 'product.image', 'product.update', 'product.delete']) {
    check(actions.includes(a), `audit log lists ${a}: ${actions.join(', ')}`);
  }
  const priceRow = await admin.$eval('[data-testid^="audit-row-"][data-action="price.set"]', (r) => r.dataset.testid.slice('audit-row-'.length));
  await admin.click(tid(`audit-toggle-${priceRow}`));
  await admin.waitForSelector(tid(`audit-diff-${priceRow}`), { state: 'visible', timeout: STEP_TIMEOUT_MS });
  const changed = await admin.$$eval(`${tid(`audit-diff-${priceRow}`)} tr[data-changed="true"]`, (l) => l.map((r) => r.textContent));
  check(changed.some((t) => t.includes('175')), `the price.set diff shows the new price: ${JSON.stringify(changed)}`);
  await screenshot(admin, 'admin-audit');
  log(`audit log: ${actions.length} entries (newest ${first}); price.set diff shows 175`);

  await visit(admin, '/', tid('machine-table'));
  await waitFor(admin, 'both machines in the overview', () => document.querySelectorAll('[data-testid^="machine-row-"]').length === 2);
  eq(await admin.getAttribute(tid(`machine-row-${EDGE1.id}`), 'data-online'), 'true', `${EDGE1.id} shown online`);
  await screenshot(admin, 'admin-overview');
  await visit(admin, '/alerts', tid('page-title'));
  await screenshot(admin, 'admin-alerts');

  // 404: an unknown page and an unknown machine.
  await visit(admin, '/no-such-page', tid('error-view'));
  eq(await admin.getAttribute(tid('error-view'), 'data-status'), '404', 'status of an unknown page');
  await visit(admin, '/machines/no-such-machine', tid('error-view'));
  eq(await admin.getAttribute(tid('error-view'), 'data-status'), '404', 'status of an unknown machine');
  await screenshot(admin, 'admin-404');

  // 403 and 500 views: no approved account gets a 403 or a 500 for a GET, so the
  // browser is made to see one; the view must show the code and the request id.
  await operator.route('**/api/v1/audit*', (r) => r.fulfill({ status: 403, contentType: 'application/json', headers: { 'X-Request-Id': 'req-403' }, body: JSON.stringify({ error: { code: 'forbidden', message: 'admin role required' } }) }));
  await visit(operator, '/audit', tid('error-view'));
  eq(await operator.getAttribute(tid('error-view'), 'data-status'), '403', 'status of the 403 view');
  await screenshot(operator, 'admin-403');
  await operator.unroute('**/api/v1/audit*');
  await operator.route('**/api/v1/alerts*', (r) => r.fulfill({ status: 500, contentType: 'application/json', headers: { 'X-Request-Id': 'req-7f3a9c' }, body: JSON.stringify({ error: { code: 'internal', message: 'internal error' } }) }));
  await visit(operator, '/alerts', tid('error-view'));
  eq(await text(operator, tid('error-request-id')), 'req-7f3a9c', 'the 500 view shows the request id');
  await operator.unroute('**/api/v1/alerts*');
  log('404 (page, machine), 403 and 500 (with request id) views');

  // 401: after logout the portal sends the user to the login page with a message.
  await visit(operator, '/', tid('machine-table'));
  await operator.click(tid('logout'));
  await operator.waitForSelector(tid('login-form'), { timeout: STEP_TIMEOUT_MS });
  const me = await operator.evaluate(() => fetch('/api/v1/auth/me').then((r) => r.status));
  eq(me, 401, 'GET /auth/me after logout');
  await visit(operator, `/machines/${EDGE1.id}`, tid('login-form'));
  check(new URL(operator.url()).searchParams.get('next') === `/machines/${EDGE1.id}`, `login keeps the page to return to: ${operator.url()}`);
  log('logout ends the session; protected pages lead to /login?next=…');
}

async function testTabletLayout({ admin }) {
  await admin.setViewportSize({ width: 768, height: 1024 });
  for (const p of ['/', `/machines/${EDGE1.id}`, '/orders', '/catalog']) {
    await visit(admin, p, tid('page-title'));
    await admin.waitForTimeout(100); // layout settles after a navigation
    const m = await admin.evaluate(() => {
      const nav = document.querySelector('[data-testid="nav"]').getBoundingClientRect();
      const main = document.querySelector('main').getBoundingClientRect();
      return { sw: document.documentElement.scrollWidth, w: innerWidth, navH: nav.height, navW: nav.width, mainTop: main.top };
    });
    check(m.sw <= m.w, `${p} at 768 px: no horizontal page scroll (content ${m.sw} px)`);
    check(m.navW >= m.w - 1 && m.navH < 80, `${p} at 768 px: the navigation is a top bar (${m.navW}x${m.navH})`);
    check(await admin.isVisible(tid('nav-orders')) && await admin.isVisible(tid('logout')), `${p} at 768 px: nav links and logout visible`);
  }
  await visit(admin, `/machines/${EDGE1.id}`, tid('stock-table'));
  await screenshot(admin, 'admin-machine-768x1024');
  log('768x1024: top-bar navigation, no horizontal scrolling');
}

// ---------------------------------------------------------------------------- runner

async function main() {
  for (const v of ['ADMIN_URL', 'ADMIN_PASSWORD', 'EDGE1_URL', 'EDGE2_URL']) {
    if (!process.env[v]) {
      console.error(`admin e2e: ${v} is not set (run run_admin_e2e.sh)`);
      process.exit(2);
    }
  }
  const overall = setTimeout(() => {
    console.error(`admin e2e: FAILED: still running after ${OVERALL_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }, OVERALL_TIMEOUT_MS);

  const origin = new URL(ADMIN_URL).origin;
  let browser;
  let passed = 0;
  let failed = 0;
  const problems = [];
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const pages = {};
    for (const who of ['admin', 'operator']) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => problems.push(`${who}: uncaught exception in the page: ${e.message}`));
      page.on('console', (msg) => {
        // Chromium logs every non-2xx response itself; the 401/403/404/400s here are expected.
        if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(`${who}: console error: ${msg.text()}`);
      });
      page.on('request', (req) => {
        const u = new URL(req.url());
        if (u.protocol !== 'data:' && u.protocol !== 'blob:' && u.origin !== origin) problems.push(`${who}: request outside vend-cloud: ${req.url()}`);
      });
      pages[who] = page;
    }
    const tests = [
      ['a new user registers, waits, and an admin approves them', testRegistrationAndApproval],
      ['an operator sees every page without mutating controls; the API refuses with 403', testOperatorIsReadOnly],
      ['a price override and a restock reach the edge', testPriceAndRestock],
      ['a kiosk sale shows in the orders page and the CSV', testSaleShowsInOrders],
      ['catalog create, image upload, edit and delete', testCatalog],
      ['audit diff, error views, logout', testAuditAndErrorViews],
      ['the portal works on a 768 px tablet', testTabletLayout],
    ];
    for (const [name, fn] of tests) {
      console.log(`test: ${name}`);
      const before = problems.length;
      try {
        await fn(pages);
        check(problems.length === before, problems.slice(before).join('; '));
        passed++;
        console.log(`ok: ${name}`);
      } catch (e) {
        failed++;
        console.error(`FAILED: ${name}: ${e instanceof Failure ? e.message : e.stack}`);
        for (const [who, page] of Object.entries(pages)) await screenshot(page, `failure-${passed + failed}-${who}`).catch(() => {});
        if (fn === testRegistrationAndApproval) break; // everything after needs the accounts
      }
    }
  } catch (e) {
    failed++;
    console.error(`FAILED: could not run the browser: ${e.stack || e}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    clearTimeout(overall);
  }
  console.log(`admin e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
