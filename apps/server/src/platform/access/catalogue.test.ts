import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../modules.ts';

const { permissions: PERMISSIONS, systemRoles: SYSTEM_ROLES } = CATALOGUE;

describe('docs/roles.md', () => {
  it('documents every permission with each system role’s condition', () => {
    const doc = fs.readFileSync(new URL('../../../../../docs/roles.md', import.meta.url), 'utf8');
    for (const p of Object.keys(PERMISSIONS)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${p}\` |`));
      expect(row, `${p} is missing from docs/roles.md`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      const expected = ['admin', 'manager', 'agent', 'executive', 'viewer'].map((r) => SYSTEM_ROLES.find((x) => x.name === r)!.grants.find(([gp]) => gp === p)?.[1] ?? '—');
      expect(cells.slice(2, 7), p).toEqual(expected);
    }
  });
});
