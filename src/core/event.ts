/**
 * The normalized audit event: what every parser produces and every rule reads.
 *
 * Field names follow ECS (Elastic Common Schema) where ECS has one, written flat with dots
 * (`'event.action'`, `'user.name'`, `'source.ip'`), which ECS allows and which makes a rule's field lookup a
 * single property access. Fields ECS has no name for live under `atlassian.*` (what the product said) and
 * `bulkhead.*` (what Bulkhead derived, filled by the engine's enrichment, never by parsers).
 *
 * Times are epoch milliseconds, UTC.
 */
import type { CanonicalAction } from './actions';

/** Where an event came from. `org` is the Atlassian organization (admin.atlassian.com) audit log. */
export const PRODUCTS = ['jira', 'confluence', 'bitbucket', 'org'] as const;
export type Product = (typeof PRODUCTS)[number];

/**
 * Who acted. Parsers say `human` unless the source says otherwise; the engine's enrichment turns `human`
 * into `service` when the name matches the service-account patterns list (a user-editable data file).
 */
export const ACTOR_KINDS = ['human', 'service', 'app', 'anonymous', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Every input format Bulkhead reads. The id is what `hunt` reports as "detected format". */
export const FORMAT_IDS = [
  'dc-audit-file', // Jira/Confluence/Bitbucket Data Center *.audit.log lines
  'dc-audit-rest', // DC /rest/auditing/1.0/events entities
  'jira-cloud-audit', // Jira Cloud /rest/api/3/auditing/record records (single, NDJSON, or page)
  'confluence-cloud-audit', // Confluence Cloud /wiki/rest/api/audit results (single, NDJSON, or page)
  'org-audit', // Atlassian organization audit log: Admin API data[] items, pages, webhook bodies
  'forge-event', // Forge product event payloads (avi:jira:*, avi:confluence:*, avi:bitbucket:*)
  'bitbucket-cloud-webhook', // Bitbucket Cloud webhook bodies
  'bitbucket-dc-access', // Bitbucket DC atlassian-bitbucket-access.log lines
  'org-audit-csv', // admin.atlassian.com audit log CSV export
  'confluence-audit-csv', // Confluence audit log CSV export
] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

export const TARGET_KINDS = [
  'user',
  'group',
  'space',
  'page',
  'issue',
  'project',
  'repository',
  'app',
  'permission',
  'token',
  'site',
  'other',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** Something an event acted on. Every target the record names is kept, in record order. */
export interface Target {
  readonly kind: TargetKind;
  readonly id?: string;
  readonly name?: string;
}

/** A pointer back to the raw record: `line` is 1-based in the input; for whole-JSON documents it is the
 *  line the document starts on and `index` is the record's 0-based index inside it. */
export interface RawRef {
  readonly file: string;
  readonly line: number;
  readonly index?: number;
}

export type Outcome = 'success' | 'failure' | 'unknown';

export interface AuditEvent {
  // --- always present -------------------------------------------------------------------------------
  readonly '@timestamp': number;
  /** Canonical action (see actions.ts) or, for an action Bulkhead has no name for, the raw action slugified
   *  (`new-license-added`): never empty. */
  readonly 'event.action': CanonicalAction | string;
  readonly 'event.outcome': Outcome;
  /** The detected input format. */
  readonly 'event.dataset': FormatId;
  readonly 'atlassian.product': Product;
  /** The action exactly as the source wrote it (`User added to group`, `user_logged_in_as_user`). */
  readonly 'atlassian.audit.action': string;
  readonly 'user.kind': ActorKind;
  readonly targets: readonly Target[];
  readonly ref: RawRef;

  // --- present when the source has them ---------------------------------------------------------------
  readonly 'event.id'?: string; // the source's own record id, used for idempotent ingestion
  readonly 'atlassian.audit.category'?: string;
  readonly 'atlassian.site'?: string; // base URL or host of the site / DC node that wrote it
  readonly message?: string;

  // actor (ECS user.*)
  readonly 'user.id'?: string;
  readonly 'user.name'?: string;
  readonly 'user.email'?: string;

  // first user target (ECS user.target.*)
  readonly 'user.target.id'?: string;
  readonly 'user.target.name'?: string;
  readonly 'user.target.kind'?: ActorKind; // filled by enrichment (service-account patterns)

  // first group target (ECS group.*)
  readonly 'group.id'?: string;
  readonly 'group.name'?: string;

  // network
  readonly 'source.ip'?: string; // first address of a proxy chain
  readonly 'related.ip'?: readonly string[]; // every address of a proxy chain, when there were several
  readonly 'source.geo.country_iso_code'?: string;
  readonly 'source.geo.country_name'?: string;
  readonly 'source.geo.region_name'?: string;
  readonly 'source.geo.city_name'?: string;
  readonly 'user_agent.original'?: string;

  // HTTP / git access (Bitbucket access log)
  readonly 'network.protocol'?: 'https' | 'http' | 'ssh';
  readonly 'http.request.method'?: string;
  readonly 'url.path'?: string;
  readonly 'url.query'?: string;
  readonly 'http.response.status_code'?: number;
  readonly 'http.response.body.bytes'?: number;
  readonly 'event.duration_ms'?: number;

  // product objects (first of each kind; all of them are in `targets`)
  readonly 'atlassian.space.key'?: string;
  readonly 'atlassian.space.name'?: string;
  readonly 'atlassian.page.id'?: string;
  readonly 'atlassian.page.title'?: string;
  readonly 'atlassian.issue.key'?: string;
  readonly 'atlassian.project.key'?: string;
  /** `PROJECT/slug` on Data Center, `workspace/slug` (or `{uuid}`) on Cloud. */
  readonly 'atlassian.repository.name'?: string;
  readonly 'atlassian.app.key'?: string;
  readonly 'atlassian.app.name'?: string;
  /** Permission or role named by the record (`SYS_ADMIN`, `ADMINISTER`, `SYSTEMADMINISTRATOR`, `EXPORTSPACE`). */
  readonly 'atlassian.permission'?: string;
  readonly 'atlassian.search.query'?: string;
  readonly 'atlassian.token.name'?: string;
  /** Name/value pairs the record carried that have no field above (changedValues, extraAttributes),
   *  keys lower-cased; kept so rules can reach them as `atlassian.attr.<key>`. */
  readonly 'atlassian.attributes'?: Readonly<Record<string, string>>;

  // --- derived by the engine's enrichment (never set by parsers) ---------------------------------------
  /** Whole days since this actor was last seen before this event; absent on first sight. */
  readonly 'bulkhead.actor.idle_days'?: number;
  /** Whole days since the first user target was last seen acting; absent if never seen. */
  readonly 'bulkhead.target.idle_days'?: number;
}

/** The keys a rule may name (besides `atlassian.attr.<key>`, which reads `atlassian.attributes`). */
export type EventField = Exclude<keyof AuditEvent, 'targets' | 'ref' | 'atlassian.attributes'>;

/** Runtime list of `EventField`, for validating rule files. The type below fails to compile if the two drift. */
export const EVENT_FIELDS = [
  '@timestamp',
  'event.action',
  'event.outcome',
  'event.dataset',
  'atlassian.product',
  'atlassian.audit.action',
  'user.kind',
  'event.id',
  'atlassian.audit.category',
  'atlassian.site',
  'message',
  'user.id',
  'user.name',
  'user.email',
  'user.target.id',
  'user.target.name',
  'user.target.kind',
  'group.id',
  'group.name',
  'source.ip',
  'related.ip',
  'source.geo.country_iso_code',
  'source.geo.country_name',
  'source.geo.region_name',
  'source.geo.city_name',
  'user_agent.original',
  'network.protocol',
  'http.request.method',
  'url.path',
  'url.query',
  'http.response.status_code',
  'http.response.body.bytes',
  'event.duration_ms',
  'atlassian.space.key',
  'atlassian.space.name',
  'atlassian.page.id',
  'atlassian.page.title',
  'atlassian.issue.key',
  'atlassian.project.key',
  'atlassian.repository.name',
  'atlassian.app.key',
  'atlassian.app.name',
  'atlassian.permission',
  'atlassian.search.query',
  'atlassian.token.name',
  'bulkhead.actor.idle_days',
  'bulkhead.target.idle_days',
] as const satisfies readonly EventField[];
type _EveryFieldListed = Exclude<EventField, (typeof EVENT_FIELDS)[number]> extends never ? true : never;
export const _everyFieldListed: _EveryFieldListed = true;
