import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('user administration', () => {
  it('an admin creates a viewer; the viewer sees no admin menu and cannot change anything', async () => {
    const admin = await newContext(browser);
    await loginAndWait(admin.page, inject('adminEmail'), inject('adminPassword'));
    await admin.page.getByRole('link', { name: 'Users' }).click();
    await admin.page.getByTestId('users-table').waitFor();
    await admin.page.getByRole('button', { name: 'New user' }).click();
    const dialog = admin.page.getByRole('dialog', { name: 'New user' });
    // The API's validation shows at the fields.
    await dialog.getByLabel('Full name').fill('Victor Hugo');
    await dialog.getByLabel('Email').fill('not-an-email');
    await dialog.getByLabel('Initial password').fill('short');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await expect.poll(() => dialog.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await shot(admin.page, '40-users-create-errors', { fullPage: false });
    const email = `victor.${Date.now().toString(36)}@imsop.test`;
    const password = 'Les-Miserables-1862';
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByLabel('Initial password').fill(password);
    await dialog.getByLabel('Department').fill('Archives');
    await dialog.getByRole('checkbox', { name: /Viewer/ }).check();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = admin.page.getByTestId('user-row').filter({ hasText: email });
    await row.waitFor();
    await row.getByText('viewer').waitFor();
    await shot(admin.page, '41-users');

    const viewer = await newContext(browser);
    const { page } = viewer;
    await loginAndWait(page, email, password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Dashboard' }).waitFor();
    await nav.getByRole('link', { name: 'Operations' }).waitFor();
    await nav.getByRole('link', { name: 'Alarms' }).waitFor();
    expect(await nav.getByText('Admin').count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    // Read-only: no audit card, no create button.
    expect(await page.getByRole('heading', { name: 'Recent activity' }).count()).toBe(0);
    await shot(page, '42-viewer-dashboard');
    await nav.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
    expect(await page.getByRole('link', { name: 'New operation' }).count()).toBe(0);
    await page.goto('/admin/users');
    await page.getByText('You don’t have access to this').waitFor();
    await shot(page, '43-viewer-no-access');

    // Deactivating the viewer signs them out.
    await row.getByRole('button', { name: /Actions for/ }).click();
    await admin.page.getByRole('menuitem', { name: 'Deactivate' }).click();
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await row.getByText('Inactive').waitFor();

    expectNoErrors(admin, [400]); // the refused first attempt
    // The viewer's session ends when they are deactivated: their next request may answer 401.
    expectNoErrors(viewer, [401]);
    await admin.context.close();
    await viewer.context.close();
  });
});
