import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inSystem } from '../src/platform/db/scope.ts';
import { enqueueNotification } from '../src/platform/notify/notify.ts';
import { notifications } from '../src/platform/notify/notify.schema.ts';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';

let t: TestApp;
let orgId: string;
let other: Awaited<ReturnType<typeof createOrg>>;
const ids: Record<string, string> = {};
beforeAll(async () => {
  t = await createTestApp();
  orgId = (await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(t.adminToken) })).json().orgId;
  other = await createOrg(t);
  const queue = (key: string, o: string, channel: 'email' | 'sms' | 'whatsapp', to: string) =>
    inSystem(t.database.db, async (tx) => {
      ids[key] = await enqueueNotification(tx, { orgId: o, channel, to, subject: `About ${key}`, body: `Reset link for ${key}: https://secret.example/t=abc`, meta: { template: 'test.message' } });
    });
  await queue('welcome', orgId, 'email', 'ann@example.test');
  await queue('sms', orgId, 'sms', '+442079460958');
  await queue('bounced', orgId, 'email', 'nobody@example.test');
  await queue('theirs', other.orgId, 'email', 'theirs@example.test');
  await t.app.platform.notifier.drain();
  // A message given up on, with the provider's last answer.
  await t.database.db.update(notifications).set({ status: 'failed', attempts: 8, lastError: '550 5.1.1 mailbox unavailable', sentAt: null }).where(eq(notifications.id, ids.bounced!));
});
afterAll(async () => t?.close());

const list = (query = '', token = t.adminToken) => t.inject({ method: 'GET', url: `/api/outgoing-messages${query}`, headers: bearer(token) });
type Message = { id: string; channel: string; to: string; subject: string; status: string; transport: string | null; lastError: string | null; attempts: number; sentAt: string | null };

describe('outgoing messages log', () => {
  it('lists the org’s messages newest first with status, transport and last error, never their bodies', async () => {
    const res = await list();
    expect(res.statusCode, res.body).toBe(200);
    const data = res.json().data as Message[];
    expect(data.map((m) => m.id)).toEqual([ids.bounced, ids.sms, ids.welcome]);
    expect(data.find((m) => m.id === ids.welcome)).toMatchObject({ channel: 'email', to: 'ann@example.test', status: 'sent', transport: 'log', lastError: null, attempts: 1, sentAt: expect.any(String) });
    expect(data.find((m) => m.id === ids.bounced)).toMatchObject({ status: 'failed', lastError: '550 5.1.1 mailbox unavailable', attempts: 8 });
    expect(res.body).not.toContain('secret.example');
    expect(res.body).not.toContain('theirs@example.test');
  });

  it('filters by status and channel, and pages without gaps or repeats', async () => {
    expect(((await list('?status=failed')).json().data as Message[]).map((m) => m.id)).toEqual([ids.bounced]);
    expect(((await list('?channel=sms')).json().data as Message[]).map((m) => m.id)).toEqual([ids.sms]);
    const first = (await list('?limit=2')).json();
    expect(first.data).toHaveLength(2);
    const second = (await list(`?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).json();
    expect([...first.data, ...second.data].map((m: Message) => m.id)).toEqual([ids.bounced, ids.sms, ids.welcome]);
    expect(second.nextCursor).toBeNull();
  });

  it('another org sees only its own', async () => {
    expect(((await list('', other.token)).json().data as Message[]).map((m) => m.id)).toEqual([ids.theirs]);
  });

  it('says which channels only write to the log', async () => {
    expect((await t.inject({ method: 'GET', url: '/api/outgoing-messages/delivery', headers: bearer(t.adminToken) })).json()).toEqual({ email: 'log', sms: 'log', whatsapp: 'log' });
  });

  it('needs messages:read (admins: the log spans every department); bad input is a 400', async () => {
    expectProblem(await t.inject({ method: 'GET', url: '/api/outgoing-messages' }), 401);
    const agent = await createUser(t, { roles: ['agent'] });
    expectProblem(await list('', agent.token), 403);
    expectProblem(await t.inject({ method: 'GET', url: '/api/outgoing-messages/delivery', headers: bearer(agent.token) }), 403);
    const manager = await createUser(t, { roles: ['manager'] });
    expectProblem(await list('', manager.token), 403);
    expect((await list('')).statusCode).toBe(200);
    expectProblem(await list('?status=lost'), 400);
    expectProblem(await list('?channel=fax'), 400);
    expectProblem(await list('?cursor=garbage'), 400);
    expectProblem(await list('?limit=0'), 400);
  });
});
