/**
 * The built-in rule pack: it loads without errors, covers the design's ground, and every rule's own examples
 * pass. Each example is its own test, so a failing example names its rule and example.
 */
import path from 'node:path';
import { CATEGORIES } from '../../src/core/category';
import { formatLoadError, loadLists, loadRules, runRuleExamples } from '../../src/engine';

const root = path.resolve(__dirname, '../..');
const lists = loadLists([path.join(root, 'lists')]);
const pack = loadRules([path.join(root, 'rules')], lists.lists);

describe('built-in rule pack', () => {
  it('loads lists without errors', () => {
    expect(lists.errors.map(formatLoadError)).toEqual([]);
  });

  it('loads rules without errors', () => {
    expect(pack.errors.map(formatLoadError)).toEqual([]);
  });

  it('has at least 22 rules', () => {
    expect(pack.rules.length).toBeGreaterThanOrEqual(22);
  });

  it('uses only known categories, and every rule has a detect and a none example', () => {
    for (const r of pack.rules) {
      expect(CATEGORIES).toContain(r.ref.category);
      const kinds = new Set(r.examples.map((e) => e.expect));
      expect({ rule: r.id, detect: kinds.has('detect'), none: kinds.has('none') }).toEqual({ rule: r.id, detect: true, none: true });
    }
  });
});

for (const rule of pack.rules) {
  describe(`rule ${rule.id}`, () => {
    const results = runRuleExamples(rule, lists.lists);
    results.forEach((res) => {
      it(`example ${res.index} (${res.expect}): ${res.name}`, () => {
        expect({ passed: res.passed, message: res.message }).toEqual({ passed: true, message: expect.any(String) });
      });
    });
  });
}
