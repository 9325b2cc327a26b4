import { describe, expect, it } from 'vitest';
import { presenceLabel, someoneReplying, type PresenceUser } from './presence';

const names: Record<string, string> = { me: 'Me Myself', ada: 'Ada Lovelace', bob: 'Bob Babbage', cy: 'Cy Young', dee: 'Dee Dee' };
const nameOf = (id: string) => names[id];
const v = (userId: string): PresenceUser => ({ userId, state: 'viewing' });
const r = (userId: string): PresenceUser => ({ userId, state: 'replying' });

describe('presenceLabel', () => {
  it.each<[string, PresenceUser[], string | null]>([
    ['nobody', [], null],
    ['only me (the server lists this tab too)', [v('me')], null],
    ['me replying is still nobody else', [r('me')], null],
    ['one viewer', [v('me'), v('ada')], 'Ada Lovelace is viewing'],
    ['one replier', [r('bob')], 'Bob Babbage is replying'],
    ['two viewers, sorted by name', [v('bob'), v('ada')], 'Ada Lovelace and Bob Babbage are viewing'],
    ['replying comes first', [v('ada'), r('bob')], 'Bob Babbage is replying; Ada Lovelace is viewing'],
    ['one user in two tabs: replying wins', [v('ada'), r('ada')], 'Ada Lovelace is replying'],
    ['the same, in the other order', [r('ada'), v('ada')], 'Ada Lovelace is replying'],
    ['a name we may not see', [v('stranger')], 'Another agent is viewing'],
    ['several names we may not see', [v('x1'), v('x2')], '2 other agents are viewing'],
    ['named and unnamed', [v('ada'), v('x1')], 'Ada Lovelace and another agent are viewing'],
    ['unnamed replier next to a named viewer', [r('x1'), v('ada')], 'Another agent is replying; Ada Lovelace is viewing'],
    ['three viewers', [v('ada'), v('bob'), v('cy')], 'Ada Lovelace, Bob Babbage and Cy Young are viewing'],
    ['many viewers are summed up', [v('ada'), v('bob'), v('cy'), v('dee')], 'Ada Lovelace, Bob Babbage and 2 others are viewing'],
  ])('%s', (_name, users, want) => {
    expect(presenceLabel(users, 'me', nameOf)).toBe(want);
  });
});

describe('someoneReplying', () => {
  it('ignores the signed-in user', () => {
    expect(someoneReplying([r('me'), v('ada')], 'me')).toBe(false);
    expect(someoneReplying([r('ada')], 'me')).toBe(true);
  });
});
