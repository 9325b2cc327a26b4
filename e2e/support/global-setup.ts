import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startServer, serverEnv, type RunningServer } from './server.ts';

const root = path.resolve(import.meta.dirname, '../..');
export const ADMIN_EMAIL = 'e2e-admin@imsop.test';
export const ADMIN_PASSWORD = 'Quartz-Lantern-Meadow-7';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    adminEmail: string;
    adminPassword: string;
  }
}

let server: RunningServer | null = null;
let dataDir = '';

/**
 * Builds the console when its sources changed (the same script `npm start` runs), then starts the
 * real server on a free port with a throwaway data directory and a known administrator.
 */
export async function setup(project: TestProject) {
  const build = spawnSync(process.execPath, [path.join(root, 'apps/web/scripts/ensure-build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the console build failed');
  fs.mkdirSync(path.join(root, 'e2e/artifacts'), { recursive: true });

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-e2e-'));
  const env = serverEnv(dataDir, {
    IMSOP_ADMIN_EMAIL: ADMIN_EMAIL,
    IMSOP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // The service desk journey: its public form submissions and uploads come from 127.0.0.1 too,
    // and an SLA breach must be recorded within seconds of its due time.
    TICKET_FORM_RATE_LIMIT: '1000',
    SLA_TICK_SECONDS: '2',
  });
  server = await startServer(env, path.join(root, 'e2e/artifacts/server.log'));
  const { baseUrl } = server;
  console.log(`[e2e] server at ${baseUrl} (data dir ${dataDir})`);
  project.provide('baseUrl', baseUrl);
  project.provide('adminEmail', ADMIN_EMAIL);
  project.provide('adminPassword', ADMIN_PASSWORD);
}

export async function teardown() {
  const t0 = Date.now();
  await server?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`[e2e] server stopped in ${Date.now() - t0} ms`);
}
