/**
 * The one CSV cell writer of the platform: every CSV the platform writes (service desk reports, the
 * anomaly CLI's output) goes through `csvCell`, so that no cell can become a spreadsheet formula
 * (CSV/formula injection), whatever list separator the reader's locale uses.
 *
 * - A text that a spreadsheet would read as a formula — starting with `=`, `+`, `-` or `@` (also
 *   after leading spaces, and their full-width forms), or with a tab, CR or LF — gets a leading `'`.
 *   Numbers, and texts that are plain numeric literals such as `-5` or `1e3`, stay as they are: a
 *   spreadsheet reads them as numbers, never as formulas.
 * - A cell holding any list separator a spreadsheet may split on (`,`, `;`, tab), a quote or a line
 *   break is quoted (RFC 4180, inner quotes doubled). `ok;=cmd|' /C calc'!A0` thus stays one cell in
 *   a `;` locale instead of becoming `ok` and a formula.
 */

const FORMULA_START = /^(?:[\s\u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r\n])/;
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NEEDS_QUOTES = /[",;\t\r\n]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s: string;
  if (typeof value === 'number' || typeof value === 'bigint') {
    s = String(value);
  } else {
    s = value instanceof Date ? value.toISOString() : String(value);
    if (FORMULA_START.test(s) && !NUMERIC.test(s)) s = `'${s}`;
  }
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV line (without its line ending), every cell through csvCell. */
export const csvRow = (cells: readonly unknown[]): string => cells.map(csvCell).join(',');
