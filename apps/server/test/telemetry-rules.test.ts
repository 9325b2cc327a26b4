import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestWriter, Overloaded } from '../src/modules/telemetry/ingest/writer.ts';
import { applyRetention, ensurePartitions } from '../src/modules/telemetry/retention.ts';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';
import { telemetryModule } from '../src/modules/telemetry/index.ts';

let t: TestApp;
let opId: string;
beforeAll(async () => {
  t = await createTestApp();
  opId = (await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(t.adminToken), payload: { name: 'Rules site' } })).json().id;
});
afterAll(async () => t?.close());

const rule = async (payload: Record<string, unknown>) => {
  const r = await t.inject({ method: 'POST', url: '/api/alert-rules', headers: bearer(t.adminToken), payload: { name: 'r', severity: 'major', ...payload } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json() as { id: string };
};
const send = (points: { metric: string; value: number; at: number }[]) =>
  t.inject({
    method: 'POST',
    url: '/api/telemetry/batch',
    headers: bearer(t.adminToken),
    payload: points.map((p) => ({ operationId: opId, metricName: p.metric, value: p.value, timestamp: new Date(p.at).toISOString() })),
  });
const alarmsFor = async (ruleId: string) =>
  ((await t.inject({ method: 'GET', url: '/api/alarms?limit=200', headers: bearer(t.adminToken) })).json().data as { ruleId: string; active: boolean; message: string }[]).filter(
    (a) => a.ruleId === ruleId,
  );

describe('alert rules', () => {
  it('threshold with a duration raises only once the condition has held long enough', async () => {
    const r = await rule({ metric: 'pressure_hold', kind: 'threshold', direction: 'above', threshold: 10, durationSeconds: 60 });
    const t0 = Date.now() - 200_000;
    expect((await send([{ metric: 'pressure_hold', value: 11, at: t0 }, { metric: 'pressure_hold', value: 12, at: t0 + 30_000 }])).statusCode).toBe(201);
    expect(await alarmsFor(r.id)).toHaveLength(0);
    await send([{ metric: 'pressure_hold', value: 12, at: t0 + 61_000 }]);
    expect((await alarmsFor(r.id)).filter((a) => a.active)).toHaveLength(1);
  });

  it('a threshold alarm clears at the first point that ends it and is raised anew in the same batch, however many quiet points lie between', async () => {
    const r = await rule({ metric: 'temp_cycle', kind: 'threshold', direction: 'above', threshold: 50 });
    const t0 = Date.now() - 3_600_000;
    const at = (i: number) => t0 + i * 10_000;
    // An alarm raised by an earlier batch, then one batch: quiet, hot, quiet for a while, hot again.
    await send([{ metric: 'temp_cycle', value: 60, at: at(0) }]);
    const values = [40, 41, 70, ...Array.from({ length: 50 }, () => 45), 80, 30];
    await send(values.map((value, i) => ({ metric: 'temp_cycle', value, at: at(i + 1) })));
    const alarms = (await alarmsFor(r.id)) as unknown as { active: boolean; startedAt: string; clearedAt: string | null }[];
    expect(alarms.map((a) => [a.startedAt, a.clearedAt]).sort()).toEqual(
      [
        [at(0), at(1)],
        [at(3), at(4)],
        [at(54), at(55)],
      ].map(([s, c]) => [new Date(s!).toISOString(), new Date(c!).toISOString()]),
    );
    expect(alarms.every((a) => !a.active)).toBe(true);
  });

  it('rate of change compares consecutive points per second', async () => {
    const r = await rule({ metric: 'level_roc', kind: 'rate_of_change', threshold: 2 });
    const t0 = Date.now() - 100_000;
    await send([{ metric: 'level_roc', value: 0, at: t0 }, { metric: 'level_roc', value: 10, at: t0 + 10_000 }]);
    expect(await alarmsFor(r.id)).toHaveLength(0);
    await send([{ metric: 'level_roc', value: 40, at: t0 + 20_000 }]);
    const a = await alarmsFor(r.id);
    expect(a).toHaveLength(1);
    expect(a[0]!.message).toMatch(/3\.000\/s/);
  });

  it('no data raises for a silent series and clears when data returns', async () => {
    const r = await rule({ metric: 'heartbeat', kind: 'no_data', durationSeconds: 60 });
    await send([{ metric: 'heartbeat', value: 1, at: Date.now() - 120_000 }]);
    await t.app.platform.module(telemetryModule).services.alarms.checkSilence();
    expect((await alarmsFor(r.id)).filter((a) => a.active)).toHaveLength(1);
    await send([{ metric: 'heartbeat', value: 1, at: Date.now() }]);
    await t.app.platform.module(telemetryModule).services.alarms.checkSilence();
    expect((await alarmsFor(r.id)).filter((a) => a.active)).toHaveLength(0);
  });

  it('anomaly rules fire on a spike after a stable history', async () => {
    const r = await rule({ metric: 'vibration', kind: 'anomaly', threshold: 0.6 });
    const t0 = Date.now() - 400 * 60_000;
    const calm = Array.from({ length: 300 }, (_, i) => ({ metric: 'vibration', value: 5 + Math.sin(i / 4) * 0.2, at: t0 + i * 60_000 }));
    expect((await send(calm)).statusCode).toBe(201);
    expect(await alarmsFor(r.id)).toHaveLength(0);
    await send([{ metric: 'vibration', value: 60, at: t0 + 300 * 60_000 }]);
    expect((await alarmsFor(r.id)).filter((a) => a.active)).toHaveLength(1);
    // The detector state was persisted with the series.
    const [row] = ((await t.database.db.execute(sql`select anomaly_state is not null as ok from telemetry_series where metric = 'vibration'`)) as unknown as { rows: { ok: boolean }[] }).rows;
    expect(row?.ok).toBe(true);
  });
});

describe('alert rule references', () => {
  it('refuse another org’s device and operation ids, and ids that exist nowhere, on create and edit', async () => {
    const other = await createOrg(t);
    const asOther = (method: 'POST' | 'PATCH', url: string, payload: unknown) => t.inject({ method, url, headers: bearer(other.token), payload: payload as object });
    const theirDevice = (await t.inject({ method: 'POST', url: '/api/devices', headers: bearer(t.adminToken), payload: { name: 'Not yours', operationId: opId } })).json().id as string;
    const ghost = crypto.randomUUID();
    const base = { name: 'stolen', metric: 'temp_c', kind: 'threshold', direction: 'above', threshold: 1 };
    const own = await asOther('POST', '/api/alert-rules', base);
    expect(own.statusCode, own.body).toBe(201);
    for (const [field, id, code] of [
      ['deviceId', theirDevice, 'unknown_device'],
      ['deviceId', ghost, 'unknown_device'],
      ['operationId', opId, 'unknown_operation'],
      ['operationId', ghost, 'unknown_operation'],
    ] as const) {
      const created = expectProblem(await asOther('POST', '/api/alert-rules', { ...base, [field]: id }), 400, code) as unknown as { errors: unknown[] };
      expect(created.errors).toEqual([{ path: field, message: expect.any(String) }]);
      expectProblem(await asOther('PATCH', `/api/alert-rules/${own.json().id}`, { [field]: id }), 400, code);
    }
    // Nothing was stored: org B has only its own unscoped rule, unchanged.
    const rules = (await t.inject({ method: 'GET', url: '/api/alert-rules', headers: bearer(other.token) })).json().data;
    expect(rules).toEqual([own.json()]);
    // The owner of the ids may use them, so the refusals above are about the org.
    const mine = await t.inject({ method: 'POST', url: '/api/alert-rules', headers: bearer(t.adminToken), payload: { ...base, name: 'scoped', deviceId: theirDevice, operationId: opId } });
    expect(mine.statusCode, mine.body).toBe(201);
    const edit = await t.inject({ method: 'PATCH', url: `/api/alert-rules/${mine.json().id}`, headers: bearer(t.adminToken), payload: { deviceId: null, operationId: opId } });
    expect(edit.json()).toMatchObject({ deviceId: null, operationId: opId });
  });
});

describe('rules that could never behave', () => {
  const post = (payload: Record<string, unknown>, token = t.adminToken) =>
    t.inject({ method: 'POST', url: '/api/alert-rules', headers: bearer(token), payload: { name: 'impossible', metric: 'm_impossible', severity: 'minor', ...payload } });
  it.each([
    ['a threshold rule without a direction', { kind: 'threshold', threshold: 5 }, 'direction'],
    ['a threshold rule without a threshold', { kind: 'threshold', direction: 'above' }, 'threshold'],
    ['a rate of change with a negative threshold (the change is never negative: it would never clear)', { kind: 'rate_of_change', threshold: -1 }, 'threshold'],
    ['a rate of change, direction below, negative threshold', { kind: 'rate_of_change', direction: 'below', threshold: -0.5 }, 'threshold'],
    ['a rate of change, direction below (not evaluated: it would raise on fast change anyway)', { kind: 'rate_of_change', direction: 'below', threshold: 2 }, 'direction'],
    ['a rate of change without a threshold', { kind: 'rate_of_change' }, 'threshold'],
    ['an anomaly score threshold of 0 (every point scores at least 0)', { kind: 'anomaly', threshold: 0 }, 'threshold'],
    ['an anomaly score threshold above 1', { kind: 'anomaly', threshold: 1.5 }, 'threshold'],
    ['an anomaly rule, direction below', { kind: 'anomaly', direction: 'below', threshold: 0.5 }, 'direction'],
    ['a no-data rule without a duration', { kind: 'no_data' }, 'durationSeconds'],
  ])('refuses %s with a 400 naming the field', async (_what, payload, field) => {
    const p = expectProblem(await post(payload), 400, 'invalid_rule') as unknown as { errors: { path: string; message: string }[] };
    expect(p.errors).toEqual([{ path: field, message: expect.any(String) }]);
  });

  it.each([
    ['a rate of change of 0 (any change raises, a steady value clears)', { kind: 'rate_of_change', threshold: 0 }],
    ['a rate of change, direction above', { kind: 'rate_of_change', direction: 'above', threshold: 1 }],
    ['a threshold below a negative value', { kind: 'threshold', direction: 'below', threshold: -40 }],
    ['an anomaly score threshold of 1', { kind: 'anomaly', threshold: 1 }],
  ])('accepts %s', async (_what, payload) => {
    const r = await post(payload);
    expect(r.statusCode, r.body).toBe(201);
  });

  it('checks an edit against the rule it makes, so a change of kind cannot leave an impossible rule behind', async () => {
    const r = (await post({ kind: 'threshold', direction: 'below', threshold: -3 })).json() as { id: string };
    const patch = (payload: Record<string, unknown>) => t.inject({ method: 'PATCH', url: `/api/alert-rules/${r.id}`, headers: bearer(t.adminToken), payload });
    // Keeps direction below and the negative threshold: impossible as a rate of change.
    expectProblem(await patch({ kind: 'rate_of_change' }), 400, 'invalid_rule');
    expectProblem(await patch({ kind: 'rate_of_change', direction: null }), 400, 'invalid_rule');
    const ok = await patch({ kind: 'rate_of_change', direction: null, threshold: 3 });
    expect(ok.json()).toMatchObject({ kind: 'rate_of_change', direction: null, threshold: 3 });
    expectProblem(await patch({ threshold: -3 }), 400, 'invalid_rule');
    // Nothing of the refused edits was stored.
    const stored = ((await t.inject({ method: 'GET', url: '/api/alert-rules?limit=200', headers: bearer(t.adminToken) })).json().data as { id: string }[]).find((x) => x.id === r.id);
    expect(stored).toMatchObject({ kind: 'rate_of_change', threshold: 3 });
  });

  it('a rate-of-change rule of 0 clears once the value holds steady', async () => {
    const r = await rule({ metric: 'steady_roc', kind: 'rate_of_change', threshold: 0 });
    const t0 = Date.now() - 100_000;
    await send([{ metric: 'steady_roc', value: 1, at: t0 }, { metric: 'steady_roc', value: 2, at: t0 + 10_000 }]);
    expect((await alarmsFor(r.id)).filter((a) => a.active)).toHaveLength(1);
    await send([{ metric: 'steady_roc', value: 2, at: t0 + 20_000 }]);
    expect((await alarmsFor(r.id)).filter((a) => a.active)).toHaveLength(0);
  });

  it('another org’s rule answers 404 to edits and deletes; a viewer may list rules but not write them', async () => {
    const r = (await post({ kind: 'threshold', direction: 'above', threshold: 1 })).json() as { id: string };
    const other = await createOrg(t);
    expectProblem(await t.inject({ method: 'PATCH', url: `/api/alert-rules/${r.id}`, headers: bearer(other.token), payload: { name: 'mine now' } }), 404);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/alert-rules/${r.id}`, headers: bearer(other.token) }), 404);
    const viewer = await createUser(t, { roles: ['viewer'] });
    expect((await t.inject({ method: 'GET', url: '/api/alert-rules', headers: bearer(viewer.token) })).statusCode).toBe(200);
    expectProblem(await post({ kind: 'threshold', direction: 'above', threshold: 1 }, viewer.token), 403);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/alert-rules/${r.id}`, headers: bearer(viewer.token) }), 403);
  });
});

describe('ingest limits', () => {
  it('sheds load with a 503 Overloaded error instead of queueing without bound; accepted writes all land', async () => {
    const writer = createIngestWriter(t.database.db, { maxPending: 1000 });
    const seriesId = ((await t.database.db.execute(sql`insert into telemetry_series (org_id, operation_id, metric) select org_id, id, 'shed' from operations where id = ${opId} returning id`)) as unknown as { rows: { id: number }[] }).rows[0]!.id;
    const orgId = ((await t.database.db.execute(sql`select org_id from operations where id = ${opId}`)) as unknown as { rows: { org_id: string }[] }).rows[0]!.org_id;
    const batch = (k: number) => Array.from({ length: 600 }, (_, i) => ({ seriesId: Number(seriesId), orgId, tsMs: Date.now() - 10_000 + i, value: k * 1000 + i }));
    const results = await Promise.allSettled([writer.write(batch(1)), writer.write(batch(2)), writer.write(batch(3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    const err = (results[1] as PromiseRejectedResult).reason as Overloaded;
    expect(err).toBeInstanceOf(Overloaded);
    expect(err.status).toBe(503);
    expect(err.headers['retry-after']).toBe('1');
    expect(writer.pending).toBe(0);
    // Room again once the queue drained.
    await writer.write(batch(4));
    const n = ((await t.database.db.execute(sql`select count(*)::int as n from telemetry_points where series_id = ${seriesId}`)) as unknown as { rows: { n: number }[] }).rows[0]!.n;
    expect(n).toBe(1200);
  });
});

describe('storage maintenance', () => {
  it('creates monthly partitions ahead and routes points into them', async () => {
    await ensurePartitions(t.database.db, new Date());
    const name = `telemetry_points_${new Date().getUTCFullYear()}${String(new Date().getUTCMonth() + 1).padStart(2, '0')}`;
    await send([{ metric: 'partitioned', value: 1, at: Date.now() }]);
    const r = (await t.database.db.execute(sql.raw(`select count(*)::int as n from ${name}`))) as unknown as { rows: { n: number }[] };
    expect(r.rows[0]!.n).toBeGreaterThanOrEqual(1);
  });

  it('applies each org’s retention to raw points and rollups', async () => {
    await t.inject({ method: 'PATCH', url: '/api/organizations/current', headers: bearer(t.adminToken), payload: { settings: { telemetry: { rawDays: 1, minuteDays: 2 } } } });
    const old = Date.now() - 3 * 86_400_000;
    await send([{ metric: 'old_and_new', value: 1, at: old }, { metric: 'old_and_new', value: 2, at: Date.now() }]);
    await applyRetention(t.database.db, t.app.platform.modules.port('orgTelemetrySettings'));
    const rows = (await t.database.db.execute(sql`select p.value from telemetry_points p join telemetry_series s on s.id = p.series_id where s.metric = 'old_and_new'`)) as unknown as { rows: { value: number }[] };
    expect(rows.rows.map((x) => Number(x.value))).toEqual([2]);
    const minute = (await t.database.db.execute(sql`select count(*)::int as n from telemetry_rollup_1m r join telemetry_series s on s.id = r.series_id where s.metric = 'old_and_new'`)) as unknown as { rows: { n: number }[] };
    expect(minute.rows[0]!.n).toBe(1);
    const hour = (await t.database.db.execute(sql`select count(*)::int as n from telemetry_rollup_1h r join telemetry_series s on s.id = r.series_id where s.metric = 'old_and_new'`)) as unknown as { rows: { n: number }[] };
    expect(hour.rows[0]!.n).toBe(2);
  });

  it('applies each org’s own retention: another org without settings keeps its older points', async () => {
    await t.inject({ method: 'PATCH', url: '/api/organizations/current', headers: bearer(t.adminToken), payload: { settings: { telemetry: { rawDays: 1 } } } });
    const other = await createOrg(t);
    const otherOp = (await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(other.token), payload: { name: 'Other site' } })).json().id as string;
    const old = Date.now() - 3 * 86_400_000;
    const sent = await t.inject({
      method: 'POST',
      url: '/api/telemetry/batch',
      headers: bearer(other.token),
      payload: [{ operationId: otherOp, metricName: 'kept_elsewhere', value: 7, timestamp: new Date(old).toISOString() }],
    });
    expect(sent.statusCode, sent.body).toBe(201);
    await send([{ metric: 'cut_here', value: 8, at: old }]);
    await applyRetention(t.database.db, t.app.platform.modules.port('orgTelemetrySettings'));
    const left = (await t.database.db.execute(
      sql`select s.metric, s.org_id from telemetry_points p join telemetry_series s on s.id = p.series_id where s.metric in ('kept_elsewhere', 'cut_here')`,
    )) as unknown as { rows: { metric: string; org_id: string }[] };
    expect(left.rows).toEqual([{ metric: 'kept_elsewhere', org_id: other.orgId }]);
  });
});
