/**
 * Following real files in a temporary folder: appends, a line written in pieces, rotation by rename,
 * truncation in place, deletion, overlong lines, and restarts from a checkpoint (nothing lost, nothing twice),
 * plus a property over random sequences of those operations.
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DirectoryTailer, type TailCheckpoint, type TailedLine } from '../../src/tail/directory-tailer';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-tail-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const f = (name: string) => path.join(dir, name);
const append = (name: string, text: string) => fs.appendFileSync(f(name), text);
const texts = (lines: TailedLine[]) => lines.map((l) => l.text);
const LOGS = /\.log$/;

describe('DirectoryTailer', () => {
  it('returns complete lines as they are appended, with their line numbers, and holds a line still being written', async () => {
    append('jira.audit.log', 'a\nb\n');
    append('notes.txt', 'not followed\n');
    const t = new DirectoryTailer({ dir, match: LOGS });
    expect(await t.poll()).toEqual([
      { path: f('jira.audit.log'), line: 1, text: 'a' },
      { path: f('jira.audit.log'), line: 2, text: 'b' },
    ]);
    append('jira.audit.log', 'c\r\nhalf of d');
    expect(texts(await t.poll())).toEqual(['c']);
    expect(await t.poll()).toEqual([]);
    append('jira.audit.log', ' and the rest\n');
    expect(await t.poll()).toEqual([{ path: f('jira.audit.log'), line: 4, text: 'half of d and the rest' }]);
    await t.close();
  });

  it('follows a file renamed by rotation to its end, and the new file from its first line', async () => {
    append('access.log', '1\n2\n');
    const t = new DirectoryTailer({ dir, match: LOGS });
    expect(texts(await t.poll())).toEqual(['1', '2']);
    append('access.log', '3\n');
    fs.renameSync(f('access.log'), f('access-2023-11-23.0.log'));
    append('access.log', 'new 1\n');
    const lines = await t.poll();
    expect(lines.map((l) => [path.basename(l.path), l.line, l.text])).toEqual([
      ['access-2023-11-23.0.log', 3, '3'],
      ['access.log', 1, 'new 1'],
    ]);
    await t.close();
  });

  it('reads a file renamed out of the pattern or deleted to its end, then lets it go', async () => {
    append('a.log', 'x\n');
    const t = new DirectoryTailer({ dir, match: LOGS });
    await t.poll();
    append('a.log', 'y\n');
    fs.renameSync(f('a.log'), f('a.log.1'));
    expect(texts(await t.poll())).toEqual(['y']);
    expect(t.checkpoint().files).toEqual([]);
    append('b.log', 'p\n');
    await t.poll();
    append('b.log', 'q\n');
    fs.unlinkSync(f('b.log'));
    expect(texts(await t.poll())).toEqual(['q']);
    expect(t.checkpoint().files).toEqual([]);
    await t.close();
  });

  it('restarts a file truncated in place (copytruncate) at its first line', async () => {
    append('a.log', 'one\ntwo\n');
    const t = new DirectoryTailer({ dir, match: LOGS });
    await t.poll();
    fs.truncateSync(f('a.log'), 0);
    append('a.log', 'fresh\n');
    expect(await t.poll()).toEqual([{ path: f('a.log'), line: 1, text: 'fresh' }]);
    // Truncated and grown back past the read position between two polls: told by its first bytes.
    fs.truncateSync(f('a.log'), 0);
    append('a.log', '2023-11-23 10:00 first\n2023-11-23 10:01 second\n');
    expect(texts(await t.poll())).toEqual(['2023-11-23 10:00 first', '2023-11-23 10:01 second']);
    await t.close();
  });

  it('cuts a line over maxLineBytes, flags it, and goes on with the next one', async () => {
    append('a.log', `${'x'.repeat(5_000)}\nafter\n${'y'.repeat(3_000)}`);
    const t = new DirectoryTailer({ dir, match: LOGS, maxLineBytes: 1_000, maxBytesPerPoll: 1_500 });
    const lines: TailedLine[] = [];
    for (let i = 0; i < 10; i++) lines.push(...(await t.poll()));
    expect(lines.map((l) => [l.line, l.text.length, l.overlong ?? false])).toEqual([
      [1, 300, true],
      [2, 5, false],
    ]);
    // The unfinished overlong line is not returned until it ends.
    append('a.log', 'y\n');
    expect((await t.poll()).map((l) => [l.line, l.overlong])).toEqual([[3, true]]);
    await t.close();
  });

  it('starts at the end when asked, still counting line numbers', async () => {
    append('a.log', '1\n2\n3\n');
    const t = new DirectoryTailer({ dir, match: LOGS, from: 'end' });
    expect(await t.poll()).toEqual([]);
    append('a.log', '4\n');
    expect(await t.poll()).toEqual([{ path: f('a.log'), line: 4, text: '4' }]);
    await t.close();
  });

  it('resumes from a checkpoint, also across a rotation while stopped, without losing or repeating a line', async () => {
    append('access.log', 'a\nb\n');
    const first = new DirectoryTailer({ dir, match: LOGS });
    expect(texts(await first.poll())).toEqual(['a', 'b']);
    const saved = JSON.parse(JSON.stringify(first.checkpoint())) as TailCheckpoint;
    append('access.log', 'c\n'); // written after the checkpoint was stored: must be read once after restart
    await first.close();

    append('access.log', 'd\n');
    fs.renameSync(f('access.log'), f('access-1.log'));
    append('access.log', 'e\n');
    const second = new DirectoryTailer({ dir, match: LOGS, checkpoint: saved });
    expect((await second.poll()).map((l) => `${path.basename(l.path)}:${l.line}:${l.text}`)).toEqual([
      'access-1.log:3:c',
      'access-1.log:4:d',
      'access.log:1:e',
    ]);
    await second.close();
    expect(
      () =>
        new DirectoryTailer({ dir, match: LOGS, checkpoint: { version: 2 } as unknown as TailCheckpoint }),
    ).toThrow(/version/);
  });

  it('property: every line written is returned exactly once, in file order, through appends, rotations, truncations and restarts', async () => {
    const op = fc.oneof(
      fc.record({
        k: fc.constant('write' as const),
        text: fc.array(fc.stringMatching(/^[a-z0-9 ]{0,12}$/), { minLength: 1, maxLength: 4 }),
        partial: fc.boolean(),
      }),
      fc.record({ k: fc.constant('rotate' as const) }),
      fc.record({ k: fc.constant('truncate' as const) }),
      fc.record({ k: fc.constant('poll' as const) }),
      fc.record({ k: fc.constant('restart' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-tailp-'));
        const live = path.join(d, 'app.log');
        const written: string[] = []; // complete lines, in the order written
        let pending = ''; // a partial line at the end of the live file
        let rotations = 0;
        let seq = 0;
        let tailer = new DirectoryTailer({ dir: d, match: LOGS });
        const got: string[] = [];
        const drain = async () => {
          for (const l of await tailer.poll()) got.push(l.text);
        };
        try {
          for (const o of ops) {
            if (o.k === 'write') {
              // Numbered, as real log lines carry timestamps: a truncated file rewritten with the very same
              // bytes cannot be told from one never truncated.
              const body = o.text.map((x) => `${++seq}:${x}`).join('\n');
              const text = o.partial ? body : `${body}\n`;
              fs.appendFileSync(live, text);
              const parts = (pending + text).split('\n');
              pending = parts.pop() ?? '';
              written.push(...parts);
            } else if (o.k === 'rotate') {
              // Rotation finishes the partial line first, as a logger does before it closes the file.
              if (pending !== '') {
                fs.appendFileSync(live, '\n');
                written.push(pending);
                pending = '';
              }
              if (fs.existsSync(live)) {
                await drain(); // keep rotated-file order simple: read it before renaming (its tail is read anyway)
                fs.renameSync(live, path.join(d, `app-${++rotations}.log`));
              }
            } else if (o.k === 'truncate') {
              // copytruncate: the logger's copy keeps what was written; lines not read before the truncation
              // are only in the copy, so the model reads first (finishing a partial line, as above).
              if (pending !== '') {
                fs.appendFileSync(live, '\n');
                written.push(pending);
                pending = '';
              }
              await drain();
              if (fs.existsSync(live)) fs.truncateSync(live, 0);
            } else if (o.k === 'poll') {
              await drain();
            } else {
              const cp = JSON.parse(JSON.stringify(tailer.checkpoint())) as TailCheckpoint;
              await tailer.close();
              tailer = new DirectoryTailer({ dir: d, match: LOGS, checkpoint: cp });
            }
          }
          if (pending !== '') {
            fs.appendFileSync(live, '\n');
            written.push(pending);
          }
          await drain();
          await drain();
          expect(got).toEqual(written);
        } finally {
          await tailer.close();
          fs.rmSync(d, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
