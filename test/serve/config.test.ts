/** The self-hosted service's configuration: the documented example loads, and every mistake is refused by key. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatLoadError } from '../../src/rules/load-error';
import { loadServeConfig } from '../../src/serve/config';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-config-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const DOC = fs.readFileSync(path.join(__dirname, '../../docs/serve-config.md'), 'utf8');
const EXAMPLE = /```yaml\n([\s\S]*?)```/.exec(DOC)?.[1] ?? '';

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, 'bulkhead.yml');
  fs.writeFileSync(file, yaml);
  return loadServeConfig(file, env);
}
const errors = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
  const r = load(yaml, env);
  return r.ok ? [] : r.errors.map((e) => formatLoadError(e).replace(`${dir}${path.sep}`, ''));
};
const MIN = 'state: { sqlite: s.db }\nsources: { auditLogs: [{ product: jira, dir: /logs }] }\n';

describe('serve configuration', () => {
  it('loads the documented example, resolving secrets from the environment and files, and fills defaults', () => {
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets', 'bitbucket-token'), 'bb-token\n');
    const r = load(EXAMPLE, {
      BULKHEAD_JIRA_TOKEN: 'jira-token',
      BULKHEAD_SLACK_WEBHOOK: 'https://hooks.slack.test/x',
    });
    if (!r.ok) throw new Error(r.errors.map(formatLoadError).join('\n'));
    expect(r.config.http).toEqual({ listen: '127.0.0.1', port: 8477 });
    expect(r.config.sources.auditLogs[0]?.match).toBe('\\.audit\\.log$');
    expect(r.config.sources.auditRest[0]?.pollSeconds).toBe(60);
    expect(r.config.notify.email?.port).toBe(587);
    expect(Object.fromEntries(r.secrets)).toEqual({
      'sources.auditRest[0].token': 'jira-token',
      'containment.products[0].token': 'jira-token',
      'containment.products[1].token': 'bb-token',
      'notify.slack.webhook': 'https://hooks.slack.test/x',
    });
    // The config object holds references, never the secret values, so it can be logged.
    expect(JSON.stringify(r.config)).not.toContain('jira-token');
  });

  it('names the key of every problem, all at once', () => {
    expect(
      errors(
        `${MIN}containment:\n  products: [{ product: jira, baseUrl: 'https://j', token: { env: T } }]\n  policy: { maxPerHour: -1, actions: [delete-everything] }\nhttp: { port: 70000, listn: 0.0.0.0 }\n`,
        { T: 'x' },
      ),
    ).toEqual([
      expect.stringMatching(/^bulkhead\.yml: containment\.policy\.actions\[0\]: /),
      expect.stringMatching(/^bulkhead\.yml: containment\.policy\.maxPerHour: /),
      expect.stringMatching(/^bulkhead\.yml: http\.port: /),
      expect.stringMatching(/^bulkhead\.yml: http: Unrecognized key: "listn"/),
    ]);
  });

  it('refuses a token written in the file, a missing or empty secret, no source at all, and a YAML syntax error', () => {
    expect(errors(`${MIN}notify: { slack: { webhook: 'https://hooks.slack.test/x' } }\n`)).toEqual([
      expect.stringMatching(/^bulkhead\.yml: notify\.slack\.webhook: /),
    ]);
    expect(errors(`${MIN}notify: { slack: { webhook: { env: NOPE } } }\n`)).toEqual([
      'bulkhead.yml: notify.slack.webhook: environment variable NOPE is not set',
    ]);
    fs.writeFileSync(path.join(dir, 'empty'), '\n');
    expect(errors(`${MIN}notify: { teams: { webhook: { file: empty } } }\n`)).toEqual([
      expect.stringMatching(/^bulkhead\.yml: notify\.teams\.webhook: secret file .*empty is empty$/),
    ]);
    expect(errors('state: { sqlite: s.db }\nsources: {}\n')).toEqual([
      'bulkhead.yml: sources: name at least one source: auditLogs, accessLog or auditRest',
    ]);
    expect(errors('state: [unclosed\n')).toEqual([expect.stringMatching(/^bulkhead\.yml:\d+: YAML syntax/)]);
    expect(errors(`state: { sqlite: s.db }\nsources: { accessLog: { dir: /l, match: '(' } }\n`)).toEqual([
      expect.stringMatching(/^bulkhead\.yml: sources\.accessLog\.match: not a valid regular expression/),
    ]);
  });
});
