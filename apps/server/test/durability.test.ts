import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/platform/db/client.ts';
import { clockEnv } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/imsop.js', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-kill-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
const PASSWORD = 'Durable-Pass-4-kill';

function start() {
  const p = spawn(process.execPath, [BIN, 'start'], {
    env: { ...clockEnv(), PATH: process.env.PATH ?? '', IMSOP_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', MQTT_ENABLED: 'false', IMSOP_ADMIN_PASSWORD: PASSWORD },
  });
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => p.on('exit', () => resolve()));
  const base = new Promise<string>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += d;
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    p.on('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
  });
  return { p, base, exited };
}

describe('durability', () => {
  it('every acknowledged telemetry point survives kill -9', async () => {
    const s = start();
    const base = await s.base;
    const login = await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@imsop.local', password: PASSWORD }) })).json();
    const auth = { authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' };
    const op = await (await fetch(`${base}/api/operations`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Durable' }) })).json();
    const acked: number[] = [];
    let seq = 0;
    let stop = false;
    // Four writers post 200-point batches; each point's value is unique, so we can find it later.
    const writer = async () => {
      while (!stop) {
        const values = Array.from({ length: 200 }, () => ++seq);
        const body = JSON.stringify(values.map((v) => ({ operationId: op.id, metricName: 'seq', value: v })));
        try {
          const res = await fetch(`${base}/api/telemetry/batch`, { method: 'POST', headers: auth, body });
          if (res.status === 201) acked.push(...values);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = [writer(), writer(), writer(), writer()];
    while (acked.length < 4_000) await new Promise((r) => setTimeout(r, 20));
    s.p.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await s.exited;

    const db = await openDatabase({ dataDir });
    try {
      const r = (await db.db.execute(sql`select value from telemetry_points`)) as unknown as { rows: { value: number }[] };
      const stored = new Set(r.rows.map((x) => Number(x.value)));
      const lost = acked.filter((v) => !stored.has(v));
      expect(acked.length).toBeGreaterThanOrEqual(4_000);
      expect(lost).toEqual([]);
      // Rollups were written in the same transactions as the raw rows.
      const c = (await db.db.execute(sql`select coalesce(sum(count), 0)::int as n from telemetry_rollup_1m`)) as unknown as { rows: { n: number }[] };
      expect(c.rows[0]!.n).toBe(r.rows.length);
    } finally {
      await db.close();
    }
    // And the server starts again on the same data.
    const again = start();
    await again.base;
    again.p.kill('SIGTERM');
    await again.exited;
  }, 120_000);
});
