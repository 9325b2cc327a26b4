import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

/** The interval of every GET /api/telemetry the page makes (the chart's queries, not /latest). */
function telemetryQueries(urls: string[]) {
  return urls
    .map((u) => new URL(u))
    .filter((u) => u.pathname === '/api/telemetry')
    .map((u) => ({ interval: u.searchParams.get('interval'), from: Date.parse(u.searchParams.get('from')!), to: Date.parse(u.searchParams.get('to')!) }));
}

describe('telemetry explorer', () => {
  it('charts an ingested series, re-queries the server at a finer interval on zoom, and appends live points', async () => {
    const api = client(await adminToken());
    const created = await api.POST('/api/devices', { body: { name: `Flow meter ${Date.now().toString(36)}`, type: 'meter', metadata: { lat: 45.76, lng: 4.83 } } });
    expect(created.response.status).toBe(201);
    const device = created.data!;
    // Six hours of history, one point a minute, ending two minutes ago; sent with the device's own key.
    const now = Date.now();
    const history = Array.from({ length: 360 }, (_, i) => ({
      metricName: 'flow_rate',
      unit: 'm³/h',
      value: Math.round((40 + 12 * Math.sin(i / 30) + (i % 7)) * 10) / 10,
      timestamp: new Date(now - (362 - i) * 60_000).toISOString(),
    }));
    const sent = await client().POST('/api/telemetry/batch', { body: history as never, headers: { 'x-device-key': device.key } });
    expect(sent.response.status, JSON.stringify(sent.error)).toBe(201);

    const w = await newContext(browser);
    const { page } = w;
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Telemetry' }).click();
    await page.getByRole('heading', { level: 1, name: 'Telemetry explorer' }).waitFor();
    await page.getByLabel('Device').selectOption(device.id);
    const chart = page.getByTestId('explorer-chart');
    await chart.getByRole('img', { name: /flow_rate/ }).waitFor();
    // The last 24 hours, drawn at 5-minute buckets by the server: 6 hours of data → about 72 buckets.
    await expect.poll(() => chart.getAttribute('data-interval')).toBe('5m');
    const buckets = Number(await chart.getAttribute('data-points'));
    expect(buckets).toBeGreaterThan(60);
    expect(buckets).toBeLessThan(80);
    await page.locator('[data-testid=realtime-status][data-status=live]').waitFor();
    await shot(page, '60-telemetry-explorer');

    // Drag across an hour or so of the chart: the page asks the server again, at 1-minute buckets,
    // for exactly the selected range, and shows one point per minute.
    const before = telemetryQueries(urls).length;
    const over = chart.locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.84, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.88, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL(/range=custom/);
    await expect.poll(() => chart.getAttribute('data-interval')).toBe('1m');
    const zoomQuery = telemetryQueries(urls).slice(before).find((q) => q.interval === '1m');
    expect(zoomQuery, JSON.stringify(telemetryQueries(urls))).toBeDefined();
    const span = zoomQuery!.to - zoomQuery!.from;
    expect(span).toBeGreaterThan(30 * 60_000);
    expect(span).toBeLessThan(3 * 3_600_000);
    await expect.poll(async () => Number(await chart.getAttribute('data-points'))).toBeGreaterThan(25);
    await shot(page, '61-telemetry-explorer-zoomed');

    // Zoom out is a button too (keyboard users), and the URL keeps each zoom for the back button.
    await page.getByRole('button', { name: 'Zoom out', exact: true }).click();
    await expect.poll(async () => Number(await chart.getAttribute('data-to')) - Number(await chart.getAttribute('data-from'))).toBeGreaterThan(span * 1.9);
    await page.goBack();
    await expect.poll(() => chart.getAttribute('data-interval')).toBe('1m');

    // Back to a live range: a new point arrives over the device topic and the chart grows.
    await page.getByRole('button', { name: '1h', exact: true }).click();
    await page.locator('#chart-title').getByText('Live', { exact: true }).waitFor();
    await expect.poll(() => chart.getAttribute('data-interval')).toBe('1m');
    const live = Number(await chart.getAttribute('data-points'));
    const point = await client().POST('/api/telemetry', { body: { metricName: 'flow_rate', value: 97.5, unit: 'm³/h' } as never, headers: { 'x-device-key': device.key } });
    expect(point.response.status).toBe(201);
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(live);
    await page.getByText('97.5 m³/h').first().waitFor(); // the latest value (and the maximum)

    // Aggregation and interval are the user's to choose; raw points come straight from the table.
    await page.getByLabel('Aggregation').selectOption('max');
    await expect.poll(() => telemetryQueries(urls).some((q) => q.interval === '1m' && urls.some((u) => u.includes('agg=max')))).toBe(true);
    await page.getByLabel('Aggregation').selectOption('none');
    await expect.poll(() => urls.some((u) => u.includes('/api/telemetry?') && u.includes('agg=none'))).toBe(true);
    await page.getByText(/· raw points/).waitFor();
    await shot(page, '62-telemetry-explorer-raw');
    expectNoErrors(w);
    await w.context.close();
  });

  it('says so when nothing is there, and looks right in dark mode', async () => {
    const api = client(await adminToken());
    const quiet = (await api.POST('/api/devices', { body: { name: `Quiet gateway ${Date.now().toString(36)}` } })).data!;
    const w = await newContext(browser, { colorScheme: 'dark', width: 1024, height: 768 });
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.goto(`/telemetry?device=${quiet.id}`);
    await page.getByText('This device has sent no telemetry').waitFor();
    await shot(page, '63-telemetry-explorer-empty-dark');
    // Pick the series from the first journey again (any device with data).
    const devices = (await api.GET('/api/devices')).data!.data;
    const meter = devices.find((d) => d.name.startsWith('Flow meter'))!;
    await page.goto(`/telemetry?device=${meter.id}&range=7d`);
    await page.getByTestId('explorer-chart').getByRole('img', { name: /flow_rate/ }).waitFor();
    await expect.poll(() => page.getByTestId('explorer-chart').getAttribute('data-interval')).toBe('1h');
    await shot(page, '64-telemetry-explorer-dark-1024');
    expectNoErrors(w);
    await w.context.close();
  });
});
