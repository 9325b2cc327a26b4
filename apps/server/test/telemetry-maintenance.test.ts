import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/platform/db/client.ts';
import { bearer, createTestApp, type TestApp } from './helpers.ts';

/**
 * Telemetry's maintenance runs on the platform's schedules (one firing per time across instances),
 * not on timers of its own: on the app's clock, moved by hand here.
 */
describe('telemetry maintenance as scheduled jobs', () => {
  let t: TestApp;
  let now = Date.now();
  const clock = () => now;
  let opId: string;
  beforeAll(async () => {
    t = await createTestApp({}, { clock });
    opId = (await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(t.adminToken), payload: { name: 'Maintained site' } })).json().id;
  });
  afterAll(async () => t?.close());

  it('declares its three schedules: partitions and retention hourly, no-data checks every 15 s', async () => {
    const states = (await t.app.platform.jobs.scheduleStates()).filter((s) => s.name.startsWith('telemetry.'));
    expect(states.map((s) => [s.name, s.job, s.spec])).toEqual([
      ['telemetry.no-data', 'telemetry.no-data', 'every:15000'],
      ['telemetry.partitions', 'telemetry.partitions', 'every:3600000'],
      ['telemetry.retention', 'telemetry.retention', 'every:3600000'],
    ]);
  });

  it('the no-data schedule raises the alarm of a silent series when its time comes, and not before', async () => {
    const rule = await t.inject({ method: 'POST', url: '/api/alert-rules', headers: bearer(t.adminToken), payload: { name: 'silent', severity: 'major', metric: 'pulse', kind: 'no_data', durationSeconds: 60 } });
    expect(rule.statusCode, rule.body).toBe(201);
    await t.inject({
      method: 'POST',
      url: '/api/telemetry/batch',
      headers: bearer(t.adminToken),
      payload: [{ operationId: opId, metricName: 'pulse', value: 1, timestamp: new Date(Date.now() - 120_000).toISOString() }],
    });
    const active = async () =>
      ((await t.inject({ method: 'GET', url: '/api/alarms?limit=200', headers: bearer(t.adminToken) })).json().data as { ruleId: string; active: boolean }[]).filter(
        (a) => a.ruleId === rule.json().id && a.active,
      ).length;
    const fired = async () => Number((await t.app.platform.jobs.scheduleStates()).find((s) => s.name === 'telemetry.no-data')!.fired);
    const before = await fired();
    await t.app.platform.jobs.runDue();
    expect(await active()).toBe(0);
    now += 15_000;
    await t.app.platform.jobs.runDue();
    expect(await fired()).toBe(before + 1);
    expect(await active()).toBe(1);
    // The job row is gone once done.
    const left = await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from jobs where name like 'telemetry.%'`);
    expect(left[0]!.n).toBe(0);
  });

  it('partitions and retention fire hourly', async () => {
    const fired = async (name: string) => Number((await t.app.platform.jobs.scheduleStates()).find((s) => s.name === name)!.fired);
    const [p, r] = [await fired('telemetry.partitions'), await fired('telemetry.retention')];
    now += 3_600_000;
    await t.app.platform.jobs.runDue();
    expect([await fired('telemetry.partitions'), await fired('telemetry.retention')]).toEqual([p + 1, r + 1]);
    expect((await t.app.platform.jobs.stats()).filter((s) => s.name.startsWith('telemetry.')).every((s) => s.failed === 0)).toBe(true);
  });
});
