/**
 * The rule file format (one YAML file, one rule), as a zod schema: the single definition both the loader
 * and the docs (docs/rules.md) follow. Parsing a file through `RuleFileSchema` gives a typed `RuleFile`
 * or an error whose path names the offending key.
 */
import { z } from 'zod';
import { CATEGORIES } from '../core/category';
import { SEVERITIES } from '../core/severity';

/** `30s`, `10m`, `2h`, `7d` → milliseconds. */
export const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (expected e.g. 30s, 10m, 2h, 7d)`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
const Duration = z.string().regex(DURATION_RE, 'a duration such as 30s, 10m, 2h or 7d');

/** The modifiers a selection key may carry after `|`: `user.name|startswith`, `source.ip|cidr`. */
export const MODIFIERS = [
  'contains',
  'startswith',
  'endswith',
  're', // JavaScript regular expression (case-insensitive unless `cased`)
  'cidr', // value is an IPv4/IPv6 CIDR
  'list', // value names a list (lists/*.yml or --ioc); entries matched by the list's kind
  'exists', // value true/false: the field is (not) present
  'gt',
  'gte',
  'lt',
  'lte',
  'cased', // compare case-sensitively
  'all', // every listed value must match (default: any)
] as const;
export type Modifier = (typeof MODIFIERS)[number];

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const FieldValue = z.union([Scalar, z.array(Scalar).min(1)]);
/** A selection: a map of `field|modifiers` → value(s), all of which must hold (AND); values in a list are OR'ed
 *  (AND with `|all`). A list of such maps is an OR of them. */
export const SelectionSchema = z.union([
  z.record(z.string(), FieldValue),
  z.array(z.record(z.string(), FieldValue)).min(1),
]);
export type Selection = z.infer<typeof SelectionSchema>;

const By = z.array(z.string()).min(1);

export const AggregateSchema = z.discriminatedUnion('type', [
  /** At least `threshold` matching events per `by` key within `window`. */
  z
    .object({
      type: z.literal('count'),
      by: By,
      window: Duration,
      threshold: z.number().int().min(2),
    })
    .strict(),
  /** At least `threshold` distinct values of `field` per `by` key within `window`. */
  z
    .object({
      type: z.literal('distinct'),
      field: z.string(),
      by: By,
      window: Duration,
      threshold: z.number().int().min(2),
    })
    .strict(),
  /** Each step's selection matched in order, the steps' `by` values equal, all within `window`. */
  z
    .object({
      type: z.literal('sequence'),
      window: Duration,
      steps: z.array(z.object({ selection: z.string(), by: By }).strict()).min(2),
    })
    .strict(),
  /** A value of `field` never seen before for this `by` key, once the rule has watched for `learn`. */
  z
    .object({
      type: z.literal('first_seen'),
      field: z.string(),
      by: By,
      learn: Duration,
      /** Forget a value after this long unseen (keeps state bounded); default 90d. */
      forget: Duration.optional(),
    })
    .strict(),
  /** The `by` identity acts again after being unseen (in any event) for at least `idle`. */
  z
    .object({
      type: z.literal('dormant'),
      by: z.string(),
      idle: Duration,
    })
    .strict(),
]);
export type Aggregate = z.infer<typeof AggregateSchema>;

/** An example event: a partial normalized event. `@timestamp` may be ISO 8601 text. Missing required fields
 *  get neutral defaults (see engine/examples.ts). */
const ExampleEvent = z.record(z.string(), z.unknown());
export const ExampleSchema = z
  .object({
    name: z.string(),
    /** `detect`: the last event must produce a detection of this rule; `none`: no event may. */
    expect: z.enum(['detect', 'none']),
    /** With `detect`: the effective severity the detection must have. */
    severity: z.enum(SEVERITIES).optional(),
    events: z.array(ExampleEvent).min(1),
  })
  .strict();
export type Example = z.infer<typeof ExampleSchema>;

export const RuleFileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'kebab-case, e.g. admin-group-member-added'),
    title: z.string().min(1),
    description: z.string().min(1),
    severity: z.enum(SEVERITIES),
    category: z.enum(CATEGORIES),
    /** MITRE ATT&CK technique ids: T1098, T1098.003. */
    attack: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/)).min(1),
    /** The incident line this rule traces back to (INCIDENTS.md), e.g. `cloudflare-2023: Nov 23 15:58 admin group change`. */
    incident: z.string().min(1),
    /** Which peer rules this covers (the README's peer-coverage table), free text. */
    covers: z.array(z.string()).optional(),
    enabled: z.boolean().default(true),
    detection: z.object({ condition: z.string().min(1) }).catchall(SelectionSchema),
    aggregate: AggregateSchema.optional(),
    escalate: z
      .array(z.object({ severity: z.enum(SEVERITIES), when: SelectionSchema, reason: z.string() }).strict())
      .optional(),
    /** Identities caught acting from the same source address by this rule belong to one incident: for addresses
     *  that are evidence of one intruder (published attacker infrastructure), never for shared egress. */
    links_source: z.boolean().optional(),
    /** At most one detection per key per this long (for simple rules; aggregates suppress for their window). */
    suppress: Duration.optional(),
    /** Detection text; `{field}` is replaced by the triggering event's value. */
    summary: z.string().min(1),
    references: z.array(z.string()).optional(),
    examples: z.array(ExampleSchema).min(2),
  })
  .strict();
export type RuleFile = z.infer<typeof RuleFileSchema>;

/** A list file (lists/*.yml): named data a rule reaches with the `|list` modifier. */
export const ListFileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
    description: z.string(),
    /** `string`: case-insensitive equality; `glob`: `*` wildcards, case-insensitive; `cidr`: IP addresses and ranges;
     *  `substring`: the field contains an entry. */
    kind: z.enum(['string', 'glob', 'cidr', 'substring']),
    entries: z.array(z.union([z.string(), z.number()]).transform(String)),
  })
  .strict();
export type ListFile = z.infer<typeof ListFileSchema>;
