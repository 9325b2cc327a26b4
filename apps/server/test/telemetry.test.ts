import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';
import { expectPaging, keysetOrder, withQuery, type ListCall } from './paging.ts';

let t: TestApp;
let opId: string;
let device: { id: string; key: string };
beforeAll(async () => {
  t = await createTestApp();
  opId = (await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(t.adminToken), payload: { name: 'Plant A' } })).json().id;
  device = (await t.inject({ method: 'POST', url: '/api/devices', headers: bearer(t.adminToken), payload: { name: 'Boiler sensor', operationId: opId } })).json();
});
afterAll(async () => t?.close());

const ingest = (payload: unknown, opts: { query?: string; headers?: Record<string, string> } = {}) =>
  t.inject({ method: 'POST', url: `/api/telemetry/batch${opts.query ?? ''}`, headers: opts.headers ?? bearer(t.adminToken), payload: payload as object });

describe('devices', () => {
  it('shows the key once, stores only its hash, and reports online after data', async () => {
    expect(device.key).toMatch(/^dev_[a-z0-9]{12}_/);
    const list = (await t.inject({ method: 'GET', url: '/api/devices', headers: bearer(t.adminToken) })).json().data;
    expect(JSON.stringify(list)).not.toContain(device.key);
    expect(list[0].online).toBe(false);
    const res = await ingest({ ts: Date.now(), values: { temperature: 21.5 } }, { headers: { 'x-device-key': device.key } });
    expect(res.statusCode, res.body).toBe(201);
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.inject({ method: 'GET', url: `/api/devices/${device.id}`, headers: bearer(t.adminToken) })).json().online).toBe(true);
  });

  it('rotating the key stops the old one', async () => {
    const d = (await t.inject({ method: 'POST', url: '/api/devices', headers: bearer(t.adminToken), payload: { name: 'Rotating' } })).json();
    const rotated = (await t.inject({ method: 'POST', url: `/api/devices/${d.id}/rotate-key`, headers: bearer(t.adminToken) })).json();
    expectProblem(await ingest({ values: { x: 1 } }, { headers: { 'x-device-key': d.key } }), 401, 'invalid_device_key');
    expect((await ingest({ values: { x: 1 } }, { headers: { 'x-device-key': rotated.key } })).statusCode).toBe(201);
  });
});

describe('ingestion', () => {
  it('accepts IMSOP and ThingsBoard shapes', async () => {
    const now = Date.now();
    const res = await ingest([
      { operationId: opId, metricName: 'pressure', value: 2.5, unit: 'bar', timestamp: new Date(now - 1000).toISOString() },
      { ts: now - 500, values: { humidity: 40, pressure: 2.6 } },
    ], { query: `?deviceId=${device.id}` });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ accepted: 3, rejected: [] });
    const single = await t.inject({ method: 'POST', url: '/api/telemetry', headers: bearer(t.adminToken), payload: { operationId: opId, metricName: 'flow', value: 12 } });
    expect(single.statusCode).toBe(201);
  });

  it('the single-point form answers 201 with the stored point, and 404 for an operation or device that is not the org’s', async () => {
    const one = (payload: unknown, headers: Record<string, string> = bearer(t.adminToken), query = '') =>
      t.inject({ method: 'POST', url: `/api/telemetry${query}`, headers, payload: payload as object });
    const at = new Date(Date.now() - 5_000).toISOString();
    const res = await one({ operationId: opId, metricName: 'seed_flow', value: 12.5, timestamp: at });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ seriesId: expect.any(Number), operationId: opId, deviceId: null, metricName: 'seed_flow', value: 12.5, unit: null, timestamp: at });
    const latest = (await t.inject({ method: 'GET', url: `/api/telemetry/latest?operationId=${opId}&metric=seed_flow`, headers: bearer(t.adminToken) })).json().data;
    expect(latest).toEqual([expect.objectContaining({ id: res.json().seriesId, lastValue: 12.5, lastTs: at })]);
    // Without a timestamp the point is stamped on arrival; a device key speaks for its device (and its operation).
    const stamped = (await one({ metricName: 'seed_temp', value: 3, unit: '°C' }, { 'x-device-key': device.key })).json();
    expect(stamped).toMatchObject({ deviceId: device.id, operationId: opId, metricName: 'seed_temp', value: 3, unit: '°C' });
    expect(Math.abs(Date.parse(stamped.timestamp) - Date.now())).toBeLessThan(60_000);

    // An operation that exists nowhere, or in another org, is not found, alike; so is such a device.
    const other = await createOrg(t);
    const ghost = crypto.randomUUID();
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    const nowhere = expectProblem(await one({ operationId: ghost, metricName: 'seed_flow', value: 1 }, bearer(other.token)), 404, 'not_found');
    const theirs = expectProblem(await one({ operationId: opId, metricName: 'seed_flow', value: 1 }, bearer(other.token)), 404, 'not_found');
    expect(strip(theirs)).toEqual(strip(nowhere));
    expectProblem(await one({ operationId: opId, metricName: 'seed_flow', value: 1 }, bearer(other.token), '?partial=true'), 404, 'not_found');
    expectProblem(await one({ deviceId: device.id, metricName: 'seed_flow', value: 1 }, bearer(other.token)), 404, 'not_found');
    expectProblem(await one({ metricName: 'seed_flow', value: 1 }, bearer(other.token), `?operationId=${opId}`), 404, 'not_found');
    expect((await t.inject({ method: 'GET', url: '/api/telemetry/latest', headers: bearer(other.token) })).json().data).toEqual([]);
    // Other faults stay 400, as in a batch.
    expectProblem(await one({ operationId: opId, metricName: '9bad', value: 1 }), 400, 'invalid_points');

    // The batch forms answer as before, on both URLs.
    const batch = { accepted: 1, rejected: [] };
    expect((await one([{ operationId: opId, metricName: 'seed_flow', value: 2 }])).json()).toEqual(batch);
    expect((await one({ points: [{ operationId: opId, metricName: 'seed_flow', value: 2 }] })).json()).toEqual(batch);
    expect((await one({ ts: Date.now(), values: { seed_flow: 2 } }, bearer(t.adminToken), `?operationId=${opId}`)).json()).toEqual(batch);
    expect((await ingest({ operationId: opId, metricName: 'seed_flow', value: 2 })).json()).toEqual(batch);
    expectProblem(await ingest({ operationId: ghost, metricName: 'seed_flow', value: 2 }), 400, 'invalid_points');
    expectProblem(await one([{ operationId: ghost, metricName: 'seed_flow', value: 2 }]), 400, 'invalid_points');
  });

  it('reports bad points by index and stores nothing; ?partial=true keeps the valid ones', async () => {
    const bad = [
      { operationId: opId, metricName: 'ok_metric', value: 1 },
      { operationId: opId, metricName: '9bad', value: 1 },
      { operationId: opId, metricName: 'x', value: 'NaN' },
      { operationId: opId, metricName: 'x', value: 1, timestamp: new Date(Date.now() + 3_600_000).toISOString() },
      { metricName: 'x', value: 1 },
    ];
    const res = await ingest(bad);
    const p = expectProblem(res, 400, 'invalid_points') as unknown as { rejected: { index: number; reason: string }[] };
    expect(p.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(p.rejected[2]!.reason).toMatch(/future/);
    const latest = (await t.inject({ method: 'GET', url: `/api/telemetry/latest?operationId=${opId}&metric=ok_metric`, headers: bearer(t.adminToken) })).json().data;
    expect(latest).toHaveLength(0);
    const partial = await ingest(bad, { query: '?partial=true' });
    expect(partial.statusCode).toBe(201);
    expect(partial.json().accepted).toBe(1);
    expect(partial.json().rejected).toHaveLength(4);
  });

  it('refuses other orgs ids, oversize batches, and device keys speaking for another device', async () => {
    const other = await createOrg(t);
    const r = await t.inject({ method: 'POST', url: '/api/telemetry/batch', headers: bearer(other.token), payload: [{ operationId: opId, metricName: 'x', value: 1 }] });
    expect(expectProblem(r, 400, 'invalid_points').detail).toMatch(/invalid/);
    const big = Array.from({ length: 10_001 }, () => ({ operationId: opId, metricName: 'x', value: 1 }));
    expectProblem(await ingest(big), 413, 'batch_too_large');
    const spoof = await ingest([{ deviceId: '00000000-0000-4000-8000-000000000001', metricName: 'x', value: 1 }], { headers: { 'x-device-key': device.key } });
    expectProblem(spoof, 400, 'invalid_points');
    expectProblem(await t.inject({ method: 'POST', url: '/api/telemetry/batch', payload: [] }), 401);
    const viewer = await createUser(t, { roles: ['viewer'] });
    expectProblem(await ingest([{ operationId: opId, metricName: 'x', value: 1 }], { headers: bearer(viewer.token) }), 403);
  });
});

describe('aggregation', () => {
  it('rollups match a direct computation over the raw rows', async () => {
    const base = Date.UTC(2026, 0, 15, 10, 0, 0);
    const points = Array.from({ length: 600 }, (_, i) => ({ operationId: opId, metricName: 'load', value: Math.sin(i / 7) * 10 + (i % 13), timestamp: new Date(base + i * 7_000).toISOString() }));
    for (let i = 0; i < points.length; i += 200) expect((await ingest(points.slice(i, i + 200))).statusCode).toBe(201);
    const from = new Date(base).toISOString();
    const to = new Date(base + 600 * 7_000).toISOString();
    for (const [interval, agg] of [['1m', 'avg'], ['5m', 'max'], ['1h', 'count'], ['1m', 'min'], ['1h', 'sum']] as const) {
      const res = await t.inject({
        method: 'GET',
        url: `/api/telemetry?operationId=${opId}&metric=load&from=${from}&to=${to}&interval=${interval}&agg=${agg}`,
        headers: bearer(t.adminToken),
      });
      expect(res.statusCode, res.body).toBe(200);
      const step = { '1m': 60, '5m': 300, '1h': 3600 }[interval];
      const direct = (await t.database.db.execute(sql`
        select to_timestamp(floor(extract(epoch from ts) / ${step}) * ${step}) as t,
               ${sql.raw({ avg: 'avg(value)', max: 'max(value)', min: 'min(value)', count: 'count(*)::float8', sum: 'sum(value)' }[agg])} as v
        from telemetry_points p join telemetry_series s on s.id = p.series_id
        where s.operation_id = ${opId} and s.metric = 'load' and s.device_id is null and ts >= ${new Date(from)} and ts < ${new Date(to)}
        group by 1 order by 1`)) as unknown as { rows: { t: string | Date; v: number }[] };
      const got = res.json().buckets as { t: string; value: number }[];
      expect(got.map((b) => b.t)).toEqual(direct.rows.map((r) => new Date(r.t).toISOString()));
      got.forEach((b, i) => expect(b.value).toBeCloseTo(Number(direct.rows[i]!.v), 9));
    }
  });

  it('day buckets follow the time zone across a DST change', async () => {
    // Europe/Paris leaves summer time on 2026-10-25: that local day has 25 hours.
    const start = Date.UTC(2026, 9, 23, 22, 0, 0); // 2026-10-24 00:00 in Paris
    const points = Array.from({ length: 73 }, (_, h) => ({ operationId: opId, metricName: 'hourly', value: 1, timestamp: new Date(start + h * 3_600_000).toISOString() }));
    expect((await ingest(points)).statusCode).toBe(201);
    const res = await t.inject({
      method: 'GET',
      url: `/api/telemetry?operationId=${opId}&metric=hourly&from=${new Date(start).toISOString()}&to=${new Date(start + 73 * 3_600_000).toISOString()}&interval=1d&agg=count&tz=Europe/Paris`,
      headers: bearer(t.adminToken),
    });
    const buckets = res.json().buckets as { t: string; value: number }[];
    expect(buckets.map((b) => [b.t, b.value])).toEqual([
      ['2026-10-23T22:00:00.000Z', 24],
      ['2026-10-24T22:00:00.000Z', 25],
      ['2026-10-25T23:00:00.000Z', 24],
    ]);
    expectProblem(await t.inject({ method: 'GET', url: `/api/telemetry?operationId=${opId}&metric=hourly&from=${new Date(start).toISOString()}&tz=Mars/Olympus`, headers: bearer(t.adminToken) }), 400, 'invalid_time_zone');
  });
});

describe('alarms', () => {
  it('raises one alarm per rule and source under concurrent ingestion, then ack and clear', async () => {
    const rule = await t.inject({
      method: 'POST',
      url: '/api/alert-rules',
      headers: bearer(t.adminToken),
      payload: { name: 'Too hot', metric: 'temp_c', kind: 'threshold', direction: 'above', threshold: 80, severity: 'critical' },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const now = Date.now();
    const batches = Array.from({ length: 8 }, (_, i) => ingest([{ operationId: opId, metricName: 'temp_c', value: 90 + i, timestamp: new Date(now - 1000 + i).toISOString() }]));
    expect((await Promise.all(batches)).every((r) => r.statusCode === 201)).toBe(true);
    const active = (await t.inject({ method: 'GET', url: '/api/alarms?active=true', headers: bearer(t.adminToken) })).json().data.filter((a: { metric: string }) => a.metric === 'temp_c');
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ severity: 'critical', state: 'active_unacknowledged', source: `operation:${opId}` });
    const ack = await t.inject({ method: 'POST', url: `/api/alarms/${active[0].id}/ack`, headers: bearer(t.adminToken) });
    expect(ack.json().state).toBe('active_acknowledged');
    // Back to normal: the alarm clears itself.
    await ingest([{ operationId: opId, metricName: 'temp_c', value: 20 }]);
    const after = (await t.inject({ method: 'GET', url: `/api/alarms?active=false`, headers: bearer(t.adminToken) })).json().data;
    expect(after.find((a: { id: string }) => a.id === active[0].id)?.state).toBe('cleared_acknowledged');
    const audit = (await t.inject({ method: 'GET', url: `/api/audit-logs?entityId=${active[0].id}`, headers: bearer(t.adminToken) })).json().data;
    expect(audit.map((a: { action: string }) => a.action).sort()).toEqual(['alarm.acknowledge', 'alarm.clear', 'alarm.raise']);
  });

  it('validates rules and refuses other orgs alarms', async () => {
    expectProblem(await t.inject({ method: 'POST', url: '/api/alert-rules', headers: bearer(t.adminToken), payload: { name: 'x', metric: 'm', kind: 'threshold' } }), 400, 'invalid_rule');
    const other = await createOrg(t);
    const mine = (await t.inject({ method: 'GET', url: '/api/alarms', headers: bearer(t.adminToken) })).json().data;
    expect(mine.length).toBeGreaterThan(0);
    expectProblem(await t.inject({ method: 'POST', url: `/api/alarms/${mine[0].id}/clear`, headers: bearer(other.token) }), 404);
    expectProblem(await t.inject({ method: 'POST', url: '/api/alarms/bulk', headers: bearer(other.token), payload: { ids: [mine[0].id], action: 'ack' } }), 404);
  });
});

describe('paged lists', () => {
  let other: Awaited<ReturnType<typeof createOrg>>;
  let otherDevice: { id: string; key: string };
  const tag = Date.now().toString(36);
  beforeAll(async () => {
    other = await createOrg(t);
    otherDevice = (await t.inject({ method: 'POST', url: '/api/devices', headers: bearer(other.token), payload: { name: `pagea${tag}` } })).json();
  });
  const list = (url: string, token = t.adminToken): ListCall => (q) => t.inject({ method: 'GET', url: withQuery(url, q), headers: bearer(token) });
  const post = async (url: string, payload: object, token = t.adminToken) => {
    const res = await t.inject({ method: 'POST', url, headers: bearer(token), payload });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; name: string };
  };

  it('devices: by name then id, a page at a time, never another org’s', async () => {
    const made = [];
    for (const n of ['pagec', 'pagea', 'pageb', 'pagea']) made.push(await post('/api/devices', { name: `${n}${tag}` }));
    const all = await expectPaging(list('/api/devices'), { limit: 2, inOrder: keysetOrder(made.map((d) => ({ id: d.id, key: d.name }))) });
    expect(all.map((d) => d.id)).not.toContain(otherDevice.id);
    expect((await list('/api/devices', other.token)('limit=200')).json().data.map((d: { id: string }) => d.id)).toEqual([otherDevice.id]);
  });

  it('alert rules: by name then id, a page at a time, never another org’s', async () => {
    const rule = (name: string) => ({ name, metric: `page_${tag}`, kind: 'threshold', direction: 'above', threshold: 1000 });
    const made = [];
    for (const n of ['pagec', 'pagea', 'pageb', 'pagea']) made.push(await post('/api/alert-rules', rule(`${n}${tag}`)));
    const theirs = await post('/api/alert-rules', rule(`pagea${tag}`), other.token);
    const all = await expectPaging(list('/api/alert-rules'), { limit: 2, inOrder: keysetOrder(made.map((r) => ({ id: r.id, key: r.name }))) });
    expect(all.map((r) => r.id)).not.toContain(theirs.id);
  });

  it('alarms: newest first (ties by id), a page at a time, with their filters, never another org’s', async () => {
    const metric = `page_alarm_${tag}`;
    for (const n of ['a', 'b', 'c']) await post('/api/alert-rules', { name: `alarm ${n}`, metric, kind: 'threshold', direction: 'above', threshold: 1 });
    await post('/api/alert-rules', { name: 'theirs', metric, kind: 'threshold', direction: 'above', threshold: 1 }, other.token);
    // One point raises the three rules' alarms at the same instant (ties broken by id), a later one is newer still.
    expect((await ingest([{ operationId: opId, metricName: metric, value: 5, timestamp: new Date(Date.now() - 2000).toISOString() }])).statusCode).toBe(201);
    expect((await ingest({ values: { [metric]: 5 } }, { headers: { 'x-device-key': device.key } })).statusCode).toBe(201);
    expect((await ingest({ values: { [metric]: 5 } }, { headers: { 'x-device-key': otherDevice.key } })).statusCode).toBe(201);
    const mine = (await list('/api/alarms')('limit=200')).json().data.filter((a: { metric: string }) => a.metric === metric) as { id: string; startedAt: string }[];
    expect(mine).toHaveLength(6);
    const all = await expectPaging(list('/api/alarms'), { limit: 4, inOrder: keysetOrder(mine.map((a) => ({ id: a.id, key: a.startedAt })), true) });
    const theirs = (await list('/api/alarms', other.token)('limit=200')).json().data as { id: string }[];
    expect(theirs).toHaveLength(1);
    expect(all.map((a) => a.id)).not.toContain(theirs[0]!.id);
    const active = await expectPaging<{ id: string; active: boolean }>(list('/api/alarms?active=true'), { limit: 2, inOrder: keysetOrder(mine.map((a) => ({ id: a.id, key: a.startedAt })), true) });
    expect(active.every((a) => a.active)).toBe(true);
  });
});
