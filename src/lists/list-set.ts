/**
 * Named data lists (admin group names, service-account patterns, IOC addresses...) that rules reach with the
 * `|list` modifier. Each list is compiled once, on first use, to the fastest test its kind allows: a Set for
 * `string`, one anchored regex for `glob`, parsed ranges for `cidr`.
 */
import type { ListFile } from '../rules/schema';
import { cidrMatcher, parseCidr, type CidrRange } from './ip';

export type ListKind = ListFile['kind'];

export interface NamedList {
  readonly name: string;
  readonly description: string;
  readonly kind: ListKind;
  readonly entries: readonly string[];
  /** Files the entries came from, for error messages and `--explain` output. */
  readonly sources: readonly string[];
}

/** Tests one field value (already a string) against a list. */
export type ListMatcher = (value: string) => boolean;

export class ListSet {
  private readonly lists: ReadonlyMap<string, NamedList>;
  private readonly matchers = new Map<string, ListMatcher>();

  constructor(lists: Iterable<NamedList> = []) {
    const byName = new Map<string, NamedList>();
    for (const l of lists) byName.set(l.name, l);
    this.lists = byName;
  }

  static empty(): ListSet {
    return new ListSet();
  }

  has(name: string): boolean {
    return this.lists.has(name);
  }

  get(name: string): NamedList | undefined {
    return this.lists.get(name);
  }

  names(): string[] {
    return [...this.lists.keys()].sort();
  }

  all(): NamedList[] {
    return this.names().map((n) => this.lists.get(n) as NamedList);
  }

  /** The compiled test for a list; throws naming the list when it does not exist. */
  matcher(name: string): ListMatcher {
    const cached = this.matchers.get(name);
    if (cached) return cached;
    const list = this.lists.get(name);
    if (!list)
      throw new Error(`unknown list ${JSON.stringify(name)} (known: ${this.names().join(', ') || 'none'})`);
    const m = compileListMatcher(list);
    this.matchers.set(name, m);
    return m;
  }
}

/** `svc-*` → /^svc-.*$/i. Only `*` and `?` are wildcards; everything else is literal. */
export function globToRegexSource(glob: string): string {
  return glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
}

export function compileListMatcher(list: NamedList): ListMatcher {
  switch (list.kind) {
    case 'string': {
      const set = new Set(list.entries.map((e) => e.toLowerCase()));
      return (v) => set.has(v.toLowerCase());
    }
    case 'substring': {
      const needles = list.entries.filter((e) => e !== '');
      if (needles.length === 0) return () => false;
      // One case-insensitive alternation: no lower-cased copy of the value per test.
      const re = new RegExp(needles.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'i');
      return (v) => re.test(v);
    }
    case 'glob': {
      if (list.entries.length === 0) return () => false;
      // One alternation instead of N regexes: a single pass over the value per test.
      const re = new RegExp(`^(?:${list.entries.map(globToRegexSource).join('|')})$`, 'i');
      return (v) => re.test(v);
    }
    case 'cidr': {
      const ranges: CidrRange[] = list.entries.map((e) => {
        try {
          return parseCidr(e);
        } catch (err) {
          throw new Error(`list ${list.name}: ${(err as Error).message}`, { cause: err });
        }
      });
      return memo(cidrMatcher(ranges));
    }
  }
}

/** Address lists are asked about the same few addresses on nearly every event (each user works from one or
 *  two), so answers are remembered; the memo is dropped whole when it grows past a bound. */
function memo(test: ListMatcher, bound = 50_000): ListMatcher {
  const known = new Map<string, boolean>();
  return (v) => {
    let r = known.get(v);
    if (r === undefined) {
      r = test(v);
      if (known.size >= bound) known.clear();
      known.set(v, r);
    }
    return r;
  };
}
