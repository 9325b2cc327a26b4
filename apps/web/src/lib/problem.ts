/** An RFC 9457 problem as the API sends it, or a network failure (status 0). */
export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail: string;
  errors?: { path: string; message: string }[];
  /** The problem's other members (e.g. `invitationId` of `invitation_pending`). */
  extra?: Record<string, unknown>;
}

export class ApiError extends Error implements Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
  extra: Record<string, unknown>;
  constructor(p: Problem) {
    super(p.detail || p.title || `Request failed (${p.status})`);
    this.name = 'ApiError';
    this.status = p.status;
    this.code = p.code;
    this.detail = p.detail || p.title || `Request failed (${p.status})`;
    if (p.errors) this.errors = p.errors;
    this.extra = p.extra ?? {};
  }
}

export function toApiError(body: unknown, response: Response | undefined): ApiError {
  if (body instanceof ApiError) return body;
  if (body && typeof body === 'object' && 'status' in body) {
    const b = body as Partial<Problem>;
    const { type: _type, title: _title, status: _status, detail: _detail, code: _code, errors: _errors, ...extra } = body as Record<string, unknown>;
    return new ApiError({
      extra,
      status: Number(b.status ?? response?.status ?? 0),
      code: String(b.code ?? 'error'),
      detail: String(b.detail ?? b.title ?? response?.statusText ?? 'Request failed'),
      ...(Array.isArray(b.errors) ? { errors: b.errors } : {}),
    });
  }
  if (!response) return new ApiError({ status: 0, code: 'network', detail: 'The server cannot be reached. Check your connection.' });
  return new ApiError({ status: response.status, code: 'http_' + response.status, detail: `${response.status} ${response.statusText || 'Request failed'}` });
}

/**
 * The API's validation errors by form field: `body.name` → `name`, `body.location.lat` →
 * `location.lat`, `querystring.q` → `q`. Errors about the whole body go to `_form`; when several
 * errors hit one field, the first one wins.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError) || !err.errors) return out;
  for (const e of err.errors) {
    let path = e.path.replace(/^(body|querystring|params|query)(\.|$)/, '');
    path = path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
    const key = path === '' ? '_form' : path;
    out[key] ??= e.message;
  }
  return out;
}

/** The message for a field or any of its sub-fields (e.g. `tags` for `tags.2`). */
export function errorFor(errors: Record<string, string>, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const prefix = field + '.';
  for (const [k, v] of Object.entries(errors)) if (k.startsWith(prefix)) return v;
  return undefined;
}
