/** `bulkhead serve --config FILE`: the self-hosted service for Data Center, until SIGINT or SIGTERM. */
import { formatLoadError } from '../engine';
import { loadServeConfig } from '../serve/config';
import { startServe, ServeStartError } from '../serve/run';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io';

export async function serveCommand(flags: { config: string; port?: number }, io: CliIO): Promise<number> {
  const loaded = loadServeConfig(flags.config, io.env as NodeJS.ProcessEnv);
  if (!loaded.ok) {
    io.stderr.write(`bulkhead serve: the configuration is refused:\n`);
    for (const e of loaded.errors) io.stderr.write(`  ${formatLoadError(e)}\n`);
    return EXIT_USAGE;
  }
  let running;
  try {
    running = await startServe(loaded.config, loaded.secrets, {
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      log: (l) => io.stderr.write(`${new Date().toISOString()} ${l}\n`),
    });
  } catch (err) {
    if (err instanceof ServeStartError) {
      io.stderr.write(`bulkhead serve: cannot start:\n`);
      for (const e of err.errors) io.stderr.write(`  ${formatLoadError(e)}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  io.stdout.write(`Bulkhead is watching. Console: ${running.http.url}\n`);
  if (running.adminPasswordFile)
    io.stdout.write(`First start: the admin password (user admin) is in ${running.adminPasswordFile}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  io.stderr.write('Stopping (the last poll is committed)...\n');
  await running.close();
  return EXIT_OK;
}
