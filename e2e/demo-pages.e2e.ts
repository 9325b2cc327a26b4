import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImsopClient } from '@imsop/sdk';
import { ARTIFACTS, expectNoErrors, launch, newContext, shot, type Watched } from './support/browser.ts';
import { IMSOP, ROOT, serverEnv, startServer, type RunningServer } from './support/server.ts';

/**
 * The demo organization in the console: a server of its own on a new data directory with
 * `imsop demo` loaded, then every page of the console, once on a desktop (each screenshot shows
 * data: no empty state, nothing still loading) and once on a 390 px phone (no page scrolls sideways).
 */
const ADMIN_EMAIL = 'demo-admin@imsop.test';
const ADMIN_PASSWORD = 'Harbour-Lights-Evening-4';
const run = promisify(execFile);

let browser: Browser;
let server: RunningServer;
let dataDir = '';
/** `allowEmpty`: true, or the titles of empty states that are the truth for the demo's administrator. */
const pages: { name: string; path: string; allowEmpty?: true | string[] }[] = [
  { name: 'dashboard', path: '/' },
  { name: 'operations', path: '/operations' },
  { name: 'operation', path: '' },
  { name: 'operation-new', path: '/operations/new', allowEmpty: true },
  { name: 'alarms', path: '/alarms' },
  { name: 'alert-rules', path: '/alarms/rules' },
  { name: 'telemetry', path: '/telemetry' },
  { name: 'map', path: '/map' },
  { name: 'tickets', path: '/tickets' },
  // The newest ticket's requester wrote once.
  { name: 'ticket', path: '', allowEmpty: ['No other tickets'] },
  // The administrator is no agent: no ticket of theirs is due.
  { name: 'agent', path: '/servicedesk/agent', allowEmpty: ['Nothing due soon'] },
  { name: 'manager', path: '/servicedesk/manager' },
  { name: 'executive', path: '/servicedesk/executive' },
  { name: 'servicedesk-admin', path: '/admin/servicedesk' },
  // The demo invites nobody.
  { name: 'users', path: '/admin/users', allowEmpty: ['No pending invitations'] },
  // The demo's people never signed in themselves.
  { name: 'user', path: '', allowEmpty: ['Not signed in anywhere'] },
  { name: 'roles', path: '/admin/roles' },
  { name: 'api-keys', path: '/admin/api-keys' },
  // No durable subscriptions unless an integrator adds one.
  { name: 'subscriptions', path: '/admin/subscriptions', allowEmpty: true },
  { name: 'devices', path: '/admin/devices' },
  { name: 'audit', path: '/admin/audit' },
  { name: 'messages', path: '/admin/messages' },
  { name: 'organizations', path: '/admin/organizations' },
  { name: 'org', path: '/admin/org' },
  { name: 'sessions', path: '/account/sessions' },
  { name: 'security', path: '/account/security', allowEmpty: true },
  { name: 'support-form', path: '/support/default', allowEmpty: true },
];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-e2e-demo-'));
  const env = serverEnv(dataDir, { IMSOP_ADMIN_EMAIL: ADMIN_EMAIL, IMSOP_ADMIN_PASSWORD: ADMIN_PASSWORD });
  // Loaded with no server running: the CLI opens the new data directory itself.
  const loaded = await run(process.execPath, [IMSOP, 'demo', '--password', 'Demo-Users-Passphrase-1'], { cwd: ROOT, env });
  expect(loaded.stdout).toMatch(/Loaded the demo organization "Harbourside Utilities"/);
  server = await startServer(env, path.join(ARTIFACTS, 'server-demo.log'));
  const api = createImsopClient({ baseUrl: server.baseUrl });
  const { data: session } = await api.POST('/api/auth/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  if (!session || session.mfaRequired) throw new Error('the demo admin could not sign in');
  const signedIn = createImsopClient({ baseUrl: server.baseUrl, token: session.accessToken });
  // An operation with telemetry of its own, and the newest ticket.
  const { data: series } = await signedIn.GET('/api/telemetry/latest', {});
  const { data: tickets } = await signedIn.GET('/api/tickets', { params: { query: { limit: 1 } } });
  pages.find((p) => p.name === 'operation')!.path = `/operations/${series!.data.find((s) => s.operationId)!.operationId}`;
  pages.find((p) => p.name === 'ticket')!.path = `/tickets/${tickets!.data[0]!.id}`;
  const { data: people } = await signedIn.GET('/api/users', { params: { query: { q: 'harbourside', limit: 1 } } });
  pages.find((p) => p.name === 'user')!.path = `/admin/users/${people!.data[0]!.id}`;
  browser = await launch();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(w: Watched) {
  await w.page.goto('/login');
  await w.page.getByLabel('Email').fill(ADMIN_EMAIL);
  await w.page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await w.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await w.page.getByRole('heading', { level: 1, name: /^Good (morning|afternoon|evening)/ }).waitFor();
}

/** Opens a page and waits until it has settled: its heading shows and nothing is loading. */
async function open(page: Page, to: string) {
  await page.goto(to);
  await page.locator('h1').first().waitFor();
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => document.querySelectorAll('[aria-label="Loading"], [aria-busy="true"]').length === 0, undefined, { timeout: 20_000 });
}

/** Opens a page and says (with a screenshot) whether it scrolls sideways, naming the widest element. */
async function sideways(page: Page, to: string, screenshot: string): Promise<string[]> {
  await open(page, to);
  const { scroll, width, culprit } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    let culprit = '';
    let right = width;
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      if (r.right > right + 1) {
        right = r.right;
        culprit = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${Array.from(el.classList).slice(0, 4).join('.')} (${Math.round(r.right)} px)`;
      }
    }
    return { scroll: document.documentElement.scrollWidth, width, culprit };
  });
  await shot(page, screenshot);
  return scroll > width ? [`${to}: ${scroll} px wide for ${width}; widest: ${culprit}`] : [];
}

describe('the demo organization in the console', () => {
  it('every page shows data on a desktop', { timeout: 300_000 }, async () => {
    const w = await newContext(browser, { baseUrl: server.baseUrl, timezoneId: 'Europe/London' });
    await signIn(w);
    const empty: string[] = [];
    for (const p of pages) {
      await open(w.page, p.path);
      if (p.allowEmpty !== true) {
        for (const text of await w.page.locator('[data-empty-state]').allInnerTexts()) {
          if (!p.allowEmpty?.some((title) => text.startsWith(title))) empty.push(`${p.name}: ${text}`);
        }
      }
      await shot(w.page, `95-demo-${p.name}`);
    }
    expect(empty, 'pages that show an empty state with the demo loaded').toEqual([]);
    expectNoErrors(w);
    await w.context.close();
  });

  it('no page scrolls sideways on a 390 px phone, signed in or not', { timeout: 300_000 }, async () => {
    const w = await newContext(browser, { baseUrl: server.baseUrl, width: 390, height: 844, timezoneId: 'Europe/London' });
    const wide: string[] = [];
    // The pages a person sees before signing in.
    for (const p of ['/login', '/forgot-password']) wide.push(...(await sideways(w.page, p, `96-phone-signed-out${p.replace(/\//g, '-')}`)));
    await signIn(w);
    for (const p of pages) wide.push(...(await sideways(w.page, p.path, `96-phone-${p.name}`)));
    expect(wide, 'pages that scroll sideways at 390 px').toEqual([]);
    expectNoErrors(w);
    await w.context.close();
  });
});
