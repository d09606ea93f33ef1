/**
 * `npm run bench [-- --records N] [--check] [--data DIR] [--out FILE] [--batch N]`: see docs/benchmarks.md.
 * Exits 1 when a target is missed only with `--check`, so a slow shared machine does not fail a plain run.
 * `--rule-share [rounds]` measures instead what the rules cost the hunt, by family (src/bench/rule-share.ts).
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { packageRoot } from '../hunt/paths';
import { formatTable, runBench } from './harness';
import { formatRuleShare, runRuleShare } from './rule-share';

function positiveInt(v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

async function main(): Promise<number> {
  const root = packageRoot(__dirname);
  const program = new Command('bench')
    .option('--records <n>', 'records to generate and process', positiveInt, 1_000_000)
    .option('--batch <n>', 'events in the rule-engine comparison batch', positiveInt, 20_000)
    .option('--data <dir>', 'folder for generated data (reused when parameters match)')
    .option('--out <file>', 'results file', path.join(root, 'bench-results.json'))
    .option('--check', 'exit 1 when a target is missed')
    .option(
      '--rule-share [rounds]',
      'measure the hunt with no rules, without `distinct` rules and with all',
      positiveInt,
    )
    .parse(process.argv);
  const o = program.opts<{
    records: number;
    batch: number;
    data?: string;
    out: string;
    check?: boolean;
    ruleShare?: number | true;
  }>();
  const dataDir = o.data ?? path.join(root, 'bench-data', `dc-${o.records}`);
  if (o.ruleShare !== undefined) {
    const rounds = o.ruleShare === true ? 3 : o.ruleShare;
    process.stdout.write(`${formatRuleShare(await runRuleShare({ records: o.records, dataDir, rounds }))}\n`);
    return 0;
  }
  const results = await runBench({ records: o.records, batch: o.batch, dataDir, out: o.out });
  process.stdout.write(`${formatTable(results)}\nresults written to ${o.out}\n`);
  return o.check && !results.allMet ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
