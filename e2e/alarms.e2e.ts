import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('telemetry and alarms', () => {
  it('ingested telemetry updates the chart, raises an alarm, and the alarm is acknowledged in the console', async () => {
    const api = client(await adminToken());
    const op = (await api.POST('/api/operations', { body: { name: 'Boiler room watch', priority: 'critical', type: 'monitoring', location: { text: 'Plant 2, boiler room' } } })).data!;
    const rule = await api.POST('/api/alert-rules', {
      body: { name: 'Boiler too hot', metric: 'boiler_temp', kind: 'threshold', direction: 'above', threshold: 90, severity: 'critical', operationId: op.id },
    });
    expect(rule.response.status).toBe(201);
    // Some history: one point a minute for the last half hour.
    const now = Date.now();
    const history = Array.from({ length: 30 }, (_, i) => ({ metricName: 'boiler_temp', unit: '°C', value: 70 + Math.sin(i / 4) * 6, timestamp: new Date(now - (30 - i) * 60_000).toISOString(), operationId: op.id }));
    expect((await api.POST('/api/telemetry/batch', { body: history as never })).response.status).toBe(201);

    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.goto(`/operations/${op.id}`);
    const chart = page.getByTestId('operation-telemetry');
    await chart.getByRole('img', { name: /boiler_temp/ }).waitFor();
    await page.locator('[data-testid=realtime-status][data-status=live]').waitFor();
    const before = Number(await chart.getAttribute('data-points'));
    expect(before).toBeGreaterThan(20);

    // A hot reading: the chart grows live, and the rule raises a critical alarm.
    const send = (value: number) => api.POST('/api/telemetry', { params: { query: { operationId: op.id } }, body: { metricName: 'boiler_temp', value, unit: '°C' } as never });
    expect((await send(97.5)).response.status).toBe(201);
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(before);
    // A toast says so, wherever the user is.
    await page.getByRole('alert').filter({ hasText: 'Critical alarm: boiler_temp is above 90' }).waitFor({ timeout: 10_000 });
    await page.getByRole('link', { name: /Alarms/ }).getByText('1').waitFor();
    await shot(page, '30-operation-telemetry-alarm');

    await page.getByRole('link', { name: /Alarms/ }).first().click();
    const row = page.getByTestId('alarm-row').filter({ hasText: 'boiler_temp' });
    await row.waitFor();
    await shot(page, '31-alarms');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await row.getByText('Acknowledged', { exact: true }).waitFor();
    const alarms = await api.GET('/api/alarms', { params: { query: { active: 'true' } } });
    expect(alarms.data!.data.find((a) => a.metric === 'boiler_temp')).toMatchObject({ acknowledged: true, active: true });
    expectNoErrors(w);
    await w.context.close();
  });

  it('works on a phone: bulk acknowledge, then clear', async () => {
    const api = client(await adminToken());
    // Other journeys on this server raise alarms too (an alert rule made in the console, the chart
    // above): clear what is active, so the views below hold this journey's alarms alone.
    const active = (await api.GET('/api/alarms', { params: { query: { active: 'true', limit: 200 } } })).data!.data;
    for (const a of active) expect((await api.POST('/api/alarms/{id}/clear', { params: { path: { id: a.id } } })).response.ok).toBe(true);
    const history = (await api.GET('/api/alarms', { params: { query: { limit: 200 } } })).data!.data.length;
    const op = (await api.POST('/api/operations', { body: { name: 'Tank farm', priority: 'high' } })).data!;
    for (const [metric, severity] of [
      ['tank_level', 'major'],
      ['line_pressure', 'minor'],
    ] as const) {
      await api.POST('/api/alert-rules', { body: { name: `${metric} high`, metric, kind: 'threshold', direction: 'above', threshold: 10, severity } });
      const sent = await api.POST('/api/telemetry', { params: { query: { operationId: op.id } }, body: { metricName: metric, value: 42 } as never });
      expect(sent.response.status).toBe(201);
    }
    const w = await newContext(browser, { width: 390, height: 844, colorScheme: 'dark' });
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await shot(page, '32-phone-navigation', { fullPage: false });
    await page.getByRole('link', { name: /Alarms/ }).click();
    await page.getByTestId('alarm-row').filter({ hasText: 'tank_level' }).waitFor();
    await page.getByTestId('alarm-row').filter({ hasText: 'line_pressure' }).waitFor();
    await page.getByRole('button', { name: 'Unacknowledged' }).click();
    await expect.poll(() => page.getByTestId('alarm-row').count()).toBe(2);
    await page.getByLabel('Select all active alarms').check();
    await page.getByText('2 selected').waitFor();
    await shot(page, '33-alarms-phone-bulk');
    await page.getByRole('toolbar', { name: 'Bulk actions' }).getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('All clear').waitFor();
    await page.getByRole('button', { name: 'Active' }).click();
    const rows = page.getByTestId('alarm-row');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByLabel('Select all active alarms').check();
    await page.getByRole('toolbar', { name: 'Bulk actions' }).getByRole('button', { name: 'Clear' }).click();
    await page.getByText('All clear').waitFor();
    await page.getByRole('button', { name: 'All' }).click();
    await expect.poll(() => rows.count()).toBe(history + 2);
    await shot(page, '34-alarms-phone-all');
    expectNoErrors(w);
    await w.context.close();
  });
});
