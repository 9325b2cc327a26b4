import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, inject, onTestFailed } from 'vitest';

export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Console errors and uncaught exceptions of every page of a context; the journeys expect none. */
export interface Watched {
  context: BrowserContext;
  errors: string[];
  page: Page;
}

export async function newContext(browser: Browser, opts: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; timezoneId?: string } = {}): Promise<Watched> {
  const context = await browser.newContext({
    baseURL: inject('baseUrl'),
    viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 },
    colorScheme: opts.colorScheme ?? 'light',
    timezoneId: opts.timezoneId ?? 'Europe/Paris',
    locale: 'en-GB',
    deviceScaleFactor: 1,
  });
  const errors: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  };
  context.on('page', watch);
  const page = await context.newPage();
  // On failure: what every page of this context showed, for the post-mortem.
  onTestFailed(async ({ task }) => {
    const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    for (const [i, p] of context.pages().entries()) {
      await p.screenshot({ path: path.join(ARTIFACTS, `FAILED-${name}-${i}.png`), fullPage: true }).catch(() => undefined);
    }
    if (errors.length) console.log(`[e2e] browser errors before the failure:\n${errors.join('\n')}`);
  });
  return { context, errors, page };
}

/**
 * No console errors and no uncaught exceptions. `allowStatuses`: HTTP statuses a journey provokes
 * on purpose (e.g. 400 when it submits an invalid form), which Chromium logs as "Failed to load resource".
 */
export function expectNoErrors(w: Watched, allowStatuses: number[] = []) {
  const unexpected = w.errors.filter((e) => !allowStatuses.some((s) => e.includes(`Failed to load resource: the server responded with a status of ${s} `)));
  expect(unexpected, `browser errors:\n${unexpected.join('\n')}`).toEqual([]);
}

/** Full-page screenshot into e2e/artifacts/<name>.png. */
export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Let transitions and fonts settle.
  await page.evaluate(() => document.fonts.ready);
  // Full-page captures of a scrolled page smear the sticky header and sidebar: start from the top.
  if (opts.fullPage ?? true) await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: opts.fullPage ?? true, animations: 'disabled' });
}

/** Signs in through the login page; resolves once the dashboard shows. */
export async function login(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function loginAndWait(page: Page, email: string, password: string) {
  await login(page, email, password);
  await page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();
}
