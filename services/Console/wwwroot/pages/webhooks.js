import { ApiError, get, post } from '../api.js';
import { field, h, problemBox, showFieldErrors, status, toast, when } from '../ui.js';

const EVENT_TYPES = ['scan.resolved', 'voucher.issued'];

/** The ISV portal (brands have it too): endpoints and their event types, each one's delivery log with every attempt,
 * replay of failed deliveries, a test event, secret rotation. */
export async function render(main) {
  const list = h('div', { id: 'endpoints' });
  const url = h('input', { type: 'url', name: 'url', 'data-field': 'url', placeholder: 'https://isv.example/hooks' });
  const types = h('div', { id: 'event-types', 'data-field': 'eventTypes', tabindex: -1 },
    EVENT_TYPES.map(t => h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'eventTypes', value: t, checked: true }), t)));
  const created = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, onsubmit: async e => {
    e.preventDefault();
    try {
      const answer = await post('webhooks', '/v1/webhook-endpoints',
        { url: url.value, eventTypes: [...form.querySelectorAll('input[name=eventTypes]:checked')].map(b => b.value) });
      showFieldErrors(form, {});
      created.replaceChildren(secretBox('Endpoint added. Its signing secret, shown once:', answer.secret));
      url.value = '';
      await refresh();
    } catch (error) {
      created.replaceChildren(problemBox(error));
      if (error instanceof ApiError) showFieldErrors(form, error.fields);
    }
  } },
  field('Endpoint URL', 'f-endpoint-url', url, 'https; deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).'),
  h('fieldset', {}, h('legend', {}, 'Event types'), types, h('p', { class: 'error', id: 'event-types-error', hidden: true })),
  h('button', { class: 'primary', type: 'submit', id: 'add-endpoint' }, 'Add endpoint'));

  async function refresh() {
    try {
      const endpoints = await get('webhooks', '/v1/webhook-endpoints');
      list.replaceChildren(...(endpoints.length === 0 ? [h('p', { class: 'muted' }, 'No endpoints yet.')]
        : await Promise.all(endpoints.map(endpointSection))));
    } catch (error) { list.replaceChildren(problemBox(error)); }
  }

  async function endpointSection(endpoint) {
    const id = endpoint.endpointId;
    const deliveries = h('div', { class: 'table-wrap' });
    const note = h('div', { 'aria-live': 'polite' });
    const since = h('input', { type: 'datetime-local', value: new Date(Date.now() - 86_400_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16) });
    const loadDeliveries = async () => {
      deliveries.setAttribute('aria-busy', 'true');
      try { deliveries.replaceChildren(deliveryTable(await get('webhooks', `/v1/webhook-endpoints/${id}/deliveries`))); }
      catch (error) { deliveries.replaceChildren(problemBox(error)); }
      finally { deliveries.removeAttribute('aria-busy'); }
    };
    const replay = async () => {
      try {
        const answer = await post('webhooks', `/v1/webhook-endpoints/${id}/replay`, { since: new Date(since.value).toISOString() });
        note.replaceChildren(h('div', { class: 'success', id: `replayed-${id}` }, `Replayed ${answer.replayed} failed deliveries.`));
      } catch (error) { note.replaceChildren(problemBox(error)); }
      await loadDeliveries();
    };
    const sendTest = async () => {
      try {
        const answer = await post('webhooks', `/v1/webhook-endpoints/${id}/test`);
        note.replaceChildren(h('div', { class: 'success', id: `tested-${id}` }, `Test event ${answer.webhookId} queued.`));
      } catch (error) { note.replaceChildren(problemBox(error)); }
      await loadDeliveries();
    };
    const rotate = async () => {
      if (!confirm('Rotate the signing secret? The old one keeps signing beside the new one for 24 hours.')) return;
      try {
        const answer = await post('webhooks', `/v1/webhook-endpoints/${id}/rotate-secret`);
        note.replaceChildren(secretBox(`New secret (the previous one signs too until ${when(answer.previousSecretExpiresAt)}):`, answer.secret));
      } catch (error) { note.replaceChildren(problemBox(error)); }
    };
    await loadDeliveries();
    return h('section', { class: 'endpoint', 'data-endpoint-id': id, 'aria-label': `Endpoint ${endpoint.url}` },
      h('h2', {}, endpoint.url),
      h('p', {}, 'Events: ', endpoint.eventTypes.join(', '), ' · added ', when(endpoint.createdAt),
        endpoint.disabledAt ? h('span', { class: 'problem' }, ` disabled ${when(endpoint.disabledAt)}: ${endpoint.disabledReason}`) : null),
      h('div', {},
        h('label', { for: `since-${id}` }, 'Replay failed deliveries since'), Object.assign(since, { id: `since-${id}` }),
        h('button', { type: 'button', class: 'replay', onclick: replay }, 'Replay'),
        h('button', { type: 'button', onclick: sendTest }, 'Send test event'),
        h('button', { type: 'button', onclick: rotate }, 'Rotate secret'),
        h('button', { type: 'button', onclick: loadDeliveries }, 'Refresh deliveries')),
      note, deliveries);
  }

  main.append(h('h1', {}, 'Webhooks'), h('h2', {}, 'Add an endpoint'), form, created, list);
  await refresh();
}

function secretBox(text, secret) {
  return h('div', { class: 'success' }, text, ' ', h('code', { class: 'secret' }, secret));
}

function deliveryTable(deliveries) {
  if (deliveries.length === 0) return h('p', { class: 'muted' }, 'No deliveries yet.');
  return h('table', { class: 'deliveries' },
    h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Last answer', 'Created', 'Attempt log'].map(t => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, deliveries.map(d => h('tr', { 'data-delivery-id': d.deliveryId, 'data-status': d.status, 'data-attempts': d.attempts },
      h('td', {}, d.eventType, h('div', { class: 'muted' }, d.webhookId)),
      h('td', {}, status(d.status), d.nextAttemptAt && d.status === 'pending' ? h('div', { class: 'muted' }, `next ${when(d.nextAttemptAt)}`) : null),
      h('td', {}, d.attempts),
      h('td', {}, d.lastStatusCode ?? d.lastError ?? ''),
      h('td', {}, when(d.createdAt)),
      h('td', {}, h('details', {}, h('summary', {}, `${d.attemptLog.length} attempt(s)`),
        h('ol', {}, d.attemptLog.map(a => h('li', {}, `${when(a.at)}: ${a.statusCode ?? a.error ?? '?'} in ${a.durationMs} ms`)))))))));
}
