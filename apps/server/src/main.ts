import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { verifyAuditChain } from './platform/audit/audit.ts';
import { openDatabase, type Database } from './platform/db/client.ts';
import { runAsLeader, type FirstAttempt, type Leadership } from './platform/db/leader.ts';

const MQTT_ROLE_TEXT: Record<FirstAttempt, string> = {
  leading: 'this instance consumes',
  standby: 'standby: another instance consumes',
  retrying: 'waiting for the database to elect a consumer',
};
import { createAdminUser, ensureDefaultOrg, organizations, syncCatalogue } from './modules/identity/index.ts';
import { CATALOGUE } from './modules.ts';
import { startControlServer, type ControlServer } from './control.ts';
import { DEFAULT_CLIENT_ID, startMqttIngest, type MqttIngest } from './modules/telemetry/index.ts';
import { telemetryModule } from './modules/telemetry/index.ts';

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

/** A URL fit to print: its password masked. */
function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
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
  let mqtt: MqttIngest | null = null;
  let mqttLeader: Leadership | null = null;
  let mqttRole: FirstAttempt = 'standby';
  // Order on close: stop taking MQTT messages, finish HTTP requests and queued writes, then the database.
  app.addHook('preClose', async () => {
    await mqtt?.close();
    await mqttLeader?.close();
  });
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
  if (!config.MQTT_ENABLED) app.platform.readinessNotes.set('mqtt', () => 'disabled (MQTT_ENABLED=false)');
  if (config.MQTT_ENABLED) {
    const options = {
      url: config.MQTT_URL,
      clientId: config.MQTT_CLIENT_ID,
      port: config.MQTT_PORT,
      host: config.HOST,
      devices: app.platform.module(telemetryModule).services.devices,
      telemetry: app.platform.module(telemetryModule).services.telemetry,
      log: app.log,
    };
    try {
      if (config.MQTT_URL) {
        // An external session has one owner: the instance that holds the cluster-wide lock.
        mqttLeader = runAsLeader(
          database,
          `mqtt-ingest:${config.MQTT_CLIENT_ID ?? DEFAULT_CLIENT_ID}`,
          async () => {
            const ingest = await startMqttIngest(options);
            return () => ingest.close();
          },
          { log: app.log },
        );
        mqttRole = await mqttLeader.started;
        const leader = mqttLeader;
        app.platform.readinessNotes.set('mqtt', () =>
          leader.leading() ? `consuming ${withoutPassword(config.MQTT_URL!)} (this instance leads)` : 'standby (another instance consumes, or none can reach the broker)',
        );
      } else {
        mqtt = await startMqttIngest(options);
        const broker = mqtt;
        app.platform.readinessNotes.set('mqtt', () => (broker.connected() ? `embedded broker on port ${broker.port}` : 'embedded broker stopped'));
      }
    } catch (err) {
      await app.close();
      throw err;
    }
  }
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
        pendingMigrations: () => database.pendingMigrations(),
      });
    } catch (err) {
      await app.close();
      throw new Error(`cannot open the control socket in ${config.IMSOP_DATA_DIR}: ${(err as Error).message}`);
    }
    database.claim.setSocket(control.socket);
  }
  const mqttLine = mqtt ? `; MQTT on port ${mqtt.port}` : mqttLeader ? `; MQTT via ${withoutPassword(config.MQTT_URL!)} (${MQTT_ROLE_TEXT[mqttRole]})` : '';
  process.stdout.write(`IMSOP is running at http://${config.HOST}:${(app.server.address() as { port: number }).port} (database: ${database.kind}${mqttLine})\n`);
  return app;
}

export async function createAdmin(database: Database, input: { email: string; name: string; org: string; password: string }) {
  const r = await createAdminUser(database.db, { orgSlug: input.org, email: input.email, name: input.name, password: input.password });
  return { email: input.email, org: r.orgSlug };
}

export async function auditVerify(database: Database) {
  const orgs = await database.db.select({ id: organizations.id }).from(organizations);
  return verifyAuditChain(database.db, orgs.map((o) => o.id));
}
