import { createProgress, PROGRESS_MIN_BYTES } from '../../src/cli/progress';
import { clean } from '../../src/report/format';
import { run, tempDir, writeFixture } from '../cli/support';

describe('terminal report', () => {
  it('neutralises control characters an attacker writes into a user name', async () => {
    const { file } = writeFixture(tempDir(), 'eve\u001b[2J\u001b]0;pwned\u0007\rroot');
    const r = await run(['hunt', file]);
    expect(r.code).toBe(1);
    for (const c of ['\u001b', '\u0007', '\r']) expect(r.stdout).not.toContain(c);
    expect(r.stdout).toContain('eve\uFFFD[2J\uFFFD]0;pwned\uFFFD\uFFFDroot');
  });

  it('shows incident, timeline, evidence and summary sections', async () => {
    const { file } = writeFixture(tempDir());
    const out = (await run(['hunt', file])).stdout;
    expect(out).toMatch(/HIGH .*#1 /);
    expect(out).toMatch(/actor: +mallory/);
    expect(out).toMatch(
      /timeline:\n +2023-11-23 15:02:00Z +high +admin-group-member-added +mallory added mallory/,
    );
    expect(out).toMatch(/rejected: +2\n +.*jira\.audit\.log:2: .*\n +.*jira\.audit\.log:4: /);
    expect(out).toMatch(/detections: +\d+ \(.*high 1/);
    expect(out).toMatch(/jira\.audit\.log: dc-audit-file 3, unknown 2/);
  });

  it('clean() keeps ordinary text', () => {
    expect(clean('Zoë O’Brien\tadmin')).toBe('Zoë O’Brien admin');
  });
});

describe('progress bar', () => {
  const tty = () => {
    let text = '';
    return {
      stream: { isTTY: true, columns: 100, write: (s: string) => ((text += s), true) },
      text: () => text,
    };
  };

  it('appears on a TTY for large inputs, not for small quick ones, never when disabled or piped', () => {
    const big = tty();
    const p = createProgress(big.stream, true);
    p.update({ bytesRead: 1, bytesTotal: PROGRESS_MIN_BYTES * 2, records: 10 });
    p.stop();
    expect(big.text()).toContain('hunting');

    const small = tty();
    const q = createProgress(small.stream, true, () => 0);
    q.update({ bytesRead: 1, bytesTotal: 1000, records: 1 });
    q.stop();
    expect(small.text()).toBe('');

    const off = tty();
    createProgress(off.stream, false).update({
      bytesRead: 1,
      bytesTotal: PROGRESS_MIN_BYTES * 2,
      records: 1,
    });
    expect(off.text()).toBe('');

    let piped = '';
    createProgress({ write: (s: string) => (piped += s) }, true).update({
      bytesRead: 1,
      bytesTotal: PROGRESS_MIN_BYTES * 2,
      records: 1,
    });
    expect(piped).toBe('');
  });

  it('appears for a small input once the run passes 2 s', () => {
    const slow = tty();
    let now = 0;
    const p = createProgress(slow.stream, true, () => now);
    p.update({ bytesRead: 1, bytesTotal: 1000, records: 1 });
    expect(slow.text()).toBe('');
    now = 2_500;
    p.update({ bytesRead: 2, bytesTotal: 1000, records: 2 });
    p.stop();
    expect(slow.text()).toContain('hunting');
  });
});
