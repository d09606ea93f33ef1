/** runHunt end to end with the real parsers, rules, engine and correlator. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { HuntInputError, runHunt, type HuntProgress } from '../../src/hunt';
import { jiraDcLine, tempDir, T0 } from '../cli/support';

const created = (t: number, who: string) =>
  jiraDcLine(t, 'User created', 'alice', [{ id: `JIRAUSER-${who}`, name: who, type: 'USER' }]);
const promoted = (t: number, who: string) =>
  jiraDcLine(t, 'User added to group', 'alice', [
    { name: 'jira-administrators', type: 'GROUP' },
    { id: `JIRAUSER-${who}`, name: who, type: 'USER' },
  ]);
const benign = (t: number) => jiraDcLine(t, 'Group created', 'alice', [{ name: `team-${t}`, type: 'GROUP' }]);

describe('runHunt', () => {
  it('merges files by event time, so a sequence split across files (one newest-first) is seen in order', async () => {
    const dir = tempDir();
    // Listed first, written newest-first (as API pages are): the promotion precedes the creation in the file.
    const b = path.join(dir, 'b-newest-first.audit.log');
    writeFileSync(b, [promoted(T0 + 300, 'eve'), benign(T0 + 200), benign(T0 + 5)].join('\n') + '\n');
    const a = path.join(dir, 'a.audit.log');
    writeFileSync(a, [benign(T0), created(T0 + 100, 'eve'), benign(T0 + 400)].join('\n') + '\n');

    const progress: HuntProgress[] = [];
    const result = await runHunt({ inputs: [b, a], onProgress: (p) => progress.push(p) });
    const seq = result.detections.find((d) => d.rule.id === 'new-user-added-to-admin-group');
    expect(seq).toBeDefined();
    expect(seq?.evidence).toEqual([
      { file: a, line: 2 },
      { file: b, line: 1 },
    ]);
    expect(result.summary).toMatchObject({ records: 6, events: 6, rejected: 0, late: 0, files: 2 });
    const last = progress[progress.length - 1];
    expect(last?.bytesRead).toBe(last?.bytesTotal);
    expect(last?.records).toBe(6);
  });

  it('puts a slightly out-of-order file right, and since/until cut events out before the engine sees them', async () => {
    const dir = tempDir();
    const only = path.join(dir, 'reversed.audit.log');
    writeFileSync(only, [promoted(T0 + 300, 'eve'), created(T0 + 100, 'eve')].join('\n') + '\n');
    const fixed = await runHunt({ inputs: [only] });
    expect(fixed.detections.some((d) => d.rule.id === 'new-user-added-to-admin-group')).toBe(true);
    const cut = await runHunt({ inputs: [only], since: (T0 + 200) * 1000 });
    expect(cut.detections.some((d) => d.rule.id === 'new-user-added-to-admin-group')).toBe(false);
    expect(cut.summary.filtered).toBe(1);
    expect(cut.summary.since).toBe(new Date((T0 + 200) * 1000).toISOString());
  });

  it('rejects an empty or inverted time range and missing inputs with HuntInputError', async () => {
    await expect(runHunt({ inputs: ['x'], since: 10, until: 5 })).rejects.toThrow(HuntInputError);
    await expect(runHunt({ inputs: [] })).rejects.toThrow(/no input files/);
    await expect(runHunt({ inputs: ['/nonexistent/x.log'] })).rejects.toThrow(/\/nonexistent\/x\.log/);
  });
});
