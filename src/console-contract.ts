/**
 * The admin console's contract, shared by the hosts that serve it (the self-hosted HTTP API, the Forge app's
 * resolvers) and by the console itself (static/console bundles this file into the browser). Pure: no Node or
 * Forge imports, so it can travel to either side.
 */

/** The Forge resolver keys the console invokes through `@forge/bridge` (the HTTP API mirrors them as routes). */
export const CONSOLE_FUNCTIONS = [
  'session',
  'incidents.list',
  'incidents.get',
  'incidents.setStatus',
  'actions.undo',
  'actions.approve',
  'actions.retry',
  'settings.get',
  'settings.put',
  'readiness',
  'export',
  'secrets.set',
  'secrets.clear',
] as const;
export type ConsoleFunction = (typeof CONSOLE_FUNCTIONS)[number];

/** What a list row needs of an incident; the hosts' and the console's incident types both have it. */
interface Summarizable {
  readonly id: string;
  readonly status: string;
  readonly severity: string;
  readonly title: string;
  readonly actor: unknown;
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
  readonly detections: readonly { readonly rule: { readonly id: string } }[];
}

/** An incident's list row (what `GET /api/incidents` and `incidents.list` return for it). */
export function summarizeIncident<I extends Summarizable, A>(i: I, actions: A) {
  return {
    id: i.id,
    status: i.status as I['status'],
    severity: i.severity as I['severity'],
    title: i.title,
    actor: i.actor as I['actor'],
    firstTimestamp: i.firstTimestamp,
    lastTimestamp: i.lastTimestamp,
    detectionCount: i.detections.length,
    rules: [...new Set(i.detections.map((d) => d.rule.id))],
    actions,
  };
}
