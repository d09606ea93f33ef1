import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * Copies standard input to a temporary file so `-` goes through the same reader as any file: format
 * detection needs to look ahead, whole-JSON pages need the complete document, and line numbers stay exact.
 */
export async function spoolStdin(stdin: NodeJS.ReadableStream): Promise<{ file: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-stdin-'));
  const file = path.join(dir, 'stdin');
  await pipeline(stdin, createWriteStream(file));
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
