/** One real run of the built CLI (`node bin/bulkhead.js`), as a user or a script runs it. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBuilt } from '../support/build';
import { REPO_ROOT, tempDir, writeFixture } from './support';

describe('bin/bulkhead.js (built dist/)', () => {
  beforeAll(() => ensureBuilt('dist/cli/main.js'), 120_000);

  const bulkhead = (args: string[], input?: string) =>
    spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/bulkhead.js'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      input: input ?? '',
      env: { ...process.env, NO_COLOR: '1' },
    });

  it('exits 1 on findings, 0 below --fail-on, 2 on a missing input', () => {
    const { file, adminLine } = writeFixture(tempDir());
    const hit = bulkhead(['hunt', file]);
    expect(hit.status).toBe(1);
    expect(hit.stdout).toContain(`${file}:${adminLine}`);
    expect(hit.stderr).toBe(''); // stderr is not a TTY: no progress bar
    expect(bulkhead(['hunt', '--fail-on', 'critical', file]).status).toBe(0);
    const missing = bulkhead(['hunt', path.join(tempDir(), 'nope.log')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/input not found: .*nope\.log/);
  });

  it('reads stdin and writes NDJSON', () => {
    const { file } = writeFixture(tempDir());
    const r = bulkhead(['hunt', '--ndjson', '-'], readFileSync(file, 'utf8'));
    expect(r.status).toBe(1);
    const first = JSON.parse(r.stdout.split('\n')[0] ?? '') as { type: string; schema: string };
    expect(first).toMatchObject({ type: 'summary', schema: 'bulkhead.hunt/v1' });
  });

  it('exits quietly when the reader closes the pipe early (| head)', () => {
    // 1,000 rejects make ~200 KB of NDJSON, far more than a pipe buffers, so the write must hit EPIPE.
    const file = path.join(tempDir(), 'junk.log');
    writeFileSync(file, 'not an audit record, just noise that fills the pipe\n'.repeat(1000));
    const bin = path.join(REPO_ROOT, 'bin/bulkhead.js');
    const script = `"${process.execPath}" "${bin}" hunt --ndjson "${file}" | head -c 10 >/dev/null`;
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.stderr).not.toContain('EPIPE');
  });
});
