/**
 * Faults on demand for the simulated site's REST APIs: the next N matching requests answer 429 with
 * Retry-After, 500, 502/503/504, or never answer (the harness then times the invocation out). A fault
 * may also be `lostAnswer`: the change is applied but the caller sees a 504, the case that makes
 * non-idempotent retries double an action.
 */
import { HANG, type HandlerResult, type HarnessRequest } from '../forge-harness';

export type FaultTarget = 'jira' | 'confluence' | 'bitbucket' | 'admin' | 'stargate';

export interface FaultSpec {
  target: FaultTarget | '*';
  method?: string;
  /** The request path (with query) must start with this, or match this RegExp. */
  path?: string | RegExp;
  kind: 429 | 500 | 502 | 503 | 504 | 'hang' | 'lostAnswer';
  /** How many matching requests it affects (default 1). */
  count?: number;
  /** For 429: the Retry-After header in seconds (default 5). */
  retryAfterS?: number;
}

interface ActiveFault extends FaultSpec {
  left: number;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];
  readonly fired: { target: string; method: string; path: string; kind: FaultSpec['kind']; at: number }[] =
    [];
  /** Answers owed to `lostAnswer` faults: the route runs, then the caller gets a 504. */
  private pendingLost = new WeakSet<HarnessRequest>();

  constructor(private readonly now: () => number) {}

  add(spec: FaultSpec): void {
    this.faults.push({ ...spec, left: spec.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  remaining(): number {
    return this.faults.reduce((a, f) => a + f.left, 0);
  }

  private matches(f: ActiveFault, target: FaultTarget, req: HarnessRequest): boolean {
    if (f.left <= 0) return false;
    if (f.target !== '*' && f.target !== target) return false;
    if (f.method && f.method.toUpperCase() !== req.method) return false;
    if (f.path instanceof RegExp) return f.path.test(req.path);
    if (typeof f.path === 'string') return req.path.startsWith(f.path);
    return true;
  }

  /** A fault's answer for this request, or undefined to let the route answer. */
  apply(target: FaultTarget, req: HarnessRequest): HandlerResult | undefined {
    const f = this.faults.find((x) => this.matches(x, target, req));
    if (!f) return undefined;
    f.left--;
    this.fired.push({ target, method: req.method, path: req.path, kind: f.kind, at: this.now() });
    switch (f.kind) {
      case 'hang':
        return HANG;
      case 429:
        return {
          status: 429,
          headers: { 'Retry-After': String(f.retryAfterS ?? 5) },
          body: { message: 'Rate limit exceeded' },
        };
      case 'lostAnswer':
        this.pendingLost.add(req);
        return undefined;
      default:
        return { status: f.kind, body: { message: 'Simulated server error' } };
    }
  }

  /** Whether the route's answer to this request must be replaced by a 504 (the change was applied). */
  takeLost(req: HarnessRequest): boolean {
    if (!this.pendingLost.has(req)) return false;
    this.pendingLost.delete(req);
    return true;
  }
}
