/**
 * /metrics: the business gauges (each declared by the module that owns the data, read with one
 * aggregate per scrape), and METRICS_TOKEN.
 */
import net from 'node:net';
import { sql, type SQL } from 'drizzle-orm';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPEN_TICKETS_SQL } from '../src/modules/servicedesk/servicedesk.metrics.ts';
import { servicedeskModule } from '../src/modules/servicedesk/index.ts';
import { ACTIVE_ALARMS_SQL } from '../src/modules/telemetry/telemetry.metrics.ts';
import { inSystem } from '../src/platform/db/scope.ts';
import { UNSENT_NOTIFICATIONS_SQL } from '../src/platform/notify/notify.ts';
import { bearer, createTestApp, expectProblem, until, type TestApp } from './helpers.ts';
import { sampleOf } from './metrics-text.ts';

/** A port nothing listens on: the mail relay that refuses every connection. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const MIN = 60_000;
let offset = 0;
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ SLA_TICK_SECONDS: '0', MQTT_PORT: '0', SMTP_URL: `smtp://127.0.0.1:${await closedPort()}` }, { clock: () => Date.now() + offset });
});
afterAll(async () => {
  await t?.app.platform.modules.closeListeners();
  await t?.close();
});

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, headers: Record<string, string> = bearer(t.adminToken)) =>
  t.inject({ method, url, headers, ...(payload ? { payload } : {}) });
const scrape = async () => {
  const res = await t.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
};
const read = async (name: string, labels: Record<string, string> = {}) => sampleOf(await scrape(), name, labels);
/** Waits for the series to read `expected`: a scrape may serve the reading taken before the change. */
async function expectSeries(name: string, labels: Record<string, string>, expected: number) {
  let last: number | undefined;
  await until(async () => (last = await read(name, labels)) === expected).catch(() => undefined);
  expect(last, `${name}${JSON.stringify(labels)}`).toBe(expected);
}
/** The current value, once the scrape serves a reading (the first scrape may come before any). */
async function current(name: string, labels: Record<string, string> = {}) {
  const { v } = await until(async () => {
    const v = await read(name, labels);
    return v === undefined ? null : { v };
  });
  return v;
}

describe('business gauges', () => {
  it('imsop_notifications: a message the relay refuses is pending, then failed after its last attempt', async () => {
    const email = { status: 'pending', channel: 'email' };
    const failedEmail = { status: 'failed', channel: 'email' };
    const [pending0, failed0] = [await current('imsop_notifications', email), await current('imsop_notifications', failedEmail)];
    const failedJobs0 = await current('imsop_jobs_failed', { job_name: 'platform.notify.send' });
    const res = await t.inject({
      method: 'POST',
      url: '/api/tickets/public?org=default',
      payload: { name: 'Mia Metrics', email: 'mia@example.test', subject: 'Badge', description: 'My badge stopped working.' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const ticketId = (res.json() as { id: string }).id;
    await expectSeries('imsop_notifications', email, pending0 + 1);
    expect(await read('imsop_notifications', { status: 'pending', channel: 'sms' })).toBe(0);

    // Its first run failed (nothing listens) and the job waits for the next; the next is made its last.
    const jobOf = sql`name = 'platform.notify.send' and payload->>'id' in (select id::text from notifications where meta->>'ticketId' = ${ticketId})`;
    await until(async () => (await rows<{ n: number }>(sql`select count(*)::int as n from jobs where ${jobOf} and last_error is not null and locked_by is null`))[0]!.n === 1);
    await t.database.db.execute(sql`update jobs set attempts = 7, run_at = now() where ${jobOf}`);
    await t.app.platform.notifier.drain();
    await expectSeries('imsop_notifications', failedEmail, failed0 + 1);
    await expectSeries('imsop_notifications', email, pending0);
    // Its send job is kept as failed too.
    expect(await read('imsop_jobs_failed', { job_name: 'platform.notify.send' })).toBe(failedJobs0 + 1);
  });

  it('imsop_tickets_open by status, and imsop_tickets_sla_breached once an SLA target is missed', async () => {
    // For this test's tickets only (the form's ticket above stays out of it).
    const policy = await call('POST', '/api/servicedesk/sla-policies', { name: 'One minute', conditions: { category: ['metrics'] }, targets: { medium: { firstResponse: 1 } } });
    expect(policy.statusCode, policy.body).toBe(201);
    const before = await current('imsop_tickets_open', { status: 'new' });
    const created = Date.now();
    const ids: string[] = [];
    for (const subject of ['Printer', 'VPN']) {
      const r = await call('POST', '/api/tickets', { subject, category: 'metrics', requester: { name: 'Req', email: 'req@example.test' } });
      expect(r.statusCode, r.body).toBe(201);
      ids.push((r.json() as { id: string }).id);
    }
    await expectSeries('imsop_tickets_open', { status: 'new' }, before + 2);
    await expectSeries('imsop_tickets_sla_breached', {}, 0);

    // 90 s on, the one-minute first response of both is missed.
    await t.app.platform.module(servicedeskModule).services.sla.tick(created + 90_000);
    await expectSeries('imsop_tickets_sla_breached', {}, 2);

    // A resolved ticket is neither open nor counted in breach.
    expect((await call('PATCH', `/api/tickets/${ids[1]}`, { status: 'resolved' })).statusCode).toBe(200);
    await expectSeries('imsop_tickets_open', { status: 'new' }, before + 1);
    await expectSeries('imsop_tickets_sla_breached', {}, 1);
    expect(await read('imsop_tickets_open', { status: 'resolved' })).toBeUndefined();
    // On hold is open work, under its own status.
    expect((await call('PATCH', `/api/tickets/${ids[0]}`, { status: 'on_hold' })).statusCode).toBe(200);
    await expectSeries('imsop_tickets_open', { status: 'new' }, before);
    await expectSeries('imsop_tickets_open', { status: 'on_hold' }, 1);
  });

  it('imsop_alarms_active by severity: raised by a reading over the threshold, gone once cleared', async () => {
    const rule = await call('POST', '/api/alert-rules', { name: 'Too hot', metric: 'temp_metrics', kind: 'threshold', direction: 'above', threshold: 50, severity: 'critical' });
    expect(rule.statusCode, rule.body).toBe(201);
    const op = (await call('POST', '/api/operations', { name: 'Boiler room' })).json() as { id: string };
    const major = await current('imsop_alarms_active', { severity: 'major' });
    await expectSeries('imsop_alarms_active', { severity: 'critical' }, 0);
    expect((await call('POST', '/api/telemetry', { operationId: op.id, metricName: 'temp_metrics', value: 80 })).statusCode).toBe(201);
    await expectSeries('imsop_alarms_active', { severity: 'critical' }, 1);
    expect(await read('imsop_alarms_active', { severity: 'major' })).toBe(major);

    const alarms = (await call('GET', '/api/alarms?limit=100')).json().data as { id: string; ruleId: string }[];
    const ours = alarms.filter((a) => a.ruleId === (rule.json() as { id: string }).id).map((a) => a.id);
    expect((await call('POST', '/api/alarms/bulk', { ids: ours, action: 'clear' })).statusCode).toBe(200);
    await expectSeries('imsop_alarms_active', { severity: 'critical' }, 0);
  });

  it('imsop_devices_registered and imsop_devices_online: online while seen within five minutes of the clock', async () => {
    const registered = await current('imsop_devices_registered');
    const online = await current('imsop_devices_online');
    const device = (await call('POST', '/api/devices', { name: 'Meter 7' })).json() as { id: string; key: string };
    await expectSeries('imsop_devices_registered', {}, registered + 1);
    expect(await read('imsop_devices_online')).toBe(online);

    const sent = await call('POST', '/api/telemetry', { values: { kwh: 1 } }, { 'x-device-key': device.key });
    expect(sent.statusCode, sent.body).toBe(201);
    await expectSeries('imsop_devices_online', {}, online + 1);

    // Six minutes later on the clock, without a word from it: registered, no longer online.
    offset += 6 * MIN;
    await expectSeries('imsop_devices_online', {}, online);
    expect(await read('imsop_devices_registered')).toBe(registered + 1);
  });

  it('imsop_mqtt_clients: the devices connected to the embedded broker', async () => {
    await expectSeries('imsop_mqtt_clients', {}, 0);
    const [opened] = await t.app.platform.modules.openListeners();
    const port = Number(/port (\d+)/.exec(opened!.listener.banner ?? '')?.[1]);
    const device = (await call('POST', '/api/devices', { name: 'MQTT meter' })).json() as { id: string; key: string };
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: device.id, password: device.key, reconnectPeriod: 0 });
    try {
      await expectSeries('imsop_mqtt_clients', {}, 1);
    } finally {
      await client.endAsync();
    }
    await expectSeries('imsop_mqtt_clients', {}, 0);
    await t.app.platform.modules.closeListeners();
    await expectSeries('imsop_mqtt_clients', {}, 0);
  });

  it('reads through the partial indexes, never every ticket, alarm or message ever written', async () => {
    // With sequential scans priced out, a plan that still scans the table means the query's
    // condition does not imply the index's predicate (they drifted apart).
    for (const [query, index] of [
      [OPEN_TICKETS_SQL, 'tickets_open_status'],
      [ACTIVE_ALARMS_SQL, 'alarms_one_active'],
      [UNSENT_NOTIFICATIONS_SQL, 'notifications_unsent'],
    ] as const) {
      const plan = await inSystem(t.database.db, async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        return ((await tx.execute(sql`explain (costs off) ${query}`)) as unknown as { rows: { 'QUERY PLAN': string }[] }).rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan, plan).toContain(index);
    }
  });
});

const rows = async <T>(q: SQL) => ((await t.database.db.execute(q)) as unknown as { rows: T[] }).rows;

describe('METRICS_TOKEN', () => {
  const token = 'scrape-0f3c9a7d5e1b8246';
  let secured: TestApp;
  beforeAll(async () => {
    secured = await createTestApp({ METRICS_TOKEN: token });
  });
  afterAll(async () => secured?.close());

  it('when set, /metrics answers only its bearer: 401 problem+json otherwise', async () => {
    const get = (headers: Record<string, string> = {}) => secured.inject({ method: 'GET', url: '/metrics', headers });
    const ok = await get({ authorization: `Bearer ${token}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('imsop_tickets_open');
    for (const headers of [
      {},
      { authorization: `Bearer ${token.slice(0, -1)}` },
      { authorization: `Bearer ${token}x` },
      { authorization: `Basic ${Buffer.from(`prometheus:${token}`).toString('base64')}` },
      { authorization: token },
      // The API's own credentials are not the scrape token.
      bearer(secured.adminToken),
    ]) {
      const res = await get(headers);
      const body = expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(JSON.stringify(body)).not.toContain(token);
    }
    // The scheme is case-insensitive (RFC 9110).
    expect((await get({ authorization: `bearer ${token}` })).statusCode).toBe(200);
  });

  it('when unset, /metrics stays open', async () => {
    expect((await t.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });
});
