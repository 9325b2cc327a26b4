/**
 * Builds apps/server/src/platform/auth/breached-passwords.txt from a password list (one a line,
 * plain or gzipped): `node --import tsx scripts/breached-passwords.ts <list.txt[.gz]>`.
 *
 * Keeps what the policy could otherwise accept: entries of PASSWORD_MIN to PASSWORD_MAX characters
 * (code points), lowercased (the check is case-insensitive), without duplicates, sorted. Shorter
 * ones are refused by the length rule already, so a list of hundreds of thousands becomes a small
 * file that loads in milliseconds. The source and its licence are stated in
 * apps/server/src/platform/auth/breached-passwords.md.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { PASSWORD_MAX, PASSWORD_MIN } from '../apps/server/src/platform/auth/password.ts';

const source = process.argv[2];
if (!source) {
  console.error('usage: node --import tsx scripts/breached-passwords.ts <list.txt[.gz]>');
  process.exit(2);
}
const raw = fs.readFileSync(source);
const text = (source.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8');
const kept = new Set<string>();
for (const line of text.split('\n')) {
  const p = line.replace(/\r$/, '').toLowerCase();
  const n = [...p].length;
  if (n >= PASSWORD_MIN && n <= PASSWORD_MAX && !p.startsWith('#')) kept.add(p);
}
const out = new URL('../apps/server/src/platform/auth/breached-passwords.txt', import.meta.url);
fs.writeFileSync(out, [...kept].sort().join('\n') + '\n');
console.error(`${kept.size} passwords of ${PASSWORD_MIN}–${PASSWORD_MAX} characters written to ${out.pathname}`);
