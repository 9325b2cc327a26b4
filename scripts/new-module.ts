/**
 * `npm run new:module -- <name>`: writes a working module from the template (apps/server/src/modules/<name>/
 * with schema, repository, service, routes, views, events, errors, permissions, README; its test in
 * apps/server/test/<name>.test.ts), registers it in apps/server/src/modules.ts, generates its migration
 * (drizzle-kit) and its README reference. Outside the module's folder and its test it changes two
 * tracked files: the module list and the migration journal (plus the new migration's own files).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { moduleFiles, moduleTest } from './new-module/templates.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODULES_DIR = path.join(ROOT, 'apps/server/src/modules');
const LIST = path.join(ROOT, 'apps/server/src/modules.ts');

function fail(message: string): never {
  console.error(`new:module: ${message}`);
  process.exit(2);
}

const name = process.argv[2];
if (!name) fail('give the module a name: npm run new:module -- <name> (lowercase letters and digits, e.g. inventory)');
if (!/^[a-z][a-z0-9]{1,30}$/.test(name)) fail(`"${name}" is not a module name: use 2 to 31 lowercase letters and digits, starting with a letter`);
const dir = path.join(MODULES_DIR, name);
if (fs.existsSync(dir)) fail(`apps/server/src/modules/${name} already exists`);
const list = fs.readFileSync(LIST, 'utf8');
const marker = /export const MODULES = \[([^\]]*)\] as const;/;
const found = marker.exec(list);
if (!found) fail('apps/server/src/modules.ts does not hold `export const MODULES = [...] as const;`');

const names = { n: name, P: name[0]!.toUpperCase() + name.slice(1) };
fs.mkdirSync(dir);
for (const [file, text] of Object.entries(moduleFiles(names))) fs.writeFileSync(path.join(dir, file), text);
const testFile = path.join(ROOT, 'apps/server/test', `${name}.test.ts`);
fs.writeFileSync(testFile, moduleTest(names));

// Register: an import beside the others, and the module at the end of the list.
const lastImport = list.lastIndexOf("\nimport ");
const importEnd = list.indexOf('\n', lastImport + 1);
const withImport = `${list.slice(0, importEnd + 1)}import { ${name}Module } from './modules/${name}/index.ts';\n${list.slice(importEnd + 1)}`;
fs.writeFileSync(LIST, withImport.replace(marker, (_m, items: string) => `export const MODULES = [${items.trim()}, ${name}Module] as const;`));

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
run('npx', ['drizzle-kit', 'generate', '--config', 'apps/server/drizzle.config.ts', '--name', name]);
run('node', ['scripts/module-docs.ts']);

console.log(`
Module "${name}" written:
  apps/server/src/modules/${name}/      the module (start with index.ts and README.md)
  apps/server/test/${name}.test.ts       its integration test
  apps/server/src/modules.ts            registered in the module list
  apps/server/src/db/migrations/        its migration
Next: npm run typecheck && npx vitest run apps/server/test/${name}.test.ts, then make it yours.`);
