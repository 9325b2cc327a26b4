import { describe, expect, it } from 'vitest';
import { fileNameOf, formatBytes } from './files';

describe('fileNameOf', () => {
  it.each([
    [null, null],
    ['inline', null],
    ['attachment; filename="a.txt"', 'a.txt'],
    [`attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`, 'résumé.pdf'],
    [`attachment; filename="bad.pdf"; filename*=UTF-8''%E0%A4%A`, 'bad.pdf'],
  ])('%s → %s', (header, name) => expect(fileNameOf(header)).toBe(name));
});

describe('formatBytes', () => {
  it.each([
    [undefined, ''],
    [12, '12 B'],
    [1536, '1.5 kB'],
    [20 * 1024, '20 kB'],
    [3.25 * 1024 * 1024, '3.3 MB'],
  ])('%s → %s', (n, text) => expect(formatBytes(n)).toBe(text));
});
