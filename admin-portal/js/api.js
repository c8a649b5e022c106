// The admin API client: same-origin JSON with the session cookie, and the CSRF token on
// every mutating request.
//
// The CSRF token comes from POST /auth/login or GET /auth/me and lives only in memory
// (never in storage), so a page that reloads asks /auth/me again. Every failure is an
// ApiError carrying the HTTP status, the API's error code and message, and the request
// id (from the body or the X-Request-Id header) so a 500 view can show it.

const BASE = '/api/v1';
const TIMEOUT_MS = 15_000;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = typeof token === 'string' ? token : '';
}

export class ApiError extends Error {
  /** status 0 = no HTTP answer (network down, timeout). */
  constructor(status, code, message, requestId, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `http_${status}`;
    this.requestId = requestId || '';
    this.retryAfter = retryAfter || '';
  }
}

/**
 * Calls the API. `body` is JSON-encoded unless `raw` is given (a Blob/File sent as is
 * with `contentType`). Resolves to the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(method, path, { body, raw, contentType, query } = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers['Content-Type'] = contentType || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (MUTATING.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let url = BASE + path;
  if (query) {
    const qs = toQuery(query);
    if (qs) url += `?${qs}`;
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  let res;
  let text = '';
  try {
    res = await fetch(url, {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: ctl.signal,
    });
    text = await res.text();
  } catch {
    throw new ApiError(0, 'network', 'The server did not answer. Check the connection and try again.');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  const requestId = res.headers.get('X-Request-Id') || '';
  if (!res.ok) {
    const err = (data && typeof data === 'object' && data.error) || {};
    throw new ApiError(res.status, err.code, err.message || res.statusText,
      err.request_id || requestId, res.headers.get('Retry-After'));
  }
  if (res.status === 204) return null;
  if (data === null) throw new ApiError(res.status, 'bad_response', 'The server sent an unreadable answer.', requestId);
  return data;
}

/** "a=1&b=x" from an object, skipping empty values. */
export function toQuery(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  return p.toString();
}
