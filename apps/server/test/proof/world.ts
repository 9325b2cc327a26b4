/**
 * Fixtures for the proof suite: one entity of each kind in an org, created through the API by the
 * org's admin. Adding a route family with path parameters means adding its entity here (the
 * isolation walker fails and says so until then).
 */
import { expect } from 'vitest';
import { bearer, createOrg, GOOD_PASSWORD, uniqueEmail, type TestApp } from '../helpers.ts';
import type { ApiOperation } from './openapi.ts';

export type Org = Awaited<ReturnType<typeof createOrg>>;

export interface World {
  org: Org;
  /** Every id of the org's entities, by kind. */
  ids: {
    user: string;
    role: string;
    apiKey: string;
    session: string;
    operation: string;
    task: string;
    allocation: string;
    resource: string;
    device: string;
    rule: string;
    alarm: string;
    ticket: string;
    team: string;
    canned: string;
    file: string;
    calendar: string;
    policy: string;
    deadLetter: string;
  };
  /** The requester link token of `ids.ticket`. */
  ticketToken: string;
  /** A permission granted directly to `ids.user`. */
  permission: string;
  userEmail: string;
  deviceKey: string;
  apiKeySecret: string;
}

async function ok<T>(p: Promise<{ statusCode: number; body: string; json(): unknown }>, status: number, what: string): Promise<T> {
  const res = await p;
  expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
  return res.json() as T;
}

/** Creates an org (unless given) and one entity of each kind in it. */
export async function createWorld(t: TestApp, org?: Org): Promise<World> {
  org ??= await createOrg(t);
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = bearer(org!.token)) =>
    t.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  // A durable subscription that gives up on the world's operation at once: the org's dead letter.
  const subscriptions = t.app.platform.subscriptions;
  if (!subscriptions.has('proof.world')) {
    subscriptions.register({
      name: 'proof.world',
      types: ['operation.created'],
      maxAttempts: 1,
      handler: async (e) => {
        if (e.topic === 'operations' && (e.payload.operation as { name?: string }).name === 'World operation') throw new Error('the proof world’s dead letter');
      },
    });
    await subscriptions.flush();
  }

  const userEmail = uniqueEmail('world');
  const user = await ok<{ id: string }>(call('POST', '/api/users', { email: userEmail, name: 'World User', password: GOOD_PASSWORD, roles: ['agent'] }), 201, 'user');
  const permission = 'audit:read';
  await ok(call('POST', `/api/users/${user.id}/permissions`, { permission }), 200, 'grant');
  const role = await ok<{ id: string }>(call('POST', '/api/roles', { name: 'world-role', displayName: 'World role', permissions: ['users:read'] }), 201, 'role');
  const key = await ok<{ id: string; key: string }>(call('POST', '/api/api-keys', { name: 'world-key', permissions: ['users:read'] }), 201, 'api key');
  const sessions = await ok<{ data: { id: string; current: boolean }[] }>(call('GET', '/api/auth/sessions'), 200, 'sessions');

  const op = await ok<{ id: string }>(call('POST', '/api/operations', { name: 'World operation', tags: ['world'] }), 201, 'operation');
  await subscriptions.flush();
  const deadLetters = await ok<{ data: { id: string; payload: { operation?: { id: string } } }[] }>(call('GET', '/api/event-subscriptions/dead-letters?subscription=proof.world'), 200, 'dead letters');
  const deadLetter = deadLetters.data.find((d) => d.payload.operation?.id === op.id);
  expect(deadLetter, 'the world’s operation was dead-lettered').toBeDefined();
  const task = await ok<{ id: string }>(call('POST', `/api/operations/${op.id}/tasks`, { title: 'World task' }), 201, 'task');
  const resource = await ok<{ id: string }>(call('POST', '/api/resources', { name: 'World truck', kind: 'vehicle' }), 201, 'resource');
  const startsAt = new Date(Date.now() + 86_400_000).toISOString();
  const endsAt = new Date(Date.now() + 2 * 86_400_000).toISOString();
  const allocation = await ok<{ id: string }>(call('POST', `/api/operations/${op.id}/allocations`, { resourceId: resource.id, startsAt, endsAt }), 201, 'allocation');

  const device = await ok<{ id: string; key: string }>(call('POST', '/api/devices', { name: 'World sensor', operationId: op.id }), 201, 'device');
  const rule = await ok<{ id: string }>(
    call('POST', '/api/alert-rules', { name: 'World hot', metric: 'world_temp', kind: 'threshold', direction: 'above', threshold: 50, deviceId: device.id }),
    201,
    'rule',
  );
  await ok(call('POST', '/api/telemetry', { metricName: 'world_temp', value: 99 }, { 'x-device-key': device.key }), 201, 'ingest');
  const alarms = await ok<{ data: { id: string; ruleId: string | null }[] }>(call('GET', '/api/alarms?limit=500'), 200, 'alarms');
  const alarm = alarms.data.find((a) => a.ruleId === rule.id);
  expect(alarm, 'the threshold rule raised an alarm').toBeDefined();

  const team = await ok<{ id: string }>(call('POST', '/api/servicedesk/teams', { name: 'World desk', assignment: 'round_robin' }), 201, 'team');
  await ok(t.inject({ method: 'PUT', url: `/api/servicedesk/teams/${team.id}/members`, headers: bearer(org.token), payload: { userIds: [user.id] } }), 200, 'members');
  const canned = await ok<{ id: string }>(call('POST', '/api/servicedesk/canned-responses', { title: 'World hello', body: 'Hello {{requester.name}}' }), 201, 'canned');
  const boundary = 'worldboundary';
  const file = await ok<{ id: string }>(
    t.inject({
      method: 'POST',
      url: `/api/upload?org=${org.slug}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="world.txt"\r\nContent-Type: text/plain\r\n\r\nworld file ${org.slug}\r\n--${boundary}--\r\n`,
    }),
    201,
    'upload',
  );
  const ticket = await ok<{ id: string; token: string }>(
    t.inject({
      method: 'POST',
      url: `/api/tickets/public?org=${org.slug}`,
      payload: { name: 'World Requester', email: `req.${org.slug}@example.test`, subject: 'World ticket', description: 'It is broken', attachmentIds: [file.id] },
    }),
    201,
    'ticket',
  );

  const calendar = await ok<{ id: string }>(
    call('POST', '/api/servicedesk/calendars', { name: 'World hours', timeZone: 'Europe/London', weeklyHours: { monday: [['09:00', '17:00']], friday: [['09:00', '12:00']] } }),
    201,
    'calendar',
  );
  const policy = await ok<{ id: string }>(
    call('POST', '/api/servicedesk/sla-policies', { name: 'World SLA', isDefault: true, calendarId: calendar.id, targets: { medium: { firstResponse: 60, resolution: 480 } } }),
    201,
    'policy',
  );

  return {
    org,
    ticketToken: ticket.token,
    ids: {
      user: user.id,
      role: role.id,
      apiKey: key.id,
      session: sessions.data.find((s) => s.current)!.id,
      operation: op.id,
      task: task.id,
      allocation: allocation.id,
      resource: resource.id,
      device: device.id,
      rule: rule.id,
      alarm: alarm!.id,
      ticket: ticket.id,
      team: team.id,
      canned: canned.id,
      file: file.id,
      calendar: calendar.id,
      policy: policy.id,
      deadLetter: deadLetter!.id,
    },
    permission,
    userEmail,
    deviceKey: device.key,
    apiKeySecret: key.key,
  };
}

/** Which entity a route family's `{id}` names, by the path's first segment(s) after /api. */
const FAMILY: [RegExp, keyof World['ids']][] = [
  [/^\/api\/auth\/sessions\//, 'session'],
  [/^\/api\/users\//, 'user'],
  [/^\/api\/roles\//, 'role'],
  [/^\/api\/api-keys\//, 'apiKey'],
  [/^\/api\/operations\//, 'operation'],
  [/^\/api\/resources\//, 'resource'],
  [/^\/api\/devices\//, 'device'],
  [/^\/api\/alert-rules\//, 'rule'],
  [/^\/api\/alarms\//, 'alarm'],
  [/^\/api\/tickets\//, 'ticket'],
  [/^\/api\/portal\/tickets\//, 'ticket'],
  [/^\/api\/servicedesk\/teams\//, 'team'],
  [/^\/api\/servicedesk\/canned-responses\//, 'canned'],
  [/^\/api\/servicedesk\/agents\//, 'user'],
  [/^\/api\/files\//, 'file'],
  [/^\/api\/servicedesk\/calendars\//, 'calendar'],
  [/^\/api\/servicedesk\/sla-policies\//, 'policy'],
  [/^\/api\/event-subscriptions\/dead-letters\//, 'deadLetter'],
];
/** Parameters named after their entity, whatever the route. */
const BY_NAME: Record<string, (w: World) => string> = {
  taskId: (w) => w.ids.task,
  allocationId: (w) => w.ids.allocation,
  permission: (w) => w.permission,
  userId: (w) => w.ids.user,
  operationId: (w) => w.ids.operation,
  deviceId: (w) => w.ids.device,
  resourceId: (w) => w.ids.resource,
  ruleId: (w) => w.ids.rule,
  alarmId: (w) => w.ids.alarm,
  roleId: (w) => w.ids.role,
  cannedId: (w) => w.ids.canned,
  fileId: (w) => w.ids.file,
  teamId: (w) => w.ids.team,
  intoId: (w) => w.ids.ticket,
  attachmentIds: (w) => w.ids.file,
  calendarId: (w) => w.ids.calendar,
  /** Provider webhooks name the org that receives the messages. */
  orgSlug: (w) => w.org.slug,
};

/** Values of required headers, from the caller's own world (a requester link token is one's own). */
export function headerValues(op: ApiOperation, w: World): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of op.headerParams) if (p.name === 'x-ticket-token') out[p.name] = w.ticketToken;
  return out;
}

/** The world's values for an operation's path parameters, or the name of a parameter nothing fills. */
export function pathValues(op: ApiOperation, w: World): { values: Record<string, string> } | { missing: string } {
  const values: Record<string, string> = {};
  for (const p of op.pathParams) {
    if (p.name in BY_NAME) values[p.name] = BY_NAME[p.name]!(w);
    else if (p.name === 'id') {
      const family = FAMILY.find(([re]) => re.test(op.path));
      if (!family) return { missing: `{id} of ${op.path}` };
      values.id = w.ids[family[1]];
    } else return { missing: `{${p.name}} of ${op.path}` };
  }
  return { values };
}

/** A query-parameter value from the world, for uuid filters named after an entity (`userId`, `entityId`, …). */
export function queryIdValue(name: string, w: World): string | undefined {
  if (name in BY_NAME) return BY_NAME[name]!(w);
  if (['entityId', 'ownerId', 'assigneeId', 'assignees'].includes(name)) return w.ids.user;
  return undefined;
}

/** Every id and secret of a world, to look for in another org's responses. */
export function secretsOf(w: World): string[] {
  return [w.org.orgId, w.org.adminId, w.org.adminEmail, w.userEmail, w.deviceKey, w.apiKeySecret, w.ticketToken, `req.${w.org.slug}@example.test`, ...Object.values(w.ids)];
}
