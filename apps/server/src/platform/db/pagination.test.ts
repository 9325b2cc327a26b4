import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.ts';
import { decodeCursor, encodeCursor, pageOf, parseSort } from './pagination.ts';

describe('cursors', () => {
  it('round-trip values and ids', () => {
    for (const v of ['2026-01-01T00:00:00.000Z', 42, null, 'Zoë']) {
      expect(decodeCursor(encodeCursor(v, 'abc'))).toEqual({ value: v, id: 'abc' });
    }
    expect(decodeCursor(undefined)).toBeNull();
  });
  it('reject tampered or foreign cursors with a 400', () => {
    for (const bad of ['%%%', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('[{},"x"]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(AppError);
    }
  });
});

describe('parseSort', () => {
  it('reads the first field and its direction', () => {
    expect(parseSort('name,-createdAt', ['name', 'createdAt'] as const, 'createdAt')).toEqual({ field: 'name', desc: false });
    expect(parseSort('-name', ['name'] as const, 'name')).toEqual({ field: 'name', desc: true });
    expect(parseSort(undefined, ['name'] as const, 'name')).toEqual({ field: 'name', desc: true });
    expect(() => parseSort('password', ['name'] as const, 'name')).toThrow(/Cannot sort by "password"/);
  });
});

describe('pageOf', () => {
  it('returns a cursor only when there is more', () => {
    expect(pageOf([1, 2, 3], 2, String)).toEqual({ data: [1, 2], nextCursor: '2' });
    expect(pageOf([1, 2], 2, String)).toEqual({ data: [1, 2], nextCursor: null });
  });
});
