import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncCatalogue } from '../src/modules/identity/index.ts';
import { CATALOGUE } from '../src/modules.ts';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';
import { expectPaging, keysetOrder, withQuery, type ListCall } from './paging.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://desk.example.test' });
});
afterAll(async () => t?.close());

type Ticket = { id: string; number: number; status: string; assigneeId: string | null; teamId: string | null; firstRespondedAt: string | null; tags: string[]; priority: string };

const post = (url: string, payload: unknown, token = t.adminToken) => t.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });
const patch = (url: string, payload: unknown, token = t.adminToken) => t.inject({ method: 'PATCH', url, headers: bearer(token), payload: payload as object });
const put = (url: string, payload: unknown, token = t.adminToken) => t.inject({ method: 'PUT', url, headers: bearer(token), payload: payload as object });
const get = (url: string, token = t.adminToken) => t.inject({ method: 'GET', url, headers: bearer(token) });
const rows = async <T>(q: ReturnType<typeof sql>) => ((await t.database.db.execute(q)) as unknown as { rows: T[] }).rows;

const form = (over: Record<string, unknown> = {}) => ({
  name: 'Ada Requester',
  email: 'ada@example.test',
  mobile: '+44 20 7946 0958',
  subject: 'Printer on fire',
  description: 'The printer on floor 3 is smoking.',
  category: 'hardware',
  ...over,
});
const submit = (over: Record<string, unknown> = {}, org = 'default') =>
  t.inject({ method: 'POST', url: `/api/tickets/public?org=${org}`, payload: form(over), remoteAddress: '203.0.113.7' });

async function newTicket(body: Record<string, unknown> = {}, token = t.adminToken): Promise<Ticket> {
  const res = await post('/api/tickets', { subject: 'VPN drops', requester: { name: 'Bob', email: 'bob@example.test' }, ...body }, token);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

function multipart(filename: string, bytes: Buffer, contentType = 'application/octet-stream') {
  const boundary = '----imsop' + Math.random().toString(16).slice(2);
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, bytes, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);
const upload = (filename: string, bytes: Buffer, opts: { token?: string; org?: string } = {}) => {
  const m = multipart(filename, bytes);
  return t.inject({
    method: 'POST',
    url: `/api/upload${opts.org ? `?org=${opts.org}` : ''}`,
    headers: { ...m.headers, ...(opts.token ? bearer(opts.token) : {}) },
    payload: m.payload,
    remoteAddress: '203.0.113.8',
  });
};
const portal = (id: string, token: string, path = '') => t.inject({ method: 'GET', url: `/api/portal/tickets/${id}${path}`, headers: { 'x-ticket-token': token } });
const portalPost = (id: string, token: string, path: string, payload: unknown) =>
  t.inject({ method: 'POST', url: `/api/portal/tickets/${id}${path}`, headers: { 'x-ticket-token': token }, payload: payload as object });

describe('public ticket form', () => {
  it('opens a ticket without an account, answers with number and link, and queues the confirmation email', async () => {
    const res = await submit();
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json() as { id: string; number: number; token: string; link: string; status: string };
    expect(body.status).toBe('new');
    expect(body.link).toBe(`https://desk.example.test/portal/tickets/${body.id}#t=${body.token}`);
    const ticket = (await get(`/api/tickets/${body.id}`)).json();
    expect(ticket).toMatchObject({ number: body.number, channel: 'web', requester: { name: 'Ada Requester', email: 'ada@example.test', mobile: '+442079460958' } });
    const [mail] = await rows<{ to: string; subject: string; body: string }>(
      sql`select "to", subject, body from notifications where meta->>'ticketId' = ${body.id} and meta->>'template' = 'ticket.confirmation'`,
    );
    expect(mail!.to).toBe('ada@example.test');
    expect(mail!.subject).toContain(`#${body.number}`);
    expect(mail!.body).toContain(body.link);
    const audit = (await get(`/api/audit-logs?entityId=${body.id}`)).json().data as { action: string; actorType: string; after: Record<string, unknown> }[];
    expect(audit[0]).toMatchObject({ action: 'ticket.create', actorType: 'anonymous' });
    expect(JSON.stringify(audit)).not.toContain('ada@example.test');
    const [ev] = await rows<{ type: string }>(sql`select type from events where topic = 'tickets' and payload->'ticket'->>'id' = ${body.id}`);
    expect(ev!.type).toBe('ticket.created');
  });

  it('the confirmation mail has a fixed subject and wording: nothing the requester typed reaches the address they named', async () => {
    const subject = 'Your account is suspended - verify at http://phish.example now';
    const name = 'Security Team: visit http://phish.example';
    const description = 'Click http://phish.example to keep your mailbox';
    const res = await submit({ subject, name, description, email: 'victim@example.test' });
    expect(res.statusCode, res.body).toBe(201);
    const { id, number, link } = res.json() as { id: string; number: number; link: string };
    const [mail] = await rows<{ to: string; subject: string; body: string }>(
      sql`select "to", subject, body from notifications where meta->>'ticketId' = ${id} and meta->>'template' = 'ticket.confirmation'`,
    );
    expect(mail!.to).toBe('victim@example.test');
    const org = (await get('/api/organizations/current')).json() as { name: string };
    expect(mail!.subject).toBe(`[#${number}] ${org.name}: we have received your request`);
    expect(mail!.body).toBe(
      `Hello,\n\nWe have received your request and opened ticket #${number}.\n` +
        `Follow it and reply here: ${link}\n\nYou can also simply reply to this email.\n\n` +
        `If you did not contact ${org.name}, you can ignore this message.\n\n${org.name}`,
    );
    for (const typed of [subject, name, description, 'phish.example']) expect(`${mail!.subject}\n${mail!.body}`).not.toContain(typed);
  });

  it('validates the mobile number as E.164 and refuses bots and unknown orgs', async () => {
    expectProblem(await submit({ mobile: '020 7946 0958' }), 400, 'invalid_mobile');
    expectProblem(await submit({ mobile: '+44 12' }), 400, 'invalid_mobile');
    expectProblem(await submit({ website: 'http://spam.example' }), 400, 'rejected');
    expectProblem(await submit({}, 'no-such-org'), 404);
    expectProblem(await submit({ email: 'not-an-email' }), 400);
    expectProblem(await submit({ subject: '' }), 400);
    expectProblem(await submit({ extra: 1 }), 400);
  });

  it('numbers tickets per org without gaps, also under concurrency', async () => {
    const made = await Promise.all(Array.from({ length: 8 }, () => submit()));
    const numbers = made.map((r) => (r.json() as { number: number }).number).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(8);
    expect(numbers[7]! - numbers[0]!).toBe(7);
    const other = await createOrg(t);
    const first = (await submit({}, other.slug)).json() as { number: number };
    expect(first.number).toBe(1);
  });

  it('is rate limited per IP', async () => {
    const limited = await createTestApp({ TICKET_FORM_RATE_LIMIT: '2' });
    try {
      // A fresh address per run: with Redis the counters outlive the test app.
      const ip = `198.51.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
      const send = () => limited.inject({ method: 'POST', url: '/api/tickets/public?org=default', payload: form(), remoteAddress: ip });
      expect((await send()).statusCode).toBe(201);
      expect((await send()).statusCode).toBe(201);
      const third = await send();
      expectProblem(third, 429);
      expect(third.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });
});

describe('requester link and replies', () => {
  it('lets the requester follow and reply; internal notes stay internal; first response is recorded', async () => {
    const { id, token } = (await submit()).json() as { id: string; token: string };
    expectProblem(await portal(id, 'x'.repeat(43)), 404);
    expectProblem(await portal(id, token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA')), 404);
    expect((await portal(id, token)).json().replies).toEqual([]);

    const note = await post(`/api/tickets/${id}/replies`, { body: 'Check the toner warranty', isInternal: true });
    expect(note.statusCode, note.body).toBe(201);
    expect((await get(`/api/tickets/${id}`)).json().firstRespondedAt).toBeNull();

    const r = await post(`/api/tickets/${id}/replies`, { body: 'We are sending a technician.', status: 'pending_customer' });
    expect(r.statusCode, r.body).toBe(201);
    const after = (await get(`/api/tickets/${id}`)).json() as Ticket;
    expect(after.status).toBe('pending_customer');
    expect(after.firstRespondedAt).not.toBeNull();

    const view = (await portal(id, token)).json() as { replies: { from: string; body: string }[] };
    expect(view.replies).toEqual([expect.objectContaining({ from: 'support', body: 'We are sending a technician.' })]);
    expect(JSON.stringify(view)).not.toContain('toner warranty');
    const [mail] = await rows<{ body: string; meta: { inReplyTo?: string } }>(sql`select body, meta from notifications where meta->>'ticketId' = ${id} and meta->>'template' = 'ticket.reply'`);
    expect(mail!.body).toContain('We are sending a technician.');
    expect(mail!.meta.inReplyTo).toBe(`<ticket-${id}@imsop>`);

    const back = await portalPost(id, token, '/replies', { body: 'Thanks, it is still smoking.' });
    expect(back.statusCode, back.body).toBe(201);
    expect((await get(`/api/tickets/${id}`)).json().status).toBe('open');
    const replies = (await get(`/api/tickets/${id}/replies`)).json().data as { authorType: string; isInternal: boolean }[];
    expect(replies.map((x) => [x.authorType, x.isInternal])).toEqual([
      ['agent', true],
      ['agent', false],
      ['requester', false],
    ]);
    const kinds = ((await get(`/api/tickets/${id}/timeline`)).json().data as { kind: string }[]).map((e) => e.kind);
    expect(kinds).toEqual(['created', 'internal_note', 'agent_reply', 'status', 'customer_reply', 'status']);
  });

  it('reopens a resolved ticket on a customer reply, takes a CSAT once, and refuses replies when closed', async () => {
    const { id, token } = (await submit()).json() as { id: string; token: string };
    expectProblem(await portalPost(id, token, '/csat', { score: 5 }), 409, 'not_resolved');
    const resolved = (await patch(`/api/tickets/${id}`, { status: 'resolved' })).json();
    expect(resolved.status).toBe('resolved');
    // The ticket says where it may go next (the console offers exactly these).
    expect(resolved.allowedStatuses).toEqual(['open', 'closed']);
    expect((await portal(id, token)).json().canRate).toBe(true);
    expect((await portalPost(id, token, '/replies', { body: 'Not fixed!' })).statusCode).toBe(201);
    const reopened = (await get(`/api/tickets/${id}`)).json();
    expect(reopened.status).toBe('open');
    expect(reopened.resolvedAt).toBeNull();
    await patch(`/api/tickets/${id}`, { status: 'resolved' });
    expectProblem(await portalPost(id, token, '/csat', { score: 9 }), 400);
    expect((await portalPost(id, token, '/csat', { score: 4, comment: 'Quick' })).statusCode).toBe(201);
    expectProblem(await portalPost(id, token, '/csat', { score: 1 }), 409, 'already_rated');
    expect((await portal(id, token)).json().csat).toEqual({ score: 4, comment: 'Quick' });
    await patch(`/api/tickets/${id}`, { status: 'closed' });
    expectProblem(await portalPost(id, token, '/replies', { body: 'again' }), 409, 'ticket_closed');
    const bad = expectProblem(await patch(`/api/tickets/${id}`, { status: 'open' }), 409, 'illegal_transition') as unknown as { allowed: string[] };
    expect(bad.allowed).toEqual([]);
    expect((await get(`/api/tickets/${id}`)).json().allowedStatuses).toEqual([]);
  });
});

describe('ticket API', () => {
  it('lists with saved views, full-text search and #number, and bulk-updates with per-ticket failures', async () => {
    const me = (await get('/api/auth/me')).json().id as string;
    const word = `zebra${Date.now()}`;
    const a = await newTicket({ subject: `Laptop ${word} battery`, assigneeId: me, tags: ['hw'] });
    const b = await newTicket({ subject: 'Mail quota' });
    const c = await newTicket({ subject: 'Closed one' });
    await patch(`/api/tickets/${c.id}`, { status: 'closed' });
    expect((await get(`/api/tickets?q=${word}`)).json().data.map((x: Ticket) => x.id)).toEqual([a.id]);
    expect((await get(`/api/tickets?q=%23${b.number}`)).json().data.map((x: Ticket) => x.id)).toContain(b.id);
    const mine = (await get('/api/tickets?view=my_open&limit=200')).json().data.map((x: Ticket) => x.id);
    expect(mine).toContain(a.id);
    expect(mine).not.toContain(b.id);
    const unassigned = (await get('/api/tickets?view=unassigned&limit=200')).json().data.map((x: Ticket) => x.id);
    expect(unassigned).toContain(b.id);
    expect(unassigned).not.toContain(a.id);
    expect(unassigned).not.toContain(c.id);

    const bulk = await post('/api/tickets/bulk', { ids: [a.id, b.id, c.id], patch: { priority: 'high', addTags: ['triaged'], status: 'on_hold' } });
    expect(bulk.statusCode, bulk.body).toBe(200);
    const out = bulk.json() as { updated: Ticket[]; failed: { id: string; code: string }[] };
    expect(out.updated.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(out.updated.every((x) => x.priority === 'high' && x.status === 'on_hold' && x.tags.includes('triaged'))).toBe(true);
    expect(out.failed).toEqual([expect.objectContaining({ id: c.id, code: 'illegal_transition' })]);
    expect((await get(`/api/tickets/${a.id}`)).json().tags.sort()).toEqual(['hw', 'triaged']);
  });

  it('a patch that changes nothing answers the ticket as it was, records nothing, and is no server error', async () => {
    const ticket = await newTicket({ subject: 'Unchanged by a patch' });
    const updatedAt = (await get(`/api/tickets/${ticket.id}`)).json().updatedAt as string;
    const auditsBefore = (await get(`/api/audit-logs?entityId=${ticket.id}&limit=200`)).json().data.length as number;
    for (const body of [{ teamId: null }, { priority: ticket.priority }, { status: ticket.status }]) {
      const res = await patch(`/api/tickets/${ticket.id}`, body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().updatedAt).toBe(updatedAt);
    }
    expect((await get(`/api/audit-logs?entityId=${ticket.id}&limit=200`)).json().data).toHaveLength(auditsBefore);
  });

  it('paginates the list by number without gaps or repeats', async () => {
    const tag = `page${Date.now()}`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await newTicket({ tags: [tag] })).number);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Ticket[]; nextCursor: string | null } = (await get(`/api/tickets?tag=${tag}&limit=2&sort=number${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.data.map((x) => x.number));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made.sort((x, y) => x - y));
    expectProblem(await get('/api/tickets?sort=subject'), 400, 'invalid_sort');
    expectProblem(await get('/api/tickets?cursor=bogus'), 400, 'invalid_cursor');
  });

  it('merges a ticket into another: the source closes and points at the target', async () => {
    const a = await newTicket({ subject: 'Duplicate report' });
    const b = await newTicket({ subject: 'Original report' });
    expectProblem(await post(`/api/tickets/${a.id}/merge`, { intoId: a.id }), 400, 'merge_into_self');
    const res = await post(`/api/tickets/${a.id}/merge`, { intoId: b.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().source).toMatchObject({ status: 'closed', mergedIntoId: b.id });
    const notes = (await get(`/api/tickets/${b.id}/replies`)).json().data as { body: string; isInternal: boolean }[];
    expect(notes[0]).toMatchObject({ isInternal: true, body: expect.stringContaining(`#${a.number}`) });
    expectProblem(await post(`/api/tickets/${a.id}/merge`, { intoId: b.id }), 409);
    expectProblem(await patch(`/api/tickets/${a.id}`, { subject: 'x' }), 409, 'ticket_merged');
  });

  it('validates custom fields against the org’s JSON schema', async () => {
    expectProblem(await put('/api/servicedesk/settings', { customFieldsSchema: { type: 'object', properties: { x: { typo: 1 } } } }), 400, 'invalid_custom_fields_schema');
    expectProblem(await newTicketRaw({ customFields: { asset: 'A1' } }), 400, 'custom_fields_not_defined');
    const schema = { type: 'object', properties: { asset: { type: 'string', pattern: '^A\\d+$' }, floor: { type: 'integer', minimum: 0 } }, required: ['asset'], additionalProperties: false };
    expect((await put('/api/servicedesk/settings', { customFieldsSchema: schema })).statusCode).toBe(200);
    const bad = expectProblem(await newTicketRaw({ customFields: { floor: -1 } }), 400, 'invalid_custom_fields') as unknown as { errors: { path: string }[] };
    expect(bad.errors.map((e) => e.path).sort()).toEqual(['customFields.asset', 'customFields.floor']);
    const ok = await newTicket({ customFields: { asset: 'A7', floor: 3 } });
    expect((await get(`/api/tickets/${ok.id}`)).json().customFields).toEqual({ asset: 'A7', floor: 3 });
    await put('/api/servicedesk/settings', { customFieldsSchema: null });
  });

  it('fills canned responses with placeholders and refuses unknown ones', async () => {
    expectProblem(await post('/api/servicedesk/canned-responses', { title: 'Bad', body: 'Hi {{requester.nmae}}' }), 400, 'unknown_placeholder');
    const c = await post('/api/servicedesk/canned-responses', { title: `Greeting ${Date.now()}`, body: 'Hi {{requester.name}}, about #{{ticket.number}}: {{agent.name}}' });
    expect(c.statusCode, c.body).toBe(201);
    expectProblem(await post('/api/servicedesk/canned-responses', { title: c.json().title, body: 'dup' }), 409, 'canned_exists');
    const tk = await newTicket({ requester: { name: 'Carla', email: 'carla@example.test' } });
    const r = (await get(`/api/tickets/${tk.id}/canned-responses/${c.json().id}`)).json();
    expect(r.text).toMatch(new RegExp(`^Hi Carla, about #${tk.number}: \\S`));
    expect(r.missing).toEqual([]);
  });

  it('needs a contact for the requester and refuses unknown assignees and teams', async () => {
    expectProblem(await newTicketRaw({ requester: { name: 'NoContact' } }), 400, 'requester_contact');
    expectProblem(await newTicketRaw({ assigneeId: '00000000-0000-7000-8000-000000000000' }), 400, 'unknown_user');
    expectProblem(await newTicketRaw({ teamId: '00000000-0000-7000-8000-000000000000' }), 400, 'unknown_team');
  });
});

const newTicketRaw = (body: Record<string, unknown>, token = t.adminToken) =>
  post('/api/tickets', { subject: 'Raw', requester: { name: 'Bob', email: 'bob@example.test' }, ...body }, token);

describe('teams and assignment', () => {
  it('round-robin skips agents who are away; load-based picks the least loaded', async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createUser(t, { roles: ['agent'] })));
    const team = (await post('/api/servicedesk/teams', { name: `RR ${Date.now()}`, assignment: 'round_robin' })).json();
    expect((await put(`/api/servicedesk/teams/${team.id}/members`, { userIds: [a!.id, b!.id, c!.id] })).statusCode).toBe(200);
    expect((await put(`/api/servicedesk/agents/${c!.id}/away`, { away: true }, c!.token)).json()).toMatchObject({ away: true, teams: 1 });
    const got: (string | null)[] = [];
    for (let i = 0; i < 4; i++) got.push((await newTicket({ teamId: team.id })).assigneeId);
    expect(got.filter((x) => x === c!.id)).toEqual([]);
    expect(got.filter((x) => x === a!.id).length).toBe(2);
    expect(got.filter((x) => x === b!.id).length).toBe(2);
    expect(got[0]).not.toBe(got[1]);

    await patch(`/api/servicedesk/teams/${team.id}`, { assignment: 'load_based' });
    await put(`/api/servicedesk/agents/${c!.id}/away`, { away: false }, c!.token);
    const next = await newTicket({ teamId: team.id });
    expect(next.assigneeId).toBe(c!.id);
    expect(next.status).toBe('open');
    // An agent may not mark someone else away.
    expectProblem(await put(`/api/servicedesk/agents/${a!.id}/away`, { away: true }, b!.token), 403);
  });

  it('a ticket that enters a team without an assignee is assigned: a public form ticket moved into a team later, singly or in bulk', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => createUser(t, { roles: ['agent'] })));
    const team = (await post('/api/servicedesk/teams', { name: `Triage ${Date.now()}`, assignment: 'round_robin' })).json();
    await put(`/api/servicedesk/teams/${team.id}/members`, { userIds: [a!.id, b!.id] });
    const members = [a!.id, b!.id];
    // Real traffic arrives without a team: the public form.
    const web = (await submit()).json() as { id: string };
    expect(((await get(`/api/tickets/${web.id}`)).json() as Ticket).assigneeId).toBeNull();
    const moved = await patch(`/api/tickets/${web.id}`, { teamId: team.id });
    expect(moved.statusCode, moved.body).toBe(200);
    const assigned = moved.json() as Ticket;
    expect(members).toContain(assigned.assigneeId);
    const timeline = (await get(`/api/tickets/${web.id}/timeline`)).json().data as { kind: string; data: Record<string, unknown> }[];
    expect(timeline.find((e) => e.kind === 'assigned')?.data).toMatchObject({ assigneeId: assigned.assigneeId, auto: true });
    const audit = (await get(`/api/audit-logs?entityId=${web.id}`)).json().data as { action: string; changes: { after: Record<string, unknown> } | null }[];
    expect(audit.find((x) => x.action === 'ticket.update')?.changes?.after).toMatchObject({ teamId: team.id, assigneeId: assigned.assigneeId });
    // Bulk triage takes turns too.
    const two = [(await submit()).json() as { id: string }, (await submit()).json() as { id: string }];
    const bulk = await post('/api/tickets/bulk', { ids: two.map((x) => x.id), patch: { teamId: team.id } });
    expect(bulk.statusCode, bulk.body).toBe(200);
    const got = (bulk.json() as { updated: Ticket[] }).updated.map((x) => x.assigneeId);
    expect(new Set(got).size).toBe(2);
    for (const g of got) expect(members).toContain(g);
    // A named assignee is kept, and a ticket that already has one keeps it when it changes team.
    const named = await newTicket();
    expect((await patch(`/api/tickets/${named.id}`, { teamId: team.id, assigneeId: b!.id })).json().assigneeId).toBe(b!.id);
    const other = (await post('/api/servicedesk/teams', { name: `Other triage ${Date.now()}`, assignment: 'round_robin' })).json();
    await put(`/api/servicedesk/teams/${other.id}/members`, { userIds: [a!.id] });
    expect((await patch(`/api/tickets/${named.id}`, { teamId: other.id })).json().assigneeId).toBe(b!.id);
    // A manual team leaves the ticket for people to pick up.
    const manual = (await post('/api/servicedesk/teams', { name: `Manual ${Date.now()}`, assignment: 'manual' })).json();
    await put(`/api/servicedesk/teams/${manual.id}/members`, { userIds: [a!.id] });
    const left = (await submit()).json() as { id: string };
    expect((await patch(`/api/tickets/${left.id}`, { teamId: manual.id })).json().assigneeId).toBeNull();
  });

  it('agents see their teams’ queue and the general queue, not other teams’ tickets', async () => {
    const agent = await createUser(t, { roles: ['agent'] });
    const mine = (await post('/api/servicedesk/teams', { name: `Mine ${Date.now()}` })).json();
    const other = (await post('/api/servicedesk/teams', { name: `Other ${Date.now()}` })).json();
    await put(`/api/servicedesk/teams/${mine.id}/members`, { userIds: [agent.id] });
    const inMine = await newTicket({ teamId: mine.id });
    const inOther = await newTicket({ teamId: other.id });
    const general = await newTicket();
    const seen = (await get('/api/tickets?limit=200', agent.token)).json().data.map((x: Ticket) => x.id);
    expect(seen).toEqual(expect.arrayContaining([inMine.id, general.id]));
    expect(seen).not.toContain(inOther.id);
    expectProblem(await get(`/api/tickets/${inOther.id}`, agent.token), 404);
    expectProblem(await post(`/api/tickets/${inOther.id}/replies`, { body: 'hi' }, agent.token), 404);
    expect((await post(`/api/tickets/${inMine.id}/replies`, { body: 'on it' }, agent.token)).statusCode).toBe(201);
    expectProblem(await post(`/api/tickets/${inMine.id}/merge`, { intoId: general.id }, agent.token), 403);
  });
});

describe('uploads', () => {
  it('sniffs the type from the bytes, stores by sha256, and runs the scanner hook', async () => {
    const png = await upload('photo.txt', PNG, { token: t.adminToken });
    expect(png.statusCode, png.body).toBe(201);
    expect(png.json()).toMatchObject({ mime: 'image/png', name: 'photo.txt', size: PNG.length });
    expect(png.json().sha256).toMatch(/^[0-9a-f]{64}$/);
    const text = await upload('notes.png', Buffer.from('plain words\nline two\n'), { token: t.adminToken });
    expect(text.json().mime).toBe('text/plain');
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1), Buffer.from('PE\0\0')]);
    expectProblem(await upload('invoice.pdf', exe, { token: t.adminToken }), 415, 'unsupported_file_type');
    expectProblem(await upload('empty.txt', Buffer.alloc(0), { token: t.adminToken }), 415);
    const eicar = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');
    expectProblem(await upload('eicar.txt', eicar, { token: t.adminToken }), 422, 'file_rejected');
    expectProblem(await t.inject({ method: 'POST', url: '/api/upload', headers: { ...bearer(t.adminToken), 'content-type': 'application/json' }, payload: '{}' }), 415);
    expectProblem(await upload('a.txt', Buffer.from('hi'), {}), 400, 'org_required');
    expectProblem(await upload('a.txt', Buffer.from('hi'), { org: 'nope-org' }), 404);
  });

  it('refuses files over the limit with 413', async () => {
    const small = await createTestApp({ UPLOAD_MAX_BYTES: '2048' });
    try {
      const m = multipart('big.txt', Buffer.alloc(5000, 0x61));
      const res = await small.inject({ method: 'POST', url: '/api/upload', headers: { ...m.headers, ...bearer(small.adminToken) }, payload: m.payload });
      expectProblem(res, 413, 'file_too_large');
    } finally {
      await small.close();
    }
  });

  it('signed-in uploads have their own per-user hourly limit, apart from the anonymous per-IP one', async () => {
    const limited = await createTestApp({ TICKET_FORM_RATE_LIMIT: '3', UPLOAD_USER_RATE_LIMIT: '12' });
    try {
      const ip = `198.51.100.${Math.floor(Math.random() * 200) + 1}`;
      const send = (headers: Record<string, string>, query = '') => {
        const m = multipart('a.png', PNG);
        return limited.inject({ method: 'POST', url: `/api/upload${query}`, headers: { ...m.headers, ...headers }, payload: m.payload, remoteAddress: ip });
      };
      // An admin uploading 12 files from the same address: all accepted.
      const admin = [];
      for (let i = 0; i < 12; i++) admin.push((await send(bearer(limited.adminToken))).statusCode);
      expect(admin).toEqual(Array(12).fill(201));
      // The user's own limit: the 13th is refused with Retry-After.
      const over = await send(bearer(limited.adminToken));
      expectProblem(over, 429, 'rate_limited');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      // Another user from the same address has their own count.
      const agent = await createUser(limited, { roles: ['agent'] });
      expect((await send(bearer(agent.token))).statusCode).toBe(201);
      // The anonymous limit of that address was not used up by the signed-in uploads, and still holds.
      const anon = [];
      for (let i = 0; i < 4; i++) anon.push((await send({}, '?org=default')).statusCode);
      expect(anon).toEqual([201, 201, 201, 429]);
    } finally {
      await limited.close();
    }
  });

  it('attaches an anonymous upload to a public ticket once; agents and the requester can download it', async () => {
    const up = await upload('screen.png', PNG, { org: 'default' });
    expect(up.statusCode, up.body).toBe(201);
    const fileId = up.json().id as string;
    const made = await submit({ attachmentIds: [fileId] });
    expect(made.statusCode, made.body).toBe(201);
    const { id, token } = made.json() as { id: string; token: string };
    expectProblem(await submit({ attachmentIds: [fileId] }), 400, 'unknown_attachment');
    const dl = await get(`/api/files/${fileId}`);
    expect(dl.statusCode).toBe(200);
    expect(dl.headers['content-type']).toBe('image/png');
    expect(dl.headers['content-disposition']).toContain('attachment');
    expect(dl.rawPayload.equals(PNG)).toBe(true);
    const pd = await portal(id, token, `/files/${fileId}`);
    expect(pd.statusCode).toBe(200);
    expect(pd.rawPayload.equals(PNG)).toBe(true);
    // Not attached to this ticket → not found.
    const other = (await upload('x.png', PNG, { token: t.adminToken })).json().id;
    expectProblem(await portal(id, token, `/files/${other}`), 404);
  });

  it('the requester link can upload for its own ticket (?ticket= with the token), and a reply attaches it', async () => {
    const { id, token } = (await submit()).json() as { id: string; token: string };
    const m = multipart('reply.png', PNG);
    const send = (query: string, headers: Record<string, string>) =>
      t.inject({ method: 'POST', url: `/api/upload?${query}`, headers: { ...m.headers, ...headers }, payload: m.payload, remoteAddress: '203.0.113.9' });
    expectProblem(await send(`ticket=${id}`, {}), 400, 'token_required');
    expectProblem(await send(`ticket=${id}`, { 'x-ticket-token': 'x'.repeat(43) }), 404);
    expectProblem(await send('ticket=not-a-uuid', { 'x-ticket-token': token }), 400);
    const up = await send(`ticket=${id}`, { 'x-ticket-token': token });
    expect(up.statusCode, up.body).toBe(201);
    const fileId = up.json().id as string;
    const reply = await portalPost(id, token, '/replies', { body: 'Here is a screenshot.', attachmentIds: [fileId] });
    expect(reply.statusCode, reply.body).toBe(201);
    expect((await portal(id, token)).json().replies[0].attachmentIds).toEqual([fileId]);
    expect((await portal(id, token, `/files/${fileId}`)).rawPayload.equals(PNG)).toBe(true);
    // Another org's link cannot place files in this org: the token is checked against the ticket.
    const theirs = await createOrg(t);
    const foreign = (await t.inject({ method: 'POST', url: `/api/tickets/public?org=${theirs.slug}`, payload: form(), remoteAddress: '203.0.113.7' })).json() as { id: string };
    expectProblem(await send(`ticket=${foreign.id}`, { 'x-ticket-token': token }), 404);
  });
});

describe('access and tenancy', () => {
  it('401 without a token, 403 without the permission, 404 for another org’s ids', async () => {
    const tk = await newTicket();
    expectProblem(await t.inject({ method: 'GET', url: '/api/tickets' }), 401);
    expectProblem(await t.inject({ method: 'POST', url: '/api/tickets', payload: {} }), 401);
    const viewer = await createUser(t, { roles: ['viewer'] });
    expectProblem(await get('/api/tickets', viewer.token), 403);
    expectProblem(await newTicketRaw({}, viewer.token), 403);
    const exec = await createUser(t, { roles: ['executive'] });
    expect((await get(`/api/tickets/${tk.id}`, exec.token)).statusCode).toBe(200);
    expectProblem(await patch(`/api/tickets/${tk.id}`, { priority: 'low' }, exec.token), 403);

    const other = await createOrg(t);
    expectProblem(await get(`/api/tickets/${tk.id}`, other.token), 404);
    expectProblem(await patch(`/api/tickets/${tk.id}`, { priority: 'low' }, other.token), 404);
    expectProblem(await post(`/api/tickets/${tk.id}/replies`, { body: 'x' }, other.token), 404);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/tickets/${tk.id}`, headers: bearer(other.token) }), 404);
    const theirs = (await post('/api/tickets', { subject: 'B', requester: { name: 'B', email: 'b@example.test' } }, other.token)).json();
    expectProblem(await post(`/api/tickets/${theirs.id}/merge`, { intoId: tk.id }, other.token), 404);
    const bulk = expectProblem(await post('/api/tickets/bulk', { ids: [tk.id], patch: { priority: 'low' } }, other.token), 404, 'bulk_update_failed') as unknown as { failed: unknown[] };
    expect(bulk.failed).toEqual([expect.objectContaining({ id: tk.id, code: 'not_found' })]);
    expect((await get(`/api/tickets/${tk.id}`)).json().priority).toBe(tk.priority);
    const file = (await upload('a.png', PNG, { token: t.adminToken })).json().id;
    expectProblem(await get(`/api/files/${file}`, other.token), 404);
    expectProblem(await post('/api/tickets', { subject: 'x', requester: { name: 'B', email: 'b@example.test' }, attachmentIds: [file] }, other.token), 400, 'unknown_attachment');
  });
});

describe('system roles', () => {
  it('a system role added in a release reaches orgs created before it, at the next start', async () => {
    await t.database.db.execute(sql`delete from role_permissions where role_id in (select id from roles where name = 'executive')`);
    await t.database.db.execute(sql`delete from roles where name = 'executive'`);
    await syncCatalogue(t.database.db, CATALOGUE);
    const roles = (await get('/api/roles')).json().data as { name: string; isSystem: boolean; permissions: { permission: string }[] | string[] }[];
    const exec = roles.find((r) => r.name === 'executive');
    expect(exec?.isSystem).toBe(true);
    expect(JSON.stringify(exec)).toContain('servicedesk:analytics');
  });
});

describe('paged lists', () => {
  const list = (url: string, token = t.adminToken): ListCall => (q) => get(withQuery(url, q), token);
  const tag = Date.now().toString(36);
  let other: Awaited<ReturnType<typeof createOrg>>;
  beforeAll(async () => {
    other = await createOrg(t);
  });
  const made = async (url: string, bodies: Record<string, unknown>[], token = t.adminToken) => {
    const out = [];
    for (const body of bodies) {
      const res = await post(url, body, token);
      expect(res.statusCode, res.body).toBe(201);
      out.push(res.json() as { id: string; name: string; title: string; createdAt: string });
    }
    return out;
  };

  it('teams: by name with their members, a page at a time, never another org’s', async () => {
    const agent = await createUser(t, { roles: ['agent'] });
    const teams = await made('/api/servicedesk/teams', ['pagec', 'pagea', 'pageb'].map((n) => ({ name: `${n}${tag}` })));
    await put(`/api/servicedesk/teams/${teams[0]!.id}/members`, { userIds: [agent.id] });
    const [theirs] = await made('/api/servicedesk/teams', [{ name: `pagea${tag}` }], other.token);
    const all = await expectPaging<{ id: string; members: { userId: string }[] }>(list('/api/servicedesk/teams'), {
      limit: 2,
      inOrder: keysetOrder(teams.map((x) => ({ id: x.id, key: x.name }))),
    });
    expect(all.find((x) => x.id === teams[0]!.id)?.members.map((m) => m.userId)).toEqual([agent.id]);
    expect(all.map((x) => x.id)).not.toContain(theirs!.id);
    // An agent (tickets:read) pages them as well.
    await expectPaging(list('/api/servicedesk/teams', agent.token), { limit: 2, inOrder: keysetOrder(teams.map((x) => ({ id: x.id, key: x.name }))) });
  });

  it('canned responses: by title, a page at a time, never another org’s', async () => {
    const canned = await made('/api/servicedesk/canned-responses', ['pagec', 'pagea', 'pageb'].map((n) => ({ title: `${n}${tag}`, body: 'Hello' })));
    const [theirs] = await made('/api/servicedesk/canned-responses', [{ title: `pagea${tag}`, body: 'Hi' }], other.token);
    const all = await expectPaging(list('/api/servicedesk/canned-responses'), { limit: 2, inOrder: keysetOrder(canned.map((x) => ({ id: x.id, key: x.title }))) });
    expect(all.map((x) => x.id)).not.toContain(theirs!.id);
  });

  it('replies and timeline: oldest first (ties by id), a page at a time, only on tickets in the reader’s reach', async () => {
    const agent = await createUser(t, { roles: ['agent'] });
    const [mine, others] = await made('/api/servicedesk/teams', [{ name: `paged mine ${tag}` }, { name: `paged other ${tag}` }]);
    await put(`/api/servicedesk/teams/${mine!.id}/members`, { userIds: [agent.id] });
    const tk = await newTicket({ teamId: mine!.id });
    const replies = await made(`/api/tickets/${tk.id}/replies`, [{ body: 'one' }, { body: 'note', isInternal: true }, { body: 'two' }, { body: 'three', status: 'pending_customer' }]);
    const inOrder = keysetOrder(replies.map((r) => ({ id: r.id, key: r.createdAt })));
    await expectPaging(list(`/api/tickets/${tk.id}/replies`), { limit: 2, inOrder });
    const timeline = (await list(`/api/tickets/${tk.id}/timeline`)('limit=200')).json().data as { id: string; at: string; kind: string }[];
    expect(timeline.length).toBeGreaterThanOrEqual(5);
    await expectPaging(list(`/api/tickets/${tk.id}/timeline`), { limit: 2, inOrder: keysetOrder(timeline.map((e) => ({ id: e.id, key: e.at }))) });
    // The team's agent pages them; a ticket of another team, or of another org, is not found.
    await expectPaging(list(`/api/tickets/${tk.id}/replies`, agent.token), { limit: 3, inOrder });
    await expectPaging(list(`/api/tickets/${tk.id}/timeline`, agent.token), { limit: 3 });
    const hidden = await newTicket({ teamId: others!.id });
    expect((await post(`/api/tickets/${hidden.id}/replies`, { body: 'hidden' })).statusCode).toBe(201);
    for (const path of ['replies', 'timeline']) {
      expectProblem(await get(`/api/tickets/${hidden.id}/${path}?limit=1`, agent.token), 404);
      expectProblem(await get(`/api/tickets/${tk.id}/${path}?limit=1`, other.token), 404);
    }
  });
});
