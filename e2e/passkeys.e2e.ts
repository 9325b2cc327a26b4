import type { Browser, CDPSession } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client, createUser, tokenFor, totp } from './support/api.ts';
import { expectNoErrors, launch, login, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

/**
 * Chromium's virtual authenticator (DevTools protocol): a platform authenticator ("internal"
 * transport, like a laptop's fingerprint reader or a phone's face unlock) that keeps discoverable
 * credentials and verifies its user, with every prompt answered at once.
 */
async function virtualAuthenticator(cdp: CDPSession) {
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    setUserVerified: (isUserVerified: boolean) => cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified }),
  };
}

describe('passkeys', () => {
  it('registers a passkey on the security page, then signs in with it and no password', async () => {
    const user = await createUser(await adminToken(), ['agent'], 'Pia Keller');
    // Passkeys are bound to the RP id, the host of PUBLIC_URL (localhost): the console is opened there.
    const w = await newContext(browser, { baseUrl: inject('publicUrl') });
    const { page } = w;
    const authenticator = await virtualAuthenticator(await w.context.newCDPSession(page));
    await loginAndWait(page, user.email, user.password);

    await page.goto('/account/security');
    await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
    await page.getByText('No passkeys yet').waitFor();
    await page.getByLabel('Name of the new passkey').fill('Work laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const row = page.getByTestId('passkey-row').filter({ hasText: 'Work laptop' });
    await row.waitFor();
    await shot(page, '81-passkeys-registered');
    // The authenticator holds one discoverable credential for this site, tied to the account (not its email).
    const [credential] = await authenticator.credentials();
    expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credential!.userHandle!, 'base64').toString('hex')).toBe(user.id.replace(/-/g, ''));

    // Signed out from the dashboard, so the next sign-in lands there again.
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening), Pia/ }).waitFor();
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { name: 'Sign in to IMSOP' }).waitFor();

    // A passkey that cannot verify its user (no fingerprint, face or PIN) is refused with a message.
    await authenticator.setUserVerified(false);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('alert').or(page.getByText(/passkey was not accepted|cancelled or timed out/)).first().waitFor();
    await authenticator.setUserVerified(true);

    // No email, no password: the browser offers the passkey, and the dashboard greets its owner.
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening), Pia/ }).waitFor();
    const cookies = await w.context.cookies();
    expect(cookies.find((c) => c.name === 'imsop_refresh')).toMatchObject({ httpOnly: true, path: '/api/auth' });

    // The sign-in shows on the passkey's row.
    await page.goto('/account/security');
    await row.getByText(/last used/).waitFor();
    expectNoErrors(w, [400, 401]);
    await w.context.close();
  });

  it('completes the two-factor step of a password sign-in with a passkey instead of a code', async () => {
    const user = await createUser(await adminToken(), ['agent'], 'Noa Berg');
    const w = await newContext(browser, { baseUrl: inject('publicUrl') });
    const { page } = w;
    await virtualAuthenticator(await w.context.newCDPSession(page));
    await loginAndWait(page, user.email, user.password);
    await page.goto('/account/security');
    await page.getByLabel('Name of the new passkey').fill('Phone');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByTestId('passkey-row').filter({ hasText: 'Phone' }).waitFor();
    // TOTP on, through the API.
    const api = client(await tokenFor(user.email, user.password));
    const setup = await api.POST('/api/auth/mfa/setup');
    expect((await api.POST('/api/auth/mfa/enable', { body: { code: totp(setup.data!.otpauthUri) } })).data?.enabled).toBe(true);

    await page.goto('/');
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await login(page, user.email, user.password);
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    await shot(page, '82-login-mfa-passkey');
    await page.getByRole('button', { name: 'Use a passkey instead' }).click();
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening), Noa/ }).waitFor();
    expectNoErrors(w);
    await w.context.close();
  });
});
