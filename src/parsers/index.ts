/**
 * The parsers' public API: what the hunt CLI, the Data Center tailer and the Forge app call.
 * - `parseRecord`: one JSON value already in memory (Forge payload, webhook body, REST entity or page);
 * - `parseLine`: one text line (NDJSON record or page, Bitbucket access-log line);
 * - `expandInputs` + `readInput`: files, directories, `.gz` and stdin, streamed in batches.
 * None of them throws on bad records: every bad record is a `ParseReject` naming file, line, format and reason.
 */
export { parseRecord, parseLine, detectRecord, MAX_LINE_BYTES } from './record';
export { expandInputs, readInput, type ReadOptions } from './read';
export { canonicalAction } from './action-map';
export type { InputBatch, ParseOptions, ParseOutcome, ParseReject } from './types';
