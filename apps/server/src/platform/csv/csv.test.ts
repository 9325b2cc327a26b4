import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from './csv.ts';

/** How a spreadsheet with the given list separator splits a line (quote-aware, RFC 4180). */
function splitAs(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
const formulaLike = (cell: string) => /^[\s]*[=+\-@]|^[\t\r]/.test(cell) && !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(cell);

describe('csvCell', () => {
  it('quotes a cell holding a separator of any locale, so it cannot start a formula in a ; locale', () => {
    const evil = "ok;=cmd|' /C calc'!A0";
    expect(csvCell(evil)).toBe(`"${evil}"`);
    const line = csvRow(['category', evil, 3]);
    for (const sep of [',', ';', '\t']) {
      for (const cell of splitAs(line, sep)) expect(formulaLike(cell), `${sep}: ${cell}`).toBe(false);
    }
    expect(splitAs(line, ',')).toEqual(['category', evil, '3']);
  });

  it('prefixes a quote to texts that start like a formula', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+cmd')).toBe("'+cmd");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('  =1+1')).toBe("'  =1+1");
    expect(csvCell('\uff1d1+1')).toBe("'\uff1d1+1");
    expect(csvCell('\t=1')).toBe('"\'\t=1"');
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it('leaves numbers, numeric texts and plain texts alone', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell('-5')).toBe('-5');
    expect(csvCell('+1.5e3')).toBe('+1.5e3');
    expect(csvCell('2015-07-01 10:00:00')).toBe('2015-07-01 10:00:00');
    expect(csvCell('hardware')).toBe('hardware');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  });

  it('quotes quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('a,b')).toBe('"a,b"');
  });
});
