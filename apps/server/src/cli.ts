import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, publicUrlOf } from './config.ts';

const HELP = `imsop — the IMSOP operations platform

Usage: imsop <command> [options]

Commands:
  start                 Start the server (API, console) on PORT with the configured database
  migrate               Apply pending database migrations and exit
  create-admin          Create an administrator: --email <e> --name <n> [--org <slug>] [--password <p>]
                        (password from IMSOP_ADMIN_PASSWORD or generated and printed once)
  audit verify          Verify every organization's audit hash chain; exit 1 on the first broken record
  backup [--out FILE]   Write a consistent backup (one .tar: the database and the uploaded files), also
                        while the server runs
  restore FILE          Restore a backup into an empty data directory (or empty DATABASE_URL database),
                        then verify the audit chains
  demo [--password P]   Load the demo organization into a new database: people in every role, operations
                        on a map, devices with a week of telemetry and alarms, a week at the service desk.
                        The demo users' password is P, or generated and printed once. Refuses (exit 2) a
                        database that holds anything but the first administrator
  simulate [--url URL] [--every SECONDS] [--once]
                        Keep the demo's devices sending telemetry to the running server (its device keys,
                        the HTTP ingest API; default every 10 s) until Ctrl-C

On the embedded database (PGlite), one process owns the data directory. While the server runs,
migrate, create-admin, audit verify, backup and demo go through it (its control socket in the data
directory); restore and a second start refuse.
  anomaly score <in.csv> [--out out.csv]
                        Score a timestamp,value CSV with the live streaming anomaly detector
  openapi               Print the OpenAPI document as JSON
  --help                Show this help

Configuration comes from the environment: PORT, HOST, DATABASE_URL, IMSOP_DATA_DIR, REDIS_URL,
LOG_LEVEL, CORS_ORIGINS, ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL, SESSION_IDLE_TIMEOUT (see README).
`;

export async function runCli(argv: string[]): Promise<void> {
  const [command, sub] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command === 'anomaly') {
    // Pure computation: no configuration or database needed.
    const { values, positionals } = parseArgs({ args: argv.slice(2), allowPositionals: true, options: { out: { type: 'string' } } });
    if (sub !== 'score' || positionals.length !== 1) {
      process.stderr.write('Usage: imsop anomaly score <in.csv> [--out out.csv]\n');
      process.exit(2);
    }
    try {
      const { scoreCsv } = await import('./modules/telemetry/index.ts');
      await scoreCsv(positionals[0]!, values.out);
    } catch (err) {
      process.stderr.write(`imsop anomaly score: ${(err as Error).message}\n`);
      process.exit(1);
    }
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const main = await import('./main.ts');
  const { DataDirInUseError } = await import('./platform/db/owner.ts');
  try {
    switch (command) {
      case 'start':
        try {
          await main.start(config);
        } catch (err) {
          if (!(err instanceof DataDirInUseError)) throw err;
          // Never a second owner: one line, exit 2, the files untouched.
          process.stderr.write(`imsop start: ${err.message} Stop that process first, or set IMSOP_DATA_DIR to another directory.\n`);
          process.exit(2);
        }
        return;
      case 'migrate': {
        const r = await viaServerIfRunning(
          config,
          'migrate',
          async (db) => {
            await main.prepareDatabase(db, config, (l) => process.stdout.write(`${l}\n`));
            return 0;
          },
          async (socket) => (await controlJson<{ pending: number }>(socket, 'POST', '/migrate')).pending,
        );
        process.stdout.write(r.via === 'server' ? `The running server (process ${r.pid}) applied the migrations when it started; ${r.value} pending.\n` : 'Database is up to date.\n');
        return;
      }
      case 'create-admin':
        await createAdmin(argv.slice(1), config, main);
        return;
      case 'audit': {
        if (sub !== 'verify') break;
        const { value: r } = await viaServerIfRunning(
          config,
          'audit verify',
          (db) => main.auditVerify(db),
          (socket) => controlJson<Awaited<ReturnType<typeof main.auditVerify>>>(socket, 'POST', '/audit/verify'),
          { existing: true },
        );
        printVerify(r);
        return;
      }
      case 'backup': {
        const { values } = parseArgs({ args: argv.slice(1), options: { out: { type: 'string' } } });
        const { backup } = await import('./backup.ts');
        const r = await backup(config, values.out, new Date());
        process.stdout.write(`Backup written to ${r.file} (${r.bytes} bytes: the database${r.via === 'server' ? ', taken by the running server,' : ''} and ${r.files} uploaded file(s)).\n`);
        return;
      }
      case 'restore': {
        const { positionals } = parseArgs({ args: argv.slice(1), allowPositionals: true, options: {} });
        if (positionals.length !== 1) {
          process.stderr.write('Usage: imsop restore FILE\n');
          process.exit(2);
        }
        const { restore } = await import('./backup.ts');
        const r = await restore(config, positionals[0]!).catch((err: unknown) => {
          if (err instanceof DataDirInUseError) throw new Error(`${err.message} Stop it first: restore writes into an empty data directory.`);
          throw err;
        });
        process.stdout.write(
          `Restored ${positionals[0]} into ${r.kind === 'pglite' ? config.IMSOP_DATA_DIR : `the database at DATABASE_URL and ${config.IMSOP_DATA_DIR}`} (${r.files} uploaded file(s)).\n`,
        );
        printVerify(r.verify);
        return;
      }
      case 'demo':
        await demo(argv.slice(1), config, main);
        return;
      case 'simulate':
        await simulateDevices(argv.slice(1), config);
        return;
      case 'openapi': {
        // A throwaway in-memory database: generating the document never touches real data.
        const { openDatabase } = await import('./platform/db/client.ts');
        const db = await openDatabase({ dataDir: null });
        const { openapiDocument } = await import('./openapi.ts');
        process.stdout.write(`${JSON.stringify(await openapiDocument(config, db), null, 2)}\n`);
        await db.close();
        return;
      }
    }
  } catch (err) {
    process.stderr.write(`imsop ${command}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`Unknown command: ${argv.join(' ')}\n\n${HELP}`);
  process.exit(2);
}

type Config = ReturnType<typeof loadConfig>;
type Database = Awaited<ReturnType<(typeof import('./main.ts'))['openConfiguredDatabase']>>;

/**
 * Runs a command on the database: directly when this process can own it (PostgreSQL, or a PGlite
 * directory nobody holds), otherwise through the server that owns it. Never opens a live directory.
 */
async function viaServerIfRunning<T>(
  config: Config,
  command: string,
  local: (db: Database) => Promise<T>,
  remote: (socket: string) => Promise<T>,
  opts: { existing?: boolean } = {},
): Promise<{ value: T; via: 'direct' | 'server'; pid?: number }> {
  const main = await import('./main.ts');
  const { DataDirInUseError } = await import('./platform/db/owner.ts');
  const { pgliteDataExists } = await import('./platform/db/client.ts');
  // A command that only reads must not create an empty database where there is none.
  if (opts.existing && !config.DATABASE_URL && !pgliteDataExists(config.IMSOP_DATA_DIR)) {
    throw new Error(`there is no database in ${config.IMSOP_DATA_DIR} (set IMSOP_DATA_DIR, or DATABASE_URL)`);
  }
  let db: Database;
  try {
    db = await main.openConfiguredDatabase(config, command);
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    const { usableSocket } = await import('./backup.ts');
    return { value: await remote(usableSocket(err)), via: 'server', pid: err.owner!.pid };
  }
  try {
    return { value: await local(db), via: 'direct' };
  } finally {
    await db.close();
  }
}

async function controlJson<T>(socket: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const control = await import('./control.ts');
  return control.controlJson<T>(socket, method, route, body);
}

function printVerify(r: { ok: true; records: number; orgs: number } | { ok: false; orgId: string; seq: number; id: string; reason: string; records: number }) {
  if (r.ok) {
    process.stdout.write(`OK: ${r.records} audit records in ${r.orgs} organization(s); every hash chain is intact.\n`);
  } else {
    process.stdout.write(`BROKEN: organization ${r.orgId}, record #${r.seq} (${r.id}): ${r.reason}. ${r.records - 1} records before it verified.\n`);
    process.exitCode = 1;
  }
}

async function createAdmin(args: string[], config: Config, main: typeof import('./main.ts')) {
  const { values } = parseArgs({
    args,
    options: { email: { type: 'string' }, name: { type: 'string' }, org: { type: 'string' }, password: { type: 'string' } },
  });
  if (!values.email || !values.name) throw new Error('--email and --name are required');
  const generated = !(values.password ?? config.IMSOP_ADMIN_PASSWORD);
  const password = values.password ?? config.IMSOP_ADMIN_PASSWORD ?? (await import('node:crypto')).randomBytes(18).toString('base64url');
  const input = { email: values.email, name: values.name, org: values.org ?? 'default', password };
  const { value: r } = await viaServerIfRunning(
    config,
    'create-admin',
    async (db) => {
      await main.prepareDatabase(db, config, () => undefined);
      return main.createAdmin(db, input);
    },
    (socket) => controlJson<{ email: string; org: string }>(socket, 'POST', '/admins', input),
  );
  process.stdout.write(`Created administrator ${r.email} in organization "${r.org}".\n`);
  if (generated) process.stdout.write(`Generated password (shown once): ${password}\n`);
}

async function demo(args: string[], config: Config, main: typeof import('./main.ts')) {
  const { values } = parseArgs({ args, options: { password: { type: 'string' } } });
  const generated = !values.password;
  // Easy to type and paste (no leading dash, no quotes needed): demo-xxxx-xxxx-xxxx-xxxx, 64 random bits.
  const hex = (await import('node:crypto')).randomBytes(8).toString('hex');
  const password = values.password ?? `demo-${hex.match(/.{4}/g)!.join('-')}`;
  const started = performance.now();
  const { value: r } = await viaServerIfRunning(
    config,
    'demo',
    async (db) => {
      // A new data directory gets its database, org "default" and first administrator here.
      await main.prepareDatabase(db, config, (l) => process.stdout.write(`${l}\n`));
      return main.demo(db, config, { password });
    },
    (socket) => controlJson<Awaited<ReturnType<typeof main.demo>>>(socket, 'POST', '/demo', { password }),
  );
  if ('refused' in r) {
    process.stderr.write(`imsop demo: refused: ${r.refused}; the demo loads only into a new database (a fresh IMSOP_DATA_DIR, or an empty DATABASE_URL database).\n`);
    process.exit(2);
  }
  const { writeDevicesFile } = await import('./demo/simulate.ts');
  const file = writeDevicesFile(config.IMSOP_DATA_DIR, { loadedAt: r.loadedAt, devices: r.devices });
  const c = r.counts;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const lines = [
    `Loaded the demo organization "${r.org}" into organization "default" in ${seconds} s: ${c.users} people in ${c.departments} departments, ` +
      `${c.operations} operations (${c.tasks} tasks, ${c.allocations} bookings of ${c.resources} resources), ${c.devices} devices with 7 days of telemetry ` +
      `(${c.points} points, ${c.alarms} alarms), ${c.tickets} tickets with ${c.slaPolicies} SLA policies.`,
    generated ? `The demo users' password (shown once, the same for all of them): ${password}` : "The demo users' password is the one you gave.",
    ...r.users.map((u) => `  ${u.email.padEnd(42)} ${u.role.padEnd(10)} ${u.name} (${u.department})`),
    `The devices' keys are in ${file}; \`npx imsop simulate\` keeps the devices sending while the server runs.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function simulateDevices(args: string[], config: Config) {
  const { values } = parseArgs({ args, options: { url: { type: 'string' }, every: { type: 'string' }, once: { type: 'boolean' } } });
  const every = Number(values.every ?? '10');
  if (!Number.isFinite(every) || every < 1 || every > 3600) {
    process.stderr.write('imsop simulate: --every takes a number of seconds between 1 and 3600.\n');
    process.exit(2);
  }
  const url = values.url ?? publicUrlOf(config);
  const { readDevicesFile, simulate } = await import('./demo/simulate.ts');
  const file = readDevicesFile(config.IMSOP_DATA_DIR);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  if (!values.once) process.stdout.write(`Sending the demo devices' telemetry to ${url} every ${every} s; Ctrl-C to stop.\n`);
  const r = await simulate(file, { url, everyMs: every * 1000, once: values.once ?? false, signal: stop.signal, log: (l) => process.stdout.write(`${l}\n`) });
  process.stdout.write(`Sent ${r.points} points in ${r.rounds} round(s)${r.failed ? `; ${r.failed} request(s) failed` : ''}.\n`);
  if (r.failed && values.once) process.exitCode = 1;
}
