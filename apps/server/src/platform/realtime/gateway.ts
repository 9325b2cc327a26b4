import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Actor } from '../access/actor.ts';
import type { AppDb } from '../db/client.ts';
import type { Authenticator } from '../http/api.ts';
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
}

type ClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; topic: string; since?: number }
  | { type: 'unsubscribe'; topic: string }
  | { type: 'ping' };

function parseMessage(raw: string): ClientMessage | null {
  try {
    const m = JSON.parse(raw) as Record<string, unknown>;
    if (m.type === 'ping') return { type: 'ping' };
    if (m.type === 'auth' && typeof m.token === 'string' && m.token.length < 4096) return { type: 'auth', token: m.token };
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
    const sub: Subscription = { live: since === undefined, buffer: [], lastId: 0 };
    c.subs.set(topic, sub);
    if (since === undefined) return send(c, { type: 'subscribed', topic });
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
          conn = { ws: socket, actor, token, subs: new Map() };
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
            conn.subs.delete(msg.topic);
            return socket.send(JSON.stringify({ type: 'unsubscribed', topic: msg.topic }));
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
            connections--;
            byOrg.get(conn.actor.orgId)?.delete(conn);
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
