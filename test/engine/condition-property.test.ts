/**
 * The condition parser against a reference evaluator: random expressions over three selections, printed with
 * minimal parentheses (so precedence is exercised) or fully parenthesized, must give the same truth value as
 * the tree they were printed from, for every combination of selections matching.
 */
import fc from 'fast-check';
import { Engine } from '../../src/engine';
import { ListSet } from '../../src/lists';
import { ev, rule } from './helpers';

type Expr = { k: 'sel'; n: 'a' | 'b' | 'c' } | { k: 'not'; x: Expr } | { k: 'and' | 'or'; l: Expr; r: Expr };

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Expr>({ k: 'sel', n: 'a' }, { k: 'sel', n: 'b' }, { k: 'sel', n: 'c' }),
    fc.record({ k: fc.constant('not' as const), x: tie('e') }),
    fc.record({ k: fc.constantFrom('and' as const, 'or' as const), l: tie('e'), r: tie('e') }),
  ),
})).e;

const prec = (e: Expr): number => (e.k === 'or' ? 1 : e.k === 'and' ? 2 : 3);
/** Minimal parentheses for `not` > `and` > `or` (both operators associative). */
function print(e: Expr): string {
  if (e.k === 'sel') return `sel_${e.n}`;
  if (e.k === 'not') return `not ${prec(e.x) < 3 ? `(${print(e.x)})` : print(e.x)}`;
  const side = (x: Expr) => (prec(x) < prec(e) ? `(${print(x)})` : print(x));
  return `${side(e.l)} ${e.k} ${side(e.r)}`;
}
function printFull(e: Expr): string {
  if (e.k === 'sel') return `sel_${e.n}`;
  if (e.k === 'not') return `(not ${printFull(e.x)})`;
  return `(${printFull(e.l)} ${e.k} ${printFull(e.r)})`;
}
function evaluate(e: Expr, v: Record<'a' | 'b' | 'c', boolean>): boolean {
  if (e.k === 'sel') return v[e.n];
  if (e.k === 'not') return !evaluate(e.x, v);
  return e.k === 'and' ? evaluate(e.l, v) && evaluate(e.r, v) : evaluate(e.l, v) || evaluate(e.r, v);
}

const lists = ListSet.empty();
const selections = { sel_a: { 'user.name': 'a' }, sel_b: { 'group.name': 'b' }, sel_c: { 'source.ip': '10.0.0.3' } };
const assignments = [0, 1, 2, 3, 4, 5, 6, 7].map((m) => ({ a: (m & 1) > 0, b: (m & 2) > 0, c: (m & 4) > 0 }));
const eventFor = (v: Record<'a' | 'b' | 'c', boolean>) =>
  ev({ 'user.name': v.a ? 'a' : 'z', 'group.name': v.b ? 'b' : 'z', 'source.ip': v.c ? '10.0.0.3' : '10.0.0.9' });

describe('condition parser (property)', () => {
  it.each([
    ['minimal parentheses', print],
    ['full parentheses', printFull],
  ])('agrees with a reference evaluator, %s', (_label, printer) => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        const r = rule({ detection: { ...selections, condition: printer(expr) } });
        const engine = new Engine({ rules: [r], lists });
        for (const v of assignments) {
          const fired = engine.process(eventFor(v)).length === 1;
          if (fired !== evaluate(expr, v)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
