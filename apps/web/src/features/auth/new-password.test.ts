import { describe, expect, it } from 'vitest';
import { isPublicPath } from '../../app/App';
import { newPasswordErrors } from './NewPassword';

describe('newPasswordErrors', () => {
  it.each([
    ['short', 'short', { password: 'The password must be at least 12 characters.' }],
    ['Long-Enough-Pass-1', 'Long-Enough-Pass-2', { confirm: 'The two passwords do not match.' }],
    ['short', 'other', { password: 'The password must be at least 12 characters.', confirm: 'The two passwords do not match.' }],
    // Counted in characters, as the server counts them, not UTF-16 units.
    ['🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒', '🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒🔒', { password: 'The password must be at least 12 characters.' }],
    ['Long-Enough-Pass-1', 'Long-Enough-Pass-1', {}],
  ])('%s / %s', (password, confirm, errors) => {
    expect(newPasswordErrors(password, confirm)).toEqual(errors);
  });
});

describe('isPublicPath', () => {
  it.each([
    ['/forgot-password', true],
    ['/reset-password', true],
    ['/invite', true],
    ['/support/default', true],
    ['/portal/tickets/x', true],
    ['/invitex', false],
    ['/admin/users', false],
    ['/', false],
  ])('%s → %s', (path, expected) => {
    expect(isPublicPath(path)).toBe(expected);
  });
});
