import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, createUser } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('event subscriptions page', () => {
  it('an admin reaches it from the navigation and sees the subscriptions and the dead letters; a manager neither sees it nor opens it', async () => {
    const admin = await newContext(browser);
    await loginAndWait(admin.page, inject('adminEmail'), inject('adminPassword'));
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Event subscriptions' }).click();
    await page.getByRole('heading', { level: 1, name: 'Event subscriptions' }).waitFor();
    // The server registers no subscription of its own yet: both lists show their empty states.
    await page.getByText('No subscriptions').waitFor();
    await page.getByText('No dead letters').waitFor();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('dead');
    await page.getByText('No dead letters').waitFor();
    await shot(page, '105-event-subscriptions');
    expectNoErrors(admin);
    await admin.context.close();

    const manager = await createUser(await adminToken(), ['manager'], 'Mona Manager');
    const m = await newContext(browser);
    await loginAndWait(m.page, manager.email, manager.password);
    expect(await m.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Event subscriptions' }).count()).toBe(0);
    await m.page.goto('/admin/subscriptions');
    await m.page.getByText('You don’t have access to this').waitFor();
    expectNoErrors(m);
    await m.context.close();
  });
});
