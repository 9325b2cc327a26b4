import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('operations', () => {
  it('an operation created in one browser appears live in another; field errors show at the field', async () => {
    const a = await newContext(browser);
    const b = await newContext(browser);
    await loginAndWait(a.page, inject('adminEmail'), inject('adminPassword'));
    await loginAndWait(b.page, inject('adminEmail'), inject('adminPassword'));

    // B watches the list.
    await b.page.getByRole('link', { name: 'Operations' }).click();
    await b.page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
    await b.page.locator('[data-testid=realtime-status][data-status=live]').waitFor();
    await shot(b.page, '20-operations-empty');

    // A fills the form; the API refuses latitude 123 and the error lands on that field.
    await a.page.getByRole('link', { name: 'Operations' }).click();
    await a.page.getByRole('link', { name: 'New operation' }).first().click();
    const name = `Reservoir inspection ${Date.now().toString(36)}`;
    await a.page.getByLabel('Name').fill(name);
    await a.page.getByLabel('Description').fill('Walk the dam crest, check the spillway gates and read the piezometers.');
    await a.page.getByLabel('Priority').selectOption('high');
    await a.page.getByLabel('Type').fill('inspection');
    await a.page.getByLabel('Place').fill('Lac de Vouglans, north dam');
    await a.page.getByLabel('Latitude').fill('123');
    await a.page.getByLabel('Longitude').fill('5.67');
    await a.page.getByLabel('Tags').fill('dams, quarterly');
    await a.page.getByRole('button', { name: 'Create operation' }).click();
    const lat = a.page.getByLabel('Latitude');
    await expect.poll(() => lat.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await lat.getAttribute('aria-describedby'))!.split(' ')[0]!;
    const message = await a.page.locator(`[id="${describedBy}"]`).textContent();
    expect(message).toMatch(/90|less|lat/i);
    await expect.poll(() => a.page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('location.lat');
    await shot(a.page, '21-operation-form-field-error');
    await lat.fill('46.42');
    await a.page.getByRole('button', { name: 'Create operation' }).click();
    await a.page.getByRole('heading', { level: 1, name }).waitFor();

    // B sees it without reloading.
    await b.page.getByRole('link', { name }).waitFor({ timeout: 10_000 });
    await shot(b.page, '22-operations-live-row');

    // B loses the network; an operation is created meanwhile. Back online, B's socket resumes
    // from its last event id and the missed event arrives (the row is flagged as new by it).
    await b.context.setOffline(true);
    await b.page.locator('[data-testid=realtime-status][data-status=offline]').waitFor();
    await shot(b.page, '26-operations-offline', { fullPage: false });
    const missed = `Created while B was offline ${Date.now().toString(36)}`;
    const api = client(await adminToken());
    expect((await api.POST('/api/operations', { body: { name: missed, priority: 'low' } })).response.status).toBe(201);
    await b.context.setOffline(false);
    await b.page.locator('[data-testid=realtime-status][data-status=live]').waitFor({ timeout: 15_000 });
    const row = b.page.getByTestId('operation-row').filter({ hasText: missed });
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('class')).toContain('row-new');

    // Tasks on the detail page: add, tick.
    await a.page.getByLabel('New task title').fill('Read the piezometers');
    await a.page.getByRole('button', { name: 'Add' }).click();
    await a.page.getByLabel('New task title').fill('Check the spillway gates');
    await a.page.getByRole('button', { name: 'Add' }).click();
    // The box follows the server's answer (not an optimistic toggle), so click and wait for the count
    // rather than `check()`, which wants the state to flip during the click.
    await a.page.getByLabel('Complete task: Read the piezometers').click();
    await a.page.getByText('1 of 2 done').waitFor();
    await a.page.getByRole('button', { name: 'Start' }).click();
    await a.page.getByText('In progress').first().waitFor();
    await a.page.getByTestId('operation-timeline').getByText('Pending → In progress').waitFor();
    await shot(a.page, '23-operation-detail');

    // B follows the link and sees the task state too.
    await b.page.getByRole('link', { name }).click();
    await b.page.getByText('1 of 2 done').waitFor();

    await a.page.getByRole('link', { name: 'Edit' }).click();
    await a.page.getByRole('heading', { name: 'Edit operation' }).waitFor();
    await shot(a.page, '24-operation-edit');
    await a.page.getByLabel('Name').fill(`${name} (north)`);
    await a.page.getByRole('button', { name: 'Save changes' }).click();
    await a.page.getByRole('heading', { level: 1, name: `${name} (north)` }).waitFor();
    // The rename reaches B's open detail page live.
    await b.page.getByRole('heading', { level: 1, name: `${name} (north)` }).waitFor({ timeout: 10_000 });

    // Filters and search.
    await a.page.getByRole('link', { name: 'Operations' }).first().click();
    await a.page.getByRole('button', { name: 'In progress' }).click();
    await a.page.getByLabel('Search operations').fill('reservoir');
    await a.page.waitForURL(/q=reservoir/);
    await expect.poll(() => a.page.getByTestId('operation-row').count()).toBe(1);
    await shot(a.page, '25-operations-filtered');

    expectNoErrors(a, [400]); // the refused latitude
    expectNoErrors(b);
    await a.context.close();
    await b.context.close();
  });
});
