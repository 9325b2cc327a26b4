import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/platform/db/client.ts';
import { bearer, createTestApp, type TestApp } from './helpers.ts';

/**
 * The SLA scheduler runs on the platform's schedules (SLA_TICK_SECONDS apart, one pass per time
 * across instances), on the app's clock, moved by hand here.
 */
describe('the SLA scheduler as a schedule', () => {
  let t: TestApp;
  let now = Date.now();
  beforeAll(async () => {
    t = await createTestApp({ SLA_TICK_SECONDS: '10' }, { clock: () => now });
  });
  afterAll(async () => t?.close());

  it('is declared every SLA_TICK_SECONDS, and its pass breaches a ticket when its time comes', async () => {
    const state = (await t.app.platform.jobs.scheduleStates()).find((s) => s.name === 'servicedesk.sla-tick');
    expect(state).toMatchObject({ job: 'servicedesk.sla-tick', spec: 'every:10000' });
    const policy = await t.inject({
      method: 'POST',
      url: '/api/servicedesk/sla-policies',
      headers: bearer(t.adminToken),
      payload: { name: 'One minute', isDefault: true, targets: { low: { firstResponse: 1 }, medium: { firstResponse: 1 }, high: { firstResponse: 1 }, urgent: { firstResponse: 1 } } },
    });
    expect(policy.statusCode, policy.body).toBe(201);
    const ticket = await t.inject({ method: 'POST', url: '/api/tickets', headers: bearer(t.adminToken), payload: { subject: 'Scheduled breach', requester: { name: 'Req', email: 'req@example.test' } } });
    expect(ticket.statusCode, ticket.body).toBe(201);
    const breaches = async () =>
      (await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from sla_firings where ticket_id = ${ticket.json().id} and kind = 'breach'`))[0]!.n;
    now += 30_000;
    await t.app.platform.jobs.runDue();
    expect(await breaches()).toBe(0);
    now += 60_000;
    await t.app.platform.jobs.runDue();
    expect(await breaches()).toBe(1);
    now += 10_000;
    await t.app.platform.jobs.runDue();
    expect(await breaches()).toBe(1);
  });
});
