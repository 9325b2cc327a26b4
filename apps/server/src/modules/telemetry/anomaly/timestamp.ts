/** Timestamp parsing shared by the CSV front end and the NAB corpus loader. */

/**
 * Parse a timestamp to UTC milliseconds. Accepts NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` (read as UTC, since NAB
 * files carry no zone), ISO 8601 with a zone, and Unix epoch numbers (seconds, or milliseconds when ≥ 1e11).
 */
export function parseTimestamp(text: string): number {
  const ts = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?$/.exec(ts);
  if (m) {
    const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), ms);
  }
  if (/^-?\d+(\.\d+)?$/.test(ts)) {
    const n = Number(ts);
    return Math.abs(n) >= 1e11 ? n : n * 1000;
  }
  const t = Date.parse(ts);
  if (Number.isNaN(t)) throw new Error(`unparseable timestamp: ${JSON.stringify(text)}`);
  return t;
}
