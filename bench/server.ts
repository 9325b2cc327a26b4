/**
 * A benchmark target, run as a child process so that autocannon (in the parent) does not share the
 * server's event loop. Started by bench/lib.ts with `fork`; reports `{ ready, port, token }` over IPC
 * and closes on `"stop"` (or SIGTERM).
 *
 *   BENCH_TARGET=bare   a minimal `fastify()` with one GET route returning a small JSON body
 *   BENCH_TARGET=mirror a minimal `fastify()` whose GET /mirror answers a fixed, already serialized
 *                       body with fixed headers (BENCH_MIRROR_BODY, BENCH_MIRROR_HEADERS as JSON):
 *                       what the same response bytes cost without the app
 *   BENCH_TARGET=imsop  the full IMSOP app (buildApp) on in-memory PGlite, or on DATABASE_URL when set;
 *                       logs the admin in and seeds BENCH_USERS users (default 200).
 *                       With BENCH_USERS_BASELINE=1 it also serves bench/users.baseline.ts (the list's
 *                       SQL through the bare driver) on a port of its own (`baselinePort`).
 *                       With BENCH_LISTS=1 it answers `seedLists` (bench/lists.child.ts: every list kind, by SQL).
 *   Every target answers the `memory` command (process.memoryUsage(), after a GC when asked).
 *   BENCH_TARGET=telemetry  the same app without seeded users, plus the embedded MQTT broker on a free
 *                       port (as main.ts starts it); answers the commands of bench/telemetry.child.ts
 *                       (`{ call, cmd, args }` over IPC, see Target.call in bench/lib.ts).
 */
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eq } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config.ts';
import { prepareDatabase } from '../apps/server/src/main.ts';
import { openDatabase, type Database } from '../apps/server/src/platform/db/client.ts';
import { roles, userRoles, users } from '../apps/server/src/modules/identity/identity.schema.ts';
import { hashPassword } from '../apps/server/src/platform/auth/password.ts';
import { inOrg } from '../apps/server/src/platform/db/scope.ts';
import { startMqttIngest } from '../apps/server/src/modules/telemetry/index.ts';
import type { CallMessage, ReadyMessage, ReplyMessage } from './lib.ts';
import { telemetryCommands, type Commands } from './telemetry.child.ts';
import { telemetryModule } from '../apps/server/src/modules/telemetry/index.ts';
import { startUsersBaseline } from './users.baseline.ts';
import { listsCommands } from './lists.child.ts';

const BENCH_ADMIN_EMAIL = 'admin@bench.test';
const BENCH_ADMIN_PASSWORD = 'Quiet-Harbour-Lantern-77';
const USER_PASSWORD = 'Sturdy-Bench-Password-42';

async function startBare(): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  return { app, close: () => app.close() };
}

async function startMirror(): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const body = process.env.BENCH_MIRROR_BODY ?? '{}';
  const headers = JSON.parse(process.env.BENCH_MIRROR_HEADERS ?? '{}') as Record<string, string>;
  const app = Fastify({ logger: false });
  app.get('/mirror', (_req, reply) => {
    reply.headers(headers).send(body);
  });
  return { app, close: () => app.close() };
}

/**
 * Seeds `count` users with roles straight into the database, in one org-scoped transaction with one
 * shared argon2id hash: creating them through POST /api/users costs one password hash each (about
 * 16 s for 200 on two busy cores), which is not what this benchmark measures.
 */
async function seedUsers(database: Database, orgId: string, adminId: string, count: number) {
  if (count <= 0) return;
  const passwordHash = await hashPassword(USER_PASSWORD);
  const departments = ['support', 'network', 'field', 'billing', null];
  const now = Date.now();
  await inOrg(database.db, orgId, async (tx) => {
    const roleRows = await tx.select({ id: roles.id, name: roles.name }).from(roles).where(eq(roles.orgId, orgId));
    const roleId = (name: string) => {
      const r = roleRows.find((x) => x.name === name);
      if (!r) throw new Error(`no role ${name} in the default org`);
      return r.id;
    };
    const created = await tx
      .insert(users)
      .values(
        Array.from({ length: count }, (_, i) => ({
          orgId,
          email: `user${String(i).padStart(4, '0')}@bench.test`,
          name: `Bench User ${i}`,
          passwordHash,
          department: departments[i % departments.length] ?? null,
          metadata: { seeded: true },
          createdAt: new Date(now - (count - i) * 1000),
          updatedAt: new Date(now - (count - i) * 1000),
        })),
      )
      .returning({ id: users.id });
    await tx.insert(userRoles).values(
      created.map((u, i) => ({
        orgId,
        userId: u.id,
        roleId: roleId(i % 10 === 0 ? 'manager' : i % 3 === 0 ? 'agent' : 'viewer'),
        assignedBy: adminId,
      })),
    );
  });
}

interface Started {
  app: FastifyInstance;
  close: () => Promise<void>;
  token?: string;
  users?: number;
  database?: Database;
  mqttPort?: number;
  commands?: Commands;
  /** A second server in this process (the users list's SQL baseline), listening on a port of its own. */
  baseline?: { app: FastifyInstance; close: () => Promise<void> };
}

async function startImsop(count = Number(process.env.BENCH_USERS ?? 200)): Promise<Started & { token: string; database: Database }> {
  const url = process.env.DATABASE_URL || undefined;
  const database = await openDatabase(url ? { url } : { dataDir: null });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT: '100000000',
    IMSOP_ADMIN_EMAIL: BENCH_ADMIN_EMAIL,
    IMSOP_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    IMSOP_DATA_DIR: '/nonexistent-not-used',
    ...(url ? { DATABASE_URL: url } : {}),
    // Load-shedding settings, when a scenario sets them (bench/overload.bench.ts).
    ...(process.env.MAX_IN_FLIGHT ? { MAX_IN_FLIGHT: process.env.MAX_IN_FLIGHT } : {}),
    ...(process.env.MAX_EVENT_LOOP_DELAY ? { MAX_EVENT_LOOP_DELAY: process.env.MAX_EVENT_LOOP_DELAY } : {}),
  });
  await prepareDatabase(database, config, () => undefined);
  const app = await buildApp({ config, database });
  await app.ready();
  const login = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email: BENCH_ADMIN_EMAIL, password: BENCH_ADMIN_PASSWORD },
  });
  if (login.statusCode !== 200) throw new Error(`admin login failed: ${login.statusCode} ${login.body}`);
  const body = login.json() as { accessToken: string; user: { id: string; orgId: string } };
  await seedUsers(database, body.user.orgId, body.user.id, count);
  const baseline = process.env.BENCH_USERS_BASELINE === '1' ? await startUsersBaseline(database, body.user.orgId, url) : undefined;
  return {
    app,
    token: body.accessToken,
    users: count,
    database,
    ...(baseline ? { baseline } : {}),
    ...(process.env.BENCH_LISTS === '1' ? { commands: listsCommands(database, app, body.accessToken, body.user.orgId, body.user.id) } : {}),
    close: async () => {
      await baseline?.close();
      await app.close();
      await database.close();
    },
  };
}

/** The app with the embedded MQTT broker on a free port, closed before the app as in main.ts. */
async function startTelemetry(): Promise<Started> {
  const base = await startImsop(0);
  const { app } = base;
  const mqtt = await startMqttIngest({
    port: 0,
    host: '127.0.0.1',
    devices: app.platform.module(telemetryModule).services.devices,
    telemetry: app.platform.module(telemetryModule).services.telemetry,
    log: app.log,
  });
  return {
    ...base,
    ...(mqtt.port !== null ? { mqttPort: mqtt.port } : {}),
    commands: telemetryCommands(base.database, app.platform.module(telemetryModule).services.writer),
    close: async () => {
      await mqtt.close();
      await base.close();
    },
  };
}

/** Event-loop delay of this process between two `memory` commands (what a request waits at most). */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/**
 * Commands every target answers. `memory {gc: true}` collects garbage first (the child runs with
 * --expose-gc); the answer adds the mean and max event-loop delay (ms) since the previous call.
 */
const baseCommands: Commands = {
  memory: async (args) => {
    const delay = { eventLoopDelayMean: loopDelay.mean / 1e6, eventLoopDelayMax: loopDelay.max / 1e6 };
    if (args.gc && typeof globalThis.gc === 'function') {
      // Twice: the first pass can leave objects whose finalizers free more.
      globalThis.gc();
      globalThis.gc();
    }
    // After the forced GC, whose pause is the bench's doing, not the server's.
    loopDelay.reset();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, ...delay };
  },
  /** CPU time this process has used so far (user + system, µs). */
  cpu: async () => {
    const c = process.cpuUsage();
    return c.user + c.system;
  },
  /**
   * Resolves once this process has been quiet (under 5 % of a core over two consecutive 100 ms
   * windows): requests that a load generator abandoned at the end of a measurement are still being
   * served until then (bench/lists.bench.ts waits for it between rows). Answers the ms waited.
   */
  idle: async (args) => {
    const started = Date.now();
    const deadline = started + Number(args.timeoutMs ?? 120_000);
    let quiet = 0;
    while (quiet < 2 && Date.now() < deadline) {
      const c0 = process.cpuUsage();
      await new Promise((r) => setTimeout(r, 100));
      const c = process.cpuUsage(c0);
      quiet = c.user + c.system < 5_000 ? quiet + 1 : 0;
    }
    return Date.now() - started;
  },
  /** Starts V8's CPU profiler in this process (bench/profile.ts): start-up and warm-up stay out of the profile. */
  profileStart: async (args) => {
    profiler ??= new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: Number(args.intervalUs ?? 100) });
    await profiler.post('Profiler.start');
    return null;
  },
  /** Stops the profiler and answers the profile (the `.cpuprofile` JSON). */
  profileStop: async () => {
    if (!profiler) throw new Error('profileStart was not called');
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    return profile;
  },
};
let profiler: Session | undefined;

async function main() {
  const target = process.env.BENCH_TARGET;
  let started: Started;
  if (target === 'bare') started = await startBare();
  else if (target === 'mirror') started = await startMirror();
  else if (target === 'imsop') started = await startImsop();
  else if (target === 'telemetry') started = await startTelemetry();
  else throw new Error(`BENCH_TARGET must be "bare", "mirror", "imsop" or "telemetry", not ${String(target)}`);

  await started.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = started.app.server.address() as { port: number };
  let baselinePort: number | undefined;
  if (started.baseline) {
    await started.baseline.app.listen({ host: '127.0.0.1', port: 0 });
    baselinePort = (started.baseline.app.server.address() as { port: number }).port;
  }

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    started.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (m) => {
    if (m === 'stop') return stop();
    const c = m as Partial<CallMessage>;
    const id = c.call;
    if (typeof id !== 'number' || typeof c.cmd !== 'string') return;
    const answer = (r: Omit<ReplyMessage, 'reply'>) => process.send?.({ reply: id, ...r } satisfies ReplyMessage);
    const fn = { ...baseCommands, ...started.commands }[c.cmd];
    if (!fn) return answer({ error: `unknown command ${c.cmd} for BENCH_TARGET=${target}` });
    fn(c.args ?? {}).then(
      (result) => answer({ result }),
      (err: unknown) => {
        process.stderr.write(`bench server command ${c.cmd} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        answer({ error: err instanceof Error ? err.message : String(err) });
      },
    );
  });
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);

  const ready: ReadyMessage = {
    ready: true,
    port,
    ...(started.token ? { token: started.token } : {}),
    ...(started.users !== undefined ? { users: started.users } : {}),
    ...(started.database ? { database: started.database.kind } : {}),
    ...(started.mqttPort !== undefined ? { mqttPort: started.mqttPort } : {}),
    ...(baselinePort !== undefined ? { baselinePort } : {}),
  };
  process.send?.(ready);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
