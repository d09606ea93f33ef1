import { Engine } from '../../src/engine';
import { ListSet, cidrMatcher, ipv4ToInt, parseCidr } from '../../src/lists';
import { ev, rule } from './helpers';

const lists = new ListSet([
  { name: 'admins', description: '', kind: 'string', entries: ['jira-administrators', 'site-admins'], sources: [] },
  { name: 'svc', description: '', kind: 'glob', entries: ['svc-*', '*-bot'], sources: [] },
  { name: 'bad-ips', description: '', kind: 'cidr', entries: ['193.142.58.126', '10.0.0.0/8'], sources: [] },
  { name: 'terms', description: '', kind: 'substring', entries: ['password', 'client secret'], sources: [] },
]);

/** Does a one-selection rule with this selection match this event? */
function matches(selection: Record<string, unknown> | Record<string, unknown>[], event: Record<string, unknown>): boolean {
  const r = rule({ detection: { sel: selection, condition: 'sel' } }, lists);
  return new Engine({ rules: [r], lists }).process(ev(event)).length === 1;
}

describe('field modifiers', () => {
  it('equality is case-insensitive by default and exact with |cased', () => {
    expect(matches({ 'user.name': 'Alice' }, { 'user.name': 'alice' })).toBe(true);
    expect(matches({ 'user.name': 'alice' }, { 'user.name': 'alice2' })).toBe(false);
    expect(matches({ 'user.name|cased': 'Alice' }, { 'user.name': 'alice' })).toBe(false);
    expect(matches({ 'user.name|cased': 'Alice' }, { 'user.name': 'Alice' })).toBe(true);
  });

  it('a value list is OR; |all makes it AND', () => {
    expect(matches({ 'user.name': ['bob', 'alice'] }, { 'user.name': 'ALICE' })).toBe(true);
    expect(matches({ 'message|contains': ['foo', 'bar'] }, { message: 'only foo here' })).toBe(true);
    expect(matches({ 'message|contains|all': ['foo', 'bar'] }, { message: 'only foo here' })).toBe(false);
    expect(matches({ 'message|contains|all': ['foo', 'bar'] }, { message: 'Foo and BAR' })).toBe(true);
  });

  it('contains, startswith, endswith, with and without |cased', () => {
    expect(matches({ 'url.path|contains': '/Archive' }, { 'url.path': '/rest/api/latest/projects/P/repos/r/archive' })).toBe(true);
    expect(matches({ 'url.path|contains|cased': '/Archive' }, { 'url.path': '/repos/r/archive' })).toBe(false);
    expect(matches({ 'user.name|startswith': 'SVC-' }, { 'user.name': 'svc-smartsheet' })).toBe(true);
    expect(matches({ 'user.name|startswith': 'svc-' }, { 'user.name': 'x-svc-smartsheet' })).toBe(false);
    expect(matches({ 'user.email|endswith': '@example.com' }, { 'user.email': 'A@EXAMPLE.COM' })).toBe(true);
    expect(matches({ 'user.email|endswith|cased': '@example.com' }, { 'user.email': 'A@EXAMPLE.COM' })).toBe(false);
  });

  it('re is case-insensitive unless |cased', () => {
    expect(matches({ 'atlassian.search.query|re': 'pass(word)?' }, { 'atlassian.search.query': 'PASSWORD reset' })).toBe(true);
    expect(matches({ 'atlassian.search.query|re|cased': '^pass' }, { 'atlassian.search.query': 'PASSWORD' })).toBe(false);
    expect(matches({ 'atlassian.search.query|re': '^token$' }, { 'atlassian.search.query': 'tokens' })).toBe(false);
  });

  it('cidr matches IPv4, IPv6 and IPv4-mapped addresses, and ignores non-addresses', () => {
    expect(matches({ 'source.ip|cidr': '193.142.58.0/24' }, { 'source.ip': '193.142.58.126' })).toBe(true);
    expect(matches({ 'source.ip|cidr': '193.142.58.0/24' }, { 'source.ip': '193.142.59.1' })).toBe(false);
    expect(matches({ 'source.ip|cidr': '193.142.58.0/24' }, { 'source.ip': '::ffff:193.142.58.9' })).toBe(true);
    expect(matches({ 'source.ip|cidr': '2001:db8::/32' }, { 'source.ip': '2001:db8::1' })).toBe(true);
    expect(matches({ 'source.ip|cidr': '2001:db8::/32' }, { 'source.ip': '10.0.0.1' })).toBe(false);
    expect(matches({ 'source.ip|cidr': '10.0.0.0/8' }, { 'source.ip': 'unknown' })).toBe(false);
  });

  it('an array field matches when any element does (related.ip)', () => {
    expect(matches({ 'related.ip|cidr': '198.244.174.214' }, { 'related.ip': ['10.1.1.1', '198.244.174.214'] })).toBe(true);
    expect(matches({ 'related.ip|cidr': '198.244.174.214' }, { 'related.ip': ['10.1.1.1', '10.1.1.2'] })).toBe(false);
    expect(matches({ 'related.ip': '10.1.1.2' }, { 'related.ip': ['10.1.1.1', '10.1.1.2'] })).toBe(true);
  });

  it('list uses the list kind: string, glob, cidr, substring', () => {
    expect(matches({ 'group.name|list': 'admins' }, { 'group.name': 'Jira-Administrators' })).toBe(true);
    expect(matches({ 'group.name|list': 'admins' }, { 'group.name': 'jira-administrators-old' })).toBe(false);
    expect(matches({ 'user.name|list': 'svc' }, { 'user.name': 'SVC-backup' })).toBe(true);
    expect(matches({ 'user.name|list': 'svc' }, { 'user.name': 'deploy-bot' })).toBe(true);
    expect(matches({ 'user.name|list': 'svc' }, { 'user.name': 'deploy-bots' })).toBe(false);
    expect(matches({ 'source.ip|list': 'bad-ips' }, { 'source.ip': '10.200.3.4' })).toBe(true);
    expect(matches({ 'source.ip|list': 'bad-ips' }, { 'source.ip': '193.142.58.127' })).toBe(false);
    expect(matches({ 'atlassian.search.query|list': 'terms' }, { 'atlassian.search.query': 'AWS Client Secret rotation' })).toBe(true);
    expect(matches({ 'atlassian.search.query|list': 'terms' }, { 'atlassian.search.query': 'holiday plan' })).toBe(false);
  });

  it('exists true / false', () => {
    expect(matches({ 'source.ip|exists': true }, { 'source.ip': '1.2.3.4' })).toBe(true);
    expect(matches({ 'source.ip|exists': true }, {})).toBe(false);
    expect(matches({ 'source.ip|exists': false }, {})).toBe(true);
    expect(matches({ 'source.ip|exists': false }, { 'source.ip': '1.2.3.4' })).toBe(false);
  });

  it('numeric comparisons gt, gte, lt, lte', () => {
    const e = { 'http.response.body.bytes': 1000 };
    expect(matches({ 'http.response.body.bytes|gt': 999 }, e)).toBe(true);
    expect(matches({ 'http.response.body.bytes|gt': 1000 }, e)).toBe(false);
    expect(matches({ 'http.response.body.bytes|gte': 1000 }, e)).toBe(true);
    expect(matches({ 'http.response.body.bytes|lt': 1000 }, e)).toBe(false);
    expect(matches({ 'http.response.body.bytes|lte': 1000 }, e)).toBe(true);
    expect(matches({ 'http.response.body.bytes|gt': 1 }, {})).toBe(false);
  });

  it('atlassian.attr.<key> reads atlassian.attributes', () => {
    expect(matches({ 'atlassian.attr.script|contains': 'Runtime.exec' }, { 'atlassian.attributes': { script: 'x = Runtime.exec("sh")' } })).toBe(true);
    expect(matches({ 'atlassian.attr.script|exists': true }, { 'atlassian.attributes': { other: '1' } })).toBe(false);
  });

  it('fields in one map are AND; a list of maps is OR', () => {
    expect(matches({ 'user.name': 'a', 'event.outcome': 'failure' }, { 'user.name': 'a', 'event.outcome': 'success' })).toBe(false);
    expect(matches([{ 'user.name': 'a' }, { 'user.name': 'b' }], { 'user.name': 'b' })).toBe(true);
    expect(matches([{ 'user.name': 'a' }, { 'user.name': 'b' }], { 'user.name': 'c' })).toBe(false);
  });

  it('numbers in equality compare as text', () => {
    expect(matches({ 'http.response.status_code': 404 }, { 'http.response.status_code': 404 })).toBe(true);
    expect(matches({ 'http.response.status_code': [401, 403] }, { 'http.response.status_code': 200 })).toBe(false);
  });
});

describe('conditions', () => {
  const sels = {
    sel_a: { 'user.name': 'a' },
    sel_b: { 'group.name': 'g' },
    other: { 'event.outcome': 'failure' },
  };
  function cond(condition: string, event: Record<string, unknown>): boolean {
    const r = rule({ detection: { ...sels, condition } }, lists);
    return new Engine({ rules: [r], lists }).process(ev(event)).length === 1;
  }
  const ab = { 'user.name': 'a', 'group.name': 'g' };
  const a = { 'user.name': 'a' };

  it('and, or, not, with not binding tighter than and, and and tighter than or', () => {
    expect(cond('sel_a and sel_b', ab)).toBe(true);
    expect(cond('sel_a and sel_b', a)).toBe(false);
    expect(cond('sel_a or sel_b', a)).toBe(true);
    expect(cond('sel_a and not sel_b', a)).toBe(true);
    expect(cond('sel_a and not sel_b', ab)).toBe(false);
    expect(cond('not sel_a', {})).toBe(true);
    // other or (sel_a and sel_b): true for ab
    expect(cond('other or sel_a and sel_b', ab)).toBe(true);
    expect(cond('other or sel_a and sel_b', a)).toBe(false);
  });

  it('parentheses override precedence', () => {
    expect(cond('(other or sel_a) and sel_b', a)).toBe(false);
    expect(cond('(other or sel_a) and sel_b', ab)).toBe(true);
    expect(cond('not (sel_a or sel_b)', {})).toBe(true);
    expect(cond('not (sel_a or sel_b)', a)).toBe(false);
  });

  it('1 of / all of a prefix, and of them', () => {
    expect(cond('1 of sel_*', a)).toBe(true);
    expect(cond('all of sel_*', a)).toBe(false);
    expect(cond('all of sel_*', ab)).toBe(true);
    expect(cond('1 of them', { 'event.outcome': 'failure' })).toBe(true);
    expect(cond('all of them', ab)).toBe(false);
    expect(cond('all of them', { ...ab, 'event.outcome': 'failure' })).toBe(true);
    expect(cond('all of sel_* and not other', ab)).toBe(true);
  });
});

describe('action index', () => {
  it('indexes rules whose condition pins event.action and checks the rest on every event', () => {
    const indexed = rule({ id: 'indexed', detection: { s: { 'event.action': ['user.created', 'user.deleted'] }, n: { 'user.name': 'x' }, condition: 's and not n' } });
    const always = rule({ id: 'always', detection: { s: { 'event.action|startswith': 'user.' }, condition: 's' } });
    const negated = rule({ id: 'negated', detection: { s: { 'event.action': 'user.created' }, condition: 'not s' } });
    expect(indexed.actions && [...indexed.actions].sort()).toEqual(['user.created', 'user.deleted']);
    expect(always.actions).toBeNull();
    expect(negated.actions).toBeNull();
    const engine = new Engine({ rules: [indexed, always, negated], lists });
    expect(engine.stats()).toMatchObject({ indexedRules: 1, alwaysRules: 2 });
    const ids = (e: Record<string, unknown>) => engine.process(ev(e)).map((d) => d.rule.id).sort();
    expect(ids({ 'event.action': 'user.created', 'user.name': 'y' })).toEqual(['always', 'indexed']);
    expect(ids({ 'event.action': 'user.login', 'user.name': 'y' })).toEqual(['always', 'negated']);
  });

  it('disabledRules and enabled: false leave a rule out', () => {
    const r1 = rule({ id: 'r1', detection: { s: { 'event.action': 'user.created' }, condition: 's' } });
    const r2 = rule({ id: 'r2', enabled: false, detection: { s: { 'event.action': 'user.created' }, condition: 's' } });
    const r3 = rule({ id: 'r3', detection: { s: { 'event.action': 'user.created' }, condition: 's' } });
    const engine = new Engine({ rules: [r1, r2, r3], lists, disabledRules: ['r3'] });
    expect(engine.process(ev({ 'event.action': 'user.created' })).map((d) => d.rule.id)).toEqual(['r1']);
  });
});

describe('cidr matcher', () => {
  it('parses dotted quads strictly', () => {
    expect(ipv4ToInt('0.0.0.0')).toBe(0);
    expect(ipv4ToInt('255.255.255.255')).toBe(4294967295);
    expect(ipv4ToInt('::FFFF:10.0.0.1')).toBe(167772161);
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4 ', '1..2.3', '1234.1.1.1', 'a.b.c.d', '']) expect(ipv4ToInt(bad)).toBe(-1);
  });
  it('merges ranges and finds edges', () => {
    const m = cidrMatcher(['10.0.0.0/24', '10.0.1.0/24', '192.168.1.7', '::ffff:172.16.0.0/108', '2001:db8::/48'].map(parseCidr));
    const cases: [string, boolean][] = [
      ['10.0.0.0', true],
      ['10.0.1.255', true],
      ['10.0.2.0', false],
      ['9.255.255.255', false],
      ['192.168.1.7', true],
      ['192.168.1.8', false],
      ['172.16.3.4', true],
      ['172.32.0.1', false],
      ['::ffff:ac10:0304', true],
      ['2001:db8:0:ffff::1', true],
      ['2001:db8:1::1', false],
      ['example.com', false],
    ];
    expect(cases.map(([ip]) => [ip, m(ip)])).toEqual(cases);
  });
});
