/**
 * Loading rule files: every `*.yml` / `*.yaml` under the given directories, validated by `RuleFileSchema`, then
 * checked and pre-parsed by `compileRuleFile`. A broken file never stops the others from loading: it comes
 * back as errors naming the file, the key path and the reason.
 *
 * Directories are layered: a rule in a later directory replaces the rule with the same id from an earlier one
 * (how an installation overrides a built-in rule); the same id twice within one layer is an error.
 */
import type { ListSet } from '../lists/list-set';
import { compileRuleFile, type CompiledRule } from './compiled';
import { issuePath, type RuleLoadError } from './load-error';
import { RuleFileSchema } from './schema';
import { findYamlFiles, readYaml } from './yaml-files';

export interface RulesLoad {
  readonly rules: CompiledRule[];
  readonly errors: RuleLoadError[];
}

/**
 * @param lists when given, every `|list` reference must name one of these lists (otherwise list names are
 *   checked when the rule is bound into an Engine).
 */
export function loadRules(dirs: readonly string[], lists?: ListSet): RulesLoad {
  const errors: RuleLoadError[] = [];
  const byId = new Map<string, CompiledRule>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = findYamlFiles(dir);
    } catch (err) {
      errors.push({ file: dir, message: `cannot read rule directory: ${(err as Error).message}` });
      continue;
    }
    const layer = new Map<string, string>();
    for (const file of files) {
      const r = loadRuleFile(file, lists);
      if (!r.ok) {
        errors.push(...r.errors);
        continue;
      }
      const earlier = layer.get(r.rule.id);
      if (earlier) {
        errors.push({ file, path: 'id', message: `rule id ${r.rule.id} is already used by ${earlier}` });
        continue;
      }
      layer.set(r.rule.id, file);
      byId.set(r.rule.id, r.rule);
    }
  }
  return { rules: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), errors };
}

export type RuleFileLoad = { ok: true; rule: CompiledRule } | { ok: false; errors: RuleLoadError[] };

export function loadRuleFile(file: string, lists?: ListSet): RuleFileLoad {
  const read = readYaml(file);
  if (!read.ok) return { ok: false, errors: [read.error] };
  return compileRuleDocument(read.value, file, lists);
}

/** Validates and compiles one already-parsed rule document; `file` labels errors. */
export function compileRuleDocument(doc: unknown, file: string, lists?: ListSet): RuleFileLoad {
  const parsed = RuleFileSchema.safeParse(doc);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => ({
        file,
        path: issuePath(i.path) || '(root)',
        message: i.message,
      })),
    };
  }
  const compiled = compileRuleFile(parsed.data, file);
  if (!compiled.ok) return { ok: false, errors: compiled.problems.map((p) => ({ file, ...p })) };
  if (lists) {
    const missing = compiled.rule.listRefs.filter((r) => !lists.has(r.name));
    if (missing.length > 0) {
      return {
        ok: false,
        errors: missing.map((m) => ({
          file,
          path: m.path,
          message: `unknown list ${JSON.stringify(m.name)} (known: ${lists.names().join(', ') || 'none'})`,
        })),
      };
    }
  }
  return compiled;
}
