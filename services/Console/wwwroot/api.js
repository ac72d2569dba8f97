// The public APIs through the console's same-origin proxy (/api/{service}/v1/...), with the signed-in key.

const SESSION = 'arfleet.session';

export function session() {
  try { return JSON.parse(sessionStorage.getItem(SESSION)) ?? null; } catch { return null; }
}
export function saveSession(value) { sessionStorage.setItem(SESSION, JSON.stringify(value)); }
export function signOut() { sessionStorage.removeItem(SESSION); }

/** An API error: the problem details' title, and the fields it names ({"reward.budget": ["must be ..."]}). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.title ?? `The request failed (${status})`);
    this.status = status;
    this.problem = problem ?? {};
    this.fields = problem?.errors ?? {};
  }
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { title: text }; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** call('campaigns', 'GET', '/v1/targets'), with a JSON body, or FormData; key defaults to the session's. */
export async function call(service, method, path, body, key = session()?.key, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (key) init.headers.Authorization = `Bearer ${key}`;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
  const response = await fetch(`/api/${service}${path}`, init);
  return { status: response.status, body: await parse(response) };
}

export const get = async (service, path, key) => (await call(service, 'GET', path, undefined, key)).body;
export const post = async (service, path, body, key) => (await call(service, 'POST', path, body, key)).body;

/** A multipart POST that reports upload progress (fetch cannot): onProgress(fraction 0-1). */
export function upload(service, path, form, onProgress, key = session()?.key) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/${service}${path}`);
    if (key) xhr.setRequestHeader('Authorization', `Bearer ${key}`);
    xhr.upload.onprogress = e => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { body = { title: xhr.responseText }; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body); else reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, { title: 'The console could not be reached' }));
    xhr.send(form);
  });
}
