/**
 * Following the log files in one folder as they are written: the Data Center audit logs (a new
 * `*.audit.log` per day) and the Bitbucket access log (renamed to a dated name when it rotates). The service
 * for Data Center (`bulkhead serve`) drives it; nothing here knows about parsing or storage.
 *
 * Files are tracked by identity (device and inode), not by name, so a rename is not a new file. `poll()` reads
 * whatever complete lines were appended since the last poll, from every matching file; a line still being
 * written (no newline yet) is left where it is and read whole next time. What has been read is described by
 * `checkpoint()`, which the caller stores only after it has stored what it made of the lines: a restart from
 * that checkpoint reads every line after it exactly once, and nothing before it again.
 *
 * - Rotation by rename (`access.log` → `access-2023-11-23.0.log`): the renamed file is still open and is read
 *   to its end; the new file under the old name is another inode and starts at its first line.
 * - Truncation in place (`copytruncate`): a file shorter than what was read, or whose first bytes are no longer
 *   the ones read, restarts at its first line. The second test catches a file that grew back past the read
 *   position between two polls; it needs the first line to differ, which timestamps see to in real logs.
 * - A deleted file is read to its end through the descriptor still held, then forgotten.
 * - A line longer than `maxLineBytes` is returned cut, flagged `overlong`, so one runaway line cannot hold the
 *   rest of the file back or exhaust memory.
 *
 * Polling (not `fs.watch`) because it behaves the same on every file system, including network mounts where
 * Atlassian products often keep their logs; a poll of a quiet folder is one `readdir` and one `fstat` per file.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Where reading of one file stands: the byte after the last complete line returned, and that line's number. */
export interface FileCursor {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly offset: number;
  readonly line: number;
  /** The file's first bytes as read (base64, at most 256), to tell a truncated and rewritten file. */
  readonly head: string;
}

export interface TailCheckpoint {
  readonly version: 1;
  readonly files: readonly FileCursor[];
}

export interface TailedLine {
  /** The file's name when the line was read (a rotated file keeps reporting its new name). */
  readonly path: string;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly text: string;
  /** The line was longer than `maxLineBytes` and `text` holds only its start. */
  readonly overlong?: true;
}

export interface TailerOptions {
  readonly dir: string;
  /** Which file names in the folder to follow. */
  readonly match: RegExp | ((name: string) => boolean);
  /** Files never seen before, at the first poll without a checkpoint: read from their start (default) or only
   *  what is appended from now on. Files that appear later are always read from their start. */
  readonly from?: 'start' | 'end';
  readonly checkpoint?: TailCheckpoint;
  /** Default 1 MiB, as for files given to `bulkhead hunt`. */
  readonly maxLineBytes?: number;
  /** Most bytes read from one file per poll (default 8 MiB), so one huge backlog cannot starve the others. */
  readonly maxBytesPerPoll?: number;
}

interface Tracked {
  path: string;
  readonly dev: number;
  readonly ino: number;
  offset: number;
  line: number;
  fh: FileHandle;
  /** Seen in the folder listing at the last poll. */
  listed: boolean;
  /** The file's first bytes as read (at most HEAD_BYTES). */
  head: Buffer;
}

const HEAD_BYTES = 256;

const NEWLINE = 0x0a;

const identity = (dev: number, ino: number): string => `${dev}:${ino}`;

export class DirectoryTailer {
  private readonly tracked = new Map<string, Tracked>();
  private readonly matches: (name: string) => boolean;
  private readonly maxLine: number;
  private readonly maxRead: number;
  private readonly restored: Map<string, FileCursor>;
  private first = true;
  private closed = false;

  constructor(private readonly opts: TailerOptions) {
    const m = opts.match;
    this.matches = typeof m === 'function' ? m : (name) => m.test(name);
    this.maxLine = opts.maxLineBytes ?? 1024 * 1024;
    this.maxRead = Math.max(opts.maxBytesPerPoll ?? 8 * 1024 * 1024, this.maxLine + 1);
    if (opts.checkpoint !== undefined && opts.checkpoint.version !== 1) {
      throw new Error(`tail checkpoint version ${String(opts.checkpoint.version)} is not 1`);
    }
    this.restored = new Map((opts.checkpoint?.files ?? []).map((c) => [identity(c.dev, c.ino), c]));
  }

  /** Reads the complete lines appended since the last poll, file by file in name order; a file `holdBack`
   *  names is left for a later poll (a reader whose other files lag behind it need not read it yet). */
  async poll(holdBack?: (path: string) => boolean): Promise<TailedLine[]> {
    if (this.closed) throw new Error('tailer is closed');
    await this.discover();
    // A saved cursor whose file was not found in the folder belongs to a file deleted (or renamed away) while
    // stopped: there is nothing left to resume.
    this.restored.clear();
    const out: TailedLine[] = [];
    const files = [...this.tracked.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const t of files) if (!holdBack?.(t.path)) await this.read(t, out);
    // A file gone from the listing (deleted, or renamed to a name we do not follow) has now been read to
    // its end through the open descriptor; nothing more can be appended that we would see.
    for (const [key, t] of this.tracked) {
      if (t.listed) continue;
      const { size } = await t.fh.stat();
      if (t.offset >= size) {
        await t.fh.close();
        this.tracked.delete(key);
      }
    }
    this.first = false;
    return out;
  }

  /** Where reading stands. Before the first poll that is the checkpoint it was given, unchanged. */
  checkpoint(): TailCheckpoint {
    const files: FileCursor[] = [...this.restored.values()];
    for (const t of this.tracked.values())
      files.push({
        path: t.path,
        dev: t.dev,
        ino: t.ino,
        offset: t.offset,
        line: t.line,
        head: t.head.toString('base64'),
      });
    return { version: 1, files };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.tracked.values()].map((t) => t.fh.close()));
    this.tracked.clear();
  }

  /** Lists the folder: new files are opened and tracked, renamed ones get their new name. */
  private async discover(): Promise<void> {
    for (const t of this.tracked.values()) t.listed = false;
    let names: string[];
    try {
      names = (await fsp.readdir(this.opts.dir)).filter((n) => this.matches(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // the folder may appear later
      throw err;
    }
    for (const name of names) {
      const p = path.join(this.opts.dir, name);
      let st;
      try {
        st = await fsp.stat(p);
      } catch {
        continue; // removed between readdir and stat
      }
      if (!st.isFile()) continue;
      const key = identity(st.dev, st.ino);
      const known = this.tracked.get(key);
      if (known) {
        known.path = p;
        known.listed = true;
        continue;
      }
      let fh: FileHandle;
      try {
        fh = await fsp.open(p, 'r');
      } catch {
        continue;
      }
      const saved = this.restored.get(key);
      const t: Tracked = {
        path: p,
        dev: st.dev,
        ino: st.ino,
        offset: 0,
        line: 0,
        fh,
        listed: true,
        head: Buffer.alloc(0),
      };
      if (saved) {
        t.offset = saved.offset;
        t.line = saved.line;
        t.head = Buffer.from(saved.head, 'base64');
        this.restored.delete(key);
      } else if (this.first && this.opts.checkpoint === undefined && this.opts.from === 'end') {
        // Start after the last complete line, counting lines so that evidence still names real line numbers.
        const counted = await countLines(fh, st.size);
        t.offset = counted.offset;
        t.line = counted.lines;
        t.head = await readHead(fh, Math.min(HEAD_BYTES, t.offset));
      }
      this.tracked.set(key, t);
    }
  }

  private async read(t: Tracked, out: TailedLine[]): Promise<void> {
    const { size } = await t.fh.stat();
    if (size < t.offset || !(await sameHead(t))) {
      // Truncated in place: what is there now was written after the truncation.
      t.offset = 0;
      t.line = 0;
      t.head = Buffer.alloc(0);
    }
    let budget = this.maxRead;
    while (t.offset < size && budget > 0) {
      const want = Math.min(size - t.offset, budget);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await t.fh.read(buf, 0, want, t.offset);
      if (bytesRead === 0) return;
      budget -= bytesRead;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(NEWLINE, start);
        if (nl < 0 || nl >= bytesRead) break;
        this.emit(t, buf, start, nl, out);
        start = nl + 1;
      }
      if (start === 0 && bytesRead >= this.maxLine) {
        // No newline within maxLineBytes: return the start of the line and skip to its end.
        const end = await findNewline(t.fh, t.offset + bytesRead, size);
        if (end < 0) return; // still being written: wait for its end
        this.emit(t, buf, 0, bytesRead, out, true);
        t.offset = end + 1;
        continue;
      }
      t.offset += start;
      if (t.head.length < HEAD_BYTES && t.offset > t.head.length)
        t.head = await readHead(t.fh, Math.min(HEAD_BYTES, t.offset));
      if (start === 0) return; // an incomplete last line: read it whole next time
    }
  }

  /** Returns the line `buf[start, end)`; one over maxLineBytes (or `cut`, when its end lies beyond `buf`) comes
   *  back as its first 300 bytes, flagged. */
  private emit(
    t: Tracked,
    buf: Buffer,
    start: number,
    end: number,
    out: TailedLine[],
    cut = end - start > this.maxLine,
  ): void {
    t.line++;
    if (cut) {
      out.push({
        path: t.path,
        line: t.line,
        text: trimCr(buf.toString('utf8', start, Math.min(end, start + 300))),
        overlong: true,
      });
      return;
    }
    out.push({ path: t.path, line: t.line, text: trimCr(buf.toString('utf8', start, end)) });
  }
}

async function readHead(fh: FileHandle, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  const { bytesRead } = await fh.read(buf, 0, n, 0);
  return buf.subarray(0, bytesRead);
}

/** Whether the file still starts with the bytes read from it. */
async function sameHead(t: Tracked): Promise<boolean> {
  if (t.head.length === 0) return true;
  return (await readHead(t.fh, t.head.length)).equals(t.head);
}

const trimCr = (s: string): string => (s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s);

/** The offset of the first newline at or after `from`, or -1 when there is none yet. */
async function findNewline(fh: FileHandle, from: number, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let pos = from; pos < size;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    const nl = buf.subarray(0, bytesRead).indexOf(NEWLINE);
    if (nl >= 0) return pos + nl;
    pos += bytesRead;
  }
  return -1;
}

/** Complete lines in the first `size` bytes, and the offset just after the last of them. */
async function countLines(fh: FileHandle, size: number): Promise<{ lines: number; offset: number }> {
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let lines = 0;
  let offset = 0;
  for (let pos = 0; pos < size;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    for (let i = buf.indexOf(NEWLINE, 0); i >= 0 && i < bytesRead; i = buf.indexOf(NEWLINE, i + 1)) {
      lines++;
      offset = pos + i + 1;
    }
    pos += bytesRead;
  }
  return { lines, offset };
}
