/**
 * Fault: kill -9 of the server during telemetry ingestion, four writers posting 200-point batches
 * on a private PostgreSQL (the PGlite flavour runs in `npm test`: test/durability.test.ts). After
 * the crash:
 * - no acknowledged point is lost, and none is stored twice;
 * - no batch is half-applied: the one-minute rollups count exactly the raw points (both are
 *   written in the batch's transaction);
 * - `imsop audit verify` passes and the server starts again on the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashDuringWrites, type Api, type CrashWorkload } from './crash.ts';
import { startPostgres, type PrivatePostgres } from './services.ts';

let pgServer: PrivatePostgres;
beforeAll(async () => {
  pgServer = await startPostgres();
});
afterAll(async () => pgServer?.destroy());

const BATCH = 200;

function ingestion(): CrashWorkload<number> {
  let operationId = '';
  let seq = 0;
  return {
    name: 'telemetry batches',
    async setup(api: Api) {
      const r = await api('POST', '/api/operations', { name: 'Crash ingestion' });
      if (r.status !== 201) throw new Error(`create operation answered ${r.status}: ${r.text.slice(0, 300)}`);
      operationId = (r.body as { id: string }).id;
    },
    async round(api: Api, ack) {
      // Every point's value is unique, so each can be found (and counted) after the crash.
      const values = Array.from({ length: BATCH }, () => ++seq);
      const r = await api(
        'POST',
        '/api/telemetry/batch',
        values.map((value) => ({ operationId, metricName: 'seq', value })),
      );
      if (r.status !== 201) throw new Error(`batch answered ${r.status}: ${r.text.slice(0, 300)}`);
      values.forEach(ack);
    },
    async verify(db, acked) {
      const stored = (await db.query<{ value: number; n: number }>('select value::float8 as value, count(*)::int as n from telemetry_points group by value')).rows;
      const present = new Set(stored.map((r) => r.value));
      expect(acked.filter((v) => !present.has(v))).toEqual([]);
      expect(stored.filter((r) => r.n > 1)).toEqual([]);
      const total = stored.reduce((a, r) => a + r.n, 0);
      const [rollup] = (await db.query<{ n: number }>('select coalesce(sum(count), 0)::int as n from telemetry_rollup_1m')).rows;
      expect(rollup!.n).toBe(total);
      // Whole batches only: a batch is in or out as a unit.
      expect(total % BATCH).toBe(0);
      return `${acked.length} acknowledged points all present, none twice; ${total - acked.length} point(s) committed but unanswered at the kill; rollups count all ${total}`;
    },
  };
}

describe('kill -9 during ingestion', () => {
  it('loses no acknowledged point and half-applies no batch (PostgreSQL)', async () => {
    const workload = ingestion();
    const r = await crashDuringWrites(workload, pgServer, { writers: 4, killAfterAcks: 8_000 });
    expect(r.acked.length).toBeGreaterThanOrEqual(8_000);
    console.log(`kill -9 (${workload.name}): ${r.summary}; audit verify: ${r.auditVerify}`);
  });
});
