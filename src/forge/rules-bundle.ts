/**
 * The built-in rules and lists for the Forge bundle. The Forge bundler packages code and JSON imports, not
 * the YAML files under rules/ and lists/, so they travel as one generated JSON document
 * (src/forge/generated/builtin-rules.json: parsed documents, paths relative to the repository) and are
 * compiled when the function starts. `test/forge/rules-bundle.test.ts` fails when the JSON is stale and
 * rewrites it with `UPDATE_FORGE_RULES=1`.
 */
import path from 'node:path';
import { compileRuleDocument, type CompiledRule } from '../engine';
import { loadLists } from '../lists';
import { ListSet, type NamedList } from '../lists/list-set';
import { findYamlFiles, readYaml } from '../rules/yaml-files';
import type { RuleSet } from './core/ingest';

export interface RulesBundle {
  readonly version: 1;
  readonly rules: readonly { readonly file: string; readonly doc: unknown }[];
  readonly lists: readonly NamedList[];
}

/** Reads rules/ and lists/ under `root` into a bundle (build time; uses the file system). */
export function buildRulesBundle(root: string): RulesBundle {
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  const lists = loadLists([path.join(root, 'lists')]);
  if (lists.errors.length > 0)
    throw new Error(`lists: ${lists.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
  const rules = findYamlFiles(path.join(root, 'rules')).map((f) => {
    const r = readYaml(f);
    if (!r.ok) throw new Error(`${f}: ${r.error.message}`);
    return { file: rel(f), doc: r.value };
  });
  return {
    version: 1,
    rules,
    lists: lists.lists.all().map((l) => ({ ...l, sources: l.sources.map(rel) })),
  };
}

/** Compiles a bundle (run time); any rule that does not compile is an error naming its file. */
export function ruleSetFromBundle(b: RulesBundle): RuleSet {
  const lists = new ListSet(b.lists);
  const rules: CompiledRule[] = [];
  for (const r of b.rules) {
    const c = compileRuleDocument(r.doc, r.file, lists);
    if (!c.ok) throw new Error(`${r.file}: ${c.errors.map((e) => e.message).join('; ')}`);
    rules.push(c.rule);
  }
  return { rules, lists };
}
