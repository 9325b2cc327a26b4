import { createImsopClient } from '@imsop/sdk';
import { ApiError, toApiError } from './problem';
import type { Body, Ok } from './types';

export type AuthStatus = 'loading' | 'anonymous' | 'authenticated';
export interface AuthSnapshot {
  status: AuthStatus;
  /** Why the user is signed out: a message for the login page. */
  reason: 'signed_out' | 'expired' | 'unreachable' | null;
}

/** A client without the refresh-on-401 wrapper, for the auth endpoints themselves. */
export type MfaMethod = 'totp' | 'passkey';
export type PasskeyRequestOptions = Ok<'/api/auth/passkey/options', 'post'>;
export type PasskeyAssertion = Body<'/api/auth/passkey/login', 'post'>['response'];

const bare = createImsopClient({ baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin });

/**
 * A hint (not a secret) that this browser holds a refresh cookie: without it, a first visit does
 * not ask for a refresh that can only fail (and log a 401 in the console).
 */
const HINT = 'imsop.signedIn';
const hint = {
  get: () => {
    try {
      return localStorage.getItem(HINT) === '1';
    } catch {
      return true;
    }
  },
  set: (on: boolean) => {
    try {
      if (on) localStorage.setItem(HINT, '1');
      else localStorage.removeItem(HINT);
    } catch {
      // storage disabled: we simply always try the refresh
    }
  },
};

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

type Message = { type: 'login' } | { type: 'logout' };

interface Boot {
  refresh: Promise<{ status: number; body: { accessToken: string; expiresIn: number } | null }>;
  me: Promise<unknown>;
}
/** What public/boot.js started before this code loaded (taken once, then removed from window). */
function takeBoot(): Boot | null {
  const w = globalThis as { __imsopBoot?: Boot };
  const boot = w.__imsopBoot ?? null;
  delete w.__imsopBoot;
  return boot;
}

/**
 * Sign-in state. The access token is kept in memory only; the refresh token is an httpOnly
 * cookie (path /api/auth) the browser sends to POST /api/auth/refresh. The token is refreshed on
 * load, a minute before it expires and after a 401; tabs share one refresh at a time (Web Locks)
 * and tell each other about sign-in and sign-out (BroadcastChannel).
 */
class AuthStore {
  token: string | null = null;
  private expiresAt = 0;
  private snapshot: AuthSnapshot = { status: 'loading', reason: null };
  private listeners = new Set<() => void>();
  private tokenListeners = new Set<(token: string | null) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inflight: Promise<string | null> | null = null;
  private channel: BroadcastChannel | null = null;

  constructor() {
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel('imsop.auth');
      // (Node has BroadcastChannel too: never keep a test process alive for it.)
      (this.channel as { unref?: () => void }).unref?.();
      this.channel.onmessage = (e: MessageEvent<Message>) => {
        if (e.data?.type === 'logout') this.clear('signed_out');
        if (e.data?.type === 'login' && this.snapshot.status !== 'authenticated') void this.refresh();
      };
    }
    if (typeof document !== 'undefined') {
      // Timers are throttled in background tabs: catch up when the tab is shown again.
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible' && this.token && Date.now() > this.expiresAt - REFRESH_MARGIN_MS) void this.refresh();
      });
    }
  }

  get state(): AuthSnapshot {
    return this.snapshot;
  }
  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  };
  getSnapshot = () => this.snapshot;
  /** Called with every new access token (the realtime socket re-authenticates with it). */
  onToken(fn: (token: string | null) => void) {
    this.tokenListeners.add(fn);
    return () => void this.tokenListeners.delete(fn);
  }

  private set(status: AuthStatus, reason: AuthSnapshot['reason'] = null) {
    if (this.snapshot.status === status && this.snapshot.reason === reason) return;
    this.snapshot = { status, reason };
    for (const fn of this.listeners) fn();
  }

  private accept(accessToken: string, expiresIn: number) {
    this.token = accessToken;
    this.expiresAt = Date.now() + expiresIn * 1000;
    clearTimeout(this.timer);
    const delay = Math.max(5_000, Math.min(expiresIn * 1000 - REFRESH_MARGIN_MS, expiresIn * 800));
    this.timer = setTimeout(() => void this.refresh(), delay);
    for (const fn of this.tokenListeners) fn(accessToken);
    hint.set(true);
    this.set('authenticated');
  }

  private clear(reason: AuthSnapshot['reason']) {
    clearTimeout(this.timer);
    const had = this.token !== null;
    this.token = null;
    this.expiresAt = 0;
    hint.set(false);
    if (had) for (const fn of this.tokenListeners) fn(null);
    this.set('anonymous', reason);
  }

  private initOnce: Promise<void> | null = null;
  /** On load: a session from the refresh cookie, if there is one (once; later calls share it). */
  init(): Promise<void> {
    this.initOnce ??= this.doInit();
    return this.initOnce;
  }

  /** The user as boot.js fetched it with the first token, for the router's first load. */
  bootMe: Promise<unknown> | null = null;

  private async doInit() {
    const boot = takeBoot();
    if (boot) {
      const res = await boot.refresh.catch(() => null);
      if (res?.status === 200 && res.body) {
        this.bootMe = boot.me.catch(() => null);
        this.accept(res.body.accessToken, res.body.expiresIn);
        return;
      }
      if (res && res.status >= 400 && res.status < 500) {
        this.clear(null);
        return;
      }
      // Network trouble or a 5xx: try again the usual way below.
    }
    if (!hint.get()) {
      this.set('anonymous');
      return;
    }
    for (let attempt = 0; ; attempt++) {
      const token = await this.refresh();
      if (token || this.snapshot.status === 'anonymous' || attempt >= 2) break;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
    if (this.snapshot.status === 'loading') this.set('anonymous', 'unreachable');
  }

  /** One refresh at a time, across tabs; resolves to the new access token or null. */
  refresh(): Promise<string | null> {
    this.inflight ??= this.withLock(() => this.doRefresh()).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (typeof navigator !== 'undefined' && navigator.locks) return navigator.locks.request('imsop.auth.refresh', fn);
    return fn();
  }

  private async doRefresh(): Promise<string | null> {
    let res;
    try {
      res = await bare.POST('/api/auth/refresh', { body: {} });
    } catch {
      // Network failure: keep the current token while it lasts, and try again soon.
      clearTimeout(this.timer);
      if (this.token && Date.now() < this.expiresAt) this.timer = setTimeout(() => void this.refresh(), 10_000);
      return null;
    }
    if (res.data) {
      this.accept(res.data.accessToken, res.data.expiresIn);
      return res.data.accessToken;
    }
    const status = res.response.status;
    if (status === 401 || status === 403 || status === 400) this.clear(this.token ? 'expired' : null);
    else if (this.token && Date.now() < this.expiresAt) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), 10_000);
    } else if (this.snapshot.status !== 'loading') this.clear('expired');
    return null;
  }

  /** After a 401 carrying `sent`: the current token if it is newer, else one refresh. */
  async tokenAfter401(sent: string): Promise<string | null> {
    if (this.token && this.token !== sent) return this.token;
    return this.refresh();
  }

  /** Email and password; answers the MFA token (and the second factors the account has) when a second factor is needed. */
  async login(input: { email: string; password: string; org?: string }): Promise<{ mfaToken: string; methods: MfaMethod[] } | null> {
    const res = await bare.POST('/api/auth/login', { body: input }).catch(() => {
      throw toApiError(undefined, undefined);
    });
    if (!res.data) throw toApiError(res.error, res.response);
    if (res.data.mfaRequired) return { mfaToken: res.data.mfaToken, methods: res.data.methods };
    this.accept(res.data.accessToken, res.data.expiresIn);
    this.channel?.postMessage({ type: 'login' } satisfies Message);
    return null;
  }

  /** Accepts an invitation (name and password) and signs the new user in, as a login would. */
  async acceptInvitation(input: { token: string; name: string; password: string }) {
    const res = await bare.POST('/api/invitations/accept', { body: input }).catch(() => {
      throw toApiError(undefined, undefined);
    });
    if (!res.data) throw toApiError(res.error, res.response);
    this.accept(res.data.accessToken, res.data.expiresIn);
    this.channel?.postMessage({ type: 'login' } satisfies Message);
  }

  async verifyMfa(mfaToken: string, code: string) {
    const res = await bare.POST('/api/auth/mfa/verify', { body: { mfaToken, code } }).catch(() => {
      throw toApiError(undefined, undefined);
    });
    if (!res.data) throw toApiError(res.error, res.response);
    this.accept(res.data.accessToken, res.data.expiresIn);
    this.channel?.postMessage({ type: 'login' } satisfies Message);
  }

  /**
   * Signs in with a passkey: without a password (any passkey of this site the browser offers), or as
   * the MFA step of a password sign-in (`mfaToken`). `ceremony` runs navigator.credentials.get on
   * the server's options (lib/passkeys.ts), so this store needs no WebAuthn code of its own.
   */
  async loginWithPasskey(ceremony: (options: PasskeyRequestOptions) => Promise<PasskeyAssertion>, mfaToken?: string) {
    const fail = () => {
      throw toApiError(undefined, undefined);
    };
    const opts = await bare.POST('/api/auth/passkey/options', { body: mfaToken ? { mfaToken } : {} }).catch(fail);
    if (!opts.data) throw toApiError(opts.error, opts.response);
    const response = await ceremony(opts.data);
    const res = await (mfaToken
      ? bare.POST('/api/auth/mfa/passkey', { body: { mfaToken, response } })
      : bare.POST('/api/auth/passkey/login', { body: { response } })
    ).catch(fail);
    if (!res.data) throw toApiError(res.error, res.response);
    this.accept(res.data.accessToken, res.data.expiresIn);
    this.channel?.postMessage({ type: 'login' } satisfies Message);
  }

  /** After a single sign-on (whose callback set the refresh cookie): take up the session it started. */
  async adoptCookieSession(): Promise<boolean> {
    const token = await this.refresh();
    if (token) this.channel?.postMessage({ type: 'login' } satisfies Message);
    return token !== null;
  }

  async logout() {
    // The server ends the session and clears the refresh cookie; an expired access token is
    // refreshed first, or the cookie would sign the user back in on the next load.
    const end = (token: string) => bare.POST('/api/auth/logout', { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    const token = this.token;
    if (token && Date.now() < this.expiresAt - REFRESH_MARGIN_MS) {
      // A token still fresh ends its own session. Stop using it here first, so no query or socket
      // races the revocation with the old token (they would answer 401 after it).
      this.clear('signed_out');
      this.channel?.postMessage({ type: 'logout' } satisfies Message);
      await end(token);
      return;
    }
    if (this.token) {
      const res = await end(this.token);
      if (res?.response.status === 401) {
        const fresh = await this.refresh();
        if (fresh) await end(fresh);
      }
    }
    this.clear('signed_out');
    this.channel?.postMessage({ type: 'logout' } satisfies Message);
  }

  /** The session was ended elsewhere (revoked, deactivated): sign out locally. */
  expire() {
    this.clear('expired');
  }
}

export const auth = new AuthStore();
export { ApiError };
