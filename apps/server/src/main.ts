import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { startupWarnings, type Config } from './config.ts';
import { verifyAuditChain } from './platform/audit/audit.ts';
import { openDatabase, type Database } from './platform/db/client.ts';

import { createAdminUser, ensureDefaultOrg, organizations, syncCatalogue } from './modules/identity/index.ts';
import { CATALOGUE } from './modules.ts';
import { startControlServer, type ControlServer } from './control.ts';

/** Opens the configured database; on PGlite this claims the data directory for `command` (or throws DataDirInUseError). */
export async function openConfiguredDatabase(config: Config, command = 'start'): Promise<Database> {
  return openDatabase({ url: config.DATABASE_URL, dataDir: config.IMSOP_DATA_DIR, command });
}

/** Migrations, the permission catalogue, then org `default` and its admin on an empty database. */
export async function prepareDatabase(database: Database, config: Config, print: (line: string) => void) {
  await database.migrate();
  await syncCatalogue(database.db, CATALOGUE);
  const boot = await ensureDefaultOrg(database.db, CATALOGUE, { email: config.IMSOP_ADMIN_EMAIL, password: config.IMSOP_ADMIN_PASSWORD }).catch(
    (err: Error) => {
      throw new Error(`IMSOP_ADMIN_PASSWORD is not acceptable: ${err.message}`);
    },
  );
  if (boot.created) {
    print(`Created organization "default" with administrator ${boot.email}.`);
    if (boot.generated) {
      print(`Generated admin password (shown once, store it now): ${boot.password}`);
    }
  }
}

/** Starts the server and shuts down gracefully on SIGINT/SIGTERM: in-flight requests finish, the database closes. */
export async function start(config: Config): Promise<FastifyInstance> {
  const database = await openConfiguredDatabase(config);
  await prepareDatabase(database, config, (line) => process.stdout.write(`${line}\n`));
  let app: FastifyInstance;
  try {
    app = await buildApp({ config, database });
  } catch (err) {
    await database.close();
    throw err;
  }
  let control: ControlServer | null = null;
  // Order on close: stop taking messages on the modules' own listeners (MQTT), finish HTTP requests
  // and queued writes, then the database.
  app.addHook('preClose', () => app.platform.modules.closeListeners());
  app.addHook('onClose', async () => {
    await control?.close();
    await database.close();
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // Everything that can refuse to start (the MQTT port, the HTTP port) does so before the API
  // answers /api/ready, so "ready" means fully started.
  await app.ready();
  let listeners: Awaited<ReturnType<typeof app.platform.modules.openListeners>>;
  try {
    listeners = await app.platform.modules.openListeners();
  } catch (err) {
    await app.close();
    throw err;
  }
  for (const { name, listener } of listeners) app.platform.readinessNotes.set(name, () => listener.state());
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    await app.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`Port ${config.PORT} on ${config.HOST} is already in use; set PORT to another port.`);
    throw err;
  }
  if (database.claim) {
    // CLI commands reach this database through the server from now on (control.ts).
    try {
      control = await startControlServer(database, config.IMSOP_DATA_DIR, {
        auditVerify: () => auditVerify(database),
        createAdmin: (input) => createAdmin(database, input),
        demo: (input) => demo(database, config, input),
        pendingMigrations: () => database.pendingMigrations(),
      });
    } catch (err) {
      await app.close();
      throw new Error(`cannot open the control socket in ${config.IMSOP_DATA_DIR}: ${(err as Error).message}`);
    }
    database.claim.setSocket(control.socket);
  }
  const banners = listeners.flatMap(({ listener }) => (listener.banner ? [`; ${listener.banner}`] : [])).join('');
  for (const warning of startupWarnings(config)) app.log.warn(warning);
  process.stdout.write(`IMSOP is running at http://${config.HOST}:${(app.server.address() as { port: number }).port} (database: ${database.kind}${banners})\n`);
  return app;
}

export async function createAdmin(database: Database, input: { email: string; name: string; org: string; password: string }) {
  const r = await createAdminUser(database.db, { orgSlug: input.org, email: input.email, name: input.name, password: input.password });
  return { email: input.email, org: r.orgSlug };
}

/** `imsop demo` on this database: what it loaded, or why it refuses (the database holds other data). */
export async function demo(database: Database, config: Config, input: { password: string }) {
  // Loaded on demand: the server never needs the demo's data.
  const { runDemo, DemoRefused } = await import('./demo/load.ts');
  try {
    return await runDemo(database, config, input);
  } catch (err) {
    if (err instanceof DemoRefused) return { refused: err.message };
    throw err;
  }
}

export async function auditVerify(database: Database) {
  const orgs = await database.db.select({ id: organizations.id }).from(organizations);
  return verifyAuditChain(database.db, orgs.map((o) => o.id));
}
