/**
 * The `contain` queue consumer and the console's approve/undo, over the shared response core: the incident
 * (with its detections) from storage, the policy from settings, the Cloud executor and directory, the action
 * records in the `action` entity. After deciding, the incident's channels are notified. What the product
 * answered to a group change is remembered for the readiness check (a 403 means the app user is not a site
 * admin).
 */
import { actionKey } from '../../respond/action';
import { Responder, type ActionRecord } from '../../respond/responder';
import { CloudDirectory, CloudExecutor, loadSetup } from './cloud';
import { KEYS } from './keys';
import { forgeChannels, notifyIncident, type NotifyOutcome } from './notify';
import type { ExternalFetch, Logger, ProductApi } from './ports';
import type { Storage } from './storage';

export interface ContainDeps {
  readonly storage: Storage;
  readonly product: ProductApi;
  readonly fetch: ExternalFetch;
  readonly now: () => number;
  readonly log?: Logger;
}

export interface Observation {
  readonly ok: boolean;
  readonly at: number;
  readonly detail: string;
}

export interface ContainResult {
  readonly incidentId: string;
  readonly records: readonly ActionRecord[];
  readonly notified: readonly NotifyOutcome[];
  /** Set when an action failed on a 429 or 5xx: it is `running` again, and the job should be retried then. */
  readonly retryAfterS?: number;
}

/** Deliveries of a contain job that put transient failures back to run (the platform retries a job 4 times). */
export const CONTAIN_RETRIES = 4;

export class Containment {
  constructor(private readonly d: ContainDeps) {}

  private async responder(): Promise<Responder> {
    return (await this.build()).responder;
  }

  private async build(): Promise<{ responder: Responder; executor: CloudExecutor }> {
    const { storage, product, fetch, now } = this.d;
    const settings = await storage.settings();
    const setup = await loadSetup(storage.kv, settings);
    const executor = new CloudExecutor(product, fetch, storage.kv, setup, now);
    const responder = new Responder({ ...settings.policy, offRules: settings.disabledRules }, {
      directory: new CloudDirectory(product, settings),
      executor,
      log: storage.actionLog(),
      now,
    });
    return { responder, executor };
  }

  /**
   * Decides and runs the incident's containment. An action that failed on a 429 or 5xx (rate limit, outage)
   * is recorded as `running` again, so the retried job (`retryAfterS`) runs it under the same record, neither
   * lost nor doubled; on the last delivery (`attempt` ≥ CONTAIN_RETRIES) it stays failed.
   */
  async contain(incidentId: string, attempt = 0): Promise<ContainResult> {
    const incident = await this.d.storage.fullIncident(incidentId);
    if (!incident) return { incidentId, records: [], notified: [] };
    const { responder, executor } = await this.build();
    const decided = await responder.respond(incident);
    const records: ActionRecord[] = [];
    let retryAfterS: number | undefined;
    for (const r of decided) {
      const wait = r.state === 'failed' ? executor.transient.get(actionKey(r.action)) : undefined;
      if (wait === undefined || attempt >= CONTAIN_RETRIES) {
        records.push(r);
        continue;
      }
      const again: ActionRecord = {
        ...r,
        state: 'running',
        result: `retrying in ${wait} s: ${r.result ?? ''}`,
      };
      await this.d.storage.actionLog().put(again);
      records.push(again);
      retryAfterS = Math.max(retryAfterS ?? 0, wait);
    }
    await this.observe(records);
    const notified = await this.notify(incidentId);
    return { incidentId, records, notified, ...(retryAfterS !== undefined ? { retryAfterS } : {}) };
  }

  async notify(incidentId: string): Promise<NotifyOutcome[]> {
    const { storage, product, now, log } = this.d;
    const incident = await storage.fullIncident(incidentId);
    if (!incident) return [];
    const channels = await forgeChannels(storage.kv, product, await storage.settings());
    return notifyIncident(storage.kv, channels, incident, await storage.actionsOf(incidentId), now(), log);
  }

  /** A person approves an action that waited for the hourly cap, retries a failed one, or undoes a done one.
   *  (An undone record is not an answer readiness keeps: `observe` passes over it.) */
  async decide(kind: 'approve' | 'retry' | 'undo', actionId: string, by: string): Promise<ActionRecord> {
    const r = await (await this.responder())[kind](actionId, by);
    await this.observe([r]);
    await this.notify(r.incidentId);
    return r;
  }

  /** Remembers the latest answer per kind of action, for readiness. */
  private async observe(records: readonly ActionRecord[]): Promise<void> {
    for (const r of records) {
      if (r.state !== 'done' && r.state !== 'failed') continue;
      const name = `${r.action.kind}:${r.action.product}`;
      const o: Observation = { ok: r.state === 'done', at: r.at, detail: r.result ?? r.state };
      await this.d.storage.kv.set(KEYS.observation(name), o);
    }
  }
}
