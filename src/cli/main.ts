/**
 * The `bulkhead` command line. `main(argv, io)` returns the exit code instead of exiting, and writes only
 * to the streams in `io`, so tests drive it in-process; bin/bulkhead.js passes the real process streams.
 *
 * Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { SEVERITIES } from '../core/severity';
import { HuntInputError } from '../hunt';
import { packageRoot } from '../hunt/paths';
import { demoCommand } from './demo-command';
import { liveDemoCommand, type LiveDemoFlags } from './live-demo';
import { serveCommand } from './serve-command';
import { huntCommand, type HuntFlags } from './hunt-command';
import { EXIT_OK, EXIT_USAGE, processIO, UsageError, type CliIO } from './io';
import { rulesListCommand, rulesTestCommand, rulesValidateCommand } from './rules-command';
import { simulateCommand, type SimulateFlags } from './simulate-command';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('bulkhead')
    .description('Security monitor for Jira, Confluence and Bitbucket: hunts intruders in audit logs.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('hunt')
    .description(
      'Read audit logs (files, folders, or - for stdin), run the detection rules, report incidents.',
    )
    .argument('[paths...]', 'audit log files or folders; - reads standard input')
    .option('--json', 'write the result as one JSON document (schema bulkhead.hunt/v1)')
    .option('--ndjson', 'write the result as NDJSON, one typed object per line')
    .option('--html <file>', 'also write a self-contained HTML report to FILE')
    .option(
      '--rules <dir>',
      'add a rule folder (repeatable; later folders override earlier ones by rule id)',
      collect,
      [],
    )
    .option('--no-builtin-rules', 'do not load the built-in rules')
    .option('--lists <dir>', 'add a list folder (repeatable)', collect, [])
    .option(
      '--ioc <file>',
      'add an IOC file: one IP, CIDR, domain or hash per line (repeatable)',
      collect,
      [],
    )
    .option('--since <time>', 'only events at or after TIME: ISO 8601 or relative (7d, 12h)')
    .option('--until <time>', 'only events before TIME: ISO 8601 or relative (7d, 12h)')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a detection is at or above this')
        .choices(SEVERITIES)
        .default('high'),
    )
    .option('--timezone <zone>', 'IANA zone for times written without one (and for --since/--until)')
    .option('--no-progress', 'never show the progress bar')
    .option(
      '-q, --quiet',
      'no terminal report and no progress; only the exit code (and --json/--ndjson/--html)',
    )
    .action(async (paths: string[], flags: HuntFlags) => setExit(await huntCommand(paths, flags, io)));

  program
    .command('simulate')
    .description('Write the audit logs of a simulated incident (with benign noise) to a folder.')
    .argument('<scenario>', 'scenario name, e.g. cloudflare-2023')
    .addOption(new Option('--format <format>', 'log flavour to write').choices(['dc', 'cloud']).default('dc'))
    .requiredOption('--out <dir>', 'folder to write the logs and manifest into')
    .option(
      '--noise <n>',
      "benign background users whose everyday activity surrounds the attack (default: the scenario's, 200)",
      (v) => parseNonNegativeInt('--noise', v),
    )
    .option('--seed <s>', "random seed: the same seed writes the same logs (default: the scenario's)", (v) =>
      parseNonNegativeInt('--seed', v),
    )
    .action(async (scenario: string, flags: SimulateFlags) =>
      setExit(await simulateCommand(scenario, flags, io)),
    );

  program
    .command('demo')
    .description(
      'Run the self-hosted service against the Data Center simulator and replay the Cloudflare 2023 intrusion live ' +
        '(--hunt: simulate it and hunt the logs offline instead).',
    )
    .option('--scenario <name>', 'the scenario to replay', 'cloudflare-2023')
    .option(
      '--speed <n>',
      'simulated seconds per second (3600: one simulated hour a second)',
      (v) => parsePositive('--speed', v),
      3600,
    )
    .option('--noise <n>', 'background users (default: the scenario’s, 200)', (v) =>
      parseNonNegativeInt('--noise', v),
    )
    .option('--seed <s>', 'random seed for the scenario', (v) => parseNonNegativeInt('--seed', v))
    .option('--port <n>', 'console port (default: any free port)', (v) => parseNonNegativeInt('--port', v))
    .option('--exit-when-done', 'stop when the replay is over instead of keeping the console up')
    .option('--hunt', 'simulate the logs and hunt them offline (no service, no simulator)')
    .option('--out <dir>', 'folder for the logs, the state and reports (default: a new temp folder)')
    .action(async (flags: LiveDemoFlags & { hunt?: boolean }) =>
      setExit(flags.hunt ? await demoCommand(flags, io) : await liveDemoCommand(flags, io)),
    );

  program
    .command('serve')
    .description('The self-hosted service for Data Center: tail, detect, contain, notify, serve the console.')
    .requiredOption('--config <file>', 'the YAML configuration (docs/serve-config.md)')
    .option('--port <n>', 'override http.port', (v) => parseNonNegativeInt('--port', v))
    .action(async (flags: { config: string; port?: number }) => setExit(await serveCommand(flags, io)));

  const rules = program.command('rules').description('List, validate and test detection rules.');
  rules
    .command('list')
    .description('List the rules: id, severity, category, title.')
    .option('--rules <dir>', 'add a rule folder (repeatable)', collect, [])
    .option('--no-builtin-rules', 'do not load the built-in rules')
    .option('--json', 'write the list as JSON')
    .action(async (flags: { rules: string[]; builtinRules: boolean; json?: boolean }) =>
      setExit(await rulesListCommand(flags, io)),
    );
  rules
    .command('validate')
    .description('Load rule folders and report every error with its file and key (exit 2 on any).')
    .argument('[dirs...]', 'rule folders (default: the built-in rules)')
    .action(async (dirs: string[]) => setExit(await rulesValidateCommand(dirs, io)));
  rules
    .command('test')
    .description("Run every rule's examples through the engine and print pass/fail per example.")
    .argument('[dirs...]', 'rule folders (default: the built-in rules)')
    .action(async (dirs: string[]) => setExit(await rulesTestCommand(dirs, io)));

  return program;
}

function parseNonNegativeInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new UsageError(`${flag} must be a whole number (got ${JSON.stringify(text)})`);
  return Number(text);
}

function parsePositive(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive number (got ${JSON.stringify(text)})`);
  return n;
}

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end parsing with code 0; anything else is a usage error, already printed.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof UsageError || err instanceof HuntInputError) {
      io.stderr.write(`bulkhead: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
