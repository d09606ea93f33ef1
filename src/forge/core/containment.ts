/**
 * The `contain` queue consumer and the console's approve/undo, over the shared response core: the incident
 * (with its detections) from storage, the policy from settings, the Cloud executor and directory, the action
 * records in the `action` entity. After deciding, the incident's channels are notified. What the product
 * answered to a group change is remembered for the readiness check (a 403 means the app user is not a site
 * admin).
 */
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
}

export class Containment {
  constructor(private readonly d: ContainDeps) {}

  private async responder(): Promise<Responder> {
    const { storage, product, fetch, now } = this.d;
    const settings = await storage.settings();
    const setup = await loadSetup(storage.kv, settings);
    return new Responder(settings.policy, {
      directory: new CloudDirectory(product, settings),
      executor: new CloudExecutor(product, fetch, storage.kv, setup, now),
      log: storage.actionLog(),
      now,
    });
  }

  async contain(incidentId: string): Promise<ContainResult> {
    const incident = await this.d.storage.fullIncident(incidentId);
    if (!incident) return { incidentId, records: [], notified: [] };
    const records = await (await this.responder()).respond(incident);
    await this.observe(records);
    const notified = await this.notify(incidentId);
    return { incidentId, records, notified };
  }

  async notify(incidentId: string): Promise<NotifyOutcome[]> {
    const { storage, product, now, log } = this.d;
    const incident = await storage.fullIncident(incidentId);
    if (!incident) return [];
    const channels = await forgeChannels(storage.kv, product, await storage.settings());
    return notifyIncident(storage.kv, channels, incident, await storage.actionsOf(incidentId), now(), log);
  }

  async approve(actionId: string, by: string): Promise<ActionRecord> {
    const r = await (await this.responder()).approve(actionId, by);
    await this.observe([r]);
    await this.notify(r.incidentId);
    return r;
  }

  async undo(actionId: string, by: string): Promise<ActionRecord> {
    const r = await (await this.responder()).undo(actionId, by);
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
