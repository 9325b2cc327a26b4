import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client } from './support/api.ts';
import { expectNoErrors, launch, loginAndWait, newContext, shot } from './support/browser.ts';

const exec = promisify(execFile);
const has = (bin: string) => fs.existsSync(`/usr/bin/${bin}`);

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('device connection details and editing', () => {
  it('the curl and mosquitto_pub examples shown with a new key work as pasted; the device is edited; a rotated key shows them anew', async () => {
    const api = client(await adminToken());
    const op = (await api.POST('/api/operations', { body: { name: 'Pumping station 7', priority: 'medium' } })).data!;
    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.goto('/admin/devices');
    await page.getByRole('button', { name: 'Register device' }).click();
    const name = `Level probe ${Date.now().toString(36)}`;
    const form = page.getByRole('dialog', { name: 'Register a device' });
    await form.getByLabel('Name').fill(name);
    await form.getByRole('button', { name: 'Register device' }).click();
    const shown = page.getByRole('dialog', { name: `${name} is registered` });
    const key = await shown.getByTestId('secret-value').inputValue();
    const curl = (await shown.getByTestId('curl-example').textContent())!;
    const mqtt = (await shown.getByTestId('mqtt-example').textContent())!;
    await shot(page, '98-device-connection-details', { fullPage: false });
    const device = (await api.GET('/api/devices', { params: { query: { limit: 200 } } })).data!.data.find((d) => d.name === name)!;
    // Filled in: the console's own address, this device's id and key, no placeholder left.
    expect(curl).toContain(`${inject('baseUrl')}/api/telemetry`);
    expect(curl).toContain(`X-Device-Key: ${key}`);
    expect(mqtt).toContain(`-u '${device.id}' -P '${key}'`);
    expect(mqtt).toContain(`imsop/devices/${device.id}/telemetry`);
    expect(curl + mqtt).not.toMatch(/\{device(Id|Key)\}/);
    await shown.getByRole('button', { name: 'Done' }).click();

    const latest = async (metric: string) => (await api.GET('/api/telemetry/latest', { params: { query: { deviceId: device.id, metric } } })).data!.data[0]?.lastValue;
    if (has('curl')) {
      const { stdout } = await exec('sh', ['-c', `${curl} -s -o /dev/null -w '%{http_code}'`]);
      expect(stdout).toBe('201');
      expect(await latest('temperature')).toBe(21.5);
    }
    if (has('mosquitto_pub')) {
      await exec('sh', ['-c', mqtt.replace('"value":21.5', '"value":23.25')], { timeout: 10_000 });
      await expect.poll(() => latest('temperature'), { timeout: 10_000 }).toBe(23.25);
    }

    // Edit: a new name, the operation, a position; the key stays.
    const row = page.getByTestId('device-row').filter({ hasText: name });
    await row.getByRole('button', { name: `Actions for ${name}` }).click();
    await page.getByRole('menuitem', { name: 'Edit device' }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${name}` });
    await expect(edit.getByLabel('Name').inputValue()).resolves.toBe(name);
    await edit.getByLabel('Name').fill(`${name} (tank 2)`);
    await edit.getByLabel('Operation').selectOption({ label: 'Pumping station 7' });
    await edit.getByLabel('Latitude').fill('200');
    await edit.getByLabel('Longitude').fill('4.5');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => edit.getByLabel('Latitude').getAttribute('aria-invalid')).toBe('true');
    await shot(page, '99-device-edit-error', { fullPage: false });
    await edit.getByLabel('Latitude').fill('45.1');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('device-row').filter({ hasText: `${name} (tank 2)` }).waitFor();
    const after = (await api.GET('/api/devices/{id}', { params: { path: { id: device.id } } })).data!;
    expect(after).toMatchObject({ name: `${name} (tank 2)`, operationId: op.id, metadata: { lat: 45.1, lng: 4.5 } });
    expect((await client().POST('/api/telemetry', { body: { metricName: 'level', value: 1 } as never, headers: { 'x-device-key': key } })).response.status).toBe(201);

    // Rotate: the details come again with the new key.
    await page.getByRole('button', { name: `Actions for ${name} (tank 2)` }).click();
    await page.getByRole('menuitem', { name: 'Rotate key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
    const rotated = page.getByRole('dialog', { name: `New key for ${name} (tank 2)` });
    const newKey = await rotated.getByTestId('secret-value').inputValue();
    expect(await rotated.getByTestId('curl-example').textContent()).toContain(`X-Device-Key: ${newKey}`);
    expect(await rotated.getByTestId('mqtt-example').textContent()).toContain(`-P '${newKey}'`);
    expectNoErrors(w);
    await w.context.close();
  });
});
