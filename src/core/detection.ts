import type { Category } from './category';
import type { ActorKind, AuditEvent, RawRef } from './event';
import type { Severity } from './severity';

/** The part of a rule a detection carries with it, so output never needs the rule file to be read. */
export interface RuleRef {
  readonly id: string;
  readonly title: string;
  /** The rule's own severity, before any escalation. */
  readonly severity: Severity;
  readonly category: Category;
  readonly attack: readonly string[];
  /** Identities this rule catches acting from the same source address join one incident (rule key `links_source`). */
  readonly linksSource?: boolean;
}

/** Who a detection is about: the identity whose behaviour matched. */
export interface Identity {
  readonly id?: string;
  readonly name?: string;
  readonly kind: ActorKind;
}

/** At most this many raw references and events are kept per detection; `evidenceCount` says how many there were. */
export const MAX_EVIDENCE = 100;
export const MAX_DETECTION_EVENTS = 10;

export interface Detection {
  /** Deterministic: the same input and rules give the same ids, so re-ingesting is idempotent. */
  readonly id: string;
  readonly rule: RuleRef;
  /** Effective severity: the rule's, raised by the first matching `escalate` entry. */
  readonly severity: Severity;
  /** Why the severity was raised, when it was. */
  readonly escalation?: string;
  readonly '@timestamp': number; // time of the event that completed the match
  readonly firstTimestamp: number; // time of the earliest evidence event
  readonly actor: Identity;
  /** The aggregation key the rule grouped by (`user.name=svc-smartsheet`), or the actor key for simple rules. */
  readonly key: string;
  readonly summary: string;
  readonly evidence: readonly RawRef[];
  readonly evidenceCount: number;
  /** The events that made the match, oldest first (at most MAX_DETECTION_EVENTS). */
  readonly events: readonly AuditEvent[];
}
