/**
 * The console's one WebSocket to /api/realtime. It subscribes to topics (reference-counted),
 * remembers the last event id of each topic, and after a network loss reconnects with exponential
 * back-off and resumes with `since`, so no event is missed and none is applied twice.
 */

export type RealtimeStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'offline';

/** Someone on a topic, as the server reports it (`{type:'presence', topic, users}`). */
export interface PresenceUser {
  userId: string;
  state: 'viewing' | 'replying';
}
export type PresenceState = PresenceUser['state'] | 'left';

export interface RealtimeEvent {
  id: number;
  topic: string;
  event: string;
  data: unknown;
  at?: string;
}

interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface RealtimeOptions {
  /**
   * The socket URL with an optional resume point (`?since=…`). The token goes in the first
   * message rather than the URL, so it never lands in access logs.
   */
  url(since: number | null): string;
  /** The current access token (null: not signed in, do not connect). */
  token(): string | null;
  onEvent(e: RealtimeEvent): void;
  /** Events may have been missed (no resume point, or a truncated replay): refetch what is shown. */
  onResync?(): void;
  /** The server refused the token: refresh it; resolve true to reconnect at once. */
  onUnauthorized?(): Promise<boolean>;
  /** A topic was refused (forbidden / not found / unknown). */
  onTopicError?(topic: string, code: string): void;
  createSocket?(url: string): SocketLike;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Ping interval; a socket silent for 2.5 intervals is considered dead. */
  heartbeatMs?: number;
  random?(): number;
}

interface TopicState {
  refs: number;
  /** Last event id received on this topic. */
  last: number | null;
  /** The connection's last event id when this topic was first confirmed: a resume point before any event. */
  base: number | null;
  confirmed: boolean;
}

const OPEN = 1;
const NO_USERS: PresenceUser[] = [];

export class RealtimeClient {
  status: RealtimeStatus = 'idle';
  /** The highest event id received on any topic. */
  lastEventId: number | null = null;
  private topics = new Map<string, TopicState>();
  private ws: SocketLike | null = null;
  private attempt = 0;
  private everConnected = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lastMessageAt = 0;
  private running = false;
  private statusListeners = new Set<(s: RealtimeStatus) => void>();
  /** What this client says it is doing on a topic (re-sent on every heartbeat and after a reconnect). */
  private announced = new Map<string, PresenceUser['state']>();
  /** Who the server says is on a topic (everyone, this client included). */
  private present = new Map<string, PresenceUser[]>();
  private presenceListeners = new Set<(topic: string) => void>();

  constructor(private opts: RealtimeOptions) {}

  onStatus(fn: (s: RealtimeStatus) => void) {
    this.statusListeners.add(fn);
    return () => void this.statusListeners.delete(fn);
  }

  private setStatus(s: RealtimeStatus) {
    if (this.status === s) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }

  /**
   * Tells the others on a subscribed topic what this user is doing there ('viewing', 'replying');
   * 'left' stops it. Sent once the subscription is confirmed, again with every heartbeat (the
   * server forgets a presence not refreshed within a minute) and after a reconnect.
   */
  setPresence(topic: string, state: PresenceState) {
    if (state === 'left') {
      if (this.announced.delete(topic) && this.topics.get(topic)?.confirmed) this.send({ type: 'presence', topic, state });
      return;
    }
    if (this.announced.get(topic) === state) return;
    this.announced.set(topic, state);
    if (this.topics.get(topic)?.confirmed) this.send({ type: 'presence', topic, state });
  }

  /** The users on a topic as last reported (empty while disconnected). */
  presenceOf(topic: string): PresenceUser[] {
    return this.present.get(topic) ?? NO_USERS;
  }

  onPresence(fn: (topic: string) => void) {
    this.presenceListeners.add(fn);
    return () => void this.presenceListeners.delete(fn);
  }

  private setPresent(topic: string, users: PresenceUser[] | null) {
    if (users === null) {
      if (!this.present.delete(topic)) return;
    } else this.present.set(topic, users);
    for (const fn of this.presenceListeners) fn(topic);
  }

  /** Disconnected: nobody is known to be anywhere until the server says so again. */
  private forgetPresence() {
    for (const topic of [...this.present.keys()]) this.setPresent(topic, null);
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop() {
    this.running = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      ws.close(1000, 'bye');
    }
    this.announced.clear();
    this.forgetPresence();
    // A later start (another sign-in) begins afresh: nothing to resume.
    this.lastEventId = null;
    this.everConnected = false;
    this.attempt = 0;
    for (const t of this.topics.values()) {
      t.last = null;
      t.base = null;
      t.confirmed = false;
    }
    this.setStatus('idle');
  }

  /** Subscribes to a topic; the returned function unsubscribes (when the last user leaves). */
  subscribe(topic: string): () => void {
    let t = this.topics.get(topic);
    if (!t) {
      t = { refs: 0, last: null, base: null, confirmed: false };
      this.topics.set(topic, t);
      if (this.status === 'live') this.send({ type: 'subscribe', topic });
    }
    t.refs++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const cur = this.topics.get(topic);
      if (!cur || --cur.refs > 0) return;
      this.topics.delete(topic);
      // The server announces that this connection left the topic.
      this.announced.delete(topic);
      this.setPresent(topic, null);
      if (this.status === 'live') this.send({ type: 'unsubscribe', topic });
    };
  }

  /** A new access token: re-authenticate the open socket (the server re-checks tokens). */
  setToken(token: string | null) {
    if (!token) return this.stop();
    if (!this.running) return this.start();
    if (this.ws?.readyState === OPEN) this.send({ type: 'auth', token });
  }

  /** The browser says the network is back: retry now rather than after the back-off. */
  retryNow() {
    if (!this.running || this.ws) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  /**
   * The browser says the network is gone: drop the socket (it is dead or soon will be) and wait
   * for `retryNow()` when it is back, with a slow retry meanwhile in case that never comes.
   */
  networkLost() {
    if (!this.running) return;
    this.detach();
    this.setStatus('offline');
    this.attempt = Math.max(this.attempt, 4);
    this.scheduleReconnect();
  }

  private detach() {
    clearInterval(this.heartbeat);
    const ws = this.ws;
    this.ws = null;
    for (const t of this.topics.values()) t.confirmed = false;
    this.forgetPresence();
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      ws.close(4000, 'network lost');
    }
  }

  private send(msg: unknown) {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(msg));
  }

  private connect() {
    if (!this.opts.token()) {
      this.setStatus('idle');
      return;
    }
    this.setStatus(this.everConnected ? 'reconnecting' : 'connecting');
    const url = this.opts.url(this.lastEventId);
    let ws: SocketLike;
    try {
      ws = this.opts.createSocket ? this.opts.createSocket(url) : (new WebSocket(url) as unknown as SocketLike);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const current = this.opts.token();
      if (current) ws.send(JSON.stringify({ type: 'auth', token: current }));
      else ws.close(1000, 'signed out');
    };
    ws.onmessage = (ev) => this.handle(ev.data);
    ws.onerror = () => undefined; // onclose follows
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.heartbeat);
      for (const t of this.topics.values()) t.confirmed = false;
      this.forgetPresence();
      if (!this.running) return;
      if (ev.code === 4401 && this.opts.onUnauthorized) {
        this.setStatus('reconnecting');
        void this.opts.onUnauthorized().then((ok) => {
          if (!this.running) return;
          if (ok) this.connect();
          else this.stop();
        });
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect() {
    if (!this.running || this.ws) return;
    if (this.status !== 'offline') this.setStatus('reconnecting');
    const initial = this.opts.initialDelayMs ?? 500;
    const max = this.opts.maxDelayMs ?? 30_000;
    const exp = Math.min(max, initial * 2 ** this.attempt);
    const delay = exp / 2 + (this.opts.random ?? Math.random)() * (exp / 2);
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private startHeartbeat() {
    const every = this.opts.heartbeatMs ?? 20_000;
    clearInterval(this.heartbeat);
    this.lastMessageAt = Date.now();
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastMessageAt > every * 2.5) {
        // No pong: the connection is dead even if the socket has not noticed yet.
        this.detach();
        this.scheduleReconnect();
        return;
      }
      this.send({ type: 'ping' });
      for (const [topic, state] of this.announced) if (this.topics.get(topic)?.confirmed) this.send({ type: 'presence', topic, state });
    }, every);
  }

  private handle(raw: unknown) {
    this.lastMessageAt = Date.now();
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(String(raw)) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (msg.type) {
      case 'ready': {
        const resumed = this.everConnected;
        this.everConnected = true;
        this.attempt = 0;
        this.setStatus('live');
        this.startHeartbeat();
        let gap = false;
        for (const [topic, t] of this.topics) {
          const since = t.last ?? t.base;
          // Without its own resume point a topic resumes from the URL's `since`, if there is one.
          if (resumed && since === null && this.lastEventId === null) gap = true;
          this.send(since === null ? { type: 'subscribe', topic } : { type: 'subscribe', topic, since });
        }
        if (gap) this.opts.onResync?.();
        break;
      }
      case 'subscribed': {
        const t = this.topics.get(String(msg.topic));
        if (t) {
          t.confirmed = true;
          t.base ??= this.lastEventId;
          const state = this.announced.get(String(msg.topic));
          if (state) this.send({ type: 'presence', topic: msg.topic, state });
        }
        if (msg.truncated) this.opts.onResync?.();
        break;
      }
      case 'event': {
        const id = Number(msg.id);
        const topic = String(msg.topic);
        const t = this.topics.get(topic);
        if (!t || !Number.isSafeInteger(id)) return;
        if (t.last !== null && id <= t.last) return; // already applied (replay overlap)
        t.last = id;
        if (this.lastEventId === null || id > this.lastEventId) this.lastEventId = id;
        const e: RealtimeEvent = { id, topic, event: String(msg.event), data: msg.data };
        if (typeof msg.at === 'string') e.at = msg.at;
        this.opts.onEvent(e);
        break;
      }
      case 'presence': {
        const topic = String(msg.topic);
        if (!this.topics.has(topic) || !Array.isArray(msg.users)) return;
        const users = (msg.users as unknown[]).filter(
          (u): u is PresenceUser => !!u && typeof (u as PresenceUser).userId === 'string' && ((u as PresenceUser).state === 'viewing' || (u as PresenceUser).state === 'replying'),
        );
        this.setPresent(topic, users);
        break;
      }
      case 'error': {
        // A presence sent in a race with an unsubscribe is refused; the subscription itself stands.
        if (typeof msg.topic === 'string' && msg.code !== 'not_subscribed') {
          this.topics.delete(msg.topic);
          this.opts.onTopicError?.(msg.topic, String(msg.code));
        }
        break;
      }
      default:
        break;
    }
  }
}
