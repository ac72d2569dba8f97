// The console: a hash-routed page per task; each page renders into <main> and may return a cleanup (timers, camera).
import { session, signOut } from './api.js';
import { go, h } from './ui.js';
import * as signIn from './pages/sign-in.js';
import * as targets from './pages/targets.js';
import * as campaigns from './pages/campaigns.js';
import * as campaignForm from './pages/campaign-form.js';
import * as dashboard from './pages/dashboard.js';
import * as webhooks from './pages/webhooks.js';
import * as scanner from './pages/scanner.js';

const routes = [
  [/^#\/targets$/, targets, ['brand']],
  [/^#\/campaigns$/, campaigns, ['brand', 'isv']],
  [/^#\/campaigns\/new$/, campaignForm, ['brand']],
  [/^#\/campaigns\/([0-9a-f-]{36})\/edit$/, campaignForm, ['brand']],
  [/^#\/campaigns\/([0-9a-f-]{36})$/, dashboard, ['brand', 'isv']],
  [/^#\/webhooks$/, webhooks, ['brand', 'isv']],
  [/^#\/scan(\?.*)?$/, scanner, null],
];

const sections = {
  brand: [['#/targets', 'Targets'], ['#/campaigns', 'Campaigns'], ['#/webhooks', 'Webhooks'], ['#/scan', 'Scanner']],
  isv: [['#/campaigns', 'Campaigns'], ['#/webhooks', 'Webhooks'], ['#/scan', 'Scanner']],
  app: [['#/scan', 'Scanner']],
};

let cleanup = null;

function renderNav(hash) {
  const s = session();
  const nav = document.getElementById('nav');
  const links = s ? sections[s.tenant.kind] ?? [] : [['#/', 'Sign in'], ['#/scan', 'Scanner']];
  nav.replaceChildren(...links.map(([href, text]) =>
    h('a', { href, 'aria-current': hash.startsWith(href) ? 'page' : null }, text)));
  const who = document.getElementById('who');
  who.replaceChildren(...(s
    ? [`${s.tenant.name} (${s.tenant.kind}) `, h('button', { type: 'button', onclick: () => { signOut(); location.hash = '#/'; } }, 'Sign out')]
    : []));
}

async function route() {
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  const hash = location.hash || '#/';
  const s = session();
  renderNav(hash);
  const main = document.getElementById('main');
  main.replaceChildren();
  for (const [pattern, page, kinds] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    if (!kinds || (s && kinds.includes(s.tenant.kind))) {
      cleanup = await page.render(main, match.slice(1));
      main.focus();
      return;
    }
    break;
  }
  // Signed in: a page this kind of key cannot use leads to its first section. Otherwise the sign-in page, which
  // comes back to this address once signed in.
  if (s) { go(sections[s.tenant.kind][0][0]); return; }
  cleanup = await signIn.render(main, []);
}

window.addEventListener('hashchange', route);
route();
