/**
 * The before/after of an audit record as rows of changed fields. The server's diff keeps only the
 * fields that changed (credentials dropped, personal data masked as "***"); nested objects are
 * walked into dotted paths so one changed setting shows as one row, and lists (a role's
 * permissions) show which items came and went.
 */

export type DiffKind = 'added' | 'removed' | 'changed';
export interface DiffRow {
  path: string;
  kind: DiffKind;
  before: unknown;
  after: unknown;
  /** For lists: the items that appear only after, and only before. */
  items?: { added: unknown[]; removed: unknown[] };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const MASKED = '***';
/** Fields that describe the record, not a change (timestamps the server bumps on every write). */
const NOISE = new Set(['updatedAt']);

/** A stable text for a value, used to compare list items (key order does not matter). */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

function walk(before: unknown, after: unknown, path: string, out: DiffRow[]) {
  if (isObj(before) || isObj(after)) {
    const b = isObj(before) ? before : undefined;
    const a = isObj(after) ? after : undefined;
    // An object replaced by a non-object (or the reverse) is one change, not many.
    if ((before !== undefined && !b) || (after !== undefined && !a)) {
      out.push({ path, kind: 'changed', before, after });
      return;
    }
    const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].sort();
    for (const k of keys) {
      if (!path && NOISE.has(k)) continue;
      walk(b?.[k], a?.[k], path ? `${path}.${k}` : k, out);
    }
    return;
  }
  if (before === undefined && after === undefined) return;
  if (before === undefined) return void out.push({ path, kind: 'added', before, after });
  if (after === undefined) return void out.push({ path, kind: 'removed', before, after });
  // Masked personal data compares equal as "***" on both sides, yet the field did change.
  if (canonical(before) === canonical(after) && before !== MASKED) return;
  const row: DiffRow = { path, kind: 'changed', before, after };
  if (Array.isArray(before) && Array.isArray(after)) {
    const bs = new Set(before.map(canonical));
    const as = new Set(after.map(canonical));
    row.items = { added: after.filter((x) => !bs.has(canonical(x))), removed: before.filter((x) => !as.has(canonical(x))) };
  }
  out.push(row);
}

/** The changed fields of an audit record's `changes` ({before?, after?, details?}). */
export function auditDiff(changes: unknown): { rows: DiffRow[]; details: [string, unknown][] } {
  if (!isObj(changes)) return { rows: [], details: [] };
  const rows: DiffRow[] = [];
  walk(changes.before, changes.after, '', rows);
  const details = isObj(changes.details) ? Object.entries(changes.details) : [];
  return { rows, details };
}

/** A short display text for a value in the diff. */
export function displayValue(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'empty';
  if (v === MASKED) return 'hidden (personal data)';
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => isObj(x) && typeof x.permission === 'string')) {
    return v.map((x) => grantText(x)).join(', ') || 'none';
  }
  return JSON.stringify(v);
}

/** `{permission, condition}` → "users:read (department)"; other items as JSON. */
export function grantText(item: unknown): string {
  if (isObj(item) && typeof item.permission === 'string') return item.condition && item.condition !== 'any' ? `${item.permission} (${String(item.condition)})` : item.permission;
  return typeof item === 'string' ? item : JSON.stringify(item);
}
