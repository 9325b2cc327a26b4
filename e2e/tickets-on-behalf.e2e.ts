import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client, createUser } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('a ticket taken over the phone', () => {
  it('the agent opens it for a person of the org; the list shows the requester; the ticket page lists their other tickets', async () => {
    const token = await adminToken();
    const api = client(token);
    const caller = await createUser(token, ['viewer'], 'Priya Caller');
    const earlier = (await api.POST('/api/tickets', { body: { subject: 'Badge does not open door 2', requester: { userId: caller.id } } })).data!;
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.goto('/tickets');
    await page.getByRole('button', { name: 'New ticket' }).click();
    const form = page.getByTestId('new-ticket-form');
    // A contact with neither address nor mobile: the API's refusal shows at the field.
    await form.getByLabel('A contact').check();
    await form.getByLabel('Name').fill('Nobody Reachable');
    await form.getByLabel('Subject').fill('Laptop will not boot');
    await form.getByRole('button', { name: 'Open ticket' }).click();
    await expect.poll(() => form.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    await shot(page, '110-new-ticket-error', { fullPage: false });
    // The person who called instead.
    await form.getByLabel('A person of the organization').check();
    await form.getByLabel('Find a person').fill('Priya');
    await expect.poll(() => form.getByRole('combobox', { name: /^Person/ }).locator('option').count()).toBeGreaterThan(1);
    await form.getByRole('combobox', { name: /^Person/ }).selectOption({ label: `Priya Caller · ${caller.email}` });
    await form.getByLabel('Description').fill('Called at 9:10, black screen after the logo.');
    await form.getByRole('button', { name: 'Open ticket' }).click();
    await page.getByRole('heading', { level: 1, name: /Laptop will not boot/ }).waitFor();
    const others = page.getByTestId('requester-tickets');
    await others.getByRole('link', { name: new RegExp(`#${earlier.number} Badge does not open door 2`) }).waitFor();
    await shot(page, '111-ticket-requester-other-tickets');
    const created = (await api.GET('/api/tickets', { params: { query: { requesterUserId: caller.id } } })).data!.data.find((x) => x.subject === 'Laptop will not boot')!;
    expect(created).toMatchObject({ channel: 'phone', requester: { name: 'Priya Caller', userId: caller.id } });

    await page.goto('/tickets');
    const row = page.getByTestId('ticket-row').filter({ hasText: 'Laptop will not boot' });
    await expect(row.getByTestId('ticket-requester').textContent()).resolves.toContain('Priya Caller');
    await shot(page, '112-tickets-requester-column');
    expectNoErrors(w, [400]);
    await w.context.close();
  });
});
