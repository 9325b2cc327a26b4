import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

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

let server: ChildProcess | null = null;

/**
 * A port free right now. The server is given it rather than port 0, so that its public address
 * (the redirect URI a single sign-on provider sends the browser back to) is the one it listens on.
 */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
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
  const env = {
    ...process.env,
    IMSOP_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    LOG_LEVEL: 'warn',
    IMSOP_ADMIN_EMAIL: ADMIN_EMAIL,
    IMSOP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // Every journey signs in from 127.0.0.1: the per-IP limit on the auth endpoints is for the internet.
    AUTH_RATE_LIMIT: '10000',
    // The service desk journey: its public form submissions and uploads come from 127.0.0.1 too,
    // and an SLA breach must be recorded within seconds of its due time.
    TICKET_FORM_RATE_LIMIT: '1000',
    SLA_TICK_SECONDS: '2',
    DATABASE_URL: '',
    REDIS_URL: '',
    MQTT_URL: '',
  };
  server = spawn(process.execPath, [path.join(root, 'apps/server/bin/imsop.js'), 'start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 90 s:\n${log}`)), 90_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /IMSOP is running at (http:\/\/[^\s]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    server!.stdout!.on('data', onData);
    server!.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    server!.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${log}`)));
  });
  // Keep draining the output so the pipe never fills up.
  server.stdout!.on('data', (c: Buffer) => fs.appendFileSync(path.join(root, 'e2e/artifacts/server.log'), c));
  server.stderr!.on('data', (c: Buffer) => fs.appendFileSync(path.join(root, 'e2e/artifacts/server.log'), c));
  console.log(`[e2e] server at ${baseUrl} (data dir ${dataDir})`);
  project.provide('baseUrl', baseUrl);
  project.provide('adminEmail', ADMIN_EMAIL);
  project.provide('adminPassword', ADMIN_PASSWORD);
}

export async function teardown() {
  const t0 = Date.now();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`[e2e] server stopped in ${Date.now() - t0} ms`);
}
