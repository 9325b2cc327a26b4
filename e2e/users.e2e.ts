import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, createUser } from './support/api.ts';
import { expectNoErrors, launch, login, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

/** From the users list to one user's page, through the row's link. */
async function openUser(page: Page, email: string, name: string) {
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByTestId('users-table').waitFor();
  await page.getByLabel('Search users').fill(email);
  // The search reaches the URL after a pause: click once it has, or its navigation cancels ours.
  await page.waitForURL(/[?&]q=/);
  const row = page.getByTestId('user-row').filter({ hasText: email });
  await row.getByTestId('user-link').click();
  await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor();
}

describe('a user’s page', () => {
  it('an admin edits a user’s profile and roles; that user’s menu changes; the admin signs them out everywhere', async () => {
    const user = await createUser(await adminToken(), ['viewer'], 'Rosa Lindqvist');
    const admin = await newContext(browser);
    const person = await newContext(browser);

    // The viewer's menu: no administration.
    await loginAndWait(person.page, user.email, user.password);
    await nav(person.page).getByRole('link', { name: 'Dashboard' }).waitFor();
    expect(await nav(person.page).getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await nav(person.page).getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await shot(person.page, '60-user-menu-as-viewer', { fullPage: false });

    await loginAndWait(admin.page, inject('adminEmail'), inject('adminPassword'));
    await openUser(admin.page, user.email, 'Rosa Lindqvist');
    // Their session shows on the page.
    await admin.page.getByTestId('user-session-row').first().waitFor();

    // The profile: a bad phone number is refused at its field, then a good edit is saved.
    const profile = admin.page.getByTestId('user-profile');
    await profile.getByLabel('Phone').fill('call me maybe');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(() => profile.getByLabel('Phone').getAttribute('aria-invalid')).toBe('true');
    await profile.getByText(/international phone number/i).waitFor();
    await profile.getByLabel('Phone').fill('+46 8 123 456 78');
    await profile.getByLabel('Department').fill('Logistics');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await admin.page.getByText('Profile saved').waitFor();
    await expect.poll(() => profile.getByRole('button', { name: 'Save profile' }).isDisabled()).toBe(true);

    // A direct grant, offered only at the scopes the admin holds; then taken back.
    const grants = admin.page.getByTestId('user-grants');
    await grants.getByLabel('Permission').selectOption('activity:read');
    await grants.getByRole('button', { name: 'Grant' }).click();
    await admin.page.getByText('Permission granted').waitFor();
    await grants.getByTestId('grant-row').filter({ hasText: 'activity:read' }).waitFor();
    await grants.getByRole('button', { name: 'Revoke activity:read' }).click();
    await admin.page.getByText('Grant revoked').waitFor();
    await grants.getByText('No direct grants.').waitFor();

    // Roles: add Manager.
    const roles = admin.page.getByTestId('user-roles');
    await roles.getByRole('checkbox', { name: /^Manager/ }).check();
    await roles.getByRole('button', { name: 'Save roles' }).click();
    await admin.page.getByText('Roles saved').waitFor();
    await shot(admin.page, '61-user-detail-after-edit');

    // The user's own console, reloaded: the manager's pages are in the menu.
    await person.page.reload();
    await nav(person.page).getByRole('link', { name: 'Users' }).waitFor();
    await nav(person.page).getByRole('link', { name: 'Audit log' }).waitFor();
    await shot(person.page, '62-user-menu-as-manager', { fullPage: false });

    // The change is in the user's activity (changes made to them).
    await admin.page.reload();
    await admin.page.getByTestId('user-activity').getByText(/changed the roles of/).waitFor();

    // Sign them out everywhere: their console goes back to the sign-in page.
    await admin.page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await admin.page.getByRole('dialog', { name: /Sign Rosa Lindqvist out everywhere/ }).getByRole('button', { name: 'Sign out everywhere' }).click();
    await admin.page.getByText('Signed out everywhere').waitFor();
    await admin.page.getByText('Not signed in anywhere').waitFor();
    await person.page.reload();
    await person.page.waitForURL(/\/login/);

    // (The refused phone number answered 400.)
    expectNoErrors(admin, [400]);
    // The revoked session's calls answer 401 before the console returns to the sign-in page.
    expectNoErrors(person, [401]);
    await admin.context.close();
    await person.context.close();
  });

  it('exports a user’s data, deletes and restores them, and erases them only after the email is typed', async () => {
    const user = await createUser(await adminToken(), ['agent'], 'Otto Brandt');
    const admin = await newContext(browser);
    const { page } = admin;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await openUser(page, user.email, 'Otto Brandt');

    // GDPR export: a JSON download.
    await page.getByRole('button', { name: 'More actions' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: 'Export personal data' }).click()]);
    expect(download.suggestedFilename()).toBe(`imsop-user-${user.id}.json`);
    const exported = JSON.parse(fs.readFileSync((await download.path())!, 'utf8'));
    expect(exported.profile.email).toBe(user.email);
    expect(JSON.stringify(exported)).not.toContain('passwordHash');

    // Delete, then restore.
    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Delete user' }).click();
    await page.getByRole('dialog', { name: 'Delete Otto Brandt?' }).getByRole('button', { name: 'Delete user' }).click();
    await page.getByTestId('user-status').getByText('Deleted').waitFor();
    await shot(page, '63-user-deleted');
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('User restored').waitFor();
    await page.getByTestId('user-status').getByText('Active').waitFor();

    // Erase: the button waits for the email.
    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Erase personal data…' }).click();
    const dialog = page.getByRole('dialog', { name: /Erase Otto Brandt/ });
    const confirm = dialog.getByRole('button', { name: 'Erase for good' });
    await dialog.getByLabel(/Type .* to confirm/).fill('someone.else@imsop.test');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type .* to confirm/).fill(user.email.toUpperCase());
    await shot(page, '64-user-erase-confirm', { fullPage: false });
    await confirm.click();
    await page.getByText('Personal data erased').waitFor();
    await page.getByRole('heading', { level: 1, name: /Erased user/ }).waitFor();
    expectNoErrors(admin);
    await admin.context.close();
  });
});

describe('my password', () => {
  it('refuses a wrong current password at its field, changes it, and signs in with the new one', async () => {
    const user = await createUser(await adminToken(), ['agent'], 'Ines Moreau');
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, user.email, user.password);
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Password and two-factor' }).click();
    const form = page.getByTestId('change-password');
    const next = 'Granite-Harbor-Nimbus-58';

    await form.getByLabel('Current password').fill('Not-My-Password-99');
    await form.getByLabel(/^New password/).fill(next);
    await form.getByLabel('Repeat the new password').fill(next);
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => form.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');
    await form.getByText('Incorrect password.').waitFor();
    await shot(page, '65-change-password-wrong-current', { fullPage: false });

    // The two new passwords must agree (checked before any request).
    await form.getByLabel('Current password').fill(user.password);
    await form.getByLabel('Repeat the new password').fill(`${next}x`);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('The two new passwords differ.').waitFor();

    await form.getByLabel('Repeat the new password').fill(next);
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed').waitFor();

    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    // The old password no longer works; the new one does.
    await login(page, user.email, user.password);
    await page.getByRole('alert').waitFor();
    await loginAndWait(page, user.email, next);
    await shot(page, '66-signed-in-with-new-password', { fullPage: false });
    expectNoErrors(w, [400, 401]);
    await w.context.close();
  });
});

describe('organizations', () => {
  it('a platform administrator lists organizations and creates one, with errors at the fields', async () => {
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await nav(page).getByRole('link', { name: 'All organizations' }).click();
    await page.getByTestId('orgs-table').waitFor();
    await page.getByRole('button', { name: 'New organization' }).click();
    const dialog = page.getByRole('dialog', { name: 'New organization' });
    const tag = Date.now().toString(36);
    await dialog.getByLabel(/^Name/).fill(`Nordic Freight ${tag}`);
    expect(await dialog.getByLabel(/^Slug/).inputValue()).toBe(`nordic-freight-${tag}`);
    await dialog.getByLabel('Full name').fill('Freya Nord');
    await dialog.getByLabel('Email').fill('not-an-email');
    await dialog.getByLabel('Initial password').fill('Fjord-Kestrel-Summit-31');
    await dialog.getByRole('button', { name: 'Create organization' }).click();
    await expect.poll(() => dialog.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Email').fill(`freya.${tag}@imsop.test`);
    await dialog.getByRole('button', { name: 'Create organization' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('org-row').filter({ hasText: `nordic-freight-${tag}` }).waitFor();
    await shot(page, '67-organizations');
    expectNoErrors(w, [400]);
    await w.context.close();
  });
});
