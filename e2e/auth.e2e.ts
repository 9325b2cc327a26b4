import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client, createUser, tokenFor, totp } from './support/api.ts';
import { expectNoErrors, launch, login, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('signing in', () => {
  it('signs in, survives a reload through the refresh cookie, and signs out', async () => {
    const w = await newContext(browser);
    const { page } = w;
    await page.goto('/');
    await page.waitForURL(/\/login$/);
    await page.getByRole('heading', { name: 'Sign in to IMSOP' }).waitFor();
    await shot(page, '01-login');

    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.locator('[data-testid=realtime-status][data-status=live]').waitFor();
    await page.getByTestId('kpis').waitFor();
    await shot(page, '02-dashboard-empty');

    // The access token lives in memory only: a reload signs in again through the httpOnly cookie.
    const cookies = await w.context.cookies();
    expect(cookies.find((c) => c.name === 'imsop_refresh')).toMatchObject({ httpOnly: true, path: '/api/auth' });
    expect(await page.evaluate(() => Object.values(localStorage).concat(Object.values(sessionStorage)).some((v) => v.startsWith('eyJ')))).toBe(false);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();

    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to IMSOP' }).waitFor();
    expectNoErrors(w);
    await w.context.close();
  });

  it('enrols in MFA from the console (QR code, recovery codes once), then signs in with a code', async () => {
    const user = await createUser(await adminToken(), ['agent'], 'Mia Fischer');
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, user.email, user.password);

    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Password and two-factor' }).click();
    await page.getByRole('button', { name: 'Set up' }).click();
    await page.getByTestId('mfa-qr').waitFor();
    await shot(page, '11-mfa-enrol-qr');
    const secret = (await page.getByTestId('mfa-secret').textContent())!.replace(/\s+/g, '');
    await page.getByLabel('Code').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByTestId('recovery-codes').locator('li');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    const recovery = (await codes.first().textContent())!.trim();
    await shot(page, '12-mfa-recovery-codes');
    await page.getByLabel('I have saved them').check();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByText('Two-factor authentication').first().waitFor();
    await page.getByText('On', { exact: true }).waitFor();

    // Sign out, then in again: password, then the code step.
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await login(page, user.email, user.password);
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    await shot(page, '13-login-mfa-step');
    // The enrolment spent this step's code; the next step's is accepted.
    await page.getByLabel('Authentication code').fill(totp(secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening), Mia/ }).waitFor();

    // A recovery code works once, through "Use a recovery code".
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await login(page, user.email, user.password);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(recovery);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening), Mia/ }).waitFor();
    expectNoErrors(w);
    await w.context.close();
  });

  it('signs in with MFA enrolled through the API (otpauth codes)', async () => {
    const user = await createUser(await adminToken(), ['manager'], 'Jonas Weber');
    const api = client(await tokenFor(user.email, user.password));
    const setup = await api.POST('/api/auth/mfa/setup');
    const enabled = await api.POST('/api/auth/mfa/enable', { body: { code: totp(setup.data!.otpauthUri) } });
    expect(enabled.data?.recoveryCodes).toHaveLength(10);

    const w = await newContext(browser);
    const { page } = w;
    await login(page, user.email, user.password);
    await page.getByLabel('Authentication code').fill(totp(setup.data!.otpauthUri, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening), Jonas/ }).waitFor();
    expectNoErrors(w);
    await w.context.close();
  });

  it('works from the keyboard alone, with visible focus', async () => {
    const w = await newContext(browser);
    const { page } = w;
    await page.goto('/login');
    await page.getByLabel('Email').waitFor();
    // The email field has focus on arrival.
    await page.keyboard.type(inject('adminEmail'));
    await page.keyboard.press('Tab');
    await page.keyboard.type(inject('adminPassword'));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();

    const focused = () => page.evaluate(() => ({ text: (document.activeElement?.textContent ?? '').trim(), outline: getComputedStyle(document.activeElement!).outlineStyle }));
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ text: 'Skip to content' });
    await shot(page, '03-keyboard-skip-link', { fullPage: false });
    // Through the sidebar to Operations, then Enter.
    for (let i = 0; i < 10 && (await focused()).text !== 'Operations'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toEqual({ text: 'Operations', outline: 'solid' });
    await shot(page, '04-keyboard-focus-nav', { fullPage: false });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
    // The account menu opens from the keyboard and is walked with the arrow keys.
    await page.getByTestId('user-menu').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    for (let i = 0; i < 6; i++) {
      const before = (await focused()).text;
      if (before === 'Password and two-factor') break;
      await page.keyboard.press('ArrowDown');
      // Radix moves the focus on the next frame: wait for it before deciding again.
      await page.waitForFunction((prev) => (document.activeElement?.textContent ?? '').trim() !== prev, before, { timeout: 2000 }).catch(() => undefined);
    }
    expect((await focused()).text).toBe('Password and two-factor');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Two-factor authentication' }).waitFor();

    expectNoErrors(w);
    await w.context.close();
  });

  it('lists my sessions and revokes another one', async () => {
    const user = await createUser(await adminToken(), ['agent'], 'Ravi Shah');
    // A second session elsewhere (an API client).
    await tokenFor(user.email, user.password);
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, user.email, user.password);
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'My sessions' }).click();
    const rows = page.getByTestId('session-row');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByText('This device').waitFor();
    await shot(page, '14-sessions');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expectNoErrors(w);
    await w.context.close();
  });
});
