/**
 * Enrichment: what the engine adds to an event before rules see it. It decides service accounts by name
 * (the `service-account-patterns` list) and keeps the one last-seen map that both the idle-days fields and
 * the `dormant` aggregate read. The map is keyed by identity (user id and user name), so it grows with the
 * number of distinct identities, not with the number of events.
 */
import type { AuditEvent } from '../core/event';
import type { ListSet } from '../lists/list-set';

export const SERVICE_ACCOUNT_LIST = 'service-account-patterns';
const DAY_MS = 86_400_000;

/** The engine owns events it is given and writes the derived fields in place: copying every event on the hot
 *  path would cost more than all the rules together. */
export type MutableEvent = { -readonly [K in keyof AuditEvent]: AuditEvent[K] };

export class Enricher {
  private readonly lastSeen = new Map<string, number>();
  private readonly isServiceName: ((name: string) => boolean) | undefined;
  /** When the current event's actor / first user target was last seen before it (undefined: never). */
  prevActorTime: number | undefined;
  prevTargetTime: number | undefined;

  constructor(lists: ListSet) {
    this.isServiceName = lists.has(SERVICE_ACCOUNT_LIST) ? lists.matcher(SERVICE_ACCOUNT_LIST) : undefined;
  }

  apply(e: MutableEvent): void {
    const t = e['@timestamp'];
    const id = e['user.id'];
    const name = e['user.name'];

    if (e['user.kind'] === 'human' && this.isService(name, e['user.email'])) e['user.kind'] = 'service';
    const targetName = e['user.target.name'];
    const targetId = e['user.target.id'];
    if (targetName !== undefined || targetId !== undefined) {
      const kind = e['user.target.kind'] ?? 'human';
      e['user.target.kind'] = kind === 'human' && this.isService(targetName, undefined) ? 'service' : kind;
    }

    // The target's previous sighting is read before the actor's is updated, so "acting on yourself" still
    // reports the time before this event.
    this.prevTargetTime = this.seen(targetId, targetName);
    if (this.prevTargetTime !== undefined) e['bulkhead.target.idle_days'] = idleDays(t, this.prevTargetTime);

    // User names are case-insensitive in every Atlassian product; ids are opaque and kept as they are.
    const nameKey = name?.toLowerCase();
    this.prevActorTime = this.seenKeys(id, nameKey);
    if (this.prevActorTime !== undefined) e['bulkhead.actor.idle_days'] = idleDays(t, this.prevActorTime);
    if (id !== undefined) this.touch(id, t);
    if (nameKey !== undefined) this.touch(nameKey, t);
  }

  private isService(name: string | undefined, email: string | undefined): boolean {
    if (!this.isServiceName) return false;
    const test = this.cachedServiceTest;
    if (name !== undefined && test(name)) return true;
    if (email !== undefined) {
      const at = email.indexOf('@');
      if (at > 0 && test(email.slice(0, at))) return true;
    }
    return false;
  }

  /** Names repeat on nearly every event and the pattern list is a long alternation with leading wildcards, so
   *  answers are cached; the cache is dropped when it grows past a bound rather than evicted entry by entry. */
  private readonly serviceCache = new Map<string, boolean>();
  private readonly cachedServiceTest = (name: string): boolean => {
    let r = this.serviceCache.get(name);
    if (r === undefined) {
      r = (this.isServiceName as (n: string) => boolean)(name);
      if (this.serviceCache.size >= 50_000) this.serviceCache.clear();
      this.serviceCache.set(name, r);
    }
    return r;
  };

  private seen(id: string | undefined, name: string | undefined): number | undefined {
    return this.seenKeys(id, name?.toLowerCase());
  }

  private seenKeys(id: string | undefined, nameKey: string | undefined): number | undefined {
    const byId = id !== undefined ? this.lastSeen.get(id) : undefined;
    const byName = nameKey !== undefined ? this.lastSeen.get(nameKey) : undefined;
    if (byId === undefined) return byName;
    return byName === undefined || byId >= byName ? byId : byName;
  }

  private touch(key: string, t: number): void {
    const prev = this.lastSeen.get(key);
    // Out-of-order input must not move "last seen" backwards.
    if (prev === undefined || t > prev) this.lastSeen.set(key, t);
  }

  identities(): number {
    return this.lastSeen.size;
  }

  snapshot(): [string, number][] {
    return [...this.lastSeen];
  }

  restore(entries: readonly (readonly [string, number])[]): void {
    this.lastSeen.clear();
    for (const [k, v] of entries) this.lastSeen.set(k, v);
  }
}

/** Whole days between two times; an older event (out of order) counts as 0, never negative. */
export function idleDays(t: number, prev: number): number {
  return t > prev ? Math.floor((t - prev) / DAY_MS) : 0;
}
