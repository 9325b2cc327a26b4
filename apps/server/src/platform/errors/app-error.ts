/** A domain error: services throw these; the HTTP edge maps them to problem+json. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}

export const badRequest = (code: string, message: string, extra?: Record<string, unknown>) =>
  new AppError(400, code, message, extra);
export const unauthorized = (message = 'Authentication is required.', code = 'unauthorized') =>
  new AppError(401, code, message);
export const forbidden = (message = 'You do not have permission to do this.', code = 'forbidden') =>
  new AppError(403, code, message);
export const notFound = (entity: string) => new AppError(404, 'not_found', `${entity} not found.`);
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) =>
  new AppError(409, code, message, extra);
export const unprocessable = (code: string, message: string, extra?: Record<string, unknown>) =>
  new AppError(422, code, message, extra);
export const tooManyRequests = (retryAfterSeconds: number, message: string, code = 'rate_limited') =>
  new AppError(429, code, message, { retryAfter: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });

/** The HTTP statuses a domain error may carry: the client's mistake (4xx), never a server failure. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429;

export type ErrorCatalogue = Readonly<Record<string, ErrorStatus>>;

/**
 * A module's error codes and their HTTP statuses, declared once in `<domain>.errors.ts`:
 *
 *   export const operationsErrors = defineErrors({ illegal_transition: 409, invalid_dates: 400 });
 *   throw operationsErrors.raise('invalid_dates', 'endAt must not be before startAt.');
 *
 * `raise` accepts only the catalogue's codes, so a code and its status cannot drift apart, and the
 * catalogue is what the module declares (docs and the OpenAPI problem codes come from it).
 */
export function defineErrors<const C extends ErrorCatalogue>(codes: C) {
  return {
    codes,
    raise<K extends keyof C & string>(code: K, message: string, extra?: Record<string, unknown>): AppError {
      return new AppError(codes[code]!, code, message, extra);
    },
  };
}

export type ModuleErrors = ReturnType<typeof defineErrors<ErrorCatalogue>>;
