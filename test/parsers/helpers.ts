import * as path from 'node:path';
import type { AuditEvent, FormatId } from '../../src/core/event';
import { readInput, type ParseReject, type ReadOptions } from '../../src/parsers';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const SAMPLES = path.resolve(REPO_ROOT, '../shared/samples');
export const FIXTURES = path.resolve(REPO_ROOT, 'test/fixtures/parsers');

export interface ReadAll {
  events: AuditEvent[];
  rejects: ParseReject[];
  records: number;
  formats: Set<FormatId>;
  batches: number;
}

export async function readAll(file: string, opts?: ReadOptions): Promise<ReadAll> {
  const out: ReadAll = { events: [], rejects: [], records: 0, formats: new Set(), batches: 0 };
  for await (const b of readInput(file, opts)) {
    out.batches++;
    out.events.push(...b.events);
    out.rejects.push(...b.rejects);
    out.records += b.records;
    for (const f of b.formats) out.formats.add(f);
  }
  return out;
}
