/**
 * The built-in rule pack and data lists: every file valid against the published format, the pack complete
 * (enough rules, every category, both kinds of example), every list a rule names present, the lists
 * matching what their descriptions promise, and the README's peer-coverage table pointing only at real rules.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { CATEGORIES } from '../../src/core/category';
import { loadLists } from '../../src/lists';
import { findYamlFiles } from '../../src/rules/yaml-files';
import { loadRules } from '../../src/rules/loader';
import { ListFileSchema, RuleFileSchema, type RuleFile, type Selection } from '../../src/rules/schema';

const ROOT = resolve(__dirname, '../..');
const RULES_DIR = join(ROOT, 'rules');
const LISTS_DIR = join(ROOT, 'lists');
/** The README's peer-coverage table, between its markers. */
function peerTable(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- peer-coverage:start -->');
  const end = readme.indexOf('<!-- peer-coverage:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no peer-coverage markers');
  return readme.slice(start, end);
}

const ruleFiles = findYamlFiles(RULES_DIR);
const listFiles = findYamlFiles(LISTS_DIR);

function parseRule(file: string): RuleFile {
  const r = RuleFileSchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!r.success) {
    const where = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${relative(ROOT, file)}: ${where}`);
  }
  return r.data;
}

const rules = ruleFiles.map((f) => ({ file: f, rule: parseRule(f) }));

/** Every `|list` name a selection (or a list of selections) refers to. */
function listNames(sel: Selection | string): string[] {
  if (typeof sel === 'string') return [];
  const groups = Array.isArray(sel) ? sel : [sel];
  return groups.flatMap((g) =>
    Object.entries(g).flatMap(([key, v]) =>
      key.split('|').slice(1).includes('list') ? (Array.isArray(v) ? v : [v]).map(String) : [],
    ),
  );
}

describe('rule files', () => {
  it('every rule file parses with RuleFileSchema', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    for (const f of ruleFiles) expect(() => parseRule(f)).not.toThrow();
  });

  it('every rule compiles in the loader with the shipped lists, with zero errors', () => {
    const lists = loadLists([LISTS_DIR]);
    expect(lists.errors).toEqual([]);
    const load = loadRules([RULES_DIR], lists.lists);
    expect(load.errors).toEqual([]);
    expect(load.rules.map((r) => r.id).sort()).toEqual(rules.map((r) => r.rule.id).sort());
  });

  it('ships at least 22 rules with unique ids, each in rules/<category>/<id>.yml', () => {
    expect(rules.length).toBeGreaterThanOrEqual(22);
    const ids = rules.map((r) => r.rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { file, rule } of rules) {
      expect(relative(RULES_DIR, file)).toBe(join(rule.category, `${rule.id}.yml`));
    }
  });

  it('uses every category at least once', () => {
    const used = new Set(rules.map((r) => r.rule.category));
    expect(CATEGORIES.filter((c) => !used.has(c))).toEqual([]);
  });

  it('every rule has a detecting and a quiet example, a summary, ATT&CK ids and an incident line', () => {
    for (const { rule } of rules) {
      const kinds = new Set(rule.examples.map((e) => e.expect));
      expect({ id: rule.id, detect: kinds.has('detect'), none: kinds.has('none') }).toEqual({
        id: rule.id,
        detect: true,
        none: true,
      });
      expect(rule.attack.length).toBeGreaterThan(0);
      expect(rule.incident.length).toBeGreaterThan(10);
      expect(rule.summary).toMatch(/\{[^}]+\}/);
    }
  });

  it('every rule with escalation shows an escalated example', () => {
    for (const { rule } of rules) {
      if (!rule.escalate) continue;
      const escalated = new Set(rule.escalate.map((e) => e.severity));
      const shown = rule.examples.some(
        (e) => e.expect === 'detect' && e.severity !== undefined && escalated.has(e.severity),
      );
      expect({ id: rule.id, shown }).toEqual({ id: rule.id, shown: true });
    }
  });

  it('every list a rule names exists in lists/', () => {
    const have = new Set(listFiles.map((f) => basename(f).replace(/\.ya?ml$/, '')));
    for (const { rule } of rules) {
      const { condition: _c, ...sels } = rule.detection;
      const named = [
        ...Object.values(sels).flatMap((s) => listNames(s as Selection)),
        ...(rule.escalate ?? []).flatMap((e) => listNames(e.when)),
      ];
      for (const n of named)
        expect({ rule: rule.id, list: n, exists: have.has(n) }).toEqual({
          rule: rule.id,
          list: n,
          exists: true,
        });
    }
  });
});

describe('list files', () => {
  it('every list parses with ListFileSchema and is named after its file', () => {
    for (const f of listFiles) {
      const r = ListFileSchema.safeParse(parse(readFileSync(f, 'utf8')));
      if (!r.success)
        throw new Error(
          `${relative(ROOT, f)}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      expect(`${r.data.name}.yml`).toBe(basename(f));
      expect(dirname(f)).toBe(LISTS_DIR);
    }
  });

  const { lists } = loadLists([LISTS_DIR]);
  const matches = (list: string, value: string): boolean => lists.matcher(list)(value);

  it('ships the published Cloudflare and CircleCI indicators', () => {
    for (const ip of ['193.142.58.126', '198.244.174.214', '178.249.214.10', '89.36.78.75'])
      expect(matches('ioc-ips', ip)).toBe(true);
    expect(matches('ioc-ips', '193.142.58.127')).toBe(false);
    expect(matches('ioc-domains', 'https://idowall.com/jvm-agent')).toBe(true);
    expect(matches('ioc-hashes', 'BDD1A085D651082AD567B03E5186D1D46D822BB7794157AB8CCE95D850A3CAAF')).toBe(
      true,
    );
  });

  it('service-account patterns catch integrations but not people with "bot" in their name', () => {
    for (const n of [
      'smartsheet-svc',
      'Smartsheet',
      'moveworks-bot',
      'svc-bitbucket',
      'jenkins',
      'jira-integration',
      'renovate[bot]',
    ]) {
      expect({ n, service: matches('service-account-patterns', n) }).toEqual({ n, service: true });
    }
    for (const n of ['abbot', 'talbot', 'marci', 'bob', 'alice.service@example.com', 'sam.assistant']) {
      expect({ n, service: matches('service-account-patterns', n) }).toEqual({ n, service: false });
    }
  });

  it('admin-groups matches admin groups of every product and nothing that merely mentions admin', () => {
    for (const g of [
      'jira-administrators',
      'jira-system-administrators',
      'site-admins',
      'administrators',
      'confluence-administrators',
      'stash-admins',
      'bitbucket-admins',
      'org-admins',
      'Site-Admins',
    ]) {
      expect({ g, admin: matches('admin-groups', g) }).toEqual({ g, admin: true });
    }
    for (const g of [
      'jira-software-users',
      'admin-assistants',
      'badminton-club',
      'confluence-users',
      'stash-users',
    ]) {
      expect({ g, admin: matches('admin-groups', g) }).toEqual({ g, admin: false });
    }
  });

  it("sensitive search terms catch Cloudflare's searches and not everyday ones", () => {
    for (const q of [
      'remote access',
      'password',
      'client secret',
      'openconnect',
      'cloudflared',
      'token',
      'text ~ "AWS_ACCESS_KEY"',
    ]) {
      expect({ q, hit: matches('sensitive-search-terms', q) }).toEqual({ q, hit: true });
    }
    for (const q of [
      'release notes',
      'onboarding',
      'project = OPS AND status = Open',
      'keyboard shortcuts',
    ]) {
      expect({ q, hit: matches('sensitive-search-terms', q) }).toEqual({ q, hit: false });
    }
  });

  it('script-apps names ScriptRunner for every product, by key and by name', () => {
    for (const a of [
      'com.onresolve.jira.groovy.groovyrunner',
      'com.onresolve.confluence.groovy.groovyrunner',
      'com.onresolve.stash.groovy.groovyrunner',
      'ScriptRunner for Jira',
      'Power Scripts for Jira',
    ]) {
      expect({ a, hit: matches('script-apps', a) }).toEqual({ a, hit: true });
    }
    expect(matches('script-apps', 'Synchrony Interop Bootstrap Plugin')).toBe(false);
  });
});

describe('README peer-coverage table', () => {
  const ids = new Set(rules.map((r) => r.rule.id));
  const rows = peerTable()
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l) && !/^\|\s*Product\s*\|/i.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );

  it('lists every product of peer-rules.md', () => {
    const products = new Set(rows.map((r) => r[0]));
    for (const p of ['Guard Detect', 'Datadog', 'Sentinel', 'Panther', 'Sigma'])
      expect(products.has(p)).toBe(true);
    expect(rows.length).toBeGreaterThanOrEqual(50);
  });

  it('every row names existing rule ids or says why none can cover it', () => {
    for (const r of rows) {
      const [product, peerRule, covered = '', note = ''] = r;
      const named = [...covered.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1] ?? '');
      const line = { product, peerRule, covered };
      if (named.length === 0) {
        expect({ ...line, reasonGiven: /^none\b/i.test(covered) && note.length > 20 }).toEqual({
          ...line,
          reasonGiven: true,
        });
      } else {
        for (const id of named)
          expect({ ...line, id, exists: ids.has(id) }).toEqual({ ...line, id, exists: true });
      }
    }
  });

  it('every rule id a rule file claims to cover appears in the table', () => {
    const text = peerTable();
    for (const { rule } of rules)
      if ((rule.covers ?? []).length > 0)
        expect({ id: rule.id, inDoc: text.includes(`\`${rule.id}\``) }).toEqual({ id: rule.id, inDoc: true });
  });
});
