import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';

const HELP = `imsop — the IMSOP operations platform

Usage: imsop <command> [options]

Commands:
  start                 Start the server (API, console) on PORT with the configured database
  migrate               Apply pending database migrations and exit
  create-admin          Create an administrator: --email <e> --name <n> [--org <slug>] [--password <p>]
                        (password from IMSOP_ADMIN_PASSWORD or generated and printed once)
  audit verify          Verify every organization's audit hash chain; exit 1 on the first broken record
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
  try {
    switch (command) {
      case 'start':
        await main.start(config);
        return;
      case 'migrate': {
        const db = await main.openConfiguredDatabase(config);
        await main.prepareDatabase(db, config, (l) => process.stdout.write(`${l}\n`));
        await db.close();
        process.stdout.write('Database is up to date.\n');
        return;
      }
      case 'create-admin':
        await createAdmin(argv.slice(1), config, main);
        return;
      case 'audit': {
        if (sub !== 'verify') break;
        const db = await main.openConfiguredDatabase(config);
        try {
          const r = await main.auditVerify(db);
          if (r.ok) {
            process.stdout.write(`OK: ${r.records} audit records in ${r.orgs} organization(s); every hash chain is intact.\n`);
          } else {
            process.stdout.write(
              `BROKEN: organization ${r.orgId}, record #${r.seq} (${r.id}): ${r.reason}. ${r.records - 1} records before it verified.\n`,
            );
            process.exitCode = 1;
          }
        } finally {
          await db.close();
        }
        return;
      }
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

async function createAdmin(args: string[], config: ReturnType<typeof loadConfig>, main: typeof import('./main.ts')) {
  const { values } = parseArgs({
    args,
    options: { email: { type: 'string' }, name: { type: 'string' }, org: { type: 'string' }, password: { type: 'string' } },
  });
  if (!values.email || !values.name) throw new Error('--email and --name are required');
  const db = await main.openConfiguredDatabase(config);
  try {
    await main.prepareDatabase(db, config, () => undefined);
    const { createAdminUser } = await import('./modules/identity/index.ts');
    const generated = !(values.password ?? config.IMSOP_ADMIN_PASSWORD);
    const password = values.password ?? config.IMSOP_ADMIN_PASSWORD ?? (await import('node:crypto')).randomBytes(18).toString('base64url');
    const r = await createAdminUser(db.db, { orgSlug: values.org ?? 'default', email: values.email, name: values.name, password });
    process.stdout.write(`Created administrator ${values.email} in organization "${r.orgSlug}".\n`);
    if (generated) process.stdout.write(`Generated password (shown once): ${password}\n`);
  } finally {
    await db.close();
  }
}
