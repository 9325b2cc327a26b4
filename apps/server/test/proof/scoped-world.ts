/**
 * Fixtures for the scope walker (scopes.test.ts): one org holding two departments' worth of data,
 * "north" and "south", and three actors inside it whose grants reach only part of it:
 *
 * - `northAgent`: the system role `agent`, department north, member of the north team
 *   (users and tickets at `department`, activity and analytics at `own`, operations:update `own`);
 * - `northManager`: the system role `manager`, department north, manager of the north team
 *   (tickets and analytics at `department`, users:update `department`);
 * - `ownActor`: a custom role with every scoped read it holds at `own`, department north and a
 *   member of the north team too (so a department rule applied by mistake shows up).
 *
 * Each department is a `World` (the shape world.ts fills routes from): its user, session,
 * operation, task, allocation, ticket (of the department's team), team and file are the
 * department's own; the kinds no grant narrows (roles, devices, rules, alarms, resources, canned
 * responses, calendars, policies) are the org's shared fixtures from `createWorld`. `own` is the
 * same for the records of `ownActor`. Every record carries a marker (a unique string in its
 * subject, name, title or comment) so that a leak shows up wherever its text is copied.
 *
 * The shared fixtures come from the modules' proof seeds; the department records stay here, not in
 * the seeds: they follow the scope rules of docs/roles.md, which cross modules (a ticket's team and
 * its assignee's department, an operation's owner, the ratings of a team's agents). A new module
 * whose permissions are scoped adds its department records here; any other is walked with the
 * org's shared fixture of each of its kinds.
 */
import crypto from 'node:crypto';
import { expect } from 'vitest';
import { bearer, createOrg, GOOD_PASSWORD, uniqueEmail, type TestApp } from '../helpers.ts';
import { createWorld, type Org, type World } from './world.ts';

export type Kind = keyof World['ids'];

/** One record the fixtures hold, with what identifies it in an answer. */
export interface Rec {
  kind: Kind | 'rating' | 'looseFile' | 'replyFile';
  id: string;
  /** Unique strings the record's text carries (subject, name, title, comment, email). */
  markers: string[];
  /** What a failure message calls it: "south ticket", "north peer's rating"… */
  label: string;
}

export interface Actor {
  name: 'northAgent' | 'northManager' | 'ownActor';
  id: string;
  email: string;
  token: string;
  /** `GET /api/auth/me` permissions: permission → condition. */
  permissions: Record<string, string>;
  /** The world whose records are in the actor's reach (filled into routes for in-scope calls). */
  inside: World;
  /** The worlds holding records out of the actor's reach. */
  outside: World[];
  /** Kinds of `World['ids']` the actor may not read in `outside` (the others the actor reaches anyway). */
  readScoped: Kind[];
  /** Kinds the actor may not change in `outside` (a superset of readScoped). */
  writeScoped: Kind[];
  /** Every record out of the actor's reach, for the leak checks. */
  outOfScope: Rec[];
  /** Records in the actor's reach, to check that reads do work (so the 404s mean something). */
  inScope: Rec[];
}

export interface ScopedWorld {
  org: Org;
  base: World;
  north: World;
  south: World;
  own: World;
  actors: Actor[];
  /** Every record of the fixtures, by label. */
  records: Rec[];
}

async function ok<T>(p: Promise<{ statusCode: number; body: string; json(): unknown }>, status: number, what: string): Promise<T> {
  const res = await p;
  expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
  return res.json() as T;
}

/** Creates an org, the shared fixtures of `createWorld`, and the north, south and own records. */
export async function createScopedWorld(t: TestApp): Promise<ScopedWorld> {
  const org = await createOrg(t);
  const base = await createWorld(t, org);
  const tag = crypto.randomBytes(3).toString('hex');
  const mk = (what: string) => `mk-${what}-${tag}`;
  const admin = bearer(org.token);
  const as = (token: string | Record<string, string>) => (typeof token === 'string' ? bearer(token) : token);
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown, headers: string | Record<string, string> = admin) =>
    t.inject({ method, url, headers: as(headers), ...(payload === undefined ? {} : { payload: payload as object }) });
  const records: Rec[] = [];
  const rec = (r: Rec) => (records.push(r), r);

  const ownRole = await ok<{ id: string }>(
    call('POST', '/api/roles', {
      name: 'own-scope',
      displayName: 'Own scope',
      permissions: [
        ...['users:read', 'activity:read', 'operations:read', 'operations:update', 'tickets:read', 'tickets:update', 'servicedesk:analytics'].map((permission) => ({
          permission,
          condition: 'own',
        })),
        ...['resources:read', 'devices:read', 'telemetry:read', 'alarms:read', 'files:upload', 'roles:read'].map((permission) => ({ permission, condition: 'any' })),
      ],
    }),
    201,
    'own-scope role',
  );
  void ownRole;

  async function user(label: string, department: string, roles: string[]) {
    const email = uniqueEmail(mk(label));
    const fullName = `${mk(label)} person`;
    const u = await ok<{ id: string }>(call('POST', '/api/users', { email, name: fullName, password: GOOD_PASSWORD, roles, department }), 201, `user ${label}`);
    const session = await t.login(email, GOOD_PASSWORD, org.slug);
    const sessions = await ok<{ data: { id: string; current: boolean }[] }>(call('GET', '/api/auth/sessions', undefined, session.accessToken), 200, 'sessions');
    return { id: u.id, email, fullName, token: session.accessToken, session: sessions.data.find((s) => s.current)!.id };
  }
  const northAgent = await user('north-agent', 'north', ['agent']);
  const northManager = await user('north-manager', 'north', ['manager']);
  const northPeer = await user('north-peer', 'north', ['agent']);
  const southAgent = await user('south-agent', 'south', ['agent']);
  const southManager = await user('south-manager', 'south', ['manager']);
  const ownActor = await user('own-actor', 'north', ['own-scope']);
  // A south agent who also works the north queue: a member of the north team, of the south department.
  const southFloater = await user('south-floater', 'south', ['agent']);

  const team = async (label: string, managerId: string, members: string[]) => {
    const tm = await ok<{ id: string }>(call('POST', '/api/servicedesk/teams', { name: mk(label), assignment: 'manual', managerId }), 201, label);
    await ok(call('PUT', `/api/servicedesk/teams/${tm.id}/members`, { userIds: members }), 200, `${label} members`);
    return tm.id;
  };
  const northTeam = await team('north-team', northManager.id, [northAgent.id, northPeer.id, ownActor.id, southFloater.id]);
  const southTeam = await team('south-team', southManager.id, [southAgent.id]);

  const boundary = 'scopedboundary';
  const upload = (name: string, headers: Record<string, string> = {}, query = '') =>
    ok<{ id: string }>(
      t.inject({
        method: 'POST',
        url: `/api/upload${query}`,
        headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}.txt"\r\nContent-Type: text/plain\r\n\r\ncontent of ${name}\r\n--${boundary}--\r\n`,
      }),
      201,
      `upload ${name}`,
    );

  const startsAt = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  let window = 10;
  /**
   * One department's records: a ticket of its team (from the public form, so it has a requester
   * link) with an anonymous attachment, assigned to `assignee`, and a reply by the assignee with a
   * file they uploaded; a file the assignee uploaded and attached nowhere; an operation owned by
   * `owner`, with a task (assigned to `taskAssignee`) and an allocation; a rating of `rated`.
   */
  async function department(d: string, o: { teamId: string; assignee: { id: string; token: string }; owner: string; taskAssignee: string | null; rated: string }) {
    const attachment = await upload(mk(`${d}-file`), {}, `?org=${org.slug}`);
    const ticket = await ok<{ id: string; token: string }>(
      t.inject({
        method: 'POST',
        url: `/api/tickets/public?org=${org.slug}`,
        payload: { name: mk(`${d}-requester`), email: `${mk(`${d}-requester`)}@example.test`, subject: mk(`${d}-ticket`), description: mk(`${d}-ticket-text`), attachmentIds: [attachment.id] },
      }),
      201,
      `${d} ticket`,
    );
    await ok(call('PATCH', `/api/tickets/${ticket.id}`, { teamId: o.teamId, assigneeId: o.assignee.id }), 200, `${d} ticket team`);
    const replyFile = await upload(mk(`${d}-reply-file`), bearer(o.assignee.token));
    await ok(call('POST', `/api/tickets/${ticket.id}/replies`, { body: mk(`${d}-reply`), attachmentIds: [replyFile.id] }, o.assignee.token), 201, `${d} reply`);
    const loose = await upload(mk(`${d}-loose-file`), bearer(o.assignee.token));

    const op = await ok<{ id: string }>(call('POST', '/api/operations', { name: mk(`${d}-operation`), description: mk(`${d}-operation-text`), ownerId: o.owner }), 201, `${d} operation`);
    const task = await ok<{ id: string }>(call('POST', `/api/operations/${op.id}/tasks`, { title: mk(`${d}-task`), assigneeId: o.taskAssignee }), 201, `${d} task`);
    window += 3;
    const allocation = await ok<{ id: string }>(
      call('POST', `/api/operations/${op.id}/allocations`, { resourceId: base.ids.resource, startsAt: startsAt(window), endsAt: startsAt(window + 1) }),
      201,
      `${d} allocation`,
    );
    const rating = await ok<{ id: string }>(
      call('PUT', '/api/servicedesk/ratings', { agentId: o.rated, period: new Date().toISOString().slice(0, 7), score: 4, comment: mk(`${d}-rating`) }),
      200,
      `${d} rating`,
    );
    return { ticket, attachment, replyFile, loose, op, task, allocation, rating };
  }

  const n = await department('north', { teamId: northTeam, assignee: northPeer, owner: northPeer.id, taskAssignee: null, rated: northPeer.id });
  // The south task is assigned to the north agent: a task's assignee who may not edit its operation.
  const s = await department('south', { teamId: southTeam, assignee: southAgent, owner: southAgent.id, taskAssignee: northAgent.id, rated: southAgent.id });
  const o = await department('own', { teamId: northTeam, assignee: ownActor, owner: ownActor.id, taskAssignee: ownActor.id, rated: ownActor.id });
  // The north agent's own rating (in reach of their own `servicedesk:analytics`).
  await ok(call('PUT', '/api/servicedesk/ratings', { agentId: northAgent.id, period: new Date().toISOString().slice(0, 7), score: 5, comment: mk('north-agent-rating') }), 200, 'rating');

  const floaterRating = await ok<{ id: string }>(
    call('PUT', '/api/servicedesk/ratings', { agentId: southFloater.id, period: new Date().toISOString().slice(0, 7), score: 2, comment: mk('south-floater-rating') }),
    200,
    'rating',
  );
  rec({ kind: 'user', id: southFloater.id, markers: [southFloater.email, southFloater.fullName], label: `south floater (south department, north team; ${southFloater.email})` });
  rec({ kind: 'rating', id: floaterRating.id, markers: [mk('south-floater-rating')], label: 'north team’s floater’s rating (a south-department agent of the north team)' });

  const worldOf = (d: string, u: Awaited<ReturnType<typeof user>>, teamId: string, r: typeof n): World => {
    const ids = { ...base.ids, user: u.id, session: u.session, operation: r.op.id, task: r.task.id, allocation: r.allocation.id, ticket: r.ticket.id, team: teamId, file: r.attachment.id };
    const w: World = { ...base, ids, values: { ...base.values, ticketToken: r.ticket.token, userEmail: u.email } };
    const label = (what: string) => `${d} ${what}`;
    rec({ kind: 'user', id: u.id, markers: [u.email, u.fullName], label: label(`user (${u.email})`) });
    rec({ kind: 'session', id: u.session, markers: [], label: label('user’s session') });
    rec({ kind: 'operation', id: r.op.id, markers: [mk(`${d}-operation`), mk(`${d}-operation-text`)], label: label('operation') });
    rec({ kind: 'task', id: r.task.id, markers: [mk(`${d}-task`)], label: label('operation’s task') });
    rec({ kind: 'allocation', id: r.allocation.id, markers: [], label: label('operation’s allocation') });
    rec({ kind: 'ticket', id: r.ticket.id, markers: [mk(`${d}-ticket`), mk(`${d}-ticket-text`), mk(`${d}-reply`), mk(`${d}-requester`)], label: label('ticket') });
    rec({ kind: 'file', id: r.attachment.id, markers: [mk(`${d}-file`)], label: label('ticket’s attachment') });
    rec({ kind: 'replyFile', id: r.replyFile.id, markers: [mk(`${d}-reply-file`)], label: label('reply’s attachment') });
    rec({ kind: 'looseFile', id: r.loose.id, markers: [mk(`${d}-loose-file`)], label: label('file uploaded and attached nowhere') });
    rec({ kind: 'rating', id: r.rating.id, markers: [mk(`${d}-rating`)], label: label('agent’s rating') });
    return w;
  };
  const north = worldOf('north', northPeer, northTeam, n);
  const south = worldOf('south', southAgent, southTeam, s);
  const own = worldOf('own', ownActor, northTeam, o);
  const byLabel = (prefix: string) => records.filter((r) => r.label.startsWith(prefix));
  // The floater's rating counts as the north team's: ratings follow the teams an agent works in
  // (docs/roles.md: `department` reaches the ratings of one's teams' agents), so the north manager
  // reads it and the south department's people do not.

  const me = async (token: string) => (await ok<{ permissions: Record<string, string> }>(call('GET', '/api/auth/me', undefined, token), 200, 'me')).permissions;
  // Records out of reach, by the rules of docs/roles.md:
  // users:read department (agent) reaches the department; tickets:read department the teams the
  // holder belongs to or manages; files the ones the holder uploaded or that hang off a ticket in
  // reach; servicedesk:analytics own one's own ratings, department the ratings of one's teams'
  // agents; sessions are one's own, and those of the people one may change (users:update); operations:update own the operations one owns.
  const southScoped = (kinds: Rec['kind'][]) => byLabel('south').filter((r) => kinds.includes(r.kind));
  const actors: Actor[] = [
    {
      ...northAgent,
      name: 'northAgent',
      permissions: await me(northAgent.token),
      inside: north,
      outside: [south],
      readScoped: ['user', 'ticket', 'file', 'session'],
      writeScoped: ['user', 'ticket', 'file', 'session', 'operation', 'task', 'allocation'],
      outOfScope: [
        ...southScoped(['user', 'session', 'ticket', 'file', 'replyFile', 'looseFile', 'rating']),
        ...byLabel('north').filter((r) => ['session', 'looseFile', 'rating'].includes(r.kind)),
        ...byLabel('own').filter((r) => ['session', 'looseFile', 'rating'].includes(r.kind)),
      ],
      inScope: byLabel('north').filter((r) => ['user', 'ticket', 'file', 'replyFile', 'operation', 'task'].includes(r.kind)),
    },
    {
      ...northManager,
      name: 'northManager',
      permissions: await me(northManager.token),
      inside: north,
      outside: [south],
      readScoped: ['ticket', 'file', 'session'],
      writeScoped: ['ticket', 'file', 'session', 'user'],
      outOfScope: [
        ...southScoped(['session', 'ticket', 'file', 'replyFile', 'looseFile', 'rating']),
        // The north user's session is in reach: users:update (department) lists and ends the sessions of the department's people.
        ...byLabel('north').filter((r) => ['looseFile'].includes(r.kind)),
        ...byLabel('own').filter((r) => ['session', 'looseFile'].includes(r.kind)),
      ],
      inScope: [...byLabel('north').filter((r) => ['user', 'ticket', 'file', 'replyFile', 'rating'].includes(r.kind)), ...byLabel('south').filter((r) => r.kind === 'user')],
    },
    {
      ...ownActor,
      name: 'ownActor',
      permissions: await me(ownActor.token),
      inside: own,
      outside: [north, south],
      readScoped: ['user', 'session', 'operation', 'task', 'allocation', 'ticket', 'file'],
      writeScoped: ['user', 'session', 'operation', 'task', 'allocation', 'ticket', 'file'],
      outOfScope: [...byLabel('north'), ...byLabel('south')],
      inScope: byLabel('own').filter((r) => ['ticket', 'file', 'replyFile', 'looseFile', 'operation', 'task', 'rating', 'user'].includes(r.kind)),
    },
  ];
  return { org, base, north, south, own, actors, records };
}
