/**
 * File-level reading: expand paths into inputs, open them (plain, `.gz`, stdin), sniff the format from the
 * first bytes, and stream batches of events and rejects in file order without holding the file in memory
 * (except whole-JSON documents, which are parsed as one value and capped).
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Info } from 'luxon';
import type { AuditEvent, FormatId, Product } from '../core/event';
import { looksLikeAccessLine } from './formats/bitbucket-dc-access';
import { csvLayout, readCsv, splitCsvHeader } from './formats/csv';
import { MAX_LINE_BYTES, parseLine, parseRecord } from './record';
import type { InputBatch, ParseOptions, ParseOutcome, ParseReject } from './types';
import { excerpt } from './util';

export interface ReadOptions {
  /** IANA zone for zoneless times (Bitbucket access log, CSV UI dates). Default UTC. */
  readonly timezone?: string;
  /** Called with the number of raw (still compressed, for `.gz`) bytes each time some are read. */
  readonly onBytes?: (n: number) => void;
  /** Events per batch (default 1000). */
  readonly batchSize?: number;
  /** Whole-JSON documents past this many bytes are rejected (default 256 MiB). */
  readonly maxDocumentBytes?: number;
  /** Where `-` reads from (default `process.stdin`). */
  readonly stdin?: Readable;
}

const DEFAULT_BATCH = 1000;
const DEFAULT_MAX_DOCUMENT = 256 * 1024 * 1024;
const SNIFF_LIMIT = 64 * 1024;

/** Expand files, directories (recursively, sorted by path, hidden entries and Markdown notes skipped) and `-` into inputs; a missing path is an error. */
export async function expandInputs(paths: string[]): Promise<Array<{ path: string; size: number }>> {
  const out: Array<{ path: string; size: number }> = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ path: '-', size: 0 });
      continue;
    }
    let st;
    try {
      st = await fsp.stat(p);
    } catch (err) {
      throw new Error(
        `input not found or unreadable: ${p} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        { cause: err },
      );
    }
    if (st.isDirectory()) await walk(p, out);
    else if (st.isFile()) out.push({ path: p, size: st.size });
  }
  return out;
}

async function walk(dir: string, out: Array<{ path: string; size: number }>): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const ent of entries) {
    // Hidden entries (.DS_Store, .git) are never audit logs; a path named explicitly is always read.
    if (ent.name.startsWith('.')) continue;
    // Nor are the notes that travel with exports (README.md, NOTES.markdown); named explicitly, they are read.
    if (ent.isFile() && /\.(md|markdown)$/i.test(ent.name)) continue;
    const p = join(dir, ent.name);
    if (ent.isDirectory()) await walk(p, out);
    else if (ent.isFile()) out.push({ path: p, size: (await fsp.stat(p)).size });
  }
}

/** The product a file's path names, for DC audit records that do not say which product wrote them. */
function productFromPath(path: string): Product | undefined {
  const p = path.toLowerCase();
  if (p.includes('bitbucket') || p.includes('stash')) return 'bitbucket';
  if (p.includes('confluence')) return 'confluence';
  if (p.includes('jira')) return 'jira';
  return undefined;
}

/** Collects outcomes into batches of about `size` events plus the rejects among them, in order. */
class Batcher {
  private events: AuditEvent[] = [];
  private rejects: ParseReject[] = [];
  private records = 0;
  private formats = new Set<FormatId>();
  constructor(
    private readonly file: string,
    private readonly size: number,
  ) {}
  add(o: ParseOutcome): void {
    const n = o.events.length + o.rejects.length;
    this.records += n === 0 ? 1 : n;
    for (const e of o.events) this.events.push(e);
    for (const r of o.rejects) this.rejects.push(r);
    if (o.format !== 'unknown' && (o.events.length > 0 || o.rejects.length === 0)) this.formats.add(o.format);
  }
  reject(r: ParseReject): void {
    this.rejects.push(r);
    this.records++;
  }
  get full(): boolean {
    return this.events.length + this.rejects.length >= this.size;
  }
  get empty(): boolean {
    return this.records === 0;
  }
  take(): InputBatch {
    const b: InputBatch = {
      file: this.file,
      events: this.events,
      rejects: this.rejects,
      records: this.records,
      formats: [...this.formats],
    };
    this.events = [];
    this.rejects = [];
    this.records = 0;
    this.formats = new Set();
    return b;
  }
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Splits byte chunks into lines, one line per `next()`; a line over `max` bytes becomes one overlong line whose
 * head alone is kept, never the whole line.
 *
 * Lines are handed out on demand rather than all of a chunk at once, so the reader parses a line only when its
 * batch is about to be yielded. Parsing a whole 256 KiB chunk up front left hundreds of finished events per
 * file waiting for the merge, long enough to outlive a young-generation collection: they were copied by the
 * scavenger and many promoted to the old generation, only to die there.
 */
class LineSplitter {
  private chunk: Buffer = NO_BYTES;
  private pos = 0;
  private carry: Buffer[] = [];
  private carryLen = 0;
  private overlongHead: string | undefined;
  line = 0;
  /** The line the last `next()` or `end()` produced: its text, or the head of an overlong line. */
  text = '';
  overlong = false;
  constructor(private readonly max: number) {}

  /** Starts on the next chunk; call `next()` until it returns false before feeding another. */
  feed(chunk: Buffer): void {
    this.chunk = chunk;
    this.pos = 0;
  }

  /** Moves to the next complete line of the current chunk; false once the chunk is used up (its partial last
   *  line is carried into the next chunk). */
  next(): boolean {
    const chunk = this.chunk;
    const start = this.pos;
    const nl = chunk.indexOf(10, start);
    if (nl < 0) {
      if (start < chunk.length) this.hold(chunk.subarray(start));
      this.chunk = NO_BYTES;
      this.pos = 0;
      return false;
    }
    this.pos = nl + 1;
    this.line++;
    this.emit(chunk, start, nl);
    return true;
  }

  /** The last line when the input does not end with a newline; false when there is none. */
  end(): boolean {
    if (this.carryLen === 0 && this.overlongHead === undefined) return false;
    this.line++;
    this.emit(NO_BYTES, 0, 0);
    return true;
  }

  private hold(part: Buffer): void {
    if (this.overlongHead !== undefined) return;
    if (this.carryLen + part.length > this.max) {
      this.overlongHead = Buffer.concat([...this.carry, part]).toString('utf8', 0, 300);
      this.carry = [];
      this.carryLen = 0;
      return;
    }
    this.carry.push(part);
    this.carryLen += part.length;
  }

  private emit(chunk: Buffer, start: number, end: number): void {
    if (this.overlongHead !== undefined || this.carryLen + (end - start) > this.max) {
      this.text =
        this.overlongHead ??
        Buffer.concat([...this.carry, chunk.subarray(start, Math.min(end, start + 300))]).toString(
          'utf8',
          0,
          300,
        );
      this.overlong = true;
      this.overlongHead = undefined;
      this.carry = [];
      this.carryLen = 0;
      return;
    }
    let text: string;
    if (this.carryLen === 0) {
      text = chunk.toString('utf8', start, end);
    } else {
      this.carry.push(chunk.subarray(start, end));
      text = Buffer.concat(this.carry).toString('utf8');
      this.carry = [];
      this.carryLen = 0;
    }
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    this.text = text;
    this.overlong = false;
  }
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) return false;
  }
  return true;
}

type Mode = 'lines' | 'document' | 'csv';

/** Decide how to read a file from its first line: NDJSON/access-log lines, one JSON document, or a CSV export. */
function sniff(head: Buffer): Mode {
  const text = head.toString('utf8');
  let i = 0;
  while (i < text.length && /[\s\ufeff]/.test(text[i]!)) i++;
  const nl = text.indexOf('\n', i);
  const first = (nl < 0 ? text.slice(i) : text.slice(i, nl)).trim();
  const c = first.charAt(0);
  if (c === '{' || c === '[') {
    try {
      JSON.parse(first);
      return 'lines';
    } catch {
      return 'document';
    }
  }
  if (first.includes(',') && csvLayout(splitCsvHeader(first)) !== undefined) return 'csv';
  return 'lines';
}

/** Stream one input (path, `.gz` path, or `-` for stdin) as batches of events and rejects, in file order. */
export async function* readInput(path: string, opts: ReadOptions = {}): AsyncGenerator<InputBatch> {
  if (opts.timezone !== undefined && !Info.isValidIANAZone(opts.timezone)) {
    throw new Error(
      `timezone ${JSON.stringify(opts.timezone)} is not an IANA zone name (e.g. Europe/Berlin)`,
    );
  }
  const batcher = new Batcher(path, opts.batchSize ?? DEFAULT_BATCH);
  let raw: Readable;
  let receivedAt: number | undefined;
  let gzipped: boolean;
  try {
    if (path === '-') {
      // A pipe cannot be peeked at: read its first chunk, look for the gzip magic, and put the chunk back.
      const peeked = await peekFirstChunk(opts.stdin ?? process.stdin);
      raw = peeked.stream;
      gzipped =
        peeked.first !== undefined &&
        peeked.first.length >= 2 &&
        peeked.first[0] === 0x1f &&
        peeked.first[1] === 0x8b;
      receivedAt = Date.now();
    } else {
      receivedAt = (await fsp.stat(path)).mtimeMs;
      gzipped = path.endsWith('.gz') || (await hasGzipMagic(path));
      raw = createReadStream(path, { highWaterMark: 256 * 1024 });
    }
  } catch (err) {
    batcher.reject({
      file: path,
      line: 0,
      format: 'unknown',
      reason: `cannot read input: ${(err as Error).message}`,
      excerpt: '',
    });
    yield batcher.take();
    return;
  }
  const parseOpts: ParseOptions = {
    timezone: opts.timezone,
    receivedAt: Math.floor(receivedAt),
    product: productFromPath(path),
  };
  const onBytes = opts.onBytes;
  let source: Readable = raw;
  if (gzipped) {
    if (onBytes !== undefined) raw.on('data', (c: Buffer) => onBytes(c.length));
    const gunzip = createGunzip();
    raw.on('error', (err) => gunzip.destroy(err));
    source = raw.pipe(gunzip);
  }
  const countBytes = onBytes !== undefined && source === raw ? onBytes : undefined;
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const asBuf = (c: Buffer | string): Buffer => (typeof c === 'string' ? Buffer.from(c) : c);
  let lastLine = 0;

  try {
    // Sniff: gather the first bytes until the first non-blank line is complete (or 64 KiB).
    const head: Buffer[] = [];
    let headLen = 0;
    let done = false;
    while (headLen < SNIFF_LIMIT) {
      const r = await it.next();
      if (r.done === true) {
        done = true;
        break;
      }
      const b = asBuf(r.value);
      countBytes?.(b.length);
      head.push(b);
      headLen += b.length;
      const joined = head.length === 1 ? b : Buffer.concat(head);
      const text = joined.toString('utf8', 0, Math.min(joined.length, SNIFF_LIMIT));
      const firstChar = text.search(/[^\s\ufeff]/);
      if (firstChar >= 0 && text.indexOf('\n', firstChar) >= 0) break;
    }
    const headBuf = Buffer.concat(head);
    if (headLen === 0) return;
    const mode = sniff(headBuf);
    const rest = async function* (): AsyncGenerator<Buffer> {
      yield headBuf;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done === true) return;
        const b = asBuf(r.value);
        countBytes?.(b.length);
        yield b;
      }
    };

    if (mode === 'csv') {
      for await (const o of readCsv(rest(), path, parseOpts)) {
        batcher.add(o);
        for (const r of o.rejects) lastLine = r.line;
        for (const e of o.events) lastLine = e.ref.line;
        if (batcher.full) yield batcher.take();
      }
    } else if (mode === 'document') {
      const max = opts.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT;
      const parts: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      for await (const b of rest()) {
        size += b.length;
        if (size > max) tooBig = true;
        if (!tooBig) parts.push(b);
        else parts.length = 0;
      }
      const decoded = tooBig ? '' : Buffer.concat(parts).toString('utf8');
      // Drop a byte-order mark (JSON.parse rejects it); it is not a line, so line numbers are unaffected.
      const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
      const startLine = tooBig ? 1 : lineOfFirstChar(text);
      if (tooBig) {
        batcher.reject({
          file: path,
          line: 1,
          format: 'unknown',
          reason: `JSON document is larger than ${Math.round(max / 1048576)} MiB (${size} bytes); split it or convert it to NDJSON`,
          excerpt: '',
        });
      } else {
        let value: unknown;
        let parsed = true;
        try {
          value = JSON.parse(text);
        } catch (err) {
          parsed = false;
          // Not one document after all: maybe NDJSON whose first line is broken. Read it line by line then.
          if (!opensPrettyDocument(text) || hasLaterJsonLine(text)) {
            for (const batch of readLinesFromText(text, path, parseOpts, batcher)) yield batch;
          } else {
            batcher.reject({
              file: path,
              line: startLine,
              format: 'unknown',
              reason: `malformed JSON document: ${(err as Error).message}`,
              excerpt: excerpt(text.slice(0, 400).trimStart()),
            });
          }
        }
        if (parsed) {
          // A whole document is addressed as line + index, even when it holds one record (index 0).
          const o = parseRecord(value, { file: path, line: startLine, index: 0 }, undefined, parseOpts);
          // Large pages still come out in batches.
          const size = opts.batchSize ?? DEFAULT_BATCH;
          for (let i = 0; i < Math.max(o.events.length, o.rejects.length, 1); i += size) {
            batcher.add({
              format: o.format,
              events: o.events.slice(i, i + size),
              rejects: o.rejects.slice(i, i + size),
            });
            if (batcher.full) yield batcher.take();
          }
        }
      }
    } else {
      const splitter = new LineSplitter(MAX_LINE_BYTES);
      const addLine = (): void => {
        const line = splitter.line;
        if (splitter.overlong) {
          batcher.reject({
            file: path,
            line,
            format: 'unknown',
            reason: `line is longer than ${MAX_LINE_BYTES} bytes (1 MiB); skipped`,
            excerpt: excerpt(splitter.text),
          });
        } else if (!isBlank(splitter.text)) {
          batcher.add(parseLine(splitter.text, { file: path, line }, undefined, parseOpts));
        }
      };
      for await (const b of rest()) {
        splitter.feed(b);
        while (splitter.next()) {
          addLine();
          if (batcher.full) yield batcher.take();
        }
        lastLine = splitter.line;
      }
      if (splitter.end()) addLine();
      lastLine = splitter.line;
    }
  } catch (err) {
    // A read or decompression error ends the input; what was read so far is kept, the failure is reported.
    batcher.reject({
      file: path,
      line: lastLine + 1,
      format: 'unknown',
      reason: `input could not be read to the end: ${(err as Error).message}`,
      excerpt: '',
    });
  } finally {
    if (raw !== process.stdin && raw !== opts.stdin) raw.destroy();
  }
  if (!batcher.empty) yield batcher.take();
}

/** Rotated logs are often compressed without a `.gz` name; the gzip magic bytes say so. */
/** The stream's first bytes (at least two unless it ends sooner), and a stream that yields them again followed
 *  by the rest. */
async function peekFirstChunk(input: Readable): Promise<{ first: Buffer | undefined; stream: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const parts: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < 2) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    parts.push(b);
    size += b.length;
  }
  const first = size === 0 ? undefined : Buffer.concat(parts);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first === undefined) return;
    yield first;
    if (ended) return;
    for (;;) {
      const n = await it.next();
      if (n.done === true) return;
      yield typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
    }
  }
  return { first, stream: Readable.from(replay(), { objectMode: false }) };
}

async function hasGzipMagic(path: string): Promise<boolean> {
  const fh = await fsp.open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function lineOfFirstChar(text: string): number {
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) break;
  }
  return line;
}

/** A pretty-printed document starts with `{` or `[` alone on its line; a broken one is one reject, not one per line. */
function opensPrettyDocument(text: string): boolean {
  const m = /^[\s\ufeff]*([{[])[ \t\r]*(\n|$)/.exec(text);
  return m !== null;
}

/** Whether a text that failed to parse as one document has later lines that are records on their own. */
function hasLaterJsonLine(text: string): boolean {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (looksLikeAccessLine(l)) return true;
    if ((l.startsWith('{') && l.endsWith('}')) || (l.startsWith('[') && l.endsWith(']'))) {
      try {
        JSON.parse(l);
        return true;
      } catch {
        // keep looking
      }
    }
  }
  return false;
}

function* readLinesFromText(
  text: string,
  file: string,
  opts: ParseOptions,
  batcher: Batcher,
): Generator<InputBatch> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (isBlank(l)) continue;
    if (Buffer.byteLength(l) > MAX_LINE_BYTES) {
      batcher.reject({
        file,
        line: i + 1,
        format: 'unknown',
        reason: `line is longer than ${MAX_LINE_BYTES} bytes (1 MiB); skipped`,
        excerpt: excerpt(l.slice(0, 300)),
      });
    } else {
      batcher.add(parseLine(l.endsWith('\r') ? l.slice(0, -1) : l, { file, line: i + 1 }, undefined, opts));
    }
    if (batcher.full) yield batcher.take();
  }
}
