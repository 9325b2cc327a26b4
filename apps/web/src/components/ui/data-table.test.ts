import { describe, expect, it } from 'vitest';
import { tableMinWidth } from './data-table';

describe('tableMinWidth', () => {
  it('adds the fixed widths and leaves room for each flexible column', () => {
    // API keys: name (flexible), scopes w-56, last used w-32, status w-36, actions w-24.
    expect(tableMinWidth([undefined, 'w-56', 'w-32', 'w-36', 'w-24'])).toBe(200 + 224 + 128 + 144 + 96);
    expect(tableMinWidth(['w-10', 'w-2.5'])).toBe(50);
  });

  it('never goes below the page’s floor, and reads only the width class', () => {
    expect(tableMinWidth(['w-10'], 720)).toBe(720);
    expect(tableMinWidth(['min-w-0 w-14 px-2'])).toBe(56);
    expect(tableMinWidth(['max-w-0'])).toBe(200);
  });
});
