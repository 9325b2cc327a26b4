import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../apps/server/test/faults/services.ts';
import { startMailbox } from './mailbox.ts';
import { startServer, serverEnv, type RunningServer } from './server.ts';

const root = path.resolve(import.meta.dirname, '../..');
export const ADMIN_EMAIL = 'e2e-admin@imsop.test';
export const ADMIN_PASSWORD = 'Quartz-Lantern-Meadow-7';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** PUBLIC_URL of the server: http://localhost:<its port>, the origin passkeys are bound to (an IP address cannot be a WebAuthn RP id). */
    publicUrl: string;
    /** The JSON-lines file of the mail the server sent (support/mailbox.ts). */
    mailbox: string;
    adminEmail: string;
    adminPassword: string;
  }
}

let server: RunningServer | null = null;
let dataDir = '';
let mailbox: Awaited<ReturnType<typeof startMailbox>> | null = null;

/**
 * Builds the console when its sources changed (the same script `npm start` runs), then starts the
 * real server on a free port with a throwaway data directory and a known administrator.
 */
export async function setup(project: TestProject) {
  const build = spawnSync(process.execPath, [path.join(root, 'apps/web/scripts/ensure-build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the console build failed');
  fs.mkdirSync(path.join(root, 'e2e/artifacts'), { recursive: true });

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-e2e-'));
  // Mail goes out over SMTP to a local stand-in, which keeps it for the journeys (invitations, password resets).
  const mailboxFile = path.join(dataDir, 'mailbox.jsonl');
  mailbox = await startMailbox(mailboxFile);
  // A free port chosen here rather than by the server, so PUBLIC_URL (the links it mails, the
  // passkeys' origin) can name it.
  const port = await freePort();
  const publicUrl = `http://localhost:${port}`;
  const env = serverEnv(dataDir, {
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    IMSOP_ADMIN_EMAIL: ADMIN_EMAIL,
    IMSOP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // The service desk journey: its public form submissions and uploads come from 127.0.0.1 too,
    // and an SLA breach must be recorded within seconds of its due time.
    TICKET_FORM_RATE_LIMIT: '1000',
    SLA_TICK_SECONDS: '2',
    SMTP_URL: mailbox.url,
    MAIL_FROM: 'IMSOP <noreply@imsop.test>',
  });
  server = await startServer(env, path.join(root, 'e2e/artifacts/server.log'));
  // The browser and the API clients use the public URL, as people do: the links the server mails,
  // the SSO callback (whose state cookie must come back to the same host) and the passkeys' origin
  // all name it, and a cookie set on 127.0.0.1 is not sent to localhost.
  console.log(`[e2e] server at ${publicUrl}, listening on ${server.baseUrl} (data dir ${dataDir})`);
  project.provide('baseUrl', publicUrl);
  project.provide('publicUrl', publicUrl);
  project.provide('adminEmail', ADMIN_EMAIL);
  project.provide('adminPassword', ADMIN_PASSWORD);
  project.provide('mailbox', mailboxFile);
}

export async function teardown() {
  const t0 = Date.now();
  await server?.stop();
  await mailbox?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`[e2e] server stopped in ${Date.now() - t0} ms`);
}
