/** Who else is on a ticket, in words: "Ada is replying", "Ada and another agent are viewing". */

export interface PresenceUser {
  userId: string;
  state: 'viewing' | 'replying';
}

function list(names: string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} others`;
}

/** Named people first (sorted), then one neutral phrase for those whose names we may not see. */
function who(ids: string[], nameOf: (id: string) => string | undefined): string {
  const named = ids
    .map(nameOf)
    .filter((n): n is string => !!n)
    .sort((a, b) => a.localeCompare(b));
  const unknown = ids.length - named.length;
  if (unknown === 1) named.push('another agent');
  else if (unknown > 1) named.push(`${unknown} other agents`);
  return list(named);
}

/**
 * The presence line for a ticket, leaving out the signed-in user (the server lists everyone on
 * the topic, this tab included). Null when nobody else is there.
 */
export function presenceLabel(users: readonly PresenceUser[], meId: string, nameOf: (id: string) => string | undefined): string | null {
  const byUser = new Map<string, PresenceUser['state']>();
  for (const u of users) {
    if (u.userId === meId) continue;
    if (byUser.get(u.userId) !== 'replying') byUser.set(u.userId, u.state);
  }
  if (byUser.size === 0) return null;
  const phrases: string[] = [];
  for (const state of ['replying', 'viewing'] as const) {
    const ids = [...byUser].filter(([, s]) => s === state).map(([id]) => id);
    if (ids.length) phrases.push(`${who(ids, nameOf)} ${ids.length > 1 ? 'are' : 'is'} ${state}`);
  }
  const text = phrases.join('; ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether any other user is replying (the indicator pulses then). */
export function someoneReplying(users: readonly PresenceUser[], meId: string): boolean {
  return users.some((u) => u.userId !== meId && u.state === 'replying');
}
