import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';

/** An agent takes a call and opens the ticket for the caller: a person of the org, or a contact. */
let t: TestApp;
let agent: { id: string; token: string };
let caller: { id: string; email: string; token: string };
let other: Awaited<ReturnType<typeof createOrg>>;
beforeAll(async () => {
  t = await createTestApp();
  // One department: an agent reads the people of their own (the people read rule decides who can be a requester).
  agent = await createUser(t, { roles: ['agent'], name: 'Agent Ann', department: 'Support' });
  caller = await createUser(t, { roles: ['viewer'], name: 'Caller Carl', department: 'Support' });
  other = await createOrg(t);
});
afterAll(async () => t?.close());

const post = (payload: Record<string, unknown>, token = agent.token) => t.inject({ method: 'POST', url: '/api/tickets', headers: bearer(token), payload: { subject: 'Phone: laptop will not boot', channel: 'phone', ...payload } });
const list = (query: string, token = t.adminToken) => t.inject({ method: 'GET', url: `/api/tickets?${query}`, headers: bearer(token) });
type Ticket = { id: string; number: number; channel: string; requester: { name: string; email: string | null; mobile: string | null; userId: string | null } };

describe('tickets on behalf of a requester', () => {
  it('for a person of the org: name and address come from their account; the agent is the audited author', async () => {
    const res = await post({ requester: { userId: caller.id, mobile: '+44 20 7946 0958' } });
    expect(res.statusCode, res.body).toBe(201);
    const ticket = res.json() as Ticket;
    expect(ticket).toMatchObject({ channel: 'phone', requester: { name: 'Caller Carl', email: caller.email.toLowerCase(), mobile: '+442079460958', userId: caller.id } });
    const audit = (await t.inject({ method: 'GET', url: `/api/audit-logs?entityId=${ticket.id}`, headers: bearer(t.adminToken) })).json().data as { action: string; actorId: string }[];
    expect(audit.find((a) => a.action === 'ticket.create')).toMatchObject({ actorId: agent.id });
  });

  it('for a contact: a name and an email address or a mobile number', async () => {
    const res = await post({ requester: { name: 'Walk-in Wanda', mobile: '+33 1 23 45 67 89' } });
    expect(res.statusCode, res.body).toBe(201);
    expect((res.json() as Ticket).requester).toEqual({ name: 'Walk-in Wanda', email: null, mobile: '+33123456789', userId: null });
    expectProblem(await post({ requester: { name: 'No contact' } }), 400, 'requester_contact');
    const noName = expectProblem(await post({ requester: { email: 'x@example.test' } }), 400, 'requester_name') as unknown as { errors: unknown[] };
    expect(noName.errors).toEqual([{ path: 'requester.name', message: expect.any(String) }]);
  });

  it('another org’s person, or an id that exists nowhere, is an unknown user: nothing is stored', async () => {
    const before = (await list('limit=200')).json().data.length as number;
    for (const id of [other.adminId, crypto.randomUUID()]) {
      const p = expectProblem(await post({ requester: { userId: id } }), 400, 'unknown_user') as unknown as { errors: unknown[] };
      expect(p.errors).toEqual([{ path: 'requester.userId', message: 'Unknown user' }]);
    }
    expect((await list('limit=200')).json().data).toHaveLength(before);
    expectProblem(await post({ requester: { userId: 'not-a-uuid' } }), 400);
  });

  it('a person the agent may not read (another department) is an unknown user too: the ticket would show their name and address', async () => {
    const northAgent = await createUser(t, { roles: ['agent'], department: 'North' });
    const northCaller = await createUser(t, { roles: ['viewer'], department: 'North', name: 'Nora North' });
    const southCaller = await createUser(t, { roles: ['viewer'], department: 'South', name: 'Sam South' });
    expectProblem(await post({ requester: { userId: southCaller.id } }, northAgent.token), 400, 'unknown_user');
    const ok = await post({ requester: { userId: northCaller.id } }, northAgent.token);
    expect(ok.statusCode, ok.body).toBe(201);
    expect((ok.json() as Ticket).requester).toMatchObject({ name: 'Nora North', userId: northCaller.id });
    // An administrator reads everyone.
    expect((await post({ requester: { userId: southCaller.id } }, t.adminToken)).statusCode).toBe(201);
  });

  it('needs tickets:create: a viewer gets 403, an anonymous caller 401', async () => {
    expectProblem(await post({ requester: { userId: caller.id } }, caller.token), 403);
    expectProblem(await t.inject({ method: 'POST', url: '/api/tickets', payload: { subject: 'x', requester: { userId: caller.id } } }), 401);
  });

  it('lists a requester’s tickets by account, address or mobile, within the org only', async () => {
    const byEmail = (await post({ subject: 'Second call', requester: { name: 'Carl again', email: caller.email } })).json() as Ticket;
    // Another org with a requester of the same address: never in this org's list.
    const theirs = await t.inject({ method: 'POST', url: '/api/tickets', headers: bearer(other.token), payload: { subject: 'Elsewhere', requester: { name: 'Carl', email: caller.email } } });
    expect(theirs.statusCode).toBe(201);
    const mine = (await list(`requesterUserId=${caller.id}`)).json().data as Ticket[];
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((x) => x.requester.userId === caller.id)).toBe(true);
    const sameAddress = (await list(`requesterEmail=${encodeURIComponent(caller.email.toUpperCase())}`)).json().data as Ticket[];
    expect(sameAddress.map((x) => x.id)).toContain(byEmail.id);
    expect(sameAddress.map((x) => x.id)).not.toContain(theirs.json().id);
    expect(sameAddress.every((x) => x.requester.email === caller.email.toLowerCase())).toBe(true);
    const byMobile = (await list(`requesterMobile=${encodeURIComponent('+33123456789')}`)).json().data as Ticket[];
    expect(byMobile.map((x) => x.requester.name)).toEqual(['Walk-in Wanda']);
    // Org B, asking for org A's person, sees nothing of org A.
    expect((await list(`requesterUserId=${caller.id}`, other.token)).json().data).toEqual([]);
    expectProblem(await list('requesterEmail=not-an-address'), 400);
    expectProblem(await list('requesterUserId=nope'), 400);
  });
});
