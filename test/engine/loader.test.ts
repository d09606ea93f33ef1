import path from 'node:path';
import { Engine, formatLoadError, loadLists, loadRules, runRuleExamples } from '../../src/engine';
import { classifyIndicator } from '../../src/lists';
import { ev, ruleErrors } from './helpers';

const fx = path.resolve(__dirname, '../fixtures');
const rulesDir = (d: string) => path.join(fx, 'rules', d);
const base = loadLists([path.join(fx, 'lists/base')]);

describe('loadRules', () => {
  it('loads *.yml and *.yaml recursively, sorted by id', () => {
    const r = loadRules([rulesDir('good')], base.lists);
    expect(r.errors).toEqual([]);
    expect(r.rules.map((x) => x.id)).toEqual(['fixture-admin-added', 'fixture-archive-burst']);
    expect(r.rules[1]?.file).toMatch(/nested[/\\]archive-burst\.yaml$/);
    for (const rule of r.rules) expect(runRuleExamples(rule, base.lists).map((x) => x.passed)).toEqual([true, true]);
  });

  it('a later directory overrides a rule with the same id', () => {
    const r = loadRules([rulesDir('good'), rulesDir('override')], base.lists);
    expect(r.errors).toEqual([]);
    const admin = r.rules.find((x) => x.id === 'fixture-admin-added');
    expect(admin?.ref.severity).toBe('critical');
    expect(admin?.file).toMatch(/override/);
    expect(r.rules).toHaveLength(2);
  });

  it('the same id twice in one directory is an error', () => {
    const r = loadRules([rulesDir('override'), rulesDir('override')]);
    expect(r.errors).toEqual([]); // two layers: override, not duplicate
    const dup = loadRules([path.join(fx, 'rules')], base.lists);
    expect(dup.errors.map(formatLoadError).join('\n')).toMatch(/override[/\\]admin-added\.yml: id: rule id fixture-admin-added is already used by .*good[/\\]admin-added\.yml/);
  });

  describe('broken files name the file, the key path and the reason, and do not stop good files', () => {
    const r = loadRules([rulesDir('broken'), rulesDir('good')], base.lists);
    const msgs = r.errors.map(formatLoadError);
    const forFile = (name: string) => msgs.filter((m) => m.includes(`broken${path.sep}${name}`));

    it('still loads the good rules', () => {
      expect(r.rules.map((x) => x.id)).toEqual(['fixture-admin-added', 'fixture-archive-burst']);
    });
    it.each([
      ['bad-field.yml', /detection\.selection\.user\.nmae\|startswith: unknown field "user\.nmae"/],
      ['bad-modifier.yml', /detection\.selection\.user\.name\|beginswith: unknown modifier "beginswith"/],
      ['cidr-on-name.yml', /detection\.selection\.user\.name\|cidr: \|cidr only applies to IP fields/],
      ['bad-regex.yml', /detection\.selection\.message\|re: invalid regular expression "pass\(word"/],
      ['gt-text.yml', /detection\.selection\.http\.response\.body\.bytes\|gt: \|gt compares numbers/],
      ['undefined-selection.yml', /detection\.condition: unknown selection "filter" \(defined: selection\), found "filter" at column 15/],
      ['unknown-list.yml', /detection\.selection\.group\.name\|list: unknown list "no-such-list"/],
      ['bad-aggregate.yml', /aggregate\.steps\[1\]\.selection: unknown selection "c"/],
      ['bad-aggregate.yml', /aggregate\.steps\[1\]\.by\[0\]: unknown field "user\.target\.nam"/],
      ['schema-error.yml', /: severity: /],
      ['yaml-error.yml', /yaml-error\.yml:\d+: YAML syntax/],
    ])('%s: %s', (file, re) => {
      expect(forFile(file).join('\n')).toMatch(re);
    });
  });

  it('checks modifier compatibility and condition syntax', () => {
    const sel = (s: Record<string, unknown>, condition = 'sel') => ruleErrors({ detection: { sel: s, condition } }).join('\n');
    expect(sel({ 'user.name|contains|startswith': 'x' })).toMatch(/cannot be combined/);
    expect(sel({ 'source.ip|cidr|cased': '10.0.0.0/8' })).toMatch(/\|cased only applies to text/);
    expect(sel({ 'source.ip|cidr': '10.0.0.0/33' })).toMatch(/not a CIDR range/);
    expect(sel({ 'source.ip|exists': 'yes' })).toMatch(/\|exists needs true or false/);
    expect(sel({ 'user.name': 'x' }, 'sel and')).toMatch(/expected a selection name.*end of the condition/);
    expect(sel({ 'user.name': 'x' }, '1 of filter*')).toMatch(/no selection matches "filter\*"/);
    expect(sel({ 'user.name': 'x' }, '(sel')).toMatch(/expected "\)"/);
    expect(sel({ 'user.name': 'x' }, 'sel sel')).toMatch(/expected "and", "or" or the end/);
    expect(sel({ 'atlassian.attr.scriptname': 'x' })).toBe('');
    expect(ruleErrors({ detection: { sel: { 'user.name': 'x' }, condition: 'sel' }, summary: '{user.nam}' }).join()).toMatch(/summary: unknown field \{user\.nam\}/);
    expect(
      ruleErrors({ detection: { sel: { 'user.name': 'x' }, condition: 'sel' }, aggregate: { type: 'dormant', by: 'source.ip', idle: '30d' } }).join(),
    ).toMatch(/aggregate\.by: dormant keys on an identity/);
  });
});

describe('loadLists and IOC files', () => {
  it('later directories override lists by name; bad entries are reported with their index', () => {
    const l = loadLists([path.join(fx, 'lists/base'), path.join(fx, 'lists/override')]);
    expect(l.lists.get('admin-groups')?.entries).toEqual(['site-admins']);
    expect(l.lists.has('broken-cidrs')).toBe(false);
    expect(l.errors.map(formatLoadError)).toEqual([expect.stringMatching(/broken\.yml: entries\[1\]: not an IP address or CIDR range: "not-an-ip"/)]);
  });

  it('sorts indicators into ioc-ips, ioc-domains and ioc-hashes, merged with the built-in lists', () => {
    const l = loadLists([path.join(fx, 'lists/base')], [path.join(fx, 'ioc/indicators.txt'), path.join(fx, 'ioc/indicators.csv')]);
    expect(l.errors.map(formatLoadError)).toEqual([expect.stringMatching(/indicators\.txt:7: not an IP, CIDR, domain or md5\/sha1\/sha256 hash: "not an indicator!"/)]);
    expect(l.lists.get('ioc-ips')?.entries).toEqual(['193.142.58.126', '198.244.174.214', '10.66.0.0/16']);
    expect(l.lists.get('ioc-domains')?.entries).toEqual(['idowall.com', 'evil.example.org']);
    expect(l.lists.get('ioc-hashes')?.entries).toEqual(['bdd1a085d651082ad567b03e5186d1d46d822bb7794157ab8cce95d850a3caaf', 'd41d8cd98f00b204e9800998ecf8427e']);
    const ips = l.lists.matcher('ioc-ips');
    expect([ips('10.66.4.4'), ips('198.244.174.214'), ips('10.67.0.1')]).toEqual([true, true, false]);
  });

  it('classifies indicators', () => {
    expect(classifyIndicator('2001:db8::/32')?.type).toBe('ip');
    expect(classifyIndicator('DA39A3EE5E6B4B0D3255BFEF95601890AFD80709')).toEqual({ type: 'hash', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' });
    expect(classifyIndicator('Sub.IdoWall.com')).toEqual({ type: 'domain', value: 'sub.idowall.com' });
    expect(classifyIndicator('jvm-agent')).toBeUndefined();
  });

  it('an engine bound to a missing list fails naming the rule and the list', () => {
    const r = loadRules([rulesDir('good')]); // no lists given: list names are checked at bind time
    expect(r.errors).toEqual([]);
    const empty = loadLists([]).lists;
    expect(() => new Engine({ rules: r.rules, lists: empty })).toThrow(/rule fixture-admin-added .*unknown list "admin-groups"/);
    const engine = new Engine({ rules: r.rules, lists: base.lists });
    expect(engine.process(ev({ 'event.action': 'group.member.added', 'group.name': 'Jira-Administrators' }))).toHaveLength(1);
  });
});
