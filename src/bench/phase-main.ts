/**
 * Child-process entry for one measured phase: `node phase-main.js '<PhaseRequest JSON>'`. Prints one JSON line
 * with the phase's result and this process's peak RSS, so each phase's memory is measured on its own.
 */
import { runPhase, type PhaseRequest } from './phases';

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('phase-main: missing the phase request argument');
  const req = JSON.parse(arg) as PhaseRequest;
  const result = await runPhase(req);
  // resourceUsage().maxRSS is in kilobytes.
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ...result, maxRssMb })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench phase failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
