// Small DOM helpers shared by the pages.

/** h('button', {class: 'primary', onclick}, 'Save'): an element with attributes (on* are listeners) and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children.flat()) if (child) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** Goes to a page, or renders it again when the address is that page already (no hashchange then). */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

export function toast(message) {
  const box = document.getElementById('toast');
  box.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.textContent = ''; }, 4000);
}

/** A labelled field: an input (or a given control) with its label and a slot for the API's error on it. */
export function field(labelText, id, control, hint) {
  control.id = id;
  const error = h('p', { class: 'error', id: `${id}-error`, hidden: true });
  const describedBy = [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  return h('div', { class: 'field' }, h('label', { for: id }, labelText), control,
    hint && h('p', { class: 'muted', id: `${id}-hint` }, hint), error);
}

/** Shows the API's field errors next to the fields named by data-field (e.g. data-field="reward.budget"). */
export function showFieldErrors(form, fields) {
  for (const control of form.querySelectorAll('[data-field]')) {
    control.removeAttribute('aria-invalid');
    const slot = document.getElementById(`${control.id}-error`);
    if (slot) { slot.hidden = true; slot.textContent = ''; }
  }
  let first = null;
  for (const [name, messages] of Object.entries(fields ?? {})) {
    const control = form.querySelector(`[data-field="${CSS.escape(name)}"]`)
      ?? form.querySelector(`[data-field="${CSS.escape(name.split('.')[0])}"]`);
    if (!control) continue;
    control.setAttribute('aria-invalid', 'true');
    const slot = document.getElementById(`${control.id}-error`);
    if (slot) { slot.hidden = false; slot.textContent = `${name}: ${messages.join(' ')}`; }
    first ??= control;
  }
  first?.focus();
}

export function stars(grade) {
  const g = Math.max(0, Math.min(5, grade ?? 0));
  return h('span', { class: 'stars', role: 'img', 'aria-label': `grade ${g} of 5`, 'data-grade': g }, '★'.repeat(g) + '☆'.repeat(5 - g));
}

export function status(value) { return h('span', { class: `status status-${value}`, 'data-status': value }, value); }

export function when(iso) { return iso ? new Date(iso).toLocaleString() : ''; }

export function problemBox(error) {
  const detail = error?.problem?.detail;
  return h('div', { class: 'problem', role: 'alert' }, error?.message ?? String(error), detail ? h('div', { class: 'muted' }, detail) : null);
}
