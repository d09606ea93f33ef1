/**
 * The Sigma-style condition language: selection names combined with `and`, `or`, `not`, parentheses, and the
 * quantifiers `1 of <prefix>*`, `all of <prefix>*`, `1 of them`, `all of them`. Precedence, tightest first:
 * `not`, `and`, `or`. Parsed once at load into a tree; the engine turns the tree into one closure.
 */

export type ConditionNode =
  | { readonly k: 'sel'; readonly name: string }
  | { readonly k: 'not'; readonly x: ConditionNode }
  | { readonly k: 'and' | 'or'; readonly xs: readonly ConditionNode[] };

export class ConditionError extends Error {}

const TOKEN_RE = /\s*(\(|\)|[A-Za-z_][A-Za-z0-9_.-]*\*?|\d+|\S)/y;

/**
 * Parses `condition` against the rule's selection names. Quantifiers are expanded here, so the tree only holds
 * selection names that exist. Throws ConditionError with the offending token and its column.
 */
export function parseCondition(condition: string, selections: readonly string[]): ConditionNode {
  const tokens: { text: string; col: number }[] = [];
  TOKEN_RE.lastIndex = 0;
  while (TOKEN_RE.lastIndex < condition.length) {
    const start = TOKEN_RE.lastIndex;
    const m = TOKEN_RE.exec(condition);
    if (!m || m[1] === undefined) {
      if (condition.slice(start).trim() === '') break;
      throw new ConditionError(`cannot read condition at column ${start + 1}`);
    }
    tokens.push({ text: m[1], col: m.index + m[0].length - m[1].length + 1 });
  }
  let pos = 0;
  const peek = (): string | undefined => tokens[pos]?.text;
  const fail = (what: string): never => {
    const t = tokens[pos];
    throw new ConditionError(
      t
        ? `${what}, found ${JSON.stringify(t.text)} at column ${t.col}`
        : `${what}, found the end of the condition`,
    );
  };
  const known = new Set(selections);
  const kw = (t: string | undefined, w: string): boolean => t !== undefined && t.toLowerCase() === w;

  const parseOr = (): ConditionNode => {
    const xs = [parseAnd()];
    while (kw(peek(), 'or')) {
      pos++;
      xs.push(parseAnd());
    }
    return xs.length === 1 ? (xs[0] as ConditionNode) : { k: 'or', xs };
  };
  const parseAnd = (): ConditionNode => {
    const xs = [parseNot()];
    while (kw(peek(), 'and')) {
      pos++;
      xs.push(parseNot());
    }
    return xs.length === 1 ? (xs[0] as ConditionNode) : { k: 'and', xs };
  };
  const parseNot = (): ConditionNode => {
    if (kw(peek(), 'not')) {
      pos++;
      return { k: 'not', x: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): ConditionNode => {
    const t = peek();
    if (t === '(') {
      pos++;
      const inner = parseOr();
      if (peek() !== ')') fail('expected ")"');
      pos++;
      return inner;
    }
    if (t === '1' || kw(t, 'all')) {
      pos++;
      if (!kw(peek(), 'of')) fail(`expected "of" after "${t}"`);
      pos++;
      const target = peek();
      if (target === undefined) fail('expected "them" or a selection pattern');
      pos++;
      const names = expandPattern(target as string, selections);
      if (names.length === 0) {
        pos--;
        fail(`no selection matches "${target}"`);
      }
      const xs = names.map((name): ConditionNode => ({ k: 'sel', name }));
      if (xs.length === 1) return xs[0] as ConditionNode;
      return { k: t === '1' ? 'or' : 'and', xs };
    }
    if (
      t === undefined ||
      t === ')' ||
      ['and', 'or', 'of', 'them'].includes(t.toLowerCase()) ||
      /^\d+$/.test(t)
    ) {
      return fail('expected a selection name, "not", "(", "1 of" or "all of"');
    }
    if (t.endsWith('*')) return fail('a wildcard pattern needs "1 of" or "all of" before it');
    if (!known.has(t)) {
      return fail(`unknown selection "${t}" (defined: ${selections.join(', ') || 'none'})`);
    }
    pos++;
    return { k: 'sel', name: t };
  };

  if (tokens.length === 0) throw new ConditionError('the condition is empty');
  const tree = parseOr();
  if (pos < tokens.length) fail('expected "and", "or" or the end of the condition');
  return tree;
}

function expandPattern(target: string, selections: readonly string[]): string[] {
  if (target.toLowerCase() === 'them') return [...selections];
  if (target.endsWith('*')) {
    const prefix = target.slice(0, -1);
    return selections.filter((s) => s.startsWith(prefix));
  }
  return selections.includes(target) ? [target] : [];
}

/** Every selection name the tree mentions. */
export function conditionSelections(node: ConditionNode, out = new Set<string>()): Set<string> {
  if (node.k === 'sel') out.add(node.name);
  else if (node.k === 'not') conditionSelections(node.x, out);
  else for (const x of node.xs) conditionSelections(x, out);
  return out;
}

/**
 * The `event.action` values for which the condition can be true, or null when it can be true for any action.
 * Sound over-approximation: `not` gives null, `and` intersects what is known, `or` unions only when every
 * branch is known.
 */
export function conditionActions(
  node: ConditionNode,
  selectionActions: (name: string) => ReadonlySet<string> | null,
): ReadonlySet<string> | null {
  switch (node.k) {
    case 'sel':
      return selectionActions(node.name);
    case 'not':
      return null;
    case 'and': {
      let acc: Set<string> | null = null;
      for (const x of node.xs) {
        const s = conditionActions(x, selectionActions);
        if (s === null) continue;
        acc = acc === null ? new Set(s) : intersect(acc, s);
      }
      return acc;
    }
    case 'or': {
      const acc = new Set<string>();
      for (const x of node.xs) {
        const s = conditionActions(x, selectionActions);
        if (s === null) return null;
        for (const a of s) acc.add(a);
      }
      return acc;
    }
  }
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}
