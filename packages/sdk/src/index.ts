import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

export type { components, paths };
export type ImsopClient = Client<paths>;

export interface ClientOptions {
  /** e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** A Bearer token (JWT) or a function returning the current one. */
  token?: string | (() => string | undefined);
  /** An API key, sent as X-API-Key. */
  apiKey?: string;
  /** A fetch implementation (tests pass one backed by Fastify's inject). */
  fetch?: (input: Request) => Promise<Response>;
}

/** A typed IMSOP API client generated from the OpenAPI document. */
export function createImsopClient(opts: ClientOptions): ImsopClient {
  const client = createClient<paths>({ baseUrl: opts.baseUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const auth: Middleware = {
    onRequest({ request }) {
      const token = typeof opts.token === 'function' ? opts.token() : opts.token;
      if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
      if (opts.apiKey && !request.headers.has('x-api-key')) request.headers.set('x-api-key', opts.apiKey);
      return request;
    },
  };
  client.use(auth);
  return client;
}
