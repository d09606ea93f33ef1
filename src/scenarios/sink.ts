/**
 * Where a scenario's records go. Generators emit records in any order within a day; the sink holds them until
 * `flushBefore(t)` and then writes each file's records in time order through buffered streams, numbering lines
 * as it goes so that ground-truth steps can point at `file:line`. Memory stays bounded by the records of the
 * window between two flushes (a day), not the whole scenario.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import type { FormatId } from '../core/event';

export interface RecordRef {
  readonly file: string;
  readonly line: number;
}

export interface OutRecord {
  /** Epoch ms; orders the file. */
  readonly t: number;
  /** Path relative to the output folder, `/`-separated. */
  readonly file: string;
  /** One line, without the newline. */
  readonly text: string;
  /** Ground-truth step(s) this record is evidence of. */
  readonly steps?: readonly string[];
}

interface Pending extends OutRecord {
  readonly seq: number;
}

interface OpenFile {
  readonly stream: WriteStream;
  readonly format: FormatId;
  lines: number;
}

export class RecordSink {
  private pending: Pending[] = [];
  private seq = 0;
  private lastFlushed = Number.NEGATIVE_INFINITY;
  private readonly files = new Map<string, OpenFile>();
  private readonly formats = new Map<string, FormatId>();
  private readonly refs = new Map<string, RecordRef[]>();

  constructor(private readonly outDir: string) {}

  /** Declare the format of a file before its first record (the manifest lists it). */
  declare(file: string, format: FormatId): void {
    const known = this.formats.get(file);
    if (known !== undefined && known !== format) {
      throw new Error(`RecordSink: ${file} declared as both ${known} and ${format}`);
    }
    this.formats.set(file, format);
  }

  emit(record: OutRecord): void {
    if (!this.formats.has(record.file)) throw new Error(`RecordSink: undeclared file ${record.file}`);
    if (record.t < this.lastFlushed) {
      // A record older than what is already on disk would break the file's time order: a generator bug.
      throw new Error(
        `RecordSink: record at ${new Date(record.t).toISOString()} for ${record.file} arrived after ` +
          `${new Date(this.lastFlushed).toISOString()} was flushed`,
      );
    }
    this.pending.push({ ...record, seq: this.seq++ });
  }

  /** Write every pending record older than `t`, each file in time order (ties keep emission order). */
  async flushBefore(t: number): Promise<void> {
    const ready: Pending[] = [];
    const rest: Pending[] = [];
    for (const r of this.pending) (r.t < t ? ready : rest).push(r);
    this.pending = rest;
    this.lastFlushed = Math.max(this.lastFlushed, t);
    ready.sort((a, b) => a.t - b.t || a.seq - b.seq);

    const chunks = new Map<string, string[]>();
    for (const r of ready) {
      const f = this.open(r.file);
      f.lines += 1;
      let chunk = chunks.get(r.file);
      if (chunk === undefined) chunks.set(r.file, (chunk = []));
      chunk.push(r.text, '\n');
      for (const step of r.steps ?? []) {
        let list = this.refs.get(step);
        if (list === undefined) this.refs.set(step, (list = []));
        list.push({ file: r.file, line: f.lines });
      }
    }
    for (const [file, chunk] of chunks) {
      const f = this.open(file);
      if (!f.stream.write(chunk.join(''))) await once(f.stream, 'drain');
    }
  }

  async close(): Promise<void> {
    await this.flushBefore(Number.POSITIVE_INFINITY);
    await Promise.all(
      [...this.files.values()].map(
        (f) =>
          new Promise<void>((resolve, reject) => {
            f.stream.once('error', reject);
            f.stream.end(() => resolve());
          }),
      ),
    );
  }

  refsOf(step: string): RecordRef[] {
    return this.refs.get(step) ?? [];
  }

  /** Files written, sorted by path. Declared files that never received a record are not listed. */
  written(): Array<{ file: string; format: FormatId; records: number }> {
    return [...this.files.entries()]
      .map(([file, f]) => ({ file, format: f.format, records: f.lines }))
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  private open(file: string): OpenFile {
    let f = this.files.get(file);
    if (f === undefined) {
      const full = join(this.outDir, ...file.split('/'));
      mkdirSync(dirname(full), { recursive: true });
      const format = this.formats.get(file);
      if (format === undefined) throw new Error(`RecordSink: undeclared file ${file}`);
      f = { stream: createWriteStream(full, { encoding: 'utf8', highWaterMark: 1 << 20 }), format, lines: 0 };
      this.files.set(file, f);
    }
    return f;
  }
}
