import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const IMSOP = path.join(ROOT, 'apps/server/bin/imsop.js');

/**
 * The environment of an e2e server on `dataDir`: a free port on loopback, the embedded database,
 * no Redis or MQTT broker, and limits fit for journeys that all come from 127.0.0.1.
 */
export function serverEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    IMSOP_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_PORT: '0',
    LOG_LEVEL: 'warn',
    // Every journey signs in from 127.0.0.1: the per-IP limit on the auth endpoints is for the internet.
    AUTH_RATE_LIMIT: '10000',
    DATABASE_URL: '',
    REDIS_URL: '',
    MQTT_URL: '',
    ...extra,
  };
}

export interface RunningServer {
  baseUrl: string;
  process: ChildProcess;
  /** Ctrl-C, then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** Starts `imsop start` with `env`; resolves with its URL once it says it runs. Its output goes to `logFile`. */
export async function startServer(env: NodeJS.ProcessEnv, logFile: string): Promise<RunningServer> {
  const server = spawn(process.execPath, [IMSOP, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 180 s:\n${log}`)), 180_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /IMSOP is running at (http:\/\/[^\s]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${log}`)));
  });
  // Keep draining the output so the pipe never fills up.
  server.stdout!.on('data', (c: Buffer) => fs.appendFileSync(logFile, c));
  server.stderr!.on('data', (c: Buffer) => fs.appendFileSync(logFile, c));
  return {
    baseUrl,
    process: server,
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
      if (server.exitCode === null) server.kill('SIGKILL');
    },
  };
}
