/**
 * DcExecutor and DcDirectory against the DC simulator over real loopback HTTP: every action and its undo on
 * Jira, Confluence and Bitbucket DC, the audit lines each change leaves, the actions a product cannot take,
 * and the auth and not-found paths.
 */
import { join } from 'node:path';
import { DcDirectory, DcExecutor, type DcProduct } from '../../src/dc';
import { defaultDcSeed, simAdminToken, simUserToken, type SimSeed } from '../../src/dcsim';
import { loadLists } from '../../src/lists';
import type { ContainmentAction } from '../../src/respond/action';
import { MemoryActionLog, Responder, type ActionRecord, type ResponsePolicy } from '../../src/respond/responder';
import { auditLines, harness, jiraUser, parseAll, type Harness } from './harness';

const who = jiraUser('mallory');

/** The default site plus `mallory`, an intruder-held account in each product's admin group. */
function seed(): SimSeed {
  const s = defaultDcSeed();
  const admin: Record<DcProduct, string> = {
    jira: 'jira-administrators',
    confluence: 'confluence-administrators',
    bitbucket: 'stash-admins',
  };
  const out: Record<string, unknown> = {};
  for (const p of ['jira', 'confluence', 'bitbucket'] as const) {
    const ps = s[p] ?? {};
    out[p] = {
      ...ps,
      users: [
        ...(ps.users ?? []),
        {
          name: 'mallory',
          displayName: 'Mallory',
          groups: [admin[p]],
          tokens: [
            { name: 'exfil-1', secret: `mallory-${p}-1` },
            { name: 'exfil-2', secret: `mallory-${p}-2` },
          ],
          ...(p === 'bitbucket' ? { sshKeys: ['mallory@kali'] } : {}),
        },
      ],
    };
  }
  const bb = out['bitbucket'] as { projects?: unknown[] };
  bb.projects = [
    {
      key: 'PLAT',
      name: 'Platform',
      repos: ['platform-core', 'platform-infra'],
      users: { carol: 'PROJECT_READ', mallory: 'PROJECT_WRITE' },
      repoUsers: { 'platform-core': { mallory: 'REPO_ADMIN' }, 'platform-infra': { carol: 'REPO_WRITE' } },
    },
    { key: 'SEC', name: 'Security', repos: ['secrets-scanner'], repoUsers: { 'secrets-scanner': { mallory: 'REPO_READ' } } },
  ];
  return out as SimSeed;
}

const done = (answer: string | undefined, undoOf?: ActionRecord): ActionRecord => ({
  id: 'i/x',
  incidentId: 'i',
  action: { kind: 'revoke-permissions', identity: who, product: 'bitbucket' },
  state: 'done',
  reason: 'test',
  at: 0,
  ...(answer !== undefined ? { result: answer } : {}),
  ...(undoOf ? {} : {}),
});

let h: Harness;
beforeEach(async () => {
  h = await harness({ seed: seed(), now: () => Date.UTC(2026, 10, 30, 4, 0, 0) });
});
afterEach(async () => {
  await h.close();
});

const ADMIN_GROUP: Record<DcProduct, string> = {
  jira: 'jira-administrators',
  confluence: 'confluence-administrators',
  bitbucket: 'stash-admins',
};

describe.each(['jira', 'confluence', 'bitbucket'] as const)('%s: group membership', (product) => {
  it('removes the user from the admin group, writes the audit line, and the undo puts it back', async () => {
    const group = ADMIN_GROUP[product];
    expect(h.sim.state.isMember(product, 'mallory', group)).toBe(true);
    const rm: ContainmentAction = { kind: 'remove-from-group', identity: who, product, group };
    await expect(h.executor.run(rm)).resolves.toBe(`removed mallory from ${group}`);
    expect(h.sim.state.isMember(product, 'mallory', group)).toBe(false);
    await expect(h.executor.run({ ...rm, kind: 'add-to-group' })).resolves.toBe(`added mallory to ${group}`);
    expect(h.sim.state.isMember(product, 'mallory', group)).toBe(true);

    const events = parseAll(await auditLines(h.dir, product), product);
    expect(events.map((e) => e['event.action'])).toEqual(['group.member.removed', 'group.member.added']);
    for (const e of events) {
      expect(e['group.name']).toBe(group);
      expect(e['user.target.name']).toBe('mallory');
      expect(e['user.name']).toBe('bulkhead');
      expect(e['atlassian.product']).toBe(product);
      expect(e['source.ip']).toBe('127.0.0.1');
    }
  });

  it('the directory lists the admin groups (through the admin-groups list) and counts members', async () => {
    const lists = loadLists([join(__dirname, '..', '..', 'lists')]);
    expect(lists.errors).toEqual([]);
    const dir = new DcDirectory({ ...h.connect(), adminGroups: lists.lists });
    await expect(dir.adminGroupsOf(who, product)).resolves.toEqual([ADMIN_GROUP[product]]);
    await expect(dir.adminGroupsOf(jiraUser('carol'), product)).resolves.toEqual([]);
    await expect(dir.adminGroupsOf(jiraUser('nobody-here'), product)).resolves.toEqual([]);
    // bulkhead, alice.admin, bob.admin, mallory
    await expect(dir.memberCount(ADMIN_GROUP[product], product)).resolves.toBe(4);
    await expect(dir.memberCount('no-such-group', product)).resolves.toBe(0);
  });
});

describe('account suspension', () => {
  it('Jira: deactivates through PUT /user and the audit line says Active → Inactive; restore reactivates', async () => {
    const a: ContainmentAction = { kind: 'suspend-account', identity: who, product: 'jira' };
    await expect(h.executor.run(a)).resolves.toBe('deactivated mallory');
    expect(h.sim.state.isActive('jira', 'mallory')).toBe(false);
    // an inactive member no longer counts for the last-admin guard
    await expect(h.directory.memberCount('jira-administrators', 'jira')).resolves.toBe(3);
    await expect(h.executor.run({ ...a, kind: 'restore-account' })).resolves.toBe('activated mallory');
    expect(h.sim.state.isActive('jira', 'mallory')).toBe(true);
    const events = parseAll(await auditLines(h.dir, 'jira'), 'jira');
    expect(events.map((e) => [e['event.action'], e['atlassian.attributes']?.['active / inactive']])).toEqual([
      ['user.updated', 'Inactive'],
      ['user.updated', 'Active'],
    ]);
  });

  it('Confluence: disables and enables through the admin user API', async () => {
    const a: ContainmentAction = { kind: 'suspend-account', identity: who, product: 'confluence' };
    await expect(h.executor.run(a)).resolves.toBe('disabled mallory');
    expect(h.sim.state.isActive('confluence', 'mallory')).toBe(false);
    await expect(h.executor.run({ ...a, kind: 'restore-account' })).resolves.toBe('enabled mallory');
    expect(h.sim.state.isActive('confluence', 'mallory')).toBe(true);
    const events = parseAll(await auditLines(h.dir, 'confluence'), 'confluence');
    expect(events.map((e) => e['event.action'])).toEqual(['user.deactivated', 'user.activated']);
    expect(events.every((e) => e['user.target.name'] === 'mallory')).toBe(true);
  });

  it('a disabled account cannot authenticate any more', async () => {
    await h.executor.run({ kind: 'suspend-account', identity: who, product: 'jira' });
    const res = await fetch(`${h.sim.baseUrl('jira')}/rest/api/2/user?username=carol`, {
      headers: { authorization: 'Bearer mallory-jira-1' },
    });
    expect(res.status).toBe(401);
  });
});

describe('what a product cannot do through REST', () => {
  it.each([
    ['bitbucket', 'suspend-account', /not possible on Bitbucket Data Center: it has no REST call that deactivates a user/],
    ['bitbucket', 'restore-account', /not possible on Bitbucket Data Center/],
    ['bitbucket', 'block-merges', /not possible on Bitbucket Data Center: there is no per-user merge block/],
    ['bitbucket', 'unblock-merges', /not possible on Bitbucket Data Center/],
    ['jira', 'revoke-tokens', /not possible on Jira Data Center: .*only the caller’s own tokens/],
    ['confluence', 'revoke-tokens', /not possible on Confluence Data Center/],
    ['jira', 'revoke-permissions', /not possible on Jira Data Center: project and repository permissions are Bitbucket’s/],
    ['confluence', 'block-merges', /not possible on Confluence Data Center/],
  ] as const)('%s %s throws a clear error and calls nothing that changes state', async (product, kind, msg) => {
    await expect(h.executor.run({ kind, identity: who, product } as ContainmentAction)).rejects.toThrow(msg);
    expect(h.sim.requests.filter((r) => !r.includes(' GET '))).toEqual([]);
    expect(await auditLines(h.dir, product)).toEqual([]);
  });

  it('an action on a product without a configured site fails saying so', async () => {
    const ex = new DcExecutor({ sites: { jira: { baseUrl: h.sim.baseUrl('jira'), token: simAdminToken('jira') } } });
    await expect(ex.run({ kind: 'suspend-account', identity: who, product: 'confluence' })).rejects.toThrow(
      /confluence: no containment site configured/,
    );
    await expect(ex.run({ kind: 'suspend-account', identity: who, product: 'org' })).rejects.toThrow(/not a Data Center product/);
  });
});

describe('Bitbucket tokens and permissions', () => {
  it('revoke-tokens deletes every HTTP access token and SSH key of the user and says how many', async () => {
    expect(h.sim.state.tokensOf('bitbucket', 'mallory')).toEqual(['exfil-1', 'exfil-2']);
    expect(h.sim.state.sshKeysOf('mallory')).toEqual(['mallory@kali']);
    await expect(h.executor.run({ kind: 'revoke-tokens', identity: who, product: 'bitbucket' })).resolves.toBe(
      'revoked 2 access tokens, 1 SSH key',
    );
    expect(h.sim.state.tokensOf('bitbucket', 'mallory')).toEqual([]);
    expect(h.sim.state.sshKeysOf('mallory')).toEqual([]);
    expect(h.sim.state.tokensOf('bitbucket', 'carol')).toEqual(['laptop']);
    // the revoked token no longer authenticates
    const res = await fetch(`${h.sim.baseUrl('bitbucket')}/rest/api/latest/projects`, {
      headers: { authorization: 'Bearer mallory-bitbucket-1' },
    });
    expect(res.status).toBe(401);
    const events = parseAll(await auditLines(h.dir, 'bitbucket'), 'bitbucket');
    expect(events.map((e) => e['event.action'])).toEqual(['token.personal.revoked', 'token.personal.revoked', 'ssh.key.removed']);
    expect(events.map((e) => e['atlassian.token.name'])).toEqual(['exfil-1', 'exfil-2', undefined]);
    // a second run finds nothing left
    await expect(h.executor.run({ kind: 'revoke-tokens', identity: who, product: 'bitbucket' })).resolves.toBe(
      'revoked 0 access tokens, 0 SSH keys',
    );
  });

  it('revoke-tokens for a user Bitbucket does not have is nothing to revoke, not a failure (a linked account made in Jira)', async () => {
    await expect(
      h.executor.run({ kind: 'revoke-tokens', identity: { name: 'jdoe2', kind: 'human' }, product: 'bitbucket' }),
    ).resolves.toBe('no user named jdoe2 in Bitbucket: no access tokens or SSH keys to revoke');
    expect(await auditLines(h.dir, 'bitbucket')).toEqual([]);
  });

  it('revoke-permissions removes exactly the direct grants and restore-permissions puts exactly those back', async () => {
    const before = h.sim.state.grantsOf('mallory');
    expect(before).toEqual(['PLAT/platform-core:REPO_ADMIN', 'PLAT:PROJECT_WRITE', 'SEC/secrets-scanner:REPO_READ']);
    const carol = h.sim.state.grantsOf('carol');
    const answer = await h.executor.run({ kind: 'revoke-permissions', identity: who, product: 'bitbucket' });
    expect(JSON.parse(answer as string)).toEqual({
      user: 'mallory',
      grants: [
        { project: 'PLAT', permission: 'PROJECT_WRITE' },
        { project: 'PLAT', repository: 'platform-core', permission: 'REPO_ADMIN' },
        { project: 'SEC', repository: 'secrets-scanner', permission: 'REPO_READ' },
      ],
    });
    expect(h.sim.state.grantsOf('mallory')).toEqual([]);
    expect(h.sim.state.grantsOf('carol')).toEqual(carol);

    const restored = await h.executor.run(
      { kind: 'restore-permissions', identity: who, product: 'bitbucket' },
      done(answer),
    );
    expect(restored).toBe(
      'granted PLAT:PROJECT_WRITE, PLAT/platform-core:REPO_ADMIN, SEC/secrets-scanner:REPO_READ back to mallory',
    );
    expect(h.sim.state.grantsOf('mallory')).toEqual(before);
    expect(h.sim.state.grantsOf('carol')).toEqual(carol);

    const events = parseAll(await auditLines(h.dir, 'bitbucket'), 'bitbucket');
    expect(events.map((e) => e['event.action'])).toEqual([
      'permission.project.revoked',
      'permission.repository.revoked',
      'permission.repository.revoked',
      'permission.project.granted',
      'permission.repository.granted',
      'permission.repository.granted',
    ]);
    expect(events.every((e) => e['user.target.name'] === 'mallory')).toBe(true);
  });

  it('restore-permissions refuses a result it did not write, or one about another user', async () => {
    const r = { kind: 'restore-permissions', identity: who, product: 'bitbucket' } as const;
    await expect(h.executor.run(r)).rejects.toThrow(/needs the revocation it undoes/);
    await expect(h.executor.run(r, done('revoked 2 grants'))).rejects.toThrow(/not the JSON this executor wrote/);
    await expect(h.executor.run(r, done('{"user":"mallory"}'))).rejects.toThrow(/not a list of grants/);
    await expect(h.executor.run(r, done('{"user":"carol","grants":[]}'))).rejects.toThrow(/was of carol, not mallory/);
    await expect(h.executor.run(r, done('{"user":"mallory","grants":[]}'))).resolves.toMatch(/nothing to restore/);
  });
});

describe('auth and not-found paths become failed actions with the product’s answer', () => {
  const policy: ResponsePolicy = {
    minSeverity: 'low',
    actions: ['remove-from-admin-groups'],
    dryRunRules: [],
    allowList: [],
    maxPerHour: 100,
  };

  async function runOne(ex: DcExecutor, action: ContainmentAction): Promise<ActionRecord> {
    // Through the responder's approve path, so the record is what an operator would see.
    const log = new MemoryActionLog();
    const pending: ActionRecord = { id: 'inc/1', incidentId: 'inc', action, state: 'awaiting-approval', reason: 'test', at: 0 };
    await log.put(pending);
    const r = new Responder(policy, { directory: h.directory, executor: ex, log, now: () => 1 });
    return r.approve('inc/1', 'tester');
  }

  it('401 for an unknown token (and the token never appears in the message)', async () => {
    const ex = new DcExecutor(h.connect({ sites: { jira: { baseUrl: h.sim.baseUrl('jira'), token: 'wrong-secret-123' } } }));
    const rec = await runOne(ex, { kind: 'remove-from-group', identity: who, product: 'jira', group: 'jira-administrators' });
    expect(rec.state).toBe('failed');
    expect(rec.result).toMatch(
      /^jira DELETE \/rest\/api\/2\/group\/user\?groupname=jira-administrators&username=mallory: 401 Unauthorized: Client must be authenticated/,
    );
    expect(rec.result).not.toContain('wrong-secret-123');
    expect(h.sim.state.isMember('jira', 'mallory', 'jira-administrators')).toBe(true);
  });

  it.each(['jira', 'confluence', 'bitbucket'] as const)('%s: 403 when the token belongs to a non-admin', async (product) => {
    const ex = new DcExecutor(h.connect({ sites: { [product]: { baseUrl: h.sim.baseUrl(product), token: simUserToken(product) } } }));
    const rec = await runOne(ex, { kind: 'remove-from-group', identity: who, product, group: ADMIN_GROUP[product] });
    expect(rec.state).toBe('failed');
    expect(rec.result).toMatch(new RegExp(`^${product} (DELETE|POST) \\S+: 403 Forbidden: .*(permission|not permitted)`));
    expect(h.sim.state.isMember(product, 'mallory', ADMIN_GROUP[product])).toBe(true);
  });

  it.each(['jira', 'confluence', 'bitbucket'] as const)('%s: 404 for an unknown user, with the product’s message', async (product) => {
    const rec = await runOne(h.executor, {
      kind: 'remove-from-group',
      identity: jiraUser('ghost'),
      product,
      group: ADMIN_GROUP[product],
    });
    expect(rec.state).toBe('failed');
    expect(rec.result).toMatch(/404 Not Found: .*ghost/);
  });

  it('404 for an unknown group on Jira', async () => {
    await expect(
      h.executor.run({ kind: 'add-to-group', identity: who, product: 'jira', group: 'no-such-group' }),
    ).rejects.toThrow(/404 Not Found: Group with name 'no-such-group' does not exist/);
  });
});
