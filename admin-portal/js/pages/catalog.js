// The catalog: products with thumbnails; admins create, edit, delete and upload images.
// Prices are typed in dollars and converted to integer cents by string parsing, never
// through floating point.

import { api } from '../api.js';
import { busy, confirmDialog, el, errorBox, loading, modal, moneySpan, pill, section, table, timeCell, toast } from '../dom.js';
import { centsToInput, count, money, parseDollars } from '../format.js';

const IMAGE_TYPES = 'image/png,image/jpeg,image/webp,image/gif';
const MAX_IMAGE = 1024 * 1024;

function thumb(p) {
  if (p.image_url) {
    return el('img', { class: 'thumb', src: p.image_url, alt: '', loading: 'lazy', width: 44, height: 44, testid: `thumb-${p.id}` });
  }
  return el('span', { class: 'thumb thumb-none', 'aria-hidden': 'true', testid: `thumb-none-${p.id}`, text: (p.name || '?').slice(0, 1).toUpperCase() });
}

function field(label, input, hint) {
  return el('label', { class: 'field' }, el('span', { class: 'field-label', text: label }), input, hint ? el('span', { class: 'field-hint', text: hint }) : null);
}

/** The create/edit form in a dialog. Resolves after a successful save. */
function productForm(ctx, product, onSaved) {
  const editing = Boolean(product);
  const idIn = el('input', { name: 'id', inputmode: 'numeric', placeholder: 'next free', testid: 'product-id', disabled: editing, value: editing ? String(product.id) : '' });
  const name = el('input', { name: 'name', required: true, maxlength: 200, testid: 'product-name', value: product?.name ?? '' });
  const price = el('input', { name: 'price', inputmode: 'decimal', required: true, placeholder: '1.50', testid: 'product-price', value: editing ? centsToInput(product.price) : '' });
  const refundable = el('input', { type: 'checkbox', name: 'is_refundable', testid: 'product-refundable', checked: product?.is_refundable ?? false });
  const threshold = el('input', { name: 'low_stock_threshold', inputmode: 'numeric', testid: 'product-threshold', value: String(product?.low_stock_threshold ?? 2) });
  const save = el('button', { type: 'submit', class: 'btn btn-primary', testid: 'product-save', text: editing ? 'Save changes' : 'Create product' });
  const cancel = el('button', { type: 'button', class: 'btn', text: 'Cancel' });
  const form = el('form', { class: 'form', testid: 'product-form', novalidate: true },
    field('Product id', idIn, editing ? null : 'Leave empty for the next free id'),
    field('Name', name),
    field('Price (USD)', price, 'Dollars and cents, e.g. 1.50'),
    field('Low-stock alert below', threshold, 'Items on a machine'),
    el('label', { class: 'check' }, refundable, el('span', { text: 'Customers may refund it' })),
    el('div', { class: 'form-actions' }, cancel, save));
  const dlg = modal(editing ? `Edit ${product.name}` : 'New product', form, 'product-dialog');
  cancel.addEventListener('click', dlg.close);
  const fail = (msg) => {
    form.querySelector('.form-error')?.remove();
    form.querySelector('.form-actions').before(errorBox(msg));
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const cents = parseDollars(price.value);
    if (!name.value.trim()) return fail('Enter a name.');
    if (cents === null) return fail('Enter a price like 1.50 (at most $1,000,000.00).');
    if (!/^\d{1,7}$/.test(threshold.value.trim()) || Number(threshold.value) > 1_000_000) return fail('The low-stock threshold is a whole number from 0 to 1,000,000.');
    if (!editing && idIn.value.trim() && !/^[1-9]\d{0,15}$/.test(idIn.value.trim())) return fail('The product id is a positive whole number.');
    const body = { name: name.value.trim(), price: cents, is_refundable: refundable.checked, low_stock_threshold: Number(threshold.value) };
    let payload = body;
    if (editing) {
      payload = Object.fromEntries(Object.entries(body).filter(([k, v]) => product[k] !== v));
      if (!Object.keys(payload).length) {
        dlg.close();
        return undefined;
      }
    } else if (idIn.value.trim()) {
      payload = { id: Number(idIn.value.trim()), ...body };
    }
    return busy(save, async () => {
      try {
        const r = editing
          ? await api('PATCH', `/products/${product.id}`, { body: payload })
          : await api('POST', '/products', { body: payload });
        dlg.close();
        toast(editing ? `Saved ${r.product.name}` : `Created ${r.product.name} (#${r.product.id}) at ${money(r.product.price)}`);
        onSaved(r.product);
      } catch (err) {
        if (!ctx.handleAuth(err)) fail(err.message);
      }
    });
  });
  name.focus();
}

export async function render(ctx) {
  ctx.title('Catalog');
  ctx.main.replaceChildren(loading());
  const showRemoved = ctx.query.get('removed') === '1';
  const listBox = el('div', {});

  async function load() {
    const r = await api('GET', '/products', { query: showRemoved ? { include_removed: 'true' } : {} });
    if (!ctx.alive()) return;
    const actions = (p) => {
      if (!ctx.isAdmin || p.removed) return null;
      const err = el('div', { class: 'row-error', role: 'alert', testid: `row-error-${p.id}` });
      const file = el('input', { type: 'file', accept: IMAGE_TYPES, class: 'sr-only', testid: `image-input-${p.id}`, 'data-mutating': '', tabindex: '-1' });
      const upload = el('button', { type: 'button', class: 'btn btn-small', testid: `image-upload-${p.id}`, 'data-mutating': '', text: p.has_image ? 'Replace image' : 'Upload image', onclick: () => file.click() });
      file.addEventListener('change', () => {
        const f = file.files && file.files[0];
        file.value = '';
        if (!f) return;
        err.textContent = '';
        if (f.size > MAX_IMAGE) {
          err.textContent = `${f.name} is ${count(Math.ceil(f.size / 1024))} KiB; images may be at most 1 MiB.`;
          return;
        }
        busy(upload, async () => {
          try {
            await api('PUT', `/products/${p.id}/image`, { raw: f, contentType: f.type || 'application/octet-stream' });
            toast(`Image of ${p.name} updated`);
            await load();
          } catch (e) {
            if (!ctx.handleAuth(e)) err.textContent = e.message;
          }
        });
      });
      return el('div', { class: 'row-actions' },
        el('button', { type: 'button', class: 'btn btn-small', testid: `product-edit-${p.id}`, 'data-mutating': '', text: 'Edit', onclick: () => productForm(ctx, p, load) }),
        upload, file,
        el('button', {
          type: 'button', class: 'btn btn-small btn-danger-ghost', testid: `product-delete-${p.id}`, 'data-mutating': '', text: 'Delete',
          onclick: async (e) => {
            const btn = e.currentTarget;
            const ok = await confirmDialog({ title: `Delete ${p.name}?`, text: `Product #${p.id} is removed from the catalog and from every machine. Past orders keep it.` });
            if (!ok) return;
            await busy(btn, async () => {
              try {
                await api('DELETE', `/products/${p.id}`);
                toast(`Deleted ${p.name}`);
                await load();
              } catch (er) {
                if (!ctx.handleAuth(er)) err.textContent = er.message;
              }
            });
          },
        }),
        err);
    };
    const cols = [
      { label: '', cell: thumb, class: 'thumb-cell' },
      { label: 'Id', num: true, cell: (p) => String(p.id) },
      { label: 'Name', cell: (p) => el('span', {}, el('span', { class: 'strong', testid: `product-name-${p.id}`, text: p.name }), p.removed ? [' ', pill('removed', 'muted')] : null) },
      { label: 'Price', num: true, cell: (p) => moneySpan(p.price, `product-price-${p.id}`) },
      { label: 'Refundable', cell: (p) => (p.is_refundable ? pill('refundable', 'info') : el('span', { class: 'muted', text: 'no' })) },
      { label: 'Low at', num: true, cell: (p) => count(p.low_stock_threshold) },
      { label: 'Updated', cell: (p) => timeCell(p.updated_at) },
    ];
    if (ctx.isAdmin) cols.push({ label: 'Actions', cell: actions });
    listBox.replaceChildren(table(cols, r.products || [], {
      testid: 'product-table',
      empty: ctx.isAdmin ? 'The catalog is empty. Create the first product.' : 'The catalog is empty.',
      rowAttrs: (p) => ({ testid: `product-row-${p.id}`, dataset: { price: String(p.price), removed: String(Boolean(p.removed)) } }),
    }));
  }

  await load();
  const toolbar = el('div', { class: 'toolbar' },
    el('label', { class: 'check' },
      el('input', {
        type: 'checkbox', testid: 'show-removed', checked: showRemoved,
        onchange: (e) => ctx.navigate(e.target.checked ? '/catalog?removed=1' : '/catalog', { replace: true }),
      }), el('span', { text: 'Show removed products' })),
    ctx.isAdmin ? el('button', { type: 'button', class: 'btn btn-primary', testid: 'product-new', 'data-mutating': '', text: '+ New product', onclick: () => productForm(ctx, null, load) }) : null);
  ctx.main.replaceChildren(section('Products', toolbar, listBox));
}
