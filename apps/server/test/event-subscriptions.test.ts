import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveredEvent } from '../src/platform/events/subscriptions.ts';
import { bearer, createOrg, createTestApp, createUser, expectProblem, until, type TestApp } from './helpers.ts';

/**
 * The durable subscriptions in the running app: a module's handler registered on the platform,
 * real use cases as the events, and the admin API over dead letters (per org, audited replays).
 */
describe('event subscriptions in the app', () => {
  let t: TestApp;
  let other: Awaited<ReturnType<typeof createOrg>>;
  const seen: DeliveredEvent[] = [];
  /** Operation names the handler refuses until the test "fixes" it. */
  const poisoned = new Set<string>();

  beforeAll(async () => {
    t = await createTestApp();
    other = await createOrg(t);
    t.app.platform.subscriptions.register({
      name: 'test.operations-watch',
      types: ['operation.created'],
      maxAttempts: 2,
      backoff: () => 0,
      handler: async (e, ctx) => {
        // Today an operation's event is written once per topic (the list and the record's own): one copy is enough here.
        if (e.topic !== 'operations') return;
        const name = (e.payload.operation as { name: string }).name;
        if (poisoned.has(name)) throw new Error(`cannot handle ${name}`);
        await ctx.once(async () => seen.push(e));
      },
    });
  });
  afterAll(async () => t?.close());

  const subs = () => t.app.platform.subscriptions;
  const createOperation = async (token: string, name: string) => {
    const r = await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(token), payload: { name } });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };
  /**
   * A /metrics reading of one subscription, once `ready` holds for it: a scrape serves the last
   * reading while a new one is taken (it never waits long for the database), so a reading taken
   * before the test's own changes can come first.
   */
  const scrape = async (subscription: string, ready: (value: (name: string) => number) => boolean) =>
    until(async () => {
      const text = (await t.inject({ method: 'GET', url: '/metrics' })).body;
      const value = (name: string) => Number(new RegExp(`^${name}\\{subscription="${subscription}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
      return ready(value) ? value : null;
    });
  const deadLetters = async (token: string, query = '') => {
    const r = await t.inject({ method: 'GET', url: `/api/event-subscriptions/dead-letters${query}`, headers: bearer(token) });
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { data: { id: string; status: string; eventType: string; lastError: string; attempts: number; payload: Record<string, unknown> | null; payloadHidden: boolean }[]; nextCursor: string | null };
  };

  it('hands a use case’s event to the registered handler after commit, without a poll', async () => {
    const id = await createOperation(t.adminToken, 'Watched operation');
    // The use case's wake-up reaches the runner over the bus; the poll (1 s) is not needed.
    await until(async () => seen.find((e) => (e.payload.operation as { id: string }).id === id), 900);
  });

  it('a poisoned event lands in the org’s dead letters; another org sees neither it nor its error, and gets 404 for it', async () => {
    poisoned.add('Poison pill');
    await createOperation(t.adminToken, 'Poison pill');
    await subs().flush();
    await subs().flush();
    const mine = await until(async () => (await deadLetters(t.adminToken)).data.find((d) => d.payload?.operation && (d.payload.operation as { name: string }).name === 'Poison pill'));
    expect(mine).toMatchObject({ status: 'dead', eventType: 'operation.created', attempts: 2, lastError: 'cannot handle Poison pill' });

    const overview = await t.inject({ method: 'GET', url: '/api/event-subscriptions', headers: bearer(t.adminToken) });
    expect(overview.statusCode).toBe(200);
    expect(overview.json().data.find((s: { name: string }) => s.name === 'test.operations-watch')).toMatchObject({ deadLetters: 1, pending: 0, retrying: false });

    expect((await deadLetters(other.token)).data).toEqual([]);
    const theirs = await t.inject({ method: 'GET', url: '/api/event-subscriptions', headers: bearer(other.token) });
    expect(theirs.json().data.find((s: { name: string }) => s.name === 'test.operations-watch')).toMatchObject({ deadLetters: 0 });
    expectProblem(await t.inject({ method: 'GET', url: `/api/event-subscriptions/dead-letters/${mine.id}`, headers: bearer(other.token) }), 404);
    expectProblem(await t.inject({ method: 'POST', url: `/api/event-subscriptions/dead-letters/${mine.id}/replay`, headers: bearer(other.token) }), 404);
    expectProblem(await t.inject({ method: 'GET', url: '/api/event-subscriptions/dead-letters/not-a-uuid', headers: bearer(t.adminToken) }), 400);
    expectProblem(await t.inject({ method: 'GET', url: '/api/event-subscriptions/dead-letters?status=lost', headers: bearer(t.adminToken) }), 400);
  });

  it('needs subscriptions:manage, which only the admin role holds', async () => {
    const manager = await createUser(t, { roles: ['manager'] });
    expectProblem(await t.inject({ method: 'GET', url: '/api/event-subscriptions', headers: bearer(manager.token) }), 403);
    expectProblem(await t.inject({ method: 'GET', url: '/api/event-subscriptions/dead-letters', headers: bearer(manager.token) }), 403);
    const me = await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(t.adminToken) });
    expect(me.json().permissions['subscriptions:manage']).toBe('any');
  });

  it('after the handler is fixed, a replay delivers the dead letter once, is audited, and cannot be queued twice', async () => {
    const [dead] = (await deadLetters(t.adminToken, '?status=dead')).data;
    expect(dead).toBeDefined();
    poisoned.clear();
    const before = seen.length;
    const r = await t.inject({ method: 'POST', url: `/api/event-subscriptions/dead-letters/${dead!.id}/replay`, headers: bearer(t.adminToken) });
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json()).toMatchObject({ id: dead!.id, status: 'queued' });
    await subs().flush();
    const replayed = await until(async () => {
      const one = await t.inject({ method: 'GET', url: `/api/event-subscriptions/dead-letters/${dead!.id}`, headers: bearer(t.adminToken) });
      return one.json().status === 'replayed' ? (one.json() as { replayedAt: string | null }) : null;
    });
    expect(replayed.replayedAt).not.toBeNull();
    expect(seen.slice(before).map((e) => (e.payload.operation as { name: string }).name)).toEqual(['Poison pill']);
    expectProblem(await t.inject({ method: 'POST', url: `/api/event-subscriptions/dead-letters/${dead!.id}/replay`, headers: bearer(t.adminToken) }), 409, 'already_replayed');

    const audit = await t.inject({ method: 'GET', url: '/api/audit-logs?action=event_dead_letter.replay', headers: bearer(t.adminToken) });
    expect(audit.json().data).toHaveLength(1);
    expect(audit.json().data[0]).toMatchObject({ entityType: 'event_dead_letter', entityId: dead!.id });
    const overview = await t.inject({ method: 'GET', url: '/api/event-subscriptions', headers: bearer(t.adminToken) });
    expect(overview.json().data.find((s: { name: string }) => s.name === 'test.operations-watch')).toMatchObject({ deadLetters: 0 });
  });

  it('reports lag, retries and dead letters per subscription on /metrics', async () => {
    const value = await scrape('test.operations-watch', (v) => v('imsop_event_subscription_dead_letters') === 0);
    expect(value('imsop_event_subscription_lag_events')).toBe(0);
    expect(value('imsop_event_subscription_retries_total')).toBe(2);
    expect(value('imsop_event_subscription_dead_lettered_total')).toBe(1);
    expect(value('imsop_event_subscription_dead_letters')).toBe(0);
    expect(value('imsop_event_subscription_handled_total')).toBeGreaterThanOrEqual(1);
  });

  it('shows what waits behind a failing event: lag on /metrics, the retry in the overview', async () => {
    subs().register({
      name: 'test.lagging',
      types: ['operation.created'],
      maxAttempts: 10,
      backoff: () => 3_600_000,
      handler: async (e) => {
        if (e.topic === 'operations') throw new Error('downstream unavailable');
      },
    });
    await subs().flush(); // creates its row at the current position
    await createOperation(t.adminToken, 'Waits one');
    await createOperation(t.adminToken, 'Waits two');
    await subs().flush();
    const value = await scrape('test.lagging', (v) => v('imsop_event_subscription_retries_total') === 1);
    // Two facts: each operation's event is on two topics (the list's and the record's own), and the
    // record's row is a copy, which a durable subscription is not handed.
    expect(value('imsop_event_subscription_lag_events')).toBe(2);
    expect(value('imsop_event_subscription_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('imsop_event_subscription_retries_total')).toBe(1);
    const overview = (await t.inject({ method: 'GET', url: '/api/event-subscriptions', headers: bearer(t.adminToken) })).json();
    expect(overview.data.find((s: { name: string }) => s.name === 'test.lagging')).toMatchObject({ pending: 2, retrying: true, attempts: 1, lastError: 'downstream unavailable' });
    // Another org waits for nothing there, and is not shown this org's error.
    const theirs = (await t.inject({ method: 'GET', url: '/api/event-subscriptions', headers: bearer(other.token) })).json();
    expect(theirs.data.find((s: { name: string }) => s.name === 'test.lagging')).toMatchObject({ pending: 0, retrying: true, lastError: null, headEventId: null });
  });

  it('shows a dead letter’s payload only to whoever may read its record: managing subscriptions does not grant it', async () => {
    const role = await t.inject({
      method: 'POST',
      url: '/api/roles',
      headers: bearer(t.adminToken),
      payload: { name: 'event-ops', displayName: 'Event operator', permissions: ['subscriptions:manage', 'operations:create', { permission: 'operations:read', condition: 'own' }] },
    });
    expect(role.statusCode, role.body).toBe(201);
    const operator = await createUser(t, { roles: ['event-ops'] });
    poisoned.add('Secret plan');
    await createOperation(t.adminToken, 'Secret plan');
    await subs().flush();
    await subs().flush();
    const isSecret = (d: { payload: Record<string, unknown> | null }) => (d.payload?.operation as { name?: string } | undefined)?.name === 'Secret plan';
    const asAdmin = await until(async () => (await deadLetters(t.adminToken)).data.find(isSecret));
    expect(asAdmin.payloadHidden).toBe(false);

    // The operator sees the failure (type, error, attempts) and may replay it, but not the operation it copies.
    const asOperator = (await deadLetters(operator.token)).data.find((d) => d.id === asAdmin.id);
    expect(asOperator).toMatchObject({ payload: null, payloadHidden: true, eventType: 'operation.created', lastError: 'cannot handle Secret plan' });
    const one = await t.inject({ method: 'GET', url: `/api/event-subscriptions/dead-letters/${asAdmin.id}`, headers: bearer(operator.token) });
    expect(one.json()).toMatchObject({ payload: null, payloadHidden: true });
    // An operation of their own shows: the record's own read rule decides, with its own-scope.
    poisoned.add('My own plan');
    await createOperation(operator.token, 'My own plan');
    await subs().flush();
    await subs().flush();
    const own = await until(async () => (await deadLetters(operator.token)).data.find((d) => !d.payloadHidden));
    expect((own.payload?.operation as { name: string }).name).toBe('My own plan');
    poisoned.delete('Secret plan');
    poisoned.delete('My own plan');
  });

});
