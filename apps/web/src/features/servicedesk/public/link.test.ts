import { describe, expect, it } from 'vitest';
import { requesterLink, tokenFromHash } from './link';

const TOKEN = 'Fb4lBkjf0KeigtuX1w-JbSpmskWMRyPIzJPkVw7NpNo';

describe('requester link', () => {
  it('puts the token in the fragment', () => {
    expect(requesterLink('https://desk.example/', 'abc', TOKEN)).toBe(`https://desk.example/portal/tickets/abc#t=${TOKEN}`);
  });
  it.each([
    [`#t=${TOKEN}`, TOKEN],
    [`t=${TOKEN}`, TOKEN],
    [`#x=1&t=${TOKEN}&y=2`, TOKEN],
    ['', null],
    ['#t=', null],
    ['#t=short', null],
    [`#t=${TOKEN}<script>`, null],
    [`#nott=${TOKEN}`, null],
  ])('%s → %s', (hash, token) => expect(tokenFromHash(hash)).toBe(token));
});
