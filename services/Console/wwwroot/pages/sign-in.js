import { ApiError, get, saveSession } from '../api.js';
import { field, go, h, problemBox } from '../ui.js';

/** Sign in with a tenant key: the key is checked against campaign-rules and kept for this tab only (sessionStorage). */
export function render(main) {
  const key = h('input', { type: 'password', name: 'key', autocomplete: 'off', required: true, 'data-field': 'key' });
  const message = h('div');
  const form = h('form', {
    onsubmit: async e => {
      e.preventDefault();
      try {
        const tenant = await get('campaigns', '/v1/tenants/me', key.value.trim());
        saveSession({ key: key.value.trim(), tenant });
        go(location.hash && location.hash !== '#/' ? location.hash : { brand: '#/targets', isv: '#/webhooks', app: '#/scan' }[tenant.kind]);
      } catch (error) {
        message.replaceChildren(problemBox(error instanceof ApiError && error.status === 401
          ? new Error('That key is not known (or was revoked).') : error));
      }
    },
  },
  field('API key', 'sign-in-key', key, 'A brand, ISV or app key (the one shown once when the tenant was created). It stays in this tab only.'),
  h('button', { class: 'primary', type: 'submit', id: 'sign-in' }, 'Sign in'), message);
  main.append(h('h1', {}, 'Sign in'), form,
    h('p', { class: 'muted' }, 'A consumer on a phone needs no sign-in: ', h('a', { href: '#/scan' }, 'open the scanner'), ' with an app key.'));
  key.focus();
}
