import { describe, expect, it } from 'vitest';
import { canonical, diff, GENESIS_HASH, MASK, recordHash } from './audit.ts';

describe('canonical', () => {
  it('is independent of key order and stable for nested values', () => {
    expect(canonical({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonical({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonical({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(canonical(new Date('2026-01-02T03:04:05.678Z'))).toBe('"2026-01-02T03:04:05.678Z"');
  });
});

describe('diff', () => {
  it('keeps only changed fields, drops secrets and masks personal data', () => {
    const d = diff(
      { name: 'Ann', email: 'a@x.io', department: 'ops', passwordHash: 'h1', isActive: true },
      { name: 'Anna', email: 'a@x.io', department: 'sales', passwordHash: 'h2', isActive: true },
    );
    expect(d).toEqual({ before: { name: MASK, department: 'ops' }, after: { name: MASK, department: 'sales' } });
    expect(JSON.stringify(d)).not.toContain('h1');
  });

  it('records creation (after only) and deletion (before only)', () => {
    expect(diff(null, { department: 'ops', refreshToken: 't', apiKey: 'k' })).toEqual({ after: { department: 'ops' } });
    expect(diff({ department: 'ops' }, null)).toEqual({ before: { department: 'ops' } });
    expect(diff(null, null)).toBeNull();
  });
});

describe('recordHash', () => {
  const base = {
    id: '01900000-0000-7000-8000-000000000001',
    orgId: '01900000-0000-7000-8000-000000000002',
    seq: 1,
    actorType: 'user',
    actorId: null,
    action: 'user.update',
    entityType: 'user',
    entityId: 'x',
    changes: { after: { department: 'ops' } },
    requestId: 'r1',
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    prevHash: GENESIS_HASH,
  };
  it('changes when any hashed field or the previous hash changes', () => {
    const h = recordHash(base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(recordHash({ ...base })).toBe(h);
    for (const change of [
      { seq: 2 },
      { action: 'user.delete' },
      { changes: { after: { department: 'sales' } } },
      { prevHash: 'f'.repeat(64) },
      { createdAt: new Date('2026-01-01T00:00:00.001Z') },
      { actorId: '01900000-0000-7000-8000-000000000003' },
    ]) {
      expect(recordHash({ ...base, ...change }), JSON.stringify(change)).not.toBe(h);
    }
  });
});
