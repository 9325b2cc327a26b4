import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startIdp, type TestIdp } from '../apps/server/test/oidc-idp.ts';
import { adminToken, client } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;

/** From the login page to the provider with a work email; the test's provider signs `subject` in at once. */
async function continueWithSso(page: Page, email: string, screenshot?: string) {
  await page.goto('/login');
  await page.getByRole('button', { name: 'Sign in with SSO' }).click();
  await page.getByLabel('Work email or organization').fill(email);
  if (screenshot) await shot(page, screenshot);
  await page.getByRole('button', { name: 'Continue with SSO' }).click();
}
let idp: TestIdp;
const domain = `sso${Date.now().toString(36)}.test`;

beforeAll(async () => {
  browser = await launch();
  // A real OpenID Connect provider on 127.0.0.1 (plain http is accepted for loopback issuers only).
  idp = await startIdp({ redirectUris: [`${inject('baseUrl')}/api/auth/sso/callback`] });
});
afterAll(async () => {
  await browser?.close();
  await idp?.close();
});

describe('single sign-on', () => {
  it('an admin adds a provider on the organization page; a new person signs in with it from the login page', async () => {
    const admin = await newContext(browser);
    await loginAndWait(admin.page, inject('adminEmail'), inject('adminPassword'));
    await admin.page.goto('/admin/org');
    await admin.page.getByRole('button', { name: 'Add provider' }).click();
    const form = admin.page.getByRole('form', { name: 'Identity provider' });
    await form.getByLabel('Button label').fill('E2E IdP');
    await form.getByLabel('Issuer URL').fill(idp.issuer);
    await form.getByLabel('Client ID').fill(idp.clientId);
    await form.getByLabel('Client secret').fill(idp.clientSecret);
    await form.getByLabel('Allowed email domains').fill(domain);
    await form.getByLabel('Create accounts on first sign-in').check();
    await form.getByLabel('Role of new accounts').selectOption('viewer');
    await admin.page.getByRole('button', { name: 'Add provider' }).last().click();
    await admin.page.getByRole('list', { name: 'Identity providers' }).getByText('E2E IdP').waitFor();
    await shot(admin.page, 'sso-01-org-settings');
    expectNoErrors(admin);
    await admin.context.close();

    idp.accounts.set('e2e-subject-1', { email: `ada@${domain}`, email_verified: true, name: 'Ada Lovelace' });
    idp.signInAs('e2e-subject-1');
    const w = await newContext(browser);
    const { page } = w;
    await continueWithSso(page, `ada@${domain}`, 'sso-02-login');
    // To the provider and back: the console takes up the session the callback started.
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();
    const cookies = await w.context.cookies();
    expect(cookies.find((c) => c.name === 'imsop_refresh')).toMatchObject({ httpOnly: true, path: '/api/auth' });
    expect(cookies.find((c) => c.name === 'imsop_sso')).toBeUndefined();
    // A reload signs in again through the refresh cookie, as after a password sign-in.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();
    expectNoErrors(w);
    await w.context.close();

    const { data } = await client(await adminToken()).GET('/api/users', { params: { query: { q: `ada@${domain}` } } });
    expect(data?.data.map((u) => [u.email, u.name, u.roles.map((r) => r.name)])).toEqual([[`ada@${domain}`, 'Ada Lovelace', ['viewer']]]);
  });

  it('shows a readable error when the provider’s address is not verified', async () => {
    idp.accounts.set('e2e-subject-2', { email: `bob@${domain}`, email_verified: false });
    idp.signInAs('e2e-subject-2');
    const w = await newContext(browser);
    const { page } = w;
    await continueWithSso(page, `bob@${domain}`);
    await page.getByText('did not confirm your email address').waitFor();
    expect(page.url()).toContain('sso_error=sso_email_unverified');
    await shot(page, 'sso-03-error');
    expectNoErrors(w);
    await w.context.close();
  });
});
