/**
 * A background worker process for the kill -9 tests of durable subscriptions and jobs: it opens the
 * database, registers what WORKER_MODE says, and prints one line per step, so the test can kill it
 * at a known point and read what the next process did. Run with Node.js 24 (type stripping).
 *
 * Environment: DATABASE_URL; WORKER_MODE=subscription (SUBSCRIPTION, EVENT_TYPE) or jobs (a
 * schedule firing every second, JOB_LEASE_MS). PAUSE=in-transaction|after-work: wait forever at
 * that point of the work of an event whose payload says `pause: true`; PAUSE=third-run: wait
 * forever in the third job run, after its work (only the first process is given PAUSE).
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { localBus } from '../../src/platform/bus/bus.ts';
import { openDatabase } from '../../src/platform/db/client.ts';
import { createSubscriptions } from '../../src/platform/events/subscriptions.ts';
import { createJobs, defineJob } from '../../src/platform/jobs/jobs.ts';

const env = process.env;
const pause = env.PAUSE ?? '';
const forever = () => new Promise<never>(() => undefined);
const say = (line: string) => process.stdout.write(`${line}\n`);
const log = { info: () => undefined, warn: (o: unknown, m?: string) => say(`WARN ${m ?? ''} ${JSON.stringify(o)}`) };

const database = await openDatabase({ url: env.DATABASE_URL!, poolSize: 4 });

if (env.WORKER_MODE === 'subscription') {
  const subscriptions = createSubscriptions({ database, bus: localBus(), log, pollMs: 50 });
  subscriptions.register({
    name: env.SUBSCRIPTION!,
    types: [env.EVENT_TYPE!],
    handler: async (e, ctx) => {
      const paused = e.payload.pause === true;
      const r = await ctx.once(async (tx) => {
        await tx.execute(sql`insert into fault_effects (subscription, event_id, pid) values (${ctx.subscription}, ${e.id}, ${process.pid})`);
        if (paused && pause === 'in-transaction') {
          say(`PAUSED ${e.id}`);
          await forever();
        }
      });
      say(`WORK ${e.id} ${r.ran ? 'ran' : 'skipped'}`);
      if (paused && pause === 'after-work') {
        say(`PAUSED ${e.id}`);
        await forever();
      }
      say(`HANDLED ${e.id}`);
    },
  });
  await subscriptions.start();
  say('READY');
} else if (env.WORKER_MODE === 'jobs') {
  const jobs = createJobs({ database, bus: localBus(), log, pollMs: 50 });
  let runs = 0;
  const tick = defineJob({
    name: 'fault.tick',
    payload: z.object({}),
    leaseMs: Number(env.JOB_LEASE_MS ?? 1500),
    handler: async (_p, ctx) => {
      await database.db.execute(sql`insert into fault_job_runs (key, attempt, pid) values (${ctx.key}, ${ctx.attempt}, ${process.pid})`);
      say(`RUN ${ctx.key} ${ctx.attempt}`);
      if (pause === 'third-run' && ++runs === 3) {
        say(`PAUSED ${ctx.key}`);
        await forever();
      }
      say(`DONE ${ctx.key}`);
    },
  });
  jobs.schedule('fault.every-second', tick, { every: 1_000 });
  await jobs.start();
  say('READY');
} else {
  throw new Error(`unknown WORKER_MODE ${env.WORKER_MODE}`);
}
process.once('SIGTERM', () => process.exit(0));
