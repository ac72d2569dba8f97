import { get, post, session } from '../api.js';
import { h, problemBox, status, toast, when } from '../ui.js';

/** The campaigns the key may see (a brand's own; an ISV's granted ones), with pause, resume and end for the brand. */
export async function render(main) {
  const brand = session().tenant.kind === 'brand';
  const list = h('div', { class: 'table-wrap' });
  main.append(...[h('h1', {}, 'Campaigns'), brand && h('a', { class: 'button primary', href: '#/campaigns/new', id: 'new-campaign' }, 'New campaign'), list]
    .filter(Boolean));

  async function refresh() {
    try {
      const items = [];
      let after = null;
      do {
        const page = await get('campaigns', `/v1/campaigns?limit=100${after ? `&after=${after}` : ''}`);
        items.push(...page.items);
        after = page.nextAfter;
      } while (after && items.length < 500);
      list.replaceChildren(items.length === 0 ? h('p', { class: 'muted' }, 'No campaigns yet.') : h('table', { id: 'campaigns' },
        h('thead', {}, h('tr', {}, ['Name', 'Status', 'Runs', 'Reward', 'Issued', 'Remaining', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, items.map(c => h('tr', { 'data-campaign-id': c.campaignId },
          h('td', {}, h('a', { href: `#/campaigns/${c.campaignId}` }, c.name)),
          h('td', {}, status(c.status)),
          h('td', {}, when(c.startsAt), ' – ', when(c.endsAt)),
          h('td', {}, c.reward.type),
          h('td', {}, c.issued),
          h('td', {}, c.remaining ?? '—'),
          h('td', {}, h('a', { class: 'button', href: `#/campaigns/${c.campaignId}` }, 'Dashboard'), brand && actions(c)))))));
    } catch (error) { list.replaceChildren(problemBox(error)); }
  }

  function actions(c) {
    const act = verb => h('button', { type: 'button', 'aria-label': `${verb} ${c.name}`, onclick: async () => {
      if (verb === 'End' && !confirm(`End ${c.name}? It cannot be resumed.`)) return;
      try { await post('campaigns', `/v1/campaigns/${c.campaignId}/${verb.toLowerCase()}`); toast(`${c.name}: ${verb.toLowerCase()}`); }
      catch (error) { toast(error.message); }
      await refresh();
    } }, verb);
    return [
      c.status !== 'ended' && h('a', { class: 'button', href: `#/campaigns/${c.campaignId}/edit` }, 'Edit'),
      c.status === 'active' && act('Pause'),
      c.status === 'paused' && act('Resume'),
      c.status !== 'ended' && act('End'),
    ];
  }

  await refresh();
}
