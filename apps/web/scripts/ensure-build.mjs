#!/usr/bin/env node
// Builds the web console (apps/web/dist) when it is missing or older than its sources, so that
// `npm ci && npm start` serves the console on a fresh machine. `--force` always builds
// (`npm run build:web`). The build goes to a temporary directory that then replaces dist/, so a
// server running meanwhile never sees a half-written build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(web, 'dist');
const force = process.argv.includes('--force');
/** What the build reads: a change to any of these makes dist stale. */
const inputs = [
  path.join(web, 'src'),
  path.join(web, 'public'),
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.ts'),
  path.join(web, 'package.json'),
  path.join(web, '..', '..', 'packages', 'sdk', 'src'),
];

/**
 * Newest modification time under `p` (a file or a directory), 0 when it does not exist.
 * @param {string} p
 * @returns {number}
 */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, name)));
  return max;
}

function builtAt() {
  try {
    return fs.statSync(path.join(dist, 'index.html')).mtimeMs;
  } catch {
    return 0;
  }
}

const built = builtAt();
const sources = Math.max(...inputs.map(newest));
if (!force && built > 0 && built >= sources) process.exit(0);

let viteBin;
try {
  viteBin = path.join(path.dirname(createRequire(path.join(web, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
} catch {
  const msg = 'the web console is not built and Vite is not installed (npm ci installs it); serving the placeholder page.';
  if (force) {
    console.error(`[web] ${msg}`);
    process.exit(1);
  }
  console.warn(`[web] ${msg}`);
  process.exit(0);
}

console.log(built ? '[web] sources changed since the last build; rebuilding the web console…' : '[web] building the web console (first start)…');
const t0 = Date.now();
const next = path.join(web, `dist.next-${process.pid}`);
// Always a production build, whatever NODE_ENV the caller runs with (vitest sets "test").
const res = spawnSync(process.execPath, [viteBin, 'build', '--outDir', next, '--logLevel', 'warn'], {
  cwd: web,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production', ...(force ? {} : { IMSOP_WEB_REPORT: 'summary' }) },
});
if (res.status !== 0) {
  fs.rmSync(next, { recursive: true, force: true });
  console.error(`[web] the console build failed (exit ${res.status ?? res.signal}).`);
  // A stale build still serves; without any build the server falls back to the placeholder.
  process.exit(force ? 1 : 0);
}
const old = path.join(web, `dist.old-${process.pid}`);
if (fs.existsSync(dist)) fs.renameSync(dist, old);
fs.renameSync(next, dist);
fs.rmSync(old, { recursive: true, force: true });
// The build's index.html is written first; touch it so its time is after every input read.
const now = new Date();
fs.utimesSync(path.join(dist, 'index.html'), now, now);
console.log(`[web] console built in ${((Date.now() - t0) / 1000).toFixed(1)} s → apps/web/dist`);
