/** Joins class names, skipping falsy ones. */
export function cn(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(' ');
}

const GROUPS = ['min-h', 'max-w', 'w', 'h', 'px', 'py', 'pl', 'pr'];
const groupOf = (c: string) => {
  const bare = c.slice(c.lastIndexOf(':') + 1);
  return GROUPS.find((g) => bare.startsWith(g + '-')) ?? (/^text-(xs|sm|base|lg|\[\d)/.test(bare) ? 'text-size' : null);
};

/**
 * Base classes with the caller's on top: a base class is dropped when the caller sets the same
 * property group (width, height, padding, font size), so `<Input className="w-40">` wins over w-full.
 */
export function merge(base: string, extra?: string): string {
  if (!extra) return base;
  const taken = new Set(extra.split(/\s+/).map(groupOf).filter(Boolean));
  return cn(base.split(/\s+/).filter((c) => !taken.has(groupOf(c))).join(' '), extra);
}
