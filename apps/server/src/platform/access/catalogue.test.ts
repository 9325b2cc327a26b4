import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, MODULES } from '../../modules.ts';
import { moduleReference, REFERENCE_END, REFERENCE_START } from '../module/reference.ts';
import { buildCatalogue } from './catalogue.ts';

const { permissions: PERMISSIONS, systemRoles: SYSTEM_ROLES } = CATALOGUE;
const readme = (name: string) => fs.readFileSync(new URL(`../../modules/${name}/README.md`, import.meta.url), 'utf8');

describe('the modules’ READMEs', () => {
  it('document every permission with each system role’s condition', () => {
    // The modules' permissions in their READMEs, the platform's own in docs/roles.md.
    const roles = fs.readFileSync(new URL('../../../../../docs/roles.md', import.meta.url), 'utf8');
    const docs = [...MODULES.map((m) => readme(m.name)), roles].join('\n');
    for (const p of Object.keys(PERMISSIONS)) {
      const row = docs.split('\n').find((l) => l.startsWith(`| \`${p}\` |`));
      expect(row, `${p} is missing from its module's README.md (npm run docs:modules)`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      const expected = ['admin', 'manager', 'agent', 'executive', 'viewer'].map((r) => SYSTEM_ROLES.find((x) => x.name === r)!.grants.find(([gp]) => gp === p)?.[1] ?? '—');
      expect(cells.slice(2, 7), p).toEqual(expected);
    }
  });

  it('hold the reference their module declares, up to date (npm run docs:modules writes it)', () => {
    for (const m of MODULES) {
      const text = readme(m.name);
      const generated = text.slice(text.indexOf(REFERENCE_START), text.indexOf(REFERENCE_END) + REFERENCE_END.length);
      expect(generated, `modules/${m.name}/README.md is out of date: run npm run docs:modules`).toBe(moduleReference(m, CATALOGUE));
    }
  });
});

describe('buildCatalogue', () => {
  it('refuses a permission declared twice or not of the form resource:action', () => {
    expect(() => buildCatalogue([{ 'a:read': { description: 'x' } }, { 'a:read': { description: 'y' } }])).toThrow('Permission "a:read" is declared by two modules.');
    expect(() => buildCatalogue([{ 'Read everything': { description: 'x' } }])).toThrow('Permission "Read everything" is not of the form resource:action.');
  });

  it('gives admin every permission and the other roles what the declarations grant', () => {
    const c = buildCatalogue([{ 'a:read': { description: 'x', scoped: true, grants: { viewer: 'own' } }, 'a:write': { description: 'y' } }]);
    expect(c.systemRoles.find((r) => r.name === 'admin')!.grants).toEqual([['a:read', 'any'], ['a:write', 'any']]);
    expect(c.systemRoles.find((r) => r.name === 'viewer')!.grants).toEqual([['a:read', 'own']]);
    expect(c.systemRoles.find((r) => r.name === 'manager')!.grants).toEqual([]);
    expect([...c.scoped]).toEqual(['a:read']);
    expect(c.isPermission('a:write')).toBe(true);
    expect(c.isPermission('a:delete')).toBe(false);
  });
});
