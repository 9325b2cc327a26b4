import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

export type { components, paths };
export type ImsopClient = Client<paths>;

/** A signed-in session's token pair, as POST /api/auth/login, /api/auth/mfa/verify and /api/auth/refresh answer it. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface SessionOptions extends TokenPair {
  /**
   * Called with each new pair after a refresh. Refresh tokens rotate: keep the new one (the old one
   * no longer works, and presenting it again ends the session as a suspected theft).
   */
  onRefresh?: (pair: TokenPair) => void;
  /** Called when the session cannot be refreshed (expired, revoked): sign in again. */
  onExpired?: () => void;
}

export interface ClientOptions {
  /** e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** A Bearer token (JWT) or a function returning the current one. */
  token?: string | (() => string | undefined);
  /**
   * A signed-in session: the client sends its access token and, when the API answers 401, rotates
   * the pair once through POST /api/auth/refresh and repeats the request. Concurrent requests share
   * one refresh. Takes the place of `token`.
   */
  session?: SessionOptions;
  /** An API key, sent as X-API-Key. */
  apiKey?: string;
  /** A fetch implementation (tests pass one backed by Fastify's inject). */
  fetch?: (input: Request) => Promise<Response>;
}

/** A problem+json answer (RFC 9457) the API gave instead of what was asked. */
export class ImsopError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly problem: Record<string, unknown>;

  constructor(status: number, problem: unknown) {
    const p = (problem && typeof problem === 'object' ? problem : {}) as Record<string, unknown>;
    super(typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : `HTTP ${status}`);
    this.name = 'ImsopError';
    this.status = status;
    this.code = typeof p.code === 'string' ? p.code : undefined;
    this.problem = p;
  }
}

/** A typed IMSOP API client generated from the OpenAPI document. */
export function createImsopClient(opts: ClientOptions): ImsopClient {
  const fetchImpl = opts.fetch ?? ((request: Request) => globalThis.fetch(request));
  const client = createClient<paths>({ baseUrl: opts.baseUrl, fetch: fetchImpl });
  const session = opts.session ? sessionRefresher(opts.baseUrl, opts.session, fetchImpl) : undefined;
  // What a request looked like before it was sent: the body of a sent request cannot be read again.
  const unsent = new WeakMap<Request, Request>();
  const currentToken = () => session?.accessToken() ?? (typeof opts.token === 'function' ? opts.token() : opts.token);

  const auth: Middleware = {
    onRequest({ request }) {
      const token = currentToken();
      if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
      if (opts.apiKey && !request.headers.has('x-api-key')) request.headers.set('x-api-key', opts.apiKey);
      if (session) unsent.set(request, request.clone());
      return request;
    },
    async onResponse({ request, response }) {
      const copy = unsent.get(request);
      if (!session || !copy || response.status !== 401) return undefined;
      const sentWith = request.headers.get('authorization');
      const token = await session.refreshAfter(sentWith);
      if (!token) return undefined;
      copy.headers.set('authorization', `Bearer ${token}`);
      return fetchImpl(copy);
    },
  };
  client.use(auth);
  return client;
}

/**
 * One session's token pair and its refresh: a single refresh in flight at a time, shared by every
 * request that met a 401 with the token it replaces.
 */
function sessionRefresher(baseUrl: string, opts: SessionOptions, fetchImpl: (input: Request) => Promise<Response>) {
  let pair: TokenPair = { accessToken: opts.accessToken, refreshToken: opts.refreshToken };
  let inFlight: Promise<string | undefined> | undefined;
  let expired = false;

  async function refresh(): Promise<string | undefined> {
    const res = await fetchImpl(
      new Request(new URL('/api/auth/refresh', baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: pair.refreshToken }),
      }),
    );
    if (!res.ok) {
      expired = true;
      opts.onExpired?.();
      return undefined;
    }
    const next = (await res.json()) as TokenPair;
    pair = { accessToken: next.accessToken, refreshToken: next.refreshToken };
    opts.onRefresh?.(pair);
    return pair.accessToken;
  }

  return {
    accessToken: () => pair.accessToken,
    /** A fresh access token after a 401 to a request sent with `sentWith`, or undefined when the session is over. */
    refreshAfter(sentWith: string | null): Promise<string | undefined> {
      if (expired) return Promise.resolve(undefined);
      // Another request refreshed already since this one was sent: use its token.
      if (sentWith !== `Bearer ${pair.accessToken}`) return Promise.resolve(pair.accessToken);
      inFlight ??= refresh().finally(() => (inFlight = undefined));
      return inFlight;
    },
  };
}

/** What openapi-fetch answers for a paged list: `{ data, nextCursor }` or a problem. */
interface PageResult<T> {
  data?: { data: T[]; nextCursor: string | null };
  error?: unknown;
  response: Response;
}

/**
 * Every item of a cursor-paged list, page after page, as an async iterable. `fetchPage` asks for one
 * page with the cursor it is given (undefined for the first). A problem answer throws an ImsopError.
 *
 * @example
 * for await (const op of paginate((cursor) => client.GET('/api/operations', { params: { query: { cursor, limit: 100 } } }))) { … }
 */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<PageResult<T>>): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const { data, error, response } = await fetchPage(cursor);
    if (!data) throw new ImsopError(response.status, error);
    yield* data.data;
    cursor = data.nextCursor ?? undefined;
  } while (cursor);
}

/** The body of a successful answer, or an ImsopError with the problem the API answered instead. */
export async function unwrap<T>(result: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await result;
  if (error !== undefined || data === undefined) {
    if (response.ok && error === undefined) return data as T;
    throw new ImsopError(response.status, error);
  }
  return data;
}
