/** `bulkhead hunt [paths...]`: options → HuntOptions, run, then write the chosen report(s). */
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { IANAZone } from 'luxon';
import { atLeast, isSeverity, SEVERITIES, type Severity } from '../core/severity';
import { HuntInputError, parseTimeArg, runHunt, type HuntOptions, type HuntResult } from '../hunt';
import { builtinListsDir, builtinRulesDir } from '../hunt/paths';
import type { HuntDeps } from '../hunt/ports';
import { renderHtml } from '../report/html';
import { ndjsonLines, renderJson } from '../report/json';
import { renderTerminal } from '../report/terminal';
import { EXIT_FINDINGS, EXIT_OK, UsageError, useColor, type CliIO } from './io';
import { createProgress } from './progress';

export interface HuntFlags {
  json?: boolean;
  ndjson?: boolean;
  html?: string;
  rules: string[];
  builtinRules: boolean;
  lists: string[];
  ioc: string[];
  since?: string;
  until?: string;
  failOn: string;
  timezone?: string;
  progress: boolean;
  quiet?: boolean;
}

function requireDir(dir: string, what: string): void {
  if (!existsSync(dir)) throw new UsageError(`${what} not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${what} is not a folder: ${dir}`);
}

/** Checks the flags and turns them into HuntOptions (inputs still to be resolved). */
export function huntOptionsFrom(
  flags: HuntFlags,
  io: CliIO,
): Omit<HuntOptions, 'inputs'> & { failOn: Severity } {
  if (flags.json === true && flags.ndjson === true)
    throw new UsageError('--json and --ndjson cannot be combined');
  if (!isSeverity(flags.failOn)) {
    throw new UsageError(
      `--fail-on must be one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(flags.failOn)})`,
    );
  }
  const zone = flags.timezone ?? 'UTC';
  if (!IANAZone.isValidZone(zone))
    throw new UsageError(`--timezone: unknown IANA time zone ${JSON.stringify(zone)}`);
  const time = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    try {
      return parseTimeArg(text, io.now(), zone);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
  };
  const since = time('--since', flags.since);
  const until = time('--until', flags.until);

  const ruleDirs = [...(flags.builtinRules ? [builtinRulesDir()] : []), ...flags.rules];
  if (ruleDirs.length === 0)
    throw new UsageError('no rules: --no-builtin-rules needs at least one --rules DIR');
  flags.rules.forEach((d) => requireDir(d, 'rule folder (--rules)'));
  flags.lists.forEach((d) => requireDir(d, 'list folder (--lists)'));
  for (const f of flags.ioc) if (!existsSync(f)) throw new UsageError(`IOC file (--ioc) not found: ${f}`);
  return {
    ruleDirs,
    listDirs: [builtinListsDir(), ...flags.lists],
    iocFiles: flags.ioc,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(flags.timezone === undefined ? {} : { timezone: flags.timezone }),
    failOn: flags.failOn,
  };
}

export function exitCodeFor(result: HuntResult, failOn: Severity): number {
  const hit = SEVERITIES.some((s) => atLeast(s, failOn) && result.summary.bySeverity[s] > 0);
  return hit ? EXIT_FINDINGS : EXIT_OK;
}

/** Runs a hunt and writes its reports; returns the exit code. Throws UsageError / HuntInputError for exit 2. */
export async function huntCommand(
  paths: string[],
  flags: HuntFlags,
  io: CliIO,
  deps?: HuntDeps,
): Promise<number> {
  if (paths.length === 0)
    throw new UsageError('hunt needs at least one input path (or - for standard input)');
  if (paths.filter((p) => p === '-').length > 1)
    throw new UsageError('standard input (-) can be given only once');
  const { failOn, ...base } = huntOptionsFrom(flags, io);
  for (const p of paths) if (p !== '-' && !existsSync(p)) throw new UsageError(`input not found: ${p}`);

  const progress = createProgress(io.stderr, flags.progress && flags.quiet !== true, io.now);
  let result: HuntResult;
  try {
    result = await runHunt(
      {
        ...base,
        inputs: paths,
        stdin: io.stdin,
        onProgress: (p) => progress.update(p),
      },
      deps,
    );
  } finally {
    progress.stop();
  }

  if (flags.json === true) io.stdout.write(renderJson(result));
  else if (flags.ndjson === true) for (const line of ndjsonLines(result)) io.stdout.write(line + '\n');
  else if (flags.quiet !== true)
    io.stdout.write(renderTerminal(result, { color: useColor(io.stdout, io.env) }));

  if (flags.html !== undefined) {
    try {
      await writeFile(flags.html, renderHtml(result));
    } catch (err) {
      throw new HuntInputError(`cannot write HTML report ${flags.html}: ${(err as Error).message}`);
    }
    if (flags.quiet !== true) io.stderr.write(`HTML report written to ${flags.html}\n`);
  }
  return exitCodeFor(result, failOn);
}
