/**
 * The rule pack against the real public records in the shared samples, through the real parsers and engine:
 * the privileged changes those records hold must be raised at the right severity, and the product's own
 * startup noise (plugins enabled by "Anonymous") must not be.
 */
import path from 'node:path';
import type { Detection } from '../../src/core/detection';
import { Engine, loadLists, loadRules } from '../../src/engine';
import { readInput } from '../../src/parsers';

const ROOT = path.resolve(__dirname, '../..');
const SAMPLES = path.resolve(ROOT, '../shared/samples');

async function detect(file: string): Promise<Detection[]> {
  const lists = loadLists([path.join(ROOT, 'lists')]);
  const rules = loadRules([path.join(ROOT, 'rules')], lists.lists);
  expect(rules.errors).toEqual([]);
  const engine = new Engine({ rules: rules.rules, lists: lists.lists });
  const out: Detection[] = [];
  for await (const batch of readInput(path.join(SAMPLES, file)))
    for (const e of batch.events) out.push(...engine.process(e));
  return out;
}

const found = (ds: Detection[]): string[] => ds.map((d) => `${d.rule.id}:${d.severity}`).sort();

describe('rule pack on public sample records', () => {
  it('Bitbucket DC: SYS_ADMIN granted is critical, the audit configuration change is raised', async () => {
    const ids = found(await detect('dc-audit/bitbucket-audit-file.ndjson'));
    expect(ids).toContain('global-admin-permission-granted:critical');
    expect(ids).toContain('audit-logging-changed:medium');
  });

  it('Confluence DC: SYSTEMADMINISTRATOR granted is critical; plugins the product enables itself raise nothing', async () => {
    const ds = await detect('dc-audit/confluence-audit-file.ndjson');
    expect(found(ds)).toContain('global-admin-permission-granted:critical');
    expect(ds.filter((d) => d.rule.id === 'app-installed')).toEqual([]);
  });

  it('Jira DC: a new user put in jira-administrators is raised twice (admin group, new account), non-admin global permissions stay low', async () => {
    const ids = found(await detect('dc-audit/jira-audit-file.ndjson'));
    expect(ids).toEqual(
      expect.arrayContaining([
        'admin-group-member-added:high',
        'new-user-added-to-admin-group:high',
        'user-created:low',
      ]),
    );
    expect(
      ids.filter((i) => i.startsWith('global-permission-changed:')).every((i) => i.endsWith(':low')),
    ).toBe(true);
    expect(ids.filter((i) => i.startsWith('global-admin-permission-granted'))).toEqual([]);
  });
});
