import { ApiError, call, get } from '../api.js';
import { field, h, problemBox, showFieldErrors, svg } from '../ui.js';

const input = (name, attributes = {}) => h('input', { type: 'text', name, 'data-field': name, ...attributes });
const number = (name, attributes = {}) => input(name, { type: 'number', inputmode: 'decimal', step: 'any', ...attributes });
const localTime = iso => { const d = new Date(iso); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 16); };
const numberOrNull = control => control.value.trim() === '' ? null : Number(control.value);
const policy = (name, value) => h('select', { name, 'data-field': name },
  [['refuse', 'Refuse it'], ['flag', 'Reward it and flag it'], ['ignore', 'Ignore the signal']].map(([v, t]) => h('option', { value: v, selected: value === v }, t)));

/** Create or edit a campaign. The API validates it: its field errors are shown on the fields they name. */
export async function render(main, [campaignId]) {
  const editing = Boolean(campaignId);
  let campaign = null;
  let targets = [];
  try {
    targets = await get('campaigns', '/v1/targets');
    if (editing) campaign = await get('campaigns', `/v1/campaigns/${campaignId}`);
  } catch (error) { main.append(problemBox(error)); return; }

  const c = {
    name: input('name', { required: true, value: campaign?.name ?? '' }),
    startsAt: input('startsAt', { type: 'datetime-local', value: localTime(campaign?.startsAt ?? Date.now() - 60_000) }),
    endsAt: input('endsAt', { type: 'datetime-local', value: localTime(campaign?.endsAt ?? Date.now() + 30 * 86_400_000) }),
    rewardType: h('select', { name: 'reward.type', 'data-field': 'reward.type' },
      [['voucher', 'Voucher'], ['redEnvelope', 'Red-envelope pool'], ['none', 'No reward']].map(([v, t]) =>
        h('option', { value: v, selected: (campaign?.reward.type ?? 'voucher') === v }, t))),
    budget: number('reward.budget', { value: campaign?.reward.budget ?? 100, step: 1 }),
    valueCents: number('reward.valueCents', { value: campaign?.reward.valueCents ?? 500, step: 1 }),
    currency: input('reward.currency', { value: campaign?.reward.currency ?? 'CNY' }),
    validDays: number('reward.validDays', { value: campaign?.reward.validDays ?? 30, step: 1 }),
    totalCents: number('reward.totalCents', { value: campaign?.reward.totalCents ?? 100000, step: 1 }),
    count: number('reward.count', { value: campaign?.reward.count ?? 1000, step: 1 }),
    perUser: number('limits.perUser', { value: campaign?.limits.perUser ?? 1, step: 1, min: 0 }),
    perDevice: number('limits.perDevice', { value: campaign?.limits.perDevice ?? 0, step: 1, min: 0 }),
    perUserPerDay: number('limits.perUserPerDay', { value: campaign?.limits.perUserPerDay ?? 0, step: 1, min: 0 }),
    geoOn: h('input', { type: 'checkbox', id: 'geo-on', checked: Boolean(campaign?.geoFence) }),
    lat: number('geoFence.lat', { value: campaign?.geoFence?.lat ?? 31.2304 }),
    lon: number('geoFence.lon', { value: campaign?.geoFence?.lon ?? 121.4737 }),
    radius: number('geoFence.radiusMeters', { value: campaign?.geoFence?.radiusMeters ?? 500, min: 1 }),
    actionType: h('select', { name: 'action.type', 'data-field': 'action.type' },
      [['h5', 'Open an H5 page'], ['miniProgram', 'Open a mini-program page'], ['', 'Nothing']].map(([v, t]) =>
        h('option', { value: v, selected: (campaign ? campaign.action?.type ?? '' : 'h5') === v }, t))),
    url: input('action.url', { type: 'url', value: campaign?.action?.url ?? 'https://brand.example/landing' }),
    appId: input('action.appId', { value: campaign?.action?.appId ?? '' }),
    path: input('action.path', { value: campaign?.action?.path ?? '' }),
    priority: number('priority', { value: campaign?.priority ?? 0, step: 1 }),
    winProbability: number('winProbability', { value: campaign?.winProbability ?? 1, min: 0, max: 1 }),
    timeZone: input('timeZone', { value: campaign?.timeZone ?? 'UTC' }),
    // PUT replaces the whole campaign: every field the API has is in the form, so an edit never drops one.
    recapture: policy('fraud.recapture', campaign?.fraud?.recapture ?? 'refuse'),
    duplicateImage: policy('fraud.duplicateImage', campaign?.fraud?.duplicateImage ?? 'refuse'),
    devices: policy('fraud.devices', campaign?.fraud?.devices ?? 'flag'),
    maxUsersPerDevice: number('fraud.maxUsersPerDevice', { value: campaign?.fraud?.maxUsersPerDevice ?? 5, step: 1, min: 1, max: 1000 }),
    maxDevicesPerUser: number('fraud.maxDevicesPerUser', { value: campaign?.fraud?.maxDevicesPerUser ?? 5, step: 1, min: 1, max: 1000 }),
    apps: input('apps', { value: (campaign?.apps ?? []).join(', '), placeholder: 'every app', spellcheck: false }),
  };

  const chosen = new Set(campaign?.targetIds ?? []);
  const usable = targets.filter(t => t.status === 'active' || chosen.has(t.targetId));
  const targetBoxes = h('div', { id: 'campaign-targets', 'data-field': 'targetIds', tabindex: -1 },
    usable.length === 0 ? h('p', { class: 'notice' }, 'No active target yet: ', h('a', { href: '#/targets' }, 'upload one'), ' first.') : null,
    usable.map(t => h('label', { class: 'inline' },
      h('input', { type: 'checkbox', name: 'targetIds', value: t.targetId, checked: chosen.has(t.targetId) || usable.length === 1 }),
      `${t.name} (${t.status}, grade ${t.grade ?? 0})`)));

  const rewardFields = {
    voucher: h('div', { class: 'row' }, h('div', {}, field('Vouchers in the budget', 'f-budget', c.budget)),
      h('div', {}, field('Value (cents)', 'f-value', c.valueCents)), h('div', {}, field('Currency', 'f-currency', c.currency)),
      h('div', {}, field('Valid for (days)', 'f-valid-days', c.validDays))),
    redEnvelope: h('div', { class: 'row' }, h('div', {}, field('Pool total (cents)', 'f-total', c.totalCents)),
      h('div', {}, field('Envelopes', 'f-count', c.count))),
  };
  const actionFields = {
    h5: field('H5 page URL', 'f-url', c.url),
    miniProgram: h('div', { class: 'row' }, h('div', {}, field('Mini-program appId', 'f-app-id', c.appId)),
      h('div', {}, field('Page path', 'f-path', c.path))),
  };
  const rewardSlot = h('div');
  const actionSlot = h('div');
  const geoFields = h('div', {});
  const preview = h('div', { class: 'geo-preview' });
  const show = () => {
    rewardSlot.replaceChildren(rewardFields[c.rewardType.value] ?? '');
    actionSlot.replaceChildren(actionFields[c.actionType.value] ?? '');
    geoFields.hidden = !c.geoOn.checked;
    preview.replaceChildren(geoPreview(Number(c.lat.value), Number(c.lon.value), Number(c.radius.value)));
  };
  for (const control of [c.rewardType, c.actionType, c.geoOn]) control.addEventListener('change', show);
  for (const control of [c.lat, c.lon, c.radius]) control.addEventListener('input', show);
  geoFields.append(h('div', { class: 'row' }, h('div', {}, field('Latitude', 'f-lat', c.lat)), h('div', {}, field('Longitude', 'f-lon', c.lon)),
    h('div', {}, field('Radius (metres)', 'f-radius', c.radius))), preview);

  const message = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, id: 'campaign-form', onsubmit: async e => {
    e.preventDefault();
    const reward = c.rewardType.value === 'voucher'
      ? { type: 'voucher', budget: numberOrNull(c.budget), valueCents: numberOrNull(c.valueCents), currency: c.currency.value, validDays: numberOrNull(c.validDays) }
      : c.rewardType.value === 'redEnvelope'
        ? { type: 'redEnvelope', totalCents: numberOrNull(c.totalCents), count: numberOrNull(c.count) }
        : { type: 'none' };
    const appIds = c.apps.value.split(/[\s,]+/).filter(id => id !== '');
    const action = c.actionType.value === 'h5' ? { type: 'h5', url: c.url.value }
      : c.actionType.value === 'miniProgram' ? { type: 'miniProgram', appId: c.appId.value, path: c.path.value } : undefined;
    const body = {
      name: c.name.value,
      targetIds: [...form.querySelectorAll('input[name=targetIds]:checked')].map(b => b.value),
      startsAt: c.startsAt.value ? new Date(c.startsAt.value).toISOString() : null,
      endsAt: c.endsAt.value ? new Date(c.endsAt.value).toISOString() : null,
      reward,
      limits: { perUser: numberOrNull(c.perUser) ?? 0, perDevice: numberOrNull(c.perDevice) ?? 0, perUserPerDay: numberOrNull(c.perUserPerDay) ?? 0 },
      geoFence: c.geoOn.checked ? { lat: numberOrNull(c.lat), lon: numberOrNull(c.lon), radiusMeters: numberOrNull(c.radius) } : undefined,
      action,
      priority: numberOrNull(c.priority) ?? 0,
      winProbability: numberOrNull(c.winProbability) ?? 1,
      timeZone: c.timeZone.value || 'UTC',
      fraud: {
        recapture: c.recapture.value, duplicateImage: c.duplicateImage.value, devices: c.devices.value,
        maxUsersPerDevice: numberOrNull(c.maxUsersPerDevice) ?? 5, maxDevicesPerUser: numberOrNull(c.maxDevicesPerUser) ?? 5,
      },
      apps: appIds.length === 0 ? undefined : appIds,
    };
    try {
      const { body: answer } = await call('campaigns', editing ? 'PUT' : 'POST', editing ? `/v1/campaigns/${campaignId}` : '/v1/campaigns', body);
      showFieldErrors(form, {});
      location.hash = `#/campaigns/${answer.campaignId}`;
    } catch (error) {
      message.replaceChildren(problemBox(error));
      if (error instanceof ApiError) showFieldErrors(form, error.fields);
    }
  } },
  field('Name', 'f-name', c.name),
  h('fieldset', {}, h('legend', {}, 'Targets'), targetBoxes, h('p', { class: 'error', id: 'campaign-targets-error', hidden: true })),
  h('fieldset', {}, h('legend', {}, 'When'), h('div', { class: 'row' },
    h('div', {}, field('Starts', 'f-starts', c.startsAt)), h('div', {}, field('Ends', 'f-ends', c.endsAt)),
    h('div', {}, field('Time zone (IANA, for per-day limits)', 'f-time-zone', c.timeZone)))),
  h('fieldset', {}, h('legend', {}, 'Reward'), field('Reward', 'f-reward-type', c.rewardType), rewardSlot,
    h('div', { class: 'row' }, h('div', {}, field('Win probability (0-1; below 1 is a lottery)', 'f-win', c.winProbability)),
      h('div', {}, field('Priority (higher wins on a shared target)', 'f-priority', c.priority)))),
  h('fieldset', {}, h('legend', {}, 'Limits (0: none)'), h('div', { class: 'row' },
    h('div', {}, field('Per user', 'f-per-user', c.perUser)), h('div', {}, field('Per device', 'f-per-device', c.perDevice)),
    h('div', {}, field('Per user per day', 'f-per-day', c.perUserPerDay)))),
  h('fieldset', {}, h('legend', {}, 'Geo-fence'), h('label', { class: 'inline', for: 'geo-on' }, c.geoOn, 'Only scans within a circle'), geoFields),
  h('fieldset', {}, h('legend', {}, 'Suspected fraud'), h('div', { class: 'row' },
    h('div', {}, field('A photo of a screen or a print', 'f-fraud-recapture', c.recapture)),
    h('div', {}, field('An image another user already sent', 'f-fraud-duplicate', c.duplicateImage)),
    h('div', {}, field('A shared device, or a user on many devices', 'f-fraud-devices', c.devices))), h('div', { class: 'row' },
    h('div', {}, field('Users per device (a day)', 'f-max-users-per-device', c.maxUsersPerDevice)),
    h('div', {}, field('Devices per user (a day)', 'f-max-devices-per-user', c.maxDevicesPerUser)))),
  h('fieldset', {}, h('legend', {}, 'Apps'),
    field('App tenant ids, separated by commas (empty: every app)', 'f-apps', c.apps)),
  h('fieldset', {}, h('legend', {}, 'Next action in the app'), field('Action', 'f-action-type', c.actionType), actionSlot),
  message,
  h('button', { class: 'primary', type: 'submit', id: 'save-campaign' }, editing ? 'Save changes' : 'Create campaign'),
  h('a', { class: 'button', href: '#/campaigns' }, 'Cancel'));
  show();
  main.append(h('h1', {}, editing ? `Edit ${campaign.name}` : 'New campaign'), form);
  c.name.focus();
}

/** The fence drawn to scale: the circle, a grid every ~radius, north up, and the centre's coordinates. */
function geoPreview(lat, lon, radius) {
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || !(radius > 0)) return h('p', { class: 'muted' }, 'Enter a latitude, longitude and radius to see the fence.');
  const size = 240, span = radius * 3; // metres across the picture
  const px = size / span, r = radius * px;
  const metresPerDegLat = 111_320, metresPerDegLon = 111_320 * Math.cos(lat * Math.PI / 180);
  const grid = [];
  for (let i = -1; i <= 1; i++) {
    const offset = size / 2 + i * radius * px;
    grid.push(svg('line', { x1: offset, y1: 0, x2: offset, y2: size, stroke: '#dde', 'stroke-width': 1 }),
      svg('line', { x1: 0, y1: offset, x2: size, y2: offset, stroke: '#dde', 'stroke-width': 1 }));
  }
  const label = `Geo-fence: ${radius} m around ${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  return svg('svg', { viewBox: `0 0 ${size} ${size + 34}`, role: 'img', 'aria-label': label, id: 'geo-preview' },
    svg('title', {}, label),
    svg('rect', { x: 0, y: 0, width: size, height: size, fill: '#f4f7fb', stroke: '#ccd' }), ...grid,
    svg('circle', { cx: size / 2, cy: size / 2, r, fill: 'rgba(179,38,30,.15)', stroke: '#b3261e', 'stroke-width': 2 }),
    svg('circle', { cx: size / 2, cy: size / 2, r: 3, fill: '#b3261e' }),
    svg('text', { x: 6, y: 16, 'font-size': 12, fill: '#555' }, 'N ↑'),
    svg('text', { x: 6, y: size + 14, 'font-size': 11, fill: '#333' }, `${lat.toFixed(5)}, ${lon.toFixed(5)} · r ${radius} m`),
    svg('text', { x: 6, y: size + 28, 'font-size': 10, fill: '#666' },
      `grid ${radius} m ≈ ${(radius / metresPerDegLat).toFixed(5)}° lat, ${(radius / Math.max(1, metresPerDegLon)).toFixed(5)}° lon`));
}
