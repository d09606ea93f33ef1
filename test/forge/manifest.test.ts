/**
 * manifest.yml against @forge/manifest's own JSON schema, plus what the schema cannot say: every function
 * the modules name exists and points at an export of src/forge/index.ts, every scope and egress host carries
 * a justifying comment, timeouts only where the linter allows them, and the events the issue asks for.
 */
import '../../src/forge-harness/register';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { handlerOf, manifest } from './harness-app';

const TEXT = readFileSync(path.join(__dirname, '..', '..', 'manifest.yml'), 'utf8');

test('manifest.yml is valid against @forge/manifest 13.7.0 manifest-schema.json', () => {
  const schema = JSON.parse(
    readFileSync(
      path.join(
        __dirname,
        '..',
        '..',
        'node_modules',
        '@forge',
        'manifest',
        'out',
        'schema',
        'manifest-schema.json',
      ),
      'utf8',
    ),
  ) as object;
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  const validate = ajv.compile(schema);
  const ok = validate(manifest());
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

test('runtime nodejs22.x; every function referenced exists and names an exported handler', () => {
  const m = manifest() as unknown as {
    app: { runtime: { name: string } };
    modules: Record<string, Record<string, unknown>[]>;
  };
  expect(m.app.runtime.name).toBe('nodejs22.x');
  const fns = new Set((m.modules['function'] ?? []).map((f) => String(f['key'])));
  const referenced = new Set<string>();
  for (const [type, list] of Object.entries(m.modules)) {
    if (type === 'function') continue;
    for (const mod of list) {
      const fn = mod['function'] ?? (mod['resolver'] as { function?: string } | undefined)?.function;
      if (typeof fn === 'string') referenced.add(fn);
    }
  }
  for (const fn of referenced) {
    expect(fns.has(fn)).toBe(true);
    expect(typeof handlerOf(fn)).toBe('function');
  }
  expect([...fns].filter((f) => !referenced.has(f))).toEqual([]);
});

test('only consumer and scheduled-trigger functions set a timeout (the linter forbids it elsewhere)', () => {
  const m = manifest();
  const long = new Set(
    [...(m.modules['consumer'] ?? []), ...(m.modules['scheduledTrigger'] ?? [])].map((x) =>
      String(x['function']),
    ),
  );
  for (const f of m.modules['function'] ?? [])
    if (f['timeoutSeconds'] !== undefined) expect(long.has(String(f['key']))).toBe(true);
});

test('every scope and every egress host has a comment saying why', () => {
  const lines = TEXT.split('\n');
  const m = manifest();
  const egress = (m.permissions.external?.fetch?.backend ?? []).map((b) =>
    typeof b === 'string' ? b : b.address,
  );
  for (const item of [...m.permissions.scopes, ...egress]) {
    const i = lines.findIndex((l) =>
      new RegExp(`^\\s*- (address: )?"?${item.replace(/[.*]/g, '\\$&')}"?\\s*$`).test(l),
    );
    expect(i).toBeGreaterThan(0);
    // the comment is on a line above, within the run of comment/scope lines that lead to it
    let j = i - 1;
    while (j > 0 && /^\s*- /.test(lines[j]!) && !/#/.test(lines[j]!)) j--;
    expect(lines[j]).toMatch(/^\s*#/);
  }
});

test('the events the issue names are subscribed, plus our own install', () => {
  const events = new Set((manifest().modules['trigger'] ?? []).flatMap((t) => t['events'] as string[]));
  for (const e of [
    'avi:jira:created:user',
    'avi:jira:deleted:user',
    'avi:confluence:created:user',
    'avi:confluence:deleted:user',
    'avi:jira:viewed:issue',
    'avi:confluence:viewed:page',
    'avi:confluence:performed:search',
    'avi:confluence:permissions_updated:space:V2',
    'avi:confluence:created:group',
    'avi:bitbucket:created:repository',
    'avi:bitbucket:push:repository',
    'avi:forge:installed:app',
  ])
    expect(events.has(e)).toBe(true);
});
