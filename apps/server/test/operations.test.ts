import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';
import { expectPaging, keysetOrder, withQuery, type ListCall } from './paging.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const post = (url: string, payload: unknown, token = t.adminToken) => t.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });
const patch = (url: string, payload: unknown, token = t.adminToken) => t.inject({ method: 'PATCH', url, headers: bearer(token), payload: payload as object });
const get = (url: string, token = t.adminToken) => t.inject({ method: 'GET', url, headers: bearer(token) });

async function createOp(body: Record<string, unknown> = {}, token = t.adminToken) {
  const res = await post('/api/operations', { name: 'Pump station inspection', ...body }, token);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; status: string; assignees: string[] };
}

describe('operations', () => {
  it('creates with defaults, reads back, and records audit + outbox events', async () => {
    const op = await createOp({ priority: 'high', location: { text: 'Rotterdam', lat: 51.92, lng: 4.48 }, tags: ['water', 'water'] });
    expect(op).toMatchObject({ status: 'pending', priority: 'high', location: { text: 'Rotterdam', lat: 51.92, lng: 4.48 }, tags: ['water'] });
    expect((await get(`/api/operations/${op.id}`)).json().id).toBe(op.id);
    const audit = (await get(`/api/audit-logs?entityId=${op.id}`)).json().data;
    expect(audit.map((a: { action: string }) => a.action)).toContain('operation.create');
  });

  it('moves through the transition table; an illegal move answers 409 with the allowed moves', async () => {
    const op = await createOp();
    const bad = await patch(`/api/operations/${op.id}`, { status: 'completed' });
    const p = expectProblem(bad, 409, 'illegal_transition') as unknown as { allowed: string[] };
    expect(p.allowed).toEqual(['in_progress', 'failed']);
    expect((await patch(`/api/operations/${op.id}`, { status: 'in_progress' })).json().status).toBe('in_progress');
    const done = (await patch(`/api/operations/${op.id}`, { status: 'completed' })).json();
    expect(done.status).toBe('completed');
    expect(done.completedAt).not.toBeNull();
  });

  it('only a holder of operations:reopen may reopen a finished operation', async () => {
    const agent = await createUser(t, { roles: ['agent'] });
    const op = await createOp({}, agent.token);
    expect((await patch(`/api/operations/${op.id}`, { status: 'in_progress' }, agent.token)).statusCode).toBe(200);
    expect((await patch(`/api/operations/${op.id}`, { status: 'failed' }, agent.token)).statusCode).toBe(200);
    expectProblem(await patch(`/api/operations/${op.id}`, { status: 'in_progress' }, agent.token), 403);
    expect((await patch(`/api/operations/${op.id}`, { status: 'in_progress' })).statusCode).toBe(200);
  });

  it('lists each operation with its own assignees, as its record shows them', async () => {
    const tag = `a${Date.now()}`;
    const [u1, u2, u3] = [await createUser(t), await createUser(t), await createUser(t)];
    const ops = [
      await createOp({ name: 'Two assignees', tags: [tag], assignees: [u2.id, u1.id] }),
      await createOp({ name: 'One assignee', tags: [tag], assignees: [u3.id] }),
      await createOp({ name: 'No assignee', tags: [tag] }),
    ];
    const listed = (await get(`/api/operations?tag=${tag}`)).json().data as Record<string, unknown>[];
    expect(listed).toHaveLength(3);
    for (const op of ops) {
      const row = listed.find((o) => o.id === op.id)!;
      const record = (await get(`/api/operations/${op.id}`)).json() as { assignees: string[] };
      expect([...(row.assignees as string[])].sort()).toEqual([...record.assignees].sort());
      expect(row).not.toHaveProperty('search');
    }
    expect([...(listed.find((o) => o.id === ops[0]!.id)!.assignees as string[])].sort()).toEqual([u1.id, u2.id].sort());
  });

  it('filters by status, priority, text, bounding box and paginates without gaps', async () => {
    const tag = `t${Date.now()}`;
    for (let i = 0; i < 7; i++) {
      await createOp({ name: `Batch ${i} ${i % 2 ? 'valve' : 'pipe'}`, priority: i % 2 ? 'low' : 'critical', tags: [tag], location: { lat: 10 + i, lng: 20 + i } });
    }
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { name: string }[]; nextCursor: string | null } = (await get(`/api/operations?tag=${tag}&limit=3&sort=name${cursor ? `&cursor=${cursor}` : ''}`)).json();
      all.push(...page.data.map((o: { name: string }) => o.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(7);
    expect((await get(`/api/operations?tag=${tag}&priority=low`)).json().data).toHaveLength(3);
    expect((await get(`/api/operations?tag=${tag}&q=valve`)).json().data).toHaveLength(3);
    expect((await get(`/api/operations?tag=${tag}&bbox=19.5,9.5,22.5,12.5`)).json().data).toHaveLength(3);
    expect((await get(`/api/operations?tag=${tag}&sort=-priority&limit=1`)).json().data[0].priority).toBe('critical');
    expectProblem(await get('/api/operations?bbox=1,2,3'), 400);
    expectProblem(await get('/api/operations?status=bogus'), 400);
  });

  it('validates input: dates, coordinates, unknown users, unknown keys', async () => {
    expectProblem(await post('/api/operations', { name: 'x', startAt: '2026-02-01T00:00:00Z', endAt: '2026-01-01T00:00:00Z' }), 400, 'invalid_dates');
    expectProblem(await post('/api/operations', { name: 'x', location: { lat: 91 } }), 400, 'validation_failed');
    expectProblem(await post('/api/operations', { name: 'x', assignees: ['00000000-0000-4000-8000-000000000000'] }), 400, 'unknown_user');
    expectProblem(await post('/api/operations', { name: 'x', orgId: 'y' }), 400, 'validation_failed');
    expectProblem(await post('/api/operations', { name: '' }), 400);
  });

  it('tasks: add, tick off by the assignee, delete', async () => {
    const agent = await createUser(t, { roles: ['viewer'] });
    const op = await createOp();
    const task = (await post(`/api/operations/${op.id}/tasks`, { title: 'Close valve 3', assigneeId: agent.id, checklist: [{ text: 'lockout', done: false }] })).json();
    expect(task.position).toBe(0);
    const done = await patch(`/api/operations/${op.id}/tasks/${task.id}`, { status: 'done' }, agent.token);
    expect(done.statusCode, done.body).toBe(200);
    expect((await get(`/api/operations/${op.id}/tasks`)).json().data[0].status).toBe('done');
    expect((await t.inject({ method: 'DELETE', url: `/api/operations/${op.id}/tasks/${task.id}`, headers: bearer(t.adminToken) })).statusCode).toBe(204);
  });

  it('an assignee without operations:update may change only the status and checklist of their task', async () => {
    const viewer = await createUser(t, { roles: ['viewer'] });
    const other = await createUser(t, { roles: ['viewer'] });
    const op = await createOp();
    const url = (id: string) => `/api/operations/${op.id}/tasks/${id}`;
    const task = (await post(`/api/operations/${op.id}/tasks`, { title: 'Inspect pump', assigneeId: viewer.id, checklist: [{ text: 'gauge', done: false }] })).json();
    for (const body of [
      { title: 'Renamed by the assignee' },
      { dueAt: '2030-01-01T00:00:00Z' },
      { assigneeId: other.id },
      { assigneeId: null },
      { position: 9 },
      { status: 'done', title: 'Sneaked in with a status change' },
    ]) {
      expectProblem(await patch(url(task.id), body, viewer.token), 403, 'forbidden');
    }
    const unchanged = (await get(`/api/operations/${op.id}/tasks`)).json().data[0];
    expect(unchanged).toMatchObject({ title: 'Inspect pump', dueAt: null, assigneeId: viewer.id, position: 0, status: 'todo' });
    // What an assignee may do: move the status and tick the checklist.
    expect((await patch(url(task.id), { status: 'in_progress' }, viewer.token)).json().status).toBe('in_progress');
    const ticked = await patch(url(task.id), { checklist: [{ text: 'gauge', done: true }], status: 'done' }, viewer.token);
    expect(ticked.statusCode, ticked.body).toBe(200);
    expect(ticked.json()).toMatchObject({ status: 'done', checklist: [{ text: 'gauge', done: true }], title: 'Inspect pump' });
    // A viewer who is not the assignee may do neither.
    expectProblem(await patch(url(task.id), { status: 'todo' }, other.token), 403);
    // Someone with operations:update still edits everything.
    expect((await patch(url(task.id), { title: 'Renamed', assigneeId: other.id }, t.adminToken)).json()).toMatchObject({ title: 'Renamed', assigneeId: other.id });
  });

  it('accepts the design documents’ create shape: a string location and start_date / end_date', async () => {
    const res = await post('/api/operations', {
      name: 'Seed contract',
      description: 'From the design documents',
      location: 'Rotterdam harbour',
      start_date: '2026-03-01T08:00:00Z',
      end_date: '2026-03-02T17:00:00+01:00',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      name: 'Seed contract',
      description: 'From the design documents',
      location: { text: 'Rotterdam harbour', lat: null, lng: null },
      startAt: '2026-03-01T08:00:00.000Z',
      endAt: '2026-03-02T16:00:00.000Z',
    });
    expect((await get(`/api/operations/${res.json().id}`)).json().location.text).toBe('Rotterdam harbour');
    // The object form and startAt/endAt still work, and the two spellings are checked alike.
    expect((await post('/api/operations', { name: 'x', location: { text: 'Delft' }, startAt: '2026-03-01T08:00:00Z' })).statusCode).toBe(201);
    expectProblem(await post('/api/operations', { name: 'x', start_date: '2026-02-01T00:00:00Z', end_date: '2026-01-01T00:00:00Z' }), 400, 'invalid_dates');
    expectProblem(await post('/api/operations', { name: 'x', start_date: 'yesterday' }), 400, 'validation_failed');
    expectProblem(await post('/api/operations', { name: 'x', location: 'x'.repeat(301) }), 400, 'validation_failed');
    expectProblem(await post('/api/operations', { name: 'x', startAt: '2026-03-01T08:00:00Z', start_date: '2026-03-01T09:00:00Z' }), 400, 'validation_failed');
    // The same spellings edit an operation.
    const edited = await patch(`/api/operations/${res.json().id}`, { location: 'Schiedam', end_date: '2026-03-03T00:00:00Z' });
    expect(edited.json()).toMatchObject({ location: { text: 'Schiedam', lat: null, lng: null }, endAt: '2026-03-03T00:00:00.000Z' });
  });

  it('refuses to double-book a resource, also under concurrent requests', async () => {
    const truck = (await post('/api/resources', { name: 'Truck 7', kind: 'vehicle' })).json();
    const a = await createOp();
    const b = await createOp();
    const window = { resourceId: truck.id, startsAt: '2026-12-01T08:00:00Z', endsAt: '2026-12-01T12:00:00Z' };
    expect((await post(`/api/operations/${a.id}/allocations`, window)).statusCode).toBe(201);
    const clash = await post(`/api/operations/${b.id}/allocations`, { ...window, startsAt: '2026-12-01T11:00:00Z', endsAt: '2026-12-01T13:00:00Z' });
    const p = expectProblem(clash, 409, 'resource_double_booked') as unknown as { conflictsWith: { operationId: string } };
    expect(p.conflictsWith.operationId).toBe(a.id);
    // Touching windows are fine: [8, 12) then [12, 14).
    expect((await post(`/api/operations/${b.id}/allocations`, { ...window, startsAt: '2026-12-01T12:00:00Z', endsAt: '2026-12-01T14:00:00Z' })).statusCode).toBe(201);
    const racers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post(`/api/operations/${i % 2 ? a.id : b.id}/allocations`, { resourceId: truck.id, startsAt: '2026-12-02T08:00:00Z', endsAt: '2026-12-02T09:00:00Z' })),
    );
    expect(racers.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(racers.filter((r) => r.statusCode === 409)).toHaveLength(5);
  });

  describe('allocations follow the operation read and change rules', () => {
    const del = (url: string, token: string) => t.inject({ method: 'DELETE', url, headers: bearer(token) });
    /** A role reading and editing only one's own operations (the rule of docs/roles.md for `own`). */
    async function ownScoped() {
      const role = await post('/api/roles', {
        name: `own-ops-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
        displayName: 'Own operations',
        permissions: [
          { permission: 'operations:read', condition: 'own' },
          { permission: 'operations:update', condition: 'own' },
          { permission: 'resources:read', condition: 'any' },
        ],
      });
      expect(role.statusCode, role.body).toBe(201);
      return createUser(t, { roles: [role.json().name] });
    }
    async function booked(day: number, body: Record<string, unknown> = {}) {
      const resource = (await post('/api/resources', { name: `Crane ${day}`, kind: 'equipment' })).json() as { id: string };
      const op = await createOp({ name: 'Someone else’s operation', ...body });
      const window = { resourceId: resource.id, startsAt: `2027-01-${day}T08:00:00Z`, endsAt: `2027-01-${day}T12:00:00Z` };
      const res = await post(`/api/operations/${op.id}/allocations`, window);
      expect(res.statusCode, res.body).toBe(201);
      return { resource, op, window, allocation: res.json() as { id: string } };
    }

    it('KPIs of an own-scoped reader count only their own operations and bookings', async () => {
      const own = await ownScoped();
      const { resource } = await booked(12);
      const mine = await createOp({ name: 'Own operation', ownerId: own.id });
      expect((await post(`/api/operations/${mine.id}/allocations`, { resourceId: resource.id, startsAt: '2027-01-13T08:00:00Z', endsAt: '2027-01-13T09:00:00Z' })).statusCode).toBe(201);
      const window = 'from=2027-01-12T00:00:00Z&to=2027-01-14T00:00:00Z';
      const all = (await get(`/api/operations/kpis?${window}`)).json();
      const theirs = (await get(`/api/operations/kpis?${window}`, own.token)).json();
      expect(all.total).toBeGreaterThan(1);
      expect(theirs.total).toBe(1);
      expect(theirs.byStatus.pending).toBe(1);
      // One hour booked of their own against four of someone else's, on the same resources.
      expect(theirs.resourceUtilisation).toBeGreaterThan(0);
      expect(theirs.resourceUtilisation).toBeLessThan(all.resourceUtilisation);
    });

    it('a resource’s calendar lists only the allocations of operations the reader can read', async () => {
      const own = await ownScoped();
      const { resource, op, allocation } = await booked(10);
      const mine = await createOp({ name: 'Own operation', ownerId: own.id });
      const mineAlloc = (await post(`/api/operations/${mine.id}/allocations`, { resourceId: resource.id, startsAt: '2027-01-11T08:00:00Z', endsAt: '2027-01-11T09:00:00Z' })).json();
      const calendar = await get(`/api/resources/${resource.id}/allocations`, own.token);
      expect(calendar.statusCode, calendar.body).toBe(200);
      expect(calendar.json().data.map((a: { id: string }) => a.id)).toEqual([mineAlloc.id]);
      expect(calendar.body).not.toContain(op.id);
      expect(calendar.body).not.toContain(allocation.id);
      // Being assigned to the operation brings it, and its allocation, into reach (the same rule as GET /api/operations/{id}).
      expect((await patch(`/api/operations/${op.id}`, { assignees: [own.id] })).statusCode).toBe(200);
      const after = (await get(`/api/resources/${resource.id}/allocations`, own.token)).json().data.map((a: { id: string }) => a.id);
      expect(after).toEqual([allocation.id, mineAlloc.id]);
      // Whoever reads every operation sees both.
      expect((await get(`/api/resources/${resource.id}/allocations`)).json().data).toHaveLength(2);
    });

    it('booking over an out-of-reach allocation answers 409 without naming its operation', async () => {
      const own = await ownScoped();
      const { op, window, allocation } = await booked(12);
      const mine = await createOp({ name: 'Own operation', ownerId: own.id });
      const clash = await post(`/api/operations/${mine.id}/allocations`, window, own.token);
      const p = expectProblem(clash, 409, 'resource_double_booked') as unknown as { conflictsWith: Record<string, unknown> };
      expect(p.conflictsWith).toEqual({ resourceId: window.resourceId, startsAt: '2027-01-12T08:00:00.000Z', endsAt: '2027-01-12T12:00:00.000Z' });
      expect(clash.body).not.toContain(op.id);
      expect(clash.body).not.toContain(allocation.id);
    });

    it('releasing or booking needs the operation in reach: 404 when unreadable, 403 when readable but not editable', async () => {
      const own = await ownScoped();
      const agent = await createUser(t, { roles: ['agent'], department: 'north' });
      const { resource, op, allocation } = await booked(14);
      const url = `/api/operations/${op.id}/allocations/${allocation.id}`;
      const book = { resourceId: resource.id, startsAt: '2027-01-15T08:00:00Z', endsAt: '2027-01-15T09:00:00Z' };
      // operations:read own: the operation does not exist for it.
      expectProblem(await del(url, own.token), 404);
      expectProblem(await post(`/api/operations/${op.id}/allocations`, book, own.token), 404);
      // The agent reads every operation but edits only its own.
      expectProblem(await del(url, agent.token), 403);
      expectProblem(await post(`/api/operations/${op.id}/allocations`, book, agent.token), 403);
      expect((await get(`/api/operations/${op.id}/allocations`)).json().data.map((a: { id: string }) => a.id)).toEqual([allocation.id]);
      // On an operation they own, both may book and release.
      for (const who of [own, agent]) {
        const mine = await createOp({ name: 'Own operation', ownerId: who.id });
        const made = await post(`/api/operations/${mine.id}/allocations`, book, who.token);
        expect(made.statusCode, made.body).toBe(201);
        expect((await del(`/api/operations/${mine.id}/allocations/${made.json().id}`, who.token)).statusCode).toBe(204);
      }
      // An allocation id under another operation's path is not found, even to the owner of that path.
      const mine = await createOp({ name: 'Own operation', ownerId: agent.id });
      expectProblem(await del(`/api/operations/${mine.id}/allocations/${allocation.id}`, agent.token), 404);
      expect((await get(`/api/operations/${op.id}/allocations`)).json().data).toHaveLength(1);
    });
  });

  it('KPIs count by status and compute utilisation', async () => {
    const k = (await get('/api/operations/kpis')).json();
    expect(k.total).toBe(Object.values(k.byStatus as Record<string, number>).reduce((x, y) => x + y, 0));
    expect(k.byStatus.completed).toBeGreaterThanOrEqual(1);
    expect(k.onTimeRate).toBeGreaterThanOrEqual(0);
  });

  it("another org's ids answer 404 on every operation route", async () => {
    const op = await createOp();
    const other = await createOrg(t);
    for (const [method, url, payload] of [
      ['GET', `/api/operations/${op.id}`],
      ['PATCH', `/api/operations/${op.id}`, { name: 'x' }],
      ['DELETE', `/api/operations/${op.id}`],
      ['GET', `/api/operations/${op.id}/tasks`],
      ['POST', `/api/operations/${op.id}/tasks`, { title: 'x' }],
      ['GET', `/api/operations/${op.id}/allocations`],
    ] as const) {
      const res = await t.inject({ method, url, headers: bearer(other.token), ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await get('/api/operations', other.token)).json().data).toHaveLength(0);
  });

  it('viewers read but cannot write', async () => {
    const viewer = await createUser(t, { roles: ['viewer'] });
    expect((await get('/api/operations', viewer.token)).statusCode).toBe(200);
    expectProblem(await post('/api/operations', { name: 'x' }, viewer.token), 403);
    expectProblem(await t.inject({ method: 'POST', url: '/api/operations', payload: { name: 'x' } }), 401);
  });
});

describe('paged lists', () => {
  const list = (url: string, token = t.adminToken): ListCall => (q) => get(withQuery(url, q), token);
  const tag = Date.now().toString(36);

  it('resources: by name then id, all or of one kind, a page at a time, never another org’s', async () => {
    const other = await createOrg(t);
    const made: { id: string; name: string; kind: string }[] = [];
    for (const [n, kind] of [['pagec', 'vehicle'], ['pagea', 'person'], ['pageb', 'vehicle'], ['pagea', 'vehicle'], ['paged', 'vehicle']]) {
      const res = await post('/api/resources', { name: `${n}${tag}`, kind });
      expect(res.statusCode, res.body).toBe(201);
      made.push(res.json());
    }
    const theirs = (await post('/api/resources', { name: `pagea${tag}`, kind: 'vehicle' }, other.token)).json() as { id: string };
    const order = (rows: typeof made) => keysetOrder(rows.map((r) => ({ id: r.id, key: r.name })));
    const all = await expectPaging(list('/api/resources'), { limit: 2, inOrder: order(made) });
    const vehicles = await expectPaging<{ id: string; kind: string }>(list('/api/resources?kind=vehicle'), { limit: 2, inOrder: order(made.filter((r) => r.kind === 'vehicle')) });
    expect(vehicles.every((r) => r.kind === 'vehicle')).toBe(true);
    expect([...all, ...vehicles].map((r) => r.id)).not.toContain(theirs.id);
  });

  it('tasks: in their order (position, then creation), a page at a time, only on operations in the reader’s reach', async () => {
    const role = await post('/api/roles', { name: `own-tasks-${tag}`, displayName: 'Own operations', permissions: [{ permission: 'operations:read', condition: 'own' }] });
    expect(role.statusCode, role.body).toBe(201);
    const own = await createUser(t, { roles: [role.json().name] });
    const op = await createOp({ name: 'Many tasks', ownerId: own.id });
    const made: { id: string; position: number }[] = [];
    for (const position of [2, 0, 1, 1, 3]) {
      const res = await post(`/api/operations/${op.id}/tasks`, { title: `Task at ${position}`, position });
      expect(res.statusCode, res.body).toBe(201);
      made.push(res.json());
    }
    const inOrder = keysetOrder(made.map((x) => ({ id: x.id, key: x.position })));
    expect(inOrder).toHaveLength(5);
    await expectPaging(list(`/api/operations/${op.id}/tasks`), { limit: 2, inOrder });
    // The own-scoped owner pages them too; someone else's operation, or another org's, is not found.
    await expectPaging(list(`/api/operations/${op.id}/tasks`, own.token), { limit: 3, inOrder });
    const notMine = await createOp({ name: 'Not theirs' });
    expect((await post(`/api/operations/${notMine.id}/tasks`, { title: 'hidden' })).statusCode).toBe(201);
    expectProblem(await get(`/api/operations/${notMine.id}/tasks?limit=1`, own.token), 404);
    const other = await createOrg(t);
    expectProblem(await get(`/api/operations/${op.id}/tasks?limit=1`, other.token), 404);
  });
});
