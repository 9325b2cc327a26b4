import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, client, createUser } from './support/api.ts';
import { expectNoErrors, launch, login, loginAndWait, newContext, shot } from './support/browser.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => browser?.close());

describe('outgoing messages', () => {
  it('lists the mail the server sent (the e2e server mails a local SMTP stand-in), says which channels only log, and agents do not see the page', async () => {
    // A ticket from the public form: its confirmation mail is queued and sent to the SMTP stand-in
    // (support/mailbox.ts). The warning for a server without SMTP_URL is the delivery API's
    // `email: log` (outgoing-messages.test.ts) and the start-up warning (config.test.ts).
    const me = (await client(await adminToken()).GET('/api/auth/me')).data as { org: { slug: string } };
    const to = `caller.${Date.now().toString(36)}@example.test`;
    const sent = await client().POST('/api/tickets/public', {
      params: { query: { org: me.org.slug } },
      body: { name: 'Form Filler', email: to, subject: 'Heating broken', description: 'Since this morning.' },
    });
    expect(sent.response.status, JSON.stringify(sent.error)).toBe(201);

    const w = await newContext(browser);
    const { page } = w;
    await loginAndWait(page, inject('adminEmail'), inject('adminPassword'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outgoing messages' }).click();
    await page.getByRole('heading', { level: 1, name: 'Outgoing messages' }).waitFor();
    await page.getByText('SMS and WhatsApp messages are only logged').waitFor();
    expect(await page.getByTestId('mail-logged-warning').count()).toBe(0);
    const row = page.getByTestId('message-row').filter({ hasText: to });
    await expect.poll(() => row.count(), { timeout: 15_000, interval: 500 }).toBe(1);
    await expect.poll(async () => (await row.textContent()) ?? '', { timeout: 15_000 }).toContain('Sent');
    await shot(page, '120-outgoing-messages');
    expect(await row.textContent()).not.toContain('Logged only');
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => row.count()).toBe(0);
    expectNoErrors(w);
    await w.context.close();

    const agent = await createUser(await adminToken(), ['agent']);
    const a = await newContext(browser);
    await login(a.page, agent.email, agent.password);
    await a.page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await a.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outgoing messages' }).count()).toBe(0);
    await a.context.close();
  });
});
