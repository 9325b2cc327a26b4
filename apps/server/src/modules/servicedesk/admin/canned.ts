/** Values a canned response may use: `{{ticket.number}}`, `{{requester.name}}`, `{{agent.name}}`, … */
export type PlaceholderValues = Record<string, string | number | null | undefined>;

const PLACEHOLDER = /\{\{\s*([a-z]+(?:\.[a-zA-Z_]+)*)\s*\}\}/g;

export const KNOWN_PLACEHOLDERS = [
  'ticket.number',
  'ticket.subject',
  'ticket.status',
  'ticket.priority',
  'ticket.link',
  'requester.name',
  'requester.email',
  'agent.name',
  'agent.email',
] as const;

/** Fills placeholders; unknown or empty ones are left as written and reported, so nothing is silently dropped. */
export function renderTemplate(template: string, values: PlaceholderValues): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = values[name];
    if (v === undefined || v === null || v === '') {
      missing.add(name);
      return whole;
    }
    return String(v);
  });
  return { text, missing: [...missing] };
}

/** Placeholders a template uses that we do not know, reported when the template is saved. */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(KNOWN_PLACEHOLDERS);
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))].filter((n) => !known.has(n));
}
