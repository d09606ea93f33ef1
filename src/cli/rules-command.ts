/** `bulkhead rules list | validate | test`. */
import { existsSync } from 'node:fs';
import { SEVERITIES, severityRank } from '../core/severity';
import { builtinListsDir, builtinRulesDir } from '../hunt/paths';
import { formatLoadError, loadLists, loadRules, runRuleExamples, type LoadError } from '../engine';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, type CliIO } from './io';

function dirsOrBuiltin(dirs: readonly string[]): string[] {
  const list = dirs.length === 0 ? [builtinRulesDir()] : [...dirs];
  for (const d of list) if (!existsSync(d)) throw new UsageError(`rule folder not found: ${d}`);
  return list;
}

function printErrors(errors: readonly LoadError[], io: CliIO): void {
  for (const e of errors) io.stderr.write(`${formatLoadError(e)}\n`);
  io.stderr.write(`${errors.length} error(s)\n`);
}

export async function rulesListCommand(
  flags: { rules: string[]; builtinRules: boolean; json?: boolean },
  io: CliIO,
): Promise<number> {
  const dirs = [...(flags.builtinRules ? [builtinRulesDir()] : []), ...flags.rules];
  if (dirs.length === 0) throw new UsageError('no rules: --no-builtin-rules needs at least one --rules DIR');
  dirsOrBuiltin(dirs);
  const { rules, errors } = loadRules(dirs);
  const sorted = [...rules].sort(
    (a, b) => severityRank(b.ref.severity) - severityRank(a.ref.severity) || a.id.localeCompare(b.id),
  );
  if (flags.json === true) {
    const rows = sorted.map((r) => ({ ...r.ref, enabled: r.enabled, file: r.file }));
    io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  } else {
    const idW = Math.max(2, ...sorted.map((r) => r.id.length));
    const catW = Math.max(8, ...sorted.map((r) => r.ref.category.length));
    const sevW = Math.max(...SEVERITIES.map((s) => s.length));
    io.stdout.write(`${'ID'.padEnd(idW)}  ${'SEVERITY'.padEnd(sevW)}  ${'CATEGORY'.padEnd(catW)}  TITLE\n`);
    for (const r of sorted) {
      const off = r.enabled ? '' : ' (disabled)';
      io.stdout.write(
        `${r.id.padEnd(idW)}  ${r.ref.severity.padEnd(sevW)}  ${r.ref.category.padEnd(catW)}  ${r.ref.title}${off}\n`,
      );
    }
    io.stdout.write(`${sorted.length} rule(s)\n`);
  }
  if (errors.length > 0) {
    printErrors(errors, io);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

export async function rulesValidateCommand(dirs: string[], io: CliIO): Promise<number> {
  const list = dirsOrBuiltin(dirs);
  const { lists, errors: listErrors } = loadLists([builtinListsDir()]);
  // Validating against the loaded lists also catches `|list` references to lists that do not exist.
  const { rules, errors } = loadRules(list, lists);
  const all = [...listErrors, ...errors];
  if (all.length > 0) {
    printErrors(all, io);
    return EXIT_USAGE;
  }
  io.stdout.write(`${rules.length} rule(s) valid in ${list.join(', ')}\n`);
  return EXIT_OK;
}

export async function rulesTestCommand(dirs: string[], io: CliIO): Promise<number> {
  const list = dirsOrBuiltin(dirs);
  const { lists, errors: listErrors } = loadLists([builtinListsDir()]);
  const { rules, errors } = loadRules(list, lists);
  if (listErrors.length + errors.length > 0) {
    printErrors([...listErrors, ...errors], io);
    return EXIT_USAGE;
  }
  let passed = 0;
  let failed = 0;
  for (const rule of rules) {
    for (const o of runRuleExamples(rule, lists)) {
      if (o.passed) passed++;
      else failed++;
      io.stdout.write(
        `${o.passed ? 'pass' : 'FAIL'}  ${rule.id} #${o.index + 1} ${o.name}${o.passed ? '' : `: ${o.message}`}\n`,
      );
    }
  }
  io.stdout.write(`${passed} passed, ${failed} failed, ${rules.length} rule(s)\n`);
  return failed > 0 ? EXIT_FINDINGS : EXIT_OK;
}
