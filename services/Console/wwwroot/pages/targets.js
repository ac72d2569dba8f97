import { call, get, post, upload } from '../api.js';
import { h, problemBox, stars, status, toast, when } from '../ui.js';

/** The brand's targets: upload several at once (drag and drop or a file picker, with progress), each one's grade as
 * stars with the reason, near-duplicate and shared warnings, activate, deactivate, delete. */
export async function render(main) {
  let stopped = false;
  const list = h('div', { class: 'table-wrap', 'aria-live': 'polite' });
  const uploads = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  const files = h('input', { type: 'file', id: 'target-files', multiple: true, accept: 'image/jpeg,image/png,image/webp' });
  const drop = h('div', { class: 'dropzone', id: 'dropzone' },
    h('p', {}, 'Drop poster, logo or package images here, or choose them:'),
    h('label', { for: 'target-files' }, 'Target images (JPEG, PNG or WebP, up to 4 MB each)'), files);

  let byId = new Map();

  async function refresh() {
    try {
      const targets = await get('campaigns', '/v1/targets');
      byId = new Map(targets.map(t => [t.targetId, t]));
      list.replaceChildren(table(targets));
      return targets;
    } catch (error) { list.replaceChildren(problemBox(error)); return []; }
  }

  function table(targets) {
    if (targets.length === 0) return h('p', { class: 'muted' }, 'No targets yet.');
    return h('table', { id: 'targets' },
      h('caption', { class: 'muted' }, `${targets.length} target(s), newest first`),
      h('thead', {}, h('tr', {}, ['Name', 'Status', 'Grade', 'Notes', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, [...targets].reverse().map(t => h('tr', { 'data-target-id': t.targetId },
        h('td', {}, t.name, h('div', { class: 'muted' }, when(t.createdAt))),
        h('td', {}, status(t.status)),
        h('td', {}, t.status === 'pending' ? h('span', { class: 'muted' }, 'grading…') : stars(t.grade)),
        h('td', {}, t.reason && h('div', { class: 'reason' }, t.reason),
          t.nearDuplicateOf && h('div', { class: 'notice' }, 'Nearly the same as your target ',
            byId.get(t.nearDuplicateOf)?.name ?? t.nearDuplicateOf, ': scans of either would be ambiguous.'),
          t.sharedWithAnotherBrand && h('div', { class: 'notice' }, 'Another brand has an active target that matches this one: '
            + 'a scan of it goes to the campaign with the higher priority (then the newer) among both brands\' campaigns.')),
        h('td', {}, actions(t))))));
  }

  function actions(t) {
    const act = (label, run) => h('button', { type: 'button', 'aria-label': `${label} ${t.name}`, onclick: async () => {
      try { await run(); toast(`${label}: ${t.name}`); } catch (error) { toast(error.message); }
      await refresh();
    } }, label);
    return [
      t.status === 'active' && act('Deactivate', () => post('campaigns', `/v1/targets/${t.targetId}/deactivate`)),
      t.status === 'inactive' && act('Activate', () => post('campaigns', `/v1/targets/${t.targetId}/activate`)),
      act('Delete', async () => {
        if (!confirm(`Delete target ${t.name}?`)) throw new Error('Not deleted');
        await call('campaigns', 'DELETE', `/v1/targets/${t.targetId}`);
      }),
    ];
  }

  async function send(file) {
    const bar = h('progress', { max: 1, value: 0, 'aria-label': `Uploading ${file.name}` });
    const note = h('span', { class: 'muted' }, ' uploading');
    uploads.append(h('li', {}, `${file.name} `, bar, note));
    const form = new FormData();
    form.append('name', file.name.replace(/\.[^.]+$/, '').slice(0, 200) || 'target');
    form.append('image', file);
    try {
      const created = await upload('campaigns', '/v1/targets', form, f => { bar.value = f; });
      bar.value = 1;
      note.textContent = ' uploaded, grading…';
      while (!stopped) {
        const target = await get('campaigns', `/v1/targets/${created.targetId}`);
        if (target.status !== 'pending') { note.textContent = ` ${target.status}, grade ${target.grade ?? 0} of 5`; break; }
        await new Promise(r => setTimeout(r, 700));
      }
    } catch (error) { note.textContent = ` ${error.message}`; note.className = 'error'; }
    await refresh();
  }

  const sendAll = list => Promise.all([...list].map(send));
  files.addEventListener('change', () => { sendAll(files.files); files.value = ''; });
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); sendAll(e.dataTransfer.files); });

  main.append(h('h1', {}, 'Targets'), drop, uploads, h('h2', {}, 'Your targets'), list);
  await refresh();
  return () => { stopped = true; };
}
