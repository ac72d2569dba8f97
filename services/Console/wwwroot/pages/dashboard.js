import { get, session } from '../api.js';
import { h, problemBox, status, svg, when } from '../ui.js';

const REFRESH_MS = 2000;
// Outcomes that mean a rule or the budget said no, and those that mean the fraud policy did.
const LIMITS = ['limitReached', 'budgetExhausted'];
const FRAUD = ['suspectedRecapture', 'duplicateImage'];

/** A campaign's live dashboard: counters and a per-minute chart, refreshed every two seconds. */
export async function render(main, [campaignId]) {
  const title = h('h1', {}, 'Campaign');
  const meta = h('p', { class: 'muted' });
  const counters = h('div', { class: 'counters', id: 'counters', 'aria-live': 'polite' });
  const chart = h('div', { class: 'chart' });
  const updated = h('p', { class: 'muted', id: 'updated' });
  const error = h('div');
  const edit = session().tenant.kind === 'brand' ? h('a', { class: 'button', href: `#/campaigns/${campaignId}/edit` }, 'Edit') : null;
  main.append(...[title, meta, edit, h('a', { class: 'button', href: '#/campaigns' }, 'All campaigns'), counters,
    h('h2', {}, 'Scans per minute (last 30 minutes)'), chart, updated, error].filter(Boolean));

  async function refresh() {
    try {
      const [campaign, stats] = await Promise.all([
        get('campaigns', `/v1/campaigns/${campaignId}`), get('campaigns', `/v1/campaigns/${campaignId}/stats?minutes=30`)]);
      title.textContent = campaign.name;
      meta.replaceChildren(status(campaign.status), ` · ${campaign.reward.type} · ${when(campaign.startsAt)} – ${when(campaign.endsAt)}`);
      const o = stats.outcomes;
      const sum = names => names.reduce((total, n) => total + (o[n] ?? 0), 0);
      const lastMinute = stats.perMinute.at(-1)?.scans ?? 0;
      counters.replaceChildren(...[
        ['scans-per-minute', 'Scans this minute', lastMinute],
        ['recognised', 'Recognised scans', stats.scans],
        ['rewarded', 'Rewarded', o.rewarded ?? 0],
        ['remaining', 'Remaining budget', campaign.remaining ?? '—'],
        ['limits-hit', 'Limits or budget hit', sum(LIMITS)],
        ['outside-fence', 'Outside the geo-fence', o.outsideGeoFence ?? 0],
        ['no-reward', 'No reward (lottery, no reward)', o.noReward ?? 0],
        ['fraud', 'Fraud refusals', sum(FRAUD)],
      ].map(([id, label, value]) => h('div', { class: 'counter', id: `counter-${id}` },
        h('span', { class: 'value', 'data-value': value }, value), h('span', { class: 'label' }, label))));
      chart.replaceChildren(minuteChart(stats.perMinute), h('div', { class: 'legend' },
        h('span', { class: 'swatch swatch-scans' }), 'scans', h('span', { class: 'swatch swatch-rewarded' }), 'rewarded'));
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`;
      error.replaceChildren();
    } catch (e) { error.replaceChildren(problemBox(e)); }
  }

  await refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}

/** Bars of scans per minute, rewarded ones in front; the axis names the first and last minute. */
function minuteChart(minutes) {
  const width = 600, height = 160, pad = 24;
  const max = Math.max(1, ...minutes.map(m => m.scans));
  const barWidth = (width - pad) / minutes.length;
  const y = v => height - pad - (v / max) * (height - 2 * pad);
  const bars = minutes.flatMap((m, i) => [
    svg('rect', { x: pad + i * barWidth + 1, y: y(m.scans), width: barWidth - 2, height: height - pad - y(m.scans), fill: '#9fb4d9' },
      svg('title', {}, `${new Date(m.minute).toLocaleTimeString()}: ${m.scans} scans, ${m.rewarded} rewarded`)),
    svg('rect', { x: pad + i * barWidth + 3, y: y(m.rewarded), width: Math.max(1, barWidth - 6), height: height - pad - y(m.rewarded), fill: '#1b6e3a' }),
  ]);
  const total = minutes.reduce((t, m) => t + m.scans, 0);
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', id: 'minute-chart',
    'aria-label': `${total} scans in the last ${minutes.length} minutes, at most ${max} in a minute` },
  svg('line', { x1: pad, y1: height - pad, x2: width, y2: height - pad, stroke: '#888' }),
  svg('text', { x: 0, y: y(max) + 4, 'font-size': 11, fill: '#555' }, max),
  svg('text', { x: pad, y: height - 6, 'font-size': 11, fill: '#555' }, new Date(minutes[0].minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })),
  svg('text', { x: width - 40, y: height - 6, 'font-size': 11, fill: '#555' }, 'now'),
  ...bars);
}
