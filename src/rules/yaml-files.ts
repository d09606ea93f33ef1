/** Finding and reading the YAML files of a rule or list directory. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { LoadError } from './load-error';

/** Every `*.yml` / `*.yaml` under `dir`, recursively, in a stable (sorted) order. A missing dir is an error. */
export function findYamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/i.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export type YamlRead = { ok: true; value: unknown } | { ok: false; error: LoadError };

/** Parses one YAML file; a syntax error comes back with its line, never thrown. */
export function readYaml(file: string): YamlRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, error: { file, message: `cannot read: ${(err as Error).message}` } };
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    return {
      ok: false,
      error: {
        file,
        ...(line !== undefined ? { line } : {}),
        message: `YAML syntax: ${first.message.split('\n')[0]}`,
      },
    };
  }
  return { ok: true, value: doc.toJS() };
}
