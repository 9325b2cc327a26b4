/**
 * What the console's admin pages read beyond the first phase: the scoped flag of the permission
 * catalogue, the organization's checked settings (time zone, telemetry retention) and the
 * retention the telemetry module applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, expectProblem, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const patch = (payload: object, token = t.adminToken) => t.inject({ method: 'PATCH', url: '/api/organizations/current', headers: bearer(token), payload });
const retention = async (token = t.adminToken) => {
  const res = await t.inject({ method: 'GET', url: '/api/telemetry/retention', headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { rawDays: number; minuteDays: number; hourDays: number; defaults: Record<string, number> };
};

describe('the permission catalogue', () => {
  it('says which permissions a condition narrows', async () => {
    const res = await t.inject({ method: 'GET', url: '/api/permissions', headers: bearer(t.adminToken) });
    const data = (res.json() as { data: { key: string; scoped: boolean }[] }).data;
    const scoped = (k: string) => data.find((p) => p.key === k)?.scoped;
    expect(scoped('users:read')).toBe(true);
    expect(scoped('operations:update')).toBe(true);
    expect(scoped('activity:read')).toBe(true);
    expect(scoped('roles:manage')).toBe(false);
    expect(scoped('telemetry:read')).toBe(false);
    expect(scoped('tickets:read')).toBe(true);
    expect(scoped('servicedesk:manage')).toBe(false);
    expect(data.filter((p) => p.scoped)).toHaveLength(15);
  });
});

describe('organization settings', () => {
  it('refuses an unknown time zone and bad retention days at the field, and changes nothing', async () => {
    const before = (await t.inject({ method: 'GET', url: '/api/organizations/current', headers: bearer(t.adminToken) })).json();
    for (const [payload, path] of [
      [{ settings: { timeZone: 'Mars/Olympus_Mons' } }, 'body.settings.timeZone'],
      [{ settings: { timeZone: 42 } }, 'body.settings.timeZone'],
      [{ settings: { telemetry: { rawDays: 0 } } }, 'body.settings.telemetry.rawDays'],
      [{ settings: { telemetry: { hourDays: 1.5 } } }, 'body.settings.telemetry.hourDays'],
      [{ settings: { telemetry: { minuteDays: '90' } } }, 'body.settings.telemetry.minuteDays'],
      [{ settings: { telemetry: { rawDays: 100_000 } } }, 'body.settings.telemetry.rawDays'],
      [{ settings: { telemetry: { keepForever: true } } }, 'body.settings.telemetry'],
      [{ settings: { telemetry: 30 } }, 'body.settings.telemetry'],
    ] as const) {
      const res = await patch(payload);
      const p = expectProblem(res, 400, 'validation_failed') as unknown as { errors: { path: string }[] };
      expect(p.errors.map((e) => e.path), JSON.stringify(payload)).toContain(path);
    }
    const after = (await t.inject({ method: 'GET', url: '/api/organizations/current', headers: bearer(t.adminToken) })).json();
    expect(after).toEqual(before);
  });

  it('stores the time zone and retention, keeps other keys, and audits the change', async () => {
    expect(await retention()).toEqual({ rawDays: 30, minuteDays: 90, hourDays: 730, defaults: { rawDays: 30, minuteDays: 90, hourDays: 730 } });
    expect((await patch({ settings: { theme: 'plant-2' } })).statusCode).toBe(200);
    const res = await patch({ name: 'Plant Two', settings: { timeZone: 'Europe/Paris', telemetry: { rawDays: 7, hourDays: 365 } } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Plant Two', settings: { theme: 'plant-2', timeZone: 'Europe/Paris', telemetry: { rawDays: 7, hourDays: 365 } } });
    expect(await retention()).toMatchObject({ rawDays: 7, minuteDays: 90, hourDays: 365 });

    const audit = await t.inject({ method: 'GET', url: '/api/audit-logs?action=organization.update&limit=1', headers: bearer(t.adminToken) });
    const [entry] = (audit.json() as { data: { changes: { before: { settings: object }; after: { settings: object } } }[] }).data;
    expect(entry!.changes.before.settings).toEqual({ theme: 'plant-2' });
    expect(entry!.changes.after.settings).toMatchObject({ timeZone: 'Europe/Paris', telemetry: { rawDays: 7 } });
  });

  it('null removes a key: the time zone goes, retention returns to the defaults', async () => {
    const res = await patch({ settings: { timeZone: null, telemetry: null } });
    expect(res.statusCode, res.body).toBe(200);
    const settings = (res.json() as { settings: Record<string, unknown> }).settings;
    expect(settings).not.toHaveProperty('timeZone');
    expect(settings).not.toHaveProperty('telemetry');
    expect(settings.theme).toBe('plant-2');
    expect(await retention()).toMatchObject({ rawDays: 30, minuteDays: 90, hourDays: 730 });
  });

  it('retention is per org, readable with telemetry:read, and changed only with org:update', async () => {
    const other = await createOrg(t);
    expect((await patch({ settings: { telemetry: { rawDays: 3 } } }, other.token)).statusCode).toBe(200);
    expect((await retention(other.token)).rawDays).toBe(3);
    expect((await retention()).rawDays).toBe(30);
    const viewer = await createUser(t, { roles: ['viewer'] });
    expect((await retention(viewer.token)).rawDays).toBe(30);
    expectProblem(await patch({ settings: { telemetry: { rawDays: 1 } } }, viewer.token), 403);
    const nobody = await createUser(t, { roles: [] });
    expectProblem(await t.inject({ method: 'GET', url: '/api/telemetry/retention', headers: bearer(nobody.token) }), 403);
  });
});
