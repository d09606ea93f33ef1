/** Record-level behaviour: typed rejects, wrappers, actors, action mapping, access-log variants. */
import { canonicalAction, parseLine, parseRecord } from '../../src/parsers';
import { ACTION_TABLE } from '../../src/parsers/action-map';

const ref = { file: 'mem', line: 7 };
const one = (v: unknown, opts = {}) => parseRecord(v, ref, undefined, opts);

describe('typed rejects name the field and keep the place', () => {
  it.each([
    [{ auditType: 5, timestamp: { epochSecond: 1, nano: 0 } }, 'dc-audit-file', 'auditType must be an object, got number'],
    [{ auditType: { action: 'User created' }, timestamp: 'x' }, 'dc-audit-file', 'timestamp must be {epochSecond,nano}, got string'],
    [{ type: { action: 'User created', actionI18nKey: 'jira.x' }, timestamp: 'x' }, 'dc-audit-rest', 'timestamp is not a timestamp: "x"'],
    [{ summary: 'User created', created: '2023-13-45T00:00:00Z' }, 'jira-cloud-audit', 'created is not a timestamp'],
    [{ type: 'events', attributes: { action: 'user_login' } }, 'org-audit', 'missing attributes.time'],
    [{ eventType: 'avi:bitbucket:created:repository', repository: {} }, 'forge-event', 'no delivery time'],
    [{ hello: 'world' }, 'unknown', 'unknown record format'],
  ])('%j → %s: %s', (value, format, reason) => {
    const out = one(value);
    expect(out.events).toEqual([]);
    expect(out.rejects).toEqual([expect.objectContaining({ file: 'mem', line: 7, format, reason: expect.stringContaining(reason) })]);
  });

  it('a DC record that names no product is a reject unless the file path says which', () => {
    const rec = { auditType: { action: 'User created' }, timestamp: { epochSecond: 1700000000, nano: 0 } };
    expect(one(rec).rejects[0]!.reason).toMatch(/cannot tell which product/);
    expect(one(rec, { product: 'confluence' }).events[0]!['atlassian.product']).toBe('confluence');
  });

  it('excerpts escape control bytes and stay within 200 characters', () => {
    const out = parseLine('\u0001\u001b[31m' + 'x'.repeat(500), ref);
    expect(out.rejects[0]!.excerpt).toMatch(/^\\x01\\x1b\[31mx+…$/);
    expect(out.rejects[0]!.excerpt.length).toBeLessThanOrEqual(200);
  });
});

describe('wrappers and pushed payloads', () => {
  it('org audit-log webhook body wrapping one event in data', () => {
    const out = one({ data: { type: 'events', id: 'w1', attributes: { time: '2023-11-23T10:00:00Z', action: 'domain_verified', actor: { id: 'a', name: 'App', type: 'app' } } } });
    expect(out.events[0]).toMatchObject({ 'event.action': 'auth.domain.changed', 'user.kind': 'app', 'event.id': 'w1', ref: { index: 0 } });
  });

  it('Bitbucket Cloud envelope: the X-Event-Key header wins over the inferred key', () => {
    const body = { actor: { nickname: 'eve', type: 'user' }, repository: { full_name: 'acme/app', uuid: '{r}' }, changes: { name: { old: 'a', new: 'b' } } };
    expect(one(body, { receivedAt: 5 }).events[0]).toMatchObject({ 'atlassian.audit.action': 'repo:updated', 'event.action': 'repository.updated', '@timestamp': 5 });
    const wrapped = one({ headers: { 'X-Event-Key': 'repo:deleted' }, body }, { receivedAt: 5 });
    expect(wrapped.events[0]).toMatchObject({ 'event.action': 'repository.deleted', 'event.dataset': 'bitbucket-cloud-webhook' });
  });

  it('Forge events take delivery time only when they carry none', () => {
    const e = one({ eventType: 'avi:jira:viewed:issue', atlassianId: 'acc', issue: { id: '1', key: 'PAY-1' } }, { receivedAt: 1700000000000 }).events[0]!;
    expect(e).toMatchObject({ 'event.action': 'issue.viewed', 'atlassian.product': 'jira', 'atlassian.issue.key': 'PAY-1', 'user.id': 'acc', '@timestamp': 1700000000000 });
    const perms = one({ eventType: 'avi:confluence:permissions_updated:space:V2', eventCreatedDate: '2023-11-23T10:00:00.000Z', space: { key: 'ENG', name: 'Engineering' } }).events[0]!;
    expect(perms).toMatchObject({ 'atlassian.space.key': 'ENG', '@timestamp': Date.parse('2023-11-23T10:00:00Z') });
  });

  it('Forge events without an actor are the platform acting', () => {
    const e = one({ eventType: 'avi:confluence:created:group', eventCreatedDate: '2021-01-20T06:29:21.970Z', group: { id: 'g1', name: 'example-group' } }).events[0]!;
    expect(e).toMatchObject({ 'event.action': 'group.created', 'user.kind': 'system', 'group.name': 'example-group', 'group.id': 'g1' });
  });

  it('a hint skips detection but still unwraps a page', () => {
    const out = parseRecord({ records: [{ id: 1, summary: 'Global permission added', created: '2023-11-23T10:00:00.000+0100', changedValues: [{ fieldName: 'Permission', changedTo: 'Administer Jira' }] }] }, ref, 'jira-cloud-audit');
    expect(out.events[0]).toMatchObject({ '@timestamp': Date.parse('2023-11-23T09:00:00Z'), 'atlassian.permission': 'ADMINISTER', 'event.action': 'permission.global.granted', ref: { line: 7, index: 0 } });
  });
});

describe('actions', () => {
  it('refused attempts have outcome failure', () => {
    const rec = (action: string) => ({ auditType: { action, actionI18nKey: 'bitbucket.x' }, timestamp: { epochSecond: 1700000000, nano: 0 } });
    expect(one(rec('User login failed')).events[0]!['event.outcome']).toBe('failure');
    expect(one(rec('Unauthorized full data export triggered')).events[0]!['event.outcome']).toBe('failure');
    expect(one(rec('Full data export triggered')).events[0]!['event.outcome']).toBe('success');
  });

  it.each([
    ['Audit log Configuration UPDATED', 'audit.config.changed'],
    ['authentication_policy_updated', 'auth.policy.changed'],
    ['ip_allowlist_rule_added', 'auth.ip-allowlist.changed'],
    ['Secret scanning project rule deleted', 'secret-scanning.rule.deleted'],
    ['Unauthorized full data export triggered', 'export.unauthorized'],
    ['Project access token created', 'token.repository.created'],
    ['Something brand new!', 'something-brand-new'],
  ])('%s → %s', (raw, canonical) => expect(canonicalAction(raw)).toBe(canonical));
});

describe('Bitbucket access log variants', () => {
  const line = (user: string, action: string, status = '200') =>
    `10.0.0.9 | https | o@Zx1x2x0 | ${user} | 2023-11-23 09:00:00,000 | "${action}" | "" "git/2.40" | ${status} | 0 | 4096 | - | 20 | s |`;
  it('POST git-upload-pack is a clone; project keys are upper-cased', () => {
    expect(parseLine(line('bob', 'POST /scm/pay/payments.git/git-upload-pack HTTP/1.1'), ref).events[0]).toMatchObject({ 'event.action': 'repository.cloned', 'atlassian.repository.name': 'PAY/payments', 'http.request.method': 'POST' });
  });
  it('anonymous archive downloads are events; failed ones say so', () => {
    const e = parseLine(line('-', 'GET /projects/PAY/repos/payments/archive?format=tgz HTTP/1.1', '404'), ref).events[0]!;
    expect(e).toMatchObject({ 'user.kind': 'anonymous', 'event.outcome': 'failure', 'http.response.status_code': 404 });
    expect(e['user.name']).toBeUndefined();
  });
  it('i lines are read but make nothing; a broken time is a reject', () => {
    expect(parseLine(line('bob', 'GET /x HTTP/1.1').replace('o@', 'i@'), ref)).toMatchObject({ events: [], rejects: [] });
    expect(parseLine(line('bob', 'GET /x HTTP/1.1').replace('2023-11-23 09:00:00,000', 'yesterday'), ref).rejects[0]!.reason).toMatch(/time/);
  });
});

describe('text quirks', () => {
  it('a UTF-8 byte-order mark before the first record is ignored', () => {
    const out = parseLine('\ufeff{"type":"events","attributes":{"time":"2023-11-23T10:00:00Z","action":"user_login"}}', ref);
    expect(out.events[0]!['event.action']).toBe('user.login');
  });
});

describe('the action table', () => {
  it('maps no raw string (case-insensitively) to two canonical actions', () => {
    const seen = new Map<string, string>();
    for (const [canonical, raws] of ACTION_TABLE) {
      for (const raw of raws) {
        const k = raw.toLowerCase();
        expect({ raw, canonical: seen.get(k) ?? canonical }).toEqual({ raw, canonical });
        seen.set(k, canonical);
      }
    }
  });
});
