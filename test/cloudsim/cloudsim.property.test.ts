import '../../src/forge-harness/register';
import fc from 'fast-check';
import { resetForgeHarness } from '../../src/forge-harness';
import { AUDIT_FOOTPRINT, CloudSim, CloudSimError } from '../../src/cloudsim';
import { parseRecord } from '../../src/parsers';

type Step = { op: number; actor: number; a: number; b: number };

const OPS = [
  'createUser',
  'createGroup',
  'addToGroup',
  'removeFromGroup',
  'installApp',
  'createApiToken',
  'viewIssue',
  'viewPage',
  'search',
  'grantSpacePermission',
  'exportSpace',
  'push',
  'downloadArchive',
  'suspend',
  'restore',
  'advance',
] as const;

function snapshot(cloud: CloudSim): string {
  return JSON.stringify({
    users: [...cloud.users.values()].map((u) => [u.accountId, u.suspended]),
    groups: [...cloud.groups.values()].map((g) => [g.name, [...g.members].sort()]),
    tokens: [...cloud.tokens.values()].map((t) => [t.id, t.revokedAt ?? null]),
    spaces: [...cloud.spaces.values()].map((s) => [s.key, [...s.permissions].map(([k, v]) => [k, [...v]])]),
  });
}

test('any interleaving of actor operations keeps the model invariants, and audit records match the operations', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ op: fc.nat(OPS.length - 1), actor: fc.nat(9), a: fc.nat(50), b: fc.nat(50) }), {
        maxLength: 60,
      }),
      fc.integer({ min: 1, max: 1000 }),
      async (steps: Step[], seed) => {
        const h = resetForgeHarness({ seed });
        const cloud = new CloudSim(h, { seed, events: { duplicateRate: 0.2, lateRate: 0.2 } });
        cloud.seedPopulation(5);
        cloud.seedIssue('WEB', 'a');
        cloud.seedPage('ENG', 'b');
        cloud.seedRepo('core');
        let eventsDelivered = 0;
        h.registerTrigger(
          'all',
          [
            ...new Set([
              'avi:jira:created:user',
              'avi:confluence:created:user',
              'avi:confluence:created:group',
              'avi:jira:viewed:issue',
              'avi:confluence:viewed:page',
              'avi:confluence:performed:search',
              'avi:confluence:permissions_updated:space:V2',
              'avi:bitbucket:push:repository',
            ]),
          ],
          () => {
            eventsDelivered++;
          },
        );
        for (const s of steps) {
          const ids = [...cloud.users.keys()];
          const actorId = ids[s.actor % ids.length]!;
          const target = ids[s.a % ids.length]!;
          const groups = [...cloud.groups.values()];
          const group = groups[s.b % groups.length]!.name;
          const a = cloud.as(actorId);
          const before = snapshot(cloud);
          const opsBefore = cloud.ops.length;
          try {
            switch (OPS[s.op]) {
              case 'createUser':
                a.createUser(`u${s.a}`);
                break;
              case 'createGroup':
                a.createGroup(`g${s.a}`);
                break;
              case 'addToGroup':
                a.addToGroup(target, group);
                break;
              case 'removeFromGroup':
                a.removeFromGroup(target, group);
                break;
              case 'installApp':
                a.installApp(`app${s.a}`, `App ${s.a}`);
                break;
              case 'createApiToken':
                a.createApiToken(`t${s.a}`);
                break;
              case 'viewIssue':
                a.viewIssue('WEB-1');
                break;
              case 'viewPage':
                a.viewPage([...cloud.pages.keys()][0]!);
                break;
              case 'search':
                a.search('b');
                break;
              case 'grantSpacePermission':
                a.grantSpacePermission('ENG', target, 'export');
                break;
              case 'exportSpace':
                a.exportSpace('ENG');
                break;
              case 'push':
                a.push('core');
                break;
              case 'downloadArchive':
                a.downloadArchive('core');
                break;
              case 'suspend':
                cloud.setSuspended(target, true);
                break;
              case 'restore':
                cloud.setSuspended(target, false);
                break;
              case 'advance':
                await h.advance(s.a * 1000);
                break;
            }
          } catch (e) {
            if (!(e instanceof CloudSimError)) throw e;
            // A refused change changes nothing and is not an operation.
            expect(snapshot(cloud)).toBe(before);
            expect(cloud.ops.length).toBe(opsBefore);
          }
        }
        // Invariants of the model.
        for (const g of cloud.groups.values())
          for (const m of g.members) expect(cloud.users.has(m)).toBe(true);
        for (const t of cloud.tokens.values()) expect(cloud.users.has(t.accountId)).toBe(true);
        expect(cloud.ops.every((o) => o.ok)).toBe(true);
        // Audit record counts equal what the operations performed must write, log by log.
        const expected = { jira: 0, confluence: 0, org: 0 };
        for (const o of cloud.ops) {
          const f = AUDIT_FOOTPRINT[o.kind];
          expect(f).toBeDefined();
          expected.jira += f!.jira;
          expected.confluence += f!.confluence;
          expected.org += f!.org;
        }
        expect({
          jira: cloud.jiraAudit.length,
          confluence: cloud.confluenceAudit.length,
          org: cloud.orgEvents.length,
        }).toEqual(expected);
        for (const x of [...cloud.jiraAudit, ...cloud.confluenceAudit, ...cloud.orgEvents])
          expect(cloud.ops.some((o) => o.seq === x.opSeq)).toBe(true);
        const ids = cloud.jiraAudit.map((x) => x.rec.id);
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        // Every record parses; every emitted event is delivered at least once (duplicates on top).
        const ref = { file: 'prop', line: 1 };
        for (const x of [...cloud.jiraAudit, ...cloud.confluenceAudit, ...cloud.orgEvents])
          expect(parseRecord(x.rec, ref).rejects).toEqual([]);
        await h.runUntilIdle();
        const deliveries = cloud.emitted.reduce((n, e) => n + e.deliveries.length, 0);
        expect(eventsDelivered).toBe(deliveries);
        expect(eventsDelivered).toBeGreaterThanOrEqual(cloud.emitted.length);
      },
    ),
    { numRuns: 60, seed: 20260601 },
  );
});
