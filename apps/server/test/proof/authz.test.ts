/**
 * Function-level authorization, for every operation in the OpenAPI document: each declares what it
 * requires (`x-permission`); anonymous callers get 401 wherever a credential is needed, a viewer
 * gets 403 wherever the viewer role lacks the permission, and an org's admin gets 403 on
 * platform-admin routes.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/modules.ts';

const { isPermission } = CATALOGUE;
import { bearer, createOrg, createTestApp, createUser, GOOD_PASSWORD, type TestApp } from '../helpers.ts';
import { loadDocument, operationsOf, responseChecker, sampleValid, urlOf, type ApiOperation } from './openapi.ts';

const t: TestApp = await createTestApp();
const doc = await loadDocument(t);
const ops = operationsOf(doc);
const check = responseChecker(doc);
afterAll(async () => t.close());

let viewerEmail = '';
let viewerToken = '';
let viewerGrants = new Set<string>();
let orgAdmin: Awaited<ReturnType<typeof createOrg>>;
let requests = 0;

beforeAll(async () => {
  const viewer = await createUser(t, { roles: ['viewer'] });
  viewerEmail = viewer.email;
  viewerToken = viewer.token;
  const roles = (await t.inject({ method: 'GET', url: '/api/roles', headers: bearer(t.adminToken) })).json().data as {
    name: string;
    permissions: { permission: string }[];
  }[];
  viewerGrants = new Set(roles.find((r) => r.name === 'viewer')!.permissions.map((p) => p.permission));
  orgAdmin = await createOrg(t);
});

/** A request that passes validation where it can, so the answer is about authorization alone. */
function request(op: ApiOperation, headers: Record<string, string>) {
  const values = Object.fromEntries(op.pathParams.map((p) => [p.name, String(sampleValid(p.schema, { ids: [] }, p.name))]));
  const query = op.queryParams
    .filter((p) => p.required)
    .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(String(sampleValid(p.schema, { ids: [] }, p.name)))}`)
    .join('&');
  const body = op.body ? sampleValid(op.body, { ids: [] }) : undefined;
  requests++;
  return t.inject({
    method: op.method,
    url: urlOf(op.path, values, query),
    headers,
    ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } }),
  });
}

const describeRes = (op: ApiOperation, res: LightMyRequestResponse) => `${op.key} → ${res.statusCode} ${res.body.slice(0, 300)}`;

describe('every operation declares its permission', () => {
  it('the document lists the operations of every module', () => {
    const families = new Set(ops.map((o) => o.path.split('/')[2]));
    for (const f of ['auth', 'users', 'roles', 'operations', 'resources', 'devices', 'telemetry', 'alarms', 'alert-rules']) expect(families).toContain(f);
    expect(ops.length).toBeGreaterThanOrEqual(80);
  });

  it('x-permission is present and names public, authenticated, platform_admin or a catalogue permission', () => {
    const missing = ops.filter((o) => o.permission === undefined).map((o) => o.key);
    expect(missing, 'routes without x-permission').toEqual([]);
    const unknown = ops
      .filter((o) => o.permission && !['public', 'authenticated', 'platform_admin'].includes(o.permission) && !isPermission(o.permission))
      .map((o) => `${o.key}: ${o.permission}`);
    expect(unknown, 'x-permission outside the catalogue').toEqual([]);
  });

  it('public operations say whether they take a credential (security), the others need one', () => {
    for (const op of ops) {
      if (op.permission === 'public') expect(op.security, `${op.key} declares its security`).toBeDefined();
      else expect(op.security === undefined || op.security.length > 0, `${op.key} must not be anonymous`).toBe(true);
    }
  });
});

describe('anonymous callers', () => {
  it('get 401 on every operation that needs a credential, and never a 5xx', async () => {
    const failures: string[] = [];
    let refused = 0;
    for (const op of ops) {
      const res = await request(op, {});
      const anonymous = op.permission === 'public' && op.security?.length === 0;
      if (res.statusCode >= 500) failures.push(`5xx: ${describeRes(op, res)}`);
      else if (!anonymous && res.statusCode !== 401) failures.push(`expected 401: ${describeRes(op, res)}`);
      else if (!anonymous) {
        refused++;
        const verdict = check(op, res);
        if (!verdict.ok) failures.push(`${op.key}: ${verdict.reason}`);
      }
      // A garbage credential is no better than none.
      if (!anonymous) {
        const garbage: Record<string, string>[] = [{ authorization: 'Bearer not-a-token' }, { 'x-api-key': 'imsop_nope' }, { authorization: 'Basic YTpi' }];
        for (const headers of garbage) {
          const bad = await request(op, headers);
          if (bad.statusCode !== 401) failures.push(`expected 401 with ${JSON.stringify(headers)}: ${describeRes(op, bad)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(refused).toBeGreaterThan(60);
  });
});

describe('a viewer', () => {
  /** Routes the viewer may call run with a fresh session, since some of them end it (logout, revoke). */
  async function freshViewer(): Promise<string> {
    const s = await t.login(viewerEmail, GOOD_PASSWORD);
    return s.accessToken;
  }

  it('gets 403 wherever the viewer role lacks the permission, and never a 401 or 5xx', async () => {
    const failures: string[] = [];
    let forbidden = 0;
    for (const op of ops) {
      const p = op.permission!;
      const denied = p === 'platform_admin' || (isPermission(p) && !viewerGrants.has(p));
      const sideEffects = !denied && op.method !== 'GET';
      const res = await request(op, bearer(sideEffects ? await freshViewer() : viewerToken));
      // e.g. "revoke my other sessions" ends the main session too.
      if (sideEffects) viewerToken = await freshViewer();
      if (res.statusCode >= 500) failures.push(`5xx: ${describeRes(op, res)}`);
      else if (denied) {
        if (res.statusCode !== 403) failures.push(`expected 403: ${describeRes(op, res)}`);
        else {
          forbidden++;
          const verdict = check(op, res);
          if (!verdict.ok) failures.push(`${op.key}: ${verdict.reason}`);
        }
      } else if (res.statusCode === 401 && (res.json() as { code: string }).code === 'unauthorized') {
        // (A 401 with another code rejects a secret in the body, e.g. a wrong MFA code, not the session.)
        failures.push(`a viewer's valid session was refused: ${describeRes(op, res)}`);
      }
      else if (res.statusCode === 403 && (res.json() as { code: string }).code === 'forbidden' && (res.json() as { permission?: string }).permission) {
        failures.push(`refused a permission the viewer holds: ${describeRes(op, res)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(forbidden).toBeGreaterThan(30);
    // The viewer's own session still works: nothing above escalated or broke it.
    expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(viewerToken) })).statusCode).toBe(200);
  });
});

describe('platform-admin operations', () => {
  it('answer 403 to an org’s admin, who holds every org permission', async () => {
    const platform = ops.filter((o) => o.permission === 'platform_admin');
    expect(platform.length).toBeGreaterThan(0);
    for (const op of platform) {
      const res = await request(op, bearer(orgAdmin.token));
      expect(res.statusCode, describeRes(op, res)).toBe(403);
    }
  });

  it('reports the request count', () => {
    console.info(`[proof/authz] ${ops.length} operations, ${requests} requests`);
    expect(requests).toBeGreaterThan(ops.length * 2);
  });
});
