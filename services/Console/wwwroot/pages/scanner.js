import { call, get, session } from '../api.js';
import { field, h, problemBox } from '../ui.js';

const APP_KEY = 'arfleet.appKey';
const DEVICE = 'arfleet.deviceId';

/** The consumer's scanner, for a phone: a camera frame (getUserMedia) or a photo file is sent as a scan with an app key;
 * the outcome is shown, the target's corners drawn over the frame, the voucher shown and the action followed. */
export function render(main, [query]) {
  const params = new URLSearchParams((query ?? '').replace(/^\?/, ''));
  const signedInApp = session()?.tenant.kind === 'app' ? session().key : null;
  const key = h('input', { type: 'password', autocomplete: 'off', value: params.get('key') ?? signedInApp ?? sessionStorage.getItem(APP_KEY) ?? '' });
  if (params.get('key')) history.replaceState(null, '', '#/scan'); // the key leaves the address bar
  const deviceId = localStorage.getItem(DEVICE) ?? `browser-${crypto.randomUUID().slice(0, 8)}`;
  localStorage.setItem(DEVICE, deviceId);
  const user = h('input', { type: 'text', value: params.get('user') ?? localStorage.getItem('arfleet.userId') ?? `user-${crypto.randomUUID().slice(0, 6)}` });
  const device = h('input', { type: 'text', value: deviceId });
  const lat = h('input', { type: 'number', step: 'any', inputmode: 'decimal' });
  const lon = h('input', { type: 'number', step: 'any', inputmode: 'decimal' });
  const file = h('input', { type: 'file', accept: 'image/*', capture: 'environment' });
  const video = h('video', { playsinline: true, muted: true, hidden: true, 'aria-label': 'Camera preview' });
  const canvas = h('canvas', { id: 'scan-frame', hidden: true, role: 'img', 'aria-label': 'The scanned frame' });
  const result = h('div', { id: 'scan-result', 'aria-live': 'polite' });
  const capture = h('button', { type: 'button', class: 'primary', hidden: true, id: 'capture' }, 'Scan this frame');
  let stream = null;

  const stopCamera = () => { stream?.getTracks().forEach(t => t.stop()); stream = null; video.hidden = true; capture.hidden = true; };

  const startCamera = async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1280 } }, audio: false });
      video.srcObject = stream;
      video.hidden = false;
      capture.hidden = false;
      await video.play();
      capture.focus();
    } catch (error) {
      result.replaceChildren(problemBox(new Error(`The camera is not available (${error.message}); choose a photo instead.`)));
    }
  };

  capture.addEventListener('click', () => {
    const frame = document.createElement('canvas');
    frame.width = video.videoWidth;
    frame.height = video.videoHeight;
    frame.getContext('2d').drawImage(video, 0, 0);
    frame.toBlob(blob => send(blob, 'camera.jpg'), 'image/jpeg', 0.9);
  });
  file.addEventListener('change', () => { if (file.files[0]) send(file.files[0], file.files[0].name); });

  async function send(blob, name) {
    sessionStorage.setItem(APP_KEY, key.value.trim());
    localStorage.setItem('arfleet.userId', user.value.trim());
    result.replaceChildren(h('p', { class: 'outcome', id: 'scan-outcome', 'data-outcome': 'processing' }, 'Scanning…'));
    const form = new FormData();
    form.append('image', blob, name);
    form.append('userId', user.value.trim());
    form.append('deviceId', device.value.trim());
    if (lat.value && lon.value) { form.append('lat', lat.value); form.append('lon', lon.value); }
    try {
      let { body: scan } = await call('ingest', 'POST', '/v1/scans?wait=10', form, key.value.trim(), { 'Idempotency-Key': crypto.randomUUID() });
      for (let i = 0; scan.status === 'processing' && i < 6; i++) scan = await get('ingest', `/v1/scans/${scan.scanId}?wait=10`, key.value.trim());
      await show(scan, blob);
    } catch (error) { result.replaceChildren(problemBox(error)); }
  }

  async function show(scan, blob) {
    const image = await createImageBitmap(blob);
    canvas.width = image.width;
    canvas.height = image.height;
    const g = canvas.getContext('2d');
    g.drawImage(image, 0, 0);
    const corners = scan.target?.corners;
    if (corners?.length === 4) {
      // A dark band under a bright one: visible on any poster.
      const width = Math.max(4, image.width / 90);
      for (const [colour, scale] of [['#000', 1.8], ['#ffeb3b', 1]]) {
        g.lineWidth = width * scale;
        g.strokeStyle = colour;
        g.lineJoin = 'round';
        g.beginPath();
        corners.forEach(([x, y], i) => (i === 0 ? g.moveTo(x, y) : g.lineTo(x, y)));
        g.closePath();
        g.stroke();
      }
    }
    canvas.hidden = false;
    canvas.dataset.corners = JSON.stringify(corners ?? []);
    const outcome = scan.outcome ?? scan.status;
    result.replaceChildren(...[
      h('p', { class: `outcome outcome-${outcome}`, id: 'scan-outcome', 'data-outcome': outcome }, outcome),
      scan.detail ? h('p', { class: 'muted' }, scan.detail) : null,
      scan.target ? h('p', { class: 'muted' }, `Target ${scan.target.targetId}, confidence ${Math.round(scan.target.confidence * 100)} %`) : null,
      scan.reward ? h('div', { class: 'voucher', id: 'voucher' },
        h('div', {}, 'Your voucher'), h('code', { id: 'voucher-code' }, scan.reward.voucherCode),
        h('div', {}, `${(scan.reward.valueCents / 100).toFixed(2)} ${scan.reward.currency}`,
          scan.reward.expiresAt ? `, valid until ${new Date(scan.reward.expiresAt).toLocaleDateString()}` : '')) : null,
      action(scan.action)].filter(Boolean));
    result.querySelector('#scan-outcome').scrollIntoView({ block: 'start' });
  }

  main.append(h('div', { class: 'scanner' },
    h('h1', {}, 'Scan a poster'),
    signedInApp ? null : field('App key', 'scan-app-key', key, 'The consumer app\'s key; kept in this tab only.'),
    h('div', { class: 'row' }, h('div', {}, field('User id', 'scan-user', user)), h('div', {}, field('Device id', 'scan-device', device))),
    h('details', {}, h('summary', {}, 'Location (for geo-fenced campaigns)'),
      h('div', { class: 'row' }, h('div', {}, field('Latitude', 'scan-lat', lat)), h('div', {}, field('Longitude', 'scan-lon', lon))),
      h('button', { type: 'button', onclick: () => navigator.geolocation?.getCurrentPosition(p => {
        lat.value = p.coords.latitude.toFixed(6); lon.value = p.coords.longitude.toFixed(6);
      }, e => result.replaceChildren(problemBox(new Error(`No location: ${e.message}`)))) }, 'Use my location')),
    h('div', {},
      h('button', { type: 'button', id: 'start-camera', onclick: startCamera }, 'Use the camera'),
      h('button', { type: 'button', onclick: stopCamera }, 'Stop the camera')),
    field('Or choose a photo', 'scan-file', file),
    h('div', { class: 'frame' }, video, capture, canvas),
    result));
  return stopCamera;
}

/** What the app does next: an H5 page opens (a link the user follows), a mini-program page is named. */
function action(a) {
  if (!a) return null;
  if (a.type === 'h5') return h('p', {}, h('a', { class: 'button primary', id: 'follow-action', href: a.url, target: '_blank', rel: 'noopener' }, 'Open the page'),
    h('span', { class: 'muted' }, ` ${a.url}`));
  if (a.type === 'miniProgram') return h('div', { class: 'notice', id: 'follow-action' }, 'Open the mini-program ', h('code', {}, a.appId), ' at ', h('code', {}, a.path));
  return null;
}
