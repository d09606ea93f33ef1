/**
 * Property: any user and group name (any Unicode, spaces, `/`, `?`, `#`, `%`, `&`, `+`, quotes…) survives the
 * trip executor → URL (query parameter on Jira, path segment on Confluence, JSON body on Bitbucket) →
 * simulator → audit line: the right membership changes, and the audit line names exactly that user and group.
 * Names that are `.` or `..` are left out: as path segments every HTTP stack (and the products') resolves them
 * before routing, so they cannot name anything in a URL path.
 */
import fc from 'fast-check';
import type { DcProduct } from '../../src/dc';
import { auditLines, harness, jiraUser, parseAll, type Harness } from '../dc/harness';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

const name = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 16 })
  .filter((s) => s !== '.' && s !== '..' && s.trim() !== '');

const GROUP_ACTION: Record<'add' | 'remove', string> = { add: 'group.member.added', remove: 'group.member.removed' };

it('odd user and group names round-trip through the executor, the simulator and its audit lines', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom<DcProduct>('jira', 'confluence', 'bitbucket'), name, name, async (product, user, group) => {
      const key = `${product}\u0000${user.toLowerCase()}\u0000${group.toLowerCase()}`;
      const model = h.sim.state.model(product);
      if (seen.has(key) || model.user(user) !== undefined || model.group(group) !== undefined) return;
      seen.add(key);
      model.ensureUser(user);
      model.ensureGroup(group);
      const before = (await auditLines(h.dir, product)).length;

      await h.executor.run({ kind: 'add-to-group', identity: jiraUser(user), product, group });
      expect(h.sim.state.isMember(product, user, group)).toBe(true);
      await expect(h.directory.memberCount(group, product)).resolves.toBe(1);
      await h.executor.run({ kind: 'remove-from-group', identity: jiraUser(user), product, group });
      expect(h.sim.state.isMember(product, user, group)).toBe(false);

      const events = parseAll((await auditLines(h.dir, product)).slice(before), product);
      expect(events.map((e) => [e['event.action'], e['user.target.name'], e['group.name']])).toEqual([
        [GROUP_ACTION.add, user, group],
        [GROUP_ACTION.remove, user, group],
      ]);
    }),
    {
      numRuns: 60,
      examples: [
        ['confluence', 'a/b?c#d%e&f+g h', 'grp/ü ñ+%2F'],
        ['jira', 'o\'brien&co=1', 'admins#1?x=y'],
        ['bitbucket', ' lead "quote"\\', '日本語 グループ'],
        ['confluence', '%2E%2E', '..x'],
      ],
    },
  );
});
