/** Shared pieces of the Forge app tests: in-memory ports, a scripted product API, the built-in rules. */
import { loadLists, loadRules } from '../../src/engine';
import { builtinListsDir, builtinRulesDir } from '../../src/hunt/paths';
import { BulkheadApp } from '../../src/forge/core/app';
import type { CallerContext } from '../../src/forge/core/console';
import type { RuleSet } from '../../src/forge/core/ingest';
import { MemoryKv } from '../../src/forge/core/memory';
import type { HttpAnswer, ProductApi, QueueName, RequestInit } from '../../src/forge/core/ports';

let rules: RuleSet | undefined;
export function builtin(): RuleSet {
  if (!rules) {
    const lists = loadLists([builtinListsDir()]).lists;
    rules = { rules: loadRules([builtinRulesDir()], lists).rules, lists };
  }
  return rules;
}

export function answer(status: number, body: unknown = {}): HttpAnswer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, text: () => Promise.resolve(text), headers: { get: () => null } };
}

export interface Call {
  readonly product: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

export type Route = (method: string, path: string, body?: string) => HttpAnswer | undefined;

/** A product API that records calls and answers from routes (first match), else 404. */
export class ScriptedProduct implements ProductApi {
  readonly calls: Call[] = [];
  constructor(public routes: Partial<Record<'jira' | 'confluence' | 'bitbucket', Route>> = {}) {}
  request(
    product: 'jira' | 'confluence' | 'bitbucket',
    path: string,
    init?: RequestInit,
  ): Promise<HttpAnswer> {
    const method = init?.method ?? 'GET';
    this.calls.push({ product, method, path, ...(init?.body !== undefined ? { body: init.body } : {}) });
    return Promise.resolve(
      this.routes[product]?.(method, path, init?.body) ?? answer(404, { errorMessages: ['not found'] }),
    );
  }
}

export interface Pushed {
  readonly queue: QueueName;
  readonly body: Record<string, unknown>;
  readonly delay?: number;
}

export interface TestApp {
  readonly app: BulkheadApp;
  readonly kv: MemoryKv;
  readonly product: ScriptedProduct;
  readonly asUser: ScriptedProduct;
  readonly pushed: Pushed[];
  readonly clock: { now: number };
}

export function testApp(start = Date.UTC(2026, 10, 1, 12)): TestApp {
  const clock = { now: start };
  const now = () => clock.now;
  const kv = new MemoryKv(now);
  const product = new ScriptedProduct();
  const asUser = new ScriptedProduct();
  const pushed: Pushed[] = [];
  const app = new BulkheadApp({
    kv,
    asApp: product,
    asUser: (_ctx: CallerContext) => asUser,
    fetch: () => Promise.resolve(answer(404)),
    queue: {
      push(queue, body, delay) {
        pushed.push({ queue, body, ...(delay !== undefined ? { delay } : {}) });
        return Promise.resolve();
      },
    },
    rules: builtin,
    now,
  });
  return { app, kv, product, asUser, pushed, clock };
}

/** The Jira Cloud audit record of a service account put into jira-administrators. */
export function adminGroupRecord(id = 42, at = '2026-11-01T11:00:00.000+0000'): Record<string, unknown> {
  return {
    id,
    summary: 'User added to group',
    remoteAddress: '198.51.100.4',
    authorAccountId: '5b10ac8d82e05b22cc7d4ef5',
    created: at,
    category: 'group management',
    eventSource: '',
    objectItem: { name: 'jira-administrators', typeName: 'GROUP' },
    associatedItems: [{ id: '61a0a4c2', name: 'svc-backup', typeName: 'USER' }],
  };
}
