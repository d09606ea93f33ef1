import fc from 'fast-check';
import Database from 'better-sqlite3';
import { LazyArray } from '../../src/core/lazy-array';
import { joinResume, PART_CHARS, splitResume, writeResume } from '../../src/serve/resume-parts';
import { ServeState } from '../../src/serve/state';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const roundTrip = (v: unknown): unknown => {
  const { skeleton, parts } = splitResume(v);
  const byName = new Map(parts);
  return joinResume(skeleton, (n) => byName.get(n));
};

describe('the resume point in parts', () => {
  test('any JSON value comes back equal to what JSON itself would give', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        expect(roundTrip(v)).toEqual(JSON.parse(JSON.stringify(v)) as unknown);
      }),
      { numRuns: 300 },
    );
  });

  test('large arrays at any depth of objects are cut into parts below the target size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 900 })), {
          minLength: 17,
          maxLength: 400,
        }),
        fc.string({ maxLength: 8 }),
        (entries, key) => {
          const v = { engine: { rules: { [key]: { seen: entries } } }, inputs: { tails: [] } };
          const { parts } = splitResume(v);
          expect(parts.length).toBeGreaterThan(0);
          for (const [, json] of parts) expect(json.length).toBeLessThanOrEqual(PART_CHARS + 2000);
          expect(roundTrip(v)).toEqual(v);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('a key named __proto__ stays a key', () => {
    const v = JSON.parse('{"__proto__": {"a": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18]}}') as unknown;
    expect(JSON.stringify(roundTrip(v))).toBe(JSON.stringify(v));
  });

  test('a lazy array is written element by element, part by part, and reads back as its elements', () => {
    let made = 0;
    const entries = Array.from({ length: 3000 }, (_, i) => [`k${i}`, 'x'.repeat(100)]);
    const lazy = new LazyArray(function* () {
      for (const e of entries) {
        made++;
        yield e;
      }
    });
    const seenWhenWritten: number[] = [];
    const parts = new Map<string, string>();
    const skeleton = writeResume({ rules: { r: { seen: lazy, few: new LazyArray(() => [1]) } } }, (n, json) => {
      seenWhenWritten.push(made);
      parts.set(n, json);
    });
    // Each part was handed over before the next elements were made.
    expect(seenWhenWritten.length).toBeGreaterThan(3);
    expect(seenWhenWritten[0]).toBeLessThan(3000);
    expect(joinResume(skeleton, (n) => parts.get(n))).toEqual({ rules: { r: { seen: entries, few: [1] } } });
    expect(JSON.parse(JSON.stringify(lazy))).toEqual(entries);
  });

  test('a missing part is named', () => {
    const { skeleton, parts } = splitResume({ a: { b: Array.from({ length: 40 }, (_, i) => i) } });
    expect(parts.map(([n]) => n)).toEqual(['/a/b#0']);
    expect(() => joinResume(skeleton, () => undefined)).toThrow('part /a/b#0 is missing');
  });

  test('the state file keeps the point in rows, replaces it on every commit, and still reads a point written whole', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-resume-'));
    const file = path.join(dir, 'state.sqlite');
    try {
      const state = new ServeState(file);
      const big = (n: number) => ({
        inputs: { tails: [{ file: 'a.log', offset: n }] },
        engine: { rules: { r: { seen: Array.from({ length: n }, (_, i) => [`k${i}`, 'x'.repeat(500)]) } } },
        correlator: { incidents: [] },
      });
      state.commit({ resume: big(1000), detections: [], incidents: [], mergedAway: [] });
      const rows1 = state.resumeSize().rows;
      expect(rows1).toBeGreaterThan(5);
      state.commit({ resume: big(30), detections: [], incidents: [], mergedAway: [] });
      expect(state.resumeSize().rows).toBeLessThan(rows1);
      expect(state.resume()).toEqual(big(30));
      state.close();
      // A file from before the split: the whole point in meta.
      const db = new Database(file);
      db.exec("DELETE FROM resume_parts; DELETE FROM meta WHERE key = 'resume-skeleton'");
      db.prepare("INSERT INTO meta (key, value) VALUES ('resume', ?)").run(JSON.stringify(big(20)));
      db.close();
      const again = new ServeState(file);
      expect(again.resume()).toEqual(big(20));
      again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
