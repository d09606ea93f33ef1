/** Tests that run the compiled code (`dist/`) in a child process build it first when a source is newer. */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');

const mtime = (p: string): number => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0;

const newest = (dir: string): number =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(path.join(dir, e.name)) : mtime(path.join(dir, e.name)),
    ),
  );

/**
 * What `npm test`'s pretest does (build dist/ when any source is newer than `probe`), repeated so a test file
 * also passes when run on its own; skipped when dist/ is current, so parallel test files are not disturbed by a
 * rebuild under their feet.
 */
export function ensureBuilt(probe: string): void {
  const built = mtime(path.join(REPO, probe));
  if (newest(path.join(REPO, 'src')) > built || mtime(path.join(REPO, 'tsconfig.json')) > built) {
    execFileSync(
      process.execPath,
      [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: REPO,
        stdio: 'pipe',
      },
    );
  }
}
