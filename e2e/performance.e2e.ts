import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client } from './support/api.ts';
import { ARTIFACTS, expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
  // Something to show: an operation with a live-looking series (the journeys may run alone).
  const api = client(await adminToken());
  const op = (await api.POST('/api/operations', { body: { name: 'Substation thermal survey', priority: 'medium', type: 'inspection' } })).data!;
  const now = Date.now();
  const points = Array.from({ length: 40 }, (_, i) => ({ metricName: 'transformer_temp', unit: '°C', value: 55 + Math.sin(i / 5) * 4, timestamp: new Date(now - (40 - i) * 60_000).toISOString(), operationId: op.id }));
  await api.POST('/api/telemetry/batch', { body: points as never });
});
afterAll(async () => browser?.close());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('performance', () => {
  it('initial JS of the production build is at most 250 kB gzip', () => {
    const stats = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../apps/web/dist/bundle-stats.json'), 'utf8')) as {
      initialJsGzip: number;
      totalJsGzip: number;
      chunks: { file: string; initial: boolean }[];
    };
    const lazy = stats.chunks.filter((c) => !c.initial).length;
    console.log(`[perf] initial JS ${(stats.initialJsGzip / 1024).toFixed(1)} kB gzip; all JS ${(stats.totalJsGzip / 1024).toFixed(1)} kB gzip; ${lazy} lazy chunks`);
    expect(stats.initialJsGzip).toBeLessThanOrEqual(250 * 1024);
    // Split per route: every page is its own chunk.
    for (const page of [
      'DashboardPage',
      'OperationsPage',
      'OperationDetailPage',
      'AlarmsPage',
      'UsersPage',
      'LoginPage',
      'TelemetryExplorerPage',
      'MapPage',
      'RolesPage',
      'ApiKeysPage',
      'DevicesPage',
      'AuditPage',
      'OrgSettingsPage',
    ]) {
      expect(stats.chunks.some((c) => !c.initial && c.file.includes(page)), page).toBe(true);
    }
  });

  it('hashed assets are cached for a year; index.html and the unhashed files are revalidated', async () => {
    const base = new URL(inject('baseUrl'));
    const stats = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../apps/web/dist/bundle-stats.json'), 'utf8')) as { chunks: { file: string }[] };
    const cacheOf = async (p: string, accept = '*/*') => {
      const res = await fetch(new URL(p, base), { headers: { accept } });
      expect(res.status, p).toBe(200);
      return res.headers.get('cache-control');
    };
    expect(await cacheOf(stats.chunks[0]!.file)).toBe('public, max-age=31536000, immutable');
    expect(await cacheOf('/favicon.svg')).toBe('no-cache');
    expect(await cacheOf('/boot.js')).toBe('no-cache');
    expect(await cacheOf('/', 'text/html')).toBe('no-cache');
    expect(await cacheOf('/operations', 'text/html')).toBe('no-cache');
  });

  it('dashboard largest contentful paint on localhost, cold cache', async () => {
    const base = new URL(inject('baseUrl'));
    const runs: { lcp: number; element: string; dcl: number }[] = [];
    for (let i = 0; i < 7; i++) {
      // A fresh browser context each time (nothing cached) holding a fresh session's refresh
      // cookie, as after a sign-in: the page signs in silently, then renders the dashboard.
      const login = await client().POST('/api/auth/login', { body: { email: inject('adminEmail'), password: inject('adminPassword') } });
      const refresh = login.data && !login.data.mfaRequired ? login.data.refreshToken : '';
      const ctx = await browser.newContext({
        baseURL: base.origin,
        viewport: { width: 1440, height: 900 },
        storageState: {
          cookies: [{ name: 'imsop_refresh', value: refresh, domain: base.hostname, path: '/api/auth', httpOnly: true, secure: false, sameSite: 'Strict', expires: -1 }],
          origins: [{ origin: base.origin, localStorage: [{ name: 'imsop.signedIn', value: '1' }] }],
        },
      });
      const page = await ctx.newPage();
      await page.goto('/', { waitUntil: 'load' });
      await page.getByTestId('kpis').waitFor();
      await page.waitForLoadState('networkidle');
      const r = await page.evaluate(
        () =>
          new Promise<{ lcp: number; element: string; dcl: number }>((resolve) => {
            let lcp = 0;
            let element = '';
            new PerformanceObserver((list) => {
              for (const e of list.getEntries() as (PerformanceEntry & { element?: Element })[]) {
                lcp = e.startTime;
                element = e.element ? `${e.element.tagName.toLowerCase()} "${(e.element.textContent ?? '').trim().slice(0, 40)}"` : '';
              }
            }).observe({ type: 'largest-contentful-paint', buffered: true });
            const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
            setTimeout(() => resolve({ lcp, element, dcl: nav.domContentLoadedEventEnd }), 500);
          }),
      );
      runs.push(r);
      await ctx.close();
    }
    const lcps = runs.map((r) => r.lcp);
    const load = os.loadavg()[0]!;
    const cpus = os.cpus().length;
    const result = {
      runs: runs.length,
      lcpMedianMs: Math.round(median(lcps)),
      lcpMinMs: Math.round(Math.min(...lcps)),
      lcpMaxMs: Math.round(Math.max(...lcps)),
      element: runs[runs.length - 1]!.element,
      domContentLoadedMedianMs: Math.round(median(runs.map((r) => r.dcl))),
      loadAverage: Math.round(load * 10) / 10,
      cpus,
    };
    console.log(
      `[perf] dashboard LCP median ${result.lcpMedianMs} ms (min ${result.lcpMinMs}, max ${result.lcpMaxMs}) over ${result.runs} cold loads; ` +
        `element ${result.element}; host load ${result.loadAverage} on ${cpus} CPUs`,
    );
    fs.writeFileSync(path.join(ARTIFACTS, 'perf.json'), JSON.stringify(result, null, 2));
    // The budget is asserted when the browser gets the CPU it needs: on a host already running
    // more than one job per core (other suites, benchmarks), the figure is printed but says more
    // about the neighbours. E2E_STRICT_PERF=1 asserts it regardless.
    if (process.env.E2E_STRICT_PERF === '1' || load / cpus <= 1) expect(result.lcpMedianMs).toBeLessThan(1500);
    else console.warn(`[perf] LCP budget (1500 ms) not asserted: the host is oversubscribed (load ${result.loadAverage} on ${cpus} CPUs).`);
  });

  it('dark mode and the remaining pages look right', async () => {
    const w = await newContext(browser, { colorScheme: 'dark' });
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByTestId('spark-tile').first().waitFor();
    await shot(page, '50-dashboard-dark');
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByTestId('operation-row').filter({ hasText: 'Substation thermal survey' }).first().click();
    await page.getByTestId('operation-telemetry').getByRole('img', { name: /transformer_temp/ }).waitFor();
    await shot(page, '51-operation-detail-dark');
    // The theme menu overrides the system.
    await page.getByRole('button', { name: /^Theme/ }).click();
    await page.getByRole('menuitemradio', { name: 'Light' }).click();
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(false);
    await page.goto('/no/such/page');
    await page.getByText('This page does not exist').waitFor();
    await shot(page, '52-not-found');
    await page.goto('/');
    await page.getByTestId('spark-tile').first().waitFor();
    await shot(page, '53-dashboard-light');
    expectNoErrors(w);
    await w.context.close();
  });
});
