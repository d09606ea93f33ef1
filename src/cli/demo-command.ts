/**
 * `bulkhead demo`: the Quick start. Simulates the Cloudflare 2023 intrusion (Data Center logs, fixed seed),
 * hunts it, prints the report and says where the logs and the HTML report are. It always exits 0: the demo
 * exists to show findings, not to fail a script because it found them.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runHunt } from '../hunt';
import { renderHtml } from '../report/html';
import { renderTerminal } from '../report/terminal';
import { EXIT_OK, useColor, type CliIO } from './io';
import { simulate } from './simulate-command';

export const DEMO_SCENARIO = 'cloudflare-2023';
export const DEMO_SEED = 20231123;
export const DEMO_NOISE = 200;

export async function demoCommand(flags: { out?: string }, io: CliIO): Promise<number> {
  const out = flags.out ?? (await mkdtemp(path.join(tmpdir(), 'bulkhead-demo-')));
  const logs = path.join(out, 'logs');
  io.stderr.write(
    `Simulating ${DEMO_SCENARIO} (Data Center logs, ${DEMO_NOISE} background users, seed ${DEMO_SEED})...\n`,
  );
  const manifest = await simulate(DEMO_SCENARIO, {
    format: 'dc',
    out: logs,
    noise: DEMO_NOISE,
    seed: DEMO_SEED,
  });
  io.stderr.write(`Hunting ${manifest.files.length} log files in ${logs} ...\n\n`);
  // The log files the manifest lists, not the folder: the folder also holds the manifest (ground truth),
  // which is not an audit log and would only show up as a reject.
  const result = await runHunt({ inputs: manifest.files.map((f) => path.join(logs, f.file)) });
  io.stdout.write(renderTerminal(result, { color: useColor(io.stdout, io.env) }));
  const html = path.join(out, 'report.html');
  await writeFile(html, renderHtml(result));
  io.stdout.write(`\nSimulated logs: ${logs}\nHTML report:    ${html}\n`);
  io.stdout.write(`Try: bulkhead hunt ${logs} --json   (or --html FILE, --since, --fail-on)\n`);
  return EXIT_OK;
}
