import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client, createUser } from './support/api.ts';
import { expectNoErrors, launch, login, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('alert rules in the console', () => {
  it('a rule made in the console, refused first where it could never clear, raises an alarm on telemetry sent through the API; edit and delete', async () => {
    const api = client(await adminToken());
    const op = (await api.POST('/api/operations', { body: { name: 'Cold store 4', priority: 'high' } })).data!;
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));

    // No alarm yet: the empty state leads to the rules, not to an API path.
    await page.goto('/alarms?view=all');
    // (Alone, this file starts with no alarm; after alarms.e2e.ts there are some.)
    const empty = page.getByText('No alarms, ever');
    await page.getByTestId('alarm-list').or(empty).waitFor();
    if (await empty.isVisible()) {
      await expect(page.getByText('POST /api/alert-rules').count()).resolves.toBe(0);
      await shot(page, '34-alarms-empty');
    }
    await page.getByRole('link', { name: 'Alert rules' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Alert rules' }).waitFor();
    await page.getByRole('button', { name: 'New rule' }).first().click();
    const form = page.getByTestId('alert-rule-form');
    await form.getByLabel('Name').fill('Cold store warming fast');
    await form.getByLabel('Metric').fill('store_temp_c');
    await form.getByLabel('Kind').selectOption('rate_of_change');
    // The direction applies to thresholds only: it is not asked for a rate of change.
    expect(await form.getByLabel('Direction').count()).toBe(0);
    await form.getByLabel('Change per second').fill('-0.5');
    await form.getByRole('button', { name: 'Create rule' }).click();
    // The API's refusal shows at the field, which is marked invalid.
    const threshold = form.getByLabel('Change per second');
    await expect.poll(() => threshold.getAttribute('aria-invalid')).toBe('true');
    await form.getByText(/never negative/).waitFor();
    await shot(page, '35-alert-rule-field-error');

    // A threshold rule on the operation instead.
    await form.getByLabel('Name').fill('Cold store too warm');
    await form.getByLabel('Kind').selectOption('threshold');
    await form.getByLabel('Direction').selectOption('above');
    await form.getByLabel('Threshold').fill('-18');
    await form.getByLabel('Severity').selectOption('critical');
    await form.getByLabel('Operation').selectOption({ label: 'Cold store 4' });
    await form.getByRole('button', { name: 'Create rule' }).click();
    const row = page.getByTestId('alert-rule-row').filter({ hasText: 'Cold store too warm' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/above -18/);
    await expect(row.textContent()).resolves.toMatch(/Cold store 4/);
    await shot(page, '36-alert-rules');
    const stored = (await api.GET('/api/alert-rules', { params: { query: { limit: 200 } } })).data!.data.find((r) => r.name === 'Cold store too warm')!;
    expect(stored).toMatchObject({ kind: 'threshold', direction: 'above', threshold: -18, severity: 'critical', operationId: op.id, deviceId: null, enabled: true });

    // Telemetry through the API crosses it: a critical alarm.
    const send = (value: number) => api.POST('/api/telemetry', { params: { query: { operationId: op.id } }, body: { metricName: 'store_temp_c', value, unit: '°C' } as never });
    expect((await send(-21)).response.status).toBe(201);
    expect((await send(-12.5)).response.status).toBe(201);
    await page.getByRole('alert').filter({ hasText: /Critical alarm: store_temp_c is above -18/ }).waitFor({ timeout: 10_000 });
    await page.goto('/alarms');
    const alarm = page.getByTestId('alarm-row').filter({ hasText: 'store_temp_c is above -18' });
    await alarm.waitFor();
    expect((await api.GET('/api/alarms', { params: { query: { active: 'true' } } })).data!.data.filter((a) => a.ruleId === stored.id)).toHaveLength(1);

    // Edit: disable it; then delete it.
    await page.getByRole('link', { name: 'Alert rules' }).first().click();
    await page.getByRole('button', { name: 'Actions for Cold store too warm' }).click();
    await page.getByRole('menuitem', { name: 'Edit rule' }).click();
    await expect(form.getByLabel('Threshold').inputValue()).resolves.toBe('-18');
    await form.getByLabel(/Enabled/).uncheck();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await row.getByText('Disabled').waitFor();
    expect((await api.GET('/api/alert-rules', { params: { query: { limit: 200 } } })).data!.data.find((r) => r.id === stored.id)?.enabled).toBe(false);
    await page.getByRole('button', { name: 'Actions for Cold store too warm' }).click();
    await page.getByRole('menuitem', { name: 'Delete rule' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete rule' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await api.GET('/api/alert-rules', { params: { query: { limit: 200 } } })).data!.data.some((r) => r.id === stored.id)).toBe(false);
    expectNoErrors(w, [400]);
    await w.context.close();
  });

  it('a viewer sees the rules but no way to change them', async () => {
    const token = await adminToken();
    // The list is by name, 50 a page, and other journeys add rules: this name sorts first.
    await client(token).POST('/api/alert-rules', { body: { name: 'A rule a viewer can read', metric: 'm_view', kind: 'no_data', durationSeconds: 600, severity: 'warning' } });
    const viewer = await createUser(token, ['viewer']);
    const w = await newContext(browser);
    await login(w.page, viewer.email, viewer.password);
    // Signed in (the shell shows) before opening the page: a navigation now would cut the sign-in short.
    await w.page.getByRole('navigation', { name: 'Main' }).waitFor();
    await w.page.goto('/alarms/rules');
    const row = w.page.getByTestId('alert-rule-row').filter({ hasText: 'A rule a viewer can read' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/silent for more than 10 min/);
    expect(await w.page.getByRole('button', { name: 'New rule' }).count()).toBe(0);
    expect(await w.page.getByRole('button', { name: /Actions for/ }).count()).toBe(0);
    expectNoErrors(w);
    await w.context.close();
  });
});
