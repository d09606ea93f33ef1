/** Machine output of a hunt: one JSON document, or NDJSON with one typed object per line. */
import type { HuntResult } from '../hunt';

export const NDJSON_TYPES = ['summary', 'file', 'reject', 'incident', 'detection'] as const;
export type NdjsonType = (typeof NDJSON_TYPES)[number];

export function renderJson(result: HuntResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}

/**
 * NDJSON lines, lazily: the summary line first (it carries `schema`), then files, rejects, incidents and
 * detections. Each line is `{"type": ..., ...fields}`; consumers dispatch on `type`.
 */
export function* ndjsonLines(result: HuntResult): Generator<string> {
  yield JSON.stringify({ type: 'summary', schema: result.schema, ...result.summary });
  for (const f of result.files) yield JSON.stringify({ type: 'file', ...f });
  for (const r of result.rejects) yield JSON.stringify({ type: 'reject', ...r });
  for (const i of result.incidents) yield JSON.stringify({ type: 'incident', ...i });
  for (const d of result.detections) yield JSON.stringify({ type: 'detection', ...d });
}
