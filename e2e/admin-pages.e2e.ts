import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client, createUser } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

const navLinks = async (page: import('playwright-core').Page) =>
  (await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).map((t) => t.replace(/\d+$/, '').trim());

describe('roles and the permissions matrix', () => {
  it('an admin creates a custom role in the matrix; a user holding it sees only what it allows; the audit viewer shows the diff', async () => {
    const admin = await newContext(browser);
    await loginAndWait(admin.page, inject('adminEmail'), inject('adminPassword'));
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
    const matrix = page.getByTestId('roles-matrix');
    await matrix.waitFor();
    // System roles are read-only: no edit button on them.
    expect(await matrix.getByRole('button', { name: 'Edit Administrator' }).count()).toBe(0);
    await shot(page, '80-roles-matrix');

    const suffix = Date.now().toString(36);
    const display = `Telemetry analyst ${suffix}`;
    await page.getByRole('button', { name: 'New role' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(`analyst-${suffix}`);
    await page.getByLabel('Display name').fill(display);
    await page.getByLabel('Description').fill('Reads telemetry and devices, and the audit log.');
    for (const p of ['telemetry:read', 'devices:read', 'audit:read', 'permissions:read']) await matrix.getByRole('checkbox', { name: `${display}: ${p}` }).check();
    // A scoped permission offers the scopes: own activity only.
    await matrix.getByRole('combobox', { name: `${display}: activity:read` }).selectOption('own');
    await page.getByText('5 permissions · 5 changes').waitFor();
    await shot(page, '81-roles-new-role-editing');
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('status').filter({ hasText: 'Role created' }).waitFor();
    await matrix.getByRole('columnheader', { name: new RegExp(display) }).waitFor();
    const row = matrix.locator('[data-permission="activity:read"]');
    expect(await row.textContent()).toContain('Own');

    // Edit it: add alarms:read, drop devices:read (the audit record keeps both sides).
    await matrix.getByRole('button', { name: `Edit ${display}` }).click();
    await matrix.getByRole('checkbox', { name: `${display}: alarms:read` }).check();
    await matrix.getByRole('checkbox', { name: `${display}: devices:read` }).uncheck();
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.getByRole('status').filter({ hasText: 'Role saved' }).waitFor();
    await shot(page, '82-roles-matrix-custom');

    // A user with only that role.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    const email = `analyst.${suffix}@imsop.test`;
    const password = 'Analyst-Passphrase-2026';
    await dialog.getByLabel('Full name').fill('Ada Analyst');
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByLabel('Initial password').fill(password);
    await dialog.getByRole('checkbox', { name: new RegExp(display) }).check();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const analyst = await newContext(browser);
    await loginAndWait(analyst.page, email, password);
    // Telemetry and alarms (both read), audit; no operations, users, roles, keys, devices admin or org.
    expect(await navLinks(analyst.page)).toEqual(['Dashboard', 'Alarms', 'Telemetry', 'Audit log']);
    await shot(analyst.page, '83-custom-role-dashboard');
    await analyst.page.goto('/admin/roles');
    await analyst.page.getByText('You don’t have access to this').waitFor();
    await analyst.page.goto('/map');
    await analyst.page.getByText('You don’t have access to this').waitFor();

    // The analyst reads the audit log: the role's update, expanded, shows what came and went.
    await analyst.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await analyst.page.getByLabel('Action').fill('role.update');
    const rec = analyst.page.getByTestId('audit-row').first();
    await expect.poll(async () => (await rec.textContent()) ?? '').toContain('role.update');
    await rec.getByRole('button', { name: /Show the changes/ }).click();
    const diff = analyst.page.getByTestId('audit-diff');
    const permissions = diff.locator('[data-field="permissions"]');
    await permissions.waitFor();
    expect(await permissions.textContent()).toContain('+ alarms:read');
    expect(await permissions.textContent()).toContain('− devices:read');
    await shot(analyst.page, '84-audit-diff');

    expectNoErrors(admin);
    expectNoErrors(analyst);
    await admin.context.close();
    await analyst.context.close();
  });

  it('the API’s refusal shows: a role manager whose own grant was withdrawn meanwhile cannot hand it out', async () => {
    const api = client(await adminToken());
    const suffix = Date.now().toString(36);
    const managerRole = (
      await api.POST('/api/roles', {
        body: { name: `role-admin-${suffix}`, displayName: `Role admin ${suffix}`, permissions: ['roles:read', 'roles:manage', 'permissions:read', 'audit:read'] },
      })
    ).data!;
    const user = await createUser(await adminToken(), [managerRole.name], 'Rolf Manager');
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, user.email, user.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
    const matrix = page.getByTestId('roles-matrix');
    await matrix.waitFor();
    await page.getByRole('button', { name: 'New role' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(`auditors-${suffix}`);
    await page.getByLabel('Display name').fill('Auditors');
    // Only what this user holds is offered.
    expect(await matrix.getByRole('checkbox', { name: 'Auditors: org:update' }).isDisabled()).toBe(true);
    expect(await matrix.getByRole('combobox', { name: 'Auditors: users:erase' }).isDisabled()).toBe(true);
    await matrix.getByRole('checkbox', { name: 'Auditors: audit:read' }).check();
    // Meanwhile an administrator withdraws audit:read from this user's role.
    const cut = await api.PATCH('/api/roles/{id}', { params: { path: { id: managerRole.id } }, body: { permissions: ['roles:read', 'roles:manage', 'permissions:read'] } });
    expect(cut.response.status).toBe(200);
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('alert').filter({ hasText: /audit:read/ }).waitFor();
    // The page catches up: audit:read is no longer offered, and the refused draft grant can be taken out.
    const cell = matrix.getByRole('checkbox', { name: 'Auditors: audit:read' });
    await cell.uncheck();
    await expect.poll(() => cell.isDisabled()).toBe(true);
    await shot(page, '85-roles-refused-grant');
    expect((await api.GET('/api/roles')).data!.data.some((r) => r.name === `auditors-${suffix}`)).toBe(false);
    expectNoErrors(w, [403]);
    await w.context.close();
  });
});

describe('API keys', () => {
  it('creates a scoped key shown once with a copy button, which works within its scopes, then revokes it', async () => {
    const w = await newContext(browser);
    const { page } = w;
    await w.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'New API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    const name = `ERP sync ${Date.now().toString(36)}`;
    await dialog.getByLabel('Name').fill(name);
    // No scope picked: refused before the request.
    await dialog.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByText('Pick at least one permission').waitFor();
    const scopes = dialog.getByTestId('key-scopes');
    await scopes.getByRole('checkbox', { name: 'devices:read' }).check();
    await scopes.getByRole('checkbox', { name: 'telemetry:read' }).check();
    await shot(page, '90-api-key-create', { fullPage: false });
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: new RegExp(`API key “${name}” created`) });
    const key = await shown.getByTestId('secret-value').inputValue();
    expect(key).toMatch(/^imsop_/);
    await shown.getByRole('button', { name: 'Copy api key' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await shot(page, '91-api-key-shown-once', { fullPage: false });
    await shown.getByRole('button', { name: 'Done' }).click();

    const withKey = client();
    const h = { 'x-api-key': key };
    expect((await withKey.GET('/api/devices', { headers: h })).response.status).toBe(200);
    expect((await withKey.GET('/api/users', { headers: h })).response.status).toBe(403);

    const row = page.getByTestId('api-key-row').filter({ hasText: name });
    await row.getByText('Active').waitFor();
    await row.getByRole('button', { name: `Revoke ${name}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText('Revoked').waitFor();
    expect((await withKey.GET('/api/devices', { headers: h })).response.status).toBe(401);
    await shot(page, '92-api-keys');
    expectNoErrors(w);
    await w.context.close();
  });
});

describe('devices', () => {
  it('registers a device (key shown once), sees it come online, rotates its key, and opens it in the explorer', async () => {
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await page.getByRole('button', { name: 'Register device' }).click();
    const dialog = page.getByRole('dialog', { name: 'Register a device' });
    const name = `Boiler thermometer ${Date.now().toString(36)}`;
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Type').fill('thermometer');
    await dialog.getByLabel('Latitude').fill('95');
    await dialog.getByLabel('Longitude').fill('2.35');
    await dialog.getByRole('button', { name: 'Register device' }).click();
    await expect.poll(() => dialog.getByLabel('Latitude').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Latitude').fill('48.85');
    await dialog.getByRole('button', { name: 'Register device' }).click();
    const shown = page.getByRole('dialog', { name: `${name} is registered` });
    const key = await shown.getByTestId('secret-value').inputValue();
    expect(key).toMatch(/^dev_/);
    await shot(page, '93-device-key-shown-once', { fullPage: false });
    await shown.getByRole('button', { name: 'Done' }).click();

    const row = page.getByTestId('device-row').filter({ hasText: name });
    await row.getByText('Offline').waitFor();
    const sent = await client().POST('/api/telemetry', { body: { metricName: 'boiler_temp', value: 71.5, unit: '°C' } as never, headers: { 'x-device-key': key } });
    expect(sent.response.status).toBe(201);
    await page.reload();
    await row.getByText('Online').waitFor();
    await shot(page, '94-devices');

    await row.getByRole('button', { name: `Actions for ${name}` }).click();
    await page.getByRole('menuitem', { name: 'Rotate key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
    const rotated = page.getByRole('dialog', { name: `New key for ${name}` });
    const newKey = await rotated.getByTestId('secret-value').inputValue();
    expect(newKey).not.toBe(key);
    await rotated.getByRole('button', { name: 'Done' }).click();
    const again = (k: string) => client().POST('/api/telemetry', { body: { metricName: 'boiler_temp', value: 72 } as never, headers: { 'x-device-key': k } });
    expect((await again(key)).response.status).toBe(401);
    expect((await again(newKey)).response.status).toBe(201);

    await row.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Telemetry explorer' }).waitFor();
    await page.getByTestId('explorer-chart').getByRole('img', { name: /boiler_temp/ }).waitFor();
    expectNoErrors(w);
    await w.context.close();
  });
});

describe('organization settings', () => {
  it('shows the API’s refusal at the field, saves the time zone and retention, and the audit log shows the change', async () => {
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organization', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Organization' }).waitFor();
    await page.getByTestId('retention-effective').getByText('raw points 30 days').waitFor();
    await page.getByLabel('Time zone').selectOption('America/Toronto');
    await page.getByLabel('Raw points (days)').fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const raw = page.getByLabel('Raw points (days)');
    await expect.poll(() => raw.getAttribute('aria-invalid')).toBe('true');
    await shot(page, '95-org-settings-error');
    await raw.fill('14');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
    await page.getByTestId('retention-effective').getByText('raw points 14 days').waitFor();
    await shot(page, '96-org-settings');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Entity type').selectOption('organization');
    const rec = page.getByTestId('audit-row').first();
    await expect.poll(async () => (await rec.textContent()) ?? '').toContain('organization.update');
    await rec.click();
    const diff = page.getByTestId('audit-diff');
    expect(await diff.locator('[data-field="settings.telemetry.rawDays"]').textContent()).toContain('14');
    expect(await diff.locator('[data-field="settings.timeZone"]').textContent()).toContain('America/Toronto');
    await shot(page, '97-audit-log');
    expectNoErrors(w, [400]);
    await w.context.close();
  });

  it('dark mode at 1024 px: roles, audit log, API keys, devices and the organization', async () => {
    const w = await newContext(browser, { colorScheme: 'dark', width: 1024, height: 768 });
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    for (const [path, name, ready] of [
      ['/admin/roles', '98-roles-dark-1024', 'roles-matrix'],
      ['/admin/audit', '99-audit-dark-1024', 'audit-table'],
      ['/admin/api-keys', '100-api-keys-dark-1024', 'api-keys-table'],
      ['/admin/devices', '101-devices-dark-1024', 'devices-table'],
      ['/admin/org', '102-org-dark-1024', 'retention-effective'],
    ] as const) {
      await page.goto(path);
      await page.getByTestId(ready).waitFor();
      if (path === '/admin/audit') await page.getByTestId('audit-row').first().click();
      // Usable at 1024 px: the page does not scroll sideways, and a table's main column keeps its room.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} scrolls sideways`).toBeLessThanOrEqual(1024);
      if (ready.endsWith('-table')) {
        const first = await page.getByTestId(ready).locator('thead th').nth(path === '/admin/audit' ? 5 : 0).boundingBox();
        expect(first!.width, `${path}: the main column`).toBeGreaterThanOrEqual(150);
      }
      await shot(page, name);
    }
    expectNoErrors(w);
    await w.context.close();
  });
});
