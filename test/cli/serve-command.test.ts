/**
 * `bulkhead serve --config FILE` refuses a bad configuration at start (exit 2), naming the file and each key at
 * fault, and never echoes a secret's value; a rule folder that does not load is refused the same way.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, tempDir } from './support';

describe('bulkhead serve', () => {
  it('refuses a bad configuration, naming every key at fault', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'bulkhead.yml');
    writeFileSync(
      file,
      [
        'state: { sqlite: ./state.db }',
        'sources:',
        '  auditLogs: [{ product: jira, dir: ./logs, match: "([" }]',
        'containment:',
        '  products: [{ product: jira, baseUrl: "https://jira.example.com", token: { env: BULKHEAD_TEST_MISSING } }]',
        '  policy: { maxPerHour: -1, actions: [reboot] }',
        'htp: { port: 1 }',
      ].join('\n'),
    );
    const r = await run(['serve', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the configuration is refused');
    for (const key of [
      'sources.auditLogs[0].match',
      'containment.policy.maxPerHour',
      'containment.policy.actions[0]',
    ])
      expect(r.stderr).toContain(key);
    expect(r.stderr).toMatch(/htp/);
  });

  it('names a secret that is not set, without its value, and a rule folder that does not load', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'bulkhead.yml');
    writeFileSync(
      file,
      [
        'state: { sqlite: ./state.db }',
        'sources: { auditRest: [{ product: jira, baseUrl: "https://jira.example.com", token: { env: BULKHEAD_TEST_MISSING } }] }',
      ].join('\n'),
    );
    const r = await run(['serve', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /sources\.auditRest\[0\]\.token: environment variable BULKHEAD_TEST_MISSING is not set/,
    );

    const rules = path.join(dir, 'rules');
    mkdirSync(rules);
    writeFileSync(path.join(rules, 'broken.yml'), 'id: broken\ntitle: [unclosed\n');
    writeFileSync(path.join(dir, 'secret'), 'sekrit-token-value\n');
    writeFileSync(
      file,
      [
        `state: { sqlite: ${path.join(dir, 'state.db')} }`,
        'sources: { auditRest: [{ product: jira, baseUrl: "https://jira.example.com", token: { file: secret } }] }',
        `rules: { dirs: [${rules}] }`,
      ].join('\n'),
    );
    const r2 = await run(['serve', '--config', file]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('cannot start');
    expect(r2.stderr).toContain('broken.yml');
    expect(r2.stdout + r2.stderr).not.toContain('sekrit-token-value');
  });
});
