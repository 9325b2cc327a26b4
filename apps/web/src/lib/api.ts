import { createImsopClient, type ImsopClient } from '@imsop/sdk';
import { ApiError, toApiError } from './problem';
import { auth } from './auth';

/** Endpoints where a 401 is an answer, not an expired access token. */
const NO_REFRESH = /^\/api\/auth\/(login|refresh|mfa\/verify|logout)$/;

/**
 * fetch for the typed client: on a 401 from an authenticated call, refresh the access token once
 * (through the httpOnly cookie) and replay the request with the new token.
 */
async function fetchWithRefresh(request: Request): Promise<Response> {
  const sent = request.headers.get('authorization');
  const replay = sent && !NO_REFRESH.test(new URL(request.url).pathname) ? request.clone() : null;
  const response = await fetch(request);
  if (response.status !== 401 || !replay) return response;
  const token = await auth.tokenAfter401(sent!.slice('Bearer '.length));
  if (!token) return response;
  replay.headers.set('authorization', `Bearer ${token}`);
  return fetch(replay);
}

const origin = typeof location === 'undefined' ? 'http://localhost' : location.origin;

/** The typed API client (packages/sdk); the access token lives in memory only. */
export const api: ImsopClient = createImsopClient({ baseUrl: origin, token: () => auth.token ?? undefined, fetch: fetchWithRefresh });

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Unwraps an SDK call: its data, or an ApiError built from the problem+json body. */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  let res: Result<T>;
  try {
    res = await pending;
  } catch (err) {
    throw err instanceof ApiError ? err : toApiError(undefined, undefined);
  }
  if (!res.response.ok) throw toApiError(res.error, res.response);
  return res.data as T;
}
