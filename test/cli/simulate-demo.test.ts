import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HuntResult } from '../../src/hunt';
import { run, tempDir } from './support';

describe('bulkhead simulate', () => {
  it('writes the scenario and the hunt finds the intruder (exit 1)', async () => {
    const out = path.join(tempDir(), 'sim');
    const sim = await run([
      'simulate',
      'cloudflare-2023',
      '--format',
      'dc',
      '--out',
      out,
      '--noise',
      '20',
      '--seed',
      '7',
    ]);
    expect(sim.code).toBe(0);
    expect(sim.stdout).toMatch(/Simulated cloudflare-2023 \(dc, 20 background users, seed 7\)/);
    expect(sim.stdout).toContain('svc-smartsheet');
    const hunt = await run(['hunt', '--json', out]);
    expect(hunt.code).toBe(1);
    const result = JSON.parse(hunt.stdout) as HuntResult;
    const top = result.incidents.find((i) => i.actor.name === 'svc-smartsheet');
    expect(top?.severity).toBe('critical');
  });

  it('is deterministic for a seed', async () => {
    const a = path.join(tempDir(), 'a');
    const b = path.join(tempDir(), 'b');
    await run(['simulate', 'cloudflare-2023', '--out', a, '--noise', '5', '--seed', '3']);
    await run(['simulate', 'cloudflare-2023', '--out', b, '--noise', '5', '--seed', '3']);
    const file = 'jira/log/audit/20231116.audit.log';
    expect(readFileSync(path.join(a, file), 'utf8')).toBe(readFileSync(path.join(b, file), 'utf8'));
  });

  it('names an unknown scenario and a bad --noise (exit 2)', async () => {
    const out = tempDir();
    const r = await run(['simulate', 'solarwinds-2020', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown scenario "solarwinds-2020"; known: cloudflare-2023/);
    const n = await run(['simulate', 'cloudflare-2023', '--out', out, '--noise', 'lots']);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/--noise must be a whole number/);
  });
});

describe('bulkhead demo --hunt', () => {
  it('simulates, hunts, reports, writes the HTML, and exits 0 despite critical findings', async () => {
    const out = tempDir();
    const started = Date.now();
    const r = await run(['demo', '--hunt', '--out', out]);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stdout).toMatch(/CRITICAL +#1 svc-smartsheet/);
    expect(r.stdout).toContain(`HTML report:    ${path.join(out, 'report.html')}`);
    expect(existsSync(path.join(out, 'report.html'))).toBe(true);
    expect(r.stdout).not.toMatch(/rejected: +[1-9]/);
  });
});
