import type { Detection, Identity } from './detection';
import type { Severity } from './severity';

/** How an identity came to belong to an incident. */
export type LinkRelation =
  | 'actor'
  | 'created'
  | 'added-to-group'
  | 'granted-token'
  | 'granted-permission'
  /** Caught acting from the same attacker address (`via`) by a rule with `links_source`. */
  | 'same-attacker-address';

export interface LinkedIdentity {
  readonly identity: Identity;
  readonly relation: LinkRelation;
  /** The identity that created / added / granted it, or the shared attacker address (absent for the primary actor). */
  readonly via?: string;
  readonly '@timestamp': number;
}

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

export interface TimelineEntry {
  readonly '@timestamp': number;
  readonly detectionId: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly actor: string;
  readonly summary: string;
}

export interface Incident {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly severity: Severity; // highest of its detections
  readonly title: string;
  readonly actor: Identity; // the primary identity
  readonly identities: readonly LinkedIdentity[];
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
  readonly detections: readonly Detection[];
  readonly timeline: readonly TimelineEntry[];
}
