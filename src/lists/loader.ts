/**
 * Loading lists: `lists/*.yml` files (later directories override earlier ones by list name, which is how an
 * installation replaces a built-in list) and IOC files from `--ioc` (plain text or CSV, one indicator per
 * line), whose indicators are sorted into `ioc-ips`, `ioc-domains` and `ioc-hashes` and merged with the
 * built-in lists of those names.
 */
import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { ListFileSchema } from '../rules/schema';
import { issuePath, type LoadError } from '../rules/load-error';
import { findYamlFiles, readYaml } from '../rules/yaml-files';
import { parseCidr } from './ip';
import { ListSet, type ListKind, type NamedList } from './list-set';

export interface ListsLoad {
  readonly lists: ListSet;
  readonly errors: LoadError[];
}

export const IOC_LISTS = {
  ip: { name: 'ioc-ips', kind: 'cidr' },
  domain: { name: 'ioc-domains', kind: 'substring' },
  hash: { name: 'ioc-hashes', kind: 'string' },
} as const satisfies Record<string, { name: string; kind: ListKind }>;
export type IndicatorType = keyof typeof IOC_LISTS;

export function loadLists(dirs: readonly string[], iocFiles: readonly string[] = []): ListsLoad {
  const errors: LoadError[] = [];
  const byName = new Map<string, NamedList>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = findYamlFiles(dir);
    } catch (err) {
      errors.push({ file: dir, message: `cannot read list directory: ${(err as Error).message}` });
      continue;
    }
    const seenHere = new Map<string, string>();
    for (const file of files) {
      const read = readYaml(file);
      if (!read.ok) {
        errors.push(read.error);
        continue;
      }
      const parsed = ListFileSchema.safeParse(read.value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          errors.push({ file, path: issuePath(issue.path), message: issue.message });
        continue;
      }
      const l = parsed.data;
      const dup = seenHere.get(l.name);
      if (dup) {
        errors.push({ file, path: 'name', message: `list ${l.name} is already defined in ${dup}` });
        continue;
      }
      seenHere.set(l.name, file);
      if (l.kind === 'cidr') {
        const bad = l.entries.findIndex((e) => !isCidr(e));
        if (bad >= 0) {
          errors.push({
            file,
            path: `entries[${bad}]`,
            message: `not an IP address or CIDR range: ${JSON.stringify(l.entries[bad])}`,
          });
          continue;
        }
      }
      byName.set(l.name, {
        name: l.name,
        description: l.description,
        kind: l.kind,
        entries: l.entries,
        sources: [file],
      });
    }
  }

  const found: Record<IndicatorType, string[]> = { ip: [], domain: [], hash: [] };
  const iocSources: string[] = [];
  for (const file of iocFiles) {
    const r = readIocFile(file);
    errors.push(...r.errors);
    for (const ind of r.indicators) found[ind.type].push(ind.value);
    iocSources.push(file);
  }
  for (const type of Object.keys(found) as IndicatorType[]) {
    const values = found[type];
    if (values.length === 0) continue;
    const { name, kind } = IOC_LISTS[type];
    const base = byName.get(name);
    byName.set(name, {
      name,
      description: base?.description ?? `indicators of compromise (${type}) from --ioc files`,
      kind: base?.kind ?? kind,
      entries: [...new Set([...(base?.entries ?? []), ...values])],
      sources: [...(base?.sources ?? []), ...iocSources],
    });
  }
  return { lists: new ListSet(byName.values()), errors };
}

function isCidr(s: string): boolean {
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
}

export interface Indicator {
  readonly type: IndicatorType;
  readonly value: string;
  readonly line: number;
}

const HASH_RE = /^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i;
// A hostname with at least one dot and a letter TLD; `idowall.com`, `c2.example.co.uk`.
const DOMAIN_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** What kind of indicator a string is, or undefined. Defanged forms (`idowall[.]com`, `1.2.3[.]4`) are accepted. */
export function classifyIndicator(raw: string): { type: IndicatorType; value: string } | undefined {
  const v = raw.trim().replace(/\[\.\]/g, '.');
  if (v === '') return undefined;
  if (isCidr(v)) return { type: 'ip', value: v };
  if (HASH_RE.test(v)) return { type: 'hash', value: v.toLowerCase() };
  if (DOMAIN_RE.test(v)) return { type: 'domain', value: v.toLowerCase() };
  return undefined;
}

/** Reads one IOC file: `#` comments and blank lines are skipped; in CSV the indicator is the first column and a
 *  first row that is not an indicator is taken as a header. Every other unrecognised line is an error. */
export function readIocFile(file: string): { indicators: Indicator[]; errors: LoadError[] } {
  const indicators: Indicator[] = [];
  const errors: LoadError[] = [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { indicators, errors: [{ file, message: `cannot read IOC file: ${(err as Error).message}` }] };
  }
  const csv = /\.csv$/i.test(file);
  const lines = text.split(/\r?\n/);
  let firstContent = true;
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    let cell = trimmed;
    if (csv) {
      try {
        const rows = parseCsv(trimmed, { relax_column_count: true }) as string[][];
        cell = rows[0]?.[0] ?? '';
      } catch (err) {
        errors.push({ file, line: i + 1, message: `bad CSV: ${(err as Error).message}` });
        return;
      }
    }
    const isHeader = firstContent && csv;
    firstContent = false;
    const c = classifyIndicator(cell);
    if (c) indicators.push({ ...c, line: i + 1 });
    else if (!isHeader)
      errors.push({
        file,
        line: i + 1,
        message: `not an IP, CIDR, domain or md5/sha1/sha256 hash: ${JSON.stringify(cell)}`,
      });
  });
  return { indicators, errors };
}
