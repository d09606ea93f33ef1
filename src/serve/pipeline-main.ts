/**
 * A pipeline as its own process, polling until told to stop: `node pipeline-main.js '<json>'` with
 * `{ sources: [{dir, match, product?}], stateFile, stopFile, pollMs?, idleMs? }`; it stops once the stop file
 * exists and every line has been read and processed. It runs the built-in rules. The kill
 * test starts it, kills it at random moments and starts it again; `bulkhead serve` (issue #4) will own the loop.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Product } from '../core/event';
import { loadLists, loadRules } from '../engine';
import { builtinListsDir, builtinRulesDir } from '../hunt/paths';
import { Pipeline } from './pipeline';

interface Args {
  sources: { dir: string; match: string; product?: Product }[];
  stateFile: string;
  stopFile: string;
  pollMs?: number;
  idleMs?: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const lists = loadLists([builtinListsDir()], []);
  const rules = loadRules([builtinRulesDir()], lists.lists);
  if (lists.errors.length + rules.errors.length > 0) throw new Error('built-in rules or lists do not load');
  const pipeline = Pipeline.open({
    sources: args.sources.map((s) => ({ ...s, match: new RegExp(s.match) })),
    stateFile: args.stateFile,
    rules: rules.rules,
    lists: lists.lists,
    ...(args.idleMs !== undefined ? { idleMs: args.idleMs } : {}),
  });
  try {
    for (;;) {
      const stopping = existsSync(args.stopFile); // checked before the poll, so the last poll sees every line
      const r = await pipeline.step();
      // One line per committed poll, so a supervisor (or the kill test) can see progress.
      if (r.committed) process.stdout.write(`committed ${r.lines}\n`);
      if (stopping && r.lines === 0 && r.waiting === 0) break;
      if (r.lines === 0) await sleep(args.pollMs ?? 20);
    }
  } finally {
    await pipeline.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`pipeline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
