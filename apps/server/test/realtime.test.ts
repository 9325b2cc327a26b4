import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, REDIS_URL, secondInstance, type TestApp } from './helpers.ts';
import { connect, type Msg } from './realtime-client.ts';


let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
afterAll(async () => t?.close());

const createOp = async (name: string, token = t.adminToken) =>
  (await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(token), payload: { name } })).json() as { id: string };

describe('realtime', () => {
  it('refuses a connection without valid credentials', async () => {
    const c = await connect(base, 'access_token=nope');
    expect(await c.closed).toBe(4401);
    expect(c.messages[0]).toMatchObject({ type: 'error', code: 'unauthorized' });
  });

  it('delivers new operations and status changes live', async () => {
    const c = await connect(base, `access_token=${t.adminToken}`);
    c.send({ type: 'subscribe', topic: 'operations' });
    await c.next((m) => m.type === 'subscribed');
    const op = await createOp('Live one');
    const created = await c.next((m) => m.event === 'operation.created' && m.data?.operation?.id === op.id);
    expect(created.topic).toBe('operations');
    await t.inject({ method: 'PATCH', url: `/api/operations/${op.id}`, headers: bearer(t.adminToken), payload: { status: 'in_progress' } });
    const moved = await c.next((m) => m.event === 'operation.status_changed');
    expect(moved.id!).toBeGreaterThan(created.id!);
    c.ws.close();
  });

  it('checks every subscription: unknown topics, missing permissions, other orgs ids', async () => {
    const other = await createOrg(t);
    const op = await createOp('Private');
    const c = await connect(base, `access_token=${other.token}`);
    c.send({ type: 'subscribe', topic: `operation:${op.id}` });
    expect((await c.next((m) => m.type === 'error')).code).toBe('not_found');
    c.send({ type: 'subscribe', topic: 'everything' });
    expect((await c.next((m) => m.type === 'error' && m.topic === 'everything')).code).toBe('unknown_topic');
    c.send({ type: 'subscribe', topic: 'operations' });
    expect((await c.next((m) => m.type === 'subscribed' && m.topic === 'operations')).type).toBe('subscribed');
    // A user whose only role lacks operations:read is refused.
    await t.inject({ method: 'POST', url: '/api/roles', headers: bearer(other.token), payload: { name: 'nothing', displayName: 'Nothing', permissions: ['org:read'] } });
    const bare = await createUser(t, { roles: ['nothing'], token: other.token });
    const d = await connect(base, `access_token=${bare.token}`);
    d.send({ type: 'subscribe', topic: 'operations' });
    expect((await d.next((m) => m.type === 'error')).code).toBe('forbidden');
    d.ws.close();
    // Org B's subscriber never sees org A's events.
    await createOp('Org A only');
    await new Promise((r) => setTimeout(r, 400));
    expect(c.messages.filter((m) => m.type === 'event')).toHaveLength(0);
    c.ws.close();
  });

  it('replays everything missed since an event id, then continues live, without duplicates', async () => {
    const a = await connect(base, `access_token=${t.adminToken}`);
    a.send({ type: 'subscribe', topic: 'operations' });
    await a.next((m) => m.type === 'subscribed');
    await createOp('Before the drop');
    const last = await a.next((m) => m.event === 'operation.created' && m.data?.operation?.name === 'Before the drop');
    a.ws.close();
    const missed = [await createOp('Missed 1'), await createOp('Missed 2')];
    const b = await connect(base, `access_token=${t.adminToken}&since=${last.id}`);
    b.send({ type: 'subscribe', topic: 'operations' });
    await b.next((m) => m.data?.operation?.id === missed[1]!.id);
    const live = await createOp('After reconnect');
    await b.next((m) => m.data?.operation?.id === live.id);
    const ids = b.messages.filter((m) => m.type === 'event').map((m) => m.id!);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
    expect(b.messages.filter((m) => m.type === 'event').map((m) => m.data?.operation?.name)).toEqual(['Missed 1', 'Missed 2', 'After reconnect']);
    b.ws.close();
  });

  it('drops the connection when its session is revoked', async () => {
    const s = await t.login('admin@imsop.test', 'Correct-Horse-Battery-9');
    const c = await connect(base, `access_token=${s.accessToken}`);
    await c.next((m) => m.type === 'ready');
    await t.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(s.accessToken) });
    // Re-checked periodically; a subscribe after logout is refused at once.
    c.send({ type: 'auth', token: s.accessToken });
    expect(await c.closed).toBe(4401);
  });
});

describe.skipIf(!REDIS_URL)('realtime across instances', () => {
  let b: FastifyInstance;
  let baseB: string;
  beforeAll(async () => {
    ({ app: b, base: baseB } = await secondInstance(t));
  });
  afterAll(async () => b?.close());

  it('an event committed through instance A reaches a client of instance B', async () => {
    const c = await connect(baseB, `access_token=${t.adminToken}`);
    c.send({ type: 'subscribe', topic: 'operations' });
    await c.next((m) => m.type === 'subscribed');
    const op = await createOp('Cross-instance');
    const got = await c.next((m) => m.data?.operation?.id === op.id, 3_000);
    expect(got.event).toBe('operation.created');
    c.ws.close();
  });
});

describe('presence on a ticket', () => {
  type PresenceMsg = Msg & { users?: { userId: string; state: string }[] };
  it('shows who is viewing or replying to the others on the topic, and drops them when they leave', async () => {
    const agent = await createUser(t, { roles: ['manager'] });
    const tk = (await t.inject({ method: 'POST', url: '/api/tickets', headers: bearer(t.adminToken), payload: { subject: 'Presence', requester: { name: 'R', email: 'r@example.test' } } })).json() as { id: string };
    const topic = `ticket:${tk.id}`;
    const me = (await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(t.adminToken) })).json().id as string;
    const a = await connect(base, `access_token=${t.adminToken}`);
    const b = await connect(base, `access_token=${agent.token}`);
    a.send({ type: 'presence', topic, state: 'viewing' });
    expect(await a.next((m) => m.type === 'error' && m.code === 'not_subscribed')).toBeDefined();
    for (const c of [a, b]) {
      c.send({ type: 'subscribe', topic });
      await c.next((m) => m.type === 'subscribed' && m.topic === topic);
    }
    a.send({ type: 'presence', topic, state: 'replying' });
    const seen = (await b.next((m) => m.type === 'presence' && ((m as PresenceMsg).users ?? []).some((u) => u.userId === me && u.state === 'replying'))) as PresenceMsg;
    expect(seen.users).toEqual([{ userId: me, state: 'replying' }]);
    b.send({ type: 'presence', topic, state: 'viewing' });
    await a.next((m) => m.type === 'presence' && ((m as PresenceMsg).users ?? []).some((u) => u.userId === agent.id));
    a.ws.close();
    const after = (await b.next((m) => m.type === 'presence' && !((m as PresenceMsg).users ?? []).some((u) => u.userId === me))) as PresenceMsg;
    expect(after.users).toEqual([{ userId: agent.id, state: 'viewing' }]);
    // Another org never hears it: it cannot even subscribe.
    const other = await createOrg(t);
    const o = await connect(base, `access_token=${other.token}`);
    o.send({ type: 'subscribe', topic });
    expect(await o.next((m) => m.topic === topic)).toMatchObject({ type: 'error', code: 'not_found' });
    o.send({ type: 'presence', topic, state: 'viewing' });
    expect(await o.next((m) => m.type === 'error' && m.code === 'not_subscribed')).toBeDefined();
    b.ws.close();
    o.ws.close();
  });
});
