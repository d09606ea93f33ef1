/** A simulator on loopback plus the executor and directory pointed at it, and helpers to read its audit logs. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '../../src/core/event';
import { DcDirectory, DcExecutor, type DcConnectOptions, type DcProduct } from '../../src/dc';
import { DcSimulator, simAdminToken, type DcSimulatorOptions } from '../../src/dcsim';
import { parseLine } from '../../src/parsers';

export interface Harness {
  readonly sim: DcSimulator;
  readonly dir: string;
  readonly executor: DcExecutor;
  readonly directory: DcDirectory;
  connect(over?: Partial<DcConnectOptions>): DcConnectOptions;
  close(): Promise<void>;
}

export async function harness(
  opts: Partial<DcSimulatorOptions> = {},
  conn: Partial<DcConnectOptions> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'bulkhead-dcsim-'));
  const sim = await DcSimulator.start({ logDir: dir, ...opts });
  const connect = (over: Partial<DcConnectOptions> = {}): DcConnectOptions => ({
    sites: {
      jira: { baseUrl: sim.baseUrl('jira'), token: simAdminToken('jira') },
      confluence: { baseUrl: sim.baseUrl('confluence'), token: simAdminToken('confluence') },
      bitbucket: { baseUrl: sim.baseUrl('bitbucket'), token: simAdminToken('bitbucket') },
    },
    timeoutMs: 2000,
    retries: 2,
    backoffMs: 10,
    ...conn,
    ...over,
  });
  const isAdmin = (g: string): boolean => /-(administrators|admins)$/i.test(g);
  return {
    sim,
    dir,
    executor: new DcExecutor(connect()),
    directory: new DcDirectory({ ...connect(), adminGroups: isAdmin }),
    connect,
    close: async () => {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every line of a product's audit log files, in file order. */
export async function auditLines(dir: string, product: DcProduct): Promise<string[]> {
  const d = join(dir, product, 'log', 'audit');
  let files: string[];
  try {
    files = (await readdir(d)).filter((f) => f.endsWith('.audit.log')).sort();
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const f of files) {
    const text = await readFile(join(d, f), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    out.push(...text.split('\n').filter((l) => l !== ''));
  }
  return out;
}

/** Parses the lines as DC audit file lines; fails the test on any reject. */
export function parseAll(lines: readonly string[], product: DcProduct): AuditEvent[] {
  const events: AuditEvent[] = [];
  lines.forEach((l, i) => {
    const out = parseLine(l, { file: `${product}.audit.log`, line: i + 1 }, undefined, { product });
    expect(out.rejects).toEqual([]);
    expect(out.format).toBe('dc-audit-file');
    events.push(...out.events);
  });
  return events;
}

export const jiraUser = (name: string) => ({ name, kind: 'human' as const });
