/** Types shared by every parser and by the readers that drive them. */
import type { AuditEvent, FormatId, Product, RawRef } from '../core/event';

/** A record Bulkhead could not turn into events. Never silent: the hunt CLI counts and lists these. */
export interface ParseReject {
  readonly file: string;
  readonly line: number;
  /** Index inside a whole-JSON document (page), when the bad record was one of several. */
  readonly index?: number;
  readonly format: FormatId | 'unknown';
  readonly reason: string;
  /** At most 200 characters of the raw record, control bytes escaped. */
  readonly excerpt: string;
}

/**
 * What one raw record (or one page of records) became. A single record yields either events or one reject;
 * a page yields events for its good records and a reject (with `index`) for each bad one. Both arrays empty
 * means the record was read and deliberately produces nothing (an access-log request-in line).
 */
export interface ParseOutcome {
  readonly format: FormatId | 'unknown';
  readonly events: readonly AuditEvent[];
  readonly rejects: readonly ParseReject[];
}

export interface ParseOptions {
  /** IANA zone for sources whose times carry no zone (Bitbucket DC access log). Default UTC. */
  readonly timezone?: string;
  /** Delivery time (epoch ms) for pushed payloads that carry no time of their own (Forge events, Bitbucket
   *  Cloud webhooks). `readInput` uses the file's modification time. Without it such records are rejects. */
  readonly receivedAt?: number;
  /** Product to assume when a DC audit record does not say (taken from the file path by `readInput`). */
  readonly product?: Product;
}

/** One batch from `readInput`: events and rejects in file order, `records` counts every record read
 *  (events' sources, rejects, and records skipped by design). */
export interface InputBatch {
  readonly file: string;
  readonly events: AuditEvent[];
  readonly rejects: ParseReject[];
  readonly records: number;
  readonly formats: FormatId[];
}

/** Thrown by format parsers for a bad record; turned into a `ParseReject` by the dispatcher. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
}

export type { RawRef };
