import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { AccessChange, Actor } from '../access/actor.ts';
import type { AppDb } from '../db/client.ts';
import type { Authenticator } from '../http/api.ts';
import type { Bus } from '../bus/bus.ts';
import { eventsSince, type DeliveredEvent, type Dispatcher } from '../events/dispatcher.ts';
import { readersFor, shows, topicRuleOf, visibleNow, type TopicDecision, type TopicRule } from './topic-access.ts';

interface Subscription {
  rule: TopicRule;
  live: boolean;
  buffer: DeliveredEvent[];
  lastId: number;
}

interface Connection {
  id: string;
  ws: WebSocket;
  actor: Actor;
  token: string;
  meta: Actor['meta'];
  subs: Map<string, Subscription>;
  /** Live events waiting for this connection's read check, in id order. */
  pending: DeliveredEvent[];
  draining: boolean;
  /** Runs after the socket's earlier messages and re-checks, one at a time, in order. */
  enqueue(work: () => Promise<unknown>): void;
}

const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const REPLAY_LIMIT = 10_000;

export interface RealtimeOptions {
  db: AppDb;
  dispatcher: Dispatcher;
  authenticator: Authenticator;
  rules: readonly TopicRule[];
  /**
   * Tells the gateway whose access changed (roles, grants, sessions, keys; on every instance): their
   * sockets re-resolve the actor at once, lose the subscriptions it may no longer hold, and close
   * when the credential is gone.
   */
  accessChanges?: (listener: (change: AccessChange) => void) => void;
  log: { warn(obj: unknown, msg?: string): void };
  /** How often each connection's credentials and subscriptions are re-checked anyway. */
  recheckMs?: number;
  /** Carries presence between instances (every instance, this one included, hears every update). */
  bus?: Bus;
}

export const PRESENCE_STATES = ['viewing', 'replying', 'left'] as const;
type PresenceState = (typeof PRESENCE_STATES)[number];
/** A presence not refreshed within this time is dropped (clients refresh every ~20 s). */
export const PRESENCE_TTL_MS = 60_000;
const PRESENCE_CHANNEL = 'imsop:presence';

type ClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; topic: string; since?: number }
  | { type: 'unsubscribe'; topic: string }
  | { type: 'presence'; topic: string; state: PresenceState }
  | { type: 'ping' };

function parseMessage(raw: string): ClientMessage | null {
  try {
    const m = JSON.parse(raw) as Record<string, unknown>;
    if (m.type === 'ping') return { type: 'ping' };
    if (m.type === 'auth' && typeof m.token === 'string' && m.token.length < 4096) return { type: 'auth', token: m.token };
    if (m.type === 'presence' && typeof m.topic === 'string' && m.topic.length <= 200 && PRESENCE_STATES.includes(m.state as PresenceState)) {
      return { type: 'presence', topic: m.topic, state: m.state as PresenceState };
    }
    if ((m.type === 'subscribe' || m.type === 'unsubscribe') && typeof m.topic === 'string' && m.topic.length <= 200) {
      if (m.type === 'unsubscribe') return { type: 'unsubscribe', topic: m.topic };
      const since = m.since === undefined ? undefined : Number(m.since);
      if (since !== undefined && (!Number.isSafeInteger(since) || since < 0)) return null;
      return since === undefined ? { type: 'subscribe', topic: m.topic } : { type: 'subscribe', topic: m.topic, since };
    }
  } catch {
    // fall through
  }
  return null;
}

/**
 * One WebSocket endpoint, `/api/realtime`. Authenticate with `?access_token=` (or an `auth`
 * message first), then subscribe to topics; `?since=<event id>` (or `since` on a subscription)
 * replays what was missed from the outbox before live events, with no gaps and no duplicates.
 */
export function createRealtimeGateway(opts: RealtimeOptions) {
  const byOrg = new Map<string, Set<Connection>>();
  let connections = 0;
  const instance = crypto.randomUUID();
  /** `${orgId} ${topic}` → member (instance:connection) → who and what, until when. */
  const presence = new Map<string, Map<string, { userId: string; state: PresenceState; until: number }>>();

  const send = (c: Connection, msg: unknown) => {
    if (c.ws.readyState !== 1) return;
    if (c.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      // A client that cannot keep up reconnects with `since`; we never buffer without bound.
      c.ws.close(1013, 'too slow; reconnect with since');
      return;
    }
    c.ws.send(JSON.stringify(msg));
  };
  const eventMessage = (e: DeliveredEvent) => ({
    type: 'event',
    id: e.id,
    topic: e.topic,
    event: e.type,
    data: e.payload,
    at: e.createdAt,
  });

  const ruleOf = (topic: string) => topicRuleOf(opts.rules, topic);

  function drop(c: Connection, topic: string, reason: Exclude<TopicDecision, 'ok'>) {
    if (!c.subs.delete(topic)) return;
    if (presence.get(`${c.actor.orgId} ${topic}`)?.has(`${instance}:${c.id}`)) announce(c, topic, 'left');
    send(c, { type: 'unsubscribed', topic, reason });
  }

  /**
   * Live delivery: each event passes the subscriber's read check, resolved once per batch with the
   * actor as it is now. A check that cannot run (the database is down) closes the socket: the
   * client reconnects with `since` and misses nothing.
   */
  async function drain(c: Connection) {
    try {
      while (c.pending.length) {
        const batch = c.pending.splice(0);
        const readers = await readersFor(c.actor, batch.map((e) => c.subs.get(e.topic)?.rule));
        for (const e of batch) {
          const sub = c.subs.get(e.topic);
          if (!sub) continue;
          if (!sub.live) {
            sub.buffer.push(e);
            continue;
          }
          if (e.id <= sub.lastId) continue;
          sub.lastId = e.id;
          if (shows(sub.rule, readers, e)) send(c, eventMessage(e));
          else if (sub.rule.single) drop(c, e.topic, 'not_found');
        }
      }
    } catch (err) {
      opts.log.warn({ err }, 'realtime read check failed');
      c.ws.close(1013, 'temporarily unavailable; reconnect with since');
    } finally {
      c.draining = false;
    }
  }

  opts.dispatcher.subscribe((e) => {
    const conns = byOrg.get(e.orgId);
    if (!conns) return;
    for (const c of conns) {
      if (!c.subs.has(e.topic)) continue;
      c.pending.push(e);
      if (c.draining) continue;
      // After the dispatcher's current batch: one read check serves all of it.
      c.draining = true;
      queueMicrotask(() => void drain(c));
    }
  });

  /** Who is on a topic now: one entry per user, "replying" winning over "viewing". */
  function presenceOf(orgId: string, topic: string) {
    const users = new Map<string, PresenceState>();
    for (const m of presence.get(`${orgId} ${topic}`)?.values() ?? []) {
      if (users.get(m.userId) !== 'replying') users.set(m.userId, m.state);
    }
    return [...users].map(([userId, state]) => ({ userId, state }));
  }
  function broadcastPresence(orgId: string, topic: string) {
    const users = presenceOf(orgId, topic);
    for (const c of byOrg.get(orgId) ?? []) if (c.subs.has(topic)) send(c, { type: 'presence', topic, users });
  }
  function applyPresence(m: Record<string, unknown>) {
    const { orgId, topic, member, userId, state } = m as { orgId: string; topic: string; member: string; userId: string; state: PresenceState };
    if (typeof orgId !== 'string' || typeof topic !== 'string' || typeof member !== 'string') return;
    const key = `${orgId} ${topic}`;
    let members = presence.get(key);
    if (state === 'left') {
      if (!members?.delete(member)) return;
      if (members.size === 0) presence.delete(key);
    } else {
      if (!members) presence.set(key, (members = new Map()));
      if (members.size >= 256 && !members.has(member)) return;
      members.set(member, { userId, state, until: Date.now() + PRESENCE_TTL_MS });
    }
    broadcastPresence(orgId, topic);
  }
  const announce = (c: Connection, topic: string, state: PresenceState) => {
    const msg = { orgId: c.actor.orgId, topic, member: `${instance}:${c.id}`, userId: c.actor.userId ?? c.actor.id, state };
    if (opts.bus) opts.bus.publish(PRESENCE_CHANNEL, msg);
    else applyPresence(msg);
  };
  opts.bus?.subscribe(PRESENCE_CHANNEL, applyPresence);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, members] of presence) {
      let changed = false;
      for (const [id, m] of members) if (m.until < now) changed = members.delete(id) || changed;
      if (members.size === 0) presence.delete(key);
      if (changed) {
        const i = key.indexOf(' ');
        broadcastPresence(key.slice(0, i), key.slice(i + 1));
      }
    }
  }, 10_000);
  sweep.unref();

  async function decide(actor: Actor, topic: string): Promise<TopicDecision | 'unknown_topic'> {
    const found = ruleOf(topic);
    return found ? found.rule.authorize(actor, found.match) : 'unknown_topic';
  }

  async function subscribe(c: Connection, topic: string, since: number | undefined) {
    const decision = await decide(c.actor, topic);
    if (decision === 'unknown_topic') return send(c, { type: 'error', code: 'unknown_topic', topic, message: `Unknown topic "${topic}".` });
    if (decision !== 'ok') {
      return send(c, {
        type: 'error',
        code: decision,
        topic,
        message: decision === 'forbidden' ? 'You may not subscribe to this topic.' : 'Not found.',
      });
    }
    if (c.subs.has(topic)) return send(c, { type: 'subscribed', topic });
    const here = presenceOf(c.actor.orgId, topic);
    const rule = ruleOf(topic)!.rule;
    const sub: Subscription = { rule, live: since === undefined, buffer: [], lastId: 0 };
    c.subs.set(topic, sub);
    if (since === undefined) {
      send(c, { type: 'subscribed', topic });
      if (here.length) send(c, { type: 'presence', topic, users: here });
      return;
    }
    try {
      // Replay: the same read check as live events, with the actor as they are now.
      const missed = await eventsSince(opts.db, c.actor.orgId, since, [topic], REPLAY_LIMIT);
      const visible = await visibleNow(c.actor, rule, missed);
      const shown = missed.filter((e) => visible.has(e.id)).map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
      send(c, { type: 'subscribed', topic, replayed: shown.length, truncated: missed.length === REPLAY_LIMIT });
      sub.lastId = missed.at(-1)?.id ?? 0;
      for (const e of shown) send(c, eventMessage(e));
      // Live events that arrived meanwhile; none can arrive between the last check and `live`.
      while (sub.buffer.length) {
        const batch = sub.buffer.splice(0);
        const readers = await readersFor(c.actor, [rule]);
        for (const e of batch) {
          if (e.id <= sub.lastId) continue;
          sub.lastId = e.id;
          if (shows(rule, readers, e)) send(c, eventMessage(e));
        }
      }
      sub.live = true;
    } catch (err) {
      opts.log.warn({ err }, 'realtime replay failed');
      c.ws.close(1013, 'temporarily unavailable; reconnect with since');
    }
  }

  /**
   * Re-resolves the connection's actor and re-authorizes each subscription: those it may no longer
   * hold end (`unsubscribed`, with the reason), and a revoked credential closes the socket.
   */
  async function reauthorize(c: Connection) {
    let actor: Actor | null;
    try {
      actor = await authenticate(c.token, c.meta);
    } catch {
      return; // The check could not run (the database is down): keep the connection, check again next time.
    }
    if (!actor || actor.orgId !== c.actor.orgId) {
      send(c, { type: 'error', code: 'unauthorized', message: 'Session ended.' });
      c.ws.close(4401, 'session ended');
      return;
    }
    c.actor = actor;
    for (const [topic, sub] of [...c.subs]) {
      let decision: TopicDecision | 'unknown_topic';
      try {
        decision = await decide(actor, topic);
      } catch {
        continue;
      }
      if (decision !== 'ok' && c.subs.get(topic) === sub) drop(c, topic, decision === 'unknown_topic' ? 'not_found' : decision);
    }
  }
  const recheck = (c: Connection) => c.enqueue(() => reauthorize(c));
  const affected = (change: AccessChange, a: Actor) =>
    change.kind === 'all' ||
    (change.kind === 'sessions' && !!a.sessionId && change.sessionIds.includes(a.sessionId)) ||
    (change.kind === 'key' && a.type === 'api_key' && a.id === change.keyId) ||
    // An API key holds no more than its creator may do today, so a change to a user reaches keys too.
    (change.kind === 'user' && a.orgId === change.orgId && (!change.userId || a.userId === change.userId || a.type === 'api_key'));
  opts.accessChanges?.((change) => {
    for (const conns of byOrg.values()) for (const c of conns) if (affected(change, c.actor)) recheck(c);
  });

  async function authenticate(token: string, meta: Actor['meta']): Promise<Actor | null> {
    return token.startsWith('imsop_') ? opts.authenticator.fromApiKey(token, meta) : opts.authenticator.fromAccessToken(token, meta);
  }

  function register(app: FastifyInstance) {
    app.get(
      '/api/realtime',
      { websocket: true, schema: { hide: true } } as never,
      ((socket: WebSocket, req: import('fastify').FastifyRequest) => {
        const query = req.query as Record<string, string | undefined>;
        const meta = { ip: req.ip, userAgent: req.headers['user-agent'] ?? null, requestId: String(req.id) };
        const since = query.since !== undefined && /^\d{1,15}$/.test(query.since) ? Number(query.since) : undefined;
        let conn: Connection | null = null;
        // Messages and re-checks are handled one at a time, in order, after the query-string authentication.
        let chain: Promise<unknown> = Promise.resolve();
        const enqueue = (work: () => Promise<unknown>) => {
          chain = chain.then(work).catch((err: unknown) => opts.log.warn({ err }, 'realtime message failed'));
        };
        const closeUnauthorized = () => {
          socket.send(JSON.stringify({ type: 'error', code: 'unauthorized', message: 'Authenticate with ?access_token= or an auth message.' }));
          socket.close(4401, 'unauthorized');
        };
        const attach = (actor: Actor, token: string) => {
          conn = { id: crypto.randomUUID(), ws: socket, actor, token, meta, subs: new Map(), pending: [], draining: false, enqueue };
          connections++;
          let set = byOrg.get(actor.orgId);
          if (!set) byOrg.set(actor.orgId, (set = new Set()));
          set.add(conn);
          socket.send(JSON.stringify({ type: 'ready', orgId: actor.orgId }));
        };
        const handle = async (raw: string) => {
          const msg = parseMessage(raw);
          if (!msg) return socket.send(JSON.stringify({ type: 'error', code: 'bad_message', message: 'Unreadable message.' }));
          if (msg.type === 'ping') return socket.send(JSON.stringify({ type: 'pong' }));
          if (msg.type === 'auth') {
            const actor = await authenticate(msg.token, meta);
            if (!actor || (conn && actor.orgId !== conn.actor.orgId)) return closeUnauthorized();
            if (!conn) return attach(actor, msg.token);
            conn.actor = actor;
            conn.token = msg.token;
            // Another credential may reach less: the subscriptions are checked again.
            return reauthorize(conn);
          }
          if (!conn) return closeUnauthorized();
          if (msg.type === 'unsubscribe') {
            if (conn.subs.delete(msg.topic)) announce(conn, msg.topic, 'left');
            return socket.send(JSON.stringify({ type: 'unsubscribed', topic: msg.topic }));
          }
          if (msg.type === 'presence') {
            // Only on a topic this connection may read (it subscribed, so the rule said yes).
            if (!conn.subs.has(msg.topic)) return socket.send(JSON.stringify({ type: 'error', code: 'not_subscribed', topic: msg.topic, message: 'Subscribe to the topic first.' }));
            return announce(conn, msg.topic, msg.state);
          }
          await subscribe(conn, msg.topic, msg.since ?? since);
        };
        const token = query.access_token;
        if (token) {
          enqueue(() =>
            authenticate(token, meta).then(
              (actor) => (actor ? attach(actor, token) : closeUnauthorized()),
              // The credential could not be checked (the database is down): try again later.
              () => socket.close(1013, 'temporarily unavailable; reconnect shortly'),
            ),
          );
        }
        socket.on('message', (data) => {
          const raw = String(data);
          if (raw.length > 8192) return socket.close(1009, 'message too big');
          enqueue(() => handle(raw));
        });
        // Besides the re-checks on every access change, a periodic one (an expired session, team changes).
        const timer = setInterval(() => {
          if (conn) recheck(conn);
        }, opts.recheckMs ?? 15_000);
        socket.on('close', () => {
          clearInterval(timer);
          if (conn) {
            const c: Connection = conn;
            connections--;
            byOrg.get(c.actor.orgId)?.delete(c);
            for (const topic of c.subs.keys()) if (presence.get(`${c.actor.orgId} ${topic}`)?.has(`${instance}:${c.id}`)) announce(c, topic, 'left');
          }
        });
        if (!token) {
          setTimeout(() => {
            if (!conn && socket.readyState === 1) closeUnauthorized();
          }, 5_000).unref();
        }
      }) as never,
    );
  }

  return {
    register,
    get connections() {
      return connections;
    },
  };
}
