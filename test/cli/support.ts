/** Helpers for driving the CLI in-process and for writing small audit-log fixtures. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { CliIO } from '../../src/cli/io';
import { main } from '../../src/cli/main';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const SAMPLES = path.resolve(REPO_ROOT, '../shared/samples');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], opts: { stdin?: string; now?: number } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([opts.stdin ?? '']),
    env: { NO_COLOR: '1' },
    now: () => opts.now ?? Date.now(),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export function tempDir(prefix = 'bulkhead-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A Jira Data Center audit-file line (the `*.audit.log` shape) at `epochSecond`. */
export function jiraDcLine(
  epochSecond: number,
  action: string,
  author: string,
  objects: Array<{ name: string; type: string; id?: string }>,
): string {
  return JSON.stringify({
    affectedObjects: objects,
    auditType: { action, area: 'USER_MANAGEMENT', category: 'group management', level: 'BASE' },
    author: { id: `JIRAUSER-${author}`, name: author, type: 'user' },
    changedValues: [],
    extraAttributes: [],
    method: 'Browser',
    source: '10.50.33.72',
    system: 'http://jira.internal:8088',
    timestamp: { epochSecond, nano: 0 },
    version: '1.0',
  });
}

export const T0 = Date.UTC(2023, 10, 23, 15, 0, 0) / 1000; // 2023-11-23T15:00:00Z

/**
 * A small Jira DC audit file: benign group work, two bad lines at known positions, and one admin-group
 * addition (a high-severity detection) on line 5. `evil` names the attacker (may carry markup).
 */
export function writeFixture(
  dir: string,
  evil = 'mallory',
): { file: string; adminLine: number; badLines: number[] } {
  const lines = [
    jiraDcLine(T0, 'Group created', 'alice', [{ name: 'team-blue', type: 'GROUP' }]), // 1
    '{"this is": not json', // 2: malformed
    jiraDcLine(T0 + 60, 'User added to group', 'alice', [
      { name: 'team-blue', type: 'GROUP' },
      { id: 'JIRAUSER2', name: 'bob', type: 'USER' },
    ]), // 3
    JSON.stringify({ hello: 'world' }), // 4: valid JSON, no known format
    jiraDcLine(T0 + 120, 'User added to group', evil, [
      { name: 'jira-administrators', type: 'GROUP' },
      { id: 'JIRAUSER3', name: evil, type: 'USER' },
    ]), // 5
  ];
  const file = path.join(dir, 'jira.audit.log');
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, adminLine: 5, badLines: [2, 4] };
}
