import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Actor } from '../access/actor.ts';
import type { AppDb } from '../db/client.ts';
import type { Authenticator } from '../http/api.ts';
import type { Bus } from '../bus/bus.ts';
import { eventsSince, type DeliveredEvent, type Dispatcher } from '../events/dispatcher.ts';

/**
 * A topic family and who may subscribe. `authorize` answers 'ok', 'forbidden' (lacks the
 * permission) or 'not_found' (the id is not visible to this actor, including other orgs' ids).
 */
export interface TopicRule {
  pattern: RegExp;
  authorize(actor: Actor, match: RegExpExecArray): Promise<TopicDecision> | TopicDecision;
}
export type TopicDecision = 'ok' | 'forbidden' | 'not_found';

interface Subscription {
  live: boolean;
  buffer: DeliveredEvent[];
  lastId: number;
}

interface Connection {
  id: string;
  ws: WebSocket;
  actor: Actor;
  token: string;
  subs: Map<string, Subscription>;
}

const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const REPLAY_LIMIT = 10_000;

export interface RealtimeOptions {
  db: AppDb;
  dispatcher: Dispatcher;
  authenticator: Authenticator;
  rules: TopicRule[];
  log: { warn(obj: unknown, msg?: string): void };
  /** How often each connection's credentials are re-checked (revoked sessions are dropped). */
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

  opts.dispatcher.subscribe((e) => {
    const conns = byOrg.get(e.orgId);
    if (!conns) return;
    for (const c of conns) {
      const sub = c.subs.get(e.topic);
      if (!sub) continue;
      if (!sub.live) sub.buffer.push(e);
      else if (e.id > sub.lastId) {
        sub.lastId = e.id;
        send(c, eventMessage(e));
      }
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

  async function subscribe(c: Connection, topic: string, since: number | undefined) {
    let decision: TopicDecision = 'not_found';
    let known = false;
    for (const rule of opts.rules) {
      const m = rule.pattern.exec(topic);
      if (!m) continue;
      known = true;
      decision = await rule.authorize(c.actor, m);
      break;
    }
    if (!known) return send(c, { type: 'error', code: 'unknown_topic', topic, message: `Unknown topic "${topic}".` });
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
    const sub: Subscription = { live: since === undefined, buffer: [], lastId: 0 };
    c.subs.set(topic, sub);
    if (since === undefined) {
      send(c, { type: 'subscribed', topic });
      if (here.length) send(c, { type: 'presence', topic, users: here });
      return;
    }
    const missed = await eventsSince(opts.db, c.actor.orgId, since, [topic], REPLAY_LIMIT);
    send(c, { type: 'subscribed', topic, replayed: missed.length, truncated: missed.length === REPLAY_LIMIT });
    for (const row of missed) {
      sub.lastId = row.id;
      send(c, eventMessage({ ...row, payload: row.payload, createdAt: row.createdAt.toISOString() }));
    }
    for (const e of sub.buffer) {
      if (e.id > sub.lastId) {
        sub.lastId = e.id;
        send(c, eventMessage(e));
      }
    }
    sub.buffer = [];
    sub.live = true;
  }

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
        const closeUnauthorized = () => {
          socket.send(JSON.stringify({ type: 'error', code: 'unauthorized', message: 'Authenticate with ?access_token= or an auth message.' }));
          socket.close(4401, 'unauthorized');
        };
        const attach = (actor: Actor, token: string) => {
          conn = { id: crypto.randomUUID(), ws: socket, actor, token, subs: new Map() };
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
            if (conn) {
              conn.actor = actor;
              conn.token = msg.token;
            } else attach(actor, msg.token);
            return;
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
        // Messages are handled one at a time, in order, after the query-string authentication.
        const token = query.access_token;
        let chain: Promise<unknown> = token
          ? authenticate(token, meta).then(
              (actor) => (actor ? attach(actor, token) : closeUnauthorized()),
              // The credential could not be checked (the database is down): try again later.
              () => socket.close(1013, 'temporarily unavailable; reconnect shortly'),
            )
          : Promise.resolve();
        socket.on('message', (data) => {
          const raw = String(data);
          if (raw.length > 8192) return socket.close(1009, 'message too big');
          chain = chain.then(() => handle(raw)).catch((err: unknown) => opts.log.warn({ err }, 'realtime message failed'));
        });
        const recheck = setInterval(() => {
          if (!conn) return;
          const c: Connection = conn;
          void authenticate(c.token, meta).then(
            (a) => {
              if (!a) {
                c.ws.send(JSON.stringify({ type: 'error', code: 'unauthorized', message: 'Session ended.' }));
                c.ws.close(4401, 'session ended');
              } else c.actor = a;
            },
            // The check could not run (the database is down): keep the connection, check again next time.
            () => undefined,
          );
        }, opts.recheckMs ?? 15_000);
        socket.on('close', () => {
          clearInterval(recheck);
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
