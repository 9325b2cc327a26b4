import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot, type Watched } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

/**
 * Cuts the context off the internet: any request to a host other than the server's is aborted
 * and recorded, so a page that needs a tile server or a CDN would fail and be caught.
 */
async function offline(w: Watched) {
  const server = new URL(inject('baseUrl')).host;
  const outside: string[] = [];
  await w.context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.host === server) return route.continue();
    outside.push(url.href);
    return route.abort('internetdisconnected');
  });
  return outside;
}

describe('map', () => {
  it('draws operations and devices on a bundled basemap with no request leaving the server, and links to them', async () => {
    const api = client(await adminToken());
    const suffix = Date.now().toString(36);
    const sites = [
      { name: `Lyon water works ${suffix}`, lat: 45.76, lng: 4.83, status: 'in_progress' },
      { name: `Grenoble dam survey ${suffix}`, lat: 45.19, lng: 5.72, status: 'pending' },
      { name: `Marseille port audit ${suffix}`, lat: 43.3, lng: 5.37, status: 'completed' },
      { name: `Nice pumping station ${suffix}`, lat: 43.7, lng: 7.26, status: 'failed' },
    ] as const;
    const ids: string[] = [];
    for (const s of sites) {
      const op = await api.POST('/api/operations', { body: { name: s.name, priority: 'medium', location: { text: s.name.split(' ')[0]!, lat: s.lat, lng: s.lng } } });
      expect(op.response.status).toBe(201);
      ids.push(op.data!.id);
      if (s.status !== 'pending') {
        await api.PATCH('/api/operations/{id}', { params: { path: { id: op.data!.id } }, body: { status: 'in_progress' } });
        if (s.status !== 'in_progress') await api.PATCH('/api/operations/{id}', { params: { path: { id: op.data!.id } }, body: { status: s.status } });
      }
    }
    // A device placed by its metadata, and one that follows its operation.
    const placed = await api.POST('/api/devices', { body: { name: `Avignon level sensor ${suffix}`, metadata: { lat: 43.95, lng: 4.81 } } });
    const follower = await api.POST('/api/devices', { body: { name: `Lyon flow meter ${suffix}`, operationId: ids[0]! } });
    expect(placed.response.status).toBe(201);
    expect(follower.response.status).toBe(201);

    const w = await newContext(browser);
    const { page } = w;
    const outside = await offline(w);
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Map' }).click();
    const map = page.getByTestId('map');
    await map.waitFor();
    // The basemap: the countries of Natural Earth, drawn from the console's own assets.
    await expect.poll(() => map.locator('svg path').count()).toBeGreaterThan(150);
    for (const s of sites) await map.getByRole('link', { name: new RegExp(`^Operation ${s.name}`) }).waitFor();
    const nice = map.getByRole('link', { name: new RegExp(`^Operation ${sites[3].name}`) });
    expect(await nice.getAttribute('data-status')).toBe('failed');
    await map.getByRole('link', { name: new RegExp(`^Device Avignon level sensor ${suffix}`) }).waitFor();
    await map.getByRole('link', { name: new RegExp(`^Device Lyon flow meter ${suffix}`) }).waitFor();
    // Framed on the markers (south-east France), not the whole world.
    expect(Number(await map.getAttribute('data-zoom'))).toBeGreaterThan(4);
    await shot(page, '70-map');

    // Keyboard and buttons zoom; zooming in far enough swaps in the 1:50m basemap (still local).
    const k0 = Number(await map.getAttribute('data-zoom'));
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(async () => Number(await map.getAttribute('data-zoom'))).toBeGreaterThan(k0);
    await map.focus();
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    await expect.poll(async () => Number(await map.getAttribute('data-zoom'))).toBeLessThan(k0);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('0');
    await expect.poll(async () => Number(await map.getAttribute('data-zoom'))).toBeCloseTo(k0, 1);
    // Hiding a status hides its markers.
    await page.getByRole('group', { name: 'Show on the map' }).getByRole('button', { name: 'Failed' }).click();
    await expect.poll(() => nice.count()).toBe(0);
    await page.getByRole('group', { name: 'Show on the map' }).getByRole('button', { name: 'Failed' }).click();

    // A marker is a link to its operation.
    await map.getByRole('link', { name: new RegExp(`^Operation ${sites[0].name}`) }).click();
    await page.getByRole('heading', { level: 1, name: sites[0].name }).waitFor();
    expect(outside, `requests that left the server:\n${outside.join('\n')}`).toEqual([]);
    expectNoErrors(w);
    await w.context.close();
  });

  it('dark mode; zoomed in, the medium-scale basemap also comes from the server', async () => {
    const w = await newContext(browser, { colorScheme: 'dark' });
    const { page } = w;
    const outside = await offline(w);
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    // Zoomed in past a country's scale, the medium-scale basemap is fetched, from the server too.
    const medium = page.waitForResponse((r) => r.url().includes('countries-50m'), { timeout: 20_000 });
    await page.goto('/map');
    await page.getByTestId('map-marker').first().waitFor();
    await shot(page, '71-map-dark');
    const map = page.getByTestId('map');
    await map.focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('+');
    await expect.poll(async () => Number(await map.getAttribute('data-zoom'))).toBeGreaterThan(6);
    expect((await medium).status()).toBe(200);
    await page.keyboard.press('0');
    await page.keyboard.press('+');
    await page.waitForTimeout(500);
    await shot(page, '72-map-zoomed-dark', { fullPage: false });
    expect(outside).toEqual([]);
    expectNoErrors(w);
    await w.context.close();
  });
});
