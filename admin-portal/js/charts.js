// Hand-written SVG charts: a time line chart (temperature) and a daily bar chart (sales).
// They scale with their container through the viewBox; labels are SVG text nodes.

import { el, svg } from './dom.js';
import { money } from './format.js';

const W = 640;
const H = 220;
const PAD = { left: 56, right: 14, top: 12, bottom: 28 };

function niceRange(lo, hi) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const span = hi - lo;
  return [lo - span * 0.08, hi + span * 0.08];
}

function ticks(lo, hi, n = 4) {
  const out = [];
  for (let i = 0; i <= n; i++) out.push(lo + ((hi - lo) * i) / n);
  return out;
}

/**
 * points: [{t: Date, v: number}] in time order. band: {min, max} or null (a shaded
 * allowed range). Returns an <svg> or an empty-state element when there is no data.
 */
export function lineChart(points, { unit = '', band = null, label = 'chart', testid } = {}) {
  const pts = points.filter((p) => p.t && Number.isFinite(p.v));
  if (!pts.length) return el('div', { class: 'empty chart-empty', testid: testid ? `${testid}-empty` : undefined }, el('p', { text: 'No samples in this period.' }));
  let lo = Math.min(...pts.map((p) => p.v));
  let hi = Math.max(...pts.map((p) => p.v));
  if (band) {
    lo = Math.min(lo, band.min);
    hi = Math.max(hi, band.max);
  }
  [lo, hi] = niceRange(lo, hi);
  const t0 = pts[0].t.getTime();
  const t1 = Math.max(pts[pts.length - 1].t.getTime(), t0 + 1);
  const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);

  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label, testid });
  if (band) {
    root.append(svg('rect', {
      class: 'chart-band', x: PAD.left, width: W - PAD.left - PAD.right,
      y: y(band.max), height: Math.max(0, y(band.min) - y(band.max)),
    }));
  }
  for (const v of ticks(lo, hi)) {
    root.append(svg('line', { class: 'chart-grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    root.append(svg('text', { class: 'chart-label', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', text: `${v.toFixed(1)}${unit}` }));
  }
  const withSeconds = t1 - t0 < 10 * 60 * 1000;
  ticks(t0, t1, 3).forEach((t, i, all) => {
    const hm = new Date(t).toISOString().slice(11, withSeconds ? 19 : 16);
    root.append(svg('text', {
      class: 'chart-label', x: x(t), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === all.length - 1 ? 'end' : 'middle',
      text: `${hm} UTC`,
    }));
  });
  const path = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t.getTime()).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  root.append(svg('path', { class: 'chart-line', d: path }));
  if (pts.length === 1) root.append(svg('circle', { class: 'chart-dot', cx: x(t0), cy: y(pts[0].v), r: 3 }));
  const last = pts[pts.length - 1];
  root.append(svg('title', { text: `${label}: latest ${last.v}${unit}` }));
  return root;
}

/** days: [{day: "2026-11-26", orders, cents, refunds}] oldest first. Bars show revenue. */
/** The smallest 1/2/5 x 10^k at or above v (a round axis maximum). */
function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function barChart(days, { label = 'Daily sales', testid } = {}) {
  if (!days.length) return el('div', { class: 'empty chart-empty' }, el('p', { text: 'No sales data.' }));
  const max = niceCeil(Math.max(100, ...days.map((d) => d.cents || 0)));
  const innerW = W - PAD.left - PAD.right;
  const slot = innerW / days.length;
  const bw = Math.max(2, slot * 0.7);
  const y = (c) => PAD.top + (1 - c / max) * (H - PAD.top - PAD.bottom);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label, testid });
  for (const v of ticks(0, max, 4)) {
    root.append(svg('line', { class: 'chart-grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    root.append(svg('text', { class: 'chart-label', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', text: money(Math.round(v)).replace(/\.00$/, '') }));
  }
  const every = Math.ceil(days.length / 7);
  days.forEach((d, i) => {
    const cx = PAD.left + slot * i + slot / 2;
    const h = Math.max(0, y(0) - y(d.cents || 0));
    const bar = svg('rect', {
      class: 'chart-bar', x: cx - bw / 2, y: y(0) - h, width: bw, height: h, rx: 2,
      'data-day': d.day, 'data-cents': d.cents,
    });
    bar.append(svg('title', { text: `${d.day}: ${d.orders} orders, ${money(d.cents)}${d.refunds ? `, ${d.refunds} refunded` : ''}` }));
    root.append(bar);
    if (i % every === 0 || i === days.length - 1) {
      root.append(svg('text', { class: 'chart-label', x: cx, y: H - 8, 'text-anchor': 'middle', text: d.day.slice(5) }));
    }
  });
  return root;
}
