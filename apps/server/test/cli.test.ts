import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clockEnv } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/imsop.js', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const baseEnv = { ...clockEnv(), PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', IMSOP_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MQTT_PORT: '0' };

function run(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...baseEnv, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts the server on a free port and resolves once it prints its address. */
function startServer(env: Record<string, string> = {}) {
  const p = spawn(process.execPath, [BIN, 'start'], { env: { ...baseEnv, PORT: '0', ...env } });
  children.push(p);
  let stdout = '';
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      stdout += d;
      const m = /running at (http:\/\/[^ ]+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    p.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}${stdout}`)));
  });
  return { p, ready, exited, output: () => stdout, errors: () => stderr };
}

async function login(base: string, password: string) {
  return fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@imsop.local', password }),
  });
}

describe('imsop CLI', () => {
  it('--help lists the commands', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['start', 'migrate', 'create-admin', 'audit verify']) expect(r.stdout).toContain(cmd);
  });

  it('a bad configuration value stops with one line naming the variable', async () => {
    const r = await run(['start'], { PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Invalid configuration: PORT:/);
  });

  it('first start creates the admin with a generated password printed once; Ctrl-C finishes in-flight requests and exits cleanly; a second start reuses the data', async () => {
    const first = startServer();
    const base = await first.ready;
    const password = /Generated admin password[^:]*: (\S+)/.exec(first.output())?.[1];
    expect(password).toBeTruthy();
    // No SMTP_URL here: the start says mail is only being logged (a pino warning; the logger writes
    // asynchronously, so it may come just after the address line).
    const warned = Date.now() + 10_000;
    while (!/"level":40[^\n]*mail is only being logged/.test(first.output()) && Date.now() < warned) await new Promise((r) => setTimeout(r, 100));
    expect(first.output()).toMatch(/"level":40[^\n]*mail is only being logged/);
    expect((await fetch(`${base}/api/ready`)).status).toBe(200);
    // A login is in flight (headers sent, body still arriving) when SIGINT arrives: it must complete.
    const body = JSON.stringify({ email: 'admin@imsop.local', password });
    const url = new URL(`${base}/api/auth/login`);
    const inflight = new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        first.p.kill('SIGINT');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 300);
    });
    expect(await inflight).toBe(200);
    expect(await first.exited).toBe(0);
    expect((await fetch(`${base}/api/health`).catch(() => null))?.status).toBeUndefined();

    const second = startServer();
    const base2 = await second.ready;
    expect(second.output()).not.toMatch(/Generated admin password/);
    expect((await login(base2, password!)).status).toBe(200);

    // The port is taken now: a clear error, not a stack trace.
    const port = new URL(base2).port;
    const clash = await run(['start'], { PORT: port, IMSOP_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-cli2-')) });
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);

    second.p.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const verify = await run(['audit', 'verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: \d+ audit records in 1 organization/);
  }, 90_000);

  it('create-admin adds an administrator to an existing org', async () => {
    const r = await run(['create-admin', '--email', 'second@imsop.local', '--name', 'Second', '--password', 'Another-Sturdy-Pass-7']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Created administrator second@imsop.local in organization "default"');
    const dupe = await run(['create-admin', '--email', 'second@imsop.local', '--name', 'Second', '--password', 'Another-Sturdy-Pass-7']);
    expect(dupe.code).toBe(1);
    expect(dupe.stderr).toMatch(/already exists/);
  }, 60_000);

  it('while the server runs, the CLI goes through it and never opens the files; a second start refuses; stop and start keep the data; a backup restores', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-cli-live-'));
    const env = { IMSOP_DATA_DIR: dir, IMSOP_ADMIN_PASSWORD: 'Live-Directory-Pass-42' };
    try {
      const server = startServer(env);
      const base = await server.ready;
      // The exact sequence that used to destroy the directory: audit verify against a live server…
      const verify = await run(['audit', 'verify'], env);
      expect(verify.stderr).toBe('');
      expect(verify.stdout).toMatch(/^OK: \d+ audit records in 1 organization/);
      // …create-admin and migrate through it too…
      const admin = await run(['create-admin', '--email', 'live@imsop.local', '--name', 'Live', '--password', 'Sturdy-Second-Pass-8'], env);
      expect(admin.stderr).toBe('');
      expect(admin.stdout).toContain('Created administrator live@imsop.local in organization "default"');
      const migrate = await run(['migrate'], env);
      expect(migrate.stdout).toMatch(new RegExp(`running server \\(process ${server.p.pid}\\) applied the migrations when it started; 0 pending`));
      // …a second server on the same directory refuses with one line naming it and the owner, exit 2…
      const second = await run(['start'], { ...env, PORT: '0' });
      expect(second.code).toBe(2);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toContain(`The data directory ${dir} is in use by process ${server.p.pid} (imsop start`);
      // An uploaded file (the public form's anonymous upload), which the backup must carry too.
      const bytes = `evidence ${Date.now()}`;
      const boundary = 'clibackup';
      const up = await fetch(`${base}/api/upload?org=default`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="evidence.txt"\r\nContent-Type: text/plain\r\n\r\n${bytes}\r\n--${boundary}--\r\n`,
      });
      expect(up.status).toBe(201);
      const sha = crypto.createHash('sha256').update(bytes).digest('hex');
      // …restore refuses to write over it…
      const backupFile = path.join(dir, '..', `${path.basename(dir)}.tar`);
      const backup = await run(['backup', '--out', backupFile], env);
      expect(backup.stdout).toMatch(/taken by the running server/);
      const overwrite = await run(['restore', backupFile], env);
      expect(overwrite.code).toBe(1);
      expect(overwrite.stderr).toMatch(/in use by process|already holds a database/);
      // …then Ctrl-C, which now shuts down cleanly, and a start on the same directory.
      server.p.kill('SIGINT');
      expect(await server.exited).toBe(0);
      expect(server.errors()).not.toMatch(/Aborted|error during shutdown/);
      const again = startServer(env);
      const base2 = await again.ready;
      expect(base2).toBeTruthy();
      const r = await fetch(`${base2}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'live@imsop.local', password: 'Sturdy-Second-Pass-8' }),
      });
      expect(r.status).toBe(200);
      again.p.kill('SIGINT');
      expect(await again.exited).toBe(0);
      expect(base).toBeTruthy();
      // The backup restores into an empty directory, with the admin made through the server and the file.
      const restoredDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-cli-restored-'));
      try {
        const restored = await run(['restore', backupFile], { IMSOP_DATA_DIR: restoredDir });
        expect(restored.stderr).toBe('');
        // The bootstrap (two records), the admin made through the server and the upload; and the file.
        expect(restored.stdout).toMatch(/^OK: 4 audit records in 1 organization/m);
        expect(restored.stdout).toMatch(/\(1 uploaded file\(s\)\)/);
        expect(fs.readFileSync(path.join(restoredDir, 'files', sha.slice(0, 2), sha.slice(2, 4), sha), 'utf8')).toBe(bytes);
      } finally {
        fs.rmSync(restoredDir, { recursive: true, force: true });
        fs.rmSync(backupFile, { force: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('demo loads into a new data directory, or through the running server; a second run refuses with exit 2; simulate sends for the demo devices', async () => {
    const password = 'Harbourside-Demo-2026';
    const loaded = /^Loaded the demo organization "Harbourside Utilities" into organization "default" in [\d.]+ s: 13 people in 2 departments, 15 operations .* 25 tickets/m;
    const refused = /^imsop demo: refused: the database already holds data \(users besides the administrator, .*\); the demo loads only into a new database/;
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-cli-demo-'));
    const served = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-cli-demo-live-'));
    try {
      // No server: the CLI opens the new directory itself, makes its database and first administrator, and loads.
      const first = await run(['demo', '--password', password], { IMSOP_DATA_DIR: alone });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^Created organization "default" with administrator admin@imsop\.local\./m);
      expect(first.stdout).toMatch(loaded);
      expect(first.stdout).toContain("The demo users' password is the one you gave.");
      const keys = path.join(alone, 'demo-devices.json');
      expect(fs.statSync(keys).mode & 0o777).toBe(0o600);
      expect((JSON.parse(fs.readFileSync(keys, 'utf8')) as { devices: unknown[] }).devices).toHaveLength(8);
      const again = await run(['demo', '--password', password], { IMSOP_DATA_DIR: alone });
      expect(again.code).toBe(2);
      expect(again.stderr.trim().split('\n')).toHaveLength(1);
      expect(again.stderr).toMatch(refused);

      // A running server owns the directory: the demo goes through its control socket and loads in it.
      const server = startServer({ IMSOP_DATA_DIR: served, IMSOP_ADMIN_PASSWORD: 'Live-Directory-Pass-42' });
      const base = await server.ready;
      const live = await run(['demo'], { IMSOP_DATA_DIR: served });
      expect(live.stderr).toBe('');
      expect(live.code).toBe(0);
      expect(live.stdout).toMatch(loaded);
      const generated = /^The demo users' password \(shown once, the same for all of them\): (demo-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})$/m.exec(live.stdout)?.[1];
      expect(generated).toBeTruthy();
      const signIn = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'hannah.clarke@harbourside.example.com', password: generated }),
      });
      expect(signIn.status).toBe(200);
      const { accessToken } = (await signIn.json()) as { accessToken: string };
      const tickets = await fetch(`${base}/api/tickets?limit=100`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(((await tickets.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
      expect((await run(['demo'], { IMSOP_DATA_DIR: served })).stderr).toMatch(refused);
      // The devices keep sending through the HTTP ingest API with their keys (one round here).
      const sim = await run(['simulate', '--once', '--url', base], { IMSOP_DATA_DIR: served });
      expect(sim.stderr).toBe('');
      expect(sim.stdout).toMatch(/^Sent 1[0-9] points in 1 round\(s\)\.$/m);
      server.p.kill('SIGINT');
      expect(await server.exited).toBe(0);
      expect(server.errors()).toBe('');
    } finally {
      fs.rmSync(alone, { recursive: true, force: true });
      fs.rmSync(served, { recursive: true, force: true });
    }
  }, 600_000);

  it('anomaly score writes timestamp,value,anomaly_score with the live detector', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => {
      const ts = new Date(Date.UTC(2026, 0, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
      return `${ts},${i === 350 ? 500 : 50 + Math.sin(i / 5)}`;
    });
    const input = path.join(dataDir, 'in.csv');
    const output = path.join(dataDir, 'out.csv');
    fs.writeFileSync(input, `timestamp,value\n${rows.join('\n')}\n`);
    const r = await run(['anomaly', 'score', input, '--out', output]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(output, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score');
    expect(lines).toHaveLength(401);
    const scores = lines.slice(1).map((l) => Number(l.split(',')[2]));
    expect(lines[351]!.startsWith(rows[350]!)).toBe(true);
    expect(scores.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(scores.indexOf(Math.max(...scores))).toBe(350);
    // Exactly the code the live pipeline runs.
    const { createState, score } = await import('../src/modules/telemetry/anomaly/detector.ts');
    const state = createState();
    const direct = rows.map((row) => {
      const [ts, v] = row.split(',');
      return score(state, Date.parse(`${ts!.replace(' ', 'T')}Z`), Number(v));
    });
    scores.forEach((s, i) => expect(s).toBeCloseTo(direct[i]!, 6));
  }, 60_000);
});
