// End-to-end test of the kiosk web UI in headless Chromium against a running vend-edge.
//
// env: KIOSK_URL       base URL of vend-edge, e.g. http://127.0.0.1:8080/ (required)
//      SCREENSHOT_DIR  where to write PNGs of the kiosk in portrait and landscape (optional)
//      CHROMIUM        browser binary (default /usr/bin/chromium)
//
// Expects the catalog written by run_kiosk_e2e.sh on a fresh database: Cola (1) 150
// refundable x10, Water (2) 100 not refundable x5, Chips (3) 900 refundable x3, Candy (4)
// sold out, and product 7 whose image file does not exist. Every amount the page shows
// is checked against data-cents and then against the REST API.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const KIOSK_URL = process.env.KIOSK_URL;
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 8_000;
const OVERALL_TIMEOUT_MS = 105_000; // below the ctest TIMEOUT of 120 s, so we report first

const COLA = 1;
const WATER = 2;
const CHIPS = 3;
const CANDY = 4;
const NO_IMAGE = 7;

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

/** Independent of the UI's own formatter on purpose. */
function money(cents) {
  const d = Math.trunc(cents / 100).toLocaleString('en-US');
  return `$${d}.${String(cents % 100).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------- REST

const base = KIOSK_URL ? new URL(KIOSK_URL) : null;

async function rest(method, pathAndQuery, body) {
  const res = await fetch(new URL(pathAndQuery.replace(/^\//, ''), base), {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, json, text };
}

async function restOk(method, p, body, wantStatus) {
  const r = await rest(method, p, body);
  check(r.status === wantStatus, `${method} ${p} ${JSON.stringify(body ?? '')}: expected HTTP ${wantStatus}, got ${r.status} ${r.text.slice(0, 300)}`);
  check(r.json !== null, `${method} ${p}: response is not JSON: ${r.text.slice(0, 300)}`);
  return r.json;
}

const apiUser = (u) => restOk('GET', `/api/v1/users/${u.id}?user_name=${encodeURIComponent(u.name)}`, undefined, 200);
const apiProduct = (id) => restOk('GET', `/api/v1/products/${id}`, undefined, 200);
const apiOrders = (u) => restOk('GET', `/api/v1/users/${u.id}/orders?user_name=${encodeURIComponent(u.name)}`, undefined, 200);

// ---------------------------------------------------------------------------- page helpers

const tid = (id) => `[data-testid="${id}"]`;

async function waitFor(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: STEP_TIMEOUT_MS, polling: 50 });
  } catch (e) {
    throw new Failure(`timed out waiting for ${what}`);
  }
}

async function attr(page, testid, name) {
  return page.getAttribute(tid(testid), name, { timeout: STEP_TIMEOUT_MS });
}

async function balanceCents(page) {
  return Number(await attr(page, 'balance', 'data-cents'));
}

async function expectBalance(page, cents, why) {
  try {
    await page.waitForFunction(
      (c) => document.querySelector('[data-testid="balance"]')?.dataset.cents === String(c),
      cents, { timeout: STEP_TIMEOUT_MS, polling: 50 });
  } catch {
    throw new Failure(`${why}: balance data-cents expected ${cents}, page shows ${await balanceCents(page)}`);
  }
  const text = (await page.textContent(tid('balance-amount'))).trim();
  eq(text, money(cents), `${why}: balance text`);
}

async function stockCount(page, id) {
  return Number(await attr(page, `stock-${id}`, 'data-count'));
}

async function expectStock(page, id, count, why) {
  try {
    await page.waitForFunction(
      ([i, c]) => document.querySelector(`[data-testid="stock-${i}"]`)?.dataset.count === String(c),
      [id, count], { timeout: STEP_TIMEOUT_MS, polling: 50 });
  } catch {
    throw new Failure(`${why}: stock of product ${id} expected ${count}, page shows ${await stockCount(page, id)}`);
  }
}

async function session(page) {
  const id = await attr(page, 'session', 'data-user-id');
  const name = await attr(page, 'session', 'data-user-name');
  return { id, name };
}

async function messageSeq(page) {
  return Number(await attr(page, 'message', 'data-seq'));
}

/** Waits for a message newer than `after`; returns {kind, text}. */
async function nextMessage(page, after, why) {
  await waitFor(page, `a message after ${why}`,
    (s) => Number(document.querySelector('[data-testid="message"]')?.dataset.seq) > s, after);
  return page.$eval(tid('message'), (m) => ({ kind: m.dataset.kind, text: m.textContent.trim() }));
}

async function expectMessage(page, after, kind, pattern, why) {
  const m = await nextMessage(page, after, why);
  check(m.kind === kind && pattern.test(m.text),
    `${why}: expected a ${kind} message matching ${pattern}, got ${m.kind} "${m.text}"`);
  return m;
}

async function tap(page, testid) {
  await page.click(tid(testid), { timeout: STEP_TIMEOUT_MS });
}

async function openKiosk(page) {
  await page.goto(KIOSK_URL, { waitUntil: 'load' });
  await waitFor(page, 'the kiosk to register a customer and show products',
    () => document.body.dataset.state === 'ready' &&
      document.querySelector('[data-testid="session"]')?.dataset.userId !== '' &&
      document.querySelector('[data-testid="product-1"]') !== null);
  const s = await session(page);
  check(/^kiosk-[0-9a-f-]{36}$/.test(s.name), `customer user_name looks random and unique: got "${s.name}"`);
  return s;
}

async function screenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

// ---------------------------------------------------------------------------- tests

async function testPurchaseAndRefund(page) {
  const user = await openKiosk(page);
  await expectBalance(page, 0, 'new customer');
  eq((await apiUser(user)).balance, 0, 'API balance of the new customer');

  // The grid shows exactly what the API says.
  const catalog = await restOk('GET', '/api/v1/products', undefined, 200);
  check(Array.isArray(catalog) && catalog.length === 7, `API lists the 7 catalog products, got ${JSON.stringify(catalog)}`);
  for (const p of catalog) {
    eq((await page.textContent(tid(`name-${p.id}`))).trim(), p.name, `name of product ${p.id}`);
    eq((await page.textContent(tid(`price-${p.id}`))).trim(), money(p.price), `price of ${p.name}`);
    eq(await stockCount(page, p.id), p.count, `stock shown for ${p.name}`);
    eq(await page.isVisible(tid(`refundable-${p.id}`)), p.is_refundable, `"Refundable" mark on ${p.name}`);
    eq(await page.isVisible(tid(`soldout-${p.id}`)), p.count === 0, `"Sold out" mark on ${p.name}`);
    eq(await page.isDisabled(tid(`buy-${p.id}`)), p.count === 0, `buy button of ${p.name} disabled`);
  }
  log('grid matches GET /api/v1/products');

  let seq = await messageSeq(page);
  await tap(page, 'insert-200');
  await expectBalance(page, 200, 'after inserting $2');
  await tap(page, 'insert-50');
  await expectBalance(page, 250, 'after inserting $2 + 50¢');
  await expectMessage(page, seq, 'success', /\$0\.50 added/, 'inserting 50¢');
  eq((await apiUser(user)).balance, 250, 'API balance after inserting $2.50');
  log('inserted $2 + 50¢: balance 250');

  const colaBefore = (await apiProduct(COLA)).count;
  eq(colaBefore, 10, 'Cola stock before buying');
  seq = await messageSeq(page);
  await tap(page, `buy-${COLA}`);
  await expectBalance(page, 100, 'after buying Cola (150)');
  await expectMessage(page, seq, 'success', /Cola/, 'buying Cola');
  await expectStock(page, COLA, colaBefore - 1, 'after buying Cola');
  eq((await apiUser(user)).balance, 100, 'API balance after buying Cola');
  eq((await apiProduct(COLA)).count, colaBefore - 1, 'API Cola stock after buying');
  let orders = await apiOrders(user);
  check(Array.isArray(orders) && orders.length === 1, `API lists 1 order after buying, got ${JSON.stringify(orders)}`);
  const cola = orders[0];
  eq(cola.product_id, COLA, 'order product_id');
  eq(cola.price, 150, 'order price');
  eq(cola.status, 'paid', 'order status after buying');
  await waitFor(page, `order ${cola.id} in the purchases list`,
    (id) => document.querySelector(`[data-testid="order-${id}"]`)?.dataset.status === 'paid', cola.id);
  check(await page.isEnabled(tid(`refund-order-${cola.id}`)), 'the Cola order offers an enabled Refund button');
  log(`bought Cola: order ${cola.id}, balance 100, stock ${colaBefore} -> ${colaBefore - 1}`);
  await screenshot(page, 'kiosk-landscape-1920x1080-after-buy');

  seq = await messageSeq(page);
  await tap(page, `refund-order-${cola.id}`);
  await expectBalance(page, 250, 'after refunding Cola');
  await expectMessage(page, seq, 'success', /refunded/i, 'refunding Cola');
  await expectStock(page, COLA, colaBefore, 'after refunding Cola');
  await waitFor(page, `order ${cola.id} shown as refunded`,
    (id) => document.querySelector(`[data-testid="order-${id}"]`)?.dataset.status === 'refunded', cola.id);
  eq(await page.$(tid(`refund-order-${cola.id}`)), null, 'Refund button after the order was refunded');
  eq((await apiUser(user)).balance, 250, 'API balance after refund');
  eq((await apiProduct(COLA)).count, colaBefore, 'API Cola stock after refund');
  orders = await apiOrders(user);
  eq(orders.length, 1, 'API order count after refund');
  eq(orders[0].status, 'refunded', 'API order status after refund');
  log(`refunded order ${cola.id}: balance 250, stock back to ${colaBefore}`);

  // A second refund of the same order is refused by the API, and the page offers none.
  const again = await rest('POST', `/api/v1/products/${COLA}/refund`, { user_name: user.name, product_id: COLA, order_id: cola.id });
  eq(again.status, 409, 'HTTP status of refunding an already refunded order');
  eq(again.json?.error?.code, 'already_refunded', 'error code of refunding an already refunded order');

  // Water is not refundable: bought fine, but no Refund button.
  seq = await messageSeq(page);
  await tap(page, `buy-${WATER}`);
  await expectBalance(page, 150, 'after buying Water (100)');
  await expectMessage(page, seq, 'success', /Water/, 'buying Water');
  orders = await apiOrders(user);
  eq(orders.length, 2, 'API order count after buying Water');
  const water = orders.find((o) => o.product_id === WATER);
  check(water && water.status === 'paid', `API lists the Water order as paid: ${JSON.stringify(orders)}`);
  eq(orders[0].id, water.id, 'orders are newest first');
  await waitFor(page, `order ${water.id} in the purchases list`,
    (id) => document.querySelector(`[data-testid="order-${id}"]`) !== null, water.id);
  eq(await page.$(tid(`refund-order-${water.id}`)), null, 'Refund button on a non-refundable order');
  const nr = await rest('POST', `/api/v1/products/${WATER}/refund`, { user_name: user.name, product_id: WATER, order_id: water.id });
  eq(nr.status, 409, 'HTTP status of refunding Water');
  eq(nr.json?.error?.code, 'not_refundable', 'error code of refunding Water');
  log('bought Water (not refundable): no Refund button; API refuses with 409 not_refundable');

  // Done with credit left asks first, then starts a brand-new customer at $0.00.
  await tap(page, 'done');
  await waitFor(page, 'the "finish session" dialog',
    () => !document.querySelector('[data-testid="done-dialog"]').hidden);
  check(/\$1\.50/.test(await page.textContent(tid('done-dialog-text'))), 'the Done dialog mentions the $1.50 credit left');
  await tap(page, 'done-confirm');
  await waitFor(page, 'a new customer session',
    (old) => {
      const s = document.querySelector('[data-testid="session"]');
      return document.body.dataset.state === 'ready' && s.dataset.userName !== '' && s.dataset.userName !== old;
    }, user.name);
  const next = await session(page);
  check(next.name !== user.name && next.id !== user.id, `new customer differs from the old one (${user.name} -> ${next.name})`);
  await expectBalance(page, 0, 'new customer after Done');
  eq(await page.$$eval('[data-testid^="order-"]', (l) => l.length), 0, 'purchases shown for the new customer');
  eq((await apiUser(next)).balance, 0, 'API balance of the new customer');
  eq((await apiUser(user)).balance, 150, 'API balance of the previous customer');
  eq((await apiOrders(next)).length, 0, 'API orders of the new customer');
  log(`Done: new customer ${next.name} with balance 0`);
}

async function testErrorsAndSoldOut(page) {
  const user = await openKiosk(page);

  // Too little money for Chips (900).
  await tap(page, 'insert-500');
  await expectBalance(page, 500, 'after inserting $5');
  const chipsBefore = await stockCount(page, CHIPS);
  let seq = await messageSeq(page);
  await tap(page, `buy-${CHIPS}`);
  await expectMessage(page, seq, 'error', /Not enough money.*\$4\.00 more/, 'buying Chips with $5');
  await expectBalance(page, 500, 'after a refused purchase');
  eq(await stockCount(page, CHIPS), chipsBefore, 'Chips stock after a refused purchase');
  eq((await apiUser(user)).balance, 500, 'API balance after a refused purchase');
  eq((await apiOrders(user)).length, 0, 'API orders after a refused purchase');
  const poor = await rest('POST', `/api/v1/products/${CHIPS}/buy`, { user_name: user.name, product_id: CHIPS });
  eq(poor.status, 402, 'HTTP status of buying Chips with $5');
  eq(poor.json?.error?.code, 'insufficient_funds', 'error code of buying Chips with $5');
  log('Chips with $5: "Not enough money … $4.00 more", nothing charged');

  // A product that starts sold out.
  check(await page.isVisible(tid(`soldout-${CANDY}`)), 'Candy shows "Sold out"');
  check(await page.isDisabled(tid(`buy-${CANDY}`)), 'Candy cannot be bought');
  eq(await stockCount(page, CANDY), 0, 'Candy stock shown');
  const candy = await rest('POST', `/api/v1/products/${CANDY}/buy`, { user_name: user.name, product_id: CANDY });
  eq(candy.status, 409, 'HTTP status of buying sold-out Candy');
  eq(candy.json?.error?.code, 'out_of_stock', 'error code of buying sold-out Candy');

  // Another customer empties Chips while this screen still shows the old stock (the
  // product list is held stale until this screen's own buy goes out): the kiosk must
  // explain the 409 and then show Chips as sold out.
  const snapshot = await restOk('GET', '/api/v1/products', undefined, 200);
  let stale = true;
  await page.route(/\/api\/v1\/products$/, (route) => (stale
    ? route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(snapshot) })
    : route.continue()));
  await page.route(new RegExp(`/api/v1/products/${CHIPS}/buy$`), (route) => {
    stale = false;
    return route.continue();
  });
  const other = await restOk('POST', '/api/v1/users', { user_name: `e2e-other-${Date.now()}` }, 201);
  await restOk('POST', `/api/v1/users/${other.id}/add_balance`, { user_name: other.user_name, amount: 900 * chipsBefore }, 200);
  for (let i = 0; i < chipsBefore; i++) {
    await restOk('POST', `/api/v1/products/${CHIPS}/buy`, { user_name: other.user_name, product_id: CHIPS }, 201);
  }
  eq((await apiProduct(CHIPS)).count, 0, 'API Chips stock after another customer bought them all');
  await tap(page, 'insert-1000');
  await expectBalance(page, 1500, 'after inserting $10 more');
  check(await page.isEnabled(tid(`buy-${CHIPS}`)), 'Chips still look available on the stale screen');
  seq = await messageSeq(page);
  await tap(page, `buy-${CHIPS}`);
  await expectMessage(page, seq, 'error', /sold out/i, 'buying Chips after they ran out');
  await page.unroute(/\/api\/v1\/products$/);
  await page.unroute(new RegExp(`/api/v1/products/${CHIPS}/buy$`));
  await expectBalance(page, 1500, 'after the out-of-stock refusal');
  await expectStock(page, CHIPS, 0, 'after the out-of-stock refusal');
  await waitFor(page, 'Chips marked sold out',
    (id) => !document.querySelector(`[data-testid="soldout-${id}"]`).hidden &&
      document.querySelector(`[data-testid="buy-${id}"]`).disabled, CHIPS);
  eq((await apiUser(user)).balance, 1500, 'API balance after the out-of-stock refusal');
  log('Chips emptied by another customer: "sold out" message, grid shows Sold out, nothing charged');

  // Pictures: every product image loads; the missing one falls back to the placeholder.
  await waitFor(page, 'all product images to finish loading',
    () => [...document.querySelectorAll('[data-testid^="image-"]')].every((i) => i.complete && i.naturalWidth > 0));
  const images = await page.$$eval('[data-testid^="image-"]', (l) => l.map((i) => ({ id: i.dataset.testid, src: i.src, w: i.naturalWidth })));
  const catalog = await restOk('GET', '/api/v1/products', undefined, 200);
  for (const p of catalog) {
    const img = images.find((i) => i.id === `image-${p.id}`);
    const want = p.id === NO_IMAGE ? '/images/placeholder.svg' : `/images/${p.image}`;
    check(img && new URL(img.src).pathname === want, `image of ${p.name} is ${want}, got ${img && img.src}`);
  }
  log('images load; the missing picture shows /images/placeholder.svg');

  // Network failure and server failure get plain-language messages and change nothing.
  await page.route(/\/add_balance$/, (route) => route.abort('connectionrefused'));
  seq = await messageSeq(page);
  await tap(page, 'insert-100');
  await expectMessage(page, seq, 'error', /Can't reach the machine/, 'inserting money while the agent is unreachable');
  await page.unroute(/\/add_balance$/);
  await page.route(new RegExp(`/api/v1/products/${COLA}/buy$`), (route) => route.fulfill({
    status: 500, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'internal', message: 'Internal server error' } }),
  }));
  seq = await messageSeq(page);
  await tap(page, `buy-${COLA}`);
  await expectMessage(page, seq, 'error', /went wrong/, 'a server error while buying');
  await page.unroute(new RegExp(`/api/v1/products/${COLA}/buy$`));
  await expectBalance(page, 1500, 'after network and server errors');
  eq((await apiUser(user)).balance, 1500, 'API balance after network and server errors');
  log('network and server errors: clear messages, balance unchanged');

  // The agent sells but its answer is lost: the kiosk retries with the same
  // idempotency_key and the customer is charged exactly once.
  const colaBefore = (await apiProduct(COLA)).count;
  const keys = [];
  await page.route(new RegExp(`/api/v1/products/${COLA}/buy$`), async (route) => {
    keys.push(JSON.parse(route.request().postData() || '{}').idempotency_key);
    if (keys.length === 1) {
      await route.fetch(); // reaches vend-edge, which sells …
      return route.abort('connectionreset'); // … but the page never hears back
    }
    return route.continue();
  });
  seq = await messageSeq(page);
  await tap(page, `buy-${COLA}`);
  await expectMessage(page, seq, 'success', /Cola/, 'buying Cola after a lost answer');
  await page.unroute(new RegExp(`/api/v1/products/${COLA}/buy$`));
  eq(keys.length, 2, 'buy requests sent (one lost answer, one retry)');
  check(typeof keys[0] === 'string' && keys[0].length >= 16 && keys[0] === keys[1],
    `the retry reuses the idempotency_key: ${JSON.stringify(keys)}`);
  await expectBalance(page, 1350, 'after a buy whose first answer was lost');
  eq((await apiUser(user)).balance, 1350, 'API balance after a buy whose first answer was lost');
  eq((await apiOrders(user)).filter((o) => o.product_id === COLA).length, 1, 'API Cola orders after the retry');
  eq((await apiProduct(COLA)).count, colaBefore - 1, 'API Cola stock after the retry');
  log('lost answer to a buy: retried with the same idempotency_key, charged once');
}

async function testLayouts(page) {
  const layouts = [
    { name: 'portrait-1080x1920', width: 1080, height: 1920 },
    { name: 'landscape-1920x1080', width: 1920, height: 1080 },
    { name: 'landscape-1280x800', width: 1280, height: 800 },
  ];
  for (const [i, l] of layouts.entries()) {
    await page.setViewportSize({ width: l.width, height: l.height });
    if (i === 0) {
      await openKiosk(page);
      await tap(page, 'insert-200');
      await expectBalance(page, 200, `${l.name}: after inserting $2`);
      const seq = await messageSeq(page);
      await tap(page, `buy-${COLA}`);
      await expectBalance(page, 50, `${l.name}: after buying Cola`);
      await expectMessage(page, seq, 'success', /Cola/, `${l.name}: buying Cola`);
    }
    await page.waitForTimeout(300); // let the layout settle after a resize
    const m = await page.evaluate(() => {
      const box = (sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return { top: r.top, left: r.left, bottom: r.bottom, right: r.right, height: r.height, width: r.width };
      };
      const buttons = [...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null)
        .map((b) => {
          const r = b.getBoundingClientRect();
          return { id: b.dataset.testid || b.textContent.trim(), height: r.height, width: r.width };
        });
      return {
        scrollWidth: document.documentElement.scrollWidth,
        scrollHeight: document.documentElement.scrollHeight,
        w: innerWidth,
        h: innerHeight,
        balance: box('[data-testid="balance"]'),
        done: box('[data-testid="done"]'),
        coins: [...document.querySelectorAll('[data-testid^="insert-"]')].map((b) => b.getBoundingClientRect().bottom),
        buttons,
        cards: document.querySelectorAll('article[data-testid^="product-"]').length,
      };
    });
    check(m.scrollWidth <= m.w && m.scrollHeight <= m.h,
      `${l.name}: the page does not scroll as a whole (content ${m.scrollWidth}x${m.scrollHeight} in ${m.w}x${m.h})`);
    for (const [what, b] of [['balance', m.balance], ['Done button', m.done]]) {
      check(b.top >= 0 && b.left >= 0 && b.bottom <= m.h && b.right <= m.w, `${l.name}: ${what} is fully on screen: ${JSON.stringify(b)}`);
    }
    check(m.coins.every((bottom) => bottom <= m.h), `${l.name}: every money button is on screen`);
    const small = m.buttons.filter((b) => b.height < 44 || b.width < 44);
    check(small.length === 0, `${l.name}: touch targets are at least 44 px: ${JSON.stringify(small)}`);
    check(m.cards === 7, `${l.name}: 7 product cards, got ${m.cards}`);
    log(`${l.name}: no page overflow, balance/Done/money on screen, ${m.buttons.length} buttons >= 44 px`);
    await screenshot(page, `kiosk-${l.name}`);
  }
}

// ---------------------------------------------------------------------------- runner

async function main() {
  if (!KIOSK_URL) {
    console.error('kiosk e2e: set KIOSK_URL to the vend-edge base URL, e.g. http://127.0.0.1:8080/');
    process.exit(2);
  }
  const overall = setTimeout(() => {
    console.error(`kiosk e2e: FAILED: still running after ${OVERALL_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }, OVERALL_TIMEOUT_MS);

  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-e2e-chromium-'));
  let context;
  let passed = 0;
  let failed = 0;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1920, height: 1080 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const tests = [
      ['customer inserts money, buys, refunds and finishes', testPurchaseAndRefund],
      ['errors and sold-out products are explained', testErrorsAndSoldOut],
      ['layout works in portrait and landscape', testLayouts],
    ];
    for (const [name, fn] of tests) {
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (e) => problems.push(`uncaught exception in the page: ${e.message}`));
      page.on('console', (msg) => {
        // Failed HTTP requests (402/409/404 image) are logged by Chromium itself; they are expected.
        if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) {
          problems.push(`console error: ${msg.text()}`);
        }
      });
      page.on('request', (req) => {
        const u = new URL(req.url());
        if (u.protocol !== 'data:' && u.origin !== base.origin) problems.push(`request outside vend-edge: ${req.url()}`);
      });
      console.log(`test: ${name}`);
      try {
        await fn(page);
        check(problems.length === 0, problems.join('; '));
        passed++;
        console.log(`ok: ${name}`);
      } catch (e) {
        failed++;
        console.error(`FAILED: ${name}: ${e instanceof Failure ? e.message : e.stack}`);
        await screenshot(page, `failure-${passed + failed}`).catch(() => {});
      } finally {
        await page.close().catch(() => {});
      }
    }
  } catch (e) {
    failed++;
    console.error(`FAILED: could not run the browser: ${e.stack || e}`);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
    clearTimeout(overall);
  }
  console.log(`kiosk e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
