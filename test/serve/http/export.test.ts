/** CSV export cells: any string survives a CSV parser, and a formula never reaches a spreadsheet as one. */
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { csvCell, toCsv } from '../../../src/serve/http/export';

const dangerous = /^[=+\-@\t\r]/;
const expected = (s: string) => (dangerous.test(s) ? `'${s}` : s);

describe('CSV export', () => {
  test('any table of strings round-trips through csv-parse (formula cells prefixed with a quote)', () => {
    const cell = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({
        unit: fc.constantFrom('"', ',', '\n', '\r', '=', '+', '-', '@', '\t', ' ', 'a', "'"),
        maxLength: 12,
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { maxLength: 6 }),
        (width, raw) => {
          const header = Array.from({ length: width }, (_, i) => `c${i}`);
          const rows = raw.map((r) => r.slice(0, width));
          const parsed = parse(toCsv(header, rows), { relax_column_count: false }) as string[][];
          expect(parsed).toEqual([header, ...rows.map((r) => r.map(expected))]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a parsed cell never starts a formula', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        const [[v]] = parse(`${csvCell(s)}\r\n`) as string[][] as [[string]];
        expect(dangerous.test(v)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
