/** The DC client's retry, backoff and timeout, against faults the simulator injects on real loopback HTTP. */
import { DcClient, DcExecutor } from '../../src/dc';
import { retryAfterMs } from '../../src/dc/http';
import { simAdminToken } from '../../src/dcsim';
import type { ContainmentAction } from '../../src/respond/action';
import { harness, jiraUser, type Harness } from './harness';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const remove: ContainmentAction = {
  kind: 'remove-from-group',
  identity: jiraUser('alice.admin'),
  product: 'jira',
  group: 'jira-administrators',
};

describe('retry', () => {
  it('waits what Retry-After asks on 429, then succeeds', async () => {
    h.sim.inject({ kind: 429, times: 1, product: 'jira', path: '/rest/api/2/group/user', retryAfterSeconds: 1 });
    const t0 = Date.now();
    await expect(h.executor.run(remove)).resolves.toBe('removed alice.admin from jira-administrators');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(h.sim.requests.filter((r) => r.includes('group/user'))).toEqual([
      'jira DELETE /rest/api/2/group/user?groupname=jira-administrators&username=alice.admin 429',
      'jira DELETE /rest/api/2/group/user?groupname=jira-administrators&username=alice.admin 200',
    ]);
    expect(h.sim.state.isMember('jira', 'alice.admin', 'jira-administrators')).toBe(false);
  });

  it('caps a long Retry-After', async () => {
    h.sim.inject({ kind: 429, times: 1, retryAfterSeconds: 3600 });
    const ex = new DcExecutor(h.connect({ maxRetryAfterMs: 50 }));
    const t0 = Date.now();
    await expect(ex.run(remove)).resolves.toMatch(/^removed/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('retries 5xx with backoff and succeeds within the bound', async () => {
    h.sim.inject({ kind: 500, times: 1, product: 'bitbucket' });
    h.sim.inject({ kind: 503, times: 1, product: 'bitbucket' });
    const ex = new DcExecutor(h.connect({ retries: 2 }));
    await expect(
      ex.run({ kind: 'remove-from-group', identity: jiraUser('alice.admin'), product: 'bitbucket', group: 'stash-admins' }),
    ).resolves.toBe('removed alice.admin from stash-admins');
    expect(h.sim.requests.map((r) => r.split(' ').pop())).toEqual(['500', '503', '204']);
  });

  it('gives up after the bound, naming the attempts and the product’s last answer', async () => {
    h.sim.inject({ kind: 500, times: 10 });
    const ex = new DcExecutor(h.connect({ retries: 2 }));
    await expect(ex.run(remove)).rejects.toThrow(
      /^jira DELETE \/rest\/api\/2\/group\/user\?groupname=jira-administrators&username=alice\.admin: 500 Internal Server Error: Internal server error \(after 3 attempts\)$/,
    );
    expect(h.sim.requests).toHaveLength(3);
    expect(h.sim.state.isMember('jira', 'alice.admin', 'jira-administrators')).toBe(true);
  });

  it('does not retry a 4xx other than 429', async () => {
    await expect(
      h.executor.run({ ...remove, identity: jiraUser('ghost') }),
    ).rejects.toThrow(/404 Not Found/);
    expect(h.sim.requests).toHaveLength(1);
  });
});

describe('timeout', () => {
  it('a request that hangs past the timeout is retried', async () => {
    h.sim.inject({ kind: 'hang', times: 1, product: 'confluence' });
    const ex = new DcExecutor(h.connect({ timeoutMs: 300 }));
    const t0 = Date.now();
    await expect(
      ex.run({ kind: 'suspend-account', identity: jiraUser('carol'), product: 'confluence' }),
    ).resolves.toBe('disabled carol');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(h.sim.state.isActive('confluence', 'carol')).toBe(false);
  });

  it('fails with "no answer within" once every attempt hangs', async () => {
    h.sim.inject({ kind: 'hang', times: 10 });
    const ex = new DcExecutor(h.connect({ timeoutMs: 200, retries: 1 }));
    await expect(ex.run(remove)).rejects.toThrow(
      /^jira DELETE \/rest\/api\/2\/group\/user\?.*: no answer within 200 ms \(after 2 attempts\)$/,
    );
  });

  it('a refused connection is an error naming the call', async () => {
    const url = h.sim.baseUrl('jira');
    await h.sim.close();
    const c = new DcClient({ product: 'jira', baseUrl: url, token: simAdminToken('jira'), retries: 0 });
    await expect(c.request('GET', '/rest/api/2/user', { query: { username: 'x' } })).rejects.toThrow(
      /^jira GET \/rest\/api\/2\/user\?username=x: fetch failed/,
    );
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    const d = retryAfterMs(new Date(Date.now() + 5000).toUTCString()) as number;
    expect(d).toBeGreaterThan(3000);
    expect(d).toBeLessThanOrEqual(5000);
  });
});

describe('a change whose answer is lost', () => {
  it.each(['jira', 'confluence', 'bitbucket'] as const)('%s: the retry finds it done and the action succeeds', async (product) => {
    const group = { jira: 'jira-administrators', confluence: 'confluence-administrators', bitbucket: 'stash-admins' }[product];
    h.sim.inject({ kind: 'lose-answer', times: 1, product, method: product === 'jira' ? 'DELETE' : undefined });
    const ex = new DcExecutor(h.connect({ timeoutMs: 300 }));
    await expect(
      ex.run({ kind: 'remove-from-group', identity: jiraUser('alice.admin'), product, group }),
    ).resolves.toMatch(/^removed alice\.admin from /);
    expect(h.sim.state.isMember(product, 'alice.admin', group)).toBe(false);
    expect(h.sim.requests[0]).toMatch(/ lost$/);
  });
});

it('Bitbucket: a token deletion whose answer is lost still counts the token as revoked', async () => {
  h.sim.state.model('bitbucket').addToken('carol', 'second', 'carol-second');
  h.sim.inject({ kind: 'lose-answer', times: 1, product: 'bitbucket', method: 'DELETE', path: '/rest/access-tokens/' });
  const ex = new DcExecutor(h.connect({ timeoutMs: 300 }));
  await expect(ex.run({ kind: 'revoke-tokens', identity: jiraUser('carol'), product: 'bitbucket' })).resolves.toBe(
    'revoked 2 access tokens, 0 SSH keys',
  );
  expect(h.sim.state.tokensOf('bitbucket', 'carol')).toEqual([]);
});
