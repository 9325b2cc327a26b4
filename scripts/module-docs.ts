/**
 * Writes each module's reference (permissions, events, errors, ports, tags) into its README.md,
 * from the module declarations: `npm run docs:modules`. The test apps/server/test/module-contract.test.ts
 * fails when a README is out of date.
 */
import fs from 'node:fs';
import { CATALOGUE, MODULES } from '../apps/server/src/modules.ts';
import { moduleReference, withReference } from '../apps/server/src/platform/module/reference.ts';

for (const m of MODULES) {
  const file = new URL(`../apps/server/src/modules/${m.name}/README.md`, import.meta.url);
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# The ${m.name} module\n`;
  const after = withReference(before, moduleReference(m, CATALOGUE));
  if (after !== before) {
    fs.writeFileSync(file, after);
    console.log(`updated modules/${m.name}/README.md`);
  }
}
